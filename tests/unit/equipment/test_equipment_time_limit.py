"""A time-limited run returns its incumbent with status time_limit and a positive gap."""

from __future__ import annotations

import pytest

from optmodels.equipment import EquipmentInstance, evaluate, plan_from_model, solve_instance
from optmodels.equipment.formulation import build
from optmodels.equipment.generate import generate
from optmodels.equipment.heuristic import feasible_plan
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
    assert result.gap > 0
    assert result.bound < result.objective
    ev = evaluate(inst, plan_from_model(model))
    assert ev.feasible
    assert ev.mean_gini == pytest.approx(result.objective, rel=1e-6)
    assert "time_limit" in result.verdict


@pytest.mark.parametrize("strategy", ["lazy", "full"])
def test_a_limit_too_short_for_any_solver_stage_still_returns_a_feasible_plan(strategy):
    """The greedy plan is the incumbent of last resort: with 10 ms no HiGHS stage finds a plan,
    yet the answer holds one that the evaluator accepts, with a gap to a valid bound."""
    inst = EquipmentInstance.from_dict(generate(8, 60, 5, seed=0))  # the band's lower side binds
    sol = solve_instance(inst, options=SolveOptions(time_limit=0.01), strategy=strategy)
    assert sol.result.has_solution
    assert not sol.result.is_optimal
    assert sol.evaluation.feasible, sol.evaluation.violations
    assert sol.evaluation.cost == pytest.approx(sol.result.objective, rel=1e-9)
    if sol.result.bound is not None:
        assert sol.result.bound <= sol.result.objective + 1e-9


@pytest.mark.parametrize("mode", ["mean", "each_year"])
@pytest.mark.parametrize(("m", "k", "n", "seed"), [(8, 60, 5, 0), (16, 120, 5, 1), (31, 300, 5, 1), (31, 300, 5, 7)])
def test_greedy_plan_is_feasible(m, k, n, seed, mode):
    data = generate(m, k, n, seed=seed)
    data["gini"]["mode"] = mode
    inst = EquipmentInstance.from_dict(data)
    plan = feasible_plan(inst)
    assert plan is not None
    assert evaluate(inst, plan).feasible
