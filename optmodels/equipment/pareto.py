"""Multi-objective adapter of the equipment family for ``optmodels pareto`` (see optmodels.pareto_cli).

Objectives (:data:`optmodels.equipment.instance.OBJECTIVES`, all minimised): ``cost`` (purchases,
running and waiting), ``utilisation`` (idle capacity, the stand-in whose optimal plans maximise
the seed's Z -- reports show Z) and ``equity`` (the mean yearly population-weighted Gini). The
MILP is :func:`optmodels.equipment.formulation.build` with every selected objective built as a
named ``Objective`` component.

NSGA-II decision: the plan ``x`` flattened row-major from its (hospitals x years) 0/1 matrix.
The family's :class:`optmodels.equipment.problem.EquipmentProblem` is used when it exists; until
then a plain wrapper around the numpy evaluator stands in (one evaluation per plan, with every
constraint slack as ``G = -slack``) -- correct, slower, without the family's repair.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyomo.environ as pyo

from optmodels.equipment.evaluate import evaluate
from optmodels.equipment.formulation import build, plan_from_model
from optmodels.equipment.instance import OBJECTIVES, EquipmentInstance

INSTANCE = Path(__file__).resolve().parents[2] / "instances" / "equipment" / "tiny_cost.toml"
DEFAULT_OBJECTIVES = ("cost", "equity")


def objectives() -> dict[str, str]:
    return dict(OBJECTIVES)


def build_model(instance: EquipmentInstance, objectives: list[str]) -> pyo.ConcreteModel:
    return build(instance, objective=objectives[0], objectives=tuple(objectives))


def problem(instance: EquipmentInstance, objectives: list[str]):
    try:
        from optmodels.equipment.problem import EquipmentProblem
    except ImportError:
        prob = _EvaluatorProblem(instance, objectives)
    else:
        prob = EquipmentProblem(instance, objectives)
    if not hasattr(prob, "objective_names"):
        prob.objective_names = tuple(objectives)
    if not hasattr(prob, "senses"):
        prob.senses = tuple(OBJECTIVES[o] for o in objectives)
    shape = (instance.data.n_hospitals, instance.data.n_years)
    if not hasattr(prob, "summary"):
        prob.summary = lambda x: _plan_text(instance, np.asarray(x, dtype=float).reshape(shape))
    return prob


def _evaluator_problem_class():
    from pymoo.core.problem import Problem

    class EvaluatorProblem(Problem):
        """Stand-in pymoo Problem: the numpy evaluator, one plan at a time (see module docstring)."""

        def __init__(self, instance: EquipmentInstance, objectives: list[str]) -> None:
            d = instance.data
            self.instance = instance
            self.objective_names = tuple(objectives)
            self.senses = tuple(OBJECTIVES[o] for o in objectives)
            self.shape = (d.n_hospitals, d.n_years)
            probe = evaluate(instance, np.zeros(self.shape))
            self.slack_sizes = {k: v.size for k, v in probe.slacks.items() if k != "binary"}
            super().__init__(n_var=d.n_hospitals * d.n_years, n_obj=len(objectives),
                             n_ieq_constr=sum(self.slack_sizes.values()), xl=0, xu=1, vtype=bool)

        def _evaluate(self, X, out, *args, **kwargs):
            F, G = [], []
            for row in np.atleast_2d(np.asarray(X, dtype=float)):
                ev = evaluate(self.instance, row.reshape(self.shape))
                F.append([ev.objective(o) for o in self.objective_names])
                G.append(np.concatenate([-ev.slacks[k].ravel() for k in self.slack_sizes]))
            out["F"] = np.array(F)
            out["G"] = np.array(G)

    return EvaluatorProblem


def _EvaluatorProblem(instance: EquipmentInstance, objectives: list[str]):  # noqa: N802
    return _evaluator_problem_class()(instance, objectives)


def _plan_text(instance: EquipmentInstance, x: np.ndarray) -> str:
    hospitals = [h.id for h in instance.hospitals]
    years = list(instance.years)
    adds = [f"{hospitals[k]}@{years[j]}" for k, j in zip(*np.nonzero(np.round(x) > 0), strict=False)]
    return "adds: " + (" ".join(adds) if adds else "none")


def decision_summary(model_or_x: Any) -> str:
    if isinstance(model_or_x, pyo.Block):
        d = model_or_x.data
        x = plan_from_model(model_or_x)
        adds = [f"h{k}@y{j}" for k, j in zip(*np.nonzero(np.round(x) > 0), strict=False)]
        return f"adds {int(np.round(x).sum())} of {d.n_hospitals * d.n_years}: " + " ".join(adds)
    return "adds: " + " ".join(map(str, np.flatnonzero(np.asarray(model_or_x, dtype=float) > 0.5)))


def decision_vector(instance: EquipmentInstance, model: pyo.ConcreteModel) -> np.ndarray:
    """The NSGA-II decision (the plan, flattened row-major) of a solved MILP."""
    return np.round(plan_from_model(model)).astype(bool).ravel()
