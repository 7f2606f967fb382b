r"""Large medical equipment quantity allocation as a MILP (seed 003; spec §1).

Symbols (component names in brackets)
-------------------------------------
=====================  ==========================================================================
:math:`x_{ijk}`        [``x``] 1 if hospital k (in region i) adds one set in year j (sparse: k∈K_i)
:math:`c_{kj}`         [``c``] installed sets, :math:`e0_k + \sum_{j'\le j} x_{r(k)j'k}` (expression)
:math:`s_{ij}`         [``s``] sets in region i, :math:`\sum_{k\in K_i} c_{kj}` (``region_sets``);
                       integer in the full model with the band's lower side (see ``_add_gini``)
:math:`T_j`            [``T``] all sets in year j, :math:`\sum_i s_{ij}` (expression)
:math:`w_{kj}`         [``w``] epigraph of the M/M/c mean number in system :math:`L_{kj}(c_{kj})`
:math:`t_{abj}`        [``t``] :math:`\ge |s_{aj}Y_{bj} - s_{bj}Y_{aj}|` for region pairs a<b
:math:`z_{abj}`        [``z``] sign of that difference (only when the Gini lower bound is active)
:math:`g_j`            [``g``] Gini of year j, exact through the disaggregation of :math:`T_j`
:math:`\beta_{jb}`     [``beta``] bit b of :math:`T_j - T^{lo}_j` (only in ``mean`` mode / equity)
:math:`\omega_{jb}`    [``omega``] :math:`= g_j \beta_{jb}` (McCormick, exact because beta is binary)
=====================  ==========================================================================

Constraints
-----------
- ``budget``: :math:`\sum_{ijk} B_{kj} x_{ijk} \le A`; ``yearly_budget`` per year when given.
- ``demand_coverage``: :math:`\sum_{k\in K_i} N_k c_{kj} \ge D_{ij}` (the seed's constraint made
  dimensionally sound: capacity in exams against demand in exams).
- ``queue_stability``: :math:`c_{kj} \ge \lfloor\lambda_{kj}/\mu_k\rfloor + 1` (M/M/c needs
  :math:`\lambda < c\mu`); written only where the existing sets do not already satisfy it.
- ``max_new``: :math:`\sum_{ik} x_{ijk} \le` ``max_new_per_year`` when given.
- ``waiting_secant``: :math:`w_{kj} \ge L(c) + (L(c+1)-L(c))(c_{kj} - c)` for every consecutive
  pair of reachable counts. :math:`L` is convex decreasing in integer c, so the maximum of the
  secants equals :math:`L` at every integer count -- exact, and no binaries.
- Gini band (population-weighted Gini of equipment per capita, exactly
  :math:`G_j = \sum_{a<b}|s_{aj}Y_{bj} - s_{bj}Y_{aj}| / T_j`):

  - ``gini_abs_pos`` / ``gini_abs_neg``: :math:`t \ge \pm d_{abj}`.
  - lower bound only: ``gini_sign_pos`` / ``gini_sign_neg`` force :math:`t = |d|` with the sign
    binary z and big-M from data (:math:`M^\pm_{ab j} = 2\max \pm d` over the reachable counts).
  - ``each_year`` mode: ``gini_upper`` :math:`\sum t \le hi\,T_j`, ``gini_lower``
    :math:`\sum t \ge lo\,T_j` -- linear because :math:`T_j` multiplies a constant.
  - ``mean`` mode (the seed: the band on :math:`\frac1n\sum_j G_j`) is a sum of ratios. It is
    linearised exactly: :math:`T_j` is an integer in a known range :math:`[T^{lo}_j, T^{hi}_j]`
    (from the forced additions up to what budget, per-year caps and one set per hospital per
    year allow). Disaggregating over its values needs one binary per value -- hundreds at
    provincial scale -- so the values are encoded in binary instead:
    :math:`T_j = T^{lo}_j + \sum_b 2^b\beta_{jb}` (``total_bits``) and
    :math:`\omega_{jb} = g_j\beta_{jb}` (``omega_*``, exact McCormick). Then ``gini_ratio``:
    :math:`\sum t = T^{lo}_j g_j + \sum_b 2^b\omega_{jb}` states :math:`g_j T_j = \sum t`
    exactly (measured: 3x faster than the one-binary-per-value form at 16 x 120 x 5), hence
    :math:`g_j = G_j` when t is exact and :math:`g_j \ge G_j` otherwise; ``gini_mean_upper`` /
    ``gini_mean_lower`` bound :math:`\frac1n\sum_j g_j`.
  - a year that may have no set anywhere (:math:`T^{lo}_j = 0`) has Gini 0 by definition
    (:mod:`optmodels.analysis.gini`): ``gini_empty_year`` :math:`g_j \le T_j` pins
    :math:`g_j = 0` there, and with a yearly lower side above 0 ``nonempty_year``
    :math:`T_j \ge 1` (the linear :math:`\sum t \ge lo\,T_j` alone would accept 0 >= 0).

Objectives (all three are built when asked; exactly one is active)
------------------------------------------------------------------
- ``cost`` (min): :math:`\sum_j [\sum B x + h H \sum_k c_{kj} + b H \sum_k w_{kj}]`, H hours/year.
- ``utilisation`` (min idle capacity): :math:`\sum_j (\sum_k N_k c_{kj} - \sum_i D_{ij})`. With
  demand covered the exams performed are fixed, so the seed's :math:`Z = \sum Q/(N s)` is
  monotone in installed capacity: minimising idle capacity has the same optimal plans; reports
  show Z itself.
- ``equity`` (min): :math:`\frac1n\sum_j g_j`, the mean yearly Gini (needs the disaggregation).
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np
import pyomo.environ as pyo

from optmodels.analysis.queueing import mean_in_system
from optmodels.equipment.instance import OBJECTIVES, EquipmentData, EquipmentInstance
from solvers import gc_paused

__all__ = ["OBJECTIVES", "build", "order_signs", "plan_from_model", "start_from_plan"]


@gc_paused
def build(
    instance: EquipmentInstance,
    *,
    objective: str = "cost",
    objectives: tuple[str, ...] | None = None,
    relax: bool = False,
    gini: str = "full",
    signs: np.ndarray | None = None,
    bounds: Any | None = None,
) -> pyo.ConcreteModel:
    r"""Build the allocation MILP.

    Parameters
    ----------
    objective
        The active objective: ``cost``, ``utilisation`` or ``equity``.
    objectives
        Objectives to build (default: just ``objective``); multi-objective front-ends ask for
        several and switch between them. ``equity`` pulls in the Gini disaggregation.
    relax
        Continuous x in [0, 1] (the LP relaxation, a bound on the MILP).
    gini
        ``full`` (the band as stated), ``upper`` (only its convex upper side; no sign binaries),
        ``none``, or ``ordered``. ``upper`` and ``none`` are relaxations; ``ordered`` is a
        restriction (every plan it allows satisfies the band) with no sign or ratio binaries:
        each pair's sign is fixed to ``signs[pair, j]`` (+1/-1, see :func:`order_signs`) and,
        because :math:`\sum|d| \ge \sum \sigma d`, the lower side becomes the linear
        ``gini_lower_ordered`` :math:`\sum_{a<b}\sigma_{abj} d_{abj} \ge lo\,T_j`; the upper
        side is imposed on every year (``gini_upper``), which in ``mean`` mode also restricts.
        :func:`optmodels.equipment.solve.solve_instance` uses the relaxations to skip the band
        when it does not bind and the restriction to find a starting plan when it does.
    signs
        With ``gini="ordered"``: an array (pairs in ``combinations(regions, 2)`` order x years).
    bounds
        Optional integer bounds on the region totals and yearly totals (an object with arrays
        ``s_lo, s_hi`` (m x n) and ``T_lo, T_hi`` (n), e.g.
        :func:`optmodels.equipment.tighten.region_bounds`). They narrow the ranges the Gini
        block derives its big-M values, fixed signs and binary expansion from; the caller
        guarantees that they hold at an optimum.
    """
    if gini not in ("full", "upper", "none", "ordered"):
        raise ValueError(f"gini must be full, upper, none or ordered, found {gini!r}")
    if gini == "ordered" and signs is None:
        raise ValueError("gini='ordered' needs the pair signs (see order_signs)")
    wanted = tuple(objectives) if objectives else (objective,)
    for name in (*wanted, objective):
        if name not in OBJECTIVES:
            raise ValueError(f"unknown objective {name!r}; expected one of {sorted(OBJECTIVES)}")
    if objective not in wanted:
        wanted = (*wanted, objective)
    d = instance.data
    model = pyo.ConcreteModel(name=f"equipment[{instance.name}]")
    model.data = d  # the arrays the model was built from, for reports (not a Pyomo component)
    _add_sets(model, d)
    _add_allocation(model, d, relax)
    _add_budget(model, d)
    _add_demand_coverage(model, d)
    _add_queue_stability(model, d)
    _add_max_new(model, d)
    if gini == "ordered":
        _add_gini(model, d, exact_ratio="equity" in wanted, relax=relax, lower=False, band=False,
                  bounds=bounds)
        _add_ordered_band(model, d, np.asarray(signs, dtype=float))
    elif gini != "none" or "equity" in wanted:
        need_ratio = d.gini_mode == "mean" or "equity" in wanted
        _add_gini(model, d, exact_ratio=need_ratio, relax=relax, lower=gini == "full",
                  band=gini != "none", bounds=bounds)
    if "cost" in wanted:
        _add_waiting_epigraph(model, d)
    _add_objectives(model, d, wanted, objective)
    return model


# ----------------------------------------------------------------------------------------------
def _add_sets(model: pyo.ConcreteModel, d: EquipmentData) -> None:
    n = d.n_years
    model.I = pyo.Set(initialize=range(d.n_regions), doc="regions i (positions in instance order)")
    model.J = pyo.Set(initialize=range(n), doc="years j (positions 0..n-1)")
    model.K = pyo.Set(initialize=range(d.n_hospitals), doc="hospitals k")
    idx = [(int(d.region_of[k]), j, k) for k in range(d.n_hospitals) for j in range(n)]
    model.IJK = pyo.Set(initialize=idx, dimen=3, doc="sparse (i, j, k) with k in K_i")
    model.PAIRS = pyo.Set(
        initialize=list(combinations(range(d.n_regions), 2)), dimen=2, doc="region pairs a < b"
    )


def _add_allocation(model: pyo.ConcreteModel, d: EquipmentData, relax: bool) -> None:
    domain = pyo.UnitInterval if relax else pyo.Binary
    model.x = pyo.Var(model.IJK, domain=domain, doc="hospital k in region i adds one set in year j")
    region_of = d.region_of

    def c_rule(model, k, j):
        i = int(region_of[k])
        return d.e0[k] + sum(model.x[i, jj, k] for jj in range(j + 1))

    model.c = pyo.Expression(model.K, model.J, rule=c_rule, doc="installed sets c[k, j]")
    members = [np.flatnonzero(region_of == i) for i in range(d.n_regions)]
    # s is a variable with a defining row rather than an expression: every Gini pair refers to
    # two regions' totals, and inlining those sums would multiply the model's nonzeros by the
    # region size. HiGHS's presolve substitutes it back at no cost.
    model.s = pyo.Var(model.I, model.J, domain=pyo.NonNegativeReals, doc="sets in region i in year j")
    model.region_sets = pyo.Constraint(
        model.I, model.J,
        rule=lambda model, i, j: model.s[i, j] == sum(model.c[int(k), j] for k in members[i]),
        doc="s[i, j] = sum of c[k, j] over the region's hospitals",
    )
    model.T = pyo.Expression(
        model.J, rule=lambda model, j: sum(model.s[i, j] for i in model.I), doc="all sets in year j"
    )


def _add_budget(model: pyo.ConcreteModel, d: EquipmentData) -> None:
    model.budget = pyo.Constraint(
        expr=sum(d.price[k, j] * model.x[i, j, k] for (i, j, k) in model.IJK) <= d.budget,
        doc="total purchases within the budget A",
    )
    if d.yearly_budget is not None:
        model.yearly_budget = pyo.Constraint(
            model.J,
            rule=lambda model, j: sum(d.price[k, j] * model.x[int(d.region_of[k]), j, k] for k in model.K)
            <= d.yearly_budget[j],
            doc="purchases of year j within that year's budget",
        )


def _add_demand_coverage(model: pyo.ConcreteModel, d: EquipmentData) -> None:
    members = [np.flatnonzero(d.region_of == i) for i in range(d.n_regions)]

    def rule(model, i, j):
        if d.demand[i, j] <= 0:
            return pyo.Constraint.Skip
        return sum(d.cap[k] * model.c[int(k), j] for k in members[i]) >= d.demand[i, j]

    model.demand_coverage = pyo.Constraint(
        model.I, model.J, rule=rule, doc="region i can examine its annual demand in year j"
    )


def _add_queue_stability(model: pyo.ConcreteModel, d: EquipmentData) -> None:
    rows = [(k, j) for k, j in np.argwhere(d.c_min > d.e0[:, None])]
    model.STAB = pyo.Set(initialize=[(int(k), int(j)) for k, j in rows], dimen=2)
    model.queue_stability = pyo.Constraint(
        model.STAB,
        rule=lambda model, k, j: model.c[k, j] >= d.c_min[k, j],
        doc="M/M/c stability: c[k, j] >= floor(lambda/mu) + 1",
    )


def _add_max_new(model: pyo.ConcreteModel, d: EquipmentData) -> None:
    if d.max_new_per_year is None:
        return
    model.max_new = pyo.Constraint(
        model.J,
        rule=lambda model, j: sum(model.x[int(d.region_of[k]), j, k] for k in model.K)
        <= d.max_new_per_year,
        doc="sets added in year j across all hospitals",
    )


def count_range(d: EquipmentData) -> tuple[np.ndarray, np.ndarray]:
    """Reachable installed counts per (k, j): from the stability minimum to one set a year,
    cut by the budget (``floor(A / cheapest price)`` sets at most) and the yearly caps."""
    n = d.n_years
    lo = d.e0[:, None] + d.required_additions()
    hi = d.e0[:, None] + np.arange(1, n + 1)[None, :]
    return lo, hi


def total_range(d: EquipmentData) -> tuple[np.ndarray, np.ndarray]:
    """Reachable totals T_j: existing + forced additions .. existing + allowed additions."""
    n = d.n_years
    lo = d.e0.sum() + d.required_additions().sum(axis=0)
    per_year = np.full(n, d.n_hospitals, dtype=float)
    if d.max_new_per_year is not None:
        per_year = np.minimum(per_year, d.max_new_per_year)
    cum = np.cumsum(per_year)
    cheapest = d.price.min()
    cum = np.minimum(cum, np.floor(d.budget / cheapest + 1e-9))
    if d.yearly_budget is not None:
        cum = np.minimum(cum, np.cumsum(np.floor(d.yearly_budget / cheapest + 1e-9)))
    hi = d.e0.sum() + cum
    return lo.astype(int), np.maximum(hi, lo).astype(int)


def _add_gini(
    model: pyo.ConcreteModel, d: EquipmentData, *, exact_ratio: bool, relax: bool, lower: bool, band: bool,
    bounds: Any | None = None,
) -> None:
    Y = d.shares
    n = d.n_years
    lo_k, hi_k = count_range(d)
    s_lo = np.zeros((d.n_regions, n))
    s_hi = np.zeros((d.n_regions, n))
    np.add.at(s_lo, d.region_of, lo_k)
    np.add.at(s_hi, d.region_of, hi_k)
    T_lo, T_hi = total_range(d)
    s_hi = np.minimum(s_hi, s_lo + (T_hi - T_lo)[None, :])  # no region gains more than all adds
    if bounds is not None:
        s_lo = np.maximum(s_lo, bounds.s_lo)
        s_hi = np.maximum(np.minimum(s_hi, bounds.s_hi), s_lo)
        T_lo = np.maximum(T_lo, bounds.T_lo).astype(int)
        T_hi = np.maximum(np.minimum(T_hi, bounds.T_hi), T_lo).astype(int)
        for (i, j), var in model.s.items():
            var.setlb(float(s_lo[i, j]))
            var.setub(float(s_hi[i, j]))
    model.total_lo = T_lo  # the offset of the binary expansion (start_from_plan needs it)

    def diff(model, a, b, j):
        return model.s[a, j] * Y[b, j] - model.s[b, j] * Y[a, j]

    model.d = pyo.Expression(model.PAIRS, model.J, rule=diff, doc="s_a Y_b - s_b Y_a")
    model.t = pyo.Var(model.PAIRS, model.J, domain=pyo.NonNegativeReals, doc="|s_a Y_b - s_b Y_a|")
    model.gini_abs_pos = pyo.Constraint(
        model.PAIRS, model.J, rule=lambda model, a, b, j: model.t[a, b, j] >= model.d[a, b, j]
    )
    model.gini_abs_neg = pyo.Constraint(
        model.PAIRS, model.J, rule=lambda model, a, b, j: model.t[a, b, j] >= -model.d[a, b, j]
    )
    lower = lower and band and d.gini_lo is not None and d.gini_lo > 0
    if lower and not relax:
        # s_ij = sum of integer counts is integral at every integer x, so declaring it integer
        # removes no plan (exact). It gives HiGHS integer region totals to branch on and cut
        # with next to the sign binaries. Measured on the full model from the lazy start: 8 x 60
        # x 5 seed 0, 60 s: incumbent 446.1835 / bound 444.7374 against 447.8185 / 444.6474 with
        # s continuous; 16 x 120 x 5 seed 1, 120 s: bound 998.8890 either way, incumbent 1005.1808
        # against 1004.6649 (HiGHS's search path changes with the model); 31 x 300 x 5 seed 1, 240 s:
        # nothing moved. T_j integer as well gained nothing (docs/equipment.md).
        for var in model.s.values():
            var.domain = pyo.NonNegativeIntegers
    if lower:
        # Largest attainable +d and -d from the reachable region counts (data-derived big-M).
        dmax = {}
        for a, b in model.PAIRS:
            for j in range(n):
                up = s_hi[a, j] * Y[b, j] - s_lo[b, j] * Y[a, j]
                dn = s_hi[b, j] * Y[a, j] - s_lo[a, j] * Y[b, j]
                dmax[a, b, j] = (max(up, 0.0), max(dn, 0.0))
        # Pairs whose difference cannot change sign over the reachable counts need no binary:
        # z is fixed, and the big-M term of the impossible side vanishes.
        model.z = pyo.Var(
            model.PAIRS, model.J, domain=pyo.UnitInterval if relax else pyo.Binary,
            doc="1 if s_a Y_b >= s_b Y_a",
        )
        for key, (up, dn) in dmax.items():
            if dn == 0.0:
                model.z[key].fix(1)
            elif up == 0.0:
                model.z[key].fix(0)
        # z = 1: t <= d (so t = d >= 0); z = 0: t <= -d. The other side is relaxed by 2*max.
        model.gini_sign_pos = pyo.Constraint(
            model.PAIRS, model.J,
            rule=lambda model, a, b, j: model.t[a, b, j]
            <= model.d[a, b, j] + 2 * dmax[a, b, j][1] * (1 - model.z[a, b, j]),
        )
        model.gini_sign_neg = pyo.Constraint(
            model.PAIRS, model.J,
            rule=lambda model, a, b, j: model.t[a, b, j]
            <= -model.d[a, b, j] + 2 * dmax[a, b, j][0] * model.z[a, b, j],
        )

    def pair_sum(model, j):
        return sum(model.t[a, b, j] for a, b in model.PAIRS)

    if d.gini_mode == "each_year" and band:
        model.gini_upper = pyo.Constraint(
            model.J, rule=lambda model, j: pair_sum(model, j) <= d.gini_hi * model.T[j],
            doc="Gini of year j <= hi",
        )
        if lower:
            model.gini_lower = pyo.Constraint(
                model.J, rule=lambda model, j: pair_sum(model, j) >= d.gini_lo * model.T[j],
                doc="Gini of year j >= lo",
            )
            _add_nonempty_years(model, T_lo)
    if not exact_ratio:
        return
    # T_j = T_lo_j + sum_b 2^b beta_jb: a binary expansion of the reachable totals (log-many
    # binaries rather than one per value), and omega_jb = g_j * beta_jb exactly (McCormick with a
    # binary factor), so that g_j * T_j = g_j * T_lo_j + sum_b 2^b omega_jb is linear.
    width = {j: max(int(T_hi[j] - T_lo[j]), 0).bit_length() for j in range(n)}
    model.JB = pyo.Set(initialize=[(j, b) for j in range(n) for b in range(width[j])], dimen=2)
    model.g = pyo.Var(model.J, bounds=(0, 1), doc="Gini of year j")
    model.beta = pyo.Var(model.JB, domain=pyo.UnitInterval if relax else pyo.Binary,
                         doc="bit b of T_j - T_lo_j")
    model.omega = pyo.Var(model.JB, bounds=(0, 1), doc="g_j * beta_jb")
    model.total_bits = pyo.Constraint(
        model.J,
        rule=lambda model, j: model.T[j]
        == int(T_lo[j]) + sum(2**b * model.beta[j, b] for b in range(width[j])),
        doc="binary expansion of T_j",
    )
    model.omega_beta = pyo.Constraint(model.JB, rule=lambda model, j, b: model.omega[j, b] <= model.beta[j, b])
    model.omega_g = pyo.Constraint(model.JB, rule=lambda model, j, b: model.omega[j, b] <= model.g[j])
    model.omega_gbeta = pyo.Constraint(
        model.JB, rule=lambda model, j, b: model.omega[j, b] >= model.g[j] - (1 - model.beta[j, b])
    )
    model.gini_ratio = pyo.Constraint(
        model.J,
        rule=lambda model, j: pair_sum(model, j)
        == int(T_lo[j]) * model.g[j] + sum(2**b * model.omega[j, b] for b in range(width[j])),
        doc="g_j * T_j = sum of |differences|",
    )
    # A year that may have no set anywhere (T_lo = 0): there g_j * 0 = 0 leaves g_j free, but its
    # Gini is defined as 0 (optmodels.analysis.gini). T_j is a non-negative integer and g_j <= 1,
    # so g_j <= T_j pins g_j = 0 at T_j = 0 and is slack otherwise.
    model.gini_empty_year = pyo.Constraint(
        [j for j in range(n) if T_lo[j] == 0],
        rule=lambda model, j: model.g[j] <= model.T[j],
        doc="g_j = 0 in a year with no set anywhere",
    )
    if d.gini_mode == "mean" and band:
        model.gini_mean_upper = pyo.Constraint(
            expr=sum(model.g[j] for j in model.J) <= n * d.gini_hi, doc="mean Gini <= hi"
        )
        if lower:
            model.gini_mean_lower = pyo.Constraint(
                expr=sum(model.g[j] for j in model.J) >= n * d.gini_lo, doc="mean Gini >= lo"
            )


def order_signs(d: EquipmentData, region_sets: np.ndarray) -> np.ndarray:
    """Signs of :math:`s_a Y_b - s_b Y_a` for every pair (rows, ``combinations`` order) and year,
    +1 where region a has at least b's equipment per capita, else -1."""
    pairs = list(combinations(range(d.n_regions), 2))
    a = np.array([p[0] for p in pairs], dtype=int)
    b = np.array([p[1] for p in pairs], dtype=int)
    Y = d.shares
    diff = region_sets[a] * Y[b] - region_sets[b] * Y[a]
    return np.where(diff >= 0, 1.0, -1.0)


