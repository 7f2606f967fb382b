r"""Numpy evaluator of the fee-pricing model (independent of Pyomo).

For fees :math:`(f, e, t, g)` -- scalars or arrays that broadcast, e.g. a meshgrid -- it returns
the participation means, the four stage probabilities, the profit of each stage, the expected
profit :math:`U`, the other objectives and the slack of every constraint.

Participation: :math:`E[M](f) = \lambda_M e^{-\alpha_M f}`, :math:`E[N](e) = \lambda_N
e^{-\alpha_N e}` (``alpha = 0``: the seed's price-independent case); ``P(M <= M0)`` from the side's
distribution (Poisson, negative binomial with fixed size r, or a pmf table).

Stages (spec §2), with :math:`m = E[M]`, :math:`n = E[N]`, :math:`\delta_2 = 1` for Models 2-3,
:math:`\delta_3 = 1` for Model 3:

=====  ==============  =======================================================================
stage  condition       profit
=====  ==============  =======================================================================
s1     M<=M0, N<=N0    :math:`-(c_M+R)m - c_N n - F`
s2     M<=M0, N>N0     :math:`n e - (c_M+R)m - c_N n - F + \delta_3(\theta g E[N_s]E[S] - w n)`
s3     M>M0,  N<=N0    :math:`m f - c_M m - R M_0 - c_N n - F + \delta_2(t E[Q]E[P] - o_M m - o_N n)`
s4     M>M0,  N>N0     s3's terms :math:`+\; n e + \delta_3(\theta g E[N_s]E[S] - w n)`
=====  ==============  =======================================================================

:math:`U = \sum_s p_s \cdot \text{profit}_s`. The stage conditions are on the realised counts
and the stage profits use the unconditional means, as the seed prints them (spec §2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from optmodels.pricing.instance import OBJECTIVES, Participation, PricingInstance

STAGES = ("s1", "s2", "s3", "s4")
STAGE_CONDITIONS = {
    "s1": "M<=M0, N<=N0 (early)",
    "s2": "M<=M0, N>N0 (mid, HPs past threshold)",
    "s3": "M>M0, N<=N0 (mid, patients past threshold)",
    "s4": "M>M0, N>N0 (late)",
}


def side_probability(dist: Participation, mean: ArrayLike, threshold: int) -> np.ndarray:
    """``P(X <= threshold)`` for participation means ``mean`` (array), by the side's distribution."""
    mean = np.asarray(mean, dtype=float)
    if dist.kind == "poisson":
        return stats.poisson.cdf(threshold, mean)
    if dist.kind == "negative_binomial":
        r = float(dist.dispersion)
        return stats.nbinom.cdf(threshold, r, r / (r + mean))
    counts = np.asarray(dist.counts)
    probs = np.asarray(dist.probabilities, dtype=float)
    return np.broadcast_to(probs[counts <= threshold].sum() / probs.sum(), mean.shape).copy()


