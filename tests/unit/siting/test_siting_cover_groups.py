"""Cover-set aggregation: exact on tie-heavy lattices, and still exact when fingerprints collide."""

from __future__ import annotations

import numpy as np
import pytest

from optmodels.siting.coverage import groups as cg
from optmodels.siting.data.costs import TravelCosts


def _case(seed: int, n: int = 400, m: int = 30):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 10, size=(n, 2)).astype(float)
    b = rng.integers(0, 10, size=(m, 2)).astype(float)
    return TravelCosts.coordinates("euclidean", a, b), rng.integers(1, 50, n).astype(float)


def _reference(costs: TravelCosts, r: float) -> dict[frozenset, list[int]]:
    dense = costs.dense()
    out: dict[frozenset, list[int]] = {}
    for i in range(costs.n):
        s = frozenset(np.flatnonzero(dense[i] <= r).tolist())
        if s:
            out.setdefault(s, []).append(i)
    return out


def _check(groups: cg.CoverGroups, costs: TravelCosts, r: float, w: np.ndarray, *, merged: bool = True) -> None:
    ref = _reference(costs, r)
    G = groups.sites
    for g in range(groups.n_groups):
        members = np.flatnonzero(groups.of_point == g)
        s = frozenset(G.indices[G.indptr[g]:G.indptr[g + 1]].tolist())
        assert s in ref  # every member has exactly this set
        assert set(members.tolist()) <= set(ref[s])
        assert groups.weight[g] == pytest.approx(w[members].sum())
        assert groups.size[g] == len(members)
    if merged:
        assert groups.n_groups == len(ref)
    dense = costs.dense()
    lonely = ~(dense <= r).any(axis=1)
    assert np.array_equal(groups.of_point < 0, lonely)
    assert groups.unreachable_weight == pytest.approx(w[lonely].sum())
    assert groups.pairs == int((dense <= r).sum())


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("r", [1.0, 2.0, 2.5, 4.0])
def test_groups_equal_the_distinct_cover_sets(seed, r):
    costs, w = _case(seed)
    _check(cg.cover_groups(costs, r, w), costs, r, w)


def test_colliding_fingerprints_are_split_not_merged(monkeypatch):
    """With every site given the same keys, fingerprints tell sets apart by size only: the proof
    pass must split every wrongly merged point, and the result stays exact."""
    costs, w = _case(3)
    monkeypatch.setattr(cg, "_site_keys", lambda m, seed: (np.ones(m), np.ones(m)))
    groups = cg.cover_groups(costs, 2.5, w)
    _check(groups, costs, 2.5, w, merged=False)


def test_chunked_runs_give_the_same_groups(monkeypatch):
    costs, w = _case(4, n=1000)
    whole = cg.cover_groups(costs, 2.0, w)
    monkeypatch.setattr(cg, "CHUNK", 97)  # many chunks, boundaries inside groups
    parts = cg.cover_groups(costs, 2.0, w)
    assert np.array_equal(whole.of_point, parts.of_point)
    assert (whole.sites != parts.sites).nnz == 0


def test_merge_rows_merges_equal_rows_after_restriction():
    costs, w = _case(1)
    groups = cg.cover_groups(costs, 3.0, w)
    keep = np.zeros(costs.m, bool)
    keep[::3] = True
    G, weight, row = groups.restrict(keep)
    dense = costs.dense()[:, keep]
    seen: dict[frozenset, float] = {}
    for i in range(costs.n):
        s = frozenset(np.flatnonzero(dense[i] <= 3.0).tolist())
        if s:
            seen[s] = seen.get(s, 0.0) + w[i]
    assert G.shape[0] == len(seen)
    for r_ in range(G.shape[0]):
        s = frozenset(G.indices[G.indptr[r_]:G.indptr[r_ + 1]].tolist())
        assert weight[r_] == pytest.approx(seen[s])
