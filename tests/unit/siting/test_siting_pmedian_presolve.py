"""The p-median presolve: the vertex-substitution incumbent (:mod:`optmodels.siting.median.interchange`),
the Lagrangian bound and the reduction it proves (:mod:`optmodels.siting.median.lagrangian`), checked
against enumeration of every plan on tiny random instances with many tied distances."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

from optmodels.siting.bruteforce import brute_force
from optmodels.siting.data.instance import SitingInstance
from optmodels.siting.median.interchange import descend, greedy, local_search, plan_cost
from optmodels.siting.median.lagrangian import reduce, subgradient
from optmodels.siting.median.radius import solve_p_median


def _case(seed: int, n: int = 14, m: int = 8):
    rng = np.random.default_rng(seed)
    C = np.round(rng.uniform(0, 6, size=(n, m)), 0)  # integer distances 0..6: ties everywhere
    w = rng.integers(1, 4, n).astype(float)
    fixed = np.zeros(m, dtype=bool)
    fixed[rng.choice(m, size=seed % 2, replace=False)] = True
    p = 2 + seed % 3
    return C, w, p, fixed


def _plans(m: int, p: int, fixed: np.ndarray):
    for combo in itertools.combinations(range(m), p):
        y = np.zeros(m, dtype=bool)
        y[list(combo)] = True
        if (fixed & ~y).any():
            continue
        yield y


def _optimal_plans(C, w, p, fixed):
    plans = list(_plans(C.shape[1], p, fixed))
    costs = np.array([plan_cost(C, w, y) for y in plans])
    best = costs.min()
    return best, [y for y, c in zip(plans, costs, strict=True) if c == best]


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("slack", [0.0, 3.0])
@pytest.mark.parametrize("iterations", [2, 300])
def test_every_optimal_plan_survives_the_reduction(seed, slack, iterations):
    """Whatever the multipliers (2 steps: far from converged) and however poor the incumbent
    (``slack`` above the optimum), every optimal plan opens no closed site, opens every opened
    site, and serves each point within its reach; the bound is below the optimum."""
    C, w, p, fixed = _case(seed)
    best, optimal = _optimal_plans(C, w, p, fixed)
    upper = best + slack
    lb = subgradient(C, w, p, upper, fixed, iterations=iterations)
    red = reduce(C, w, p, upper, lb, fixed)
    assert lb.bound <= best + 1e-9
    assert red.bound <= best + 1e-9
    for y in optimal:
        assert not (y & red.closed).any()
        assert y[red.opened].all()
        assert (C[:, y].min(axis=1) <= red.reach).all()


def test_the_reduction_removes_something_at_the_optimum():
    """With the optimum as incumbent and converged multipliers the reduction is not vacuous
    (a test of the argument, not only of its safety)."""
    closed = kept = total = 0
    for seed in range(12):
        C, w, p, fixed = _case(seed)
        best, _ = _optimal_plans(C, w, p, fixed)
        red = reduce(C, w, p, best, subgradient(C, w, p, best, fixed), fixed)
        closed += int(red.closed.sum())
        kept += red.kept_pairs(C)
        total += C.size
    assert closed > 0
    assert kept < total


@pytest.mark.parametrize("seed", range(12))
def test_presolved_solve_equals_brute_force(seed):
    C, w, p, fixed = _case(seed, n=16, m=9)
    inst = SitingInstance.from_arrays(C, w, existing=fixed, p=max(p, int(fixed.sum())))
    bf, _ = brute_force(inst, "p_median")
    sol = solve_p_median(inst, reduce=True)  # tiny: the default would skip the presolve
    assert sol.result.is_optimal, sol.result.verdict
    assert sol.result.objective == pytest.approx(bf, rel=1e-12, abs=1e-12)
    assert sol.open_sites.sum() == inst.parameters.p
    assert sol.open_sites[fixed].all()
    assert plan_cost(C, w, sol.open_sites) == pytest.approx(bf)
    assert "presolve" in sol.note


@pytest.mark.parametrize("seed", range(8))
def test_greedy_adds_the_site_that_leaves_the_smallest_cost(seed):
    """Greedy against its definition, each step by plan_cost over every closed site (the first of
    the cheapest on a tie); integer distances and weights make every sum exact, so ties are real
    and must break the same way. Some weights are 0 (a point with no population)."""
    C, w, p, fixed = _case(seed, n=18, m=9)
    w[seed % 3] = 0.0
    got = greedy(C, w, p, fixed)
    want = fixed.copy()
    while want.sum() < p:
        costs = [plan_cost(C, w, want | (np.arange(C.shape[1]) == j)) if not want[j] else np.inf
                 for j in range(C.shape[1])]
        want[int(np.argmin(costs))] = True
    np.testing.assert_array_equal(got, want)


def test_greedy_from_an_empty_plan_with_unpopulated_points_computes_no_nan():
    """Before the first site opens every d1 is inf; a point of weight 0 must not form 0 * inf
    (a NaN that np.where threw away, with a RuntimeWarning on every greedy start)."""
    C, w, p, _ = _case(0, n=18, m=9)
    w[[0, 5]] = 0.0
    none = np.zeros(C.shape[1], dtype=bool)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        got = greedy(C, w, p, none)
    want = none.copy()  # the definition, step by step (as in the test above)
    while want.sum() < p:
        costs = [plan_cost(C, w, want | (np.arange(C.shape[1]) == j)) if not want[j] else np.inf
                 for j in range(C.shape[1])]
        want[int(np.argmin(costs))] = True
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("seed", range(6))
def test_local_search_ends_at_a_swap_local_optimum(seed):
    C, w, p, fixed = _case(seed, n=20, m=10)
    plan = local_search(C, w, p, fixed, shakes=5)
    y = plan.open
    assert y.sum() == p
    assert y[fixed].all()
    assert plan.cost == pytest.approx(plan_cost(C, w, y))
    # no single swap (one free open site out, one closed site in) improves it
    for r in np.flatnonzero(y & ~fixed):
        for j in np.flatnonzero(~y):
            t = y.copy()
            t[r], t[j] = False, True
            assert plan_cost(C, w, t) >= plan.cost - 1e-9
    # descend from an arbitrary plan never gets worse
    start = np.zeros(C.shape[1], dtype=bool)
    start[fixed] = True
    start[np.flatnonzero(~fixed)[: p - int(fixed.sum())]] = True
    end, _ = descend(C, w, start, fixed)
    assert plan_cost(C, w, end) <= plan_cost(C, w, start) + 1e-9


@pytest.mark.parametrize("stem", ["pmed10", "pmed14"])
def test_reduced_orlib_models_reach_the_published_optimum(pmed_dir, stem):
    """pmed10 (p = 67) and pmed14 (p = 100): the local search stops above the optimum and the
    reduced model must still find it. With a start of the plan's ``y`` alone HiGHS accepted a
    completion priced below the plan's true distance and proved 1263 "optimal" on pmed10
    (optimum 1255); the start is now the complete point."""
    from optmodels.siting.data.orlib import load_pmed, published_optima

    inst = load_pmed(pmed_dir / f"{stem}.txt")
    known = published_optima(pmed_dir / "pmedopt.txt")[stem]
    sol = solve_p_median(inst, reduce=True)  # tiny: the default would skip the presolve
    assert sol.result.is_optimal, sol.result.verdict
    assert sol.result.objective == pytest.approx(known, abs=1e-9)
    assert plan_cost(inst.cost_matrix(), inst.populations(), sol.open_sites) == pytest.approx(known, abs=1e-9)


def test_the_presolve_runs_by_default_only_where_points_need_many_radii():
    """``reduce=None`` presolves when ``ceil(3 m / p)`` exceeds ``PRESOLVE_MIN_DEPTH``; the answer
    is the same either way (brute force), only the note says which path ran."""
    from optmodels.siting.median.radius import PRESOLVE_MIN_DEPTH, worth_presolving

    C, w, _, _ = _case(3, n=40, m=18)
    none = np.zeros(C.shape[1], dtype=bool)
    for p, expect in ((1, True), (3, True), (4, False), (9, False)):
        inst = SitingInstance.from_arrays(C, w, existing=none, p=p)
        assert worth_presolving(inst) is expect
        assert bool(np.ceil(3 * 18 / p) > PRESOLVE_MIN_DEPTH) is expect
        sol = solve_p_median(inst)
        assert ("presolve" in sol.note) is expect
        assert sol.result.objective == pytest.approx(brute_force(inst, "p_median")[0])


@pytest.mark.parametrize("slack", [0.0, 2.0])
def test_the_ball_argument_lowers_reaches_the_pair_bound_keeps(monkeypatch, slack):
    """The balls (every site nearer than the nearest open one is closed) never raise a reach and
    lower some on these cases; every optimal plan still serves each point within its reach (the
    brute-force test above covers the same argument for barely-started multipliers)."""
    import optmodels.siting.median.lagrangian as lagrangian

    lowered = 0
    for seed in range(12):
        C, w, p, fixed = _case(seed, n=24, m=10)
        best, optimal = _optimal_plans(C, w, p, fixed)
        lb = subgradient(C, w, p, best + slack, fixed)
        with monkeypatch.context() as patch:
            patch.setattr(lagrangian, "_ball_reach", lambda C, w, lam, rho, forced, closed, reach, p, limit: reach)
            pairs_only = reduce(C, w, p, best + slack, lb, fixed)
        red = reduce(C, w, p, best + slack, lb, fixed)
        assert (red.reach <= pairs_only.reach).all()
        lowered += int((red.reach < pairs_only.reach).sum())
        for y in optimal:
            assert (C[:, y].min(axis=1) <= red.reach).all()
    assert lowered > 0


def _probed(C, w, p, fixed, upper, plan, iterations, **kw):
    from optmodels.siting.median.lagrangian import probe

    lb = subgradient(C, w, p, upper, fixed, iterations=iterations)
    red = reduce(C, w, p, upper, lb, fixed)
    return red, probe(C, w, p, upper, lb, red, plan, fixed, **kw)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("slack", [0.0, 3.0])
@pytest.mark.parametrize("iterations", [2, 300])
def test_every_optimal_plan_survives_probing(seed, slack, iterations):
    """Lagrangian probing (a site forced open or closed, the multipliers re-optimised) keeps
    every optimal plan: none opens a site it closed, each opens every site it opened and serves
    each point within its reach; its bound stays below the optimum, and the incumbent it was
    given obeys every statement (it stays a feasible MIP start). Checked against enumeration of
    every plan, for converged and barely-started root multipliers and incumbents above the
    optimum; the probes' own steps are few (``steps=3``) as well as many."""
    C, w, p, fixed = _case(seed)
    best, optimal = _optimal_plans(C, w, p, fixed)
    upper = best + slack
    plan = optimal[seed % len(optimal)]
    for steps in (3, 150):
        red, got = _probed(C, w, p, fixed, upper, plan, iterations, steps=steps)
        out = got.reduction
        assert out.bound <= best + 1e-9
        assert (out.closed >= red.closed).all()
        assert (out.opened >= red.opened).all()
        for y in [*optimal, plan]:
            assert not (y & out.closed).any()
            assert y[out.opened].all()
            assert (C[:, y].min(axis=1) <= out.reach).all()


