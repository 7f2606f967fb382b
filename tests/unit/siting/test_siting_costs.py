"""Travel costs at scale: every sparse answer equals the dense array's, ties and edges included.

The dense array (``distances.euclidean`` / ``great_circle`` over all pairs) is the reference:
pairs within a radius, the k nearest with their floor, the nearest open site, counts within a
radius, from coordinates (grid join, KD-tree) and from a long table, on random instances whose
coordinates sit on a coarse lattice so that many distances tie exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optmodels.siting.data import distances
from optmodels.siting.data.costs import Pairs, TravelCosts


def _lattice_case(seed: int, n: int = 300, m: int = 40, kind: str = "euclidean"):
    rng = np.random.default_rng(seed)
    if kind == "euclidean":
        a = rng.integers(0, 12, size=(n, 2)).astype(float)  # integer lattice: many exact ties
        b = rng.integers(0, 12, size=(m, 2)).astype(float)
        dense = distances.euclidean(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    else:
        a = np.column_stack([rng.uniform(-10, 10, n), rng.uniform(40, 50, n)])
        b = np.column_stack([rng.uniform(-10, 10, m), rng.uniform(40, 50, m)])
        dense = distances.great_circle(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    return TravelCosts.coordinates(kind, a, b), dense


def _as_set(p: Pairs) -> set[tuple[int, int, float]]:
    i, j, d = p.coo()
    return set(zip(i.tolist(), j.tolist(), d.tolist(), strict=True))


@pytest.mark.parametrize("kind", ["euclidean", "great_circle"])
@pytest.mark.parametrize("seed", range(4))
def test_within_lists_exactly_the_dense_pairs(kind, seed):
    costs, dense = _lattice_case(seed, kind=kind)
    for r in np.unique(np.round(np.quantile(dense, [0.05, 0.2, 0.5]), 6)).tolist() + [float(dense[3, 5])]:
        got = costs.within(r)
        i, j = np.nonzero(dense <= r)
        # same pairs, same cost bits (the dense formulas), rows sorted by cost then site
        assert _as_set(got) == set(zip(i.tolist(), j.tolist(), dense[i, j].tolist(), strict=True))
        for row in range(0, costs.n, 37):
            s, c = got.row(row)
            assert list(zip(c, s, strict=True)) == sorted(zip(c, s, strict=True))
        assert np.all(got.floor > r)
        # the grid join's stream gives the same pairs
        gi, gj, gd = costs.pairs_of(0, costs.n, r)
        assert set(zip(gi.tolist(), gj.tolist(), strict=True)) == set(zip(i.tolist(), j.tolist(), strict=True))


@pytest.mark.parametrize("kind", ["euclidean", "great_circle"])
def test_nearest_k_and_its_floor(kind):
    costs, dense = _lattice_case(7, kind=kind)
    for k in (1, 3, 10, 40):
        got = costs.nearest(k)
        assert np.all(got.counts == min(k, costs.m))
        sorted_d = np.sort(dense, axis=1)
        for i in range(costs.n):
            _, c = got.row(i)
            np.testing.assert_allclose(c, sorted_d[i, : len(c)], rtol=0, atol=0)
            listed = set(got.row(i)[0].tolist())
            unlisted = [dense[i, j] for j in range(costs.m) if j not in listed]
            # every unlisted site costs at least the floor
            assert not unlisted or min(unlisted) >= got.floor[i]


@pytest.mark.parametrize("kind", ["euclidean", "great_circle"])
def test_nearest_open_and_count_within_match_dense(kind):
    costs, dense = _lattice_case(3, kind=kind)
    rng = np.random.default_rng(0)
    for size in (1, 2, 7, 40):
        open_sites = np.sort(rng.choice(costs.m, size=size, replace=False))
        d, s = costs.nearest_open(open_sites)
        sub = dense[:, open_sites]
        np.testing.assert_array_equal(d, sub.min(axis=1))
        np.testing.assert_array_equal(s, open_sites[np.argmin(sub, axis=1)])  # ties: lowest index
        r = float(np.median(sub))
        np.testing.assert_array_equal(costs.count_within(open_sites, r), (sub <= r).sum(axis=1))


def test_long_table_pairs_match_dense_and_absent_pairs_are_unreachable():
    rng = np.random.default_rng(1)
    n, m = 50, 12
    dense = np.round(rng.uniform(0, 10, size=(n, m)), 1)
    dense[rng.random((n, m)) < 0.3] = np.inf
    dense[:, 0] = np.minimum(dense[:, 0], 50.0)  # every point reaches site 0
    i, j = np.nonzero(np.isfinite(dense))
    table = pd.DataFrame({"demand_id": [f"d{k}" for k in i], "site_id": [f"s{k}" for k in j], "cost": dense[i, j]})
    ii, jj, dd = distances.long_pairs(table, [f"d{k}" for k in range(n)], [f"s{k}" for k in range(m)])
    costs = TravelCosts.from_pairs(Pairs.from_coo(n, m, ii, jj, dd, np.full(n, np.inf)))
    np.testing.assert_array_equal(costs.dense(), dense)
    for r in (2.0, 5.0, 9.9):
        got = costs.within(r)
        a, b = np.nonzero(dense <= r)
        assert _as_set(got) == set(zip(a.tolist(), b.tolist(), dense[a, b].tolist(), strict=True))
    open_sites = np.array([0, 3, 7])
    d, s = costs.nearest_open(open_sites)
    np.testing.assert_array_equal(d, dense[:, open_sites].min(axis=1))
    near = costs.nearest(3)
    for row in range(n):
        fin = np.sort(dense[row][np.isfinite(dense[row])])
        np.testing.assert_array_equal(near.row(row)[1], fin[:3])


def test_pairs_first_rows_and_within_keep_floors_honest():
    costs, dense = _lattice_case(11)
    full = costs.within(float(dense.max()))
    cut = full.first(5)
    sub = cut.within(4.0)
    for i in range(costs.n):
        listed = set(sub.row(i)[0].tolist())
        unlisted = [dense[i, j] for j in range(costs.m) if j not in listed]
        assert not unlisted or min(unlisted) >= sub.floor[i]
    pick = np.array([5, 0, 17])
    rows = full.rows(pick)
    for k, i in enumerate(pick):
        np.testing.assert_array_equal(rows.row(k)[1], full.row(i)[1])


def test_dense_is_refused_with_an_estimate_when_it_cannot_fit(monkeypatch):
    from optmodels.resources import MemoryLimitError

    costs, _ = _lattice_case(0)
    monkeypatch.setenv("OPTMODELS_MEMORY_LIMIT", "1000")
    with pytest.raises(MemoryLimitError, match=r"needs about 93.8 KiB.*parameters.cutoff"):
        costs.dense()