def _add_ordered_band(model: pyo.ConcreteModel, d: EquipmentData, signs: np.ndarray) -> None:
    pairs = list(combinations(range(d.n_regions), 2))
    if signs.shape != (len(pairs), d.n_years):
        raise ValueError(f"signs must be {len(pairs)} x {d.n_years}, found {signs.shape}")
    sign = {(a, b, j): signs[r, j] for r, (a, b) in enumerate(pairs) for j in range(d.n_years)}
    model.gini_upper = pyo.Constraint(
        model.J,
        rule=lambda model, j: sum(model.t[a, b, j] for a, b in model.PAIRS) <= d.gini_hi * model.T[j],
        doc="Gini of year j <= hi (every year: a restriction of the mean-mode band)",
    )
    if d.gini_lo is not None and d.gini_lo > 0:
        model.gini_lower_ordered = pyo.Constraint(
            model.J,
            rule=lambda model, j: sum(sign[a, b, j] * model.d[a, b, j] for a, b in model.PAIRS)
            >= d.gini_lo * model.T[j],
            doc="sum of sign * difference >= lo * T_j (implies Gini of year j >= lo)",
        )
        _add_nonempty_years(model, total_range(d)[0])


def _add_nonempty_years(model: pyo.ConcreteModel, T_lo: np.ndarray) -> None:
    r"""A yearly Gini lower side above 0 excludes a year with no set anywhere: its Gini is
    defined as 0, while the linear form :math:`\sum t \ge lo\,T_j` would read 0 >= 0."""
    model.nonempty_year = pyo.Constraint(
        [j for j in range(len(T_lo)) if T_lo[j] == 0],
        rule=lambda model, j: model.T[j] >= 1,
        doc="at least one set somewhere in year j (Gini of year j >= lo > 0)",
    )


