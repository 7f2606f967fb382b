r"""The expected profit on the fee lattice, and the lattice's optimum by vectorised enumeration.

With price-elastic participation the M side depends on ``f`` only and the N side on ``e`` only,
so on the lattice ``f_i`` x ``e_j`` every term of U is a product of an i-factor and a j-factor:

.. math::  U(i, j, t, g) = U_0(i, j) + T_i\,t + G_j\,g,
   \qquad T_i = E[Q]E[P]\,P(M>M_0)(f_i), \quad G_j = \theta E[N_s]E[S]\,P(N>N_0)(e_j),

with :math:`T_i, G_j \ge 0`. :func:`lattice_terms` gives these arrays; the lattice MILP
(:mod:`~optmodels.pricing.formulation`) and :func:`enumerate_lattice` both read them, so the two
methods optimise the same numbers.

**Enumeration** is exact because ``t`` and ``g`` have closed forms at each pair: ``g = g0`` for
every objective (it raises U and enters no other objective); ``t = t0`` for profit and
participation; for patient burden ``f + t`` the smallest ``t >= epsilon`` with ``U >= 0``. So the
optimum is an argmax over the pairs -- numpy arithmetic on ``(rows, J)`` blocks of at most
:data:`BLOCK_PAIRS` pairs, so memory stays bounded (a few tens of MB) whatever the lattice size.

Why enumeration rather than the MILP for a single objective: the MILP has one column per pair
(``y_ij``) and HiGHS must still prove optimality over all of them; enumeration touches each pair
once with a few dozen flops. Measured (docs/pricing.md, benchmark note) it is faster at every
lattice size, by two to four orders of magnitude. The MILP is what the multi-objective front-ends
need: their epsilon constraints couple the objectives (hence the fees), which a per-pair closed
form for ``t`` does not cover.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from optmodels.pricing.evaluate import fee_lattice, participation_means, side_probability
from optmodels.pricing.instance import OBJECTIVES, PricingInstance
from solvers.interrupt import check, until_interrupted

#: Pairs per block of the enumeration (about 20 float arrays of this size live at once).
BLOCK_PAIRS = 1 << 17


def stage_coefficients(instance: PricingInstance, m: np.ndarray, n: np.ndarray) -> dict[str, np.ndarray]:
    """Stage profits as ``K + Af f + Ae e + At t + Ag g`` for given means ``m, n`` (arrays).

    Returns arrays of shape ``(4, *broadcast(m, n).shape)`` keyed ``K, Af, Ae, At, Ag``.
    """
    m, n = np.broadcast_arrays(np.asarray(m, float), np.asarray(n, float))
    d2 = 1.0 if instance.variant >= 2 else 0.0
    d3 = 1.0 if instance.variant >= 3 else 0.0
    cM, cN, R, F, M0 = instance.cM, instance.cN, instance.R, instance.F, instance.M0
    oM = instance.oM or 0.0
    oN = instance.oN or 0.0
    w = instance.w or 0.0
    deposit = d2 * (instance.EQ or 0.0) * (instance.EP or 0.0)
    sharing = d3 * (instance.theta or 0.0) * (instance.ENs or 0.0) * (instance.ES or 0.0)
    zero = np.zeros_like(m)
    K = np.stack([
        -(cM + R) * m - cN * n - F,
        -(cM + R) * m - cN * n - F - d3 * w * n,
        -cM * m - R * M0 - cN * n - F - d2 * (oM * m + oN * n),
        -cM * m - R * M0 - cN * n - F - d2 * (oM * m + oN * n) - d3 * w * n,
    ])
    Af = np.stack([zero, zero, m, m])
    Ae = np.stack([zero, n, zero, n])
    At = np.stack([zero, zero, zero + deposit, zero + deposit])
    Ag = np.stack([zero, zero + sharing, zero, zero + sharing])
    return {"K": K, "Af": Af, "Ae": Ae, "At": At, "Ag": Ag}


def stage_probabilities(instance: PricingInstance, m: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``(4, ...)`` array of p1..p4 for participation means ``m`` (M side) and ``n`` (N side)."""
    a = side_probability(instance.dist_M, m, instance.M0)
    b = side_probability(instance.dist_N, n, instance.N0)
    a, b = np.broadcast_arrays(a, b)
    return np.stack([a * b, a * (1 - b), (1 - a) * b, (1 - a) * (1 - b)])


@dataclass(frozen=True)
class LatticeTerms:
    """``U = U0[i, j] + t_coef[i] t + g_coef[j] g`` on the lattice; ``m[i] = E[M](f_i)``,
    ``n[j] = E[N](e_j)``."""

    U0: np.ndarray
    t_coef: np.ndarray
    g_coef: np.ndarray
    m: np.ndarray
    n: np.ndarray


