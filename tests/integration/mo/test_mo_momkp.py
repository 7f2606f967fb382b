"""MOMKP (pyaugmecon's knapsack instances): the exact epsilon method reproduces the published fronts."""

from __future__ import annotations

import json

import numpy as np
import pytest

from solvers import SolveOptions
from solvers.epsilon import epsilon_front
from solvers.moea import linear_model_problem, nsga2_front
from solvers.pareto import hypervolume, ideal_nadir
from solvers.weighted_sum import weighted_sum_front


def _points(front) -> set[tuple[int, ...]]:
    return {tuple(int(v) for v in row) for row in np.round(front)}


def test_shipped_fronts_are_complete_nondominated_sets(momkp, instances_dir):
    """Each shipped front has the manifest's point count and no point dominates another."""
    manifest = json.loads((instances_dir / "momkp" / "manifest.json").read_text())
    for entry in manifest["instances"]:
        front = np.round(momkp.reference_front(entry["name"]))
        assert len(_points(front)) == entry["known_front_points"]
        # maximisation: a dominates b when a >= b everywhere and a != b
        ge = (front[:, None, :] >= front[None, :, :]).all(axis=2)
        ne = (front[:, None, :] != front[None, :, :]).any(axis=2)
        assert not (ge & ne).any()


def _check_exact(momkp, name, known, **kwargs):
    model = momkp.build(name)
    res = epsilon_front(model, **kwargs)
    reference = momkp.reference_front(name)
    assert len(reference) == known
    assert res.exact
    assert _points(res.points) == _points(reference)
    # an independent check of every returned decision: feasible and reproducing its point
    a, b, c = momkp.read(name)
    for point, decision in zip(res.points, res.decisions, strict=True):
        x = np.zeros(a.shape[1])
        for var, value in decision.items():
            x[int(var[2:-1])] = value
        assert np.all(a @ x <= b + 1e-9)
        np.testing.assert_allclose(c @ x, point, rtol=1e-12)  # integer profits: exact up to rounding
    return res


def test_exact_front_2kp50(momkp):
    # HiGHS presolve is most of each of these tiny knapsack solves (CPU 10.8 s -> 6.2 s)
    res = _check_exact(momkp, "2kp50", 35, options=SolveOptions(solver_options={"presolve": "off"}))
    # AUGMECON2's bypass: about one solve per point (plus the 4 payoff-table solves)
    assert res.solves <= 35 + 4 + 5


@pytest.mark.slow  # 50 CPU-s, a fifth of the fast suite; 2kp50 and the scaled case keep the exact path fast
def test_exact_front_2kp100(momkp):
    # In the default run (only 3kp40 is `slow`): ~80 s CPU with presolve off.
    res = _check_exact(momkp, "2kp100", 121, options=SolveOptions(solver_options={"presolve": "off"}))
    assert res.solves <= 121 + 4 + 10


@pytest.mark.slow
def test_exact_front_3kp40(momkp):
    # no nadir given: the payoff-table nadir of 3 objectives is optimistic, so the grid starts at
    # the proven bound (min of each objective over the feasible set) and still finds all 389
    res = _check_exact(momkp, "3kp40", 389, options=SolveOptions(solver_options={"presolve": "off"}))
    assert res.settings["grid_from_proven"]


def test_weighted_sum_points_lie_on_the_2kp50_front(momkp):
    res = weighted_sum_front(momkp.build("2kp50"), points=6, options=SolveOptions(mip_rel_gap=0.0))
    assert len(res) >= 4
    assert _points(res.points) <= _points(momkp.reference_front("2kp50"))


def test_nsga2_seeded_reaches_the_2kp50_front_hypervolume(momkp):
    model = momkp.build("2kp50")
    reference = momkp.reference_front("2kp50")
    senses = ["max", "max"]
    ideal, nadir = ideal_nadir(reference, senses)
    problem = linear_model_problem(model)
    seeds = weighted_sum_front(model, points=5)
    res = nsga2_front(problem, pop_size=60, generations=60, seed=7,
                      initial=[problem.to_x(d) for d in seeds.decisions])
    ratio = hypervolume(res.points, senses, ideal, nadir) / hypervolume(reference, senses, ideal, nadir)
    assert ratio >= 0.97  # stated tolerance: within 3 % of the exact front's hypervolume
    # every NSGA-II point is a feasible packing, and no point beats the exact front
    assert _points(res.points) - _points(reference) == set() or all(
        any(np.all(r >= p) for r in reference) for p in res.points
    )


def test_exact_front_with_a_scaled_first_objective(momkp):
    """A first objective in other units (x 1e-5, so non-integer) keeps every point of 2kp50.

    A tie-break weight fixed in the first objective's units (1e-3) outweighs its 1e-5 steps, so
    the grid solves traded first-objective value for slack and 14 of the 35 points were lost.
    """
    import pyomo.environ as pyo

    scale = 1e-5
    a, b, c = momkp.read("2kp50")
    model = momkp.build("2kp50")
    model.obj[1].set_value(pyo.quicksum(scale * c[0, i] * model.x[i] for i in model.I))
    res = epsilon_front(model, options=SolveOptions(solver_options={"presolve": "off"}))
    reference = momkp.reference_front("2kp50")
    assert res.exact
    unscaled = np.column_stack([res.points[:, 0] / scale, res.points[:, 1]])
    np.testing.assert_allclose(unscaled, np.round(unscaled), atol=1e-4)
    assert _points(unscaled) == _points(reference)


def _extreme_supported(front: np.ndarray) -> set[tuple[int, ...]]:
    """Vertices of the front's upper-right convex hull (two maximised objectives), by a monotone chain."""
    P = sorted({tuple(int(v) for v in r) for r in np.round(front)})  # by g1 ascending
    hull: list[tuple[int, ...]] = []
    for q in P:
        # pop while the last turn is not strictly clockwise (collinear points are not extreme)
        while len(hull) >= 2:
            (x1, y1), (x2, y2) = hull[-2], hull[-1]
            if (x2 - x1) * (q[1] - y1) - (y2 - y1) * (q[0] - x1) >= 0:
                hull.pop()
            else:
                break
        hull.append(q)
    # keep the part from the best g2 to the best g1 (the non-dominated side)
    start = max(range(len(hull)), key=lambda i: (hull[i][1], hull[i][0]))
    return set(hull[start:])


def test_dichotomic_weighted_sum_finds_every_extreme_supported_point_of_2kp50(momkp):
    reference = momkp.reference_front("2kp50")
    extremes = _extreme_supported(reference)
    res = weighted_sum_front(momkp.build("2kp50"),
                             options=SolveOptions(solver_options={"presolve": "off"}))
    found = _points(res.points)
    assert found <= _points(reference)
    assert extremes <= found
    n = len(extremes)
    assert n >= 5
    # 2N - 1 solves: the 2 extremes (payoff table, plus its 2 lexicographic second stages) and
    # at most 2N - 3 weighted solves
    assert res.settings["weights"] <= 2 * n - 3
    assert res.solves <= 2 * n - 1 + 2
