r"""A fast incumbent for the uncapacitated p-median: greedy, then vertex substitution.

Why
---
The radius MILP (:mod:`optmodels.siting.median.radius`) closes its gap from below; an optimal or
near-optimal plan before the MILP starts does two things: HiGHS gets it as a MIP start (its gap
is small at once), and the Lagrangian reduction of :mod:`optmodels.siting.median.lagrangian` can only
fix what a plan of cost ``UB`` proves useless -- the better ``UB``, the more it removes.

Method
------
Greedy (add the site with the largest weighted saving, ``p`` times), then Teitz and Bart's
vertex substitution in Whitaker's fast form (Resende and Werneck 2003 give the same
decomposition), best improvement over every (insert ``j``, remove ``r``) pair at once.
With ``d1_i``, ``d2_i`` the distances from ``i`` to its nearest and second-nearest open site and
``n1_i`` the nearest::

    cost after (j in, r out) - cost now = G_j + L_rj
    G_j  = sum_i w_i min(0, d_ij - d1_i)                                  (gain of inserting j)
    L_rj = sum_{i : n1_i = r} w_i [min(d2_i, d_ij) - min(d1_i, d_ij)]     (loss of removing r)

``G`` is one ``n x m`` pass; ``L`` is the ``p x n`` one-hot matrix of ``n1`` times the ``n x m``
matrix of the bracket, one sparse product. Each step applies the best pair while it improves
(by more than a relative ``1e-10``: float noise must not cycle). Then a short variable
neighbourhood search: swap ``k`` random sites (k = 1, 2, ... up to ``k_max``) and descend again,
keep the result if better, back to ``k = 1`` on success.

The result is only ever used as an upper bound and a MIP start: its quality affects speed,
never the answer. A stop signal in an interruptible block (:mod:`solvers.interrupt`) ends the
descent and the search with the best plan so far (each swap is applied whole).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from solvers.interrupt import check, until_interrupted


@dataclass(frozen=True)
class Plan:
    """``open`` (bool per site) and its total weighted distance ``cost``."""

    open: np.ndarray
    cost: float
    swaps: int


def plan_cost(C: np.ndarray, w: np.ndarray, open_mask: np.ndarray) -> float:
    """``sum_i w_i min_{j open} C_ij``."""
    return float(w @ C[:, open_mask].min(axis=1))


def _nearest_two(C: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``d1, n1, d2`` over the open sites ``idx`` (``d2 = inf`` with one open site)."""
    D = C[:, idx]
    n = C.shape[0]
    if len(idx) == 1:
        return D[:, 0].copy(), np.full(n, idx[0]), np.full(n, np.inf)
    two = np.argpartition(D, 1, axis=1)[:, :2]
    a, b = D[np.arange(n), two[:, 0]], D[np.arange(n), two[:, 1]]
    first = np.where(a <= b, two[:, 0], two[:, 1])
    d1, d2 = np.minimum(a, b), np.maximum(a, b)
    return d1, idx[first], d2


def greedy(C: np.ndarray, w: np.ndarray, p: int, fixed: np.ndarray) -> np.ndarray:
    """Open the fixed sites, then add the site with the largest weighted saving until ``p``.

    A stop signal midway still yields a plan: the sites chosen so far and, to make up ``p``, the
    first closed ones -- every ``p`` sites are a plan of the p-median, and a run stopped in its
    first second has that to report rather than nothing.
    """
    n, m = C.shape
    open_mask = fixed.copy()
    d1 = C[:, open_mask].min(axis=1) if open_mask.any() else np.full(n, np.inf)
    with until_interrupted():
        while open_mask.sum() < p:
            check()
            # total cost after adding j (C is finite, so an empty plan's inf d1 is harmless)
            score = np.where(open_mask, np.inf, w @ np.minimum(C, d1[:, None]))
            j = int(np.argmin(score))
            open_mask[j] = True
            d1 = np.minimum(d1, C[:, j])
    short = p - int(open_mask.sum())
    if short > 0:
        open_mask[np.flatnonzero(~open_mask)[:short]] = True
    return open_mask


