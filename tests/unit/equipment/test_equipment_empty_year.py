"""A year with no equipment anywhere has Gini 0, in the analysis module, the evaluator and the
MILP alike; a plan the evaluator rejects is never reported as a solution."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from optmodels.analysis import gini_lorenz_fit, gini_pairwise, gini_trapezoid
from optmodels.equipment import EquipmentInstance, evaluate, solve_instance
from optmodels.equipment.formulation import build
from optmodels.equipment.solve import _finish
from solvers import solve


def test_gini_of_all_zero_amounts_is_zero():
    for method in (gini_pairwise, gini_trapezoid, gini_lorenz_fit):
        assert method([0, 0, 0], [1.0, 3.0, 2.0]) == pytest.approx(0.0, abs=1e-12)


def _empty_first_year(mode: str) -> EquipmentInstance:
    # No set anywhere and no queue in year 1; both hospitals need one set by year 3.
    return EquipmentInstance.from_dict({
        "family": "equipment", "years": [1, 2, 3], "price": 1.0, "budget": 10.0,
        "costs": {"running_per_hour": 1e-4, "waiting_per_hour": 0.0},
        "gini": {"lo": 0.2, "hi": 0.4, "mode": mode},
        "regions": [{"id": "A", "population": [1e6] * 3}, {"id": "B", "population": [3e6] * 3}],
        "hospitals": [
            {"id": h, "region": h[0], "existing": 0, "capacity": 6000, "service_rate": 2.5,
             "arrival_rate": [0.0, 0.0, 1.0]} for h in ("A1", "B1")
        ],
    })


def _brute_force(inst: EquipmentInstance) -> float:
    best = np.inf
    for bits in itertools.product((0, 1), repeat=6):
        ev = evaluate(inst, np.array(bits, dtype=float).reshape(2, 3))
        if ev.feasible:
            best = min(best, ev.cost)
    return best


# Hand-derived (purchases 1 each, running 1e-4 * 3000 = 0.3 per set-year; Y = (1/4, 3/4)):
# mean mode: A1 in year 2, B1 in year 3 gives Gini (0, 3/4, 1/4), mean 1/3, cost 2 + 0.3*3 = 2.9;
# buying both in year 3 (2.6) has mean Gini 1/12 < 0.2. each_year: year 1 needs a set (Gini 0 < 0.2
# otherwise): B1 in year 1, A1 in year 3, Gini 1/4 each year, cost 2 + 0.3*4 = 3.2.
# b = 0 times the infinite queue of the unstable plans the brute force visits is NaN (rejected).
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize(("mode", "optimum"), [("mean", 2.9), ("each_year", 3.2)])
@pytest.mark.parametrize("strategy", ["lazy", "full", "tight"])
def test_empty_year_model_and_evaluator_agree(mode, optimum, strategy):
    inst = _empty_first_year(mode)
    assert _brute_force(inst) == pytest.approx(optimum)
    sol = solve_instance(inst, strategy=strategy)
    assert sol.result.is_optimal
    assert sol.result.objective == pytest.approx(optimum)
    assert sol.evaluation.feasible, sol.evaluation.violations


def test_a_plan_the_evaluator_rejects_is_not_a_solution(instances_dir):
    inst = EquipmentInstance.from_file(instances_dir / "equipment" / "tiny_gini_lower.toml")
    model = build(inst, gini="none")  # optimal without the band, whose lower side it breaks
    result = solve(model)
    assert result.is_optimal
    sol = _finish(inst, "cost", model, result, "test")
    assert not sol.evaluation.feasible
    assert not sol.result.has_solution
    assert sol.result.verdict != "optimal"
