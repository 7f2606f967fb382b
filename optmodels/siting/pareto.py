"""Multi-objective adapter of the siting family for ``optmodels pareto`` (see optmodels.pareto_cli).

Objectives: the location objectives of :data:`optmodels.siting.problem.OBJECTIVES` that both the
MILP (:func:`optmodels.siting.formulation.build`, named ``Objective`` components) and the pymoo
Problem (:class:`optmodels.siting.problem.SitingProblem`) provide. The default trade-off is
efficiency vs equity of a p-median plan: total weighted distance vs the worst distance (the
p-center radius), on the instance's own model (``p`` sites); when the model does not fix ``p``
(LSCP, CFLP) it is distance vs the number of open sites (:func:`default_objectives`).

NSGA-II decision: the open-site vector ``y``. The repair restores the cheap constraints -- the
cardinality ``sum y = p`` (opening/closing random free sites from a generator seeded once, so a
run stays reproducible) and existing non-closable sites kept open.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyomo.environ as pyo

from optmodels.siting.data.instance import SitingInstance
from optmodels.siting.formulation import build, decode
from optmodels.siting.models import p_fixes_count
from optmodels.siting.problem import OBJECTIVES, SitingProblem

DEFAULT_OBJECTIVES = ("distance", "max_distance")


def default_objectives(instance: SitingInstance) -> tuple[str, str]:
    """Efficiency vs equity (distance vs worst distance) when ``p`` fixes the number of sites;
    otherwise efficiency vs how many sites it takes (distance vs ``n_facilities``)."""
    # a p that fixes the number of open sites makes n_facilities a constant
    if p_fixes_count(instance.model, instance.parameters.p):
        return DEFAULT_OBJECTIVES
    return ("distance", "n_facilities")


def build_model(instance: SitingInstance, objectives: list[str]) -> pyo.ConcreteModel:
    """The instance's location model with every selected objective as a named component."""
    return build(instance, objectives=objectives)


def problem(instance: SitingInstance, objectives: list[str]) -> SitingProblem:
    prob = SitingProblem(instance, objectives)
    prob.senses = tuple(OBJECTIVES[o] for o in objectives)
    must = np.asarray(instance.fixed_open(), dtype=bool)
    p = instance.parameters.p if "facility_count" in prob.constraint_names else None
    rng = np.random.default_rng(12345)

    def repair(X: np.ndarray) -> np.ndarray:
        Y = np.asarray(X).astype(bool).copy()
        Y[:, must] = True
        if p is None:
            return Y
        for row in Y:
            free_open = np.flatnonzero(row & ~must)
            closed = np.flatnonzero(~row)
            excess = int(row.sum()) - p
            if excess > 0:
                row[rng.choice(free_open, size=min(excess, len(free_open)), replace=False)] = False
            elif excess < 0:
                row[rng.choice(closed, size=min(-excess, len(closed)), replace=False)] = True
        return Y

    prob.repair = repair
    prob.summary = lambda y: _sites(instance, np.asarray(y, dtype=bool))
    return prob


def _sites(instance: SitingInstance, y: np.ndarray) -> str:
    ids = [s.id for s in instance.sites]
    return "open: " + " ".join(ids[j] for j in np.flatnonzero(y))


def decision_summary(model_or_x: Any) -> str:
    if isinstance(model_or_x, pyo.Block):
        y, _ = decode(model_or_x)
        return _sites(model_or_x._instance, y)
    return "open: " + " ".join(map(str, np.flatnonzero(np.asarray(model_or_x, dtype=bool))))


def decision_vector(instance: SitingInstance, model: pyo.ConcreteModel) -> np.ndarray:
    """The NSGA-II decision (open-site vector) of a solved MILP."""
    y, _ = decode(model)
    return y
