r"""The uncapacitated p-median at population-grid scale: five steps over candidate lists.

:func:`optmodels.siting.median.radius.solve_p_median` comes here when the instance is too large
for the dense matrix (``instance.is_large``, or ``sparse=True``). Nothing ``n x m`` is built;
every step reads each point's list of nearest sites and its tail
(:mod:`~optmodels.siting.median.candidates`), and every answer is the p-median's:

1. **Lists** (:meth:`Candidates.of <optmodels.siting.median.candidates.Candidates.of>`): the
   ``k`` nearest free sites of each point that beat its nearest fixed-open site.
2. **Incumbent** (:func:`~optmodels.siting.median.interchange.list_search`): greedy, fast
   interchange and VNS on the lists; its cost is recomputed exactly (the nearest open site of
   every point by KD-tree), and points it leaves beyond their lists get longer lists until none
   is left. A plan exists from here on: a time limit returns it with its gap.
3. **Lagrangian bound and reduction** (:func:`~optmodels.siting.median.lagrangian.list_subgradient`,
   :func:`~optmodels.siting.median.lagrangian.list_reduce`): a bound in seconds (the one reported
   if the LP is not reached in time) and the sites no optimal plan opens.
4. **LP bound** (:meth:`Master.lp_phase <optmodels.siting.median.benders.Master.lp_phase>`): the
   Benders master's cut loop, to the radius formulation's LP bound; then slack cuts are dropped
   and sites fixed by reduced cost.
5. **Proof** (:func:`_mip_rounds`): the master as a MIP from the incumbent, its plan separated,
   violated cuts added, again -- until a plan violates nothing; HiGHS's gap is then the proof.

The bound reported is the best valid one met on the way (Lagrangian, LP, each MIP round's dual
bound: each is a relaxation's), the objective the best plan's exact cost.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field

import numpy as np

from optmodels.siting.data.instance import SitingInstance
from solvers import SolutionStatus, SolveOptions, SolveResult, Termination, Timings
from solvers.interrupt import requested, stage, until_interrupted
from solvers.options import Budget

#: the first list length: 64 nearest sites (20,000 x 2,000: 99.5 % of the points' lists are
#: exact; the rest are extended where a plan or a cut needs them)
FIRST_K = 64
#: CPU seconds of local search (greedy, interchange, VNS) when no time limit says otherwise
SEARCH_SECONDS = 20.0
#: CPU seconds of subgradient steps
LAGRANGIAN_SECONDS = 20.0


@dataclass
class _Progress:
    """What the strategy holds so far: the best plan and its exact cost, the best bound, notes."""

    plan: np.ndarray
    upper: float
    fixed: np.ndarray
    bound: float = -math.inf
    notes: list[str] = field(default_factory=list)
    timings: list[Timings] = field(default_factory=list)
    #: the size of the largest model solved (the Benders master as a MIP); a plan the
    #: Lagrangian bound proves has none, and then counts its free sites as the integers
    size: dict[str, int] = field(default_factory=dict)

    def offer(self, plan: np.ndarray, cost: float) -> bool:
        if cost < self.upper - 1e-9 * max(abs(self.upper), 1.0):
            self.plan, self.upper = plan.copy(), cost
            return True
        return False


def true_cost(instance: SitingInstance, plan: np.ndarray) -> float:
    """``sum_i w_i d(i, nearest open site)`` by the instance's own costs (a KD-tree over the open
    sites for coordinates; ``inf`` if some point has no open site within the cut-off)."""
    d, _ = instance.costs.nearest_open(np.flatnonzero(plan))
    cutoff = instance.parameters.cutoff
    if cutoff is not None:
        d = np.where(d <= cutoff, d, np.inf)
    return float(instance.populations() @ d) if np.isfinite(d).all() else math.inf


def beyond_lists(cand, plan: np.ndarray) -> np.ndarray:
    """Points that ``plan`` leaves with no listed site open and an inexact tail: their cost is
    not known from the lists."""
    hit = np.bincount(cand.point[plan[cand.site]], minlength=cand.n) > 0
    return np.flatnonzero(~hit & ~cand.exact)


def solve_at_scale(instance: SitingInstance, options: SolveOptions | None = None, *,
                   k: int = FIRST_K, search_seconds: float | None = None):
    """Solve the uncapacitated p-median over candidate lists (see the module docstring).

    Returns a :class:`~optmodels.siting.median.radius.RadiusSolution` (``model`` is ``None``:
    the master lives in HiGHS only) whose objective is the best plan's exact cost and whose
    bound is the best valid bound found.
    """
    from optmodels.siting.median.candidates import Candidates
    from optmodels.siting.median.radius import RadiusSolution

    options = options or SolveOptions()
    t0 = time.perf_counter()
    budget = options.budget(t0)
    cpu0 = time.process_time()
    w = instance.populations()
    p = int(instance.parameters.p)
    limit = options.time_limit
    stage("siting.scale.lists")
    cand = Candidates.of(instance, min(k, instance.n_sites))
    lists_s = time.perf_counter() - t0
    cand, progress = _incumbent(instance, cand, w, p, _share(limit, 0.1, search_seconds or SEARCH_SECONDS))
    progress.notes.append(f"lists: {cand.nnz:,} pairs ({cand.exact.mean():.1%} of the points exact) in "
                          f"{lists_s:.1f} s; local search {progress.upper:.10g}")
    termination = Termination.INTERRUPTED  # a stop signal: the plan (and bound) so far
    try:
        if not requested():
            cand, reduction = _lagrangian(cand, w, p, progress, _share(limit, 0.1, LAGRANGIAN_SECONDS))
        progress.timings.append(Timings(build=time.perf_counter() - t0, cpu_total=time.process_time() - cpu0))
        if not requested():
            termination = _prove(instance, cand, w, p, reduction, progress, options, budget)
    except KeyboardInterrupt:  # raised in Python code between two solves; progress holds the best
        if not requested():
            raise
    result = _result(progress, termination, options, time.process_time() - cpu0)
    note = "; ".join(progress.notes)
    result = dataclasses.replace(result, message=f"p-median at scale (candidate lists, Benders): {note}")
    return RadiusSolution(result=result, model=None, open_sites=progress.plan, rounds=max(len(progress.timings) - 1, 0),
                          note=f"candidate lists and Benders cuts: {note}")


def _share(limit: float | None, fraction: float, cap: float) -> float:
    return cap if limit is None else min(cap, fraction * limit)


def _incumbent(instance: SitingInstance, cand, w: np.ndarray, p: int, seconds: float):
    """Step 2: a plan whose list cost is its exact cost (lists extended until it is)."""
    from optmodels.siting.median.interchange import list_search

    stage("siting.scale.local_search")
    plan = list_search(cand, w, p, seconds=seconds)
    with until_interrupted():  # stopped: the plan as it is, evaluated exactly below
        for _ in range(20):
            far = beyond_lists(cand, plan.open)
            if len(far) == 0 or requested():
                break
            cand = cand.extend(instance, far)
            plan = list_search(cand, w, p, start=plan.open, seconds=seconds / 4, shakes=0)
    return cand, _Progress(plan=plan.open, upper=true_cost(instance, plan.open), fixed=cand.fixed)


def _lagrangian(cand, w: np.ndarray, p: int, progress: _Progress, seconds: float):
    """Step 3: the list Lagrangian's bound and the sites it proves closed or opened."""
    from optmodels.siting.median.lagrangian import list_reduce, list_subgradient

    stage("siting.scale.subgradient")
    t = time.process_time()
    lb = list_subgradient(cand, w, p, progress.upper, seconds=seconds)
    red = list_reduce(cand, w, p, progress.upper, lb)
    progress.bound = max(progress.bound, red.bound)
    progress.notes.append(f"Lagrangian bound {red.bound:.10g} ({lb.iterations} steps, {time.process_time() - t:.1f} s CPU), "
                          f"{int(red.closed.sum())} sites closed, {int(red.opened.sum())} opened")
    return cand, red


