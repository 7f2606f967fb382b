r"""Location models as Pyomo MILPs, built in bulk over sparse pair sets.

Symbols
-------
======================  =========================================================================
``I``, ``J``            demand points ``i = 0..n-1``, candidate sites ``j = 0..m-1`` (instance order)
``P``                   the pair set: ``k = 0..K-1`` stands for the pair ``(i_k, j_k)`` with a finite
                        cost (within ``cutoff``; within the radius ``S`` for capacitated coverage)
``w_i``                 population (weight) of demand point ``i``
``d_ij`` (``d_k``)      travel cost
``f_j``, ``cap_j``      fixed cost of opening, capacity of site ``j``
``s_j``                 saving when an existing closable site is closed
``S``                   service radius; ``N_i = {j : d_ij <= S}`` the sites covering ``i``
``p``, ``B``            number of open sites (existing included), budget
``y_j`` in {0,1}        site ``j`` open (fixed to 1 for existing, non-closable sites)
``x_k`` in [0,1]        share of demand ``i_k`` served by site ``j_k`` (binary when single-source)
``z_c`` in [0,1]        the demand with cover set ``N_c`` covered (MCLP; points with equal ``N_i``
                        share one ``z``, weight ``W_c`` = their summed ``w_i``; per point ``z_i``
                        when capacitated); ``u_i`` in [0,1] demand ``i`` covered twice (LSCP-B)
``D``                   the largest assigned distance (p-center); ``delta`` the smallest
                        distance between two open sites (p-dispersion)
======================  =========================================================================

Named objectives (``OBJECTIVES``, each an ``Objective`` component of that name; only the selected
one is active)::

    cost            min  sum_{j new} f_j y_j - sum_{j closable} s_j (1 - y_j)
    n_facilities    min  sum_j y_j
    distance        min  sum_k w_{i_k} d_k x_k                      (p-median)
    max_distance    min  D                                          (p-center)
    coverage        max  sum_c W_c z_c                              (MCLP)
    backup_coverage max  sum_i w_i u_i                              (LSCP-B)
    separation      max  delta                                      (p-dispersion)
    total_cost      min  cost + c * distance                        (CFLP; c = cost_per_distance)

Models (``build(instance, model=...)``)::

    lscp          min cost      s.t.  sum_{j in N_i} y_j >= 1                   (demand_coverage)
                  capacitated: sum_{k in P_i, d_k<=S} x_k = 1, x_k <= y_j, sum_i w_i x_ij <= cap_j y_j
    lscp_b        max backup    s.t.  sum_{j in N_i} y_j >= 1 + u_i, sum_j y_j = p
    mclp          max coverage  s.t.  z_c <= sum_{j in N_c} y_j, sum_j y_j = p and/or cost <= B
                  capacitated: z_i = sum_{k in P_i, d_k<=S} x_k (<= 1), x_k <= y_j, capacity
    p_median      min distance  s.t.  sum_{k in P_i} x_k = 1 (assignment), x_k <= y_{j_k}
                  (open_link), sum_j y_j = p; + capacity (single-source: x binary)
    p_center      min D         s.t.  assignment, open_link, sum_k d_k x_k <= D for each i, p
    p_dispersion  max delta     s.t.  delta <= d_jl + M (2 - y_j - y_l) for j < l, sum_j y_j = p
    cflp          min total_cost s.t. assignment, open_link, capacity

Why continuous ``x`` for the uncapacitated models: for a fixed open set the best assignment sends
each demand point wholly to its nearest open site, so the LP in ``x`` has an integral optimum and
``x in [0,1]`` is exact -- with far fewer integers for branch-and-bound. ``z`` and ``u`` are
continuous for the same reason (maximised, bounded by integer sums and by 1). Capacity makes
split assignment optimal, so ``assignment: single`` makes ``x`` binary.

Objectives other than the model's own are added on request (``objectives=[...]``) together with
the variables they need; those additions never restrict the model (``D`` and ``z`` are free to
follow the assignment), so a multi-objective front-end can trade them off on one model.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression

from optmodels.errors import InstanceError
from optmodels.resources import check_memory
from optmodels.siting.data.instance import SitingInstance
from optmodels.siting.models import (
    LOCATION_MODELS,
    LOCATION_OBJECTIVES,
    MODEL_SPECS,
    NATIVE,
    budget_binds,
    capacities_bind,
    p_fixes_count,
)
from optmodels.siting.models import OBJECTIVES as _OBJECTIVES
from solvers import gc_paused

__all__ = ["LOCATION_MODELS", "NATIVE", "OBJECTIVES", "build", "decode"]

#: peak bytes per assignment variable of a built and compiled model (Pyomo components, the
#: standard-form matrices, HiGHS's copy): 0.95 kB to build and 1.1 kB to compile, measured on a
#: 2000 x 200 CFLP (400,000 pairs)
MODEL_BYTES_PER_PAIR = 2100

#: every named objective of the location models and its sense (from the family's one table)
OBJECTIVES: dict[str, str] = {name: _OBJECTIVES[name].sense for name in LOCATION_OBJECTIVES}


@gc_paused
def build(
    instance: SitingInstance,
    *,
    model: str | None = None,
    objective: str | None = None,
    objectives: Iterable[str] = (),
    relax: bool = False,
) -> pyo.ConcreteModel:
    """Build the location model named ``model`` (default: the instance's) as a Pyomo model.

    Parameters
    ----------
    instance
        a validated :class:`SitingInstance`.
    model
        one of :data:`LOCATION_MODELS`; the equity models live in :mod:`optmodels.siting.access.equity`.
    objective
        the objective to activate (default: the model's own, :data:`NATIVE`).
    objectives
        further named objectives to add (inactive unless selected), with what they need.
    relax
        continuous ``y`` and ``x`` (the LP relaxation; bounds the MIP).
    """
    name = model or instance.model
    if name not in NATIVE:
        raise ValueError(f"unknown location model {name!r}; expected one of {', '.join(NATIVE)}")
    if name != instance.model:
        instance = instance.with_changes(name)  # re-validates the parameters for this model
    par = instance.parameters
    wanted = {NATIVE[name], *objectives}
    if objective is not None:
        wanted.add(objective)
    unknown = wanted - set(OBJECTIVES)
    if unknown:
        raise ValueError(f"unknown objective(s) {sorted(unknown)}; expected {', '.join(OBJECTIVES)}")

    mdl = pyo.ConcreteModel(name=f"siting_{name}")
    mdl._instance = instance  # noqa: SLF001 - read by decode(); not a Pyomo component
    mdl._model_name = name
    _add_sites(mdl, instance, relax)

    spec = MODEL_SPECS[name]
    capacitated = capacities_bind(name, par.capacitated)
    binary_x = capacitated and par.assignment == "single" and not relax
    if spec.assigns:
        _add_assignment(mdl, instance, limit=None, equality=True, binary=binary_x, capacity=capacitated,
                        p=par.p if spec.fixed_p else None)
    elif spec.covers and capacitated:
        _add_assignment(
            mdl, instance, limit=par.radius, equality=(name == "lscp"), binary=binary_x, capacity=True
        )
    if name == "lscp" and not capacitated:
        _add_demand_coverage(mdl, instance, par.radius)
    if name == "lscp_b":
        _add_backup_coverage(mdl, instance, par.radius)
    if name == "mclp" or "coverage" in wanted:
        _add_coverage(mdl, instance, par.radius, via_assignment=(name == "mclp" and capacitated))
    if "backup_coverage" in wanted and name != "lscp_b":
        if par.radius is None:
            raise InstanceError(
                "the backup_coverage objective needs a service radius",
                field="parameters.radius", expected="a radius S > 0 (or --radius)", found="none",
            )
        _add_backup_indicator(mdl, instance, par.radius, relax)
    if ("distance" in wanted or "total_cost" in wanted) and not hasattr(mdl, "x"):
        _add_assignment(mdl, instance, limit=None, equality=True, binary=False, capacity=False)
    if "max_distance" in wanted:
        if not hasattr(mdl, "x"):
            _add_assignment(mdl, instance, limit=None, equality=True, binary=False, capacity=False)
        _add_max_distance(mdl)
    if name == "p_dispersion" or "separation" in wanted:
        _add_separation(mdl, instance)

    if p_fixes_count(name, par.p):
        _add_facility_count(mdl, par.p)
    elif name == "lscp_b":
        raise InstanceError(
            "lscp_b needs p (the LSCP optimum); solve lscp first or give parameters.p",
            field="parameters.p", expected="the number of open sites", found="none",
        )
    if budget_binds(name, par.budget):
        _add_budget(mdl, par.budget)

    _add_objectives(mdl, instance, wanted, active=objective or NATIVE[name])
    return mdl


# --------------------------------------------------------------------------------------------
# blocks
# --------------------------------------------------------------------------------------------


def _add_sites(mdl: pyo.ConcreteModel, inst: SitingInstance, relax: bool) -> None:
    mdl.I = pyo.RangeSet(0, inst.n_demand - 1, doc="demand points (instance order)")
    mdl.J = pyo.RangeSet(0, inst.n_sites - 1, doc="candidate sites (instance order)")
    mdl.y = pyo.Var(
        mdl.J,
        domain=pyo.UnitInterval if relax else pyo.Binary,
        doc="1 if site j is open (existing non-closable sites fixed to 1)",
    )
    for j in np.flatnonzero(inst.fixed_open()):
        mdl.y[int(j)].fix(1)


def _add_facility_count(mdl: pyo.ConcreteModel, p: int) -> None:
    mdl.p = pyo.Param(initialize=p, doc="number of open sites, existing included")
    mdl.facility_count = pyo.Constraint(
        expr=sum(mdl.y[j] for j in mdl.J) == mdl.p, doc="exactly p sites open"
    )


def _cost_expr(mdl: pyo.ConcreteModel, inst: SitingInstance):
    f = inst.fixed_costs()
    new = ~inst.existing()
    closable = inst.closable()
    s = inst.closing_savings()
    terms = [float(f[j]) * mdl.y[int(j)] for j in np.flatnonzero(new & (f != 0))]
    terms += [-float(s[j]) * (1 - mdl.y[int(j)]) for j in np.flatnonzero(closable & (s != 0))]
    return sum(terms) if terms else 0.0 * mdl.y[0]


def _add_budget(mdl: pyo.ConcreteModel, budget: float) -> None:
    mdl.B = pyo.Param(initialize=budget, doc="budget on the cost of opened sites")
    mdl.budget = pyo.Constraint(expr=_cost_expr(mdl, mdl._instance) <= mdl.B, doc="cost within budget")


def _linear(coefs, variables) -> LinearExpression:
    """``sum_k coefs[k] * variables[k]`` built directly (no operator overloading per term)."""
    return LinearExpression(constant=0.0, linear_coefs=list(coefs), linear_vars=list(variables))


def nearest_useful_pairs(inst: SitingInstance, I_k: np.ndarray, J_k: np.ndarray, d_k: np.ndarray, p: int | None) -> np.ndarray:
    """Mask of the pairs an *uncapacitated* model can ever use (exact reduction).

    Each demand point is served by its nearest open site, so a pair ``(i, j)`` is useless when
    (a) a site that is always open (existing, not closable) is strictly nearer to ``i``, or
    (b) with exactly ``p`` open sites, ``j`` ranks beyond ``m - p + 1`` for ``i``: any ``p`` sites
    include one of ``i``'s ``m - p + 1`` nearest. Ties are kept.
    """
    keep = np.ones(len(I_k), dtype=bool)
    if len(I_k) == 0:
        return keep
    m = inst.n_sites
    fixed = inst.fixed_open()
    if fixed.any():
        cost = inst.cost_matrix()
        nearest_fixed = np.where(fixed[None, :], cost, np.inf).min(axis=1)
        keep &= d_k <= nearest_fixed[I_k]
    if p is not None and p > 1:
        rank = m - p + 1  # keep the rank-th smallest distance of each row (ties kept)
        cost = inst.cost_matrix()
        if rank < m:
            kth = np.partition(cost, rank - 1, axis=1)[:, rank - 1]
            keep &= d_k <= kth[I_k]
    return keep


def _add_assignment(
    mdl: pyo.ConcreteModel,
    inst: SitingInstance,
    *,
    limit: float | None,
    equality: bool,
    binary: bool,
    capacity: bool,
    p: int | None = None,
) -> None:
    """``x`` over the pair set, each demand point assigned once (or at most once), to open sites.

    Without capacities the pair set is reduced by :func:`nearest_useful_pairs` (exact): on the
    benchmark's 1000 x 100, p = 10 it drops 9% of the LP; with existing hospitals far more.
    """
    I_k, J_k, d_k = inst.pairs(limit)
    if not capacity and equality:
        keep = nearest_useful_pairs(inst, I_k, J_k, d_k, p)
        I_k, J_k, d_k = I_k[keep], J_k[keep], d_k[keep]
    K = len(I_k)
    check_memory(
        K * MODEL_BYTES_PER_PAIR,
        what=f"the {mdl._model_name} model with one assignment variable per demand-site pair ({K:,} pairs)",
        advice="give parameters.cutoff (--cutoff D) so only pairs within D become variables, or merge "
        "demand points (coarser cells); the uncapacitated coverage models, the p-median and the "
        "p-center work on pairs at any size",
    )
    w = inst.populations()
    mdl._pairs = (I_k, J_k, d_k)
    mdl.P = pyo.RangeSet(0, K - 1, doc="pairs (i_k, j_k) with a finite cost (within the cut-off)")
    mdl.x = pyo.Var(
        mdl.P,
        domain=pyo.Binary if binary else pyo.UnitInterval,
        doc="share of demand i_k served by site j_k",
    )
    x, y = mdl.x, mdl.y
    xs = [x[k] for k in range(K)]
    ys = [y[j] for j in range(inst.n_sites)]
    # pairs come from np.nonzero (row-major): each demand point's pairs are one contiguous run
    starts = np.searchsorted(I_k, np.arange(inst.n_demand + 1)).tolist()
    present = [i for i in range(inst.n_demand) if starts[i + 1] > starts[i]]
    rhs = (1.0, 1.0) if equality else (None, 1.0)

    def assign_rule(_, i):
        a, b = starts[i], starts[i + 1]
        return (rhs[0], _linear([1.0] * (b - a), xs[a:b]), rhs[1])

    mdl.assignment = pyo.Constraint(
        present, rule=assign_rule, doc="each demand point assigned once (<= 1 if optional)"
    )
    Jl = J_k.tolist()
    # two-term rows: the plain operator form is faster than LinearExpression's constructor here
    mdl.open_link = pyo.Constraint(mdl.P, rule=lambda _, k: xs[k] <= ys[Jl[k]], doc="serve only from open sites")
    if capacity:
        cap = inst.capacities()
        order = np.argsort(J_k, kind="stable")
        bounds = np.searchsorted(J_k[order], np.arange(inst.n_sites + 1))
        wk = w[I_k]
        used = [j for j in range(inst.n_sites) if bounds[j + 1] > bounds[j]]
        mdl.cap = pyo.Param(used, initialize={j: float(cap[j]) for j in used}, doc="site capacity")

        def cap_rule(_, j):
            ks = order[bounds[j] : bounds[j + 1]].tolist()
            body = _linear([*wk[ks].tolist(), -float(cap[j])], [*(xs[k] for k in ks), ys[j]])
            return (None, body, 0.0)

        mdl.capacity = pyo.Constraint(used, rule=cap_rule, doc="population served within capacity")


def _add_demand_coverage(mdl: pyo.ConcreteModel, inst: SitingInstance, radius: float) -> None:
    cover = _cover_lists(inst, radius)
    y = mdl.y
    mdl.S = pyo.Param(initialize=radius, doc="service radius")
    mdl.demand_coverage = pyo.Constraint(
        mdl.I, rule=lambda _, i: sum(y[j] for j in cover[i]) >= 1, doc="every demand point covered"
    )


def _add_backup_coverage(mdl: pyo.ConcreteModel, inst: SitingInstance, radius: float) -> None:
    cover = _cover_lists(inst, radius)
    y = mdl.y
    mdl.S = pyo.Param(initialize=radius, doc="service radius")
    mdl.u = pyo.Var(mdl.I, domain=pyo.UnitInterval, doc="1 if demand i is covered at least twice")
    mdl.backup = pyo.Constraint(
        mdl.I,
        rule=lambda _, i: sum(y[j] for j in cover[i]) >= 1 + mdl.u[i],
        doc="covered once, and twice where u_i = 1",
    )


def _add_backup_indicator(mdl: pyo.ConcreteModel, inst: SitingInstance, radius: float, relax: bool) -> None:
    """``u`` for the ``backup_coverage`` objective on another model, without restricting it:
    ``2 u_i <= sum_{j in N_i} y_j`` with ``u`` binary. (LSCP-B's continuous ``u_i <= count - 1``
    relies on its own "covered once" constraint; without it a continuous ``u`` could take 1/2 at
    a single covering site, so here ``u`` is binary.)"""
    cover = _cover_lists(inst, radius)
    y = mdl.y
    mdl.u = pyo.Var(mdl.I, domain=pyo.UnitInterval if relax else pyo.Binary, doc="1 if demand i is covered at least twice")
    mdl.backup = pyo.Constraint(
        mdl.I,
        rule=lambda _, i: 2 * mdl.u[i] <= sum(y[j] for j in cover[i]),
        doc="covered twice only if two sites within S are open",
    )


def _add_coverage(mdl: pyo.ConcreteModel, inst: SitingInstance, radius: float | None, *, via_assignment: bool) -> None:
    if radius is None:
        raise InstanceError(
            "a coverage objective needs a service radius",
            field="parameters.radius", expected="a radius S > 0 (or --radius)", found="none",
        )
    w = inst.populations()
    if via_assignment:
        mdl.z = pyo.Var(mdl.I, domain=pyo.UnitInterval, doc="share of demand i covered within S")
        mdl._coverage_weights = w
        I_k = mdl._pairs[0]
        starts = np.searchsorted(I_k, np.arange(inst.n_demand + 1))
        x = mdl.x
        mdl.covered = pyo.Constraint(
            mdl.I,
            rule=lambda _, i: mdl.z[i] <= sum(x[k] for k in range(starts[i], starts[i + 1])),
            doc="covered only as far as served within S by a site with capacity",
        )
        return
    # Demand points covered by the same sites share one z with their summed population: exact,
    # as z_i appears only in z_i <= sum_{N_i} y and in the objective. 500 x 100: 500 -> 313 rows,
    # HiGHS 0.16 -> 0.06 s (1000 x 100: 1000 -> 471 rows, 0.21 -> 0.10 s).
    groups: dict[tuple[int, ...], int] = {}
    group_of = [groups.setdefault(tuple(c), len(groups)) for c in _cover_lists(inst, radius)]
    covers = list(groups)
    mdl.C = pyo.RangeSet(0, len(covers) - 1, doc="distinct cover sets N_c (points covered by the same sites)")
    mdl.z = pyo.Var(mdl.C, domain=pyo.UnitInterval, doc="share of the demand with cover set N_c covered within S")
    mdl._coverage_weights = np.bincount(group_of, weights=w, minlength=len(covers))
    y = mdl.y
    mdl.covered = pyo.Constraint(
        mdl.C,
        rule=lambda _, c: mdl.z[c] <= sum(y[j] for j in covers[c]),
        doc="covered only if a site within S is open",
    )


def _add_max_distance(mdl: pyo.ConcreteModel) -> None:
    I_k, _, d_k = mdl._pairs
    n = len(mdl.I)
    starts = np.searchsorted(I_k, np.arange(n + 1))
    present = np.flatnonzero(starts[1:] > starts[:-1]).tolist()
    x = mdl.x
    mdl.D = pyo.Var(domain=pyo.NonNegativeReals, doc="largest assigned distance")
    mdl.max_distance_def = pyo.Constraint(
        present,
        rule=lambda _, i: (
            None,
            _linear([*d_k[starts[i] : starts[i + 1]].tolist(), -1.0], [*(x[k] for k in range(starts[i], starts[i + 1])), mdl.D]),
            0.0,
        ),
        doc="D bounds every demand point's assigned distance",
    )


def _add_separation(mdl: pyo.ConcreteModel, inst: SitingInstance) -> None:
    dss = site_distances(inst)
    finite = np.isfinite(dss)
    big = float(dss[finite].max()) if finite.any() else 0.0
    dss = np.where(finite, dss, big)
    m = inst.n_sites
    a, b = np.triu_indices(m, k=1)
    mdl.delta = pyo.Var(domain=pyo.NonNegativeReals, bounds=(0, big), doc="smallest distance between open sites")
    y = mdl.y
    al, bl, dl = a.tolist(), b.tolist(), dss[a, b].tolist()
    mdl.separation_def = pyo.Constraint(
        range(len(al)),
        rule=lambda _, q: mdl.delta <= dl[q] + big * (2 - y[al[q]] - y[bl[q]]),
        doc="delta bounds the distance of every pair of open sites",
    )


def site_distances(inst: SitingInstance) -> np.ndarray:
    """Site-to-site distances for p-dispersion (:meth:`SitingInstance.site_cost_matrix`)."""
    dss = inst.site_cost_matrix()
    if dss is None:
        raise InstanceError(
            "p_dispersion needs site-to-site distances",
            field="distance.site_matrix",
            expected="site coordinates (x, y or lon, lat), a network, or distance.site_matrix",
            found="none",
        )
    return dss


def _cover_lists(inst: SitingInstance, radius: float) -> list[list[int]]:
    cost = inst.cost_matrix()
    i, j = np.nonzero(cost <= radius)
    starts = np.searchsorted(i, np.arange(inst.n_demand + 1))
    jl = j.tolist()
    return [jl[starts[r] : starts[r + 1]] for r in range(inst.n_demand)]


def _add_objectives(mdl: pyo.ConcreteModel, inst: SitingInstance, wanted: set[str], *, active: str) -> None:
    w = inst.populations()
    exprs = {}
    exprs["cost"] = lambda: _cost_expr(mdl, inst)
    exprs["n_facilities"] = lambda: sum(mdl.y[j] for j in mdl.J)

    def distance():
        I_k, _, d_k = mdl._pairs
        x = mdl.x
        return _linear((w[I_k] * d_k).tolist(), [x[k] for k in range(len(I_k))])

    exprs["distance"] = distance
    exprs["max_distance"] = lambda: mdl.D
    exprs["coverage"] = lambda: _linear(mdl._coverage_weights.tolist(), [mdl.z[c] for c in range(len(mdl.z))])
    exprs["backup_coverage"] = lambda: sum(float(w[i]) * mdl.u[i] for i in mdl.I)
    exprs["separation"] = lambda: mdl.delta

    def total_cost():
        c = inst.parameters.cost_per_distance
        return _cost_expr(mdl, inst) + c * distance()

    exprs["total_cost"] = total_cost
    docs = {
        "cost": "cost of new sites minus savings of closed ones",
        "n_facilities": "number of open sites",
        "distance": "population-weighted total distance",
        "max_distance": "largest assigned distance",
        "coverage": "population covered within S",
        "backup_coverage": "population covered at least twice within S",
        "separation": "smallest distance between two open sites",
        "total_cost": "fixed cost plus assignment cost",
    }
    for name in OBJECTIVES:  # fixed order: reproducible models
        if name not in wanted:
            continue
        sense = pyo.minimize if OBJECTIVES[name] == "min" else pyo.maximize
        obj = pyo.Objective(expr=exprs[name](), sense=sense, doc=docs[name])
        mdl.add_component(name, obj)
        if name != active:
            obj.deactivate()


# --------------------------------------------------------------------------------------------
# reading a solution back
# --------------------------------------------------------------------------------------------


def decode(mdl: pyo.ConcreteModel) -> tuple[np.ndarray, np.ndarray | None]:
    """The open vector ``y`` (bool, length m) and the assignment matrix (n x m) if ``x`` exists."""
    inst: SitingInstance = mdl._instance
    y = np.array([mdl.y[j].value or 0.0 for j in range(inst.n_sites)]) > 0.5
    if not hasattr(mdl, "x"):
        return y, None
    I_k, J_k, _ = mdl._pairs
    xv = np.array([mdl.x[k].value or 0.0 for k in range(len(I_k))])
    assign = np.zeros((inst.n_demand, inst.n_sites))
    assign[I_k, J_k] = xv
    return y, assign
