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

    def solve(self, instance: EquipmentInstance, options: Any = None) -> Solution:
        from optmodels.equipment.formulation import build
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
            sol = solve_instance(instance, objective, options, strategy=self.strategy)
            return as_solution(instance, sol, self.strategy)
        from solvers.interrupt import stage

        stage("equipment.relaxation")
        t0 = time.perf_counter()
        key = structure_key(instance, objective)
        warm = self._live is not None and self._live[0] == key
        if warm:
            _, model, compiled = self._live
            first = self._resolve(instance, objective, options, model, compiled)
        else:
            self._live = None  # free the old model before building the next
            model = build(instance, objective=objective, gini=relaxation(objective))
            build_seconds = time.perf_counter() - t0
            compiled = StandardFormModel(model)
            first = compiled.run(options, build_seconds=build_seconds)
            self._live = (key, model, compiled)
        sol = after_relaxation(instance, objective, options, model, first, t0)
        return as_solution(instance, sol, self.strategy, warm=warm)

    @staticmethod
    def _resolve(instance: EquipmentInstance, objective: str, options: Any, model: Any, compiled: Any) -> Any:
        """Push the new budget rows (and cost coefficients) into the live model and re-solve,
        starting from the previous plan (the values the last run left in the variables)."""
        from optmodels.equipment.formulation import _add_objectives

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
        return compiled.run(options, handoff_seconds=time.perf_counter() - t0, warm_start=True)
