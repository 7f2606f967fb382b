"""The p-median at population-grid scale: candidate lists with an honest tail
(:mod:`optmodels.siting.median.candidates`), the local search and the Lagrangian on lists, the
Benders cuts (:mod:`optmodels.siting.median.benders`) and the whole strategy
(:mod:`optmodels.siting.median.scale`), each checked against enumeration of every plan on small
instances with many tied distances (integer lattices), with existing sites, and with lists cut so
short that the nearest open site lies beyond them."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from optmodels.siting.bruteforce import brute_force
from optmodels.siting.data.instance import SitingInstance
from optmodels.siting.median.benders import list_costs, separate
from optmodels.siting.median.candidates import Candidates
from optmodels.siting.median.interchange import list_search
from optmodels.siting.median.lagrangian import list_reduce, list_subgradient
from optmodels.siting.median.radius import solve_p_median
from optmodels.siting.median.scale import beyond_lists, solve_at_scale
from solvers import SolveOptions, Termination


def _lattice(seed: int, n: int = 16, m: int = 9, existing: int | None = None, **params) -> SitingInstance:
    """Points and sites on a 6 x 6 integer lattice: Euclidean distances tie everywhere."""
    rng = np.random.default_rng(seed)
    existing = seed % 3 if existing is None else existing
    mask = np.zeros(m, dtype=bool)
    mask[rng.choice(m, size=existing, replace=False)] = True
    demand = pd.DataFrame({"id": [f"d{i}" for i in range(n)], "x": rng.integers(0, 6, n).astype(float),
                           "y": rng.integers(0, 6, n).astype(float), "population": rng.integers(1, 5, n).astype(float)})
    sites = pd.DataFrame({"id": [f"s{j}" for j in range(m)], "x": rng.integers(0, 6, m).astype(float),
                          "y": rng.integers(0, 6, m).astype(float), "existing": mask})
    params.setdefault("p", int(existing + 2 + seed % 3))
    return SitingInstance.from_dataframes(demand, sites, **params)


def _plans(inst: SitingInstance):
    m, p, fixed = inst.n_sites, int(inst.parameters.p), inst.fixed_open()
    for combo in itertools.combinations(range(m), p):
        y = np.zeros(m, dtype=bool)
        y[list(combo)] = True
        if not (fixed & ~y).any():
            yield y


def _point_costs(inst: SitingInstance, y: np.ndarray) -> np.ndarray:
    return inst.cost_matrix()[:, y].min(axis=1)


def _optimal_plans(inst: SitingInstance):
    w = inst.populations()
    plans = list(_plans(inst))
    costs = np.array([w @ _point_costs(inst, y) for y in plans])
    best = costs.min()
    return best, [y for y, c in zip(plans, costs, strict=True) if c <= best + 1e-9]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("k", [1, 2, 4])
def test_list_costs_are_exact_or_a_lower_bound(seed, k):
    """For every plan: each point's cost on its lists equals its true cost where the plan opens a
    listed site or the tail is exact, and is below it only where neither holds -- exactly the
    points :func:`beyond_lists` names."""
    inst = _lattice(seed)
    cand = Candidates.of(inst, k)
    assert cand.counts.max() <= k
    for y in _plans(inst):
        true = _point_costs(inst, y)
        on_lists = list_costs(cand, y)
        unknown = np.zeros(inst.n_demand, dtype=bool)
        unknown[beyond_lists(cand, y)] = True
        assert np.allclose(on_lists[~unknown], true[~unknown], rtol=1e-12, atol=1e-12)
        assert (on_lists[unknown] <= true[unknown] + 1e-12).all()


def test_short_lists_leave_nearest_open_sites_beyond_them():
    """The fixture is not vacuous: with one or two nearest sites per point, optimal plans serve
    some points from sites their lists do not hold, and the tails of those points are inexact."""
    found = 0
    for seed in range(6):
        inst = _lattice(seed, existing=0)
        _, plans = _optimal_plans(inst)
        found += sum(len(beyond_lists(Candidates.of(inst, 2), y)) for y in plans)
    assert found > 0


@pytest.mark.parametrize("seed", range(4))
def test_extended_lists_hold_the_short_ones(seed):
    inst = _lattice(seed, existing=0)
    short = Candidates.of(inst, 1)
    longer = short.extend(inst, np.arange(inst.n_demand))
    assert (longer.depth == 2).all()
    for i in range(inst.n_demand):
        a = set(short.site[short.indptr[i]:short.indptr[i + 1]].tolist())
        b = set(longer.site[longer.indptr[i]:longer.indptr[i + 1]].tolist())
        assert len(b) >= len(a)
        # the nearest cost is the same, whichever site a tie at it kept
        if len(a):
            assert short.cost[short.indptr[i]] == pytest.approx(longer.cost[longer.indptr[i]])
    full = longer.extend(inst, np.arange(inst.n_demand), factor=100)
    assert full.exact.all()


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("k", [2, 9])
@pytest.mark.parametrize("slack", [0.0, 3.0])
def test_list_lagrangian_keeps_every_optimal_plan(seed, k, slack):
    """The bound on lists (lambda capped at w_i T_i) is below the optimum, truncated lists or
    not, and every optimal plan obeys the reduction: no closed site, every opened one, each point
    served within its reach (or the reach lets it go to its tail)."""
    inst = _lattice(seed)
    best, optimal = _optimal_plans(inst)
    w, p = inst.populations(), int(inst.parameters.p)
    cand = Candidates.of(inst, k)
    lb = list_subgradient(cand, w, p, best + slack, iterations=200)
    red = list_reduce(cand, w, p, best + slack, lb)
    assert lb.bound <= best + 1e-9
    assert red.bound <= best + 1e-9
    for y in optimal:
        assert not (y & red.closed).any()
        assert y[red.opened].all()
        near = _point_costs(inst, y)
        assert ((near <= red.reach + 1e-12) | (red.reach >= cand.tail)).all()


def test_list_reduction_removes_something():
    closed = narrowed = 0
    for seed in range(8):
        inst = _lattice(seed)
        best, _ = _optimal_plans(inst)
        w, p = inst.populations(), int(inst.parameters.p)
        cand = Candidates.of(inst, inst.n_sites)
        red = list_reduce(cand, w, p, best, list_subgradient(cand, w, p, best))
        closed += int(red.closed.sum())
        narrowed += int((red.reach < cand.tail).sum())
    assert closed > 0
    assert narrowed > 0


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("k", [2, 9])
def test_every_cut_holds_for_every_plan(seed, k):
    """Cuts separated at random fractional points never cut off a plan: each plan's cost of a
    point on the lists is at least the cut's right side at that plan; at an integer point the
    separated value is the point's list cost."""
    inst = _lattice(seed)
    cand = Candidates.of(inst, k)
    rng = np.random.default_rng(seed)
    plans = list(_plans(inst))
    for _ in range(5):
        y = rng.uniform(0, 1, inst.n_sites)
        pts, level, _ = separate(cand, y, np.full(inst.n_demand, -np.inf))
        for plan in plans:
            cost = list_costs(cand, plan)
            for i, D in zip(pts.tolist(), level.tolist(), strict=True):
                row = slice(cand.indptr[i], cand.indptr[i + 1])
                d, s = cand.cost[row], cand.site[row]
                rhs = D - ((D - d) * plan[s] * (d < D)).sum()
                assert cost[i] >= rhs - 1e-9
    for plan in plans[:20]:
        _, _, value = separate(cand, plan.astype(float), np.full(inst.n_demand, -np.inf))
        assert np.allclose(value, list_costs(cand, plan), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_list_search_plan_is_a_swap_local_optimum(seed):
    inst = _lattice(seed, n=20, m=10)
    w, p = inst.populations(), int(inst.parameters.p)
    cand = Candidates.of(inst, inst.n_sites)  # complete lists: list costs are true costs
    plan = list_search(cand, w, p, shakes=5)
    y = plan.open
    assert y.sum() == p
    assert y[inst.fixed_open()].all()
    assert plan.cost == pytest.approx(w @ _point_costs(inst, y))
    for r in np.flatnonzero(y & ~inst.fixed_open()):
        for j in np.flatnonzero(~y):
            t = y.copy()
            t[r], t[j] = False, True
            assert w @ _point_costs(inst, t) >= plan.cost - 1e-9


@pytest.mark.parametrize("seed", range(10))
def test_sparse_solve_equals_brute_force(seed):
    inst = _lattice(seed)
    bf, _ = brute_force(inst, "p_median")
    sol = solve_p_median(inst, SolveOptions(mip_rel_gap=0.0), sparse=True)
    assert sol.result.is_optimal, sol.result.verdict
    assert sol.result.objective == pytest.approx(bf, rel=1e-9, abs=1e-9)
    assert sol.open_sites.sum() == inst.parameters.p
    assert sol.open_sites[inst.fixed_open()].all()
    assert "candidate lists" in sol.note
    # a MIP (the Benders master, or the sites a Lagrangian proof chose among): the verdict must
    # not call it a continuous model
    assert sol.result.size["integers"] > 0


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("k", [1, 2])
def test_truncated_lists_reach_the_optimum(seed, k):
    """Lists of one or two sites: the incumbent, the cuts and the MIP rounds extend the lists
    of the points served beyond them, and the answer is the optimum."""
    inst = _lattice(seed, existing=seed % 2)
    bf, _ = brute_force(inst, "p_median")
    sol = solve_at_scale(inst, SolveOptions(mip_rel_gap=0.0), k=k)
    assert sol.result.is_optimal, sol.result.verdict
    assert sol.result.objective == pytest.approx(bf, rel=1e-9, abs=1e-9)
    assert inst.populations() @ _point_costs(inst, sol.open_sites) == pytest.approx(bf, rel=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_matrix_costs_and_a_cutoff(seed):
    """Dense matrix costs with a cut-off (pairs beyond it do not exist): same optimum."""
    rng = np.random.default_rng(seed)
    C = np.round(rng.uniform(0, 8, size=(14, 8)), 0)
    inst = SitingInstance.from_arrays(C, rng.integers(1, 5, 14), p=4, cutoff=6.0)
    bf, _ = brute_force(inst, "p_median")
    sol = solve_at_scale(inst, SolveOptions(mip_rel_gap=0.0), k=2)
    assert sol.result.is_optimal, sol.result.verdict
    assert sol.result.objective == pytest.approx(bf, rel=1e-9, abs=1e-9)


def test_a_time_limit_returns_a_plan_and_its_gap():
    inst = _lattice(3, n=40, m=18)
    sol = solve_at_scale(inst, SolveOptions(time_limit=1e-3), k=3)
    assert sol.open_sites is not None
    assert sol.open_sites.sum() == inst.parameters.p
    assert sol.result.has_solution
    assert sol.result.objective == pytest.approx(inst.populations() @ _point_costs(inst, sol.open_sites))
    assert sol.result.bound is None or sol.result.bound <= sol.result.objective + 1e-9
    assert sol.result.termination is Termination.TIME_LIMIT or sol.result.is_optimal
