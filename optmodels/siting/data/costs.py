r"""Travel costs between demand points and sites: dense when small, pairs when not.

Every siting model reads ``d_ij``. At city scale (a few thousand points) the dense ``n x m``
array is the simplest thing and the existing models use it. A population grid has ``n = 10^6``
cells and ``m`` in the thousands: the dense array is 40 GB, while every model needs only the
pairs within a radius, a cut-off, or the ``k`` nearest sites of each point. So an instance holds
a :class:`TravelCosts`, which keeps what the costs are *computed from* (coordinates, a long
travel-time table, or an already dense matrix) and answers the questions the models ask:

==============================  =================================================================
``dense()``                     the ``n x m`` array (``inf`` = unreachable), refused with the
                                memory it needs when it does not fit (:mod:`optmodels.resources`)
``within(r)``                   :class:`Pairs`: every site with ``d_ij <= r``
``nearest(k)``                  :class:`Pairs`: the ``k`` nearest sites of each point
``nearest_open(open)``          each point's nearest site among ``open`` and its cost
``rows(points)``                the dense rows of a few points (never the whole array)
``column(j)``                   every point's cost to site ``j``
``count_within(open, r)``       how many sites of ``open`` lie within ``r`` of each point
==============================  =================================================================

Euclidean and great-circle costs come from a KD-tree (``scipy.spatial.cKDTree``; great circles
through unit vectors, where the chord grows with the arc), queried in chunks of demand points
(:data:`CHUNK`) so no step holds more than a chunk's pairs beyond the result. The tree only
*finds* candidate pairs, with a radius padded by a relative ``1e-9``: each cost is then computed
by the very formula of the dense path (:mod:`optmodels.siting.data.distances`) and filtered
exactly, so ``within(r)`` lists exactly the pairs the dense array has ``<= r``, to the last bit
-- ties and coverage at the radius are decided the same way on both paths.

A long table (``demand_id, site_id, cost``, as routing engines write them: OSRM, r5py,
pandana) is held as its pairs; an absent pair is unreachable, as in the dense form.

Exactness at the edge of a list: :attr:`Pairs.floor` says, for each point, a cost that every site
*not* listed for it reaches or exceeds (``inf`` when the row is complete). Algorithms that work
on truncated lists (the sparse p-median, the p-center relaxation) use it to stay exact: a point
whose nearest open site is not listed is served at ``floor`` or more, never less.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from optmodels.siting.data import distances

#: the dense path's limit: instances up to this many demand x site cells hold (or may build) the
#: dense array the city-scale models read (200 MB); larger ones keep pairs only
DENSE_MAX_CELLS = 25_000_000
#: demand points per KD-tree query (bounds the transient memory of pair generation)
CHUNK = 65_536
#: relative padding of KD-tree query radii; the exact filter that follows removes the surplus
_PAD = 1e-9


# --------------------------------------------------------------------------------------------
# Pairs: a sparse, row-sorted demand x site cost table
# --------------------------------------------------------------------------------------------


class CsrRows:
    """The row arithmetic of a table held as ``indptr`` (``n + 1``) over per-pair arrays: shared
    by :class:`Pairs` and the p-median's candidate lists."""

    n: int
    indptr: np.ndarray

    @property
    def nnz(self) -> int:
        return int(self.indptr[-1])

    @property
    def counts(self) -> np.ndarray:
        return np.diff(self.indptr)

    @property
    def point(self) -> np.ndarray:
        """The demand point of each listed pair (``nnz`` entries)."""
        return np.repeat(np.arange(self.n, dtype=np.int64), self.counts)


