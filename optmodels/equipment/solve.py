"""Solving an equipment instance: the Gini band added only where it binds.

The sign binaries of the band's lower side (and, in ``mean`` mode, the exact ratio) are what
make this MILP hard; the rest solves in a fraction of a second at provincial scale. So the
default strategy (``lazy``) solves relaxations first and adds the band only when needed:

1. solve without the band (for ``equity``: with its convex upper side, no sign binaries);
2. check the plan's Gini with the numpy evaluator; if it lies in the band, that plan is optimal
   for the full model -- it is optimal for a relaxation and feasible for the original;
3. otherwise solve the full model.

This is exact, not a heuristic; the summary says which stage certified the answer.
``strategy="full"`` solves the full model directly.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import pyomo.environ as pyo

from optmodels.equipment.evaluate import Evaluation, evaluate
from optmodels.equipment.formulation import build, plan_from_model
from optmodels.equipment.instance import EquipmentInstance
from solvers import SolveOptions, SolveResult, Timings, solve


@dataclass(frozen=True)
class EquipmentSolution:
    result: SolveResult
    objective: str
    evaluation: Evaluation | None  # None without a solution
    model: pyo.ConcreteModel
    strategy_note: str


def _add_timings(a: Timings, b: Timings) -> Timings:
    return Timings(
        build=a.build + b.build,
        handoff=a.handoff + b.handoff,
        solve=a.solve + b.solve,
        extract=a.extract + b.extract,
        solver_reported=a.solver_reported + b.solver_reported,
        cpu_total=a.cpu_total + b.cpu_total,
    )


def _run(instance, objective, options, gini) -> tuple[pyo.ConcreteModel, SolveResult]:
    t0 = time.perf_counter()
    model = build(instance, objective=objective, gini=gini)
    return model, solve(model, options, build_seconds=time.perf_counter() - t0)


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

    relaxed = "upper" if objective == "equity" else "none"
    t0 = time.perf_counter()
    model, first = _run(instance, objective, options, relaxed)
    if first.is_optimal:
        ev = evaluate(instance, plan_from_model(model))
        if ev.feasible:
            what = "without its lower side" if relaxed == "upper" else "without the Gini band"
            return _finish(
                instance, objective, model, first,
                f"lazy: the model {what} already gave a plan inside the band, so it is optimal",
            )
    elif not first.has_solution and first.termination.value in ("infeasible",):
        # A relaxation is infeasible: so is the full model (and the IIS is smaller).
        return _finish(instance, objective, model, first, "lazy: infeasible even without the Gini band")
    remaining = options
    if options.time_limit is not None:
        left = max(options.time_limit - (time.perf_counter() - t0), 0.5)
        remaining = dataclasses.replace(options, time_limit=left)
    model, full = _run(instance, objective, remaining, "full")
    full = dataclasses.replace(full, timings=_add_timings(first.timings, full.timings), options=options)
    return _finish(
        instance, objective, model, full,
        "lazy: the relaxed plan left the Gini band, so the full model was solved",
    )


def _finish(instance, objective, model, result, note) -> EquipmentSolution:
    ev = evaluate(instance, plan_from_model(model)) if result.has_solution else None
    return EquipmentSolution(result=result, objective=objective, evaluation=ev, model=model, strategy_note=note)
