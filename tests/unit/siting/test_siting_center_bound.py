"""The regional bound on the cover number (:mod:`optmodels.siting.center.bound`): never above the
fewest columns covering every row (enumeration on random and tie-heavy lattice covers, any
partition, any multipliers), strictly above the LP where regions hold integrality gaps, and the
p-center optimum unchanged when every decision goes through it."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from optmodels.siting.bruteforce import brute_force
from optmodels.siting.center import bound, cover, relaxation
from optmodels.siting.center.bound import SCALE, decomposed, lp_bound, region_bound, regions
from optmodels.siting.center.cover import Cover, Rows, cover_rows, decide
from optmodels.siting.center.relaxation import solve_p_center
from optmodels.siting.data.generate import generate
from optmodels.siting.data.instance import SitingInstance
from solvers import SolveOptions


def _cover_number(A: np.ndarray) -> int:
    """The fewest columns covering every row (A dense 0/1), by enumeration."""
    if A.shape[0] == 0:
        return 0
    for size in range(1, A.shape[1] + 1):
        for chosen in itertools.combinations(range(A.shape[1]), size):
            if A[:, chosen].any(axis=1).all():
                return size
    raise AssertionError("a row no column covers")


def _random_cover(seed: int) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(4, 13)), int(rng.integers(3, 10))
    A = rng.random((n, m)) < rng.uniform(0.15, 0.45)
    A[np.arange(n), rng.integers(0, m, n)] = True
    return sp.csr_matrix(A.astype(np.int32))


def _lattice_cover(seed: int) -> sp.csr_matrix:
    """Points and sites on a 5 x 5 integer lattice, a radius among the tied distances: the
    reduced cover a p-center decision sees."""
    rng = np.random.default_rng(seed)
    pts, sxy = rng.integers(0, 5, size=(14, 2)), rng.integers(0, 5, size=(10, 2))
    d = np.hypot(*(pts[:, None, :] - sxy[None, :, :]).transpose(2, 0, 1))
    r = float(np.sort(np.unique(d))[1 + seed % 3])
    d[np.arange(len(pts)), d.argmin(axis=1)] = 0.0  # every point reachable
    return cover_rows(Rows.of(d, np.inf), r, np.zeros(len(sxy), bool)).matrix


def _odd_cycles(cycles: int, length: int, links: int = 0, seed: int = 0) -> sp.csr_matrix:
    """Rows = the edges of ``cycles`` disjoint cycles of odd ``length`` (a cover takes ``(length
    + 1) / 2`` vertices a cycle, the LP ``length / 2``), plus ``links`` rows joining two random
    vertices of different cycles (rows that straddle any partition into the cycles)."""
    rng = np.random.default_rng(seed)
    edges = [(c * length + v, c * length + (v + 1) % length) for c in range(cycles) for v in range(length)]
    for _ in range(links):
        a, b = rng.choice(cycles, size=2, replace=False)
        edges.append((a * length + int(rng.integers(length)), b * length + int(rng.integers(length))))
    rows = np.repeat(np.arange(len(edges)), 2)
    A = sp.csr_matrix((np.ones(len(rows), dtype=np.int32), (rows, np.ravel(edges))), shape=(len(edges), cycles * length))
    return A


@pytest.mark.parametrize("seed", range(40))
def test_the_bound_never_exceeds_the_cover_number(seed):
    """Any partition, the LP's duals or random multipliers, or none: the bound is at most the
    fewest columns covering every row."""
    A = _random_cover(seed) if seed % 2 else _lattice_cover(seed)
    if A.shape[0] == 0:
        return
    best = _cover_number(A.toarray().astype(bool))
    rng = np.random.default_rng(seed)
    lp, duals = lp_bound(A)
    assert lp <= best + 1e-9
    m = A.shape[1]
    partitions = [np.zeros(m, np.int64), np.arange(m), rng.integers(0, 3, m)] + [regions(A, s, seed) for s in (2, 3, 5)]
    for label in partitions:
        for u in (duals, np.zeros(A.shape[0]), rng.uniform(0.0, 1.5, A.shape[0])):
            total = decomposed(A, label, u, 30.0)
            assert total is not None
            assert total <= SCALE * best
    # the decision's view: "no" only where no cover of k columns exists
    for k in (best, best + 1):
        assert not region_bound(A, k, 30.0, seed=seed).proven
    assert region_bound(A, best - 1, 30.0, seed=seed).value <= best


def test_regions_see_the_integrality_gap_the_lp_misses():
    """Four disjoint 7-cycles: the LP takes 14 vertices, every cover 16. Regions of 7 columns
    are the cycles: the bound is 16 exactly -- "no" for k = 15, which the LP (and the packing, 12
    disjoint edges) cannot prove, and never "no" for k = 16."""
    A = _odd_cycles(4, 7)
    lp, _ = lp_bound(A)
    assert lp == pytest.approx(14.0, abs=1e-6)
    assert cover.packing(Cover(A, np.arange(A.shape[1]), False)) <= 15
    assert decomposed(A, regions(A, 7, 0), np.zeros(A.shape[0]), 30.0) == SCALE * 16
    no = region_bound(A, 15, 30.0)
    assert no.proven
    assert no.value == pytest.approx(16.0, abs=1e-9)
    assert not region_bound(A, 16, 30.0).proven


@pytest.mark.parametrize("seed", range(4))
def test_straddling_rows_priced_by_the_duals_keep_the_bound_valid_and_above_the_lp(seed):
    """Three 5-cycles joined by straddling rows: the LP's duals on those rows keep the LP's
    value (7.5), the cycles add their gaps, and the total stays at most the cover number (9)."""
    A = _odd_cycles(3, 5, links=3, seed=seed)
    best = _cover_number(A.toarray().astype(bool))
    lp, duals = lp_bound(A)
    total = decomposed(A, np.repeat(np.arange(3), 5), duals, 30.0)
    assert total <= SCALE * best
    assert total / SCALE > lp + 0.4  # strictly above the LP: the cycles' gaps count
    assert region_bound(A, best - 1, 30.0).value <= best


def _lattice_instance(seed: int, n: int = 16, m: int = 10, p: int = 3) -> SitingInstance:
    import pandas as pd

    rng = np.random.default_rng(seed)
    xy, sxy = rng.integers(0, 6, size=(n, 2)).astype(float), rng.integers(0, 6, size=(m, 2)).astype(float)
    demand = pd.DataFrame({"id": [f"d{i}" for i in range(n)], "x": xy[:, 0], "y": xy[:, 1], "population": 1.0})
    sites = pd.DataFrame({"id": [f"s{j}" for j in range(m)], "x": sxy[:, 0], "y": sxy[:, 1], "capacity": 50.0,
                          "existing": np.arange(m) < seed % 2})
    return SitingInstance.from_dataframes(demand, sites, model="p_center", p=p)


def _solve_through_the_bound(monkeypatch, inst: SitingInstance, best: float) -> list[str]:
    """Solve with the heuristic never finding a cover and the bound always in reach, regions of
    a third and a half of the columns: every decision not settled by a packing goes through the
    regions, then the MILP. The optimum must be ``best``; the answers' sources are returned."""
    monkeypatch.setattr(cover, "heuristic", lambda *a, **kw: None)
    monkeypatch.setattr(bound, "REACH", np.inf)
    monkeypatch.setattr(bound, "FRACTIONS", (1 / 3, 1 / 2))
    answers = []
    real = relaxation.decide

    def spy(*args, **kwargs):
        answer = real(*args, **kwargs)
        answers.append(answer.by)
        return answer

    monkeypatch.setattr(relaxation, "decide", spy)
    sol = solve_p_center(inst, SolveOptions(time_limit=120))
    assert sol.result.is_optimal, sol.result.verdict
    assert sol.result.objective == pytest.approx(best, rel=1e-12, abs=1e-12)
    assert sol.result.bound == pytest.approx(best, rel=1e-12, abs=1e-12)
    assert set(answers) <= {"empty", "packing", "regions", "milp"}
    return answers