def descend(C: np.ndarray, w: np.ndarray, open_mask: np.ndarray, fixed: np.ndarray,
            max_swaps: int = 10_000, *, wC: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """Best-improvement vertex substitution from ``open_mask`` to a local optimum.

    ``wC`` (optional) is ``w[:, None] * C``, computed once by a caller that descends many times.
    With it, each step is five passes over an ``n x m`` array instead of nine (``G`` and ``L``
    share ``min(w_i d_ij, w_i d1_i)``), which is what the step's time is.
    """
    open_mask = open_mask.copy()
    n, m = C.shape
    rows = np.arange(n)
    wC = w[:, None] * C if wC is None else wC
    near, second = np.empty_like(wC), np.empty_like(wC)
    swaps = 0
    with until_interrupted():  # a stop signal: the plan of the swaps done
        while swaps < max_swaps:
            check()
            idx = np.flatnonzero(open_mask)
            d1, n1, d2 = _nearest_two(C, idx)
            cost = float(w @ d1)
            np.minimum(wC, (w * d1)[:, None], out=near)  # w_i min(d_ij, d1_i)
            G = near.sum(axis=0) - cost  # sum_i w_i min(0, d_ij - d1_i)
            wd2 = np.where(np.isfinite(d2), w * d2, np.inf)  # one open site: d2 = inf, and 0 * inf is nan
            np.minimum(wC, wd2[:, None], out=second)
            second -= near  # the bracket of L
            pos = np.searchsorted(idx, n1)
            onehot = sp.csr_matrix((np.ones(n), (pos, rows)), shape=(len(idx), n))
            L = np.asarray(onehot @ second)  # (p, m)
            delta = G[None, :] + L
            delta[:, open_mask] = np.inf
            delta[fixed[idx], :] = np.inf
            if not np.isfinite(delta).any():
                break
            r, j = np.unravel_index(int(np.argmin(delta)), delta.shape)
            # 1e-10: G is a difference of sums as large as the cost; float noise must not cycle
            if not delta[r, j] < -1e-10 * max(abs(cost), 1.0):
                break
            swapped = open_mask.copy()
            swapped[idx[r]] = False
            swapped[j] = True
            open_mask = swapped  # one assignment: an interrupted swap leaves the plan as it was
            swaps += 1
    return open_mask, swaps


def local_search(C: np.ndarray, w: np.ndarray, p: int, fixed: np.ndarray | None = None, *,
                 shakes: int = 30, k_max: int = 3, seconds: float = 2.0, seed: int = 0) -> Plan:
    """Greedy + vertex substitution + a short VNS (``shakes`` perturbations, at most ``seconds``).

    ``C`` must be finite. ``fixed`` sites are open in every plan and never swapped out.
    """
    t0 = time.process_time()  # CPU: a loaded machine must not change the plan much
    m = C.shape[1]
    fixed = np.zeros(m, dtype=bool) if fixed is None else fixed.astype(bool)
    wC = w[:, None] * C
    best, swaps = descend(C, w, greedy(C, w, p, fixed), fixed, wC=wC)
    best_cost = plan_cost(C, w, best)
    rng = np.random.default_rng(seed)
    free_closed = lambda mask: np.flatnonzero(~mask)  # noqa: E731
    k = 1
    with until_interrupted():  # a stop signal: the best plan so far
        for _ in range(shakes):
            check()
            if time.process_time() - t0 > seconds:
                break
            movable = np.flatnonzero(best & ~fixed)
            closed = free_closed(best)
            kk = min(k, len(movable), len(closed))
            if kk == 0:
                break
            trial = best.copy()
            trial[rng.choice(movable, kk, replace=False)] = False
            trial[rng.choice(closed, kk, replace=False)] = True
            trial, s = descend(C, w, trial, fixed, wC=wC)
            swaps += s + kk
            c = plan_cost(C, w, trial)
            if c < best_cost - 1e-12 * max(abs(best_cost), 1.0):
                best, best_cost, k = trial, c, 1
            else:
                k = k + 1 if k < k_max else 1
    return Plan(open=best, cost=best_cost, swaps=swaps)
