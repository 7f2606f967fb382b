"""Multi-objective adapter of the equipment family for ``optmodels pareto`` (see optmodels.pareto_cli).

Objectives (:data:`optmodels.equipment.instance.OBJECTIVES`, all minimised): ``cost`` (purchases,
running and waiting), ``utilisation`` (idle capacity, the stand-in whose optimal plans maximise
the seed's Z -- reports show Z) and ``equity`` (the mean yearly population-weighted Gini). The
MILP is :func:`optmodels.equipment.formulation.build` with every selected objective built as a
named ``Objective`` component.

NSGA-II decision: the plan ``x`` flattened row-major from its (hospitals x years) 0/1 matrix.
NSGA-II runs on the family's :class:`optmodels.equipment.problem.EquipmentProblem` (vectorised over
the population) with its :class:`~optmodels.equipment.problem.BudgetRepair` (adds the sets queue
stability forces, drops the dearest optional additions until the budget holds) as ``repair``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyomo.environ as pyo

from optmodels.equipment.formulation import build, plan_from_model
from optmodels.equipment.instance import EquipmentInstance
from optmodels.equipment.problem import BudgetRepair, EquipmentProblem

DEFAULT_OBJECTIVES = ("cost", "equity")


def default_objectives(instance: EquipmentInstance) -> tuple[str, ...]:
    return DEFAULT_OBJECTIVES


def build_model(instance: EquipmentInstance, objectives: list[str]) -> pyo.ConcreteModel:
    return build(instance, objective=objectives[0], objectives=tuple(objectives))


def problem(instance: EquipmentInstance, objectives: list[str]) -> EquipmentProblem:
    """The family's vectorised Problem with its :class:`BudgetRepair` attached for NSGA-II."""
    prob = EquipmentProblem(instance, objectives)
    prob.repair = BudgetRepair()
    return prob


def decision_summary(model_or_x: Any) -> str:
    """``4 sets: N1@2026 N2@2026 ...`` -- hospital ids and years, the same words as the NSGA-II
    problem's summary, so every method's front names a plan alike (it printed index pairs
    ``h0@y0`` for the MILP methods)."""
    if isinstance(model_or_x, pyo.Block):
        d = model_or_x.data
        x = plan_from_model(model_or_x)
        adds = [f"{d.hospitals[k]}@{d.years[j]}" for k, j in zip(*np.nonzero(np.round(x) > 0), strict=False)]
        return f"{len(adds)} sets: " + (" ".join(adds) if adds else "none")
    return "adds: " + " ".join(map(str, np.flatnonzero(np.asarray(model_or_x, dtype=float) > 0.5)))


def decision_vector(instance: EquipmentInstance, model: pyo.ConcreteModel) -> np.ndarray:
    """The NSGA-II decision (the plan, flattened row-major) of a solved MILP."""
    return np.round(plan_from_model(model)).astype(bool).ravel()
