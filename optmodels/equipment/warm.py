"""Warm re-solves of neighbouring equipment instances (a scenario sweep's steps).

The lazy strategy's first model (:func:`optmodels.equipment.solve.relaxation`: the plan without
the Gini band for ``cost`` and ``utilisation``) is where most sweeps spend their time, and for
these objectives it depends on a few fields only as numbers HiGHS can change in place:

=====================================  ===========================================================
``budget``                             right-hand side of the ``budget`` row
``yearly_budget`` (when present)       right-hand sides of the ``yearly_budget`` rows
``costs.running_per_hour`` / ``...``   objective coefficients (``cost``); unused (``utilisation``)
``gini``                               not in this model at all (the band is checked afterwards)
``name``, ``description``, ``delphi``  not in any model
=====================================  ===========================================================

Every other field shapes the model (sets, matrix coefficients, the waiting secants), so an
instance that differs in any of them is built afresh, as is every ``equity`` instance (its first
model holds the band and the budget-dependent binary expansion of the totals) and the
``strategy="full"`` path. After the first model the lazy strategy continues exactly as
:func:`optmodels.equipment.solve.solve_instance` does (the band's restriction and full model, when
the band binds, are built for each instance), so a warm solve returns the same answer as a cold
one; the previous plan is handed to HiGHS as a MIP start (kept when still feasible).

The session is also a :class:`~optmodels.contract.MonotoneSolver`, so that a sweep can bracket
(:mod:`optmodels.sweep.bracket`). Instance ``b`` *relaxes* ``a`` when they are the same problem
-- every field equal but ``name`` and ``description``, the same objective -- except that ``b``
allows more: ``budget`` at least ``a``'s; ``yearly_budget`` absent, or each year's at least
``a``'s; ``max_new_per_year`` absent or at least ``a``'s; the Gini band at least as wide (``lo``
no higher, 0 and ``null`` both meaning no lower side; ``hi`` no lower; the same ``mode``). These
fields enter the model only as right-hand sides of ``<=`` / ``>=`` rows on the plan (the budget,
the band's sides), and the objectives (cost, idle capacity, mean Gini) are functions of the plan
alone, so ``b``'s feasible plans contain ``a``'s with the same values: ``a``'s plan is ``b``'s
as it is (:meth:`WarmEquipment.carry` re-checks it with the evaluator all the same), and ``b``'s
bound bounds ``a``. A change of costs, demand, capacities, prices or years is not a relaxation
in either direction (the objective or the stable plans move), nor is a change of band ``mode``.
"""

from __future__ import annotations

import json
import time
from typing import Any

from optmodels.contract import Solution
from optmodels.equipment.instance import EquipmentInstance

#: fields the first model does not hold, or holds only as bounds / objective coefficients
_IN_PLACE = ("name", "description", "delphi", "objective", "budget", "gini", "costs")


def structure_key(instance: EquipmentInstance, objective: str) -> str:
    """Equal keys: the first models of the two instances differ only in what :class:`WarmEquipment`
    changes in place."""
    doc = instance.model_dump(mode="json")
    if objective != "equity":
        for key in _IN_PLACE:
            doc.pop(key, None)
        doc["yearly_budget"] = None if instance.yearly_budget is None else len(instance.yearly_budget)
    return json.dumps({"objective": objective, "doc": doc}, sort_keys=True)


