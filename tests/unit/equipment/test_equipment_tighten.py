"""Optimality-based tightening (optmodels.equipment.tighten): the box under a plan's cost holds
that plan, narrows as the cap falls, stops early on a time limit with the rest left open, and the
lazy strategy's final model (tightened under its best plan) still reaches the known optimum."""

from __future__ import annotations

import numpy as np
import pytest

from optmodels.equipment import EquipmentInstance, evaluate
from optmodels.equipment.formulation import build
from optmodels.equipment.generate import generate
from optmodels.equipment.heuristic import feasible_plan
from optmodels.equipment.solve import solve_instance
from optmodels.equipment.tighten import region_bounds
from solvers import SolveOptions, solve


@pytest.fixture(scope="module")
def band_instance():
    return EquipmentInstance.from_dict(generate(6, 24, 3, 0, band_binding="lower"))


def _free_signs(model) -> int:
    return sum(not var.fixed for var in model.z.values())


def test_box_holds_the_plan_and_narrows_with_the_cap(band_instance):
    inst = band_instance
    plan = feasible_plan(inst)
    ev = evaluate(inst, plan)
    cap = ev.objective("cost")
    box = region_bounds(inst, cap)
    assert box.lps == 2 * (inst.data.n_regions + 1) * inst.data.n_years
    assert np.all(box.s_lo <= ev.region_sets)
    assert np.all(ev.region_sets <= box.s_hi)
    totals = ev.region_sets.sum(axis=0)
    assert np.all(box.T_lo <= totals)
    assert np.all(totals <= box.T_hi)
    optimum = solve(build(inst, gini="full"), SolveOptions(mip_rel_gap=1e-9)).objective
    near = region_bounds(inst, optimum + 1e-6)
    assert np.all(near.s_lo >= box.s_lo)
    assert np.all(near.s_hi <= box.s_hi)
    assert np.any(near.s_hi - near.s_lo < box.s_hi - box.s_lo)  # a lower cap really narrows
    assert _free_signs(build(inst, gini="full", bounds=near)) < _free_signs(build(inst, gini="full"))


def test_time_limit_leaves_the_rest_open(band_instance):
    inst = band_instance
    cap = evaluate(inst, feasible_plan(inst)).objective("cost")
    none = region_bounds(inst, cap, seconds=0.0)
    assert none.lps == 0
    assert np.all(np.isneginf(none.s_lo))
    assert np.all(np.isposinf(none.s_hi))
    assert np.all(np.isneginf(none.T_lo))
    assert np.all(np.isposinf(none.T_hi))
    # open bounds leave the model as built from the data alone
    assert _free_signs(build(inst, gini="full", bounds=none)) == _free_signs(build(inst, gini="full"))


@pytest.mark.parametrize("strategy", ["lazy", "tight"])
def test_tightened_final_model_reaches_the_optimum(band_instance, strategy):
    inst = band_instance
    optimum = solve(build(inst, gini="full"), SolveOptions(mip_rel_gap=1e-9)).objective
    sol = solve_instance(inst, options=SolveOptions(mip_rel_gap=1e-9), strategy=strategy)
    assert "tightened" in sol.strategy_note
    assert sol.result.is_optimal
    assert sol.result.objective == pytest.approx(optimum, abs=1e-6)
    assert sol.result.bound <= sol.result.objective + 1e-9
    assert sol.evaluation.feasible
