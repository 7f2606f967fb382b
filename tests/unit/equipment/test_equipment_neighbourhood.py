"""The neighbourhood searches (optmodels.equipment.neighbourhood: orderings and region blocks)
only ever return plans the evaluator accepts, never worse than their start, and leave the full
model's columns free."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from optmodels.equipment import EquipmentInstance, evaluate
from optmodels.equipment.formulation import build, start_from_plan
from optmodels.equipment.generate import generate
from optmodels.equipment.heuristic import feasible_plan
from optmodels.equipment.neighbourhood import block_size, blocks, near_pairs, search
from solvers import SolveOptions, StandardFormModel, solve


def _instance(m, k, n, seed):
    return EquipmentInstance.from_dict(generate(m, k, n, seed, band_binding="lower"))


def test_near_pairs_widths():
    inst = _instance(4, 12, 3, 0)
    d = inst.data
    s = np.array([[4.0, 1.0, 3.0], [1.0, 2.0, 2.0], [3.0, 3.0, 1.0], [2.0, 4.0, 4.0]]) * d.shares
    assert not near_pairs(d, s, 0).any()  # a region is 0 places from itself only
    assert near_pairs(d, s, 3).all()  # 4 regions: every pair is at most 3 apart
    one = near_pairs(d, s, 1)
    assert one.sum(axis=0).tolist() == [3, 3, 3]  # neighbours in an ordering of 4
    pairs = list(combinations(range(4), 2))
    assert one[pairs.index((0, 2)), 0]
    assert not one[pairs.index((0, 1)), 0]


def test_search_returns_accepted_plan_no_worse():
    inst = _instance(6, 24, 3, 0)  # 3 s here (the 4 x 12 x 3 instance's sub-MILPs are slower)
    start = feasible_plan(inst)
    assert start is not None
    assert evaluate(inst, start).feasible
    model = build(inst, objective="cost", gini="full")
    compiled = StandardFormModel(model)
    free = [var for var in model.z.values() if not var.fixed]
    assert free
    found = search(inst, "cost", model, compiled, start, seconds=30.0, options=SolveOptions(mip_rel_gap=1e-6))
    ev = evaluate(inst, found.plan)
    assert ev.feasible
    assert found.value == pytest.approx(ev.objective("cost"))
    assert found.value <= found.start_value + 1e-9
    assert found.values == sorted(found.values, reverse=True)  # each accepted plan is cheaper
    optimum = solve(build(inst, objective="cost", gini="full"), SolveOptions(mip_rel_gap=1e-9))
    assert found.value >= optimum.objective - 1e-6  # a restriction: never below the optimum
    # the compiled model is handed back with every sign free: the full model proves the optimum
    full = compiled.run(SolveOptions(mip_rel_gap=1e-9), warm_start=True)
    assert full.objective == pytest.approx(optimum.objective, abs=1e-6)


def test_search_rejects_infeasible_start():
    inst = _instance(4, 12, 3, 0)
    model = build(inst, objective="cost", gini="full")
    with pytest.raises(ValueError, match="evaluator"):
        search(inst, "cost", model, StandardFormModel(model), np.zeros((inst.data.n_hospitals, inst.data.n_years)),
               seconds=5.0)


def test_warm_start_survives_earlier_runs():
    """HiGHS completes a partial MIP start under the time limit read on the object's cumulative
    run clock: a re-used StandardFormModel used to drop the start once earlier runs had taken
    longer than the new limit (the run then started without it)."""
    inst = _instance(4, 12, 3, 0)
    start = feasible_plan(inst)
    model = build(inst, objective="cost", gini="full")
    compiled = StandardFormModel(model)
    first = compiled.run(SolveOptions(mip_rel_gap=1e-9))
    assert first.is_optimal
    start_from_plan(model, start)
    # a limit shorter than the first run: the clock it is read on must start again
    # no search of its own (one node, no presolve, no heuristics): a plan can only be the start
    stop_at_start = {"mip_max_nodes": 0, "presolve": "off", "mip_heuristic_effort": 0.0}
    again = compiled.run(SolveOptions(time_limit=first.timings.solve / 2, solver_options=stop_at_start),
                         warm_start=True)
    assert again.has_solution
    assert again.objective <= evaluate(inst, start).objective("cost") + 1e-6


def test_block_size_is_a_proper_subset():
    assert [block_size(m) for m in (2, 3, 5, 8, 16, 31, 100)] == [1, 2, 2, 2, 4, 4, 4]


def test_blocks_improve_the_greedy_plan_and_hand_back_a_free_model():
    inst = _instance(6, 24, 3, 0)
    start = feasible_plan(inst)
    model = build(inst, objective="cost", gini="full")
    compiled = StandardFormModel(model)
    found = blocks(inst, "cost", model, compiled, start, seconds=60.0, options=SolveOptions(mip_rel_gap=1e-9))
    ev = evaluate(inst, found.plan)
    assert ev.feasible
    assert found.value == pytest.approx(ev.objective("cost"))
    assert found.accepted >= 1
    assert found.value < found.start_value
    assert found.values == sorted(found.values, reverse=True)
    optimum = solve(build(inst, objective="cost", gini="full"), SolveOptions(mip_rel_gap=1e-9))
    assert found.value >= optimum.objective - 1e-6  # a restriction: never below the optimum
    # every addition and sign is free again: the full model from here proves the optimum
    full = compiled.run(SolveOptions(mip_rel_gap=1e-9), warm_start=True)
    assert full.objective == pytest.approx(optimum.objective, abs=1e-6)
    # the same seed draws the same blocks
    other = build(inst, objective="cost", gini="full")
    again = blocks(inst, "cost", other, StandardFormModel(other), start, seconds=60.0,
                   options=SolveOptions(mip_rel_gap=1e-9))
    assert again.values == pytest.approx(found.values)


def test_blocks_reject_bad_starts_and_sizes():
    inst = _instance(4, 12, 3, 0)
    model = build(inst, objective="cost", gini="full")
    compiled = StandardFormModel(model)
    with pytest.raises(ValueError, match="evaluator"):
        blocks(inst, "cost", model, compiled, np.zeros((inst.data.n_hospitals, inst.data.n_years)), seconds=5.0)
    with pytest.raises(ValueError, match="1 to 3 of the 4 regions"):
        blocks(inst, "cost", model, compiled, feasible_plan(inst), seconds=5.0, size=4)