def start_from_plan(model: pyo.ConcreteModel, x: np.ndarray) -> None:
    """Write plan ``x`` (K x n) into the model's integer variables (x, the region totals s, and
    z / beta where the model has them) so that it can be handed to HiGHS as a MIP start."""
    d: EquipmentData = model.data
    for (_i, j, k), var in model.x.items():
        var.set_value(float(round(x[k, j])))
    c = d.e0[:, None] + np.cumsum(np.round(x), axis=1)
    s = np.zeros((d.n_regions, d.n_years))
    np.add.at(s, d.region_of, c)
    for (i, j), var in model.s.items():
        var.set_value(float(s[i, j]), skip_validation=True)
    if hasattr(model, "z"):
        signs = order_signs(d, s)
        for r, (a, b) in enumerate(combinations(range(d.n_regions), 2)):
            for j in range(d.n_years):
                if not model.z[a, b, j].fixed:
                    model.z[a, b, j].set_value(1.0 if signs[r, j] > 0 else 0.0)
    if hasattr(model, "beta"):
        T_lo = getattr(model, "total_lo", None)
        if T_lo is None:
            T_lo, _ = total_range(d)
        T = s.sum(axis=0)
        for j, b in model.JB:
            model.beta[j, b].set_value(float((int(T[j] - T_lo[j]) >> b) & 1))


