"""Front-ends on tiny models whose fronts are proven by enumerating every decision."""

from __future__ import annotations

import itertools

import numpy as np
import pyomo.environ as pyo
import pytest

from solvers import SolveOptions
from solvers.epsilon import epsilon_front, resolve_objectives
from solvers.moea import linear_model_problem, nsga2_front
from solvers.pareto import hypervolume, nondominated
from solvers.weighted_sum import weighted_sum_front


def _knapsack(seed: int, n: int, p: int, m: int = 2, min_first: bool = False):
    """A random multi-objective knapsack; objective 1 optionally as a minimised cost."""
    rng = np.random.default_rng(seed)
    a = rng.integers(5, 40, size=(m, n))
    b = a.sum(axis=1) // 2
    c = rng.integers(1, 30, size=(p, n))
    model = pyo.ConcreteModel()
    model.x = pyo.Var(range(n), domain=pyo.Binary)
    model.capacity = pyo.Constraint(range(m), rule=lambda mm, j: sum(int(a[j, i]) * mm.x[i] for i in range(n)) <= int(b[j]))
    senses = ["max"] * p
    if min_first:
        senses[0] = "min"
        # a cost with a fixed charge: minimise 100 - value  (so min and max mix)
    for k in range(p):
        expr = sum(int(c[k, i]) * model.x[i] for i in range(n))
        if senses[k] == "min":
            expr = 100 - expr
        model.add_component(f"f{k + 1}", pyo.Objective(expr=expr, sense=pyo.minimize if senses[k] == "min" else pyo.maximize))
        model.component(f"f{k + 1}").deactivate()
    # brute force: every subset
    X = np.array(list(itertools.product([0, 1], repeat=n)))
    feasible = np.all(X @ a.T <= b, axis=1)
    F = (X[feasible] @ c.T).astype(float)
    if min_first:
        F[:, 0] = 100 - F[:, 0]
    front = F[nondominated(F, senses)]
    return model, senses, front


def _as_set(points):
    return {tuple(np.round(p).astype(int)) for p in points}


@pytest.mark.parametrize(("seed", "p", "min_first"), [(1, 2, False), (2, 2, True), (3, 3, False), (4, 3, True)])
def test_exact_epsilon_front_equals_brute_force(seed, p, min_first):
    model, senses, front = _knapsack(seed, n=10, p=p, min_first=min_first)
    # the payoff-table nadir can be optimistic with 3 objectives: give the safe bound 0/100
    nadir = None if p == 2 else [100.0 if s == "min" else 0.0 for s in senses]
    res = epsilon_front(model, nadir=nadir)
    assert res.exact
    assert res.complete
    assert res.senses == tuple(senses)
    assert _as_set(res.points) == _as_set(front)
    # the bypass makes the solve count close to the number of points, far below the grid size
    assert res.solves < np.prod(res.settings["grid_size"])
    # each point's decision reproduces it (an independent evaluation of the stored decision)
    assert len(res.decisions) == len(res.points)


def test_caller_model_is_left_unchanged():
    model, _, _ = _knapsack(5, n=6, p=2)
    before = {c.name for c in model.component_objects()}
    epsilon_front(model)
    assert {c.name for c in model.component_objects()} == before
    assert not any(o.active for o in model.component_data_objects(pyo.Objective))


def test_weighted_sum_points_lie_on_the_front_and_include_both_extremes():
    model, senses, front = _knapsack(6, n=10, p=2)
    res = weighted_sum_front(model, points=9, options=SolveOptions(mip_rel_gap=0.0))
    found = _as_set(res.points)
    assert found <= _as_set(front)
    best = {tuple(front[np.argmax(front[:, k])].astype(int)) for k in range(2)}
    assert best <= found
    assert any("supported points only" in n for n in res.notes)


def test_sampled_mode_on_a_continuous_lp_front():
    # pyaugmecon's two-objective LP: the front is the segment f2 = 200 - 2 f1, 8 <= f1 <= 20
    model = pyo.ConcreteModel()
    model.x1 = pyo.Var(within=pyo.NonNegativeReals)
    model.x2 = pyo.Var(within=pyo.NonNegativeReals)
    model.c1 = pyo.Constraint(expr=model.x1 <= 20)
    model.c2 = pyo.Constraint(expr=model.x2 <= 40)
    model.c3 = pyo.Constraint(expr=5 * model.x1 + 4 * model.x2 <= 200)
    model.obj_list = pyo.ObjectiveList()
    model.obj_list.add(expr=model.x1, sense=pyo.maximize)
    model.obj_list.add(expr=3 * model.x1 + 4 * model.x2, sense=pyo.maximize)
    model.obj_list.deactivate()
    res = epsilon_front(model, points=7)
    assert not res.exact
    assert len(res) == 7
    np.testing.assert_allclose(res.points[:, 1], 200 - 2 * res.points[:, 0], atol=1e-6)
    # lexicographic steps hold earlier optima to a relative 1e-7, hence abs=1e-4
    assert res.points[:, 0].min() == pytest.approx(8, abs=1e-4)
    assert res.points[:, 0].max() == pytest.approx(20, abs=1e-4)
    with pytest.raises(ValueError, match="integer-valued"):
        epsilon_front(model, exact=True)


def test_objective_resolution_errors():
    model, _, _ = _knapsack(7, n=4, p=2)
    assert resolve_objectives(model) == {"f1": "max", "f2": "max"}
    with pytest.raises(KeyError, match="not found"):
        resolve_objectives(model, ["f1", "nope"])
    with pytest.raises(ValueError, match="at least 2"):
        resolve_objectives(model, ["f1"])


def test_nsga2_is_reproducible_and_close_to_the_exact_front():
    model, senses, front = _knapsack(8, n=12, p=2)
    problem = linear_model_problem(model)
    a = nsga2_front(problem, pop_size=40, generations=40, seed=3)
    b = nsga2_front(problem, pop_size=40, generations=40, seed=3)
    assert np.array_equal(a.points, b.points)
    # every NSGA-II point is feasible and on or behind the exact front
    lo, hi = front.max(axis=0), front.min(axis=0)
    ratio = hypervolume(a.points, senses, lo, hi) / hypervolume(front, senses, lo, hi)
    assert 0.95 <= ratio <= 1.0 + 1e-9  # stated tolerance: within 5 % of the exact hypervolume
    X = np.array(a.decisions, dtype=float)
    out = {}
    problem._evaluate(X, out)
    assert (out["G"] <= 0).all()
