"""The coverage strategy (groups, fixed sites, plans, row generation) against enumeration.

Small random instances on an integer lattice (distances tie exactly, cover sets repeat), with
existing sites -- some closable at a saving -- budgets, every p; the optimum of
``solve_siting`` (which takes the coverage path for the uncapacitated LSCP, MCLP and LSCP-B)
must equal brute force's, and its plan must pass the numpy evaluator.
"""

from __future__ import annotations

import numpy as np
import pytest

from optmodels.siting import SitingInstance, solve_siting
from optmodels.siting.bruteforce import brute_force
from optmodels.siting.coverage import solve as coverage


def _instance(seed: int, model: str, *, n: int = 40, m: int = 9, **parameters) -> SitingInstance:
    rng = np.random.default_rng(seed)
    demand = [{"id": f"d{i}", "x": float(rng.integers(0, 8)), "y": float(rng.integers(0, 8)),
               "population": float(rng.integers(1, 30))} for i in range(n)]
    sites = []
    for j in range(m):
        existing = j < 2
        sites.append({"id": f"s{j}", "x": float(rng.integers(0, 8)), "y": float(rng.integers(0, 8)),
                      "fixed_cost": float(rng.integers(1, 5)), "existing": existing,
                      "closable": existing and j == 1, "closing_saving": 2.0 if existing and j == 1 else 0.0})
    doc = {"family": "siting", "model": model, "demand": demand, "sites": sites,
           "parameters": {"radius": 2.5, **parameters}}
    from optmodels.io import validate

    return validate(SitingInstance, doc, file=None)


def _feasible(seed: int, model: str, **parameters) -> SitingInstance:
    """The first instance from ``seed``, ``seed + 1000``, ... in which every point is within some
    site's reach (random points out of every site's reach make no LSCP), so that every
    parametrised case runs rather than skips."""
    from optmodels.errors import InstanceError

    for attempt in range(50):
        try:
            return _instance(seed + 1000 * attempt, model, **parameters)
        except InstanceError:
            continue
    raise AssertionError(f"no coverable instance from seed {seed}")


@pytest.fixture(params=[False, True], ids=["one-round", "row-generation"])
def rounds(request, monkeypatch):
    if request.param:  # row generation from a first model of 3 groups: several rounds of added rows
        monkeypatch.setattr(coverage, "ROW_GENERATION_FROM", 0)
        monkeypatch.setattr(coverage, "FIRST_ROWS", 3)
    return request.param


@pytest.mark.parametrize("seed", range(12))
def test_lscp_equals_enumeration(seed, rounds):
    inst = _feasible(seed, "lscp", radius=4.0)
    sol = solve_siting(inst)
    assert sol.verdict == "optimal"
    assert sol.evaluation.feasible
    best, _ = brute_force(inst)
    assert sol.result.objective == pytest.approx(best, abs=1e-6)
    assert any("coverage" in n for n in sol.notes)


@pytest.fixture(params=[False, True], ids=["small", "large-path"])
def mclp_path(request, monkeypatch):
    if request.param:  # shakes, the LP bound by row generation and the MILP over the LP's sites
        monkeypatch.setattr(coverage, "LARGE_MCLP", 0)
        monkeypatch.setattr(coverage, "SHAKE_SECONDS", 0.05)
    return request.param


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("p", [1, 2, 3, 5, 9])  # 1: only the existing site; 9: every site
def test_mclp_with_p_equals_enumeration(seed, p, mclp_path):
    inst = _instance(seed, "mclp", p=p)
    sol = solve_siting(inst)
    if mclp_path:
        assert any(n.startswith("LP bound") for n in sol.notes)
    assert sol.verdict == "optimal"
    assert sol.evaluation.feasible
    best, _ = brute_force(inst)
    assert sol.result.objective == pytest.approx(best, abs=1e-6)
    assert sol.result.bound == pytest.approx(best, rel=1e-4)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("budget", [3.0, 7.0])
def test_mclp_with_a_budget_equals_enumeration(seed, budget):
    inst = _instance(seed, "mclp", budget=budget)
    sol = solve_siting(inst)
    assert sol.evaluation.feasible
    best, _ = brute_force(inst)
    assert sol.result.objective == pytest.approx(best, abs=1e-6)


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("p", [3, 4])
def test_backup_with_p_equals_enumeration(seed, p):
    inst = _feasible(seed, "lscp_b", radius=4.0, p=p)
    try:
        best, _ = brute_force(inst)
    except ValueError:  # no cover with p sites
        sol = solve_siting(inst)
        assert not sol.has_solution
        return
    sol = solve_siting(inst)
    assert sol.evaluation.feasible
    assert sol.result.objective == pytest.approx(best, abs=1e-6)


