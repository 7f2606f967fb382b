"""Travel costs between demand points and candidate sites.

Four sources, one output: a dense ``(n_demand, n_sites)`` float array with ``np.inf`` for a pair
that cannot be travelled (no path, or missing from a sparse table).

* :func:`euclidean` -- planar coordinates, in their own unit;
* :func:`great_circle` -- lon/lat in degrees, haversine on a sphere of radius 6371.0088 km
  (the IUGG mean Earth radius), result in km unless another radius is given;
* :func:`network` -- shortest paths over an edge list with :func:`scipy.sparse.csgraph.dijkstra`.
  When an edge appears twice **the last occurrence wins** (that is how OR-Library's published
  p-median optima were computed; summing duplicates, as a sparse matrix would, or taking the
  minimum gives other optima);
* :func:`matrix_from_long` / :func:`matrix_from_dense` -- a given table.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

EARTH_RADIUS_KM = 6371.0088


def euclidean(ax: np.ndarray, ay: np.ndarray, bx: np.ndarray, by: np.ndarray) -> np.ndarray:
    """Planar distances ``d[i, j] = ||a_i - b_j||`` by broadcasting."""
    ax, ay, bx, by = (np.asarray(v, dtype=float) for v in (ax, ay, bx, by))
    return np.hypot(ax[:, None] - bx[None, :], ay[:, None] - by[None, :])


def great_circle(
    alon: np.ndarray,
    alat: np.ndarray,
    blon: np.ndarray,
    blat: np.ndarray,
    radius: float = EARTH_RADIUS_KM,
) -> np.ndarray:
    """Haversine great-circle distances between lon/lat points (degrees), in units of ``radius``."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(v, dtype=float)) for v in (alon, alat, blon, blat))
    dlat = lat2[None, :] - lat1[:, None]
    dlon = lon2[None, :] - lon1[:, None]
    h = np.sin(dlat / 2) ** 2 + np.cos(lat1)[:, None] * np.cos(lat2)[None, :] * np.sin(dlon / 2) ** 2
    return 2.0 * radius * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def network(
    edge_from: Sequence,
    edge_to: Sequence,
    edge_cost: Sequence[float],
    origins: Sequence,
    destinations: Sequence,
    *,
    directed: bool = False,
) -> np.ndarray:
    """Shortest-path costs from each origin node to each destination node over an edge list.

    Nodes are any hashable labels (compared as strings). Duplicate edges: the last occurrence
    wins -- for an undirected graph ``(a, b)`` and ``(b, a)`` are the same edge. Nodes that are
    not on any edge are still valid (isolated: every other node is unreachable, cost ``inf``).

    Dijkstra runs from the smaller of the two node lists when the graph is undirected (the
    matrix is symmetric), so 2000 demand points x 200 sites costs 200 single-source runs.
    """
    frm = pd.Series(np.asarray(edge_from)).astype(str).to_numpy()
    to = pd.Series(np.asarray(edge_to)).astype(str).to_numpy()
    cost = np.asarray(edge_cost, dtype=float)
    if not (len(frm) == len(to) == len(cost)):
        raise ValueError("edge_from, edge_to and edge_cost must have the same length")
    if np.any(~np.isfinite(cost)) or np.any(cost < 0):
        raise ValueError("edge costs must be finite and >= 0")
    origins = np.asarray(origins).astype(str)
    destinations = np.asarray(destinations).astype(str)
    labels, codes = np.unique(np.concatenate([frm, to, origins, destinations]), return_inverse=True)
    ne = len(frm)
    u, v = codes[:ne], codes[ne : 2 * ne]
    o_idx = codes[2 * ne : 2 * ne + len(origins)]
    d_idx = codes[2 * ne + len(origins) :]
    if directed:
        key_a, key_b = u, v
    else:
        key_a, key_b = np.minimum(u, v), np.maximum(u, v)
    # keep the LAST occurrence of each edge: unique over the reversed list, then map back
    keys = key_a.astype(np.int64) * len(labels) + key_b
    _, first_in_reversed = np.unique(keys[::-1], return_index=True)
    keep = ne - 1 - first_in_reversed
    n = len(labels)
    graph = sp.csr_matrix((cost[keep], (key_a[keep], key_b[keep])), shape=(n, n))
    if not directed and len(d_idx) < len(o_idx):
        uniq, inv = np.unique(d_idx, return_inverse=True)
        dist = dijkstra(graph, directed=False, indices=uniq)  # (n_unique_dest, n)
        return np.ascontiguousarray(dist[inv][:, o_idx].T)
    uniq, inv = np.unique(o_idx, return_inverse=True)
    dist = dijkstra(graph, directed=directed, indices=uniq)
    return np.ascontiguousarray(dist[inv][:, d_idx])


