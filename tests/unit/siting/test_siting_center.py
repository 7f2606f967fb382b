"""The p-center by relaxation (:mod:`optmodels.siting.center`): the same optimum as brute force
and as the assignment MILP on tie-heavy instances (existing sites, budgets, cut-offs, p = 1 and
p = m), the decision's reductions keep the answer, a growing relaxation stays exact, and the
scale paths (coordinates, a long table) give what the dense path gives."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from optmodels.siting.bruteforce import brute_force
from optmodels.siting.center import relaxation
from optmodels.siting.center.cover import (
    Answer,
    Cover,
    Rows,
    _milp,
    cover_rows,
    decide,
    heuristic,
    packing,
)
from optmodels.siting.center.relaxation import applies, solve_p_center
from optmodels.siting.data.generate import generate
from optmodels.siting.data.instance import SitingInstance
from optmodels.siting.evaluate import evaluate
from optmodels.siting.solve import solve_siting
from solvers import SolveOptions, Termination


def _frames(seed: int, n: int, m: int, existing: int = 0, closable: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Points and sites on a 6 x 6 integer lattice: many distances tie exactly."""
    rng = np.random.default_rng(seed)
    xy = rng.integers(0, 6, size=(n, 2)).astype(float)
    sxy = rng.integers(0, 6, size=(m, 2)).astype(float)
    is_existing = np.arange(m) < existing
    is_closable = (np.arange(m) < existing) & (np.arange(m) >= existing - closable)
    demand = pd.DataFrame({"id": [f"d{i}" for i in range(n)], "x": xy[:, 0], "y": xy[:, 1],
                           "population": rng.integers(0, 9, n).astype(float) + (np.arange(n) == 0)})
    sites = pd.DataFrame({"id": [f"s{j}" for j in range(m)], "x": sxy[:, 0], "y": sxy[:, 1],
                          "fixed_cost": rng.integers(1, 4, m).astype(float), "capacity": 50.0,
                          "existing": is_existing, "closable": is_closable,
                          "closing_saving": np.where(is_closable, 1.0, 0.0)})
    return demand, sites


def _lattice(seed: int, n: int = 14, m: int = 9, *, existing: int = 0, closable: int = 0, p: int | None = None,
             **params) -> SitingInstance:
    demand, sites = _frames(seed, n, m, existing, closable)
    p = p if p is not None else max(existing - closable, 1 + seed % 4)
    return SitingInstance.from_dataframes(demand, sites, model="p_center", p=p, **params)


def _cases():
    cases = []
    for seed in range(24):  # plain, existing sites kept open, closable ones, p from 1 to m
        cases.append(pytest.param(seed, {"existing": seed % 3, "closable": int(seed % 6 == 5)}, id=f"plain-{seed}"))
    for p in (1, 9):
        cases.append(pytest.param(100 + p, {"p": p}, id=f"p={p}"))
    cases.append(pytest.param(103, {"existing": 2, "p": 2}, id="p=existing"))
    for seed in range(6):  # budgets that bind (closable savings included)
        cases.append(pytest.param(200 + seed, {"existing": 2, "closable": seed % 2, "p": 4, "budget": 3.0 + seed % 3},
                                  id=f"budget-{seed}"))
    for seed in range(4):  # a cut-off: pairs beyond it do not exist
        cases.append(pytest.param(300 + seed, {"p": 4, "cutoff": 3.5}, id=f"cutoff-{seed}"))
    return cases


