"""The vectorised pymoo Problem agrees with the numpy evaluator on every entry."""

from __future__ import annotations

import numpy as np
import pytest

from optmodels.equipment import EquipmentInstance, evaluate
from optmodels.equipment.generate import generate
from optmodels.equipment.problem import BudgetRepair, EquipmentProblem


@pytest.mark.parametrize("mode", ["mean", "each_year"])
def test_problem_matches_evaluator(mode):
    data = generate(6, 20, 3, seed=4)
    data["gini"] = {"lo": 0.1, "hi": 0.3, "mode": mode}
    data["yearly_budget"] = [30.0, 30.0, 30.0]
    data["max_new_per_year"] = 9
    inst = EquipmentInstance.from_dict(data)
    problem = EquipmentProblem(inst, ["cost", "utilisation", "equity"])
    rng = np.random.default_rng(0)
    X = rng.random((25, problem.n_var)) < 0.3
    out = problem.evaluate(X, return_as_dictionary=True)
    assert out["G"].shape == (25, problem.n_ieq_constr)
    for row, f, g in zip(X, out["F"], out["G"], strict=True):
        ev = evaluate(inst, row.reshape(problem.shape).astype(float))
        assert f == pytest.approx([ev.cost, ev.idle, ev.mean_gini], rel=1e-9)
        assert (g <= 1e-9).all() == ev.feasible


def test_repair_restores_budget_and_stability(instances_dir):
    inst = EquipmentInstance.from_file(instances_dir / "equipment" / "tiny_cost.toml")
    problem = EquipmentProblem(inst, ["cost", "equity"])
    X = np.ones((3, problem.n_var), dtype=bool)  # every set everywhere: far over budget
    X[1] = False  # nothing: queues unstable
    repaired = BudgetRepair()._do(problem, X)
    for row in repaired:
        ev = evaluate(inst, row.reshape(problem.shape).astype(float))
        assert ev.purchases.sum() <= inst.budget + 1e-9
        assert (ev.sets >= inst.data.c_min).all()
