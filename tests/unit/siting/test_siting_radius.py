"""The radius formulation of the uncapacitated p-median and its row generation
(:mod:`optmodels.siting.median.radius`): equal to brute force and to the assignment formulation, with a
bound that is valid at every round and a time limit that returns the best plan with its gap."""

from __future__ import annotations

import numpy as np
import pytest

from optmodels.siting.bruteforce import brute_force
from optmodels.siting.data.instance import SitingInstance
from optmodels.siting.evaluate import evaluate
from optmodels.siting.formulation import build
from optmodels.siting.median.radius import (
    Radii,
    applies,
    build_radius,
    solve_p_median,
    truncated_in_use,
)
from solvers import SolveOptions, solve


def _random(seed: int, n: int = 15, m: int = 8, ties: bool = True, **params) -> SitingInstance:
    rng = np.random.default_rng(seed)
    cost = rng.uniform(0, 10, size=(n, m))
    if ties:
        cost = np.round(cost, 0)  # many equal distances: several sites per radius
    existing = np.zeros(m, bool)
    existing[rng.choice(m, size=seed % 3, replace=False)] = True
    p = int(max(existing.sum(), 2 + seed % 3))
    return SitingInstance.from_arrays(cost, rng.integers(1, 9, n), existing=existing, p=p, **params)


def test_radii_are_the_sorted_distinct_distances():
    inst = _random(0, n=6, m=5)
    r = Radii.of(inst)
    C = inst.cost_matrix()
    for i in range(inst.n_demand):
        g = slice(r.first[i], r.first[i] + r.count[i])
        assert (np.diff(r.dist[g]) > 0).all()
        assert (r.rank[g] == np.arange(r.count[i])).all()
        for gi in range(g.start, g.stop):
            sites = r.sites[r.start[gi] : r.start[gi + 1]]
            assert (C[i, sites] == r.dist[gi]).all()
            # every site at that distance that the pair reduction keeps is in the radius
            assert set(sites) <= set(np.flatnonzero(C[i] == r.dist[gi]))


@pytest.mark.parametrize("seed", range(8))
def test_full_radius_model_equals_brute_force(seed):
    inst = _random(seed, ties=seed % 2 == 0)
    bf, _ = brute_force(inst, "p_median")
    res = solve(build_radius(inst))
    assert res.is_optimal, res.verdict
    assert res.objective == pytest.approx(bf, rel=1e-9, abs=1e-9)
    # the LP bound equals the assignment formulation's (Elloumi 2010), not just below the optimum
    lp_r = solve(build_radius(inst, relax=True)).objective
    lp_a = solve(build(inst, model="p_median", relax=True)).objective
    assert lp_r == pytest.approx(lp_a, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("seed", range(8))
def test_row_generation_from_one_radius_reaches_the_optimum(seed):
    """Start every point at a single radius: the rounds must add radii until none is cut short
    and in use, and the plan is then optimal (brute force) and re-checked by the evaluator."""
    inst = _random(seed, n=18, m=9, ties=seed % 2 == 1)
    bf, _ = brute_force(inst, "p_median")
    # without the Lagrangian reduction, which leaves these tiny cases one radius or two per point
    sol = solve_p_median(inst, depth=np.ones(inst.n_demand, dtype=int), reduce=False)
    assert sol.result.is_optimal, sol.result.verdict
    assert sol.result.objective == pytest.approx(bf, rel=1e-9, abs=1e-9)
    assert sol.rounds >= 2  # one radius each is never enough here
    assert len(truncated_in_use(sol.model)) == 0
    ev = evaluate(inst, sol.open_sites, model="p_median")
    assert ev.feasible, ev.violations
    assert ev.objectives["distance"] == pytest.approx(bf, rel=1e-9, abs=1e-9)
    assert sol.open_sites[inst.fixed_open()].all()
    assert sol.result.timings.build > 0
    assert sol.result.timings.solver_reported > 0


def test_a_truncated_model_is_a_relaxation():
    inst = _random(3, n=20, m=10)
    bf, _ = brute_force(inst, "p_median")
    for depth in (1, 2, 3):
        res = solve(build_radius(inst, np.full(inst.n_demand, depth)))
        assert res.objective <= bf + 1e-9


def test_budget_is_kept():
    base = _random(5, n=14, m=7, ties=False)
    f = np.arange(1, 8, dtype=float)
    inst = SitingInstance.from_arrays(base.cost_matrix(), base.populations(), p=3, fixed_cost=f, budget=9.0)
    bf, y = brute_force(inst, "p_median")
    sol = solve_p_median(inst)
    assert sol.result.objective == pytest.approx(bf, rel=1e-9)
    assert f[sol.open_sites].sum() <= 9.0 + 1e-9


def test_applies_only_where_exact():
    inst = _random(1)
    assert applies(inst, "p_median", "distance")
    assert not applies(inst, "p_median", "max_distance")
    assert not applies(inst, "p_center", "distance")


def test_time_limit_returns_the_best_plan_with_a_valid_gap(pmed_dir):
    from optmodels.siting.data.orlib import load_pmed, published_optima

    pmed = pmed_dir
    inst = load_pmed(pmed / "pmed4.txt")
    known = published_optima(pmed / "pmedopt.txt")["pmed4"]
    # one radius per point never suffices on pmed4 (six rounds without a limit), and the limit is
    # spent after the first round: the first round's plan comes back, not a proof
    sol = solve_p_median(inst, SolveOptions(time_limit=0.001), depth=np.ones(inst.n_demand, dtype=int),
                         reduce=False)
    r = sol.result
    assert r.has_solution
    assert sol.rounds == 1
    assert r.termination == "time_limit"
    assert r.solution_status == "feasible"
    ev = evaluate(inst, sol.open_sites, model="p_median")
    assert r.objective == pytest.approx(ev.objectives["distance"])  # the true distance of the plan
    assert r.objective >= known - 1e-9
    assert r.bound is not None
    assert r.bound <= known + 1e-9
    assert r.objective > known  # the one-radius plan is not optimal here
    assert r.gap == pytest.approx((r.objective - r.bound) / r.objective)


def test_infeasible_budget_gets_a_verdict_not_a_plan():
    base = _random(6, n=10, m=6, ties=False)
    inst = SitingInstance.from_arrays(base.cost_matrix(), base.populations(), p=3,
                                      fixed_cost=np.full(6, 5.0), budget=10.0)  # 3 sites cost 15
    sol = solve_p_median(inst)
    assert sol.result.termination == "infeasible"
    assert sol.open_sites is None
    assert not sol.result.has_solution
