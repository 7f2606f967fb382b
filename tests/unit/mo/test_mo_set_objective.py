"""StandardFormModel.set_objective: change the objective of a compiled model without rebuilding."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import pytest

from solvers import StandardFormModel


def _model() -> pyo.ConcreteModel:
    # max 3x + 2y s.t. x + y <= 4, x + 3y <= 6, x <= 3 ; integer x, y >= 0
    model = pyo.ConcreteModel()
    model.x = pyo.Var(domain=pyo.NonNegativeIntegers, bounds=(0, 3))
    model.y = pyo.Var(domain=pyo.NonNegativeIntegers)
    model.capacity = pyo.Constraint(expr=model.x + model.y <= 4)
    model.labour = pyo.Constraint(expr=model.x + 3 * model.y <= 6)
    model.profit = pyo.Objective(expr=3 * model.x + 2 * model.y, sense=pyo.maximize)
    model.waste = pyo.Objective(expr=model.y - model.x + 10, sense=pyo.minimize)
    model.waste.deactivate()
    return model


def test_set_objective_matches_a_fresh_model_for_each_objective_and_sense():
    model = _model()
    compiled = StandardFormModel(model)
    assert compiled.run().objective == pytest.approx(11.0)  # x=3, y=1

    compiled.set_objective(model.waste)  # min y - x + 10 -> x=3, y=0 -> 7
    result = compiled.run()
    assert result.objective == pytest.approx(7.0)
    assert compiled.column_values() @ compiled.linear_coefficients(model.waste.expr)[0] == -3

    compiled.set_objective(model.y, "max", offset=1.0)  # max y + 1 -> y=2 -> 3
    assert compiled.run().objective == pytest.approx(3.0)

    costs = np.zeros(len(compiled.columns))
    costs[compiled.columns.index(model.x)] = 1.0
    compiled.set_objective(costs, "min")
    assert compiled.run().objective == pytest.approx(0.0)


def test_set_objective_rejects_bad_input():
    model = _model()
    compiled = StandardFormModel(model)
    with pytest.raises(ValueError, match="sense"):
        compiled.set_objective(model.waste, "sideways")
    with pytest.raises(ValueError, match="costs"):
        compiled.set_objective(np.zeros(7), "min")
    model.z = pyo.Var()
    with pytest.raises(KeyError, match="not in the compiled model"):
        compiled.set_objective(model.z, "min")