def _add_waiting_epigraph(model: pyo.ConcreteModel, d: EquipmentData) -> None:
    lo, hi = count_range(d)
    cuts = []  # (k, j, c, L(c), slope)
    fixed = {}  # (k, j) -> L at the only reachable count
    for k, j in np.argwhere(d.lam > 0):
        cs = np.arange(int(lo[k, j]), int(hi[k, j]) + 1)
        L = mean_in_system(d.lam[k, j], d.mu[k], cs)
        if len(cs) == 1:
            fixed[int(k), int(j)] = float(L[0])
        for c, l0, l1 in zip(cs[:-1], L[:-1], L[1:], strict=True):
            cuts.append((int(k), int(j), int(c), float(l0), float(l1 - l0)))
    keys = sorted({(k, j) for k, j, *_ in cuts} | set(fixed))
    model.KJ_Q = pyo.Set(initialize=keys, dimen=2, doc="(k, j) with demand: queues to cost")
    model.w = pyo.Var(
        model.KJ_Q, domain=pyo.NonNegativeReals,
        bounds=lambda model, k, j: (fixed.get((k, j), 0.0), None),
        doc="mean number in system L(c[k, j])",
    )
    model.CUTS = pyo.Set(initialize=[(k, j, c) for k, j, c, _, _ in cuts], dimen=3)
    table = {(k, j, c): (l0, slope) for k, j, c, l0, slope in cuts}
    model.waiting_secant = pyo.Constraint(
        model.CUTS,
        rule=lambda model, k, j, c: model.w[k, j]
        >= table[k, j, c][0] + table[k, j, c][1] * (model.c[k, j] - c),
        doc="secant of L between c and c+1 (exact at integer counts)",
    )


