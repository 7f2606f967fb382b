r"""The coverage strategy: LSCP, MCLP and backup coverage on merged demand, exactly.

:func:`solve_coverage` is the family's path for the uncapacitated coverage models (their own
objectives) at any size; the steps, each exact:

1. **Groups.** Demand points merged by cover set (:mod:`~optmodels.siting.coverage.groups`):
   a million cells within 5 km of tens of sites become ~140,000 rows.
2. **Fixed sites.** Existing sites that stay open are constants: the groups they cover are
   covered (MCLP: their weight is a constant; LSCP: no row; backup: the count ``k_g`` they give),
   and ``q = p - |F|`` sites remain to choose. Groups left with no free site drop out.
3. **A plan** from the groups alone (:mod:`~optmodels.siting.coverage.search`): greedy, then swap
   local search (MCLP, backup) or redundancy removal (LSCP). It is the MIP start and the
   incumbent a time limit returns.
4. **The MILP** on the groups (:mod:`~optmodels.siting.coverage.formulation`) by HiGHS.
   The LSCP is solved by **row generation**: a set cover over a subset ``R`` of the groups is a
   relaxation (fewer rows), so when its optimal plan covers every group it is optimal for all of
   them. ``R`` starts with the groups of fewest sites -- a group whose set contains another's is
   covered whenever that one is, so the small sets are the ones that bind -- and each round adds
   the groups the last plan leaves uncovered (fewest sites first), until none is left.

The bound and gap reported are the last MILP's, shifted by the constants; every plan is re-checked
by the family's evaluator (at scale, from the open sites alone).

**A stop signal or a time limit before HiGHS has a point** (the root LP of a million-point MCLP
can outlast the time limit) leaves the plan of step 3 standing: it is feasible by construction, so
it is reported with its value, the best bound known and termination ``interrupted`` (or the
limit), never dropped. A signal during the greedy or the swaps keeps the plan as it was before
that step (:func:`~solvers.interrupt.until_interrupted`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace

import numpy as np
import pyomo.environ as pyo
import scipy.sparse as sp
from pyomo.core.expr.numeric_expr import LinearExpression

from optmodels.siting.coverage import formulation, reduce, search
from optmodels.siting.coverage.groups import CoverGroups, cover_groups, merge_rows
from optmodels.siting.coverage.state import CoverageState
from optmodels.siting.data.instance import SitingInstance
from optmodels.siting.models import MODEL_SPECS
from solvers import SolutionStatus, SolveOptions, SolveResult, Termination, interruptible
from solvers import solve as solve_model
from solvers.interrupt import requested, stage, until_interrupted

#: the LSCP is solved whole up to this many distinct groups (one MILP from the greedy plan: on a
#: million cells, 67,000 groups, fewer seconds than rounds of restricted models), by row
#: generation beyond
ROW_GENERATION_FROM = 200_000
#: groups in the LSCP's first restricted model, and at most as many added per round
FIRST_ROWS = 4000
#: an MCLP with more groups than this gets shakes, an LP bound by row generation and a MILP over
#: the LP's sites before the whole MILP (whose root LP alone took over 600 s at 65,000 groups)
LARGE_MCLP = 20_000
#: CPU seconds of shakes for a large MCLP (at most a tenth of the time limit)
SHAKE_SECONDS = 60.0
#: the share of those shakes a plan started from a sweep neighbour's gets (its swaps start near
#: an optimum of the next p already)
NEIGHBOUR_SHAKES = 0.25


def applies(instance: SitingInstance, objective: str) -> bool:
    """This path solves the uncapacitated LSCP, MCLP and LSCP-B for their own objectives."""
    spec = MODEL_SPECS[instance.model]
    return (instance.model in ("lscp", "mclp", "lscp_b") and objective == spec.native
            and not instance.parameters.capacitated and instance.parameters.radius is not None)


@dataclass
class CoverageOutcome:
    """What the strategy hands back to the family's ``solve``: the last MILP's result with the
    constants added, the plan (bool per site), how it went, and the last Pyomo model."""

    result: SolveResult
    open_sites: np.ndarray | None
    notes: list[str] = field(default_factory=list)
    model: object = None
    bound_cut: bool = False  # a bound hint was added as a cut on the objective
    started: bool = False  # the local search started from a given plan (a sweep neighbour's)


def _free_problem(instance: SitingInstance, groups: CoverGroups):
    """Split off the fixed-open sites: ``(free site indices, per-group fixed count (capped 2))``."""
    fixed = instance.fixed_open()
    G = groups.sites.tocsc()
    fixed_count = np.asarray(G[:, np.flatnonzero(fixed)].sum(axis=1)).ravel() if fixed.any() else np.zeros(groups.n_groups)
    return np.flatnonzero(~fixed), np.minimum(fixed_count, 2)


def _shift(result: SolveResult, constant: float, sense: str) -> SolveResult:
    """The result of a model that left a constant out, with the constant put back."""
    obj = None if result.objective is None else result.objective + constant
    bound = None if result.bound is None else result.bound + constant
    gap = result.gap
    if obj is not None and bound is not None and math.isfinite(obj) and math.isfinite(bound):
        gap = abs(obj - bound) / max(abs(obj), 1e-12)
    return replace(result, objective=obj, bound=bound, gap=gap)


def solve_coverage(instance: SitingInstance, options: SolveOptions, *, scheduler=None,
                   bound_hint: float | None = None, state: CoverageState | None = None,
                   start: np.ndarray | None = None) -> CoverageOutcome:
    """Solve the instance's coverage model (see the module docstring); with a Dask ``scheduler``
    the groups are formed on that cluster. ``bound_hint``: a valid upper bound on the MCLP's
    optimum from elsewhere (a sweep's relaxed neighbour), added to its MILP as the cut
    ``W z <= bound`` (:func:`_bound_cut`); the other models ignore it.

    ``state`` (a sweep session's :class:`~optmodels.siting.coverage.state.CoverageState`): the
    groups, the fixed sites' split and the reductions are taken from it when the last instance
    it saw differs from this one only in ``p``, and left in it for the next. ``start`` (bool per
    site, e.g. a neighbour's plan carried here): the MCLP's and backup model's local search
    starts from it instead of from the greedy plan (the outcome says ``started``)."""
    t0 = time.perf_counter()
    par = instance.parameters
    store = state.get(instance) if state is not None else {}
    stage("siting.coverage.groups", checked=False)
    groups = store.get("groups")
    where = " on the cluster" if scheduler is not None else ""
    if groups is None:
        groups = cover_groups(instance.costs, par.radius, instance.populations(), scheduler=scheduler)
        store["groups"] = groups
        store["split"] = _free_problem(instance, groups)
        timing = f"{time.perf_counter() - t0:.1f} s"
    else:
        where, timing = "", "kept from the sweep's previous scenario"
    notes = [f"coverage: {instance.n_demand:,} demand points in {groups.n_groups:,} groups of identical cover "
             f"sets within {par.radius:g} ({groups.pairs:,} pairs{where}, {timing})"]
    free, fixed_count = store["split"]
    if start is not None and (start.shape != (instance.n_sites,) or not start[instance.fixed_open()].all()):
        start = None  # not a plan of this instance (a plan keeps the fixed sites open)
    with interruptible():
        if instance.model == "mclp":
            return _mclp(instance, groups, free, fixed_count, options, t0, notes, bound_hint=bound_hint,
                         store=store, start=start)
        if instance.model == "lscp_b":
            return _backup(instance, groups, free, fixed_count, options, t0, notes, store=store, start=start)
        return _lscp(instance, groups, free, fixed_count, options, t0, notes)


def site_costs(instance: SitingInstance, objective: str = "cost") -> tuple[np.ndarray, float]:
    """The objective ``cost`` (or ``n_facilities``) as ``coef @ y + constant`` over all sites:
    a new site costs its fixed cost; a closable existing site saves ``s_j`` when closed, i.e.
    ``-s_j (1 - y_j)``; an existing site that stays open costs nothing."""
    if objective == "n_facilities":
        return np.ones(instance.n_sites), 0.0
    existing, closable, saving = instance.existing(), instance.closable(), instance.closing_savings()
    coef = np.where(existing, np.where(closable, saving, 0.0), instance.fixed_costs())
    return coef, -float(saving[closable].sum())


def _cover(A: sp.csr_matrix, y: np.ndarray) -> np.ndarray:
    return np.asarray(A @ y.astype(np.float64)).ravel()


def _start(mdl, plan: np.ndarray, A: sp.csr_matrix | None = None, k: np.ndarray | None = None) -> None:
    """The MIP start: the plan's ``y`` *and* the ``z`` / ``u`` it implies. HiGHS 1.16 given ``y``
    alone completed the continuous part into a point whose objective it misreported (a
    backup-coverage model "proven" at 511 whose returned point was worth 379), as it did for the
    p-median's radius model (docs/siting.md); a complete point is never completed."""
    for v, on in zip(mdl.y.values(), plan, strict=True):
        v.set_value(1.0 if on else 0.0)
    if A is None:
        return
    count = _cover(A, plan)
    if hasattr(mdl, "z"):
        for v, c in zip(mdl.z.values(), count, strict=True):
            v.set_value(1.0 if c >= 1 else 0.0)
    if hasattr(mdl, "u"):
        for v, c, kk in zip(mdl.u.values(), count, k, strict=True):
            v.set_value(1.0 if c + kk >= 2 else 0.0)


def _solve_checked(mdl, options: SolveOptions, value, *, warm: bool) -> SolveResult:
    """Solve, then recompute the objective at the point HiGHS returned (``value(mdl)``); if the two
    disagree, solve again without the start and trust that run (see :func:`_start`)."""
    result = solve_model(mdl, options, warm_start=warm)
    if warm and result.has_solution:
        actual = value(mdl)
        if not math.isclose(actual, result.objective, rel_tol=1e-7, abs_tol=1e-6):
            result = solve_model(mdl, options, warm_start=False)
    return result


def _z_value(mdl) -> float:
    return float(sum(c * (v.value or 0.0) for c, v in zip(mdl.coverage.expr.linear_coefs, mdl.coverage.expr.linear_vars, strict=True)))


def _u_value(mdl) -> float:
    e = mdl.backup_coverage.expr
    return float(sum(c * (v.value or 0.0) for c, v in zip(e.linear_coefs, e.linear_vars, strict=True)))


# --------------------------------------------------------------------------------------------
# LSCP: row generation
# --------------------------------------------------------------------------------------------


def _lscp(instance, groups, free, fixed_count, options, t0, notes, *, objective: str = "cost"):
    coef_all, constant = site_costs(instance, objective)
    fixed = instance.fixed_open()
    constant += float(coef_all[fixed].sum())
    keep = np.zeros(instance.n_sites, bool)
    keep[free] = True
    A0, _, _ = groups.restrict(keep, drop_groups=fixed_count >= 1)
    cost0 = coef_all[free]
    if A0.shape[0] == 0:  # the fixed sites cover everyone
        return _outcome(instance, free, np.zeros(len(free), bool), _trivial(options), constant, "min",
                        [*notes, "the sites that stay open cover every demand point"], None)
    useful = ~reduce.dominated_sites(A0, cost0)
    A, _, _ = merge_rows(A0[:, useful].tocsr(), np.zeros(A0.shape[0]), np.ones(A0.shape[0], bool))
    cost = cost0[useful]
    notes.append(f"LSCP: {int((~useful).sum()):,} of {len(free):,} free sites dominated (closed); "
                 f"{A.shape[0]:,} distinct groups to cover")
    stage("siting.lscp.plan")
    plan = search.greedy_set_cover(A, cost)
    sizes = np.diff(A.indptr)
    in_model = np.zeros(A.shape[0], bool)
    first = A.shape[0] if A.shape[0] <= ROW_GENERATION_FROM else FIRST_ROWS
    in_model[np.argsort(sizes, kind="stable")[:first]] = True
    rounds, missing, mdl, result = 0, np.zeros(0, np.int64), None, None
    try:
        while True:
            rounds += 1
            stage(f"siting.lscp.round {rounds}", checked=False)
            sub = A[np.flatnonzero(in_model)].tocsr()
            used = np.diff(sub.tocsc().indptr) > 0  # a site covering no row of R stays closed
            mdl = formulation.build_lscp(sub[:, np.flatnonzero(used)].tocsr(), cost[used])
            _start(mdl, plan[used])
            result = solve_model(mdl, options.time_left(t0), warm_start=True)
            if not result.has_solution:
                break
            y = np.zeros(A.shape[1], bool)
            y[np.flatnonzero(used)] = formulation.chosen(mdl)
            missing = np.flatnonzero(_cover(A, y) == 0)
            if missing.size == 0 or result.termination is not Termination.OPTIMAL:
                break
            in_model[missing[np.argsort(sizes[missing], kind="stable")][:FIRST_ROWS]] = True
            plan = y | search.greedy_set_cover(A, np.where(y, 0.0, cost))  # y, completed greedily
    except KeyboardInterrupt:
        if not requested():
            raise  # a library caller's Ctrl-C outside an interruptible block: as ever
        result = None
    if result is None or not result.has_solution:
        # no point from HiGHS: the last complete cover in hand (the greedy's, or the last round's
        # completed greedily) is the plan; a relaxation's bound, if HiGHS gave one, stays valid
        result = _plan_result(result, options, float(cost[plan].sum()), "min")
        chosen_free = np.zeros(len(free), bool)
        chosen_free[np.flatnonzero(useful)[plan]] = True
        notes.append("no point from HiGHS before the stop: the greedy cover is the plan")
        return _outcome(instance, free, chosen_free, result, constant, "min", notes, mdl)
    if rounds > 1 or in_model.sum() < A.shape[0]:
        notes.append(f"row generation: {rounds} round(s); the last model held {int(in_model.sum()):,} of "
                     f"{A.shape[0]:,} groups")
    if missing.size:
        # stopped early with groups left: complete the plan greedily; the bound stays valid (a
        # relaxation's bound, or HiGHS's on it)
        y = y | search.greedy_set_cover(A, np.where(y, 0.0, cost))
        result = replace(result, objective=float(cost[y].sum()))
        notes.append(f"stopped with {missing.size:,} group(s) uncovered by the restricted plan: completed greedily")
    chosen_free = np.zeros(len(free), bool)
    chosen_free[np.flatnonzero(useful)[y]] = True
    return _outcome(instance, free, chosen_free, result, constant, "min", notes, mdl)


def _trivial(options: SolveOptions) -> SolveResult:
    """The result of a model with nothing left to decide (its optimum is 0 before the constant)."""
    from solvers import SolutionStatus, Timings

    return SolveResult(termination=Termination.OPTIMAL, solution_status=SolutionStatus.OPTIMAL, objective=0.0,
                       bound=0.0, gap=0.0, timings=Timings(), solver="none (nothing left to decide)",
                       solver_version="", backend="none", options=options)


def _plan_result(result: SolveResult | None, options: SolveOptions, value: float, sense: str) -> SolveResult:
    """The result for a plan of our own that HiGHS never improved on (it was stopped, or ran out
    of time, before it had a point): the plan's value, the bound HiGHS reached if any, and why it
    stopped (``interrupted`` when a stop signal came before any solve returned)."""
    if result is None:
        result = replace(_trivial(options), termination=Termination.INTERRUPTED, bound=None, gap=None,
                         solver="highs", message="stopped by a signal")
    bound = result.bound if result.bound is not None and math.isfinite(result.bound) else None
    if bound is not None and (bound < value if sense == "max" else bound > value):
        bound = None  # a relaxation's bound lies on the far side of any plan; else it is not one
    gap = math.inf if bound is None else abs(bound - value) / max(abs(value), 1e-12)
    termination = result.termination
    if termination is Termination.OPTIMAL:  # cannot be: an optimal run has a point
        termination = Termination.UNKNOWN
    return replace(result, termination=termination, solution_status=SolutionStatus.FEASIBLE, objective=value,
                   bound=bound, gap=gap)


def _outcome(instance, free, y, result, constant, sense, notes, model) -> CoverageOutcome:
    open_sites = None
    if y is not None:
        open_sites = instance.fixed_open().copy()
        open_sites[free[y]] = True
    return CoverageOutcome(_shift(result, constant, sense), open_sites, notes, model)


# --------------------------------------------------------------------------------------------
# MCLP and backup coverage: a plan, then the MILP from it
# --------------------------------------------------------------------------------------------


def _q(instance, free) -> int | None:
    p = instance.parameters.p
    return None if p is None else int(p) - int(instance.fixed_open().sum())


def _bound_cut(mdl, bound: float, constant: float) -> None:
    """``W z <= bound - constant``: a valid upper bound on the coverage as a row. It cuts no
    optimal plan (the bound is valid) and lowers the root's bound to it; on pmed16's MCLP at
    radius 40 it took HiGHS from 4.9-7.1 to 1.3-3.5 CPU-s at p = 6..9 given the bound of p + 1.
    A relative 1e-6 of slack keeps a bound that HiGHS proved to its tolerances from cutting the
    optimum itself off."""
    cap = bound - constant
    e = mdl.coverage.expr
    mdl.neighbour_bound = pyo.Constraint(
        expr=LinearExpression(constant=0.0, linear_coefs=list(e.linear_coefs), linear_vars=list(e.linear_vars))
        <= cap + 1e-6 * max(1.0, abs(cap)),
        doc="coverage at most a bound known from elsewhere (a sweep's relaxed neighbour)")


def _mclp_reduced(instance, groups, free, fixed_count, cost0, budget, store):
    """The MCLP's groups on the free sites without the dominated ones: ``(A0, W0, useful, A,
    W)`` (A0/W0 before the reduction). Independent of ``p`` (without a budget the costs are
    zero and domination is set inclusion alone), so a sweep's state keeps it."""
    reduced = store.get("mclp")
    if reduced is None:
        keep = np.zeros(instance.n_sites, bool)
        keep[free] = True
        A0, W0, _ = groups.restrict(keep, drop_groups=fixed_count >= 1)
        useful = ~reduce.dominated_sites(A0, cost0 if budget is not None else np.zeros(len(free)))
        A, W, _ = merge_rows(A0[:, useful].tocsr(), W0, np.ones(A0.shape[0], bool))
        reduced = store["mclp"] = (A0, W0, useful, A, W)
    return reduced


def _mclp_plan(A, W, q, start) -> np.ndarray:
    """A plan of ``q`` sites: from ``start`` (bool per column, completed greedily when the
    reduction closed some of its sites) or greedily, then improved by swaps."""
    if start is not None and int(start.sum()) <= q:
        plan = start.copy()
        if int(plan.sum()) < q:  # cover what the start leaves uncovered first
            uncovered = np.where(_cover(A, plan) > 0, 0.0, W)
            plan |= search.greedy_cover(A, uncovered, q - int(plan.sum()), allowed=~plan)
    else:
        plan = search.greedy_cover(A, W, q)
    return plan


def _mclp(instance, groups, free, fixed_count, options, t0, notes, *, bound_hint: float | None = None,
          store: dict | None = None, start: np.ndarray | None = None):
    par = instance.parameters
    store = {} if store is None else store
    constant = float(groups.weight[fixed_count >= 1].sum())
    q = _q(instance, free)
    coef_all, cost_constant = site_costs(instance)
    cost0 = coef_all[free]
    budget = None
    if par.budget is not None:  # what the sites that stay open and the closings leave of it
        budget = float(par.budget) - cost_constant - float(coef_all[instance.fixed_open()].sum())
    A0, W0, useful, A, W = _mclp_reduced(instance, groups, free, fixed_count, cost0, budget, store)
    filled = q is not None and useful.sum() < q
    if filled:  # too few useful sites for q: keep some to fill p
        useful = useful.copy()
        useful[np.flatnonzero(~useful)[: q - int(useful.sum())]] = True
        A, W, _ = merge_rows(A0[:, useful].tocsr(), W0, np.ones(A0.shape[0], bool))
    cost = cost0[useful]
    notes.append(f"MCLP: {int((~useful).sum()):,} of {len(free):,} free sites dominated (closed); "
                 f"{A.shape[0]:,} groups the fixed sites leave uncovered" + (f", {q} sites to open" if q is not None else ""))
    start = None if start is None or q is None or budget is not None else start[free][useful]
    plan = np.zeros(A.shape[1], bool)
    extra: list[str] = []
    lp_bound = None
    has_plan = False  # a feasible plan in hand (p sites, no budget): what a stop leaves standing
    mdl, result = None, None
    try:
        if q is not None and budget is None:
            stage("siting.mclp.plan")
            with until_interrupted():  # a stop signal: the plan before the step that was cut short
                plan = _mclp_plan(A, W, q, start)
                has_plan = True
                plan = search.swap_search(A, W, plan)
            swap_value = float(W[_cover(A, plan) > 0].sum())
            if A.shape[0] > LARGE_MCLP:
                left = options.time_left(t0).time_limit
                seconds = min(SHAKE_SECONDS, 0.1 * left) if left else SHAKE_SECONDS
                if start is not None:  # around a neighbour's optimum: the swaps did most of it
                    seconds *= NEIGHBOUR_SHAKES
                with until_interrupted():
                    plan = search.shake_search(A, W, plan, stop=requested, seconds=seconds)
            value = float(W[_cover(A, plan) > 0].sum())
            notes.append(("plan: a neighbour's plan" if start is not None else "plan: greedy")
                         + f" and swaps cover {constant + swap_value:,.6g}"
                         + (f", shakes {constant + value:,.6g}" if value != swap_value else ""))
            if A.shape[0] > LARGE_MCLP:
                stage("siting.mclp.lp_bound")
                rows0 = None if filled else store.get("lp_rows")
                lp_bound, support, extra, rows = _mclp_lp_bound(A, W, q, cost, budget, plan, options, t0, constant,
                                                                rows0=rows0)
                if not filled and rows is not None:
                    store["lp_rows"] = rows
                stage("siting.mclp.restricted")
                restricted = _restricted_mclp(A, W, q, cost, budget, plan, support, options, t0)
                if restricted is not None and float(W[_cover(A, restricted) > 0].sum()) > value:
                    plan = restricted
                    extra.append(f"the MILP over the LP's {int(support.sum()):,} sites found a plan covering "
                                 f"{constant + float(W[_cover(A, plan) > 0].sum()):,.6g}")
        stage("siting.mclp.milp")
        mdl = formulation.build_mclp(A, W, q, cost, budget)
        if bound_hint is not None and math.isfinite(bound_hint):
            _bound_cut(mdl, bound_hint, constant)
            notes.append(f"coverage cut at {bound_hint:,.8g}, a bound known from a relaxed neighbour")
        _start(mdl, plan, A)
        result = _solve_checked(mdl, options.time_left(t0), _z_value, warm=q is not None and budget is None)
    except KeyboardInterrupt:
        if not requested() or not has_plan:
            raise  # a library caller's own Ctrl-C, or nothing to report yet
    notes.extend(extra)
    if (result is None or not result.has_solution) and has_plan:
        result = _plan_result(result, options, float(W[_cover(A, plan) > 0].sum()), "max")
        notes.append("no point from HiGHS before the stop: the search's plan is the answer")
        chosen = plan
    else:
        chosen = formulation.chosen(mdl) if result.has_solution else None
    if lp_bound is not None:
        result = _with_bound(result, lp_bound, plan, W, A, "max")
    chosen_free = None
    if chosen is not None:
        chosen_free = np.zeros(len(free), bool)
        chosen_free[np.flatnonzero(useful)[chosen]] = True
    outcome = _outcome(instance, free, chosen_free, result, constant, "max", notes, mdl)
    outcome.bound_cut = bound_hint is not None and math.isfinite(bound_hint)
    outcome.started = start is not None
    return outcome


def _mclp_lp_bound(A, W, q, cost, budget, plan, options, t0, constant: float = 0.0, *, rows0=None):
    """The MCLP's LP bound by row generation: a group left out of the LP counts as covered (a
    relaxation), so every round's LP value bounds the optimum from above; rows are added where
    the LP's ``y`` covers a left-out group less than once, until none is. It starts with the
    groups the plan covers at most once -- the others are covered with room to spare in plans
    near it. Returns ``(bound, sites the last LP uses, notes)``."""
    rows = np.flatnonzero(_cover(A, plan) <= 1)
    bound, support, rounds = None, plan.copy(), 0
    while requested() is False:
        rounds += 1
        mdl = formulation.build_mclp(A[rows].tocsr(), W[rows], q, cost, budget, relax=True)
        opts = options.time_left(t0, share=0.5)
        opts = replace(opts, solver_options={**opts.solver_options, "solver": "ipm"})
        lp = solve_model(mdl, opts)
        if lp.termination is not Termination.OPTIMAL:
            break
        y = np.array([v.value or 0.0 for v in mdl.y.values()])
        outside = np.setdiff1d(np.arange(A.shape[0]), rows)
        short = outside[_cover(A[outside], y) < 1 - 1e-7]
        if short.size == 0:
            bound = float(lp.objective) + float(W.sum() - W[rows].sum())
            support = y > 1e-7
            break
        rows = np.union1d(rows, short)
    notes = ([f"LP bound {constant + bound:,.8g} by row generation ({rounds} round(s), {len(rows):,} of "
              f"{A.shape[0]:,} groups in the last LP)"]
             if bound is not None else ["no LP bound within the time (rows still being added)"])
    return bound, support | plan, notes, rows if bound is not None else None


def _restricted_mclp(A, W, q, cost, budget, plan, support, options, t0):
    """A plan from the MILP over the sites the LP uses (and the plan's): a restriction, so only a
    plan -- its bound says nothing of the whole problem."""
    if support.sum() >= A.shape[1] or requested():
        return None
    cols = np.flatnonzero(support)
    sub, weight, _ = merge_rows(A[:, cols].tocsr(), W, np.ones(A.shape[0], bool))
    mdl = formulation.build_mclp(sub, weight, q, cost[cols], budget)
    _start(mdl, plan[cols], sub)
    result = _solve_checked(mdl, options.time_left(t0, share=0.5), _z_value, warm=True)
    if not result.has_solution:
        return None
    y = np.zeros(A.shape[1], bool)
    y[cols[formulation.chosen(mdl)]] = True
    return y


def _with_bound(result: SolveResult, bound: float, plan: np.ndarray, W: np.ndarray, A, sense: str) -> SolveResult:
    """``result`` with the better of its bound and ``bound`` (a maximisation's upper bound)."""
    if result.bound is None or not math.isfinite(result.bound) or result.bound > bound:
        obj = result.objective
        gap = None if obj is None else abs(bound - obj) / max(abs(obj), 1e-12)
        return replace(result, bound=bound, gap=gap)
    return result


def _backup(instance, groups, free, fixed_count, options, t0, notes, *, store: dict | None = None,
            start: np.ndarray | None = None):
    store = {} if store is None else store
    neighbour = start[free] if start is not None and instance.parameters.p is not None else None
    start, unproven = None, None
    if instance.parameters.p is None:  # stage 1: the fewest sites covering everyone
        stage1 = _lscp(instance, groups, free, fixed_count, options, t0, [], objective="n_facilities")
        if stage1.open_sites is None:
            verdict = f"LSCP-B stage 1 (fewest facilities covering everyone): {stage1.result.verdict}"
            return replace(stage1, notes=[*notes, verdict])
        p = int(stage1.open_sites.sum())
        if stage1.result.is_optimal:
            notes.append(f"stage 1: LSCP, {p} facilities cover every demand point (p for stage 2)")
        else:
            # stopped with a cover in hand: stage 2 keeps its p, so the plan is feasible, and the
            # answer is not proven lexicographically optimal (fewer sites might cover everyone)
            unproven = stage1.result
            bound = stage1.result.bound
            notes.append(f"stage 1 stopped ({stage1.result.termination.value}) with a cover of {p} facilities"
                         + (f", at least {math.ceil(bound - 1e-6)} needed" if bound is not None and math.isfinite(bound) else "")
                         + f": stage 2 keeps p = {p}")
        instance = instance.with_changes(p=p)
        start = stage1.open_sites[free]  # a cover with exactly p sites: a feasible start
    constant = float(groups.weight[fixed_count >= 2].sum())
    A, W, k = _backup_groups(groups, free, fixed_count, store)
    q = _q(instance, free)
    started = neighbour is not None and int(neighbour.sum()) <= q
    if started:
        start = neighbour
    plan = search.cover_then_fill(A, k == 0, site_costs(instance, "n_facilities")[0][free], W, q, start)
    feasible = int(plan.sum()) == q and bool((_cover(A, plan)[k == 0] >= 1).all())
    mdl, result = formulation.build_backup(A, W, k.astype(float), q), None
    _start(mdl, plan, A, k)
    try:
        stage("siting.backup.milp", checked=False)
        result = _solve_checked(mdl, options.time_left(t0), _u_value, warm=True)
    except KeyboardInterrupt:
        if not requested() or not feasible:
            raise
    notes.append(f"backup coverage on the {A.shape[0]:,} groups the fixed sites do not cover twice, q = {q}")
    if (result is None or not result.has_solution) and feasible:
        result = _plan_result(result, options, float(W[_cover(A, plan) + k >= 2].sum()), "max")
        notes.append("no point from HiGHS before the stop: the search's plan is the answer")
        y = plan
    else:
        y = formulation.chosen(mdl) if result.has_solution else None
    if unproven is not None and result.has_solution and result.termination is Termination.OPTIMAL:
        # stage 2 is optimal for stage 1's p, not the lexicographic answer: say why it stopped
        result = replace(result, termination=unproven.termination, solution_status=SolutionStatus.FEASIBLE,
                         bound=None, gap=math.inf)
    outcome = _outcome(instance, free, y, result, constant, "max", notes, mdl)
    outcome.started = started and feasible
    return outcome


def _backup_groups(groups, free, fixed_count, store):
    """The backup model's rows: ``(A, W, k)``. Equal rows are merged only among groups with the
    same fixed count (marker columns, dropped after): a group covered once by fixed sites needs
    one free site less. Independent of ``p``: a sweep's state keeps it."""
    rows = store.get("backup")
    if rows is None:
        n, m_free = groups.n_groups, len(free)
        marks = sp.csr_matrix((np.ones(n, dtype=np.int8), (np.arange(n), fixed_count.astype(np.int64))), shape=(n, 3))
        G = sp.hstack([groups.sites[:, free], marks], format="csr")
        A, W, _ = merge_rows(G, groups.weight, fixed_count < 2)
        k = np.asarray(A[:, m_free:].argmax(axis=1)).ravel()
        rows = store["backup"] = (A[:, :m_free].tocsr(), W, k)
    return rows
