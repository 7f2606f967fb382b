"""NSGA-II on knapsacks: the drop-and-fill repair, and hypervolume against exact fronts."""

from __future__ import annotations

import numpy as np
import pytest

from solvers.moea import knapsack_repair, linear_model_problem, nsga2_front
from solvers.pareto import reference_scores
from solvers.weighted_sum import weighted_sum_front


def _greedy(A, b, gains, x):
    """The repair item by item, as its docstring states it: drop the worst packed items while a
    row is over, then pack each improving item that fits, best first."""
    span = np.maximum(np.abs(gains).max(axis=1, keepdims=True), 1e-12)
    load = (A / b[:, None]).sum(axis=0)
    worst_first = np.argsort(np.max(gains / span, axis=0) / np.maximum(load, 1e-12), kind="stable")
    x = x.copy()
    for i in worst_first:
        if np.all(A @ x <= b + 1e-9):
            break
        x[i] = False
    improving = np.all(gains >= 0, axis=0) & np.any(gains > 0, axis=0)
    for i in worst_first[::-1]:
        if improving[i] and not x[i] and np.all(A @ x + A[:, i] <= b + 1e-9):
            x[i] = True
    return x


def test_repair_gives_the_item_by_item_greedy_and_a_maximal_feasible_packing():
    rng = np.random.default_rng(3)
    for _ in range(60):
        n, m, p = rng.integers(5, 40), rng.integers(1, 4), rng.integers(2, 4)
        A = rng.integers(0, 20, (m, n)).astype(float)
        b = A.sum(axis=1) * rng.uniform(0.2, 0.7, m)
        gains = rng.integers(-3, 20, (p, n)).astype(float)  # some items cost an objective
        X = rng.random((30, n)) < rng.uniform(0.1, 0.9)
        repaired = knapsack_repair(A, b, gains)(X)
        expected = np.array([_greedy(A, b, gains, x) for x in X])
        np.testing.assert_array_equal(repaired, expected)
        assert np.all(repaired.astype(float) @ A.T <= b + 1e-9)
        # maximal: no item that gains without a cost still fits any repaired packing
        improving = np.all(gains >= 0, axis=0) & np.any(gains > 0, axis=0)
        room = b - repaired.astype(float) @ A.T
        for i in np.flatnonzero(improving):
            fits = ~repaired[:, i] & np.all(A[:, i] <= room + 1e-9, axis=1)
            assert not fits.any()
        # items that cost an objective are never packed by the repair
        costly = ~np.all(gains >= 0, axis=0)
        assert not (repaired[:, costly] & ~X[:, costly]).any()


def test_nsga2_within_one_percent_of_the_2kp50_hypervolume_on_a_small_budget(momkp):
    """2kp50 (35 points known), population 60 x 60 generations, 5 MILP seeds: the hypervolume
    ratio is at least 0.99 (stated tolerance: 1 % of the exact front's hypervolume; measured
    0.998, the drop-only repair with two-point crossover 0.984)."""
    model = momkp.build("2kp50")
    problem = linear_model_problem(model)
    seeds = weighted_sum_front(model, points=5, scheme="grid")
    res = nsga2_front(problem, pop_size=60, generations=60, seed=7,
                      initial=[problem.to_x(d) for d in seeds.decisions])
    reference = momkp.reference_front("2kp50")
    assert reference_scores(res.points, ["max", "max"], reference)["hypervolume_ratio"] >= 0.99
    # every point is a feasible packing the exact front does not beat
    assert all(any(np.all(r >= p - 1e-9) for r in reference) for p in res.points)


@pytest.mark.slow  # ~5 s CPU, the default budget (population 100 x 200 generations)
@pytest.mark.parametrize("seed", [0, 1])
def test_nsga2_defaults_within_one_percent_of_the_2kp100_hypervolume(momkp, seed):
    """The issue's target: 2kp100 (121 points known) with ``optmodels pareto``'s default NSGA-II
    settings (population 100, 200 generations, 5 weighted-sum MILP seeds), hypervolume ratio at
    least 0.99 (measured 0.995-0.997; the drop-only repair 0.979-0.980)."""
    model = momkp.build("2kp100")
    problem = linear_model_problem(model)
    seeds = weighted_sum_front(model, points=5, scheme="grid")
    res = nsga2_front(problem, seed=seed, initial=[problem.to_x(d) for d in seeds.decisions],
                      ideal=seeds.ideal, nadir=seeds.nadir)
    reference = momkp.reference_front("2kp100")
    assert reference_scores(res.points, ["max", "max"], reference)["hypervolume_ratio"] >= 0.99
