r"""Demand points merged by their cover sets: the exact aggregation of the coverage models.

In LSCP, MCLP and backup coverage a demand point ``i`` enters the model only through its cover
set ``N_i = {j : d_ij <= S}`` and its weight ``w_i``: two points with the same ``N_i`` are
covered by exactly the same plans, so they can be one row of weight ``w_i + w_k`` (MCLP, backup
coverage) or one row (LSCP) without changing any plan's value. On a population grid this is the
reduction that matters: a million cells within 5 km of tens of sites have about 140,000
distinct cover sets.

How (:func:`cover_groups`), in passes over the demand points in chunks, so memory stays
``O(n)`` plus one chunk's pairs whatever the total (32 M pairs at a million cells):

1. **Fingerprint.** Each site gets two random 40-bit keys; a point's fingerprint is
   ``(|N_i|, sum of keys_1, sum of keys_2)`` over its cover set. The sums are exact in float64
   (at most ``|N_i| * 2^40 < 2^53``), so ``numpy.bincount`` computes them from the chunk's pairs
   with no per-point sort. Points with equal fingerprints form a candidate group; its first point
   is its representative.
2. **Representatives' sets.** The pairs of representative points give the group x site matrix.
3. **Proof.** Every pair ``(i, j)`` is looked up in the representative's set of ``i``'s group
   (``searchsorted`` over sorted ``group * m + j`` keys). Equal sizes and inclusion mean equal
   sets, so a group whose members all pass is exact *by construction*, not with high
   probability; a point that fails (a fingerprint collision, about ``10^-14`` at this size) is
   split off into a group of its own set, and the proof repeats for it.

With a Dask ``scheduler`` each pass's chunks run on the cluster (the costs are scattered to it
once); only per-point fingerprints (``3 n`` numbers), the representatives' pairs and the failing
points come back. Without one, the first pass keeps its pairs when they fit in memory, and the
other two read them instead of joining the grid again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from optmodels.siting.data.costs import CHUNK, TravelCosts

_KEY_BITS = 40


@dataclass(frozen=True, eq=False)
class CoverGroups:
    """Demand points with identical cover sets ``N_i = {j : d_ij <= radius}``.

    ``sites`` is the ``groups x sites`` 0/1 matrix (CSR, sorted indices) of the groups' cover
    sets, ``weight`` their summed population, ``size`` their number of points, ``of_point`` each
    point's group (``-1``: no site within the radius; such points weigh ``unreachable_weight``
    together). ``pairs`` counts the demand-site pairs within the radius that were grouped.
    """

    radius: float
    sites: sp.csr_matrix
    weight: np.ndarray
    size: np.ndarray
    of_point: np.ndarray
    unreachable_weight: float
    pairs: int

    @property
    def n_groups(self) -> int:
        return self.sites.shape[0]

    @property
    def n_sites(self) -> int:
        return self.sites.shape[1]

    def restrict(self, keep_sites: np.ndarray, drop_groups: np.ndarray | None = None) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
        """The cover sets restricted to ``keep_sites`` (bool per site) without the groups in
        ``drop_groups``, re-merged where they became equal: ``(matrix, weight, group -> row)``
        (row ``-1`` for a dropped group or one left with no site)."""
        keep_rows = np.ones(self.n_groups, bool) if drop_groups is None else ~drop_groups
        G = self.sites[:, np.flatnonzero(keep_sites)].tocsr()
        return merge_rows(G, self.weight, keep_rows)


def merge_rows(G: sp.csr_matrix, weight: np.ndarray, keep: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """Rows of ``G`` (kept and non-empty) merged where equal, weights summed.

    Returns the merged matrix, its row weights and each input row's merged row (``-1``: not
    kept or empty). Exact: rows are compared by their sorted column lists.
    """
    G = G.tocsr()
    G.sort_indices()
    counts = np.diff(G.indptr)
    keep = keep & (counts > 0)
    rows = np.flatnonzero(keep)
    out_of = np.full(G.shape[0], -1, dtype=np.int64)
    if rows.size == 0:
        return sp.csr_matrix((0, G.shape[1]), dtype=np.int8), np.zeros(0), out_of
    # one byte string per row (its sorted column list): equal strings are equal sets
    sub = G[rows]
    keys = np.array([sub.indices[a:b].tobytes() for a, b in zip(sub.indptr[:-1], sub.indptr[1:], strict=True)],
                    dtype=object)
    _, first, inv = np.unique(keys, return_index=True, return_inverse=True)
    out_of[rows] = inv.ravel()
    merged = sub[first]
    merged.data = np.ones_like(merged.data, dtype=np.int8)
    w = np.bincount(inv.ravel(), weights=weight[rows], minlength=len(first))
    return merged.astype(np.int8), w, out_of


def _site_keys(m: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (rng.integers(1, 2**_KEY_BITS, size=m).astype(np.float64),
            rng.integers(1, 2**_KEY_BITS, size=m).astype(np.float64))


def _fingerprint_chunk(costs: TravelCosts, start: int, stop: int, radius: float, keys: tuple[np.ndarray, np.ndarray],
                       keep: bool = False):
    i, j, _ = costs.pairs_of(start, stop, radius)
    local = i - start
    size = stop - start
    pairs = (local.astype(np.int32), j.astype(np.int32)) if keep else None
    return (np.bincount(local, minlength=size), np.bincount(local, weights=keys[0][j], minlength=size),
            np.bincount(local, weights=keys[1][j], minlength=size), len(i), pairs)


class _Kept:
    """Pairs kept from the first pass (when they fit), so the later passes read memory instead
    of joining the grid again: a chunk's ``pairs_of`` served from them."""

    def __init__(self, parts, spans) -> None:
        self.parts = {a: p for (a, _), p in zip(spans, parts, strict=True)}

    def pairs_of(self, start: int, stop: int, radius: float):
        local, j = self.parts[start]
        return local.astype(np.int64) + start, j.astype(np.int64), None