@pytest.mark.parametrize("seed", range(10))
def test_backup_without_p_is_lexicographic_like_the_assignment_path(seed):
    inst = _feasible(seed, "lscp_b", radius=4.0)
    new = solve_siting(inst)
    old = solve_siting(inst, formulation="assignment")
    assert new.verdict == old.verdict == "optimal"
    assert int(new.decision.open.sum()) == int(old.decision.open.sum())
    assert new.result.objective == pytest.approx(old.result.objective, abs=1e-6)


@pytest.mark.parametrize("seed", range(20))
def test_dominated_sites_are_exactly_the_covered_subsets(seed):
    """A site is closed only when another covers a superset of its groups at no more cost; ties
    keep the lowest index, so of two identical sites exactly one survives."""
    import scipy.sparse as sp

    from optmodels.siting.coverage.reduce import dominated_sites

    rng = np.random.default_rng(seed)
    dense = rng.random((12, 8)) < 0.35
    dense[:, 5] = dense[:, 2]  # an identical pair
    cost = rng.integers(1, 4, 8).astype(float)
    if seed % 2:
        cost[5] = cost[2]
    got = dominated_sites(sp.csr_matrix(dense.astype(np.int8)), cost)
    for j in range(8):
        rj = set(np.flatnonzero(dense[:, j]))
        expect = not rj or any(
            k != j and rj <= set(np.flatnonzero(dense[:, k])) and (
                cost[k] < cost[j] or (cost[k] == cost[j] and (len(set(np.flatnonzero(dense[:, k]))) > len(rj) or k < j)))
            for k in range(8))
        assert got[j] == expect, (j, rj)
    # what is closed is replaceable by what stays: each closed site covering something has an
    # open one covering at least its groups at no more cost
    for j in np.flatnonzero(got & dense.any(axis=0)):
        rj = set(np.flatnonzero(dense[:, j]))
        assert any(rj <= set(np.flatnonzero(dense[:, k])) and cost[k] <= cost[j] for k in np.flatnonzero(~got))


def test_lscp_when_the_existing_sites_cover_everyone_closes_what_it_can():
    """Every point within reach of a site that stays open: nothing is left to decide but which
    closable site to close; the answer is the constant (the savings), as enumeration says."""
    from optmodels.io import validate

    doc = {"family": "siting", "model": "lscp", "parameters": {"radius": 50.0},
           "demand": [{"id": f"d{i}", "x": float(i), "y": 0.0, "population": 1.0} for i in range(6)],
           "sites": [{"id": "h0", "x": 2.0, "y": 0.0, "existing": True},
                     {"id": "h1", "x": 3.0, "y": 0.0, "existing": True, "closable": True, "closing_saving": 4.0},
                     {"id": "c2", "x": 9.0, "y": 0.0, "fixed_cost": 2.0}]}
    inst = validate(SitingInstance, doc, file=None)
    sol = solve_siting(inst)
    best, _ = brute_force(inst)
    assert sol.verdict == "optimal"
    assert sol.result.objective == pytest.approx(best)
    assert sol.result.objective == pytest.approx(-4.0)
    assert sol.result.bound == pytest.approx(-4.0)  # the constant is in the bound too


def _no_point_from_highs(monkeypatch, termination):
    """HiGHS stopped (a signal, or a limit) before it had a point, in every solve of the path."""
    from dataclasses import replace

    from solvers import SolutionStatus

    def stopped(mdl, options, **kwargs):
        return replace(coverage._trivial(options), termination=termination, solution_status=SolutionStatus.NONE,
                       objective=None, bound=None, gap=None, solver="highs")

    monkeypatch.setattr(coverage, "solve_model", stopped)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("model", ["mclp", "lscp"])
def test_a_stop_before_highs_has_a_point_reports_the_searchs_plan(seed, model, monkeypatch):
    """The plan of the search is feasible by construction: a run stopped before HiGHS returned a
    point reports it (verdict feasible, termination kept), checked by the evaluator, no better
    than the optimum."""
    from optmodels.contract import verdict_code
    from solvers import Termination

    inst = _feasible(seed, "lscp", radius=4.0) if model == "lscp" else _instance(seed, "mclp", p=4)
    best, _ = brute_force(inst)
    for termination in (Termination.INTERRUPTED, Termination.TIME_LIMIT):
        _no_point_from_highs(monkeypatch, termination)
        sol = solve_siting(inst)
        assert verdict_code(sol) == "feasible", sol.verdict
        assert sol.result.termination is termination
        assert sol.evaluation.feasible
        if model == "lscp":
            assert sol.result.objective >= best - 1e-6
        else:
            assert sol.result.objective <= best + 1e-6
        assert any("no point from HiGHS" in n for n in sol.notes)
