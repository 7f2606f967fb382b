"""The lazy strategy's two brackets: the relaxation bounds from below, the ordered restriction
from above with plans that satisfy the real band, and its plan is a MIP start HiGHS accepts."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from optmodels.equipment import EquipmentInstance, evaluate, plan_from_model, solve_instance
from optmodels.equipment.formulation import build, order_signs, start_from_plan
from solvers import SolveOptions, solve


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
    """The dearest feasible plan (found by enumeration) handed over as a start is what HiGHS holds
    when it may explore no node and run no heuristic (and, without the start, it holds nothing);
    a full solve from the same start still reaches the optimum."""
    inst = EquipmentInstance.from_file(instances_dir / "equipment" / "tiny_gini_lower.toml")
    d = inst.data
    worst = None
    for bits in itertools.product((0, 1), repeat=d.n_hospitals * d.n_years):
        x = np.array(bits, dtype=float).reshape(d.n_hospitals, d.n_years)
        ev = evaluate(inst, x)
        if ev.feasible and (worst is None or ev.cost > worst[0]):
            worst = (ev.cost, x)
    stop_at_start = SolveOptions(solver_options={"mip_max_nodes": 0, "presolve": "off", "mip_heuristic_effort": 0.0})
    for given in (True, False):
        model = build(inst, gini="full")
        if given:
            start_from_plan(model, worst[1])
        held = solve(model, stop_at_start, warm_start=given)
        if given:
            assert held.has_solution
            assert held.objective == pytest.approx(worst[0], rel=1e-9)
        else:
            assert not held.has_solution
    model = build(inst, gini="full")
    start_from_plan(model, worst[1])
    result = solve(model, SolveOptions(), warm_start=True)
    assert result.is_optimal
    assert result.objective == pytest.approx(66.97083076095578, rel=1e-9)


def test_band_free_bound_is_reported_and_lies_below_the_optimum(instances_dir):
    """The solution carries the band-free bound: the optimum without the band found by
    enumeration, strictly below the banded optimum on this instance (the lower side binds);
    the ``full`` strategy has no band-free stage and reports none."""
    from optmodels.equipment.solve import solve_equipment

    inst = EquipmentInstance.from_file(instances_dir / "equipment" / "tiny_gini_lower.toml")
    d = inst.data
    free = banded = np.inf
    for bits in itertools.product((0, 1), repeat=d.n_hospitals * d.n_years):
        ev = evaluate(inst, np.array(bits, dtype=float).reshape(d.n_hospitals, d.n_years))
        if all(name.startswith("gini") for name in ev.violations):  # feasible but for the band
            free = min(free, ev.cost)
        if ev.feasible:
            banded = min(banded, ev.cost)
    sol = solve_equipment(inst)
    assert sol.result.objective == pytest.approx(banded, rel=1e-6)
    assert sol.extra["band_free_bound"] == pytest.approx(free, rel=1e-4)
    assert free < banded - 1e-6
    assert solve_equipment(inst, strategy="full").extra["band_free_bound"] is None