def _prove(instance: SitingInstance, cand, w: np.ndarray, p: int, reduction, progress: _Progress,
           options: SolveOptions, budget: Budget) -> Termination:
    """Steps 4 and 5; returns why the strategy stopped."""
    from optmodels.siting.median.benders import Master
    from solvers.interrupt import StopOnSigint

    if progress.upper - progress.bound <= _gap(options) * abs(progress.upper) + 1e-9 * max(abs(progress.upper), 1.0):
        progress.notes.append("the Lagrangian bound proves the local-search plan")
        return Termination.OPTIMAL
    stage("siting.scale.benders_lp")
    master = Master(cand, w, p, reduction.closed, reduction.opened)
    left = budget.seconds_left()
    tl = time.perf_counter()
    with StopOnSigint(master.highs) as stop:
        lp = master.lp_phase(progress.plan, left, stop=lambda: stop.requested)
    interrupted = stop.requested
    h = master.highs
    progress.size = {"rows": h.getNumRow(), "columns": h.getNumCol(), "nonzeros": h.getNumNz(), "integers": master.ny}
    progress.timings.append(Timings(solve=time.perf_counter() - tl))
    if lp.optimal:
        progress.bound = max(progress.bound, lp.bound)
        fixed = master.prune_and_fix(lp.bound, progress.upper)
        progress.notes.append(f"LP bound {lp.bound:.10g} ({lp.rounds} rounds, {master.cuts:,} cuts, "
                              f"{time.perf_counter() - tl:.1f} s); {fixed} more sites closed by reduced cost")
    if interrupted:
        return Termination.INTERRUPTED
    if not lp.optimal:
        progress.notes.append(f"LP phase stopped after {lp.rounds} rounds")
        return Termination.TIME_LIMIT
    if progress.upper - progress.bound <= _gap(options) * abs(progress.upper) + 1e-9 * max(abs(progress.upper), 1.0):
        return Termination.OPTIMAL
    return _mip_rounds(instance, master, progress, options, budget)