def lattice_terms(instance: PricingInstance, f_levels: np.ndarray, e_levels: np.ndarray) -> LatticeTerms:
    """The expected profit's terms at every pair of the given fee levels."""
    f_levels = np.asarray(f_levels, float)
    e_levels = np.asarray(e_levels, float)
    m, _ = participation_means(instance, f_levels, 0.0)
    _, n = participation_means(instance, 0.0, e_levels)
    M, N = m[:, None], n[None, :]
    p = stage_probabilities(instance, M, N)  # (4, I, J); side probabilities computed per axis
    c = stage_coefficients(instance, M, N)
    U0 = (p * (c["K"] + c["Af"] * f_levels[:, None] + c["Ae"] * e_levels[None, :])).sum(axis=0)
    t_coef = (p * c["At"]).sum(axis=0)[:, 0]  # P(M>M0) at f_i: the same in every column
    g_coef = (p * c["Ag"]).sum(axis=0)[0, :]  # P(N>N0) at e_j: the same in every row
    return LatticeTerms(U0=U0, t_coef=t_coef, g_coef=g_coef, m=m, n=n)


@dataclass(frozen=True)
class LatticeBest:
    """The outcome of :func:`enumerate_lattice`.

    ``fees`` is ``None`` when no pair was feasible among those enumerated; ``complete`` says
    whether every pair was enumerated (``False``: stopped at the deadline or by a stop signal,
    so the best found is not proven optimal and an empty result proves nothing).
    """

    fees: dict[str, float] | None
    value: float | None
    pairs: int
    enumerated: int
    complete: bool
    interrupted: bool = False  # a stop signal ended the enumeration (else the deadline, if not complete)

    @property
    def feasible(self) -> bool:
        return self.fees is not None


def enumerate_lattice(
    instance: PricingInstance,
    objective: str = "profit",
    *,
    step: float | None = None,
    viability: bool = True,
    deadline: float | None = None,
) -> LatticeBest:
    """The best lattice point for ``objective`` (with ``U >= 0`` unless ``viability=False``).

    ``deadline`` is a ``time.perf_counter()`` value after which no further block is started.
    A stop signal in an interruptible block (:mod:`solvers.interrupt`) ends the enumeration with
    the best pair of the blocks done (``interrupted``). Ties go to the first pair in (f, e) order.
    The value is the closed-form one; callers re-check the fees with the evaluator.
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; expected one of {', '.join(OBJECTIVES)}")
    f_axis, e_axis = fee_lattice(instance, "f", step), fee_lattice(instance, "e", step)
    lower, upper = instance.lower_bounds(), instance.upper_bounds()
    has_t, has_g = "t" in instance.fees, "g" in instance.fees
    g = upper["g"] if has_g else 0.0
    sense = 1.0 if OBJECTIVES[objective].sense == "max" else -1.0
    rows = max(1, BLOCK_PAIRS // len(e_axis))
    best: tuple[float, float, int, int, float] | None = None  # (score, value, i, j, t)
    done = 0
    complete = True
    interrupted = True  # until the loop ends by itself
    with until_interrupted():  # a stop signal: the best pair of the blocks done
        for start in range(0, len(f_axis), rows):
            check()
            if deadline is not None and start > 0 and time.perf_counter() > deadline:
                complete = False
                break
            f = f_axis[start:start + rows]
            lt = lattice_terms(instance, f, e_axis)
            base = lt.U0 + lt.g_coef[None, :] * g
            tc = lt.t_coef[:, None]
            if has_t and objective == "patient_burden":
                if viability:
                    with np.errstate(divide="ignore", invalid="ignore"):
                        need = np.where(tc > 0, -base / np.where(tc > 0, tc, 1.0), np.where(base >= 0, -np.inf, np.inf))
                    t = np.maximum(lower["t"], need)
                    t = np.where(t <= upper["t"], t, upper["t"])  # pairs that need more stay unviable below
                else:
                    t = np.full(base.shape, lower["t"])
            else:
                t = np.full(base.shape, upper["t"] if has_t else 0.0)
            U = base + tc * t
            if objective == "profit":
                value = U
            elif objective == "patient_burden":
                value = f[:, None] + (t if has_t else 0.0)
            else:
                value = lt.m[:, None] + lt.n[None, :]
            value = np.broadcast_to(value, U.shape)
            ok = U >= -1e-9 if viability else np.ones(U.shape, dtype=bool)  # the evaluator's tolerance
            score = np.where(ok, sense * value, -np.inf)
            k = int(np.argmax(score))
            i, j = divmod(k, score.shape[1])
            if np.isfinite(score[i, j]) and (best is None or score[i, j] > best[0]):
                best = (float(score[i, j]), float(value[i, j]), start + i, j, float(t[i, j]))
            done += score.size
        interrupted = False
    pairs = len(f_axis) * len(e_axis)
    complete = complete and not interrupted
    if best is None:
        return LatticeBest(fees=None, value=None, pairs=pairs, enumerated=done, complete=complete,
                           interrupted=interrupted)
    _, value, i, j, t_best = best
    fees = {"f": float(f_axis[i]), "e": float(e_axis[j])}
    if has_t:
        fees["t"] = t_best
    if has_g:
        fees["g"] = float(g)
    return LatticeBest(fees=fees, value=value, pairs=pairs, enumerated=done, complete=complete,
                       interrupted=interrupted)
