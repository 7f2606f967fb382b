r"""Candidate lists: the p-median's data at population-grid scale, exact through a tail.

Why
---
The city-scale p-median reads the dense ``n x m`` matrix (320 MB at 20,000 x 2,000; 4 GB at
100,000 x 5,000, and every step of the local search and the subgradient made several passes over
it). A point is only ever served by its *nearest open* site, and with ``p`` sites open that is
one of its first few nearest (about ``m / p`` of them). So each point keeps a **list** of its
nearest candidate sites (:meth:`TravelCosts.nearest <optmodels.siting.data.costs.TravelCosts.nearest>`),
and everything else it could be served by is summed up in one number, its **tail**.

Symbols
-------
=====================  ==========================================================================
``U_i``                the cost to ``i``'s nearest *fixed-open* site (existing, not closable;
                       ``inf`` if none is reachable): every plan serves ``i`` at ``U_i`` or less
``F_i``                the list's floor: every unlisted site costs ``i`` at least ``F_i``
                       (:attr:`Pairs.floor <optmodels.siting.data.costs.Pairs.floor>`)
list of ``i``          the free (not fixed-open) sites among ``i``'s ``k_i`` nearest with cost
                       ``< U_i`` (and within the cut-off): the only sites that can serve ``i``
                       better than its fixed-open one
``T_i`` (tail)         what serving ``i`` by anything *not* in its list costs at least
``exact_i``            ``T_i`` is that cost, not only a bound on it
=====================  ==========================================================================

Exactness
---------
If ``F_i >= U_i`` no unlisted free site beats the fixed-open one, and the tail is **exact**:
``T_i = U_i``, and ``cost_i(plan) = min(min over the plan's listed sites of d_ij, T_i)`` for
every plan. The fixed-open sites themselves are never listed: they are open in every plan and
only the nearest of them matters, which is what ``U_i`` is. A cut-off (``d_ij <= cutoff`` pairs
only) makes a tail exact too once the floor passes it (``T_i = U_i``, or ``inf`` when no
fixed-open site is within the cut-off: the plan must open a listed site). Otherwise the tail is a
**lower bound** (``T_i = F_i``): the same formula then *underestimates* ``cost_i`` of a plan that
opens none of ``i``'s listed sites, and is exact for every other plan.

That is all the p-median machinery needs: the Lagrangian bound (:mod:`.lagrangian`) caps
``lambda_i`` at ``w_i T_i`` so unlisted pairs contribute nothing to it; the radius model
(:mod:`.radius`) charges a point that opens none of its list ``T_i`` and is then a relaxation,
exact as soon as no such point remains; the local search (:mod:`.interchange`) works on the
lists and each plan's true cost is computed by the KD-tree evaluator. Where a method finds a
point whose inexact tail it relies on, that point's list is **extended** (:meth:`Candidates.extend`,
``k`` doubled), so every answer is the p-median's answer, only reached with far fewer pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optmodels.siting.data.costs import CsrRows, Pairs, TravelCosts
from optmodels.siting.data.instance import SitingInstance


@dataclass(frozen=True, eq=False)
class Candidates(CsrRows):
    """Each demand point's candidate sites in CSR form, sorted by cost, and its tail.

    ``indptr`` (``n + 1``), ``site`` (int64, free sites only) and ``cost`` hold the lists;
    ``tail``, ``exact`` and ``depth`` (the ``k`` asked for, to double) are per point; ``fixed``
    marks the fixed-open sites, ``nearest_fixed`` is ``U``.
    """

    n: int
    m: int
    indptr: np.ndarray
    site: np.ndarray
    cost: np.ndarray
    tail: np.ndarray
    exact: np.ndarray
    depth: np.ndarray
    fixed: np.ndarray
    nearest_fixed: np.ndarray

    def rows_of(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(pair indices, position in points)`` of the rows of ``points``, row by row."""
        return _rows(self.indptr, np.asarray(points, dtype=np.int64))

    # -- building ---------------------------------------------------------------------------------
    @classmethod
    def of(cls, instance: SitingInstance, k: int) -> Candidates:
        """The lists of every point from its ``k`` nearest sites."""
        fixed = np.asarray(instance.fixed_open(), dtype=bool)
        nearest_fixed = _nearest_fixed(instance, fixed)
        pairs = _nearest_rows(instance, None, k)
        return _from_pairs(pairs, instance.parameters.cutoff, fixed, nearest_fixed, np.full(instance.n_demand, k))

    def extend(self, instance: SitingInstance, points: np.ndarray, factor: int = 2) -> Candidates:
        """A copy whose ``points`` have their lists rebuilt from ``factor`` times as many nearest
        sites (those already exact, or already listing every site, are left as they are)."""
        points = np.unique(np.asarray(points, dtype=np.int64))
        points = points[~self.exact[points] & (self.depth[points] < self.m)]
        if len(points) == 0:
            return self
        depth = self.depth.copy()
        depth[points] = np.minimum(self.m, factor * depth[points])
        out = self
        for k in np.unique(depth[points]):  # one query per distinct depth
            group = points[depth[points] == k]
            fresh = _from_pairs(_nearest_rows(instance, group, int(k)), instance.parameters.cutoff,
                                self.fixed, self.nearest_fixed[group], depth[group])
            out = out._replace_rows(group, fresh)
        return out

    def _replace_rows(self, points: np.ndarray, fresh: Candidates) -> Candidates:
        """This table with the rows of ``points`` taken from ``fresh`` (whose rows are theirs, in order)."""
        counts = self.counts.copy()
        counts[points] = fresh.counts
        indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        source = np.zeros(self.n, dtype=bool)
        source[points] = True
        site = np.empty(int(indptr[-1]), dtype=np.int64)
        cost = np.empty(int(indptr[-1]))
        keep = np.flatnonzero(~source)
        old_rows, _ = self.rows_of(keep)
        new_at, _ = _rows(indptr, keep)
        site[new_at], cost[new_at] = self.site[old_rows], self.cost[old_rows]
        at, _ = _rows(indptr, points)
        site[at], cost[at] = fresh.site, fresh.cost
        tail, exact, depth = self.tail.copy(), self.exact.copy(), self.depth.copy()
        tail[points], exact[points], depth[points] = fresh.tail, fresh.exact, fresh.depth
        return Candidates(self.n, self.m, indptr, site, cost, tail, exact, depth, self.fixed, self.nearest_fixed)