def participation_means(instance: PricingInstance, f: ArrayLike, e: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """``E[M](f)`` and ``E[N](e)``: base means scaled by ``exp(-alpha * fee)``."""
    f = np.asarray(f, dtype=float)
    e = np.asarray(e, dtype=float)
    m = instance.base_mean("M") * np.exp(-instance.alpha_M * f)
    n = instance.base_mean("N") * np.exp(-instance.alpha_N * e)
    return m, n


@dataclass(frozen=True)
class Evaluation:
    """Everything about given fees; arrays share the broadcast shape of the inputs."""

    f: np.ndarray
    e: np.ndarray
    t: np.ndarray
    g: np.ndarray
    EM: np.ndarray
    EN: np.ndarray
    P_M_low: np.ndarray  # P(M <= M0)
    P_N_low: np.ndarray  # P(N <= N0)
    p: np.ndarray  # (4, *shape) stage probabilities
    s: np.ndarray  # (4, *shape) stage profits
    U: np.ndarray  # expected profit
    slack: dict[str, np.ndarray]  # constraint -> slack (>= 0 feasible)

    @property
    def contribution(self) -> np.ndarray:
        """``p_s * profit_s`` per stage; sums to ``U``."""
        return self.p * self.s

    @property
    def participation(self) -> np.ndarray:
        """Expected participants ``E[M] + E[N]``."""
        return self.EM + self.EN

    @property
    def patient_burden(self) -> np.ndarray:
        """Patients' fee burden ``f + t`` (``t = 0`` in Model 1, which has no deposit)."""
        return self.f + self.t

    @property
    def mid(self) -> np.ndarray:
        """Expected profit given the mid stage, ``(p2 s2 + p3 s3) / (p2 + p3)``."""
        w = self.p[1] + self.p[2]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(w > 0, (self.p[1] * self.s[1] + self.p[2] * self.s[2]) / np.where(w > 0, w, 1), 0.5 * (self.s[1] + self.s[2]))

    @property
    def late(self) -> np.ndarray:
        return self.s[3]

    @property
    def feasible(self) -> np.ndarray:
        tol = 1e-9
        ok = np.ones(np.shape(self.U), dtype=bool)
        for value in self.slack.values():
            ok &= value >= -tol
        return ok

    def objective(self, name: str) -> np.ndarray:
        return {"profit": self.U, "patient_burden": self.patient_burden,
                "participation": self.participation}[name]


def evaluate(
    instance: PricingInstance,
    f: ArrayLike,
    e: ArrayLike,
    t: ArrayLike | None = None,
    g: ArrayLike | None = None,
) -> Evaluation:
    """Evaluate the model at fees ``(f, e[, t, g])`` (arrays broadcast together).

    ``t`` and ``g`` default to 0 and are ignored (forced to 0) by variants that lack them.
    """
    v = instance.variant
    f = np.asarray(f, dtype=float)
    e = np.asarray(e, dtype=float)
    t = np.zeros(()) if t is None or v < 2 else np.asarray(t, dtype=float)
    g = np.zeros(()) if g is None or v < 3 else np.asarray(g, dtype=float)
    f, e, t, g = np.broadcast_arrays(f, e, t, g)
    m, n = participation_means(instance, f, e)
    a = side_probability(instance.dist_M, m, instance.M0)
    b = side_probability(instance.dist_N, n, instance.N0)
    p = np.stack([a * b, a * (1 - b), (1 - a) * b, (1 - a) * (1 - b)])

    cM, cN, R, F, M0 = instance.cM, instance.cN, instance.R, instance.F, instance.M0
    s1 = -(cM + R) * m - cN * n - F
    s2 = n * e - (cM + R) * m - cN * n - F
    s3 = m * f - cM * m - R * M0 - cN * n - F
    s4 = m * f + n * e - cM * m - R * M0 - cN * n - F
    if v >= 2:  # offline service once M > M0: deposit revenue, offline costs (stages 3, 4)
        offline = t * instance.EQ * instance.EP - instance.oM * m - instance.oN * n
        s3 = s3 + offline
        s4 = s4 + offline
    if v >= 3:  # data sharing once N > N0: platform share of fees, sharing cost (stages 2, 4)
        sharing = instance.theta * g * instance.ENs * instance.ES - instance.w * n
        s2 = s2 + sharing
        s4 = s4 + sharing
    s = np.stack([s1, s2, s3, s4])
    U = (p * s).sum(axis=0)

    lower, upper = instance.lower_bounds(), instance.upper_bounds()
    values = {"f": f, "e": e, "t": t, "g": g}
    slack: dict[str, np.ndarray] = {}
    for fee in instance.fees:
        slack[f"{fee}_lower"] = values[fee] - lower[fee]
        slack[f"{fee}_upper"] = upper[fee] - values[fee]
    slack["viability"] = U
    return Evaluation(f=f, e=e, t=t, g=g, EM=m, EN=n, P_M_low=a, P_N_low=b, p=p, s=s, U=U, slack=slack)


def marginal_profit(instance: PricingInstance, point: dict[str, float]) -> dict[str, float]:
    """``dU/dx`` at a point for each fee x, by a central difference (exact for linear U).

    With price-independent participation U is linear in every fee and this is the LP's reduced
    cost of the fee's bound; with elasticity it is the local slope.
    """
    h = 1e-6
    out = {}
    for fee in instance.fees:
        hi = dict(point)
        lo = dict(point)
        hi[fee] += h
        lo[fee] -= h
        out[fee] = float((evaluate(instance, **hi).U - evaluate(instance, **lo).U) / (2 * h))
    return out


def fee_lattice(instance: PricingInstance, fee: str, step: float | None = None) -> np.ndarray:
    """The lattice of a fee: multiples of ``step`` inside ``[lower, cap]``, plus the cap itself.

    Multiples of the step (rather than ``lower + k*step``) keep the levels round numbers; the
    strict lower bound (``> cost``) excludes the cost itself, and the cap is always a level so
    that the lattice optimum can sit at the cap as the continuous one may.
    """
    instance.check_lattice(step)  # refuse a lattice too large to build, before allocating it
    step = instance.lattice_step if step is None else step
    lo = instance.lower_bounds()[fee]
    hi = instance.upper_bounds()[fee]
    k0 = int(np.ceil(lo / step - 1e-9))
    k1 = int(np.floor(hi / step + 1e-9))
    levels = np.arange(k0, k1 + 1) * step
    levels = levels[(levels >= lo - 1e-12) & (levels <= hi + 1e-12)]
    if levels.size == 0 or abs(levels[-1] - hi) > 1e-9:
        levels = np.append(levels, hi)
    if levels[0] < lo:
        levels[0] = lo
    return np.round(levels, 12)


def brute_force(instance: PricingInstance, objective: str = "profit", *, step: float | None = None,
                viability: bool = True) -> dict[str, float]:
    """The best lattice point by enumeration (the independent check on the elastic MILP).

    ``f`` and ``e`` range over their lattices (every pair is evaluated). ``t`` and ``g`` are
    continuous; at a given pair U is linear in each, ``U = U0 + Tc t + Gc g`` with ``Tc, Gc >= 0``
    (read off the evaluator), so their best values are closed-form: ``g = g0`` for every
    objective (it raises U and enters no other objective); ``t = t0`` for profit and
    participation; for patient burden ``f + t`` the smallest ``t >= epsilon`` with ``U >= 0``.
    """
    f_axis, e_axis = fee_lattice(instance, "f", step), fee_lattice(instance, "e", step)
    f, e = np.meshgrid(f_axis, e_axis, indexing="ij")
    has_t, has_g = "t" in instance.fees, "g" in instance.fees
    lower, upper = instance.lower_bounds(), instance.upper_bounds()
    g = np.full(f.shape, upper["g"]) if has_g else None
    t = np.full(f.shape, upper["t"]) if has_t else None
    if has_t and objective == "patient_burden":
        u0 = evaluate(instance, f, e, 0.0, g).U
        tc = evaluate(instance, f, e, 1.0, g).U - u0
        with np.errstate(divide="ignore", invalid="ignore"):
            need = np.where(tc > 0, -u0 / np.where(tc > 0, tc, 1.0), np.where(u0 >= 0, -np.inf, np.inf))
        t = np.maximum(lower["t"], need) if viability else np.full(f.shape, lower["t"])
        t = np.where(t <= upper["t"], t, upper["t"])  # infeasible pairs stay infeasible below
    ev = evaluate(instance, f, e, t, g)
    value = ev.objective(objective)
    sense = 1.0 if OBJECTIVES[objective].sense == "max" else -1.0
    ok = ev.feasible if viability else np.ones(f.shape, dtype=bool)
    score = np.where(ok, sense * value, -np.inf)
    idx = np.unravel_index(int(np.argmax(score)), score.shape)
    if not np.isfinite(score[idx]):
        return {"feasible": False, "best_U": float(ev.U.max())}
    out = {"f": float(f[idx]), "e": float(e[idx])}
    if has_t:
        out["t"] = float(ev.t[idx])
    if has_g:
        out["g"] = float(ev.g[idx])
    out.update(objective=float(value[idx]), U=float(ev.U[idx]), feasible=True, pairs=int(f.size))
    return out