def _add_objectives(model: pyo.ConcreteModel, d: EquipmentData, wanted: tuple[str, ...], active: str) -> None:
    H = d.hours
    if "cost" in wanted:
        purchases = sum(d.price[k, j] * model.x[i, j, k] for (i, j, k) in model.IJK)
        running = d.h * H * sum(model.c[k, j] for k in model.K for j in model.J)
        waiting = d.b * H * sum(model.w[k, j] for k, j in model.KJ_Q)
        model.cost = pyo.Objective(expr=purchases + running + waiting, sense=pyo.minimize,
                                   doc="purchases + running cost + waiting loss over the horizon")
    if "utilisation" in wanted:
        idle = sum(d.cap[k] * model.c[k, j] for k in model.K for j in model.J) - float(d.demand.sum())
        model.utilisation = pyo.Objective(expr=idle, sense=pyo.minimize,
                                          doc="idle capacity (stand-in for max Z; same optimal plans)")
    if "equity" in wanted:
        model.equity = pyo.Objective(expr=sum(model.g[j] for j in model.J) / d.n_years,
                                     sense=pyo.minimize, doc="mean yearly Gini")
    for name in wanted:
        model.component(name).deactivate()
    model.component(active).activate()


def plan_from_model(model: pyo.ConcreteModel) -> np.ndarray:
    """The (K, n) 0/1 addition matrix held in the model's x values."""
    d: EquipmentData = model.data
    x = np.zeros((d.n_hospitals, d.n_years))
    for (_i, j, k), var in model.x.items():
        x[k, j] = 0.0 if var.value is None else var.value
    return np.round(x, 6)
