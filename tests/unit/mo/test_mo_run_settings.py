"""The front-ends' shared RunSettings: ``run=`` and the old keywords give the same front."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import pytest

from solvers import RunSettings
from solvers.epsilon import epsilon_front
from solvers.moea import linear_model_problem, nsga2_front
from solvers.weighted_sum import weighted_sum_front


def _knapsack() -> pyo.ConcreteModel:
    model = pyo.ConcreteModel()
    model.x = pyo.Var(range(6), domain=pyo.Binary)
    w, a, b = [4, 3, 5, 2, 6, 3], [7, 2, 6, 3, 8, 4], [1, 6, 3, 5, 2, 4]
    model.cap = pyo.Constraint(expr=sum(w[i] * model.x[i] for i in range(6)) <= 11)
    model.obj = pyo.ObjectiveList()
    model.obj.add(expr=sum(a[i] * model.x[i] for i in range(6)), sense=pyo.maximize)
    model.obj.add(expr=sum(b[i] * model.x[i] for i in range(6)), sense=pyo.maximize)
    model.obj.deactivate()
    return model


def _packed(model) -> str:
    return "packed " + " ".join(str(i) for i in model.x if model.x[i].value > 0.5)


@pytest.mark.parametrize("front", [epsilon_front, weighted_sum_front])
def test_run_settings_and_keywords_give_the_same_front(front):
    by_run = front(_knapsack(), run=RunSettings(summary=_packed, decision=lambda m: "d"))
    by_keywords = front(_knapsack(), summary=_packed, decision=lambda m: "d")
    np.testing.assert_allclose(by_run.points, by_keywords.points, rtol=0, atol=1e-9)
    assert by_run.summaries == by_keywords.summaries
    assert all(s.startswith("packed") for s in by_run.summaries)
    assert set(by_run.decisions) == {"d"}
    # a keyword beside run= overrides that field only
    mixed = front(_knapsack(), run=RunSettings(summary=_packed), decision=lambda m: "e")
    assert set(mixed.decisions) == {"e"}
    assert mixed.summaries == by_run.summaries


def test_nsga2_reads_summary_from_run_and_refuses_keywords_it_never_took():
    problem = linear_model_problem(_knapsack())
    res = nsga2_front(problem, pop_size=8, generations=3, seed=1, run=RunSettings(summary=lambda x: "s"))
    assert set(res.summaries) == {"s"}
    assert res.summaries == nsga2_front(problem, pop_size=8, generations=3, seed=1, summary=lambda x: "s").summaries
    with pytest.raises(TypeError, match="nsga2_front\\(\\) got an unexpected keyword argument 'workers'"):
        nsga2_front(problem, workers=2)
    with pytest.raises(TypeError, match="epsilon_front\\(\\) got an unexpected keyword argument 'pop_size'"):
        epsilon_front(_knapsack(), pop_size=3)
    with pytest.raises(TypeError, match="run must be a solvers.run_settings.RunSettings"):
        weighted_sum_front(_knapsack(), run={"workers": 1})
