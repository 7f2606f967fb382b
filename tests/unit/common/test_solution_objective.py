"""``sol.objective`` is the objective's value; its name is ``sol.objective_name``."""

from __future__ import annotations

import json
import math
import pickle

import pytest

import optmodels


@pytest.fixture(scope="module")
def solution(instances_dir):
    return optmodels.solve(instances_dir / "equipment" / "tiny_cost.toml")


def test_objective_is_the_number_and_objective_name_the_name(solution):
    assert solution.objective_name == "cost"
    assert isinstance(solution.objective, float)
    assert solution.objective == pytest.approx(solution.result.objective, rel=1e-12)
    assert solution.objective_value == pytest.approx(solution.result.objective, rel=1e-12)
    assert math.isfinite(solution.objective + 1.0)
    assert json.loads(json.dumps({"v": solution.objective}))["v"] == pytest.approx(solution.result.objective)
    again = pickle.loads(pickle.dumps(solution.objective))
    assert (float(again), again.name) == (pytest.approx(solution.result.objective), "cost")


def test_the_old_reading_still_answers_with_a_deprecation_warning(solution):
    with pytest.warns(DeprecationWarning, match="objective_name"):
        assert solution.objective == "cost"
    with pytest.warns(DeprecationWarning, match="objective_name"):
        assert solution.objective != "equity"


def test_no_solution_has_no_objective_value(instances_dir):
    solution = optmodels.solve(instances_dir / "pricing" / "no_viable_model1.yaml")
    assert solution.objective is None
    assert solution.objective_name == "profit"
