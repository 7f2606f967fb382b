"""Per family: a small instance whose front is proven by enumerating every decision."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from solvers import SolveOptions
from solvers.epsilon import epsilon_front
from solvers.moea import nsga2_front
from solvers.pareto import hypervolume, ideal_nadir, nondominated
from solvers.weighted_sum import weighted_sum_front


def _on_front(points: np.ndarray, front: np.ndarray, rtol: float = 1e-6) -> bool:
    return all(np.any(np.all(np.isclose(front, p, rtol=rtol, atol=1e-9), axis=1)) for p in points)


def _brute_front(problem, X):
    out: dict = {}
    problem._evaluate(X, out)
    sign = np.where(np.array(problem.senses) == "max", -1.0, 1.0)
    F = out["F"] * sign
    feasible = np.all(out["G"] <= 1e-9, axis=1)
    F = F[feasible]
    return F[nondominated(F, problem.senses)]


def test_equipment_tiny_exact_front_equals_enumeration(instances_dir):
    from optmodels.equipment import pareto as adapter
    from optmodels.equipment.commands import load

    instance = load(instances_dir / "equipment" / "tiny_cost.toml")
    names = ["cost", "utilisation"]
    problem = adapter.problem(instance, names)
    X = np.array(list(itertools.product([0, 1], repeat=problem.n_var)), dtype=bool)  # 2^12 plans
    front = _brute_front(problem, X)
    res = epsilon_front(adapter.build_model(instance, names), names,
                        summary=adapter.decision_summary)
    assert res.exact
    assert len(res) == len(front)
    assert _on_front(res.points, front)
    ws = weighted_sum_front(adapter.build_model(instance, names), names, points=5,
                            options=SolveOptions(mip_rel_gap=0.0))
    assert _on_front(ws.points, front)
    # NSGA-II (seeded with the weighted-sum plans) within 2 % of the exact hypervolume
    seeds = weighted_sum_front(adapter.build_model(instance, names), names, points=3,
                               decision=lambda m: adapter.decision_vector(instance, m))
    ideal, nadir = ideal_nadir(front, problem.senses)
    ga = nsga2_front(problem, pop_size=40, generations=30, seed=1, initial=list(seeds.decisions))
    ratio = hypervolume(ga.points, problem.senses, ideal, nadir) / hypervolume(front, problem.senses, ideal, nadir)
    assert ratio >= 0.98


def test_siting_sf_front_equals_enumeration(instances_dir):
    from optmodels.siting import pareto as adapter
    from optmodels.siting.commands import load

    instance = load(adapter.INSTANCE)
    names = list(adapter.DEFAULT_OBJECTIVES)
    problem = adapter.problem(instance, names)
    m, p = instance.n_sites, instance.parameters.p
    combos = np.array(list(itertools.combinations(range(m), p)))  # every open set of size p
    X = np.zeros((len(combos), m), dtype=bool)
    X[np.arange(len(combos))[:, None], combos] = True
    front = _brute_front(problem, X)
    res = epsilon_front(adapter.build_model(instance, names), names, points=6,
                        summary=adapter.decision_summary)
    assert _on_front(res.points, front)
    assert len(res) == len(front)  # this front has 2 points; both are found
    ideal, nadir = ideal_nadir(front, problem.senses)
    ga = nsga2_front(problem, pop_size=30, generations=20, seed=2)
    ratio = hypervolume(ga.points, problem.senses, ideal, nadir) / hypervolume(front, problem.senses, ideal, nadir)
    assert ratio >= 0.95


@pytest.mark.parametrize("family", ["equipment", "pricing", "siting"])
def test_adapter_contract(family):
    import importlib

    adapter = importlib.import_module(f"optmodels.{family}.pareto")
    objectives = adapter.objectives()
    assert set(adapter.DEFAULT_OBJECTIVES) <= set(objectives)
    assert set(objectives.values()) <= {"min", "max"}
    assert adapter.INSTANCE.is_file()
