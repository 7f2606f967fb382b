r"""The uncapacitated p-median in its radius formulation, solved by adding radii as needed.

Why a second p-median formulation
---------------------------------
The assignment formulation of :mod:`optmodels.siting.formulation` (``x_ij <= y_j``) has one
column and one row per pair: 92,000 of each at 1000 x 100, and HiGHS spends seconds on its root
LP alone. The *radius* formulation (Elloumi 2010, "A computational study of a new formulation
for the p-median problem", Discrete Applied Mathematics 158; solved with row generation by
García, Labbé and Marín 2011, INFORMS J. Computing 23) states the same problem through the
sorted distinct distances of each demand point, and has the same LP bound. Its point is that a
demand point only needs the radii up to its nearest open site: most of the model can be left
out and added back only where a solution asks for it.

Symbols
-------
==========================  ===================================================================
``D_i^0 < D_i^1 < ...``     the distinct distances from demand point ``i`` to the sites it can
                            use (``K_i`` of them, after the exact pair reduction of
                            :func:`~optmodels.siting.formulation.nearest_useful_pairs`)
``S_i^k``                   the sites at distance exactly ``D_i^k`` from ``i``
``z_ik >= 0``               1 if no site within ``D_i^k`` of ``i`` is open
``y_j`` in {0,1}            site ``j`` open
``L_i <= K_i``              the radii of ``i`` in the model (all of them: the exact model)
==========================  ===================================================================

Model::

    min  sum_i w_i ( D_i^0 + sum_{k < L_i, k < K_i - 1} (D_i^{k+1} - D_i^k) z_ik )     (distance)
    s.t. z_ik >= z_i,k-1 - sum_{j in S_i^k} y_j        k < L_i, with z_i,-1 = 1     (radius)
         sum_j y_j = p                                                     (facility_count)
         budget and fixed-open sites as in the assignment formulation

The chain ``z_ik >= z_i,k-1 - sum_{S_i^k} y`` telescopes to Elloumi's
``z_ik >= 1 - sum_{j : d_ij <= D_i^k} y_j`` (take the max with 0 at each step: the two LPs have
the same optimum) with three or four nonzeros per row instead of up to ``m``. ``z_ik`` is 0 or 1
at an integer ``y`` and is never rounded. At ``L_i = K_i`` the last radius has no ``z``: some
site within ``D_i^{K_i - 1}`` is open in every plan with ``p`` sites (that is what the pair
reduction kept), so the last row reads ``0 >= z_i,K-2 - sum y``.

Row generation (:func:`solve_p_median`)
---------------------------------------
With ``L_i < K_i`` the model is a *relaxation*: the last kept ``z_i,L-1`` pays only up to the
next radius ``D_i^{L_i}`` and the rows beyond are dropped. Its optimum ``y`` is optimal for the
full problem as soon as every truncated ``z_i,L-1`` is 0 (the dropped ``z`` are then 0 too, at
no cost), so: solve, double ``L_i`` where ``z_i,L-1 > 0``, re-solve from the previous plan (a
MIP start, feasible for every larger model), until no truncated radius is used. Every round's
dual bound is a valid bound on the full problem, and every round's plan is a feasible plan, so a
time limit still returns the best plan with an honest gap.

The first ``L_i`` is ``ceil(3 m / p)`` (at least 8): with ``p`` sites spread over ``m``, a
demand point's nearest open site ranks about ``m / p``; three times that settles every point in
the first round at 500 x 100 and 1000 x 100 (p = 10; 30 of ~91 radii per point), where
``2 m / p`` needed a second round and took longer in all (1000 x 100: HiGHS 4.4 vs 2.0 s).

Presolve (:func:`presolve`, on by default)
------------------------------------------
Before the first round: a vertex-substitution plan (:mod:`optmodels.siting.median.interchange`), a
Lagrangian bound and the reduction it proves (:mod:`optmodels.siting.median.lagrangian`: sites closed
or opened in every optimal plan, by the penalty test and then by probing, and each point's reach). The radii are built on the reduced
pair set, so the model keeps every optimal plan at its true distance, and the plan is the MIP
start, passed as the complete point (``y`` and every ``z``).
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression

from optmodels.siting.data.instance import SitingInstance
from optmodels.siting.formulation import (
    _add_budget,
    _add_facility_count,
    _add_sites,
    nearest_useful_pairs,
)
from optmodels.siting.median.lagrangian import Reduction
from solvers import (
    SolutionStatus,
    SolveOptions,
    SolveResult,
    StandardFormModel,
    Termination,
    Timings,
    gc_paused,
    solve,
)
from solvers.interrupt import highs_version, requested, stage, until_interrupted


def applies(instance: SitingInstance, model: str, objective: str) -> bool:
    """The radius formulation states ``model``/``objective`` exactly: uncapacitated p-median
    minimising distance with a fixed ``p``."""
    par = instance.parameters
    return model == "p_median" and objective == "distance" and not par.capacitated and par.p is not None


@dataclass(frozen=True)
class Radii:
    """Every demand point's sorted distinct distances, flattened (one entry per radius).

    ``client[g]``, ``rank[g]`` (``k``), ``dist[g]`` (``D_i^k``) for radius ``g``; the sites of
    radius ``g`` are ``sites[start[g]:start[g + 1]]``; ``first[i]``, ``count[i]`` (``K_i``)
    locate point ``i``'s radii.
    """

    client: np.ndarray
    rank: np.ndarray
    dist: np.ndarray
    start: np.ndarray
    sites: np.ndarray
    first: np.ndarray
    count: np.ndarray

    @classmethod
    def of(cls, instance: SitingInstance, reduction: Reduction | None = None) -> Radii:
        """``reduction`` (optional) leaves out the closed sites and the pairs beyond each point's
        reach: exact for the optimum, see :mod:`optmodels.siting.median.lagrangian`."""
        I, J, d = instance.pairs(None)  # noqa: E741 - i, j of the module docstring
        keep = nearest_useful_pairs(instance, I, J, d, instance.parameters.p)
        if reduction is not None:
            keep &= ~reduction.closed[J] & (d <= reduction.reach[I])
        I, J, d = I[keep], J[keep], d[keep]  # noqa: E741 - i, j of the module docstring
        order = np.lexsort((J, d, I))  # by point, then distance, then site
        I, J, d = I[order], J[order], d[order]  # noqa: E741 - i, j of the module docstring
        new = np.ones(len(I), dtype=bool)
        new[1:] = (I[1:] != I[:-1]) | (d[1:] != d[:-1])
        start = np.r_[np.flatnonzero(new), len(I)]
        client = I[new]
        n = instance.n_demand
        first = np.searchsorted(client, np.arange(n))
        count = np.bincount(client, minlength=n)
        rank = np.arange(len(client)) - first[client]
        return cls(client=client, rank=rank, dist=d[new], start=start, sites=J, first=first, count=count)

    def initial_depth(self, n_sites: int, p: int) -> np.ndarray:
        return np.minimum(self.count, max(8, math.ceil(3 * n_sites / p)))


@gc_paused
def build_radius(instance: SitingInstance, depth: np.ndarray | None = None, *, radii: Radii | None = None,
                 relax: bool = False, reduction: Reduction | None = None) -> pyo.ConcreteModel:
    """The radius formulation keeping the first ``depth[i]`` radii of point ``i`` (all: exact).

    With ``reduction`` the sites it closes (opens) are fixed at 0 (1) and ``radii`` must be the
    reduced ones (``Radii.of(instance, reduction)``): the model then keeps every optimal plan and
    no other plan's distance is understated, so its optimum is the p-median's.
    """
    par = instance.parameters
    radii = radii or Radii.of(instance, reduction)
    depth = radii.count if depth is None else np.minimum(depth, radii.count)
    kept = np.flatnonzero(radii.rank < depth[radii.client])
    has_next = radii.rank[kept] < radii.count[radii.client[kept]] - 1  # z_ik exists
    w = instance.populations()

    mdl = pyo.ConcreteModel(name="siting_p_median_radius")
    mdl._instance = instance  # noqa: SLF001 - read by decode()
    mdl._model_name = "p_median"
    mdl._radii = (radii, kept)
    _add_sites(mdl, instance, relax)
    if reduction is not None:
        for j in np.flatnonzero(reduction.closed).tolist():
            mdl.y[j].fix(0)
        for j in np.flatnonzero(reduction.opened).tolist():
            mdl.y[j].fix(1)
    mdl.R = pyo.RangeSet(0, len(kept) - 1, doc="radii (i, k) in the model, point by point")
    with_z = np.flatnonzero(has_next).tolist()
    mdl.z = pyo.Var(with_z, domain=pyo.NonNegativeReals,
                    doc="1 if no site within D_i^k of i is open (<= 1 is implied; an explicit bound slows the dual simplex: 3.8 vs 2.0 s at 1000 x 100)")
    z, ys = mdl.z, [mdl.y[j] for j in range(instance.n_sites)]
    ranks = radii.rank[kept].tolist()
    zmask = has_next.tolist()
    sites, bounds = radii.sites.tolist(), radii.start.tolist()
    gs = kept.tolist()

    def radius_rule(_, r):
        # operator form: rows of three or four terms build faster this way than as LinearExpression
        body = sum(ys[j] for j in sites[bounds[gs[r]] : bounds[gs[r] + 1]])
        if zmask[r]:
            body = body + z[r]
        if ranks[r] > 0:  # the previous radius of the same point is the previous row
            return body - z[r - 1] >= 0.0
        return body >= 1.0

    mdl.radius = pyo.Constraint(mdl.R, rule=radius_rule, doc="z_ik >= z_i,k-1 - sum_{j in S_i^k} y_j")
    _add_facility_count(mdl, int(par.p))
    if par.budget is not None:
        _add_budget(mdl, par.budget)

    g = kept[has_next]
    step = radii.dist[g + 1] - radii.dist[g]  # D_i^{k+1} - D_i^k (g + 1 is the next radius of i)
    nearest = radii.dist[radii.first[radii.count > 0]]
    constant = float((w[radii.count > 0] * nearest).sum())
    mdl.distance = pyo.Objective(
        expr=LinearExpression(
            constant=constant,
            linear_coefs=(w[radii.client[g]] * step).tolist(),
            linear_vars=[z[r] for r in with_z],
        ),
        sense=pyo.minimize,
        doc="population-weighted total distance",
    )
    return mdl


def truncated_in_use(mdl: pyo.ConcreteModel, tol: float = 1e-6) -> np.ndarray:
    """The demand points whose last kept radius is cut short and used (``z_i,L-1 > 0``)."""
    radii, kept = mdl._radii
    clients = radii.client[kept]
    last = np.r_[clients[1:] != clients[:-1], True]  # last kept radius of each point
    cut = last & (radii.rank[kept] < radii.count[clients] - 1)
    rows = np.flatnonzero(cut)
    used = np.array([(mdl.z[r].value or 0.0) > tol for r in rows.tolist()], dtype=bool)
    return clients[rows[used]]


@dataclass(frozen=True)
class RadiusSolution:
    result: SolveResult
    model: pyo.ConcreteModel
    open_sites: np.ndarray | None
    rounds: int
    note: str


def presolve(instance: SitingInstance, options: SolveOptions | None = None, *,
             probing: bool | None = None) -> Presolved | None:
    """An incumbent (:func:`~optmodels.siting.median.interchange.local_search`), a Lagrangian bound and
    the reduction it proves (:mod:`optmodels.siting.median.lagrangian`); ``None`` where it does not
    apply (a budget couples the sites, or some distance is infinite).

    The time spent is capped by a fraction of the time limit, if any: it only ever speeds the
    MILP up, the answer never depends on it. A stop signal ends it with what it has: the plan,
    and the best Lagrangian bound reached (``-inf`` if none), without a reduction. ``probing``:
    settle more sites by Lagrangian probing (:func:`~optmodels.siting.median.lagrangian.probe`,
    capped like the other stages); ``None`` (default) does so where :func:`worth_probing` says.
    """
    from optmodels.siting.median.interchange import local_search
    from optmodels.siting.median.lagrangian import _subproblem, probe, reduce, subgradient

    par = instance.parameters
    if par.budget is not None:
        return None
    C = np.asarray(instance.cost_matrix(), dtype=float)
    if not np.isfinite(C).all():
        return None
    t0 = time.perf_counter()
    w = instance.populations()
    p, fixed = int(par.p), instance.fixed_open()
    if fixed.sum() > p or p > instance.n_sites:
        return None  # infeasible: the MILP says so with its own verdict
    cap = 5.0 if options is None or options.time_limit is None else min(5.0, 0.1 * options.time_limit)
    stage("siting.local_search")
    plan = local_search(C, w, p, fixed, seconds=cap / 2)
    lb, red = None, None
    with until_interrupted():  # a stop signal: the plan, and the best bound reached, stand
        stage("siting.subgradient")
        lb = subgradient(C, w, p, plan.cost, fixed, seconds=cap / 2)
        stage("siting.reduction")
        red = reduce(C, w, p, plan.cost, lb, fixed)
        if worth_probing(instance) if probing is None else probing:
            stage("siting.probing")
            probed = probe(C, w, p, plan.cost, lb, red, plan.open, fixed, seconds=cap / 2).reduction
            if probed.kept_pairs(C) <= PROBE_MAX_KEPT * red.kept_pairs(C):
                red = probed
    if red is not None:
        bound = red.bound
    elif lb is not None and np.isfinite(lb.bound):
        bound = _subproblem(C, w, lb.lam, p, fixed)[0]  # recomputed plainly, as reduce() does
    else:
        bound = -math.inf
    return Presolved(plan=plan.open, upper=plan.cost, bound=bound, reduction=red,
                     seconds=time.perf_counter() - t0)


@dataclass(frozen=True)
class Presolved:
    plan: np.ndarray
    upper: float
    bound: float
    reduction: Reduction | None  # None: a stop signal came before it was proved
    seconds: float


#: The presolve runs when a point's first-round radii would exceed this (``ceil(3 m / p)``, i.e.
#: ``p < 3 m / 16``). With more sites open than that, each point's nearest open site ranks within a
#: handful of its nearest sites, the radius model is small, and HiGHS proves it faster than the
#: local search and the subgradient run (each capped at 2.5 s CPU): with one other job on the 2 cores, the whole
#: solve with and without the presolve, CPU s: pmed10 (p = 67 of 200) 0.35 / 0.14, pmed20 (133 of
#: 400) 1.57 / 0.56, pmed30 (200 of 600) 3.17 / 0.58, pmed34 (140 of 700) 6.23 / 2.71, pmed29
#: (120 of 600) 3.68 / 2.97; none of them had a site closed. Where points need more radii it pays:
#: pmed40 (90 of 900, 30 radii) 12.9 against 75.6 (the plain solve with HiGHS's heuristics on,
#: as they are when there is no presolve: see ``AFTER_PRESOLVE``).
PRESOLVE_MIN_DEPTH = 16


def worth_presolving(instance: SitingInstance) -> bool:
    """Whether :func:`presolve` is likely to pay for itself (see ``PRESOLVE_MIN_DEPTH``); it
    never changes the answer, only the time."""
    p = instance.parameters.p
    return p is not None and p > 0 and math.ceil(3 * instance.n_sites / p) > PRESOLVE_MIN_DEPTH


#: Lagrangian probing runs in the presolve when ``ceil(3 m / p)`` exceeds this (``p < 3 m / 64``,
#: about ``m / p > 21``). It closes sites at every ``p`` (pmed28, p = 60: 54 more in its 2.5 s),
#: but only where HiGHS would branch does that pay: with few sites open, forcing one to a poor
#: location lifts the bound far above the penalty estimate, and the LP of the model left is
#: nearly integral. OR-Library, CPU-s end to end, main / probing everywhere (the same session, load
#: 4-7, ``benchmarks/results/orlib_full/2026-12-05_probe/``): above the threshold pmed22 (p = 10
#: of 500) 7.47 / 0.98, pmed26 (5 of 600) 5.51 / 0.47, pmed31 5.70 / 0.63, pmed35 10.74 / 1.99,
#: pmed16 3.30 / 1.01, pmed6 0.63 / 0.18; below it only the probing's cost: pmed28 (60 of 600) 1.54
#: / 3.97, pmed33 0.97 / 3.27, pmed37 1.13 / 3.69, pmed40 2.92 / 5.28, pmed7 (10 of 200) 0.14 / 0.30.
PROBE_MIN_DEPTH = 64


#: The probed reduction replaces the penalty test's where it keeps at most this share of its
#: pairs. Both are exact; the question is only which model HiGHS branches on faster. Where the
#: probes closed sites outside the LP's support and little else (pmed36: 77.5 % of the pairs
#: kept, 96.7 % of the radii; pmed39: 59.7 %, 92.5 %) the tree got longer, not shorter: pmed36 in
#: five runs 253, 335, 397, 397, 417 nodes against 241 on main's model, 69.6-92.5 CPU-s against
#: 78.0-78.4; pmed39 61-65 nodes and 17.0-19.1 CPU-s against 59 and 14.4-15.4. Where it pays the cut
#: is deep: pmed38 27.4 % of the pairs kept (14.8 -> 8.7 CPU-s), pmed16 30.5 %, pmed17 20.9 %,
#: pmed35 11.6 %, and a few percent where the probes open the plan's sites (pmed22, 26, 31).
PROBE_MAX_KEPT = 0.5


def worth_probing(instance: SitingInstance) -> bool:
    """Whether the presolve's Lagrangian probing is likely to pay (see ``PROBE_MIN_DEPTH``); it
    never changes the answer, only the time."""
    p = instance.parameters.p
    return p is not None and p > 0 and math.ceil(3 * instance.n_sites / p) > PROBE_MIN_DEPTH


def solve_p_median(
    instance: SitingInstance,
    options: SolveOptions | None = None,
    *,
    depth: np.ndarray | None = None,
    max_rounds: int = 50,
    reduce: bool | None = None,
    sparse: bool | None = None,
) -> RadiusSolution:
    """Solve the uncapacitated p-median by row generation on the radius formulation.

    Returns the last round's model and a result whose objective is the true distance of the
    best plan (the numpy evaluator's nearest-open assignment), whose bound is the best of the
    last round's dual bound and the Lagrangian bound (both valid: each round relaxes the
    reduced problem, whose optimum is the p-median's), and whose timings add up every round.
    ``depth`` sets the first round's radii per point (default: ``ceil(3 m / p)``). ``reduce``:
    start from a local-search plan and leave out what the Lagrangian bound proves no optimal plan
    uses (:func:`presolve`; the time it takes is counted in ``build``); ``None`` (default) does so
    where :func:`worth_presolving` says it pays.

    ``sparse``: solve over candidate lists (:mod:`optmodels.siting.median.scale`: the k nearest
    sites of each point, Lagrangian bound, Benders cuts), never building the dense matrix;
    ``None`` (default) does so when the instance is too large for the dense matrix
    (``instance.is_large``) and has no budget (a budget couples the sites; that case keeps the
    dense path, which refuses an instance it cannot hold with the memory it would need). Small
    instances keep the dense path unless ``sparse=True`` (the tests force it there).
    """
    from optmodels.siting.evaluate import evaluate

    if sparse is None:
        sparse = instance.is_large and instance.parameters.budget is None
    if sparse:
        from optmodels.siting.median.scale import solve_at_scale

        return solve_at_scale(instance, options)
    options = options or SolveOptions()
    t0 = time.perf_counter()
    if reduce is None:
        reduce = worth_presolving(instance)
    pre = presolve(instance, options) if reduce else None
    reduction = pre.reduction if pre is not None else None
    if pre is not None:
        options = _after_presolve(options)
    budget = options.budget(t0)  # the rounds share the limit with the presolve
    timings: list[Timings] = []
    start: np.ndarray | None = None if pre is None else pre.plan
    stop = Termination.ITERATION_LIMIT  # why a round that solved to optimality was the last
    grow: np.ndarray | None = None
    mdl: pyo.ConcreteModel | None = None
    result = _stopped(options)  # replaced by each round's
    rounds = 0
    radii: Radii | None = None
    try:
        stage("siting.radii")  # no radii sorted, no model built, once a stop signal came
        radii = Radii.of(instance, reduction)
        p = int(instance.parameters.p)
        depth = radii.initial_depth(instance.n_sites, p) if depth is None else np.minimum(depth, radii.count)
        prep = time.perf_counter() - t0
        for rounds in range(1, max_rounds + 1):
            stage(f"siting.radius round {rounds}")
            tb = time.perf_counter()
            mdl = build_radius(instance, depth, radii=radii, reduction=reduction)
            build_s = time.perf_counter() - tb + (prep if rounds == 1 else 0.0)
            result = _solve_from(mdl, budget.time_left(), build_s, instance, start)
            timings.append(result.timings)
            if not result.has_solution:
                break
            start = np.array([mdl.y[j].value for j in range(instance.n_sites)]) > 0.5
            grow = truncated_in_use(mdl)
            if len(grow) == 0 and not _prices_truly(result, instance, start):
                # the model prices a plan with no cut-short radius in use at its true distance, so a
                # lower value means HiGHS trusted a wrong incumbent: solve this round again, cold
                stage(f"siting.radius round {rounds} (cold)")
                result = solve(mdl, budget.time_left())
                timings.append(result.timings)
                if not result.has_solution:
                    break
                start = np.array([mdl.y[j].value for j in range(instance.n_sites)]) > 0.5
                grow = truncated_in_use(mdl)
            if len(grow) == 0 or result.termination is not Termination.OPTIMAL:
                break
            if budget.expired():
                stop = Termination.TIME_LIMIT
                break
            depth = depth.copy()
            depth[grow] = np.minimum(radii.count[grow], 2 * depth[grow])
    except KeyboardInterrupt:
        if not requested():
            raise  # a library caller's Ctrl-C outside an interruptible block: as ever
        stop = Termination.INTERRUPTED  # the best plan so far (a round's or the presolve's) stands
        grow = None  # a stop signal is never a proof
    if mdl is None:
        note = "radius formulation: stopped by a signal before the first round's model was built"
    else:
        kept = len(mdl._radii[1])
        note = f"radius formulation: {rounds} round(s), {kept:,} of {len(radii.client):,} radii in the last"
    if pre is not None:
        red = pre.reduction
        note += f"; presolve {pre.seconds:.2f} s: local search {pre.upper:.10g}, Lagrangian bound {pre.bound:.10g}"
        note += (f", {int(red.closed.sum())} of {instance.n_sites} sites closed, {int(red.opened.sum())} opened"
                 if red is not None else ", no reduction (stopped by a signal)")
    if start is None:
        if pre is None:
            return RadiusSolution(result=_combined(result, timings), model=mdl, open_sites=None, rounds=rounds,
                                  note=note)
        start = pre.plan  # the reduced MILP found nothing in time: the local-search plan stands
    true = evaluate(instance, start, model="p_median").objectives["distance"]
    if pre is not None and pre.upper < true:
        start, true = pre.plan, pre.upper
    exact = result.termination is Termination.OPTIMAL and grow is not None and len(grow) == 0
    result = _combined(result, timings)
    if not exact:
        bound = result.bound
        if pre is not None and math.isfinite(pre.bound):
            bound = pre.bound if bound is None else max(bound, pre.bound)
        gap = (true - bound) / max(abs(true), 1e-9) if bound is not None else math.inf
        termination = result.termination if result.termination is not Termination.OPTIMAL else stop
        result = dataclasses.replace(
            result, objective=true, bound=bound, gap=max(gap, 0.0), termination=termination,
            solution_status=SolutionStatus.FEASIBLE,
            message=f"{note}; stopped ({termination.value}) before every radius in use was in the model; "
                    f"last round: {result.message}",
        )
    else:
        result = dataclasses.replace(result, objective=true, message=f"{result.message}; {note}")
    return RadiusSolution(result=result, model=mdl, open_sites=start, rounds=rounds, note=note)


def _stopped(options: SolveOptions) -> SolveResult:
    """The result of a round that never ran: a stop signal came first."""
    return SolveResult(termination=Termination.INTERRUPTED, solution_status=SolutionStatus.NONE,
                       objective=None, bound=None, gap=math.inf, timings=Timings(), solver="highs",
                       solver_version=highs_version(), backend="standard_form", options=options,
                       message="stopped by a signal before the round was solved")


def _solve_from(mdl: pyo.ConcreteModel, options: SolveOptions, build_seconds: float, instance: SitingInstance,
                start: np.ndarray | None) -> SolveResult:
    """Solve a round, from the plan ``start`` if given, handed to HiGHS as a *complete* point.

    Every ``z_ik`` of the plan is known (1 exactly when the nearest open site lies beyond
    ``D_i^k``), so the start is passed whole: with only the ``y`` given (a partial start) HiGHS
    1.16 accepted a completion whose objective was below the plan's true distance on the
    reduced pmed10 model and pruned with it (1230 reported optimal; the optimum is 1255).
    """
    if start is None:
        return solve(mdl, options, build_seconds=build_seconds)
    radii, kept = mdl._radii
    C = instance.cost_matrix()
    d1 = C[:, start].min(axis=1)
    for j in range(instance.n_sites):
        if not mdl.y[j].fixed:
            mdl.y[j].set_value(float(start[j]))
    dist, client = radii.dist[kept], radii.client[kept]
    for r in mdl.z:
        mdl.z[r].set_value(1.0 if dist[r] < d1[client[r]] else 0.0)
    th = time.perf_counter()
    sf = StandardFormModel(mdl)
    point = highspy.HighsSolution()
    point.col_value = [float(v.value) if v.value is not None else 0.0 for v in sf.columns]
    point.value_valid = True
    sf.highs.setSolution(point)
    return sf.run(options, build_seconds=build_seconds, handoff_seconds=time.perf_counter() - th)


def _prices_truly(result: SolveResult, instance: SitingInstance, plan: np.ndarray) -> bool:
    """HiGHS's objective equals the plan's true distance (within HiGHS's own tolerances)."""
    from optmodels.siting.median.interchange import plan_cost

    if result.objective is None or not np.isfinite(instance.cost_matrix()).all():
        return True
    true = plan_cost(instance.cost_matrix(), instance.populations(), plan)
    return result.objective >= true - 1e-6 * max(1.0, abs(true))


#: HiGHS settings once the presolve has handed over an incumbent (a caller's own values win).
#: Restarts re-presolve the model and repeat the root cut loop after reduced-cost fixing; on the
#: reduced OR-Library models that repetition was the larger part of the root (CPU, same run:
#: pmed6 3.7 vs 8.8 s, pmed26 32 vs 42 s). HiGHS's primal heuristics (RENS, RINS and their
#: sub-MIPs, feasibility jump, shifting, ZI rounding, the root reduced-cost heuristic) look for
#: plans, and the local search has already found one that is optimal or close: what is left is
#: the proof, which only the bound gives. Measured with at most one other job on the 2 cores, process CPU of HiGHS on
#: the same reduced model from the same start: pmed35 44.5 s with ``mip_heuristic_effort = 0``
#: alone (its sub-MIPs still ran: 16.8 s of it), 27.1 s with every heuristic off. End to end
#: (presolve and build included): pmed35 61.0 s with the defaults; pmed36 320.9 s with the
#: effort at 0 alone, against 252.7 s of HiGHS (plus about 8 s of presolve and build) with every
#: heuristic off. A plan better than the start is still found the way a proof finds it: as an
#: integral node LP. For the same reason strong branching is off (``mip_pscost_minreliable = 0``:
#: branch on pseudocosts from the start): it spends LP iterations choosing branches, and with
#: the plan in hand the tree is short either way. HiGHS CPU, heuristics off, without / with it:
#: pmed35 27.2 / 24.3 s (1 / 25 nodes), pmed38 47.4 / 35.9 s, pmed39 81.5 / 58.7 s, pmed36
#: 252.7 / 234.8 s (233 / 297 nodes; those two runs under different loads). Cut separation
#: is kept at the root and left out of the tree (``mip_allow_cut_separation_at_nodes``): the
#: root's cuts lift these bounds by a few units of the ~1 % gap, and separating again at every
#: node costs more than it prunes. HiGHS wall s on the same reduced models from the same start,
#: one run each on a quiet machine, with / without node cuts: pmed39 53.6 / 39.6, pmed38 33.5 /
#: 29.5, pmed35 19.9 / 16.1, pmed22 14.1 / 12.4, pmed26 10.3 / 8.7, pmed31 9.2 / 7.6, pmed40 4.3 /
#: 4.2, pmed36 163.3 / 166.9 (297 / 275 nodes: neutral).
AFTER_PRESOLVE = {
    "mip_allow_cut_separation_at_nodes": False,
    "mip_allow_restart": False,
    "mip_heuristic_effort": 0.0,
    "mip_heuristic_run_feasibility_jump": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_root_reduced_cost": False,
    "mip_heuristic_run_shifting": False,
    "mip_heuristic_run_zi_round": False,
    "mip_pscost_minreliable": 0,
}


def _after_presolve(options: SolveOptions) -> SolveOptions:
    extra = {k: v for k, v in AFTER_PRESOLVE.items() if k not in options.solver_options}
    return dataclasses.replace(options, solver_options={**extra, **options.solver_options}) if extra else options


def _combined(result: SolveResult, parts: list[Timings]) -> SolveResult:
    return dataclasses.replace(result, timings=Timings.combined(parts))

