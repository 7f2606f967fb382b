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
3. **full model**, started from the restricted plan (a MIP start), so HiGHS always holds an
   incumbent: a time limit returns it with its gap instead of nothing.

Steps 2-3 share the time limit (the restriction gets at most a third). This is exact, not a
heuristic: step 1 certifies optimality only when the band is slack, step 3 otherwise.
``strategy="full"`` solves the full model directly.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import pyomo.environ as pyo

from optmodels.contract import Solution
from optmodels.equipment.evaluate import Evaluation, evaluate
from optmodels.equipment.formulation import build, order_signs, plan_from_model, start_from_plan
from optmodels.equipment.instance import EquipmentInstance
from solvers import SolutionStatus, SolveOptions, SolveResult, Termination, Timings, solve


@dataclass(frozen=True)
class EquipmentSolution:
    result: SolveResult
    objective: str
    evaluation: Evaluation | None  # None without a solution
    model: pyo.ConcreteModel
    strategy_note: str


def _run(instance, objective, options, gini, *, signs=None, start=None):
    t0 = time.perf_counter()
    model = build(instance, objective=objective, gini=gini, signs=signs)
    if start is not None:
        start_from_plan(model, start)
    result = solve(model, options, build_seconds=time.perf_counter() - t0, warm_start=start is not None)
    return model, result


def _with_limit(options: SolveOptions, t0: float, share: float = 1.0) -> SolveOptions:
    if options.time_limit is None:
        return options
    left = max(options.time_limit - (time.perf_counter() - t0), 0.5)
    return dataclasses.replace(options, time_limit=max(left * share, 0.5))


def solve_instance(
    instance: EquipmentInstance,
    objective: str | None = None,
    options: SolveOptions | None = None,
    *,
    strategy: str = "lazy",
) -> EquipmentSolution:
    """Solve for ``objective`` (default: the instance's) and evaluate the plan independently."""
    objective = objective or instance.objective
    options = options or SolveOptions()
    if strategy not in ("lazy", "full"):
        raise ValueError(f"strategy must be lazy or full, found {strategy!r}")
    if strategy == "full":
        model, result = _run(instance, objective, options, "full")
        return _finish(instance, objective, model, result, "full model solved directly")

    t0 = time.perf_counter()
    model, first = _run(instance, objective, options, relaxation(objective))
    return after_relaxation(instance, objective, options, model, first, t0)


def relaxation(objective: str) -> str:
    """The Gini variant of the lazy strategy's first model (step 1)."""
    return "upper" if objective == "equity" else "none"


def after_relaxation(
    instance: EquipmentInstance,
    objective: str,
    options: SolveOptions,
    model: pyo.ConcreteModel,
    first: SolveResult,
    t0: float,
) -> EquipmentSolution:
    """Steps 2-3 of the lazy strategy, given the relaxation's solved ``model`` and ``first``
    result (a sweep's warm session solves step 1 on a live model and continues here)."""
    relaxed = relaxation(objective)
    if not first.has_solution:
        note = "lazy: no solution even without the Gini band"
        return _finish(instance, objective, model, first, note)
    plan = plan_from_model(model)
    ev = evaluate(instance, plan)
    if first.is_optimal and ev.feasible:
        what = "without its lower side" if relaxed == "upper" else "without the Gini band"
        note = f"lazy: the model {what} already gave a plan inside the band, so it is optimal"
        return _finish(instance, objective, model, first, note)

    signs = order_signs(instance.data, ev.region_sets)
    rmodel, restricted = _run(instance, objective, _with_limit(options, t0, 1 / 3), "ordered", signs=signs)
    start = None
    if restricted.has_solution:
        candidate = plan_from_model(rmodel)
        if evaluate(instance, candidate).feasible:
            start = candidate
    model, full = _run(instance, objective, _with_limit(options, t0), "full", start=start)
    timings = Timings.combined((first.timings, restricted.timings, full.timings))
    started = "started from the restricted model's plan" if start is not None else "no restricted plan to start from"
    if not full.has_solution and start is not None:
        # HiGHS stopped before accepting the start: the restricted plan is still a valid incumbent.
        objective_value = evaluate(instance, start).objective(objective)
        bound = full.bound if full.bound is not None else first.bound
        gap = abs(objective_value - bound) / max(abs(objective_value), 1e-12) if bound is not None else math.inf
        full = dataclasses.replace(
            restricted, termination=full.termination if full.termination is not Termination.OPTIMAL else Termination.UNKNOWN,
            solution_status=SolutionStatus.FEASIBLE, bound=bound, gap=gap,
        )
        model = rmodel
    full = dataclasses.replace(full, timings=timings, options=options)
    note = (
        "lazy: the relaxed plan left the Gini band; the full model was solved, "
        f"{started} (the Gini order of the relaxed plan fixed)"
    )
    return _finish(instance, objective, model, full, note)


def _finish(instance, objective, model, result, note) -> EquipmentSolution:
    ev = evaluate(instance, plan_from_model(model)) if result.has_solution else None
    return EquipmentSolution(result=result, objective=objective, evaluation=ev, model=model, strategy_note=note)


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
        objective=sol.objective,
        sense="min",
        result=sol.result,
        instance=instance,
        report=REPORTER,
        decision=None if ev is None else ev.x,
        evaluation=ev,
        notes=(f"strategy: {sol.strategy_note}",),
        extra={"strategy": strategy, **({"warm": True} if warm else {})},
    )