def _rows(indptr: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pair indices of the rows ``points`` of a CSR table, and each pair's position in ``points``."""
    counts = (indptr[1:] - indptr[:-1])[points]
    owner = np.repeat(np.arange(len(points), dtype=np.int64), counts)
    starts = np.repeat(indptr[points] - np.cumsum(counts) + counts, counts)
    return starts + np.arange(len(owner), dtype=np.int64), owner


def _nearest_fixed(instance: SitingInstance, fixed: np.ndarray) -> np.ndarray:
    """``U_i``: the cost to the nearest fixed-open site within the cut-off (``inf`` if none)."""
    if not fixed.any():
        return np.full(instance.n_demand, np.inf)
    if instance.costs.is_dense:
        C = instance.cost_matrix()  # the cut-off applied already
        return C[:, fixed].min(axis=1)
    d, _ = instance.costs.nearest_open(np.flatnonzero(fixed))
    cutoff = instance.parameters.cutoff
    return d if cutoff is None else np.where(d <= cutoff, d, np.inf)


def _nearest_rows(instance: SitingInstance, points: np.ndarray | None, k: int) -> Pairs:
    """The ``k`` nearest sites of ``points`` (all points: ``None``), by the instance's own costs.

    Coordinates: a KD-tree over the sites queried with these points only (the instance's own
    coordinate columns, so the very costs of :attr:`SitingInstance.costs`). A held matrix or a
    long table: their rows.
    """
    costs = instance.costs
    if points is not None and costs.geometric:
        a, b = ("x", "y") if costs.kind == "euclidean" else ("lon", "lat")
        demand, sites = instance.demand, instance.sites
        xy = np.column_stack([demand.column(a)[points], demand.column(b)[points]])
        sxy = np.column_stack([sites.column(a), sites.column(b)])
        return TravelCosts.coordinates(costs.kind, xy, sxy).nearest(k)
    pairs = costs.nearest(k)
    return pairs if points is None else pairs.rows(points)


def _from_pairs(pairs: Pairs, cutoff: float | None, fixed: np.ndarray, nearest_fixed: np.ndarray,
                depth: np.ndarray) -> Candidates:
    """Lists and tails from the ``k`` nearest pairs (see the module docstring)."""
    point = pairs.point
    site = pairs.site.astype(np.int64)
    cost = pairs.cost
    keep = ~fixed[site] & (cost < nearest_fixed[point]) & np.isfinite(cost)
    # the pairs beyond a cut-off do not exist; a floor past it means nothing unlisted exists
    limit = nearest_fixed.copy()
    if cutoff is not None:
        keep &= cost <= cutoff
        limit = np.minimum(limit, np.nextafter(cutoff, np.inf))
    exact = pairs.floor >= limit
    # the floor is the (k+1)-th cost less a hair; at a tie with the k-th it falls just below a
    # listed cost. Every unlisted site costs at least the k-th cost, so the tail is raised to the
    # last listed cost there: a listed site is then never dearer than the tail.
    last = np.full(pairs.n, -np.inf)
    np.maximum.at(last, point[keep], cost[keep])
    tail = np.where(exact, nearest_fixed, np.maximum(pairs.floor, last))
    counts = np.bincount(point[keep], minlength=pairs.n)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return Candidates(pairs.n, pairs.m, indptr, site[keep], cost[keep], tail, exact,
                      np.asarray(depth, dtype=np.int64), fixed, nearest_fixed)