def test_probing_settles_sites_the_penalty_test_leaves_open():
    """Not vacuous: at the optimum as incumbent and converged root multipliers, the probes
    themselves close sites (forced open) and open sites (forced closed) that the first-order
    penalty test of :func:`reduce` leaves open to choice, on these cases."""
    closed = opened = 0
    for seed in range(12):
        C, w, p, fixed = _case(seed, n=24, m=12)
        best, optimal = _optimal_plans(C, w, p, fixed)
        red, got = _probed(C, w, p, fixed, best, optimal[0], 300)
        assert got.closed <= int((got.reduction.closed & ~red.closed).sum())
        assert got.opened <= int((got.reduction.opened & ~red.opened).sum())
        closed += got.closed
        opened += got.opened
    assert closed > 0
    assert opened > 0


@pytest.mark.parametrize("seed", range(12))
def test_probed_solve_equals_brute_force(monkeypatch, seed):
    """End to end with probing forced on (these tiny instances are below ``PROBE_MIN_DEPTH``)
    and its reduction always taken (whatever share of the pairs it keeps): the radius model
    built on the probed reduction, from the incumbent as MIP start, reaches the brute-force
    optimum."""
    import optmodels.siting.median.radius as radius

    monkeypatch.setattr(radius, "worth_probing", lambda instance: True)
    monkeypatch.setattr(radius, "PROBE_MAX_KEPT", np.inf)
    C, w, p, fixed = _case(seed, n=16, m=9)
    inst = SitingInstance.from_arrays(C, w, existing=fixed, p=max(p, int(fixed.sum())))
    bf, _ = brute_force(inst, "p_median")
    sol = solve_p_median(inst, reduce=True)
    assert sol.result.is_optimal, sol.result.verdict
    assert sol.result.objective == pytest.approx(bf, rel=1e-12, abs=1e-12)
    assert plan_cost(C, w, sol.open_sites) == pytest.approx(bf)
    assert sol.result.bound <= bf + 1e-9