def matrix_from_long(
    table: pd.DataFrame,
    demand_ids: Sequence[str],
    site_ids: Sequence[str],
    *,
    demand_col: str = "demand_id",
    site_col: str = "site_id",
    cost_col: str = "cost",
) -> np.ndarray:
    """A long table ``demand_id, site_id, cost`` -> dense matrix; absent pairs are ``inf``
    (the checks of :func:`long_pairs`)."""
    i, j, d = long_pairs(table, demand_ids, site_ids, demand_col=demand_col, site_col=site_col, cost_col=cost_col)
    out = np.full((len(demand_ids), len(site_ids)), np.inf)
    out[i, j] = d
    return out


def long_pairs(
    table: pd.DataFrame,
    demand_ids: Sequence[str],
    site_ids: Sequence[str],
    *,
    demand_col: str = "demand_id",
    site_col: str = "site_id",
    cost_col: str = "cost",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A long table ``demand_id, site_id, cost`` (as OSRM, r5py or pandana write them) ->
    ``(i, j, d_ij)`` positions and costs, vectorised (tens of millions of rows).

    Raises ``ValueError`` naming the first offending row (0-based data row) for an unknown id, a
    repeated pair, or a cost that is not a number >= 0 (``inf`` allowed: unreachable).
    """
    for col in (demand_col, site_col, cost_col):
        if col not in table.columns:
            raise ValueError(f"column '{col}' missing (columns: {', '.join(map(str, table.columns))})")
    d_pos = pd.Index(pd.Series(demand_ids, dtype=str))
    s_pos = pd.Index(pd.Series(site_ids, dtype=str))
    for label, index in (("demand point", d_pos), ("site", s_pos)):
        if index.duplicated().any():  # a repeated id cannot be looked up
            raise ValueError(f"{label} id {index[index.duplicated()][0]!r} appears twice")
    rows = d_pos.get_indexer(table[demand_col].astype(str))
    cols = s_pos.get_indexer(table[site_col].astype(str))
    if (bad := np.flatnonzero(rows < 0)).size:
        r = int(bad[0])
        raise ValueError(f"row {r}: {demand_col} {table[demand_col].iloc[r]!r} is not a demand point id")
    if (bad := np.flatnonzero(cols < 0)).size:
        r = int(bad[0])
        raise ValueError(f"row {r}: {site_col} {table[site_col].iloc[r]!r} is not a site id")
    cost = pd.to_numeric(table[cost_col], errors="coerce").to_numpy(dtype=float)
    if (bad := np.flatnonzero(~(cost >= 0))).size:
        r = int(bad[0])
        raise ValueError(f"row {r}: {cost_col} expected a number >= 0, found {table[cost_col].iloc[r]!r}")
    flat = rows.astype(np.int64) * len(s_pos) + cols
    if (dup := pd.Index(flat).duplicated()).any():
        r = int(np.flatnonzero(dup)[0])
        raise ValueError(
            f"row {r}: pair ({table[demand_col].iloc[r]}, {table[site_col].iloc[r]}) appears twice"
        )
    reach = np.isfinite(cost)  # an inf cost says "no route", like an absent pair
    return rows[reach].astype(np.int64), cols[reach].astype(np.int64), cost[reach]


def matrix_from_dense(
    table: pd.DataFrame,
    demand_ids: Sequence[str],
    site_ids: Sequence[str],
    *,
    demand_col: str = "demand_id",
) -> np.ndarray:
    """A dense table (one row per demand point, first column its id, one column per site id).

    Empty cells mean "no route" (``inf``). Rows and columns are reordered to the given ids.
    """
    if demand_col not in table.columns:
        demand_col = str(table.columns[0])
    ids = table[demand_col].astype(str)
    frame = table.drop(columns=[demand_col])
    frame.columns = [str(c) for c in frame.columns]
    missing_sites = [s for s in map(str, site_ids) if s not in frame.columns]
    if missing_sites:
        raise ValueError(f"no column for site(s) {missing_sites[:5]}")
    # duplicates first: an index with repeated labels cannot be looked up at all
    if pd.Index(ids).duplicated().any():
        raise ValueError(f"demand id {ids[pd.Index(ids).duplicated()].iloc[0]!r} appears twice")
    pos = pd.Index(ids).get_indexer(pd.Series(demand_ids, dtype=str))
    if (bad := np.flatnonzero(pos < 0)).size:
        raise ValueError(f"no row for demand point {list(demand_ids)[int(bad[0])]!r}")
    values = frame[[str(s) for s in site_ids]].apply(pd.to_numeric, errors="coerce").to_numpy(float)
    values = values[pos]
    raw = frame[[str(s) for s in site_ids]].to_numpy()[pos]
    blank = pd.isna(raw)
    values[blank] = np.inf
    if (bad := np.argwhere(~(values >= 0))).size:
        i, j = bad[0]
        raise ValueError(f"demand {list(demand_ids)[i]!r}, site {list(site_ids)[j]!r}: expected a number >= 0, found {raw[i, j]!r}")
    return values
