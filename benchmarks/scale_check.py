"""The independent re-check of a scale result: the objective recomputed from the open sites alone.

Every large result's objective is recomputed here from the instance file and the list of open
site ids, by a path that shares nothing with the suite but the file format: the tables are read
with ``json`` / PyYAML / pandas (never the suite's loader or validation), and each demand point's
open sites are found by a ``scipy.spatial.cKDTree`` over the *open* sites only (never the suite's
pairs, cover groups or evaluator). The spopt peer reads its instance through :func:`read_tables`
too, so both runners see the same numbers.

Distances are recomputed from the coordinates with ``numpy.hypot`` -- the formula that defines
the instance's Euclidean distance -- for the sites the tree returns: the tree only *finds*
candidates, with its radius padded by a relative ``1e-9``, and coverage at the radius is then
decided on the exact value, as the definition says. Points whose distance lies within that
padding of the radius are counted (``borderline``): a disagreement there would be a last-bit
question, and the count says whether any such point exists.

Objectives, each the definition of the model that produced the plan (``definition``):

===================  =========================================================================
``coverage``         population with an open site within the radius (MCLP)
``backup_coverage``  population with two open sites within the radius (the suite's LSCP-B)
``backup_points``    spopt's LSCP-B: demand points with two open sites within the radius, plus
                     the points with fewer than two candidate sites within it -- spopt writes
                     ``sum a_ij y_j >= 1 + U_i`` only where two sites are in reach and leaves
                     ``U_i`` free (so 1 at the optimum) elsewhere; the remark says how many
``cost``             site cost: fixed cost of the new sites opened, less closing savings (the
                     suite's LSCP)
``n_facilities``     open sites (spopt's LSCP)
``distance``         population x distance to the nearest open site, summed (p-median)
``max_distance``     the largest distance from a point to its nearest open site (p-center)
===================  =========================================================================

Feasibility is checked beside the value: sites that must stay open are open, ``p`` sites where
the model fixes ``p``, every point covered where the model requires it (LSCP, LSCP-B).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

#: relative padding of the tree's radius; the exact filter that follows removes the surplus
PAD = 1e-9
#: relative agreement required between a runner's objective and the recomputed one
TOLERANCE = 1e-7

#: the objective each runner optimises, per model (``None``: the runner does not solve it)
DEFINITIONS = {
    "suite": {"mclp": "coverage", "lscp": "cost", "lscp_b": "backup_coverage", "p_median": "distance",
              "p_center": "max_distance"},
    "spopt+cbc": {"mclp": "coverage", "lscp": "n_facilities", "lscp_b": "backup_points",
                  "p_median": "distance", "p_center": "max_distance"},
}
#: models whose plan must cover every demand point
MUST_COVER = frozenset({"lscp", "lscp_b"})
#: models whose plan opens exactly ``p`` sites (when the file gives ``p``)
FIXED_P = frozenset({"mclp", "lscp_b", "p_median", "p_center"})


@dataclass(frozen=True)
class Tables:
    """What a siting instance file holds, as plain arrays (file order)."""

    model: str
    parameters: dict[str, Any]
    demand_xy: np.ndarray
    population: np.ndarray
    site_ids: np.ndarray
    site_xy: np.ndarray
    fixed_cost: np.ndarray
    existing: np.ndarray
    closable: np.ndarray
    closing_saving: np.ndarray

    @property
    def radius(self) -> float | None:
        r = self.parameters.get("radius")
        return None if r is None else float(r)

    @property
    def p(self) -> int | None:
        p = self.parameters.get("p")
        return None if p is None else int(p)

    @property
    def fixed_open(self) -> np.ndarray:
        """Sites that must be open: existing and not closable."""
        return self.existing & ~self.closable


def _document(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)
    if path.suffix in (".yaml", ".yml"):
        import yaml

        return yaml.safe_load(text)
    if path.suffix == ".toml":
        import tomllib

        return tomllib.loads(text)
    raise ValueError(f"{path}: expected a .json, .yaml or .toml instance file")


def _table(value: Any, base: Path):
    """A ``demand`` / ``sites`` entry: inline records, or a CSV / Parquet file beside the document."""
    import pandas as pd

    if isinstance(value, list):
        return pd.DataFrame.from_records(value)
    table = base / str(value)
    if table.suffix == ".parquet":
        return pd.read_parquet(table)
    if table.suffix == ".csv":
        return pd.read_csv(table)
    raise ValueError(f"{table}: expected an inline list, a .parquet or a .csv table")


def _column(frame, name: str, default: Any, dtype) -> np.ndarray:
    if name in frame.columns:
        return frame[name].fillna(default).to_numpy(dtype)
    return np.full(len(frame), default, dtype=dtype)


def read_tables(path: str | Path) -> Tables:
    """Read an instance file of the synthetic generators (Euclidean coordinates) without the suite."""
    path = Path(path)
    doc = _document(path)
    kind = (doc.get("distance") or {}).get("kind", "euclidean")
    if kind != "euclidean":
        raise ValueError(f"{path}: the scale check handles Euclidean coordinates, found distance kind {kind!r}")
    demand = _table(doc["demand"], path.parent)
    sites = _table(doc["sites"], path.parent)
    return Tables(
        model=str(doc["model"]),
        parameters=dict(doc.get("parameters") or {}),
        demand_xy=np.column_stack([demand["x"].to_numpy(float), demand["y"].to_numpy(float)]),
        population=_column(demand, "population", 1.0, float),
        site_ids=sites["id"].astype(str).to_numpy(),
        site_xy=np.column_stack([sites["x"].to_numpy(float), sites["y"].to_numpy(float)]),
        fixed_cost=_column(sites, "fixed_cost", 0.0, float),
        existing=_column(sites, "existing", False, bool),
        closable=_column(sites, "closable", False, bool),
        closing_saving=_column(sites, "closing_saving", 0.0, float),
    )


@dataclass
class Check:
    """The recomputed objective of a plan, and what it breaks."""

    definition: str
    objective: float
    n_open: int
    violations: list[str] = field(default_factory=list)
    borderline: int = 0
    remarks: list[str] = field(default_factory=list)

    def verdict(self, reported: float | None) -> tuple[str, float]:
        """``ok`` / ``FAIL`` against the ``reported`` objective, and the relative difference."""
        if reported is None or not math.isfinite(reported):
            return ("FAIL" if self.violations else "-"), math.nan
        diff = abs(reported - self.objective) / max(1.0, abs(self.objective))
        ok = diff <= TOLERANCE and not self.violations
        return ("ok" if ok else "FAIL"), diff


def _open_mask(tables: Tables, open_ids: list[str]) -> np.ndarray:
    index = {sid: j for j, sid in enumerate(tables.site_ids)}
    unknown = [s for s in open_ids if s not in index]
    if unknown:
        raise ValueError(f"open sites not in the instance: {', '.join(map(str, unknown[:5]))}")
    mask = np.zeros(len(tables.site_ids), bool)
    mask[[index[s] for s in open_ids]] = True
    return mask


def _nearest(tables: Tables, is_open: np.ndarray, k: int, radius: float | None):
    """Exact distances to the ``k`` nearest open sites of each point (``inf`` when fewer than
    ``k`` open sites lie within the padded ``radius``), sorted per point."""
    from scipy.spatial import cKDTree

    where = np.flatnonzero(is_open)
    k = min(k, len(where))
    n = len(tables.demand_xy)
    if k == 0:
        return np.full((n, 1), np.inf)
    tree = cKDTree(tables.site_xy[where])
    bound = np.inf if radius is None else radius * (1.0 + PAD)
    _, idx = tree.query(tables.demand_xy, k=k, distance_upper_bound=bound)
    idx = idx.reshape(n, k)
    found = idx < len(where)
    xy = tables.site_xy[where[np.where(found, idx, 0)]]
    d = np.hypot(tables.demand_xy[:, None, 0] - xy[..., 0], tables.demand_xy[:, None, 1] - xy[..., 1])
    return np.sort(np.where(found, d, np.inf), axis=1)


def recompute(tables: Tables, open_ids: list[str], definition: str, *, model: str | None = None,
              p: int | None = None) -> Check:
    """The value of the plan that opens ``open_ids`` under ``definition`` (see the module
    docstring), with its violations. ``model``: the model solved (default: the file's); ``p``:
    the number of sites the plan must open (default: the file's ``p`` for the models that fix it)."""
    is_open = _open_mask(tables, open_ids)
    model = model or tables.model
    radius = tables.radius
    violations, remarks = [], []
    missing = int((tables.fixed_open & ~is_open).sum())
    if missing:
        violations.append(f"{missing} site(s) that must stay open are closed")
    if p is None and model in FIXED_P:
        p = tables.p
    if p is not None and int(is_open.sum()) != p:
        violations.append(f"{int(is_open.sum())} sites open, p = {p}")
    borderline = 0
    if definition in ("coverage", "backup_coverage", "backup_points", "cost", "n_facilities"):
        if radius is None:
            raise ValueError(f"{definition}: the instance has no radius")
        d = _nearest(tables, is_open, 2, radius)
        borderline = int((np.abs(d - radius) <= PAD * radius).sum())
        count = (d <= radius).sum(axis=1)
        if model in MUST_COVER and (count == 0).any():
            violations.append(f"{int((count == 0).sum()):,} demand point(s) not covered")
    if definition == "coverage":
        value = float(tables.population[count >= 1].sum())
    elif definition == "backup_coverage":
        value = float(tables.population[count >= 2].sum())
    elif definition == "backup_points":
        in_reach = (_nearest(tables, np.ones(len(tables.site_ids), bool), 2, radius) <= radius).sum(axis=1)
        free = int((in_reach < 2).sum())
        value = float((count >= 2).sum() + free)
        if free:
            remarks.append(f"spopt counts {free:,} point(s) with fewer than two sites in reach as covered twice")
    elif definition == "n_facilities":
        value = float(is_open.sum())
    elif definition == "cost":
        new = is_open & ~tables.existing
        closed = tables.closable & ~is_open
        value = float(tables.fixed_cost[new].sum() - tables.closing_saving[closed].sum())
    elif definition in ("distance", "max_distance"):
        d = _nearest(tables, is_open, 1, None)[:, 0]
        value = float(np.dot(tables.population, d)) if definition == "distance" else float(d.max())
    else:
        raise ValueError(f"unknown objective definition {definition!r}")
    return Check(definition, value, int(is_open.sum()), violations, borderline, remarks)