class WarmEquipment:
    """The equipment family's :class:`~optmodels.contract.WarmSolver` (``FAMILY.warm``)."""

    def __init__(self, *, objective: str | None = None, strategy: str = "lazy") -> None:
        self.objective = objective
        self.strategy = strategy
        self._live: tuple[str, Any, Any] | None = None  # (structure key, Pyomo model, StandardFormModel)

    def _objective(self, instance: EquipmentInstance) -> str:
        return self.objective or instance.objective

    def relaxes(self, a: EquipmentInstance, b: EquipmentInstance) -> bool:
        """Whether ``b`` relaxes ``a`` (the module docstring says when)."""
        if self._objective(a) != self._objective(b):
            return False
        loose = ("name", "description", "objective", "budget", "yearly_budget", "max_new_per_year", "gini")
        da, db = (x.model_dump(mode="json", exclude=set(loose)) for x in (a, b))
        if da != db or b.budget < a.budget or a.gini.mode != b.gini.mode:
            return False
        if (b.gini.lo or 0.0) > (a.gini.lo or 0.0) or b.gini.hi < a.gini.hi:
            return False
        if b.max_new_per_year is not None and (a.max_new_per_year is None or b.max_new_per_year < a.max_new_per_year):
            return False
        if b.yearly_budget is not None:
            if a.yearly_budget is None or len(a.yearly_budget) != len(b.yearly_budget):
                return False
            if any(yb < ya for ya, yb in zip(a.yearly_budget, b.yearly_budget, strict=True)):
                return False
        return True

    def carry(self, instance: EquipmentInstance, donor: Solution, bound: float | None, options: Any) -> Solution | None:
        """The donor's plan as a Solution of ``instance``, re-checked by the evaluator (``None``
        when it fails there); optimal when within the gap of ``bound`` (HiGHS's rule)."""
        import dataclasses
        import math

        from optmodels.contract import relative_gap, within_gap
        from optmodels.equipment.evaluate import evaluate
        from optmodels.equipment.solve import EquipmentSolution, as_solution
        from solvers import SolutionStatus, Termination, Timings

        if donor.decision is None:
            return None
        try:
            ev = evaluate(instance, donor.decision)
        except ValueError:  # another shape of plan: not this instance's
            return None
        if not ev.feasible:
            return None
        objective = self._objective(instance)
        value = ev.objective(objective)
        proven = within_gap(value, bound, "min", options)
        gap = relative_gap(value, bound)
        result = dataclasses.replace(
            donor.result, termination=Termination.OPTIMAL if proven else Termination.UNKNOWN,
            solution_status=SolutionStatus.OPTIMAL if proven else SolutionStatus.FEASIBLE, objective=value,
            bound=bound, gap=math.inf if gap is None else gap, timings=Timings(), options=options, nodes=None,
            root_bound=None, message="")
        note = ("inferred by bracketing: the plan of a scenario this one relaxes, re-checked here by the "
                "evaluator, within the MIP gap of the bound of a scenario that relaxes this one")
        sol = EquipmentSolution(result=result, objective=objective, evaluation=ev, model=None, strategy_note=note)
        out = as_solution(instance, sol, self.strategy)
        return dataclasses.replace(out, extra={**out.extra, "carried": True})

    def solve(self, instance: EquipmentInstance, options: Any = None, *, start: Solution | None = None,
              bound: float | None = None) -> Solution:
        """Solve ``instance`` (in place on the live model when only budgets or costs changed),
        from ``start``'s plan when given. ``bound`` (a relaxed neighbour's) is not used: the
        band-free model is solved at HiGHS's root in a few hundredths of a second."""
        from optmodels.equipment.formulation import build, start_from_plan
        from optmodels.equipment.solve import (
            after_relaxation,
            as_solution,
            relaxation,
            solve_instance,
        )
        from solvers import SolveOptions, StandardFormModel

        options = options or SolveOptions()
        objective = self.objective or instance.objective
        if self.strategy != "lazy" or objective == "equity":
            # these strategies build every model afresh and take no start: ``start`` is unused
            sol = solve_instance(instance, objective, options, strategy=self.strategy)
            return as_solution(instance, sol, self.strategy)
        from solvers.interrupt import stage

        stage("equipment.relaxation")
        t0 = time.perf_counter()
        key = structure_key(instance, objective)
        warm = self._live is not None and self._live[0] == key
        plan = None if start is None else start.decision
        if warm:
            _, model, compiled = self._live
            first = self._resolve(instance, objective, options, model, compiled, plan)
        else:
            self._live = None  # free the old model before building the next
            model = build(instance, objective=objective, gini=relaxation(objective))
            build_seconds = time.perf_counter() - t0
            compiled = StandardFormModel(model)
            if plan is not None:
                start_from_plan(model, plan)
            first = compiled.run(options, build_seconds=build_seconds, warm_start=plan is not None)
            self._live = (key, model, compiled)
        sol = after_relaxation(instance, objective, options, model, first, t0)
        out = as_solution(instance, sol, self.strategy, warm=warm)
        if plan is None:
            return out
        import dataclasses

        return dataclasses.replace(out, extra={**out.extra, "started": True})

    @staticmethod
    def _resolve(instance: EquipmentInstance, objective: str, options: Any, model: Any, compiled: Any,
                 plan: Any = None) -> Any:
        """Push the new budget rows (and cost coefficients) into the live model and re-solve,
        starting from ``plan`` (a neighbour's, carried and checked) or else the previous plan
        (the values the last run left in the variables)."""
        from optmodels.equipment.formulation import _add_objectives, start_from_plan

        t0 = time.perf_counter()
        d, old = instance.data, model.data
        compiled.set_constraint_bounds(model.budget, None, d.budget)
        if d.yearly_budget is not None:
            for j in model.J:
                compiled.set_constraint_bounds(model.yearly_budget[j], None, float(d.yearly_budget[j]))
        if objective == "cost" and (d.h, d.b) != (old.h, old.b):
            # The formulation's own objective, rebuilt on the live variables with the new costs.
            model.del_component(model.cost)
            _add_objectives(model, d, ("cost",), "cost")
            compiled.set_objective(model.cost)
        model.data = d  # reports and MIP starts read the instance's arrays from the model
        if plan is not None:
            start_from_plan(model, plan)
        return compiled.run(options, handoff_seconds=time.perf_counter() - t0, warm_start=True)
