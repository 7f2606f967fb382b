r"""The uncapacitated p-center, exactly, at population-grid scale: a relaxation over a few
demand points, searched over exact distances by set-cover decisions.

Why not the assignment MILP
---------------------------
The assignment model (:mod:`optmodels.siting.formulation`: ``x_ij <= y_j``, ``sum_j d_ij x_ij <=
D``) has a column per pair: 2.5 million at 5,000 x 500, and its LP bound is weak, so HiGHS
branches for minutes. Yet at the optimum only a few points bind: the p-center restricted to a
subset ``S`` of the demand points is a relaxation whose optimum ``r*_S`` is below the true
``r*``, and equal to it once ``S`` holds the points that decide it -- a few hundred of 100,000
(Chen & Chen 2009; Contardo, Iori & Kramer 2019, who solve a million points this way).

Method (:func:`solve_p_center`)
-------------------------------
The optimum is one of the costs ``d_ij``, so the search runs over exact cost values and every
radius tried is one of them. It keeps a lower bound ``L <= r*_S <= r*`` and a plan of value
``U`` (its largest distance over *all* points, as the evaluator computes it):

1. **Start** (:func:`_start`): ``L`` is the largest nearest-site cost (every point needs some
   site); the plan is Gonzalez's farthest-first (:mod:`~.heuristic`); ``S`` holds the points
   it visited, the one that gives ``L`` and each open site's farthest point.
2. **Radius**: ``R`` = the distinct costs from the points of ``S`` to the sites in ``[L, U)``;
   empty means ``r*_S >= U`` (``r*_S`` is one of them and at least ``L``), so the plan is
   optimal. Otherwise try the median ``r`` of ``R`` (a binary search).
3. **Decision on S** (:mod:`~.cover`): can ``p`` sites serve every point of ``S`` within
   ``r``? *No* proves ``r*_S > r``, so ``L`` becomes the next value of ``R`` above ``r``.
4. **Check on all points** (:func:`_check`): a *yes* gives sites; their largest distance over
   every point (KD-tree, :meth:`~.costs.CenterCosts.nearest_open`) is a plan value, and
   ``U`` drops to it when lower. If it is ``<= r`` the step is done. Otherwise the relaxation
   was too loose: of the points the cover's sites leave beyond ``r``, the farthest few of each
   group sharing a nearest site join ``S`` (a round), and the same ``r`` is decided again on the
   larger ``S`` (step 3).
5. **End** (:func:`_finish`): ``L = U``: the plan is optimal. A plan found with fewer than ``p``
   sites is completed (:func:`~.heuristic.complete`). A time limit or Ctrl-C returns the plan
   with bound ``L``.

Every step either raises ``L``, lowers ``U`` or grows ``S``; ``L`` stays a bound on ``r*_S``
for the grown ``S`` (``r*_S`` only grows with ``S``), so the search ends, and it ends exact:
``L`` is proven by a decision (or by the nearest-site costs) and ``U`` is the evaluator's value
of a plan. Float ties need no tolerance: radii are costs and coverage is ``d_ij <= r``.

Memory: only the ``|S| x m`` costs of the relaxation's points are held (``S`` stays in the
hundreds or thousands), checked against what the process may use before each is built; the
plan checks stream over every point in chunks.

When it applies (:func:`applies`): the uncapacitated p-center minimising the largest distance,
with or without existing sites, a budget or a cut-off (beyond it no pair exists: the search never
passes it, and a relaxation with no plan within it is infeasible). Capacities make the nearest
open site no longer the server: the assignment MILP stays for them.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pyomo.environ as pyo

from optmodels.siting.center.costs import CenterCosts
from optmodels.siting.center.cover import SHORT_MILP, Reductions, Rows, cover_rows, decide
from optmodels.siting.center.heuristic import complete, farthest_first
from optmodels.siting.data.instance import SitingInstance
from optmodels.siting.models import capacities_bind
from solvers import SolutionStatus, SolveOptions, SolveResult, Termination, Timings, highs_version
from solvers.interrupt import stage

_log = logging.getLogger(__name__)


def applies(instance: SitingInstance, model: str, objective: str) -> bool:
    """The relaxation solves ``model``/``objective`` exactly: the p-center minimising the
    largest distance, without capacities."""
    par = instance.parameters
    return (model == "p_center" and objective == "max_distance" and par.p is not None
            and not capacities_bind(model, par.capacitated))


@dataclass
class Search:
    """The state of the search: bounds, the best plan, the relaxation's points, their costs
    below the upper bound (:class:`~.cover.Rows`) and the radii still to try."""

    costs: CenterCosts
    fixed: np.ndarray
    p: int
    cost: np.ndarray | None  # c_j per site (0 where fixed), with a budget
    budget: float | None  # the reduced budget B', or None
    lower: float
    upper: float = math.inf
    plan: np.ndarray | None = None
    last: np.ndarray | None = None  # the sites of the last yes, where the heuristic starts
    open_low: float = math.inf  # the radii short decisions left open lie in [open_low, open_high]
    open_high: float = -math.inf
    turn: int = 0
    slice: float = SHORT_MILP  # seconds of a short decision's MILP: doubled when every radius is open
    points: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    rows: Rows | None = None
    candidates: np.ndarray = field(default_factory=lambda: np.zeros(0))
    home: np.ndarray | None = None  # each point's nearest site (-1: none within reach): where S grows
    rounds: int = 0
    retry: tuple[float, bool] | None = None  # a radius to decide again on the grown S
    repeat: bool = False  # the radius being decided is such a retry (a cover of it is known for a smaller S)
    answers: Counter = field(default_factory=Counter)
    reductions: Reductions = field(default_factory=Reductions)
    results: list[SolveResult] = field(default_factory=list)
    model: pyo.ConcreteModel | None = None
    largest: dict[str, int] = field(default_factory=dict)
    last_shape: tuple[int, int] = (0, 0)  # the last decision's reduced cover (rows, sites), for the log

    @property
    def k(self) -> int:
        return self.p - int(self.fixed.sum())

    def add(self, points: np.ndarray) -> None:
        """Put ``points`` (not yet in S) into the relaxation: their pairs below the upper bound,
        their costs in ``[lower, upper)`` among the radii, a chunk of points at a time."""
        points = np.setdiff1d(np.asarray(points, dtype=np.int64), self.points)
        for s in range(0, len(points), CHUNK):
            chunk = points[s : s + CHUNK]
            new = Rows.of(self.costs.rows(chunk), self.upper)
            self.rows = new if self.rows is None else self.rows.stack(new)
            fresh = new.cost[new.cost >= self.lower]
            self.candidates = np.union1d(self.candidates, fresh)
            self.points = np.concatenate([self.points, chunk])

    def raise_lower(self, value: float) -> None:
        self.lower = value
        self.candidates = self.candidates[np.searchsorted(self.candidates, value):]

    def offer(self, plan: np.ndarray, value: float) -> None:
        """A plan of the given value (its largest distance over every point)."""
        if value < self.upper:
            self.upper, self.plan = value, plan
            if value <= self.open_high:  # the open radii reach past the new plan: try them again
                self.open_low, self.open_high = math.inf, -math.inf
            self.candidates = self.candidates[: np.searchsorted(self.candidates, value)]
            if self.rows is not None and self.rows.cost.size > 2 * self.candidates.size + 1024:
                self.rows = self.rows.below(value)  # pairs at or beyond U are never within a radius tried


#: violated points per nearest-site group that join S in a round: violations cluster in a few
#: groups, and one point a group made the 100k province's repairs add ~15 points a round
PER_GROUP = 4

#: points whose costs are computed at once when they join the relaxation (bounds the transient
#: dense block: 4,096 x 5,000 sites is 160 MB)
CHUNK = 4096


@dataclass(frozen=True)
class CenterSolution:
    """The outcome: ``result`` (objective = the plan's value, bound = the proven lower bound),
    the last decision MILP (if any ran), the plan (``None``: no plan), the relaxation's
    ``rounds`` and its final size ``relaxed`` (|S|), and the ``note`` saying what was done."""

    result: SolveResult
    model: pyo.ConcreteModel | None
    open_sites: np.ndarray | None
    rounds: int
    relaxed: int
    note: str


def solve_p_center(instance: SitingInstance, options: SolveOptions | None = None) -> CenterSolution:
    """Solve the uncapacitated p-center by the relaxation (module docstring).

    The result's objective is the plan's largest distance over every demand point, its bound
    the best proven lower bound; timings add every decision MILP (``build`` holds the rest:
    heuristic, costs, reductions, plan checks).
    """
    options = options or SolveOptions()
    t0, cpu0 = time.perf_counter(), time.process_time()
    search = _start(instance, CenterCosts(instance))
    stop = Termination.OPTIMAL
    try:
        while search.lower < search.upper:
            if options.expired(t0):
                stop = Termination.TIME_LIMIT
                break
            if search.candidates.size == 0:  # r*_S >= U: the plan is optimal (no plan: infeasible)
                search.lower = search.upper
                break
            r, full = _next_radius(search, options.budget(t0).seconds_left())
            # a stop signal (also one that ended the last decision's MILP) ends the search here
            stage(f"siting.p_center decision at r = {r:.9g} ({'full' if full else 'short'}; |S| = {len(search.points):,}, "
                  f"L = {search.lower:.9g}, U = {search.upper:.9g})")
            tick = time.process_time()
            answer = _decide(search, r, options.time_left(t0), full)
            _log.debug("decision r=%.9g full=%s |S|=%d L=%.9g U=%.9g: %s by %s, cover %s, MILP %.2f s, %.2f CPU-s",
                       r, full, len(search.points), search.lower, search.upper, answer.feasible, answer.by,
                       search.last_shape, sum(x.timings.solve or 0.0 for x in answer.results),
                       time.process_time() - tick)
            if answer.feasible is None and full:
                stop = answer.results[-1].termination
                if options.expired(t0):
                    stop = Termination.TIME_LIMIT
                break
            if answer.feasible is None:
                search.open_low, search.open_high = min(search.open_low, r), max(search.open_high, r)
            elif answer.feasible:
                if _check(search, answer.sites, r):  # S grew: the same radius again, on the larger S
                    search.retry = (r, full)
            else:
                above = search.candidates[search.candidates > r]
                search.raise_lower(float(above[0]) if above.size else search.upper)
    except KeyboardInterrupt:
        if search.plan is None:
            raise
        stop = Termination.INTERRUPTED
    return _finish(instance, search, stop, options, t0, cpu0)


def _next_radius(search: Search, seconds_left: float) -> tuple[float, bool]:
    """Step 2: the radius to decide and whether to decide it whatever it takes.

    A binary search that leaves the hard radii -- those near the relaxation's optimum, which a
    short decision left open -- for last: the median of the radii below the open ones and of
    those above them, in turn (the lower bound rises by cheap proofs, the plans improve and the
    relaxation grows). A radius whose plan failed the check on every point is decided again at
    once on the grown ``S`` (the cover of the last *yes* is the local search's start, so the
    repair is quick), until its answer holds for every point: a *yes* then brings ``U`` down to
    it, where a move to another radius would leave ``U`` at the starting plan's value (the 100k
    province: ``U`` stayed 20 % above ``L`` for minutes). Once no radius is outside the open range,
    the MILP's slice doubles and the search starts again over all radii (iterative deepening: the
    time spent on slices left open is at most what the last, deciding slice takes). The search
    used to decide the largest radius below ``U`` with all the time left: near ``r*_S`` the
    cover's LP bound is 3-5 sites below ``k`` on the 30k and 100k provinces, that *no* is out of
    reach, and each *yes* there moved ``U`` down by a radius or two; with slices the bound keeps
    rising by the *no* answers within reach. A slice that would reach the time limit is the
    search's last (``full``).
    """
    search.repeat = False
    if search.retry is not None:
        (r, full), search.retry = search.retry, None
        if search.lower <= r < search.upper:
            search.repeat = True
            return r, full
    radii = search.candidates
    sides = [radii[radii < search.open_low], radii[radii > search.open_high]]
    sides = [side for side in sides if side.size]
    if not sides:
        search.slice *= 2
        search.open_low, search.open_high = math.inf, -math.inf
        return float(radii[len(radii) // 2]), search.slice >= seconds_left
    search.turn += 1
    side = sides[search.turn % len(sides)]
    return float(side[len(side) // 2]), False


def _start(instance: SitingInstance, costs: CenterCosts) -> Search:
    """Bounds, the farthest-first plan and the first points of the relaxation (step 1)."""
    par = instance.parameters
    fixed = np.asarray(instance.fixed_open(), dtype=bool)
    cost = budget = None
    if par.budget is not None:
        new, closable = ~instance.existing(), instance.closable()
        cost = np.where(new, instance.fixed_costs(), np.where(closable, instance.closing_savings(), 0.0))
        budget = float(par.budget) + float(instance.closing_savings()[closable].sum())
    nearest, home = costs.nearest_open(np.arange(costs.m))
    search = Search(costs=costs, fixed=fixed, p=int(par.p), cost=cost, budget=budget, lower=float(nearest.max()),
                    home=home)
    start = farthest_first(costs, search.p, fixed)
    if budget is None or float(cost @ start.open) <= budget:
        search.offer(start.open, start.value)
    if search.k == 0:  # the sites that must be open are the only plan
        search.raise_lower(search.upper)
    d, near = costs.nearest_open(start.open)
    search.add(np.concatenate([start.visited, [int(np.argmax(nearest))], _farthest_per_site(d, near, -1.0)]))
    return search


def _farthest_per_site(d: np.ndarray, near: np.ndarray, r: float, q: int = 1) -> np.ndarray:
    """For each site, its ``q`` farthest points among the points beyond ``r`` that ``near``
    assigns to it (``near = -1``, unreachable, forms one group)."""
    beyond = np.flatnonzero(d > r)
    if beyond.size == 0:
        return beyond
    order = beyond[np.lexsort((-d[beyond], near[beyond]))]
    group = near[order]
    start = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    rank = np.arange(len(order)) - np.repeat(start, np.diff(np.r_[start, len(order)]))
    return order[rank < q]


def _decide(search: Search, r: float, options: SolveOptions, full: bool):
    """Step 3: the decision at ``r`` on the relaxation's points (``full``: whatever it takes;
    otherwise it may be left open)."""
    cover = cover_rows(search.rows, r, search.fixed, drop_columns=search.budget is None)
    search.reductions.add(cover.reductions)
    search.last_shape = cover.matrix.shape
    cost = None if search.cost is None else search.cost[cover.sites]
    answer = decide(cover, search.k, options, cost=cost, budget=search.budget, start=search.last, full=full,
                    repaired=search.repeat, short=search.slice)
    if answer.feasible:
        search.last = answer.sites
    search.answers[answer.by] += 1
    for result in answer.results:
        search.results.append(result)
        search.model = answer.model
        if result.size.get("rows", 0) >= search.largest.get("rows", 0):
            search.largest = dict(result.size)
    return answer


def _check(search: Search, sites: np.ndarray, r: float) -> bool:
    """Step 4: the plan of a *yes* on every point; its value offered, S grown if it fails
    (then True)."""
    bare = search.fixed.copy()
    bare[sites] = True
    d_bare, _ = search.costs.nearest_open(bare)
    plan, d = bare, d_bare
    if search.budget is None and bare.sum() < search.p:  # the sites left over serve the farthest points
        plan = complete(search.costs, bare, search.p)
        d = search.costs.nearest_open(plan)[0]
    search.offer(plan, float(d.max()))
    if d.max() <= r:
        return False
    # S grows by the points the cover's own sites leave beyond r, the farthest of each group of
    # points sharing a nearest site: up to m points spread over the map, not one per open site
    new = np.setdiff1d(_farthest_per_site(d_bare, search.home, r, PER_GROUP), search.points)
    if new.size == 0:
        raise RuntimeError(f"p-center relaxation: the plan serving S within {r!r} leaves a point of S beyond it")
    search.add(new)
    search.rounds += 1
    return True


def _finish(instance: SitingInstance, search: Search, stop: Termination, options: SolveOptions,
            t0: float, cpu0: float) -> CenterSolution:
    """Step 5: the completed plan and one result for every decision."""
    exact = search.lower >= search.upper
    plan = search.plan
    if plan is not None and search.budget is None:
        plan = complete(search.costs, plan, search.p)
    value = None
    if plan is not None:
        value = float(search.costs.nearest_open(plan)[0].max())
    if exact:
        termination = Termination.OPTIMAL if plan is not None else Termination.INFEASIBLE
    else:
        termination = stop
    status = SolutionStatus.NONE if plan is None else (
        SolutionStatus.OPTIMAL if termination is Termination.OPTIMAL else SolutionStatus.FEASIBLE)
    bound = search.lower if math.isfinite(search.lower) else None
    if exact and value is not None:
        bound = value
    gap = None if value is None or bound is None else abs(value - bound) / max(abs(value), 1e-12)
    parts = [r.timings for r in search.results]
    solver = Timings.combined(parts) if parts else Timings(solver_reported=0.0)
    wall = time.perf_counter() - t0
    timings = Timings(build=max(wall - solver.total, 0.0), handoff=solver.handoff, solve=solver.solve,
                      extract=solver.extract, solver_reported=solver.solver_reported,
                      cpu_total=time.process_time() - cpu0)
    note = _note(instance, search)
    result = SolveResult(
        termination=termination, solution_status=status, objective=value, bound=bound,
        gap=gap if gap is not None else (math.inf if plan is None else None), timings=timings,
        solver="highs", solver_version=highs_version(), backend="standard_form", options=options,
        message=note, nodes=sum(r.nodes or 0 for r in search.results), size=search.largest,
    )
    return CenterSolution(result=result, model=search.model, open_sites=plan, rounds=search.rounds,
                          relaxed=len(search.points), note=note)


def _note(instance: SitingInstance, search: Search) -> str:
    a, red = search.answers, search.reductions
    decisions = sum(a.values())
    return (
        f"p-center relaxation: {search.rounds} round(s), |S| = {len(search.points):,} of {instance.n_demand:,} "
        f"points; {decisions} decision(s) ({a['heuristic']} by a heuristic cover, {a['milp']} MILP, "
        f"{a['packing']} by a packing of {search.k + 1}+ points, {a['regions']} by a regional bound, "
        f"{a['empty']} by a point out of reach); reductions: {red.served_by_fixed:,} rows served by "
        f"existing sites, {red.merged:,} merged, {red.dominated_rows:,} dominated rows, "
        f"{red.dominated_columns:,} dominated sites"
    )