def _rep_pairs_chunk(costs: TravelCosts, start: int, stop: int, radius: float, is_rep: np.ndarray):
    """The pairs of the representatives among ``start:stop`` (``is_rep``: that slice's flags)."""
    i, j, _ = costs.pairs_of(start, stop, radius)
    keep = is_rep[i - start]
    return i[keep], j[keep]


def _proof_chunk(shared: tuple, start: int, stop: int, radius: float, group: np.ndarray, m: int) -> np.ndarray:
    """Points of ``start:stop`` with a site outside their group's set (fingerprint collisions);
    ``shared`` is ``(costs, known)``, ``group`` the slice's groups."""
    costs, known = shared
    i, j, _ = costs.pairs_of(start, stop, radius)
    key = group[i - start] * m + j
    pos = np.minimum(np.searchsorted(known, key), len(known) - 1)
    return np.unique(i[known[pos] != key]) if len(known) else np.unique(i)


def cover_groups(
    costs: TravelCosts,
    radius: float,
    population: np.ndarray,
    *,
    scheduler: Any = None,
    seed: int = 20231,
) -> CoverGroups:
    """Group the demand points of ``costs`` by their cover sets within ``radius`` (exact; see
    the module docstring). With ``scheduler`` (a Dask address or client) every pass runs on that
    cluster in partitions of :data:`CHUNK` demand points, the costs sent there once."""
    from solvers.executor import map_shared

    def run(fn: Callable, tasks: list[tuple], shared: Any = None) -> list:
        return map_shared(fn, costs if shared is None else shared, [t[1:] for t in tasks], scheduler=scheduler)

    n, m = costs.n, costs.m
    spans = [(s, min(s + CHUNK, n)) for s in range(0, n, CHUNK)]
    keys = _site_keys(m, seed)
    # keep the pairs for the two later passes when they fit in a fifth of what is free (8 bytes
    # a pair): a million cells' 32 M pairs are 260 MB, and each pass saved is a grid join
    from optmodels.resources import available_memory

    free_bytes = available_memory()
    keep = scheduler is None and (free_bytes is None or 8 * costs.estimate_pairs(radius) < 0.2 * free_bytes)
    parts = run(_fingerprint_chunk, [(costs, a, b, radius, keys, keep) for a, b in spans])
    if keep:
        costs = _Kept([p[4] for p in parts], spans)
    count = np.concatenate([p[0] for p in parts])
    h1 = np.concatenate([p[1] for p in parts])
    h2 = np.concatenate([p[2] for p in parts])
    n_pairs = int(sum(p[3] for p in parts))
    reach = count > 0
    finger = np.column_stack([count[reach].astype(np.float64), h1[reach], h2[reach]])
    _, first, inv = np.unique(finger, axis=0, return_index=True, return_inverse=True)
    group = np.full(n, -1, dtype=np.int64)
    reach_idx = np.flatnonzero(reach)
    group[reach_idx] = inv.ravel()
    reps = reach_idx[first]
    n_groups = len(reps)
    while True:
        is_rep = np.zeros(n, bool)
        is_rep[reps] = True
        got = run(_rep_pairs_chunk, [(costs, a, b, radius, is_rep[a:b]) for a, b in spans])
        ri = np.concatenate([g[0] for g in got]) if got else np.zeros(0, np.int64)
        rj = np.concatenate([g[1] for g in got]) if got else np.zeros(0, np.int64)
        known = np.sort(group[ri] * m + rj)
        bad = run(_proof_chunk, [(None, a, b, radius, group[a:b], m) for a, b in spans], shared=(costs, known))
        bad = np.concatenate(bad) if bad else np.zeros(0, np.int64)
        if bad.size == 0:
            break
        # fingerprint collisions: each failing point starts a group of its own, to be proven
        # again (the loop ends: a point alone in its group trivially matches its own set)
        group[bad] = n_groups + np.arange(bad.size)
        reps = np.concatenate([reps, bad])
        n_groups += bad.size
    G = sp.csr_matrix((np.ones(len(ri), dtype=np.int8), (group[ri], rj)), shape=(n_groups, m))
    G.sort_indices()
    w = np.asarray(population, dtype=float)
    # a representative always matches its own set, so no group is left empty by the splits
    weight = np.bincount(group[reach], weights=w[reach], minlength=n_groups)
    size = np.bincount(group[reach], minlength=n_groups)
    return CoverGroups(radius=float(radius), sites=G.tocsr(), weight=weight, size=size, of_point=group,
                       unreachable_weight=float(w[~reach].sum()), pairs=n_pairs)