def test_probing_runs_where_points_need_many_radii():
    from optmodels.siting.median.radius import PROBE_MIN_DEPTH, worth_probing

    C, w, _, _ = _case(3, n=40, m=30)
    none = np.zeros(C.shape[1], dtype=bool)
    for p in (1, 2, 3, 5):
        inst = SitingInstance.from_arrays(C, w, existing=none, p=p)
        assert worth_probing(inst) is bool(np.ceil(3 * 30 / p) > PROBE_MIN_DEPTH)
    assert worth_probing(SitingInstance.from_arrays(C, w, existing=none, p=1))
    assert not worth_probing(SitingInstance.from_arrays(C, w, existing=none, p=2))


def test_probing_stops_at_its_work_cap_with_what_it_proved():
    """``work`` (steps x points x sites left) ends the probing, not the machine's load: with no
    work allowed one probe runs, with a budget of one probe's worth at most two; what they proved
    keeps every optimal plan."""
    C, w, p, fixed = _case(6, n=24, m=12)
    best, optimal = _optimal_plans(C, w, p, fixed)
    _, full = _probed(C, w, p, fixed, best, optimal[0], 300)
    assert full.probes > 2
    for work, most in ((0.0, 1), (5.0 * C.shape[0] * C.shape[1], 2)):
        _, got = _probed(C, w, p, fixed, best, optimal[0], 300, work=work)
        assert 1 <= got.probes <= most
        for y in optimal:
            assert not (y & got.reduction.closed).any()
            assert y[got.reduction.opened].all()


@pytest.mark.parametrize("share", [0.0, np.inf])
def test_the_presolve_takes_the_probed_reduction_only_where_it_cuts_deep(monkeypatch, share):
    """``PROBE_MAX_KEPT``: with a share of 0 the presolve keeps the penalty test's reduction (the
    same as without probing), with no limit it takes the probed one (more sites closed here)."""
    import optmodels.siting.median.radius as radius

    C, w, p, fixed = _case(6, n=24, m=12)
    inst = SitingInstance.from_arrays(C, w, existing=fixed, p=p)
    monkeypatch.setattr(radius, "PROBE_MAX_KEPT", share)
    plain = radius.presolve(inst, probing=False).reduction
    got = radius.presolve(inst, probing=True).reduction
    if share == 0.0:
        np.testing.assert_array_equal(got.closed, plain.closed)
        np.testing.assert_array_equal(got.reach, plain.reach)
    else:
        assert got.closed.sum() > plain.closed.sum()
