r"""M/M/c queue metrics (Erlang C) and the cost-minimising number of servers.

For arrival rate :math:`\lambda`, service rate :math:`\mu` per server, :math:`c` servers,
offered load :math:`a = \lambda/\mu` and utilisation :math:`\rho = a/c < 1`:

- Erlang B by the stable recursion :math:`B_0 = 1,\; B_k = a B_{k-1} / (k + a B_{k-1})`;
- probability of waiting :math:`P_w = B_c / (1 - \rho (1 - B_c))` (Erlang C);
- :math:`L_q = P_w \rho / (1-\rho)`, :math:`L = L_q + a`, :math:`W_q = L_q/\lambda`,
  :math:`W = W_q + 1/\mu`.

Everything is vectorised over arrays of :math:`(\lambda, \mu, c)`; unstable systems
(:math:`\rho \ge 1`) get infinite queue metrics rather than an error. With :math:`\lambda = 0`
the queue is empty: :math:`L = 0`.

Seed 003's service-cost function is :math:`F(C) = hC + bL(C)`; :func:`optimal_servers` returns
:math:`C^* = \arg\min F` over stable :math:`C`. :math:`L` is convex and decreasing in integer
:math:`C` (Dyer & Proll 1977), which the equipment MILP uses for its exact secant epigraph.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike


@dataclass(frozen=True)
class MMC:
    """Metrics of M/M/c queues (arrays broadcast from the inputs)."""

    lam: np.ndarray
    mu: np.ndarray
    c: np.ndarray
    rho: np.ndarray
    p_wait: np.ndarray
    lq: np.ndarray
    l: np.ndarray  # noqa: E741 - the queueing symbol
    wq: np.ndarray
    w: np.ndarray

    @property
    def stable(self) -> np.ndarray:
        return self.rho < 1


def mmc(lam: ArrayLike, mu: ArrayLike, c: ArrayLike) -> MMC:
    """M/M/c metrics for arrays of arrival rates, service rates and server counts."""
    lam_, mu_, c_ = np.broadcast_arrays(
        np.asarray(lam, dtype=float), np.asarray(mu, dtype=float), np.asarray(c, dtype=float)
    )
    if (mu_ <= 0).any():
        raise ValueError("service rates must be > 0")
    if (lam_ < 0).any():
        raise ValueError("arrival rates must be >= 0")
    if (c_ < 0).any() or (np.round(c_) != c_).any():
        raise ValueError("server counts must be non-negative integers")
    a = lam_ / mu_
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.where(c_ > 0, a / np.where(c_ > 0, c_, 1), np.where(a > 0, np.inf, 0.0))
    # Erlang B recursion up to each entry's own c.
    cmax = int(c_.max()) if c_.size else 0
    b = np.ones_like(a)
    erlang_b = np.where(c_ == 0, 1.0, 0.0)
    for k in range(1, cmax + 1):
        b = a * b / (k + a * b)
        erlang_b = np.where(c_ == k, b, erlang_b)
        if not b.any():
            # B(k) has underflowed to 0 for every queue (past k > a it falls faster than
            # a^k / k!), so it is 0 for every larger count, as erlang_b already holds: without
            # this a count of 1e10 sets (a valid instance) looped for hours
            break
    stable = rho < 1
    with np.errstate(divide="ignore", invalid="ignore"):
        p_wait = np.where(stable, erlang_b / (1 - rho * (1 - erlang_b)), 1.0)
        lq = np.where(stable, p_wait * rho / (1 - rho), np.inf)
        l_sys = np.where(stable, lq + a, np.inf)
        wq = np.where(lam_ > 0, lq / np.where(lam_ > 0, lam_, 1), 0.0)
        w = np.where(stable, wq + 1 / mu_, np.inf)
    zero = lam_ == 0
    p_wait = np.where(zero, 0.0, p_wait)
    lq = np.where(zero, 0.0, lq)
    l_sys = np.where(zero, 0.0, l_sys)
    return MMC(lam_, mu_, c_, rho, p_wait, lq, l_sys, wq, w)


def mean_in_system(lam: float, mu: float, c: ArrayLike) -> np.ndarray:
    """:math:`L(c)` for one queue over an array of server counts."""
    return mmc(lam, mu, c).l


def min_stable_servers(lam: ArrayLike, mu: ArrayLike) -> np.ndarray:
    """Smallest c with :math:`\\lambda < c\\mu`, i.e. ``floor(lam/mu) + 1`` (0 when lam = 0)."""
    lam_ = np.asarray(lam, dtype=float)
    mu_ = np.asarray(mu, dtype=float)
    c = np.floor(lam_ / mu_) + 1
    return np.where(lam_ > 0, c, 0).astype(int)


def optimal_servers(
    lam: float, mu: float, h: float, b: float, c_max: int | None = None
) -> tuple[int, np.ndarray, np.ndarray]:
    """:math:`C^* = \\arg\\min_C hC + bL(C)` over stable C (up to ``c_max`` when given).

    Returns ``(c_star, cs, costs)`` over the counts searched. :math:`F(C) = hC + bL(C)` is
    convex in integer C (L is convex), so the first C with :math:`F(C+1) \\ge F(C)` is the
    minimiser. Without ``c_max`` the search extends (in doubling blocks) until the cost turns
    up -- at heavy load that can be hundreds of sets past the smallest stable count
    (:math:`\\lambda = 1000, \\mu = 1, h = 10^{-6}, b = 1`: stable from 1001, :math:`C^* = 1155`).
    Needs h > 0 (otherwise F keeps falling and has no minimiser) and b >= 0.
    """
    if not h > 0:
        raise ValueError(f"the running cost h must be > 0 (otherwise more sets always cost less), found {h}")
    if not b >= 0:
        raise ValueError(f"the waiting cost b must be >= 0, found {b}")
    c_min = max(int(min_stable_servers(lam, mu)), 1)
    if c_max is not None:
        if c_max < c_min:
            raise ValueError(f"c_max={c_max} is below the smallest stable count {c_min}")
        cs = np.arange(c_min, c_max + 1)
        costs = h * cs + b * mean_in_system(lam, mu, cs)
        return int(cs[np.argmin(costs)]), cs, costs
    width = 64
    while True:
        cs = np.arange(c_min, c_min + width)
        costs = h * cs + b * mean_in_system(lam, mu, cs)
        turned = np.flatnonzero(np.diff(costs) >= 0)
        if turned.size:
            last = int(turned[0]) + 1  # keep one count past the minimiser: the turn is shown
            return int(cs[turned[0]]), cs[: last + 1], costs[: last + 1]
        width *= 2
