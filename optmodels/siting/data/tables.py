"""Siting data from files and tables: the loader, the table references beside a file, and the
in-memory constructors (:meth:`SitingInstance.from_arrays` / ``from_dataframes`` /
``from_geodataframes`` call these).

The schema and its validation live in :mod:`optmodels.siting.data.instance`; this module only turns
files, CSV/Parquet tables and DataFrames into the records that schema validates. Tables are read
by :func:`optmodels.io.read_table` (the suite's one reader) with every CSV cell as text, so ids
keep leading zeros (census codes such as ``060750101.00``) and numbers are converted by the schema,
which names the row that fails.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from optmodels.errors import InstanceError
from optmodels.siting.data import distances
from optmodels.siting.data.costs import DENSE_MAX_CELLS, Pairs
from optmodels.siting.data.instance import DemandPoint, Site, SitingInstance
from optmodels.siting.data.points import Records


def build_instance(*, demand, sites, distance, model, name, parameters, crs=None) -> SitingInstance:
    from optmodels.io import validate

    par = {k: v for k, v in parameters.items() if not k.startswith("access_")}
    acc = {k[len("access_") :]: v for k, v in parameters.items() if k.startswith("access_")}
    data = {
        "family": "siting",
        "name": name,
        "model": model,
        "parameters": par,
        "access": acc,
        "demand": demand,
        "sites": sites,
        "distance": distance,
    }
    if crs is not None:
        data["crs"] = crs
    return validate(SitingInstance, data, file=None)


def table_records(
    frame: pd.DataFrame,
    columns: Mapping[str, str] | None,
    schema: type[BaseModel],
    field: str,
    file: str | Path | None,
) -> Records:
    """A table as validated :class:`~optmodels.siting.data.points.Records` of ``schema``'s
    fields (extra columns ignored), checked a column at a time: a million rows in a second."""
    frame = frame.copy()
    if columns:
        unknown = [k for k in columns if k not in schema.model_fields]
        if unknown:
            raise InstanceError(
                file=file, field=f"{field}.columns", expected=f"fields of {schema.__name__}", found=unknown
            )
        missing = [c for c in columns.values() if c not in frame.columns]
        if missing:
            raise InstanceError(
                file=file, field=f"{field}.columns", expected=f"columns of the table ({list(frame.columns)[:12]})", found=missing
            )
        frame = frame.rename(columns={v: k for k, v in columns.items()})
    if "id" not in frame.columns:
        raise InstanceError(file=file, field=field, expected="an 'id' column (or columns: {id: ...})", found=list(frame.columns)[:12])
    keep = [c for c in frame.columns if c in schema.model_fields]
    frame = frame[keep]
    ids = frame["id"].astype(str).str.strip()
    # astype(str) would turn an empty cell into the id "nan": a missing id is named instead
    if (blank := np.flatnonzero(frame["id"].isna().to_numpy() | (ids == "").to_numpy())).size:
        raise InstanceError(file=file, field=f"{field} row {blank[0] + 1}", expected="an id", found="an empty cell")
    frame["id"] = ids
    return Records.from_frame(schema, frame, field=field, file=file)


def _read_table(ref: Any, base: Path, *, file: Path, field: str) -> tuple[pd.DataFrame, dict[str, str] | None]:
    """A table reference -> (DataFrame with every CSV column as text, column map).

    A reference is a path or ``{table: path, columns: {field: column}}``; any other key is an
    error (a misspelt ``columns`` silently ignored would read the wrong column).
    """
    from optmodels import io

    columns = None
    if isinstance(ref, Mapping):
        unknown = sorted(set(ref) - {"table", "columns"})
        if "table" not in ref or unknown:
            raise InstanceError(file=file, field=field, expected="{table: path, columns: {field: column}}",
                                found=f"keys {unknown}" if unknown else dict(ref))
        columns = ref.get("columns")
        if columns is not None and not isinstance(columns, Mapping):
            raise InstanceError(file=file, field=f"{field}.columns", expected="a mapping field -> column",
                                found=columns)
        for key, name in (columns or {}).items():
            # names are used as dictionary keys and column labels: a mapping or list there is bad input
            if not isinstance(name, str):
                raise InstanceError(file=file, field=f"{field}.columns.{key}", expected="a column name (text)", found=name)
        ref = ref["table"]
    frame = io.read_table(ref, base, file=file, field=field, text=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame, (dict(columns) if columns else None)


def _table_name(ref: Any) -> Any:
    return ref.get("table") if isinstance(ref, Mapping) else ref


def load(path: str | Path) -> SitingInstance:
    """Read and validate a siting instance file (tables beside it resolved)."""
    from optmodels.io import read_document

    return from_document(read_document(path), path)


def from_document(doc: Mapping[str, Any], file: str | Path | None = None) -> SitingInstance:
    """Validate an already-read document; table paths resolve beside ``file`` (or the current
    directory without one)."""
    from optmodels.io import validate

    path = Path(file) if file is not None else Path("<document>")
    base = path.parent if file is not None else Path.cwd()
    data = dict(doc)
    problems: list[str] = []
    for field, schema in (("demand", DemandPoint), ("sites", Site)):
        value = data.get(field)
        if isinstance(value, (str, Mapping, pd.DataFrame)):
            if isinstance(value, pd.DataFrame):  # a generator's table, not yet written
                frame, cols = value, None
            else:
                frame, cols = _read_table(value, base, file=path, field=field)
            try:
                data[field] = table_records(frame, cols, schema, field, path)
            except InstanceError as exc:
                if not exc.problems:
                    raise
                problems += exc.problems  # both tables' problems in one message
    if problems:
        raise InstanceError(file=path, problems=problems)
    dist = data.get("distance")
    if isinstance(dist, Mapping):
        data["distance"] = _resolve_distance(dict(dist), data, base, path)
    return validate(SitingInstance, data, file=file)


def _ids(data: Mapping[str, Any], field: str, path: Path) -> list[str]:
    items = data.get(field)
    if isinstance(items, Records):
        ids = [str(v) for v in items.column("id")]
    elif not isinstance(items, list) or not all(isinstance(r, Mapping) and "id" in r for r in items):
        raise InstanceError(file=path, field=field, expected="records with an 'id' (needed by the distance table)")
    else:
        ids = [str(r["id"]) for r in items]
    seen: dict[str, int] = {}
    for row, key in enumerate(ids):
        # the distance table is indexed by id: a repeated id would make its rows ambiguous
        if key in seen:
            raise InstanceError(
                file=path, field=f"{field}[{row}].id", expected="distinct ids",
                found=f"{key!r} again (first in row {seen[key]})",
            )
        seen[key] = row
    return ids


def _resolve_distance(dist: dict[str, Any], data: Mapping[str, Any], base: Path, path: Path) -> dict[str, Any]:
    kind = dist.get("kind", "euclidean")
    if kind == "network":
        ref = dist.pop("edges", None)
        if ref is None:
            raise InstanceError(file=path, field="distance.edges", expected="an edge table (from, to, cost)", found="nothing")
        frame, cols = _read_table(ref, base, file=path, field="distance.edges")
        cols = cols or {}
        names = {k: cols.get(k, k) for k in ("from", "to", "cost")}
        missing = [c for c in names.values() if c not in frame.columns]
        if missing:
            raise InstanceError(file=path, field="distance.edges", expected=f"columns {list(names.values())}", found=list(frame.columns))
        from optmodels.io import finite_numbers

        costs = finite_numbers(
            frame[names["cost"]],
            file=f"{path} -> {_table_name(ref)}",
            field="distance.edges",
            rows=[f"row {r}" for r in range(len(frame))],
            minimum=0.0,
        )

        def nodes(field: str) -> list[str]:
            items = data.get(field) or []
            if isinstance(items, Records):
                return [str(n if n is not None else i) for n, i in zip(items.column("node"), items.column("id"), strict=True)]
            return [str(r.get("node") or r["id"]) for r in items]

        _ids(data, "demand", path), _ids(data, "sites", path)
        dist["matrix"] = distances.network(
            frame[names["from"]].astype(str).str.strip(),
            frame[names["to"]].astype(str).str.strip(),
            costs,
            nodes("demand"),
            nodes("sites"),
            directed=bool(dist.get("directed", False)),
        )
        # one Dijkstra per site: cheap, and needed if the model is switched to p_dispersion
        dist["site_matrix"] = distances.network(
            frame[names["from"]].astype(str).str.strip(),
            frame[names["to"]].astype(str).str.strip(),
            costs,
            nodes("sites"),
            nodes("sites"),
            directed=bool(dist.get("directed", False)),
        )
        dist["source"] = _table_name(ref)
    elif kind == "matrix":
        sref = dist.get("site_matrix")
        if isinstance(sref, (str, Mapping)):  # site x site table (dense: first column the site id)
            frame, cols = _read_table(sref, base, file=path, field="distance.site_matrix")
            s_ids = _ids(data, "sites", path)
            try:
                dist["site_matrix"] = distances.matrix_from_dense(frame, s_ids, s_ids, demand_col=(cols or {}).get("site_id", "site_id"))
            except ValueError as exc:
                raise InstanceError(str(exc), file=f"{path} -> {_table_name(sref)}",
                                    field="distance.site_matrix") from None
        ref = dist.get("matrix")
        if isinstance(ref, (str, Mapping)):
            frame, cols = _read_table(ref, base, file=path, field="distance.matrix")
            fmt = dist.get("format")
            if fmt is None:  # auto: a long table names both ids, a dense one has a column per site
                fmt = "long" if {"demand_id", "site_id"} <= set((cols or {}).keys()) | set(frame.columns) else "dense"
            elif fmt not in ("long", "dense"):
                raise InstanceError(file=path, field="distance.format", expected="'long', 'dense' or no key (auto)",
                                    found=fmt)
            d_ids, s_ids = _ids(data, "demand", path), _ids(data, "sites", path)
            shown = f"{path} -> {_table_name(ref)}"
            try:
                if fmt == "long":
                    cols = cols or {}
                    i, j, d = distances.long_pairs(
                        frame,
                        d_ids,
                        s_ids,
                        demand_col=cols.get("demand_id", "demand_id"),
                        site_col=cols.get("site_id", "site_id"),
                        cost_col=cols.get("cost", "cost"),
                    )
                    dist["matrix"] = _long_costs(i, j, d, len(d_ids), len(s_ids))
                else:
                    dist["matrix"] = distances.matrix_from_dense(
                        frame, d_ids, s_ids, demand_col=(cols or {}).get("demand_id", "demand_id")
                    )
            except ValueError as exc:
                raise InstanceError(str(exc), file=shown, field="distance.matrix") from None
            dist["format"] = fmt
            dist["source"] = _table_name(ref)
    return dist


def _long_costs(i: np.ndarray, j: np.ndarray, d: np.ndarray, n: int, m: int) -> np.ndarray | Pairs:
    """A long table's costs: the dense array up to :data:`DENSE_MAX_CELLS` cells (what the
    city-scale models read), its pairs beyond (absent pairs unreachable either way)."""
    if n * m <= DENSE_MAX_CELLS:
        out = np.full((n, m), np.inf)
        out[i, j] = d
        return out
    return Pairs.from_coo(n, m, i, j, d, np.full(n, np.inf))


# --------------------------------------------------------------------------------------------
# In-memory constructors
# --------------------------------------------------------------------------------------------


def from_arrays(
    cost: np.ndarray,
    population: Sequence[float] | None = None,
    *,
    demand_ids: Sequence[str] | None = None,
    site_ids: Sequence[str] | None = None,
    fixed_cost: Sequence[float] | None = None,
    capacity: Sequence[float] | None = None,
    supply: Sequence[float] | None = None,
    existing: Sequence[bool] | None = None,
    site_cost: np.ndarray | None = None,
    model: str = "p_median",
    name: str = "",
    **parameters: Any,
) -> SitingInstance:
    """An instance from a cost matrix (like spopt's ``from_cost_matrix``).

    ``site_cost`` (m x m) gives site-to-site distances, which only p-dispersion needs.

    ``parameters`` are the :class:`Parameters` fields (``p``, ``radius``, ...); keys starting
    with ``access_`` go to :class:`AccessSpec`.
    """
    cost = np.asarray(cost, dtype=float)
    if cost.ndim != 2:
        raise InstanceError(field="cost", expected="a 2-d (n_demand, n_sites) array", found=cost.shape)
    n, m = cost.shape
    pop = np.ones(n) if population is None else np.asarray(population, dtype=float)
    demand = [
        {"id": str(demand_ids[i]) if demand_ids is not None else str(i), "population": float(pop[i])}
        for i in range(n)
    ]
    sites = []
    for j in range(m):
        site: dict[str, Any] = {"id": str(site_ids[j]) if site_ids is not None else str(j)}
        if fixed_cost is not None:
            site["fixed_cost"] = float(fixed_cost[j])
        if capacity is not None and np.isfinite(capacity[j]):
            site["capacity"] = float(capacity[j])
        if supply is not None:
            site["supply"] = float(supply[j])
        if existing is not None:
            site["existing"] = bool(existing[j])
        sites.append(site)
    return build_instance(
        demand=demand,
        sites=sites,
        distance={"kind": "matrix", "matrix": cost, "site_matrix": site_cost},
        model=model,
        name=name,
        parameters=parameters,
    )

def from_dataframes(
    demand: pd.DataFrame,
    sites: pd.DataFrame,
    cost: pd.DataFrame | None = None,
    *,
    distance: str = "euclidean",
    demand_columns: Mapping[str, str] | None = None,
    site_columns: Mapping[str, str] | None = None,
    model: str = "p_median",
    name: str = "",
    crs: str | None = None,
    **parameters: Any,
) -> SitingInstance:
    """An instance from tables: ``demand`` (id, population, coordinates ...), ``sites``.

    ``cost``: a long table (``demand_id, site_id, cost``) or ``None`` to compute ``distance``
    (``euclidean`` / ``great_circle``) from the coordinates. ``*_columns`` map schema fields
    to column names.
    """
    d_rec = table_records(demand, demand_columns, DemandPoint, "demand", None)
    s_rec = table_records(sites, site_columns, Site, "sites", None)
    if cost is not None:
        try:
            d_ids, s_ids = d_rec.column("id"), s_rec.column("id")
            mat = _long_costs(*distances.long_pairs(cost, d_ids, s_ids), len(d_ids), len(s_ids))
        except ValueError as exc:
            raise InstanceError(str(exc), field="cost") from None
        dist: dict[str, Any] = {"kind": "matrix", "matrix": mat, "format": "long"}
    else:
        dist = {"kind": distance}
    return build_instance(demand=d_rec, sites=s_rec, distance=dist, model=model, name=name, parameters=parameters, crs=crs)

def from_geodataframes(
    demand: Any,
    sites: Any,
    *,
    population: str | None = None,
    id_column: str | None = None,
    site_id_column: str | None = None,
    distance: str | None = None,
    model: str = "p_median",
    name: str = "",
    **parameters: Any,
) -> SitingInstance:
    """An instance from GeoDataFrames (needs the ``geo`` extra: ``pip install optmodels[geo]``).

    Points (or polygon centroids) give the coordinates. A geographic CRS (lon/lat) uses
    great-circle distances in km, a projected one Euclidean distances in its unit, unless
    ``distance`` says otherwise. Other site columns named like :class:`Site` fields
    (``fixed_cost``, ``capacity``, ``existing`` ...) are taken over. Sites in another CRS are
    reprojected to the demand's; a projected CRS is kept as ``crs`` to label geo outputs.
    """
    try:
        import geopandas  # noqa: F401
    except ImportError:
        raise InstanceError(
            "from_geodataframes needs geopandas: pip install 'optmodels[geo]'"
        ) from None
    if demand.crs is not None and sites.crs is not None and sites.crs != demand.crs:
        sites = sites.to_crs(demand.crs)  # distances need one coordinate system
    geographic = bool(getattr(demand.crs, "is_geographic", False))
    kind = distance or ("great_circle" if geographic else "euclidean")
    if kind not in ("euclidean", "great_circle"):
        raise InstanceError(field="distance", expected="'euclidean' or 'great_circle'", found=kind)
    a, b = ("lon", "lat") if kind == "great_circle" else ("x", "y")
    crs = None if demand.crs is None or kind == "great_circle" else demand.crs.to_string()

    def frame(gdf: Any, id_col: str | None, pop: str | None) -> pd.DataFrame:
        geom = gdf.geometry
        pts = geom if (geom.geom_type == "Point").all() else geom.centroid
        out = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).copy()
        out[a], out[b] = pts.x.to_numpy(), pts.y.to_numpy()
        out["id"] = (out[id_col] if id_col else pd.Series(range(len(out)), index=out.index)).astype(str)
        if pop:
            out["population"] = out[pop]
        return out

    d = frame(demand, id_column, population)
    s = frame(sites, site_id_column, None)
    return from_dataframes(d, s, distance=kind, model=model, name=name, crs=crs, **parameters)