@pytest.mark.parametrize("seed", range(10))
def test_the_lattice_p_center_optimum_is_unchanged_through_the_bound(monkeypatch, seed):
    inst = _lattice_instance(seed, n=30, m=14, p=3 + seed % 3)
    best, _ = brute_force(inst, "p_center")
    _solve_through_the_bound(monkeypatch, inst, best)


def test_the_p_center_optimum_is_unchanged_where_the_regions_answer_no(monkeypatch):
    """300 points, 40 sites: the regions answer *no* in some decisions (so a bound above the
    cover number would answer no where a cover exists, and the search would end above the
    optimum); the optimum is the one the search finds without the bound in reach (the
    assignment MILP takes minutes here; the two agree in test_siting_center.py)."""
    inst = generate(300, 40, seed=0, existing=0, model="p_center", p=8)
    with monkeypatch.context() as patch:
        patch.setattr(bound, "REACH", -np.inf)  # the LP is never within reach: no region tried
        best = solve_p_center(inst).result.objective
    answers = _solve_through_the_bound(monkeypatch, inst, best)
    assert "regions" in answers


def test_decide_answers_no_by_the_regions_where_the_lp_does_not():
    A = _odd_cycles(4, 7)
    c = Cover(A, np.arange(A.shape[1]), False)
    answer = decide(c, 15, SolveOptions(time_limit=60))
    assert answer.feasible is False
    assert answer.by == "regions"
    assert answer.results == ()  # no MILP ran
    assert decide(c, 16, SolveOptions(time_limit=60)).feasible is True


def test_a_stop_signal_ends_the_bound_at_once():
    """A stop signal that reached the search's interruptible block (during an earlier solve)
    ends the regions' HiGHS runs at their first check: KeyboardInterrupt, which the search turns
    into its plan and proven bound -- not a bound computed to its time limit."""
    import signal

    from solvers.interrupt import interruptible

    A = _odd_cycles(4, 7)
    # Python's own Ctrl-C handler, also where the runner was started with SIGINT ignored (a
    # background job): the block takes a signal over only where Python handles it
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with interruptible() as scope:
            assert scope.active
            scope.requested = True
            with pytest.raises(KeyboardInterrupt):
                region_bound(A, 15, 30.0)
    finally:
        signal.signal(signal.SIGINT, previous)


def test_a_row_no_column_covers_is_a_no():
    A = sp.csr_matrix(np.array([[1, 0], [0, 0]], dtype=np.int32))
    assert region_bound(A, 2, 10.0).proven