@dataclass(frozen=True, eq=False)
class Pairs(CsrRows):
    """Costs of some demand-site pairs in CSR form, each row sorted by cost (then site).

    ``indptr`` (``n + 1``), ``site`` (int32) and ``cost`` (float64) are the rows; ``floor[i]``
    is a cost every site not listed in row ``i`` reaches or exceeds (``inf``: the row holds
    every reachable site).
    """

    n: int
    m: int
    indptr: np.ndarray
    site: np.ndarray
    cost: np.ndarray
    floor: np.ndarray

    def coo(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(i, j, d_ij)`` of every listed pair."""
        return self.point, self.site.astype(np.int64), self.cost

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = self.indptr[i], self.indptr[i + 1]
        return self.site[a:b], self.cost[a:b]

    def within(self, limit: float) -> Pairs:
        """The listed pairs with cost ``<= limit`` (the floor drops to just above ``limit``)."""
        keep = self.cost <= limit
        return self._subset(keep, np.minimum(self.floor, np.nextafter(limit, np.inf)))

    def first(self, k: int) -> Pairs:
        """At most the ``k`` cheapest listed sites of each point."""
        rank = np.arange(self.nnz) - np.repeat(self.indptr[:-1], self.counts)
        keep = rank < k
        cut = self.counts > k
        floor = self.floor.copy()
        # the (k+1)-th listed cost bounds every site dropped here and every site never listed
        floor[cut] = self.cost[self.indptr[:-1][cut] + k]
        return self._subset(keep, floor)

    def rows(self, points: np.ndarray) -> Pairs:
        """The rows of ``points`` only, in that order."""
        points = np.asarray(points, dtype=np.int64)
        counts = self.counts[points]
        indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        take = _ranges(self.indptr[points], counts)
        return Pairs(len(points), self.m, indptr, self.site[take], self.cost[take], self.floor[points])

    def to_csr(self, values: np.ndarray | None = None):
        """A ``scipy.sparse.csr_matrix`` (n x m) of ``values`` (default: the costs)."""
        import scipy.sparse as sp

        data = self.cost if values is None else values
        return sp.csr_matrix((data, self.site, self.indptr), shape=(self.n, self.m))

    def nbytes(self) -> int:
        return int(self.indptr.nbytes + self.site.nbytes + self.cost.nbytes + self.floor.nbytes)

    def _subset(self, keep: np.ndarray, floor: np.ndarray) -> Pairs:
        counts = np.add.reduceat(keep.astype(np.int64), self.indptr[:-1]) if self.nnz else np.zeros(self.n, np.int64)
        counts[self.counts == 0] = 0  # reduceat repeats the next value for empty rows
        indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return Pairs(self.n, self.m, indptr, self.site[keep], self.cost[keep], floor)

    @classmethod
    def from_coo(cls, n: int, m: int, i: np.ndarray, j: np.ndarray, d: np.ndarray, floor: np.ndarray) -> Pairs:
        """Pairs from unsorted ``(i, j, d)`` triples (rows sorted here by cost, then site)."""
        i = np.asarray(i, dtype=np.int64)
        j = np.asarray(j, dtype=np.int64)
        d = np.asarray(d, dtype=float)
        order = np.lexsort((j, d, i))
        counts = np.bincount(i, minlength=n)
        indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return cls(n, m, indptr, j[order].astype(np.int32), d[order], np.asarray(floor, dtype=float))

    @classmethod
    def concat(cls, parts: Sequence[Pairs], m: int) -> Pairs:
        """Rows of consecutive chunks of demand points, stacked."""
        if not parts:
            return cls(0, m, np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0), np.zeros(0))
        offsets = np.cumsum([0] + [p.nnz for p in parts])
        indptr = np.concatenate([[0]] + [p.indptr[1:] + off for p, off in zip(parts, offsets[:-1], strict=True)])
        return cls(
            sum(p.n for p in parts), m, indptr.astype(np.int64),
            np.concatenate([p.site for p in parts]), np.concatenate([p.cost for p in parts]),
            np.concatenate([p.floor for p in parts]),
        )


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(s, s + c)`` for each start and count, without a Python loop."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    ends = np.cumsum(counts)
    out = np.ones(total, dtype=np.int64)
    out[0] = starts[0] if len(starts) else 0
    nz = counts > 0
    s, e = np.asarray(starts, dtype=np.int64)[nz], ends[nz]
    # at each row's first position, jump from the previous row's last value to this row's start
    prev_last = np.concatenate([[0], s[:-1] + counts[nz][:-1] - 1])
    out[e[:-1]] = s[1:] - prev_last[1:]
    out[0] = s[0]
    return np.cumsum(out)


# --------------------------------------------------------------------------------------------
# The costs of an instance
# --------------------------------------------------------------------------------------------


class TravelCosts:
    """The demand-to-site costs of one instance (see the module docstring).

    Made by the instance from its distance spec: :meth:`coordinates` (euclidean/great-circle),
    :meth:`from_dense` (a matrix or a network's shortest paths), :meth:`from_pairs` (a long
    table). Read-only; results that cost time (the dense array, the trees) are kept.
    """

    def __init__(self, kind: str, n: int, m: int) -> None:
        self.kind = kind
        self.n = n
        self.m = m
        self._dense: np.ndarray | None = None
        self._pairs: Pairs | None = None  # a long table's complete pairs
        self._a: np.ndarray | None = None  # demand coordinates (n, 2): x, y or lon, lat
        self._b: np.ndarray | None = None  # site coordinates (m, 2)
        self._tree = None
        self._grid: SiteGrid | None = None
        self._by_site = None  # a long table's pair positions by site (column())

    # -- constructors ---------------------------------------------------------------------------
    @classmethod
    def coordinates(cls, kind: str, demand: np.ndarray, sites: np.ndarray) -> TravelCosts:
        if kind not in ("euclidean", "great_circle"):
            raise ValueError(f"coordinates give euclidean or great_circle costs, not {kind!r}")
        out = cls(kind, len(demand), len(sites))
        out._a = np.ascontiguousarray(demand, dtype=float)
        out._b = np.ascontiguousarray(sites, dtype=float)
        out._a.setflags(write=False)
        out._b.setflags(write=False)
        return out

    @classmethod
    def from_dense(cls, matrix: np.ndarray, kind: str = "matrix") -> TravelCosts:
        matrix = np.asarray(matrix, dtype=float)
        out = cls(kind, *matrix.shape)
        matrix.setflags(write=False)
        out._dense = matrix
        return out

    @classmethod
    def from_pairs(cls, pairs: Pairs, kind: str = "matrix") -> TravelCosts:
        """A long table's pairs; every absent pair is unreachable (the rows are complete)."""
        out = cls(kind, pairs.n, pairs.m)
        out._pairs = Pairs(pairs.n, pairs.m, pairs.indptr, pairs.site, pairs.cost, np.full(pairs.n, np.inf))
        return out

    # -- sizes ----------------------------------------------------------------------------------
    @property
    def dense_bytes(self) -> int:
        """Bytes of the dense ``n x m`` float64 array."""
        return 8 * self.n * self.m

    @property
    def is_dense(self) -> bool:
        """The dense array is held already (a matrix or network instance, or computed once)."""
        return self._dense is not None

    @property
    def geometric(self) -> bool:
        return self._a is not None

    # -- dense ----------------------------------------------------------------------------------
    def dense(self, *, purpose: str = "the dense travel-cost matrix") -> np.ndarray:
        """The ``n x m`` costs (read-only; ``inf`` = unreachable), computed once.

        Refused with :class:`optmodels.resources.MemoryLimitError` (exit 2) when the array does
        not fit in the memory this process may still use.
        """
        if self._dense is not None:
            return self._dense
        from optmodels.resources import check_memory

        check_memory(
            self.dense_bytes,
            what=f"{purpose} ({self.n:,} demand points x {self.m:,} sites)",
            advice="give parameters.cutoff (or a coverage radius) so only nearby pairs are kept, "
            "or use a model that works on pairs (lscp, lscp_b, mclp, p_center, p_median)",
        )
        if self._pairs is not None:
            out = np.full((self.n, self.m), np.inf)
            i, j, d = self._pairs.coo()
            out[i, j] = d
        else:
            out = self._block(0, self.n)
        out.setflags(write=False)
        self._dense = out
        return out

    def _block(self, start: int, stop: int) -> np.ndarray:
        """Dense costs of demand points ``start:stop`` to every site, by the dense formulas."""
        return self._formula(self._a[start:stop], self._b)

    def _formula(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The dense path's costs between coordinate rows ``a`` and ``b`` (``len(a) x len(b)``)."""
        if self.kind == "euclidean":
            return distances.euclidean(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
        return distances.great_circle(a[:, 0], a[:, 1], b[:, 0], b[:, 1])

    def rows(self, points: np.ndarray) -> np.ndarray:
        """Dense costs of the demand points ``points`` to every site (``len(points) x m``,
        ``inf`` = unreachable), the same bits as :meth:`dense`'s rows, without building it."""
        points = np.asarray(points, dtype=np.int64)
        if self._dense is not None:
            return np.array(self._dense[points])
        if self._a is not None:
            return self._formula(self._a[points], self._b)
        out = np.full((len(points), self.m), np.inf)
        i, j, d = self._pairs.rows(points).coo()
        out[i, j] = d
        return out

    def column(self, j: int) -> np.ndarray:
        """Every demand point's cost to site ``j`` (``inf`` = unreachable), the same bits as
        :meth:`dense`'s column (a long table's pairs are indexed by site on first use)."""
        if self._dense is not None:
            return np.array(self._dense[:, j])
        if self._a is not None:
            return self._formula(self._a, self._b[j : j + 1])[:, 0]
        if self._by_site is None:
            # positions + 1 by site (never 0, so a CSC keeps every one)
            import scipy.sparse as sp

            p = self._pairs
            pos = sp.csr_matrix((np.arange(1, p.nnz + 1, dtype=np.int64), p.site, p.indptr), shape=(p.n, p.m))
            self._by_site = pos.tocsc()
        csc = self._by_site
        a, b = csc.indptr[j], csc.indptr[j + 1]
        out = np.full(self.n, np.inf)
        out[csc.indices[a:b]] = self._pairs.cost[csc.data[a:b] - 1]
        return out

    def _exact(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """``d_ij`` of given pairs by the dense path's formulas (same bits)."""
        a, b = self._a, self._b
        if self.kind == "euclidean":
            return np.hypot(a[i, 0] - b[j, 0], a[i, 1] - b[j, 1])
        lon1, lat1, lon2, lat2 = (np.radians(v) for v in (a[i, 0], a[i, 1], b[j, 0], b[j, 1]))
        h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
        return 2.0 * distances.EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))

    # -- trees ----------------------------------------------------------------------------------
    def _points(self, xy: np.ndarray) -> np.ndarray:
        """Tree coordinates: the plane as is; lon/lat as unit vectors (chord grows with the arc)."""
        if self.kind == "euclidean":
            return xy
        lon, lat = np.radians(xy[:, 0]), np.radians(xy[:, 1])
        return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])

    def _query_radius(self, r: float) -> float:
        """The tree radius that finds every pair with cost ``<= r`` (padded; filtered after)."""
        r = float(r) * (1 + _PAD) + 1e-12
        if self.kind == "euclidean":
            return r
        theta = min(r / distances.EARTH_RADIUS_KM, np.pi)
        return 2.0 * np.sin(theta / 2.0) * (1 + _PAD) + 1e-12

    def site_tree(self, sites: np.ndarray | None = None):
        """A KD-tree over all sites (kept) or over ``sites`` (an index array)."""
        from scipy.spatial import cKDTree

        if sites is None:
            if self._tree is None:
                self._tree = cKDTree(self._points(self._b))
            return self._tree
        return cKDTree(self._points(self._b[np.asarray(sites, dtype=np.int64)]))

    def site_grid(self, limit: float) -> SiteGrid:
        """The sites bucketed for joins within ``limit`` (kept for the last ``limit`` asked)."""
        h = self._query_radius(limit)
        if getattr(self, "_grid", None) is None or self._grid.h != h:
            self._grid = SiteGrid(self._points(self._b), h)
        return self._grid

    def pairs_of(self, start: int, stop: int, limit: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(i, j, d_ij)`` of the pairs with ``d_ij <= limit`` for demand points ``start:stop``
        (unsorted). Geometric costs: the grid join, costs by the dense formulas, filtered
        exactly; a long table or dense matrix: its entries."""
        if self._pairs is not None or self._dense is not None:
            p = self.within(limit).rows(np.arange(start, stop))
            i, j, d = p.coo()
            return i + start, j, d
        pts = self._points(self._a[start:stop])
        rows, j = self.site_grid(limit).candidates(pts)
        # a cheap squared-distance screen in the tree's coordinates first (two thirds of the
        # grid's candidates lie outside the circle), the exact cost only for what is left
        sites = self._site_points()
        sq = np.zeros(len(rows))
        for axis in range(pts.shape[1]):
            delta = pts[:, axis][rows] - sites[axis][j]
            sq += delta * delta
        near = sq <= self._query_radius(limit) ** 2
        i, j = rows[near] + start, j[near]
        d = self._exact(i, j)
        ok = d <= limit
        return i[ok], j[ok], d[ok]

    def _site_points(self) -> list[np.ndarray]:
        """The sites' tree coordinates as contiguous columns (fast gathers)."""
        if getattr(self, "_site_columns", None) is None:
            pts = self._points(self._b)
            self._site_columns = [np.ascontiguousarray(pts[:, k]) for k in range(pts.shape[1])]
        return self._site_columns

    # -- pairs ----------------------------------------------------------------------------------
    def within(self, limit: float, *, chunks: Callable | None = None) -> Pairs:
        """Every pair with cost ``<= limit`` (:class:`Pairs`, floor just above ``limit``)."""
        if self._pairs is not None:
            return self._pairs.within(limit)
        if self._dense is not None:
            mask = self._dense <= limit
            i, j = np.nonzero(mask)
            return Pairs.from_coo(self.n, self.m, i, j, self._dense[i, j],
                                  np.full(self.n, np.nextafter(limit, np.inf)))
        starts = range(0, self.n, CHUNK)
        run = chunks or _serial
        parts = run(_within_chunk, [(self, s, min(s + CHUNK, self.n), float(limit)) for s in starts])
        return Pairs.concat(parts, self.m)

    def estimate_pairs(self, limit: float, sample: int = 4096) -> int:
        """About how many pairs lie within ``limit`` (counted exactly on an even sample of the
        demand points, scaled up): what :meth:`within` would hold, before building it."""
        if self._pairs is not None:
            return self._pairs.within(limit).nnz
        if self._dense is not None:
            return int((self._dense <= limit).sum())
        step = max(1, self.n // sample)
        rows = np.arange(0, self.n, step)
        pts = self._points(self._a[rows])
        cand, j = self.site_grid(limit).candidates(pts)
        d = self._exact(rows[cand], j)
        return int(np.count_nonzero(d <= limit) * self.n / len(rows))

    def nearest(self, k: int) -> Pairs:
        """The ``k`` nearest sites of each point (fewer where fewer are reachable).

        Ties at the ``k``-th cost may be cut anywhere; ``floor`` is that cost, which every
        unlisted site reaches or exceeds.
        """
        k = int(min(max(k, 1), self.m))
        if self._pairs is not None:
            return self._pairs.first(k)
        if self._dense is not None:
            return _dense_nearest(self._dense, k)
        parts = [_nearest_chunk(self, s, min(s + CHUNK, self.n), k) for s in range(0, self.n, CHUNK)]
        return Pairs.concat(parts, self.m)

    def nearest_open(self, open_sites: np.ndarray, *, scheduler: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """For each point, its nearest site among ``open_sites`` (indices) and the cost
        (``inf`` and ``-1`` where none is reachable). Ties go to the lower site index. With a
        Dask ``scheduler``, coordinates are evaluated on the cluster in partitions."""
        open_sites = np.asarray(open_sites, dtype=np.int64)
        if scheduler is not None and self._a is not None and self._dense is None and open_sites.size:
            from solvers.executor import map_shared

            spans = [(s, min(s + CHUNK, self.n)) for s in range(0, self.n, CHUNK)]
            parts = map_shared(_nearest_open_part, (self, open_sites), spans, scheduler=scheduler)
            return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
        if open_sites.size == 0:
            return np.full(self.n, np.inf), np.full(self.n, -1, dtype=np.int64)
        if self._dense is not None or (self._pairs is None and self._a is None):
            sub = self.dense()[:, open_sites]
            k = np.argmin(sub, axis=1)
            d = sub[np.arange(self.n), k]
            return d, np.where(np.isfinite(d), open_sites[k], -1)
        if self._pairs is not None:
            return _pairs_nearest_open(self._pairs, open_sites, self.m)
        return _tree_nearest_open(self, open_sites)

    def count_within(self, open_sites: np.ndarray, r: float, *, scheduler: Any = None) -> np.ndarray:
        """How many of ``open_sites`` lie within ``r`` of each point (exact, as ``d <= r``)."""
        open_sites = np.asarray(open_sites, dtype=np.int64)
        if open_sites.size == 0:
            return np.zeros(self.n, dtype=np.int64)
        if scheduler is not None and self._a is not None and self._dense is None:
            from solvers.executor import map_shared

            spans = [(s, min(s + CHUNK, self.n)) for s in range(0, self.n, CHUNK)]
            return np.concatenate(map_shared(_count_part, (self, open_sites, float(r)), spans, scheduler=scheduler))
        if self._dense is not None:
            return (self._dense[:, open_sites] <= r).sum(axis=1)
        if self._pairs is not None:
            is_open = np.zeros(self.m, bool)
            is_open[open_sites] = True
            p = self._pairs.within(r)
            hit = is_open[p.site]
            return np.bincount(p.point[hit], minlength=self.n)
        return np.concatenate([_count_part((self, open_sites, float(r)), s, min(s + CHUNK, self.n))
                               for s in range(0, self.n, CHUNK)])


def _count_part(shared: tuple, start: int, stop: int) -> np.ndarray:
    """How many open sites lie within ``r`` of each demand point ``start:stop``."""
    costs, open_sites, r = shared
    grid = SiteGrid(costs._points(costs._b[open_sites]), costs._query_radius(r))
    rows, k = grid.candidates(costs._points(costs._a[start:stop]))
    ok = costs._exact(rows + start, open_sites[k]) <= r
    return np.bincount(rows[ok], minlength=stop - start)


def _nearest_open_part(shared: tuple, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
    costs, open_sites = shared
    return _tree_nearest_open(costs, open_sites, start, stop)


def _serial(fn, tasks):
    return [fn(*t) for t in tasks]


def _within_chunk(costs: TravelCosts, start: int, stop: int, limit: float) -> Pairs:
    """Pairs of demand points ``start:stop`` with cost ``<= limit`` (module level: picklable)."""
    i, j, d = costs.pairs_of(start, stop, limit)
    floor = np.full(stop - start, np.nextafter(limit, np.inf))
    return Pairs.from_coo(stop - start, costs.m, i - start, j, d, floor)


class SiteGrid:
    """Sites bucketed in square (cubic) cells of side ``h``: the sites within ``h`` of a point
    lie in its cell or the neighbouring ones. A vectorised join (sort, searchsorted, expand)
    that yields candidate pairs as arrays: no per-point Python lists, as a KD-tree's ball
    queries return (32 M pairs: 6 s here against 50-90 s through cKDTree)."""

    def __init__(self, points: np.ndarray, h: float) -> None:
        self.h = float(h)
        cells = np.floor(points / self.h).astype(np.int64)
        self.low = cells.min(axis=0) - 1
        self.span = cells.max(axis=0) - self.low + 2
        keys = self._key(cells)
        self.order = np.argsort(keys, kind="stable")
        self.keys, self.starts, self.counts = np.unique(keys[self.order], return_index=True, return_counts=True)
        dims = points.shape[1]
        self.offsets = np.array(np.meshgrid(*[[-1, 0, 1]] * dims, indexing="ij")).reshape(dims, -1).T

    def _key(self, cells: np.ndarray) -> np.ndarray:
        key = np.zeros(len(cells), dtype=np.int64)
        for axis in range(cells.shape[1]):
            key = key * self.span[axis] + (cells[:, axis] - self.low[axis])
        return key

    def candidates(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(row in points, site)`` for every site in a cell next to each point's."""
        cells = np.floor(points / self.h).astype(np.int64)
        rows, sites = [], []
        for off in self.offsets:
            c = cells + off
            inside = np.all((c > self.low) & (c < self.low + self.span - 1), axis=1)
            key = self._key(np.where(inside[:, None], c, self.low + 1))
            pos = np.searchsorted(self.keys, key)
            pos = np.minimum(pos, len(self.keys) - 1)
            hit = inside & (self.keys[pos] == key)
            r = np.flatnonzero(hit)
            cnt = self.counts[pos[r]]
            rows.append(np.repeat(r, cnt))
            sites.append(self.order[_ranges(self.starts[pos[r]], cnt)])
        return np.concatenate(rows), np.concatenate(sites)


def _nearest_chunk(costs: TravelCosts, start: int, stop: int, k: int) -> Pairs:
    tree = costs.site_tree()
    # one more than asked: the (k+1)-th tree distance bounds the unlisted sites from below
    kk = min(k + 1, costs.m)
    _, idx = tree.query(costs._points(costs._a[start:stop]), k=kk)
    idx = np.asarray(idx).reshape(stop - start, kk)
    i = np.repeat(np.arange(start, stop), kk)
    d = costs._exact(i, idx.ravel()).reshape(stop - start, kk)
    order = np.lexsort((idx, d), axis=1)
    d = np.take_along_axis(d, order, axis=1)
    idx = np.take_along_axis(idx, order, axis=1)
    if kk > k:
        # the tree orders by its own rounding; the exact (k+1)-th cost less a hair is a safe floor
        floor = np.nextafter(d[:, k], -np.inf) * (1 - 1e-12)
        d, idx = d[:, :k], idx[:, :k]
    else:
        floor = np.full(stop - start, np.inf)
    n = stop - start
    ii = np.repeat(np.arange(n), d.shape[1])
    return Pairs.from_coo(n, costs.m, ii, idx.ravel(), d.ravel(), floor)


def _dense_nearest(dense: np.ndarray, k: int) -> Pairs:
    n, m = dense.shape
    if k >= m:
        part = np.argsort(dense, axis=1, kind="stable")
        floor = np.full(n, np.inf)
    else:
        part = np.argpartition(dense, k, axis=1)[:, : k + 1]
        vals = np.take_along_axis(dense, part, axis=1)
        order = np.argsort(vals, axis=1, kind="stable")
        part = np.take_along_axis(part, order, axis=1)
        floor = np.take_along_axis(dense, part[:, k : k + 1], axis=1)[:, 0]
        part = part[:, :k]
    d = np.take_along_axis(dense, part, axis=1)
    fin = np.isfinite(d)
    ii = np.repeat(np.arange(n), part.shape[1]).reshape(part.shape)
    return Pairs.from_coo(n, m, ii[fin], part[fin], d[fin], floor)


def _pairs_nearest_open(pairs: Pairs, open_sites: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    is_open = np.zeros(m, bool)
    is_open[open_sites] = True
    hit = is_open[pairs.site]
    pos = np.flatnonzero(hit)
    pt = pairs.point[pos]
    d = np.full(pairs.n, np.inf)
    s = np.full(pairs.n, -1, dtype=np.int64)
    # rows are sorted by cost then site: the first open entry of a row is its nearest open site
    first = np.unique(pt, return_index=True)[1]
    d[pt[first]] = pairs.cost[pos[first]]
    s[pt[first]] = pairs.site[pos[first]]
    return d, s


def _tree_nearest_open(costs: TravelCosts, open_sites: np.ndarray, start: int = 0,
                       stop: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    stop = costs.n if stop is None else stop
    tree = costs.site_tree(open_sites)
    k = min(4, len(open_sites))
    d_out = np.empty(stop - start)
    s_out = np.empty(stop - start, dtype=np.int64)
    for s in range(start, stop, CHUNK):
        e = min(s + CHUNK, stop)
        pts = costs._points(costs._a[s:e])
        tree_d, idx = tree.query(pts, k=k)
        tree_d, idx = np.asarray(tree_d).reshape(e - s, k), np.asarray(idx).reshape(e - s, k)
        j = open_sites[idx]
        d = costs._exact(np.repeat(np.arange(s, e), k), j.ravel()).reshape(e - s, k)
        # exact costs decide among the tree's nearest (its rounding may order near-ties
        # differently); ties go to the lower site index, as np.argmin over dense columns does
        dmin = d.min(axis=1)
        jj = np.where(d == dmin[:, None], j, np.iinfo(np.int64).max).min(axis=1)
        # where the k-th found site is as near as the best, more may tie: look at all of them
        if k < len(open_sites) and (crowded := np.flatnonzero(tree_d[:, -1] <= tree_d[:, 0] * (1 + 1e-9) + 1e-12)).size:
            r = tree_d[crowded, 0] * (1 + 1e-9) + 1e-12
            for c, lst in zip(crowded, tree.query_ball_point(pts[crowded], r), strict=True):
                cand = open_sites[np.asarray(lst, dtype=np.int64)]
                dc = costs._exact(np.full(len(cand), s + c), cand)
                best = dc.min()
                d_out_c, j_c = best, cand[dc == best].min()
                dmin[c], jj[c] = d_out_c, j_c
        d_out[s - start:e - start] = dmin
        s_out[s - start:e - start] = jj
    return d_out, s_out


def points_array(x: Any, y: Any) -> np.ndarray:
    return np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])
