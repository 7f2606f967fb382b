"""Solving an equipment instance: the Gini band added only where it binds.

The sign binaries of the band's lower side (and, in ``mean`` mode, the exact ratio) are what
make this MILP hard; the rest solves in a fraction of a second at provincial scale. The default
strategy (``lazy``) brackets the full model between a relaxation and a restriction:

1. **relaxation**: solve without the band (for ``equity``: with its convex upper side). Check
   the plan's Gini with the numpy evaluator; if it lies in the band, that plan is optimal for the
   full model -- it is optimal for a relaxation and feasible for the original. Done.
2. **restriction**: otherwise fix every pair's sign to the relaxed plan's per-capita ordering
   (``build(gini="ordered")``): the lower side becomes linear and implies the real band, so any
   plan found is feasible for the full model. It has no sign or ratio binaries and solves fast.
3. **neighbourhood searches** (:mod:`optmodels.equipment.neighbourhood`), both restrictions of
   the full model that only supply incumbents (every plan re-checked by the evaluator, no bound
   taken from them): sub-MILPs in which only the signs of pairs of regions close in the
   incumbent's per-capita ordering are free, then sub-MILPs in which only the additions of a
   **block** of a few regions are free (every other hospital keeps the incumbent's).
4. **tightening** (:mod:`optmodels.equipment.tighten`): bounds on every region's and year's total
   implied by the best plan's cost (LPs of the band-free relaxation under that cost cap). They
   hold at every plan at least as good, so they keep the optimum; narrower ranges fix more sign
   binaries, shrink the big-M values and the binary expansion of T_j, and let the root bound
   leave the band-free bound. The nearer the plan is to the optimum, the narrower the box: this
   is why it comes after the searches (measured in ``docs/equipment.md``).
5. **full model** with those bounds, started from the best plan so far (a MIP start), so HiGHS
   always holds an incumbent: a time limit returns it with its gap instead of nothing. In
   ``each_year`` mode the column bound (:mod:`optmodels.equipment.columns`, at most
   :data:`COLUMN_SHARE` of the time left) comes first; the larger bound is reported.

Steps 2-5 share the time limit, held by one :class:`~solvers.options.Budget` begun with step 1
(the restriction gets at most a third, the searches at most :data:`NEIGHBOURHOOD_SHARE` of what
is then left, half each unless the first ends early; the tightening LPs at most
:data:`TIGHTEN_SHARE` of what is left after them). Without a time limit each
search sub-MILP gets at most :data:`SEARCH_STEP_SECONDS`, the ordering search widens up to
:data:`NEIGHBOURHOOD_MAX_WIDTH` places and the block search stops after a round of blocks
without a better plan. A greedy plan
(:mod:`optmodels.equipment.heuristic`) competes with the restricted plan as the start and is the
incumbent of last resort. ``strategy="tight"`` also tightens before step 3 (under the start's
cost), so the searches run on the tightened model too. This is exact, not a heuristic: step 1
certifies optimality only when the band is slack, step 5 otherwise, and its bound is valid
because the reported plan's cost is never above the cap the box was computed under.
``strategy="full"`` solves the full model directly.

A stop signal (Ctrl-C, or SIGTERM from the command line) in an interruptible block ends the
strategy where it is (:mod:`solvers.interrupt`): the running HiGHS run stops, a search returns the
best plan it has, no later stage starts (no further build, no tightening LP), and the best plan so
far is returned with termination ``interrupted`` and its gap to the band-free bound. Each stage
starts with :func:`solvers.interrupt.stage` (its name on stderr with ``OPTMODELS_STAGES=1``).
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field

import pandas as pd
import pyomo.environ as pyo

from optmodels.contract import Solution
from optmodels.equipment import columns, neighbourhood
from optmodels.equipment.evaluate import Evaluation, evaluate
from optmodels.equipment.formulation import build, order_signs, plan_from_model, start_from_plan
from optmodels.equipment.heuristic import feasible_plan
from optmodels.equipment.instance import OBJECTIVES, EquipmentInstance
from optmodels.equipment.tighten import region_bounds
from optmodels.errors import bad_choice
from solvers import (
    SolutionStatus,
    SolveOptions,
    SolveResult,
    StandardFormModel,
    Termination,
    Timings,
    solve,
)
from solvers.interrupt import requested, stage
from solvers.options import Budget

#: share of the time left after step 2 that the neighbourhood search may use (0: off)
NEIGHBOURHOOD_SHARE = 0.5
#: without a time limit, the widest neighbourhood searched (the full model proves the rest)
NEIGHBOURHOOD_MAX_WIDTH = 2
#: with a time limit, each region-block sub-MILP gets at most 1/BLOCK_STEPS of the search's time
BLOCK_STEPS = 10
#: share of the time left after the searches that tightening the region totals may use
TIGHTEN_SHARE = 0.25
#: share of the time left after the tightening that the column bound may use (columns.py; each_year
#: mode only: in mean mode the ratio's denominator keeps it near the band-free bound, measured in
#: docs/equipment.md). At 31 x 300 x 5 the full model's root does not finish in the time left and
#: its bound stays the band-free one, so the column bound is worth most of it; where the column
#: generation converges sooner (16 x 120 x 5) it ends early and the full model gets the rest.
COLUMN_SHARE = 0.9
#: without a time limit, each search sub-MILP still stops after this many seconds: the searches
#: only supply incumbents, and one left to prove its neighbourhood can take longer than the
#: full model in the box (regional_band.json at a zero gap and no limit: not done after 14 CPU
#: minutes with unlimited steps; proven in 66 s wall with them capped at 10 s).
#: A step that times out without a better plan ends the ordering search; a round of blocks
#: without one ends the block search, so both still end.
SEARCH_STEP_SECONDS = 10.0


#: the Gini band strategies (see the module docstring)
STRATEGIES = ("lazy", "full", "tight")


def resolve_objective(instance: EquipmentInstance, objective: str | None) -> str:
    """The objective to optimise (``None``: the instance's), or a UsageError listing them."""
    name = instance.objective if objective is None else objective
    if not isinstance(name, str) or name not in OBJECTIVES:
        raise bad_choice("objective", name, f"expected one of {', '.join(OBJECTIVES)} (the equipment family's objectives)")
    return name


@dataclass(frozen=True)
class EquipmentSolution:
    result: SolveResult
    objective: str
    evaluation: Evaluation | None  # None without a solution
    model: pyo.ConcreteModel
    strategy_note: str
    #: the valid lower bound of the band-free relaxation (lazy/tight step 1; ``None`` for
    #: ``full`` or when step 1 had none): what the Gini band is measured against
    band_free: float | None = None


def _run(instance, objective, options, gini, *, signs=None, start=None, bounds=None):
    t0 = time.perf_counter()
    model = build(instance, objective=objective, gini=gini, signs=signs, bounds=bounds)
    if start is not None:
        start_from_plan(model, start)
    result = solve(model, options, build_seconds=time.perf_counter() - t0, warm_start=start is not None)
    return model, result


def solve_instance(
    instance: EquipmentInstance,
    objective: str | None = None,
    options: SolveOptions | None = None,
    *,
    strategy: str = "lazy",
) -> EquipmentSolution:
    """Solve for ``objective`` (default: the instance's) and evaluate the plan independently.

    A bad ``objective`` or ``strategy`` is a :class:`~optmodels.errors.UsageError`."""
    objective = resolve_objective(instance, objective)
    options = options or SolveOptions()
    if strategy not in STRATEGIES:
        raise bad_choice("strategy", strategy, f"expected one of {', '.join(STRATEGIES)}", flag="--gini-strategy")
    if strategy == "full":
        plan = feasible_plan(instance)
        stage("equipment.full")
        model, result = _run(instance, objective, options, "full", start=plan)
        note = "full model solved directly" + (", started from the greedy plan" if plan is not None else "")
        if not result.has_solution and plan is not None and _stopped_early(result):
            result = _incumbent(instance, objective, model, plan, result, [result.bound])
            note += "; the solver stopped with no plan of its own, so the greedy plan is returned"
        return _finish(instance, objective, model, result, note)

    t0 = time.perf_counter()
    stage("equipment.relaxation")
    model, first = _run(instance, objective, options, relaxation(objective))
    return after_relaxation(instance, objective, options, model, first, t0, strategy=strategy)


def relaxation(objective: str) -> str:
    """The Gini variant of the lazy strategy's first model (step 1)."""
    return "upper" if objective == "equity" else "none"


@dataclass
class _Progress:
    """Where the lazy strategy's steps 2-5 are: the best plan so far (``start``, evaluator-feasible,
    or ``None``), the timings of the runs done, and the note's parts; what an interrupted
    strategy reports from."""

    why: str
    start: object = None
    stages: list = field(default_factory=list)
    step: str = "the restriction"
    searched: str = ""
    columns: columns.ColumnBound | None = None


@dataclass
class _Full:
    """The full model of steps 3-5: built once, rebuilt when step 4 narrows its box. ``built``
    counts the seconds spent building it (a rebuild's tightening LPs included, compiling not);
    ``bounds`` is the box (``None``: none) and ``tightened_at`` the cost it was computed under."""

    model: pyo.ConcreteModel
    compiled: StandardFormModel
    built: float
    bounds: object = None
    tightened_at: float = math.inf


def after_relaxation(
    instance: EquipmentInstance,
    objective: str,
    options: SolveOptions,
    model: pyo.ConcreteModel,
    first: SolveResult,
    t0: float,
    *,
    strategy: str = "lazy",
) -> EquipmentSolution:
    """The lazy strategy (or ``tight``) from step 1's verdict on, given the relaxation's solved
    ``model`` and ``first`` result (a sweep's warm session solves step 1 on a live model and
    continues here); ``t0`` is when the strategy began (``time.perf_counter()``), the start of
    its one time budget."""
    band_free = first.bound if relaxation(objective) == "none" else None
    verdict = _relaxation(instance, objective, model, first, band_free)  # step 1's verdict
    if isinstance(verdict, EquipmentSolution):
        return verdict
    ev = verdict
    why = "the relaxed plan left the Gini band" if not ev.feasible else "the relaxed model stopped at its limit"
    progress = _Progress(why=why, start=_first_start(instance, objective, ev), stages=[first.timings])
    budget = options.budget(t0)
    if budget.expired():
        return _no_time_after_relaxation(instance, objective, model, first, progress, band_free)
    try:
        model, full, note = _bracket(instance, objective, budget, first, ev, strategy, progress)
    except KeyboardInterrupt:
        if not requested():
            raise  # a library caller's Ctrl-C outside an interruptible block: as ever
        model, full, note = _interrupted(instance, objective, model, first, strategy, progress)
    if first.bound is not None:
        note += f"; band-free bound {first.bound:.10g}"
    full = _with_bound(full, first.bound)
    if progress.columns is not None and progress.columns.bound is not None and full.has_solution:
        # valid for every plan at most as dear as the box's cap, which the reported plan is
        full = _with_bound(full, min(progress.columns.bound, full.objective))
    full = dataclasses.replace(full, timings=Timings.combined(progress.stages), options=options)
    return _finish(instance, objective, model, full, note, band_free=band_free)


def _bracket(instance, objective, budget: Budget, first, ev, strategy, progress: _Progress):
    """Steps 2-5 after the relaxation's result ``first`` and its plan's evaluation ``ev``:
    ``(model, result, note)``.

    ``progress.start`` always holds the best plan so far, so that a stop signal at any point
    (``KeyboardInterrupt``, raised by :func:`solvers.interrupt.stage` where a stage would start or
    by the handler in Python code) leaves the caller a plan to report.
    """
    rmodel, restricted = _restriction(instance, objective, budget, ev, progress)  # step 2
    if budget.expired() and progress.start is not None:
        result = _at_time_limit(instance, objective, rmodel, progress.start, restricted, first.bound)
        return rmodel, result, f"lazy: {progress.why}; the time limit came before the full model"
    bounds, tightened_at = _tight_box(instance, objective, strategy, progress)  # "tight" only
    full = _build_full(instance, objective, bounds, tightened_at, progress)
    _search(instance, objective, budget, full, progress)  # step 3
    _tighten(instance, objective, budget, full, progress)  # step 4
    _columns(instance, objective, budget, full, progress)  # each_year: a bound before step 5
    result = _full_model(instance, objective, budget, full, first, progress)  # step 5
    return full.model, result, _note(strategy, progress, full, result)


def _relaxation(instance, objective, model, first, band_free) -> EquipmentSolution | Evaluation:
    """Step 1's verdict on the relaxation's ``first`` result: the answer when it settles the
    strategy (no plan even without the band, or an optimal plan inside it), else the
    evaluation of its plan for the steps after it."""
    if not first.has_solution:
        note = "lazy: no solution even without the Gini band"
        if _stopped_early(first):
            plan = feasible_plan(instance)
            if plan is not None:
                first = _incumbent(instance, objective, model, plan, first, [first.bound])
                when = ("a stop signal" if first.termination is Termination.INTERRUPTED
                        else "the time limit")
                note = (f"lazy: {when} came before the model without the band found a plan; "
                        "the greedy plan (feasible, checked by the evaluator) is returned")
        return _finish(instance, objective, model, first, note, band_free=band_free)
    ev = evaluate(instance, plan_from_model(model))
    if first.is_optimal and ev.feasible:
        what = "without its lower side" if relaxation(objective) == "upper" else "without the Gini band"
        note = f"lazy: the model {what} already gave a plan inside the band, so it is optimal"
        return _finish(instance, objective, model, first, note, band_free=band_free)
    return ev


def _first_start(instance, objective, ev: Evaluation):
    """The incumbent of last resort: the greedy plan (cheap, and always worth having), or the
    relaxed plan ``ev.x`` if it is inside the band and better -- a time-limited relaxation may
    still hold one."""
    greedy = feasible_plan(instance)
    if ev.feasible and (greedy is None or ev.objective(objective) < _value(instance, greedy, objective)):
        return ev.x
    return greedy


def _no_time_after_relaxation(instance, objective, model, first, progress: _Progress, band_free) -> EquipmentSolution:
    """No time for the other stages: the better of the greedy and relaxed plans, bounded by the
    relaxation."""
    note = f"lazy: {progress.why} and the time limit came; the better of the greedy and relaxed plans returned"
    if progress.start is None:
        result = dataclasses.replace(first, solution_status=SolutionStatus.NONE, termination=Termination.TIME_LIMIT)
    else:
        result = _at_time_limit(instance, objective, model, progress.start, first, first.bound)
    return _finish(instance, objective, model, result, note, band_free=band_free)


def _restriction(instance, objective, budget: Budget, ev: Evaluation, progress: _Progress):
    """Step 2: every pair's sign fixed to the relaxed plan's per-capita ordering, in at most a
    third of the time left; its plan becomes the start if it is feasible and no worse.
    Returns the restricted model and its result."""
    stage("equipment.restriction")
    signs = order_signs(instance.data, ev.region_sets)
    rmodel, restricted = _run(instance, objective, budget.time_left(1 / 3), "ordered", signs=signs)
    progress.stages.append(restricted.timings)
    if restricted.has_solution:
        candidate, start = plan_from_model(rmodel), progress.start
        if evaluate(instance, candidate).feasible and (
            start is None or _value(instance, candidate, objective) <= _value(instance, start, objective)
        ):
            progress.start = candidate
    return rmodel, restricted


def _tight_box(instance, objective, strategy, progress: _Progress):
    """``strategy="tight"``: step 4 before step 3 too, under the start's cost, so that the
    searches run on the tightened model. ``(bounds, the cost they hold under)``; ``(None, inf)``
    otherwise (``bounds`` may also be ``None`` when the LPs gave no box)."""
    if strategy != "tight" or progress.start is None or objective not in ("cost", "utilisation"):
        return None, math.inf
    stage("equipment.tighten")
    progress.step = "the tightening LPs"
    tightened_at = _value(instance, progress.start, objective)
    return region_bounds(instance, tightened_at, objective=objective), tightened_at


def _build_full(instance, objective, bounds, tightened_at: float, progress: _Progress) -> _Full:
    """The full model in the box ``bounds`` (``None``: none), compiled for HiGHS."""
    stage("equipment.build")
    progress.step = "the full model's build"
    model, compiled, built = _full_in_box(instance, objective, bounds, time.perf_counter())
    return _Full(model, compiled, built, bounds, tightened_at)


def _full_in_box(instance, objective, bounds, since: float):
    """``(model, compiled, seconds since `since` less the compile time)`` of the full model."""
    model = build(instance, objective=objective, gini="full", bounds=bounds)
    compiled = StandardFormModel(model)
    return model, compiled, time.perf_counter() - since - compiled.compile_seconds


def _search(instance, objective, budget: Budget, full: _Full, progress: _Progress) -> None:
    """Step 3, the two neighbourhood searches from the start (when there is one, the share is
    not 0 and the full model has sign binaries), on ``full``'s compiled model; the best plan
    is kept in ``progress``. With a time limit they share :data:`NEIGHBOURHOOD_SHARE` of what
    is left; without one each sub-MILP gets at most :data:`SEARCH_STEP_SECONDS`."""
    if progress.start is None or not NEIGHBOURHOOD_SHARE > 0 or not hasattr(full.model, "z"):
        return
    limit = budget.time_left(NEIGHBOURHOOD_SHARE).time_limit  # None: no time limit
    seconds = math.inf if limit is None else limit
    options = budget.options
    t_nb = time.perf_counter()
    stage("equipment.orderings")
    progress.step = "the ordering search"
    nb = neighbourhood.search(
        instance, objective, full.model, full.compiled, progress.start, options=options, seconds=seconds / 2,
        max_width=None if limit is not None else NEIGHBOURHOOD_MAX_WIDTH,
        step_seconds=SEARCH_STEP_SECONDS if limit is None else max(seconds / 6, 2.0),
    )
    progress.stages.extend(nb.timings)
    if nb.improved:
        progress.start = nb.plan
    progress.searched = (f"; neighbourhood search: {nb.solves} sub-MILPs, {nb.accepted} better plans "
                         f"({nb.start_value:.10g} -> {nb.value:.10g}), widths up to {nb.width}")
    stage("equipment.blocks")
    progress.step = "the block search"
    blk = neighbourhood.blocks(
        instance, objective, full.model, full.compiled, progress.start, options=options,
        seconds=seconds - (time.perf_counter() - t_nb),  # what the ordering search left of the share
        step_seconds=SEARCH_STEP_SECONDS if limit is None else max(seconds / BLOCK_STEPS, 2.0),
        seed=options.seed or 0,
    )
    progress.stages.extend(blk.timings)
    if blk.improved:
        progress.start = blk.plan
    progress.searched += (f"; region blocks: {blk.solves} sub-MILPs, {blk.accepted} better plans "
                          f"({blk.start_value:.10g} -> {blk.value:.10g})")


def _tighten(instance, objective, budget: Budget, full: _Full, progress: _Progress) -> None:
    """Step 4: the box of region totals under the best plan's cost (in at most
    :data:`TIGHTEN_SHARE` of the time left), and ``full`` rebuilt in it -- when there is a plan,
    the objective is cost or utilisation, time is left and the plan beats the cost of any box
    already in place. The searches usually end far below the first start: the box under their
    plan's cost is much narrower (fewer free signs, smaller big-M, a root bound that moves)."""
    if progress.start is None or not hasattr(full.model, "z") or objective not in ("cost", "utilisation"):
        return
    cap = _value(instance, progress.start, objective)
    if budget.expired() or (full.bounds is not None and not cap < full.tightened_at):
        return
    stage("equipment.tighten")
    progress.step = "the tightening LPs"
    tb = time.perf_counter()
    box = region_bounds(instance, cap, objective=objective, seconds=budget.time_left(TIGHTEN_SHARE).time_limit)
    if box is None or not box.lps:
        return
    stage("equipment.rebuild")
    progress.step = "the full model's rebuild"
    full.bounds, full.tightened_at = box, cap
    full.model, full.compiled, rebuilt = _full_in_box(instance, objective, box, tb)
    full.built += rebuilt


def _columns(instance, objective, budget: Budget, full: _Full, progress: _Progress) -> None:
    """Before step 5, in ``each_year`` mode with the cost objective: the column bound
    (:mod:`optmodels.equipment.columns`), which charges for the band's dispersion where the full
    model's root stays at the band-free bound, in at most :data:`COLUMN_SHARE` of the time left;
    kept in ``progress.columns``. It is valid under the box's cost cap, which the best plan meets."""
    if (progress.start is None or not hasattr(full.model, "z") or objective != "cost"
            or instance.data.gini_mode != "each_year" or budget.expired()):
        return
    stage("equipment.columns")
    progress.step = "the column bound"
    progress.columns = columns.column_bound(
        instance, bounds=full.bounds, plans=[progress.start], seconds=budget.time_left(COLUMN_SHARE).time_limit)


def _full_model(instance, objective, budget: Budget, full: _Full, first, progress: _Progress) -> SolveResult:
    """Step 5: the full model in its box with the time left, started from the best plan so far,
    which stays the incumbent if HiGHS stops before accepting it."""
    stage("equipment.full")
    progress.step = "the full model"
    start = progress.start
    if start is not None:
        start_from_plan(full.model, start)
    result = full.compiled.run(budget.time_left(), build_seconds=full.built, warm_start=start is not None)
    progress.stages.append(result.timings)
    if not result.has_solution and start is not None:
        # HiGHS stopped before accepting the start: the start is still a valid incumbent.
        result = _incumbent(instance, objective, full.model, start, result, [result.bound, first.bound])
    return result


def _note(strategy, progress: _Progress, full: _Full, result: SolveResult) -> str:
    """What steps 2-5 did, for the strategy note. A start after step 2 is never lost later, and
    without one the searches and the tightening do not run: whether the full model had one
    is whether ``progress`` holds one now."""
    started = ("started from the better of the restricted and the greedy plans" if progress.start is not None
               else "no plan to start from")
    tightened = (f"; region totals tightened by {full.bounds.lps} LPs under the cost {full.tightened_at:.10g}"
                 if full.bounds is not None else "")
    if progress.columns is not None:
        tightened += "; " + progress.columns.note()
    solved = "stopped by a signal" if result.termination is Termination.INTERRUPTED else "solved"
    return (f"{strategy}: {progress.why}; the full model was {solved}, "
            f"{started} (the Gini order of the relaxed plan fixed){progress.searched}{tightened}")


def _interrupted(instance, objective, model, first, strategy, progress: _Progress):
    """``(model, result, note)`` when a stop signal ended steps 2-5 in ``progress.step``: the best
    plan so far in the relaxation's ``model`` (always fully built), termination ``interrupted``."""
    note = (f"{strategy}: {progress.why}; stopped by a signal during {progress.step}"
            f"{progress.searched}; the best plan found so far is returned")
    if progress.start is None:
        result = dataclasses.replace(first, termination=Termination.INTERRUPTED,
                                     solution_status=SolutionStatus.NONE, objective=None, gap=math.inf,
                                     variables={}, message=f"stopped by a signal during {progress.step}")
        return model, result, note + " (none was found)"
    result = _incumbent(instance, objective, model, progress.start, first, [first.bound])
    result = dataclasses.replace(result, termination=Termination.INTERRUPTED,
                                 message=f"stopped by a signal during {progress.step}")
    return model, result, note


def _at_time_limit(instance, objective, model, plan, template: SolveResult, bound: float | None) -> SolveResult:
    """:func:`_incumbent` of ``plan`` bounded by ``bound``, stopped by the time limit."""
    result = _incumbent(instance, objective, model, plan, template, [bound])
    return dataclasses.replace(result, termination=Termination.TIME_LIMIT)


def _with_bound(result: SolveResult, bound: float | None) -> SolveResult:
    """The better of the result's own bound and another valid lower bound (a relaxation's)."""
    if bound is None or not math.isfinite(bound) or not result.has_solution:
        return result
    if result.bound is not None and math.isfinite(result.bound) and result.bound >= bound:
        return result
    value = result.objective
    gap = max(value - bound, 0.0) / max(abs(value), 1e-12)
    return dataclasses.replace(result, bound=bound, gap=gap)


def _value(instance: EquipmentInstance, plan, objective: str) -> float:
    return evaluate(instance, plan).objective(objective)


def _stopped_early(result: SolveResult) -> bool:
    """A limit or an interruption, not a proof that no plan exists."""
    return result.termination not in (Termination.INFEASIBLE, Termination.UNBOUNDED,
                                       Termination.INFEASIBLE_OR_UNBOUNDED, Termination.ERROR)


def _incumbent(instance, objective, model, plan, template: SolveResult, bounds) -> SolveResult:
    """``template`` (a solve that ended without a plan) holding ``plan`` as its incumbent, with
    the best of the valid lower ``bounds`` (every objective is minimised)."""
    start_from_plan(model, plan)
    value = _value(instance, plan, objective)
    finite = [b for b in bounds if b is not None and math.isfinite(b)]
    bound = max(finite) if finite else None
    gap = abs(value - bound) / max(abs(value), 1e-12) if bound is not None else math.inf
    termination = template.termination
    if termination is Termination.OPTIMAL:
        termination = Termination.UNKNOWN
    frame = pd.DataFrame([(*idx, var.value) for idx, var in model.x.items()],
                         columns=["index_0", "index_1", "index_2", "value"])
    return dataclasses.replace(template, termination=termination, solution_status=SolutionStatus.FEASIBLE,
                               objective=value, bound=bound, gap=gap, variables={"x": frame})


def _finish(instance, objective, model, result, note, *, band_free=None) -> EquipmentSolution:
    ev = evaluate(instance, plan_from_model(model)) if result.has_solution else None
    if ev is not None and not ev.feasible:
        # The numpy evaluator is the definition of feasibility: a plan it rejects is never
        # reported as optimal or feasible, whatever the MILP's tolerances accepted.
        result = dataclasses.replace(
            result, solution_status=SolutionStatus.INFEASIBLE,
            message=f"the solver's plan breaks {sorted(ev.violations)} when re-checked by the evaluator",
        )
        note += "; the returned plan failed the evaluator's check and is not a solution"
    return EquipmentSolution(result=result, objective=objective, evaluation=ev, model=model, strategy_note=note,
                             band_free=band_free)


def solve_equipment(
    instance: EquipmentInstance,
    options: SolveOptions | None = None,
    *,
    objective: str | None = None,
    strategy: str = "lazy",
) -> Solution:
    """The family's one call: :func:`solve_instance` returned as a contract
    :class:`~optmodels.contract.Solution` (plan, independent evaluation, tables, files)."""
    sol = solve_instance(instance, objective, options, strategy=strategy)
    return as_solution(instance, sol, strategy)


def as_solution(instance: EquipmentInstance, sol: EquipmentSolution, strategy: str, *, warm: bool = False) -> Solution:
    """An :class:`EquipmentSolution` as the contract's Solution (``extra["warm"]``: the first
    model was a live one re-used from the previous instance)."""
    from optmodels.equipment.report import REPORTER

    ev = sol.evaluation
    return Solution(
        family="equipment",
        objective_name=sol.objective,
        sense="min",
        result=sol.result,
        instance=instance,
        report=REPORTER,
        decision=None if ev is None else ev.x,
        evaluation=ev,
        notes=(f"strategy: {sol.strategy_note}",),
        extra={"strategy": strategy, "band_free_bound": sol.band_free, **({"warm": True} if warm else {})},
        model=sol.model,
    )