@pytest.mark.parametrize(("seed", "kw"), _cases())
def test_relaxation_equals_brute_force(seed, kw):
    inst = _lattice(seed, **kw)
    try:
        best, _ = brute_force(inst, "p_center")
    except ValueError:  # no plan within the budget / the cut-off
        best = None
    sol = solve_p_center(inst)
    if best is None:
        assert sol.result.termination is Termination.INFEASIBLE
        assert sol.open_sites is None
        return
    assert sol.result.is_optimal, sol.result.verdict
    assert sol.result.objective == pytest.approx(best, rel=1e-12, abs=1e-12)
    assert sol.result.bound == pytest.approx(best, rel=1e-12, abs=1e-12)
    ev = evaluate(inst, sol.open_sites, model="p_center")
    assert ev.feasible, ev.violations
    assert ev.objectives["max_distance"] == pytest.approx(best, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(("seed", "p"), [(1, 12), (2, 15), (3, 20), (4, 30)])
def test_relaxation_equals_the_assignment_milp(seed, p):
    inst = generate(300, 40, seed=seed, existing=seed % 3 * 5, model="p_center", p=p)
    milp = solve_siting(inst, formulation="assignment")
    fast = solve_siting(inst)
    assert milp.result.is_optimal
    assert fast.result.is_optimal
    assert fast.extra["formulation"] == "relaxation"
    assert fast.result.objective == pytest.approx(milp.result.objective, rel=1e-12)
    assert fast.evaluation.feasible
    assert int(fast.decision.open.sum()) == p


def test_the_relaxation_grows_and_stays_exact():
    """Points join the relaxation only when a plan misses them; far fewer than all are needed."""
    inst = generate(1500, 60, seed=5, existing=0, model="p_center", p=8)
    sol = solve_p_center(inst)
    assert sol.result.is_optimal
    assert sol.rounds >= 1
    assert sol.relaxed < inst.n_demand / 4
    cost = inst.cost_matrix()
    assert cost[:, sol.open_sites].min(axis=1).max() == pytest.approx(sol.result.objective, rel=1e-12)
    # no plan with p sites does better on the relaxation's optimum radius: the bound is proven
    assert sol.result.bound == pytest.approx(sol.result.objective, rel=1e-12)


def _brute_cover_number(A: np.ndarray) -> int:
    """The fewest columns covering every row (A dense 0/1), by enumeration."""
    rows, cols = A.shape
    if rows == 0:
        return 0
    for size in range(1, cols + 1):
        for chosen in itertools.combinations(range(cols), size):
            if A[:, chosen].any(axis=1).all():
                return size
    return cols + 1


@pytest.mark.parametrize("seed", range(30))
def test_reductions_keep_the_cover_number(seed):
    """Merged, dominated rows and dominated columns (ties included) leave the fewest sites that
    serve every point unchanged; the packing never exceeds it."""
    rng = np.random.default_rng(seed)
    n, m = 9, 8
    block = rng.integers(1, 5, size=(n, m)).astype(float)  # costs 1-4: ties everywhere
    block[rng.random((n, m)) < 0.2] = np.inf
    block[np.arange(n), rng.integers(0, m, n)] = 1.0  # every point reachable at r = 2
    fixed = np.zeros(m, bool)
    fixed[: seed % 2] = True
    r = 2.0
    rows = Rows.of(block, np.inf)
    full = cover_rows(rows, r, fixed, drop_columns=False)
    reduced = cover_rows(rows, r, fixed)
    within = block <= r
    plain = within[~within[:, fixed].any(axis=1)][:, ~fixed]
    expected = _brute_cover_number(plain)
    assert _brute_cover_number(reduced.matrix.toarray().astype(bool)) == expected
    assert _brute_cover_number(full.matrix.toarray().astype(bool)) == expected
    assert packing(reduced) <= expected
    # a plan that serves every point, carried over the dropped columns, still serves every row
    free = np.flatnonzero(~fixed)
    for size in range(1, len(free) + 1):
        for plan in itertools.combinations(free.tolist(), size):
            if plain[:, np.isin(free, plan)].any(axis=1).all():
                cols = reduced.carry(np.array(plan))
                assert len(cols) <= size
                assert reduced.matrix[:, cols].toarray().any(axis=1).all()
    for k in range(0, m + 1):
        answer = decide(reduced, k, SolveOptions())
        assert answer.feasible is (expected <= k)
        if answer.feasible:
            chosen = np.isin(np.flatnonzero(~fixed), answer.sites)
            assert len(answer.sites) <= k
            assert plain[:, chosen].any(axis=1).all()


def test_row_weighting_finds_a_planted_cover():
    """A cover with k sites is planted among decoys; the local search finds one (or another)."""
    rng = np.random.default_rng(0)
    n, m, k = 300, 120, 12
    A = (rng.random((n, m)) < 0.02)
    planted = rng.choice(m, size=k, replace=False)
    A[np.arange(n), planted[rng.integers(0, k, n)]] = True
    cover = Cover(sp.csr_matrix(A.astype(np.int32)), np.arange(m), False)
    sites = heuristic(cover, k, iterations=30_000)
    assert sites is not None
    assert len(sites) <= k
    assert A[:, sites].any(axis=1).all()


def test_scale_paths_give_the_dense_optimum(monkeypatch):
    """Coordinates (KD-tree plan checks, costs from the formulas) and a long table (pairs)
    reach the very optimum the dense array gives, tied distances included."""
    dense_inst = _lattice(7, n=60, m=12, existing=1, p=4)
    expected = solve_p_center(dense_inst).result.objective
    import optmodels.siting.data.instance as instance_module
    import optmodels.siting.data.tables as tables_module

    monkeypatch.setattr(instance_module, "DENSE_MAX_CELLS", 10)
    monkeypatch.setattr(tables_module, "DENSE_MAX_CELLS", 10)
    coords = _lattice(7, n=60, m=12, existing=1, p=4)
    assert coords.is_large
    sol = solve_p_center(coords)
    assert sol.result.is_optimal
    assert sol.result.objective == pytest.approx(expected, rel=1e-12)
    # through the family's solve: the evaluator (on pairs, no dense array) re-prices the plan
    full = solve_siting(coords)
    assert full.extra["formulation"] == "relaxation"
    assert full.evaluation.feasible
    assert full.evaluation.objective("max_distance") == pytest.approx(expected, rel=1e-12)
    assert full.result.objective == pytest.approx(expected, rel=1e-12)
    cost = dense_inst.cost_matrix()
    i, j = np.nonzero(np.isfinite(cost))
    long = pd.DataFrame({"demand_id": [f"d{v}" for v in i], "site_id": [f"s{v}" for v in j], "cost": cost[i, j]})
    demand, sites = _frames(7, 60, 12, existing=1)
    table = SitingInstance.from_dataframes(demand, sites, long, model="p_center", p=4)
    assert table.is_large
    assert not table.costs.geometric
    sol = solve_p_center(table)
    assert sol.result.is_optimal
    assert sol.result.objective == pytest.approx(expected, rel=1e-12)


def test_a_time_limit_returns_the_plan_with_a_proven_bound(monkeypatch):
    inst = generate(1500, 60, seed=5, existing=0, model="p_center", p=8)
    best = solve_p_center(inst).result.objective
    # stop after the first decision: the bound is the one proven so far, the plan is a plan
    calls = []
    real = relaxation._decide

    def one(*args, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(relaxation, "_decide", one)
    sol = solve_p_center(inst, SolveOptions(time_limit=60))
    assert sol.result.termination is Termination.INTERRUPTED
    assert sol.open_sites is not None
    assert int(sol.open_sites.sum()) == 8
    assert sol.result.bound <= best <= sol.result.objective
    assert sol.result.gap == pytest.approx((sol.result.objective - sol.result.bound) / sol.result.objective)


def test_applies_to_the_uncapacitated_p_center_only():
    inst = _lattice(0, p=3)
    assert applies(inst, "p_center", "max_distance")
    assert not applies(inst, "p_center", "distance")
    assert not applies(inst.with_changes("p_median"), "p_median", "max_distance")
    assert not applies(inst.with_changes(capacitated=True), "p_center", "max_distance")


def test_solve_siting_dispatches_and_assignment_is_kept_on_request():
    inst = _lattice(3, n=30, m=9, existing=1, p=3)
    fast = solve_siting(inst)
    milp = solve_siting(inst, formulation="assignment")
    assert fast.extra["formulation"] == "relaxation"
    assert milp.extra["formulation"] == "assignment"
    assert any("relaxation" in note for note in fast.notes)
    assert fast.result.objective == pytest.approx(milp.result.objective, rel=1e-12)
    capacitated = solve_siting(inst.with_changes(capacitated=True))
    assert capacitated.extra["formulation"] == "assignment"


def test_the_printed_verdict_says_how_the_optimum_was_proven():
    """No MILP may run at all (the nearest-site bound meets the first plan): the header must not
    call the proof "a continuous model" (what an empty model size reads as)."""
    from optmodels.contract import verdict_code
    from optmodels.report import header

    inst = _lattice(3, n=30, m=9, p=9)  # every site open: the first plan is the optimum
    sol = solve_siting(inst)
    assert sol.result.is_optimal
    text = header(sol.result, title="t", objective_name="max_distance", sense="min",
                  verdict=verdict_code(sol), message=sol.family_verdict)
    verdict_line = next(line for line in text.splitlines() if "verdict" in line)
    assert "optimal" in verdict_line
    assert "continuous" not in verdict_line


def _odd_cycles(cycles: int, length: int) -> Cover:
    """Rows = the edges of ``cycles`` disjoint cycles of odd ``length``, columns = their
    vertices: every cover takes ``(length + 1) / 2`` sites a cycle, while the LP takes ``length /
    2`` -- a cover with exactly the minimum count whose minimality HiGHS cannot see at the root."""
    rows, cols = [], []
    for c in range(cycles):
        for v in range(length):
            rows += [c * length + v] * 2
            cols += [c * length + v, c * length + (v + 1) % length]
    A = sp.csr_matrix((np.ones(len(rows), dtype=np.int32), (rows, cols)), shape=(cycles * length, cycles * length))
    return Cover(A, np.arange(cycles * length), False)


def test_the_decision_milp_stops_at_its_first_cover_of_k_sites():
    # a cover with exactly k sites answers yes: the MILP must stop there, not go on to prove that
    # no cover has fewer (with objective_target = k HiGHS went on: that proof is a branch-and-
    # bound over the whole tree, and in a full decision it took the time left)
    cover = _odd_cycles(cycles=12, length=7)
    k = 12 * 4
    answer = _milp(cover, k, SolveOptions(time_limit=60), None, None, ())
    assert answer.feasible is True
    assert len(answer.sites) <= k
    served = np.asarray(cover.matrix[:, np.isin(cover.sites, answer.sites)].sum(axis=1)).ravel()
    assert (served >= 1).all()
    assert answer.results[-1].termination is Termination.SOLUTION_LIMIT


@pytest.mark.parametrize("seed", [0, 3, 7, 11])
def test_decisions_left_open_deepen_the_slice_and_stay_exact(monkeypatch, seed):
    # every short decision with a slice below 20 s is left open (as a hard cover near r*_S is):
    # the search must double the slice over all radii, never give up, and end at the optimum
    inst = _lattice(seed, n=16, m=10, existing=seed % 3)
    best, _ = brute_force(inst, "p_center")
    slices = []

    def opening(cover, k, options, *, full, short=None, **kw):
        slices.append(short)
        if not full and (short is None or short < 20):
            return Answer(None, None, "open")
        return decide(cover, k, options, full=full, **({} if short is None else {"short": short}), **kw)

    monkeypatch.setattr(relaxation, "decide", opening)
    sol = solve_p_center(inst, SolveOptions(time_limit=600))
    assert sol.result.is_optimal, sol.result.verdict
    assert sol.result.objective == pytest.approx(best, rel=1e-12, abs=1e-12)
    assert sol.result.bound == pytest.approx(best, rel=1e-12, abs=1e-12)
    assert sorted(set(slices)) == pytest.approx([5.0, 10.0, 20.0])
