"""A time-limited run returns its incumbent with status time_limit and a positive gap."""

from __future__ import annotations

import pytest

from optmodels.equipment import EquipmentInstance, evaluate, plan_from_model
from optmodels.equipment.formulation import build
from optmodels.equipment.generate import generate
from solvers import SolutionStatus, SolveOptions, Termination, solve


def test_time_limit_returns_incumbent_with_gap():
    data = generate(16, 120, 5, seed=1)
    data["gini"] = {"lo": None, "hi": 0.3, "mode": "mean"}
    inst = EquipmentInstance.from_dict(data)
    # A feasible start (the cost-optimal plan lies inside the band) makes the incumbent certain;
    # proving the minimum mean Gini of 600 binaries takes far longer than one second.
    cost = build(inst, objective="cost", gini="none")
    assert solve(cost).is_optimal
    model = build(inst, objective="equity")
    for key, var in cost.x.items():
        model.x[key].set_value(var.value)
    result = solve(model, SolveOptions(time_limit=1.0, mip_rel_gap=0.0), warm_start=True)
    assert result.termination is Termination.TIME_LIMIT
    assert result.solution_status is SolutionStatus.FEASIBLE
    assert not result.is_optimal
    assert result.gap > 0 and result.bound < result.objective
    ev = evaluate(inst, plan_from_model(model))
    assert ev.feasible
    assert ev.mean_gini == pytest.approx(result.objective, rel=1e-6)
    assert "time_limit" in result.verdict