def _mip_rounds(instance: SitingInstance, master, progress: _Progress, options: SolveOptions, budget: Budget,
                max_rounds: int = 100) -> Termination:
    """Step 5: the master as a MIP, re-solved with the cuts its plans violate."""
    from optmodels.siting.median.radius import _after_presolve
    from solvers import StandardFormModel

    options = _after_presolve(options)
    for rounds in range(1, max_rounds + 1):
        left = budget.seconds_left()
        if left <= 0:
            return Termination.TIME_LIMIT
        stage(f"siting.scale.benders_mip round {rounds}", checked=False)
        sf = StandardFormModel.from_lp(master.mip_model(), "siting_p_median_benders")
        progress.size = dict(sf.size)
        start = master.values(progress.plan)
        _set_start(sf.highs, start)
        # the seconds left as they are, without Budget.time_left's floor: the last round ends at the limit
        run = dataclasses.replace(options, time_limit=left) if math.isfinite(left) else options
        result = sf.run(run)
        progress.timings.append(result.timings)
        if result.bound is not None and math.isfinite(result.bound):
            progress.bound = max(progress.bound, min(result.bound, progress.upper))
        if not result.has_solution:
            return result.termination
        x = sf.column_values()
        plan = master.cand.fixed.copy()
        plan[master.sites] = x[: master.ny] > 0.5
        far = beyond_lists(master.cand, plan)
        if len(far):
            master.cand = master.cand.extend(instance, far)
        pts, level, _ = master.violated(x, integral=True)
        progress.offer(plan, true_cost(instance, plan))
        if len(pts) == 0 and len(far) == 0:
            # the plan violates no cut: the master prices it at its true cost, HiGHS's gap holds
            progress.notes.append(f"{rounds} MIP round(s), {master.cuts:,} cuts in all")
            return result.termination
        master.add(master.highs, pts, level)
        if result.termination is not Termination.OPTIMAL:
            return result.termination
    return Termination.ITERATION_LIMIT


def _set_start(highs, values: np.ndarray) -> None:
    import highspy

    point = highspy.HighsSolution()
    point.col_value = values.tolist()
    point.value_valid = True
    highs.setSolution(point)


def _gap(options: SolveOptions) -> float:
    return 1e-4 if options.mip_rel_gap is None else float(options.mip_rel_gap)


def _result(progress: _Progress, termination: Termination, options: SolveOptions, cpu: float) -> SolveResult:
    from solvers import highs_version

    upper, bound = progress.upper, progress.bound
    bound = min(bound, upper) if math.isfinite(bound) else None
    gap = (upper - bound) / max(abs(upper), 1e-9) if bound is not None else math.inf
    if termination is Termination.OPTIMAL and gap > _gap(options) + 1e-9:
        termination = Termination.ITERATION_LIMIT  # never "optimal" without the proof
    status = SolutionStatus.OPTIMAL if termination is Termination.OPTIMAL else SolutionStatus.FEASIBLE
    parts = [dataclasses.replace(t, cpu_total=0.0) for t in progress.timings]
    timings = dataclasses.replace(Timings.combined(parts), cpu_total=cpu)
    size = progress.size or {"rows": 0, "columns": 0, "nonzeros": 0, "integers": int((~progress.fixed).sum())}
    return SolveResult(termination=termination, solution_status=status, objective=upper, bound=bound,
                       gap=max(gap, 0.0), timings=timings, size=size, solver="highs", solver_version=highs_version(),
                       backend="standard_form", options=options, message="")
