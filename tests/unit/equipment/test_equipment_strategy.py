"""The lazy strategy's two brackets: the relaxation bounds from below, the ordered restriction
from above with plans that satisfy the real band, and its plan is a MIP start HiGHS accepts."""

from __future__ import annotations

import pytest

from optmodels.equipment import EquipmentInstance, evaluate, plan_from_model, solve_instance
from optmodels.equipment.formulation import build, order_signs, start_from_plan
from solvers import SolutionStatus, SolveOptions, solve


@pytest.mark.parametrize("mode", ["mean", "each_year"])
def test_relaxation_and_restriction_bracket_the_optimum(instances_dir, mode):
    raw = EquipmentInstance.from_file(instances_dir / "equipment" / "tiny_gini_lower.toml").model_dump()
    raw["gini"]["mode"] = mode
    inst = EquipmentInstance.model_validate(raw)
    optimum = solve_instance(inst, strategy="full").result.objective

    relaxed = build(inst, gini="none")
    low = solve(relaxed)
    ev = evaluate(inst, plan_from_model(relaxed))
    assert low.objective <= optimum + 1e-9
    assert not ev.feasible  # the lower bound binds on this instance

    restricted = build(inst, gini="ordered", signs=order_signs(inst.data, ev.region_sets))
    high = solve(restricted)
    assert high.has_solution
    plan = evaluate(inst, plan_from_model(restricted))
    assert plan.feasible, plan.violations  # the restriction's plans satisfy the real band
    assert high.objective >= optimum - 1e-9
    assert plan.cost == pytest.approx(high.objective, rel=1e-9)


def test_plan_is_accepted_as_a_mip_start(instances_dir):
    inst = EquipmentInstance.from_file(instances_dir / "equipment" / "tiny_gini_lower.toml")
    best = solve_instance(inst, strategy="full")
    model = build(inst, gini="full")
    start_from_plan(model, best.evaluation.x)
    # One node of work at most: the incumbent can only come from the start.
    result = solve(model, SolveOptions(solver_options={"mip_max_nodes": 0, "mip_heuristic_effort": 0.0,
                                                       "presolve": "off"}), warm_start=True)
    assert result.solution_status in (SolutionStatus.FEASIBLE, SolutionStatus.OPTIMAL)
    assert result.objective == pytest.approx(best.result.objective, rel=1e-7)
