"""The facility-siting instance: demand points, candidate sites, travel costs, model parameters.

File layout (JSON / YAML / TOML, ``family: siting``)::

    family: siting
    name: my-city
    model: p_median            # lscp | lscp_b | mclp | p_median | p_center | p_dispersion | cflp
                               # | equity_capacity | equity_siting
    parameters: {p: 4, radius: 5000, cutoff: null, budget: null, capacitated: false,
                 assignment: multi}
    access: {method: 2sfca, d0: 5000, threshold: 0.5}
    demand: [{id: t1, x: 0, y: 0, population: 120}, ...]      # or a table, see below
    sites:  [{id: s1, x: 1, y: 2, fixed_cost: 10, capacity: 500, supply: 3,
              existing: false, closable: false, closing_saving: 0}, ...]
    distance: {kind: euclidean}    # | great_circle | network | matrix

``demand``, ``sites``, ``distance.edges`` and ``distance.matrix`` may each be a table beside the
file: ``"demand.csv"`` or ``{table: "demand.csv", columns: {id: NAME, population: POP2000}}``
(``columns`` maps schema field -> table column). Tables may carry extra columns; they are
ignored (inline records may not: a misspelt key is an error). Ids are read as strings, so a
census code such as ``060750101.00`` keeps its zeros.

Distance kinds:
``euclidean`` from ``x, y``; ``great_circle`` from ``lon, lat`` (km); ``network`` from an edge
table ``from, to, cost`` (+ ``directed``), demand points and sites sit on graph nodes (``node``,
default their id); ``matrix`` from a table, ``format: long`` (``demand_id, site_id, cost``;
absent pairs are unreachable) or ``format: dense`` (first column the demand id, one column per
site id).

Numbers are finite (NaN and +-inf are rejected, in the file and in its tables) with one
documented exception: a travel cost of ``inf`` -- like an absent pair in a long table or an empty
cell in a dense one -- means "unreachable". Ids must be distinct and non-empty in every table.

Existing sites are open and stay open unless ``closable``; closing a closable site saves
``closing_saving`` (in the ``cost`` objective). ``p`` counts every open site, existing ones
included. ``cutoff`` makes the models sparse: only pairs with ``d_ij <= cutoff`` exist.

The parsed tables are held as numpy arrays (``distance.matrix``), not as lists of floats, so a
2000 x 200 instance validates in milliseconds. Build one in memory with
:meth:`SitingInstance.from_arrays`, :meth:`~SitingInstance.from_dataframes` or (with the ``geo``
extra) :meth:`~SitingInstance.from_geodataframes`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import numpy as np
import pandas as pd
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, model_validator

from optmodels.errors import InstanceError
from optmodels.siting import distances

ModelName = Literal[
    "lscp",
    "lscp_b",
    "mclp",
    "p_median",
    "p_center",
    "p_dispersion",
    "cflp",
    "equity_capacity",
    "equity_siting",
]
MODELS: tuple[str, ...] = get_args(ModelName)
#: models whose every demand point must be assigned to (served by) an open site
ASSIGNING = ("p_median", "p_center", "cflp")
#: models that need a coverage radius
COVERING = ("lscp", "lscp_b", "mclp")


def _as_array(value: Any) -> Any:
    if value is None or isinstance(value, np.ndarray):
        return value
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"expected a numeric matrix ({exc})") from None


Matrix = Annotated[Any, BeforeValidator(_as_array)]


class _Frozen(BaseModel):
    # Numbers are finite (pydantic rejects NaN and +-inf): "no capacity", "no budget", "no
    # cut-off" are said by omitting the field. Only the travel-cost matrices (not pydantic
    # numbers) give +inf a meaning: unreachable.
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True, allow_inf_nan=False)


class DemandPoint(_Frozen):
    id: str = Field(min_length=1)
    population: float = Field(1.0, gt=0, allow_inf_nan=False, description="weight / population")
    x: float | None = None
    y: float | None = None
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    node: str | None = Field(None, description="network node (default: the id)")
    area: str | None = Field(None, description="area label for before/after reports")


class Site(_Frozen):
    id: str = Field(min_length=1)
    x: float | None = None
    y: float | None = None
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    node: str | None = None
    fixed_cost: float = Field(1.0, ge=0, allow_inf_nan=False, description="cost of opening")
    capacity: float | None = Field(None, gt=0, allow_inf_nan=False)
    supply: float = Field(0.0, ge=0, allow_inf_nan=False, description="supply S_j for accessibility")
    supply_min: float = Field(0.0, ge=0, allow_inf_nan=False)
    existing: bool = False
    closable: bool = False
    closing_saving: float = Field(0.0, ge=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _closable_only_if_existing(self) -> Site:
        if self.closable and not self.existing:
            raise ValueError(f"site {self.id}: closable=true needs existing=true")
        if self.closing_saving and not self.closable:
            raise ValueError(f"site {self.id}: closing_saving given but the site is not closable")
        return self


class Distance(_Frozen):
    kind: Literal["euclidean", "great_circle", "network", "matrix"] = "euclidean"
    #: for ``network`` / ``matrix``: the resolved (n_demand, n_sites) array (inf = unreachable)
    matrix: Matrix = None
    #: optional (n_sites, n_sites) site-to-site costs (p-dispersion); computed for networks
    site_matrix: Matrix = None
    #: where the data came from (the table path), for descriptions only
    source: str | None = None
    directed: bool = False
    format: Literal["long", "dense"] | None = None
    unit: str | None = None


class Parameters(_Frozen):
    p: int | None = Field(None, ge=1, description="number of open sites (existing included)")
    radius: float | None = Field(None, gt=0, description="service standard S (coverage radius)")
    budget: float | None = Field(None, ge=0, description="budget on the cost of opened sites")
    cutoff: float | None = Field(None, gt=0, description="only pairs with d_ij <= cutoff exist")
    capacitated: bool = False
    assignment: Literal["multi", "single"] = "multi"
    cost_per_distance: float = Field(1.0, ge=0, description="cflp: cost per population x distance")


class AccessSpec(_Frozen):
    method: Literal["2sfca", "e2sfca", "g2sfca", "3sfca"] = "2sfca"
    d0: float | None = Field(None, gt=0, description="catchment size")
    steps: list[tuple[float, float]] | None = Field(None, description="E2SFCA (distance, weight)")
    beta: float | None = Field(None, gt=0, description="decay parameter")
    threshold: float | None = Field(None, ge=0, description="report the share below this access")
    supply_total: float | None = Field(None, gt=0, description="equity models: total supply")
    scale: float | None = Field(
        None, gt=0,
        description="equity models: accessibility per `scale` people; None (default) measures it relative to "
        "the average supply per person, which keeps the QP well scaled whatever the units (per-1,000 "
        "scaling still made HiGHS cycle when supply per 1,000 people is far below 1)",
    )

    @model_validator(mode="after")
    def _method_parameters(self) -> AccessSpec:
        """The measure's own rules (access._check_method), so a bad combination is an input error."""
        from optmodels.siting import access

        if self.method == "e2sfca" and not self.steps:
            raise ValueError("method e2sfca needs steps [[upper distance, weight], ...], found none")
        access._check_method(self.method, self.d0 or 1.0, self.steps, self.beta)  # noqa: SLF001
        return self


class SitingInstance(_Frozen):
    family: Literal["siting"] = "siting"
    name: str = ""
    description: str = ""
    source: str | None = None
    crs: str | None = Field(
        None, description="coordinate reference system of x/y (e.g. 'EPSG:32610'); only labels geo outputs"
    )
    model: ModelName = "p_median"
    parameters: Parameters = Parameters()
    access: AccessSpec = AccessSpec()
    demand: list[DemandPoint] = Field(min_length=1)
    sites: list[Site] = Field(min_length=1)
    distance: Distance = Distance()

    _cost: np.ndarray = PrivateAttr()

    # -- validation -------------------------------------------------------------------------
    @model_validator(mode="after")
    def _check(self) -> SitingInstance:
        problems: list[str] = []
        for label, items in (("demand", self.demand), ("sites", self.sites)):
            seen: dict[str, int] = {}
            for row, item in enumerate(items):
                if item.id in seen:
                    problems.append(
                        f"field '{label}[{row}].id': id {item.id!r} repeats row {seen[item.id]}"
                    )
                seen.setdefault(item.id, row)
        if problems:
            raise ValueError("; ".join(problems))
        cost = self._compute_cost()
        object.__setattr__(self, "_cost", cost)  # computed once; the model stays frozen
        self._check_parameters(cost)
        return self

    def _compute_cost(self) -> np.ndarray:
        kind = self.distance.kind
        n, m = len(self.demand), len(self.sites)
        if kind in ("euclidean", "great_circle"):
            a, b = ("x", "y") if kind == "euclidean" else ("lon", "lat")
            for label, items in (("demand", self.demand), ("sites", self.sites)):
                for row, item in enumerate(items):
                    if getattr(item, a) is None or getattr(item, b) is None:
                        raise ValueError(
                            f"field '{label}[{row}]': distance kind {kind!r} needs {a} and {b}, "
                            f"found none for id {item.id!r}"
                        )
            da = np.array([getattr(d, a) for d in self.demand], float)
            db = np.array([getattr(d, b) for d in self.demand], float)
            sa = np.array([getattr(s, a) for s in self.sites], float)
            sb = np.array([getattr(s, b) for s in self.sites], float)
            if kind == "euclidean":
                return distances.euclidean(da, db, sa, sb)
            return distances.great_circle(da, db, sa, sb)
        mat = self.distance.matrix
        if mat is None:
            raise ValueError(f"field 'distance.matrix': distance kind {kind!r} needs a matrix or table")
        mat = np.asarray(mat, dtype=float)
        if mat.shape != (n, m):
            raise ValueError(
                f"field 'distance.matrix': expected shape ({n} demand points, {m} sites), found {mat.shape}"
            )
        if np.isnan(mat).any() or (mat < 0).any():
            i, j = np.argwhere(np.isnan(mat) | (mat < 0))[0]
            raise ValueError(
                f"field 'distance.matrix': demand {self.demand[i].id!r}, site {self.sites[j].id!r}: "
                f"expected a cost >= 0, found {mat[i, j]}"
            )
        mat.setflags(write=False)
        return mat

    def _check_parameters(self, cost: np.ndarray) -> None:
        par, model = self.parameters, self.model
        m = len(self.sites)
        kept = sum(s.existing and not s.closable for s in self.sites)
        if model in ("mclp",) and par.p is None and par.budget is None:
            raise ValueError("field 'parameters.p': model mclp needs p (or a budget), found neither")
        if model in ("p_median", "p_center", "p_dispersion") and par.p is None:
            raise ValueError(f"field 'parameters.p': model {model} needs p, found none")
        if par.p is not None and not kept <= par.p <= m:
            raise ValueError(
                f"field 'parameters.p': expected between {kept} (existing sites that must stay "
                f"open) and {m} (all sites), found {par.p}"
            )
        if model == "p_dispersion" and par.p is not None and par.p < 2:
            raise ValueError("field 'parameters.p': p_dispersion needs p >= 2")
        sm = self.distance.site_matrix
        if sm is not None and np.shape(sm) != (m, m):
            raise ValueError(
                f"field 'distance.site_matrix': expected shape ({m} sites, {m} sites), found {np.shape(sm)}"
            )
        if sm is not None and (bad := np.argwhere(~(np.asarray(sm, dtype=float) >= 0))).size:
            # +inf (unreachable) is allowed, as in distance.matrix; NaN and negatives are not costs
            a, b = bad[0]
            raise ValueError(
                f"field 'distance.site_matrix': site {self.sites[a].id!r}, site {self.sites[b].id!r}: "
                f"expected a cost >= 0 (or inf), found {np.asarray(sm, dtype=float)[a, b]}"
            )
        if model == "p_dispersion" and self.site_cost_matrix() is None:
            raise ValueError(
                "field 'distance.site_matrix': p_dispersion needs site-to-site distances: site "
                "coordinates (x, y or lon, lat), a network, or distance.site_matrix (a site x site "
                f"table); the {self.distance.kind!r} distance gives demand-to-site costs only, found none"
            )
        if model in COVERING and par.radius is None:
            raise ValueError(f"field 'parameters.radius': model {model} needs a coverage radius, found none")
        reach = self.cost_matrix()
        finite = np.isfinite(reach)
        if (bad := np.flatnonzero(~finite.any(axis=1))).size:
            i = int(bad[0])
            why = f"within the cut-off {par.cutoff}" if par.cutoff else "reachable"
            raise ValueError(
                f"field 'demand[{i}]': demand point {self.demand[i].id!r} has no site {why} "
                f"({bad.size} such point(s))"
            )
        if model in ("lscp", "lscp_b"):
            covered = (reach <= par.radius).any(axis=1)
            if (bad := np.flatnonzero(~covered)).size:
                i = int(bad[0])
                raise ValueError(
                    f"field 'parameters.radius': demand point {self.demand[i].id!r} (row {i}) has no "
                    f"site within radius {par.radius} (nearest {reach[i].min():.6g}); {model} is "
                    f"infeasible ({bad.size} such point(s))"
                )
        needs_cap = model == "cflp" or (par.capacitated and model in ("lscp", "p_median", "p_center", "mclp"))
        if needs_cap:
            missing = [r for r, s in enumerate(self.sites) if s.capacity is None]
            if missing:
                raise ValueError(
                    f"field 'sites[{missing[0]}].capacity': a capacitated {model} needs a capacity "
                    f"for every site, found none for {self.sites[missing[0]].id!r} ({len(missing)} site(s))"
                )
            if model != "mclp":
                total_cap = sum(s.capacity for s in self.sites)  # type: ignore[misc]
                total_pop = float(self.populations().sum())
                if total_cap < total_pop:
                    raise ValueError(
                        f"field 'sites.capacity': total capacity {total_cap:.6g} is below total "
                        f"demand {total_pop:.6g}; no assignment can serve everyone"
                    )

    # -- convenient views ---------------------------------------------------------------------
    @property
    def demand_ids(self) -> list[str]:
        return [d.id for d in self.demand]

    @property
    def site_ids(self) -> list[str]:
        return [s.id for s in self.sites]

    @property
    def n_demand(self) -> int:
        return len(self.demand)

    @property
    def n_sites(self) -> int:
        return len(self.sites)

    def populations(self) -> np.ndarray:
        return np.array([d.population for d in self.demand], dtype=float)

    def supplies(self) -> np.ndarray:
        return np.array([s.supply for s in self.sites], dtype=float)

    def fixed_costs(self) -> np.ndarray:
        return np.array([s.fixed_cost for s in self.sites], dtype=float)

    def capacities(self) -> np.ndarray:
        """Capacities (``inf`` where none is given)."""
        return np.array([np.inf if s.capacity is None else s.capacity for s in self.sites], dtype=float)

    def existing(self) -> np.ndarray:
        return np.array([s.existing for s in self.sites], dtype=bool)

    def fixed_open(self) -> np.ndarray:
        """Sites that must be open: existing and not closable."""
        return np.array([s.existing and not s.closable for s in self.sites], dtype=bool)

    def closable(self) -> np.ndarray:
        return np.array([s.closable for s in self.sites], dtype=bool)

    def closing_savings(self) -> np.ndarray:
        return np.array([s.closing_saving for s in self.sites], dtype=float)

    def full_cost_matrix(self) -> np.ndarray:
        """All travel costs (read-only), ignoring the cut-off; ``inf`` only where unreachable."""
        return self._cost

    def cost_matrix(self) -> np.ndarray:
        """Dense ``(n_demand, n_sites)`` costs with ``inf`` beyond the cut-off or unreachable."""
        if self.parameters.cutoff is None:
            return self._cost
        out = np.where(self._cost <= self.parameters.cutoff, self._cost, np.inf)
        out.setflags(write=False)
        return out

    def site_cost_matrix(self) -> np.ndarray | None:
        """Site-to-site distances (p-dispersion), or None if the instance cannot give them.

        In order: ``distance.site_matrix`` (given, or computed over the network); the distance
        kind's own coordinates; for a matrix, the sites' coordinates -- x/y planar, lon/lat
        great-circle in km (in m if ``distance.unit`` says metres, as SF's network matrix).
        """
        sm = self.distance.site_matrix
        if sm is not None:
            return np.asarray(sm, dtype=float)
        kind = self.distance.kind
        xy = all(s.x is not None and s.y is not None for s in self.sites)
        ll = all(s.lon is not None and s.lat is not None for s in self.sites)
        if kind != "great_circle" and xy:
            xs = np.array([s.x for s in self.sites], float)
            ys = np.array([s.y for s in self.sites], float)
            return distances.euclidean(xs, ys, xs, ys)
        if ll and kind in ("great_circle", "matrix", "network"):
            lon = np.array([s.lon for s in self.sites], float)
            lat = np.array([s.lat for s in self.sites], float)
            km = distances.great_circle(lon, lat, lon, lat)
            metres = kind != "great_circle" and (self.distance.unit or "").lower() in ("m", "metre", "metres", "meter", "meters")
            return km * 1000.0 if metres else km
        return None

    def pairs(self, limit: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The sparse pair set ``(i, j, d_ij)`` of finite costs (within ``limit`` if given)."""
        cost = self.cost_matrix()
        mask = np.isfinite(cost) if limit is None else cost <= limit
        i, j = np.nonzero(mask)
        return i, j, cost[i, j]

    def with_changes(self, model: str | None = None, **parameters: Any) -> SitingInstance:
        """A copy with another model and/or parameter values, validated again.

        ``parameters`` may also name ``access`` fields as ``access_<field>``.
        """
        data = self.model_dump(exclude={"distance"})
        data["distance"] = self.distance
        data["demand"], data["sites"] = self.demand, self.sites
        if model is not None:
            data["model"] = model
        par = dict(data["parameters"])
        acc = dict(data["access"])
        for key, value in parameters.items():
            if key.startswith("access_"):
                acc[key[len("access_") :]] = value
            else:
                par[key] = value
        data["parameters"], data["access"] = par, acc
        from optmodels.io import validate

        return validate(SitingInstance, data, file=None)

    # -- constructors ---------------------------------------------------------------------------
    @classmethod
    def from_arrays(
        cls,
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
        return _build(
            demand=demand,
            sites=sites,
            distance={"kind": "matrix", "matrix": cost, "site_matrix": site_cost},
            model=model,
            name=name,
            parameters=parameters,
        )

    @classmethod
    def from_dataframes(
        cls,
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
        d_rec = _table_records(demand, demand_columns, DemandPoint, "demand", None)
        s_rec = _table_records(sites, site_columns, Site, "sites", None)
        if cost is not None:
            try:
                mat = distances.matrix_from_long(cost, [r["id"] for r in d_rec], [r["id"] for r in s_rec])
            except ValueError as exc:
                raise InstanceError(str(exc), field="cost") from None
            dist: dict[str, Any] = {"kind": "matrix", "matrix": mat, "format": "long"}
        else:
            dist = {"kind": distance}
        return _build(demand=d_rec, sites=s_rec, distance=dist, model=model, name=name, parameters=parameters, crs=crs)

    @classmethod
    def from_geodataframes(
        cls,
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
        return cls.from_dataframes(d, s, distance=kind, model=model, name=name, crs=crs, **parameters)


# --------------------------------------------------------------------------------------------
# Helpers: tables -> records, file loading
# --------------------------------------------------------------------------------------------


def _build(*, demand, sites, distance, model, name, parameters, crs=None) -> SitingInstance:
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


def _table_records(
    frame: pd.DataFrame,
    columns: Mapping[str, str] | None,
    schema: type[BaseModel],
    field: str,
    file: str | Path | None,
) -> list[dict[str, Any]]:
    """Rows of a table as records of ``schema``'s fields (extra columns ignored)."""
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
    for key in ("node", "area"):
        if key in frame.columns:
            frame[key] = frame[key].map(lambda v: None if pd.isna(v) else str(v))
    from optmodels.io import records

    return records(frame)


def _read_table(ref: Any, base: Path, *, file: Path, field: str) -> tuple[pd.DataFrame, dict[str, str] | None, dict[str, Any]]:
    """A table reference -> (DataFrame with every CSV column as text, column map, other keys).

    CSV cells are read as strings (ids keep leading zeros) and numbers are converted by
    pydantic / the caller, which names the row on failure.
    """
    extra: dict[str, Any] = {}
    columns = None
    if isinstance(ref, Mapping):
        ref = dict(ref)
        if "table" not in ref:
            raise InstanceError(file=file, field=field, expected="{table: path, columns: {...}}", found=ref)
        columns = ref.pop("columns", None)
        path = ref.pop("table")
        extra = ref
    else:
        path = ref
    if not isinstance(path, str):
        raise InstanceError(file=file, field=field, expected="a table path or a list of records", found=path)
    table_path = base / path
    shown = f"{file} -> {path}"
    if not table_path.is_file():
        raise InstanceError("referenced table not found", file=shown, field=field)
    try:
        if table_path.suffix.lower() == ".csv":
            frame = pd.read_csv(table_path, dtype=str, keep_default_na=True, skipinitialspace=True)
        elif table_path.suffix.lower() in (".parquet", ".pq"):
            frame = pd.read_parquet(table_path)
        else:
            raise InstanceError(file=shown, field=field, expected="a .csv or .parquet table", found=table_path.suffix)
    except InstanceError:
        raise
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OSError, ImportError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InstanceError(f"cannot read table: {first}", file=shown, field=field) from None
    if frame.empty:
        raise InstanceError("table has no rows", file=shown, field=field)
    frame.columns = [str(c).strip() for c in frame.columns]
    if columns is not None and not isinstance(columns, Mapping):
        raise InstanceError(file=file, field=f"{field}.columns", expected="a mapping field -> column", found=columns)
    for key, name in (columns or {}).items():
        # names are used as dictionary keys and column labels: a mapping or list there is bad input
        if not isinstance(name, str):
            raise InstanceError(file=file, field=f"{field}.columns.{key}", expected="a column name (text)", found=name)
    return frame, (dict(columns) if columns else None), extra


def _numeric_records(records: list[dict[str, Any]], schema: type[BaseModel]) -> list[dict[str, Any]]:
    """Convert text cells of numeric/bool schema fields (CSV) so that pydantic sees numbers."""
    bools = {k for k, f in schema.model_fields.items() if f.annotation is bool}
    for rec in records:
        for key, value in list(rec.items()):
            if isinstance(value, str) and key in bools:
                low = value.strip().lower()
                if low in ("true", "1", "yes"):
                    rec[key] = True
                elif low in ("false", "0", "no", ""):
                    rec[key] = False
    return records


def load(path: str | Path) -> SitingInstance:
    """Read and validate a siting instance file (tables beside it resolved)."""
    from optmodels.io import read_document, validate

    path = Path(path)
    doc = read_document(path)
    base = path.parent
    data = dict(doc)
    for field, schema in (("demand", DemandPoint), ("sites", Site)):
        value = data.get(field)
        if isinstance(value, (str, Mapping)):
            frame, cols, extra = _read_table(value, base, file=path, field=field)
            if extra:
                raise InstanceError(file=path, field=field, expected="only 'table' and 'columns'", found=sorted(extra))
            data[field] = _numeric_records(_table_records(frame, cols, schema, field, path), schema)
    dist = data.get("distance")
    if isinstance(dist, Mapping):
        data["distance"] = _resolve_distance(dict(dist), data, base, path)
    return validate(SitingInstance, data, file=path)


def _ids(data: Mapping[str, Any], field: str, path: Path) -> list[str]:
    items = data.get(field)
    if not isinstance(items, list) or not all(isinstance(r, Mapping) and "id" in r for r in items):
        raise InstanceError(file=path, field=field, expected="records with an 'id' (needed by the distance table)")
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
        frame, cols, extra = _read_table(ref, base, file=path, field="distance.edges")
        cols = cols or {}
        names = {k: cols.get(k, k) for k in ("from", "to", "cost")}
        missing = [c for c in names.values() if c not in frame.columns]
        if missing:
            raise InstanceError(file=path, field="distance.edges", expected=f"columns {list(names.values())}", found=list(frame.columns))
        from optmodels.io import finite_numbers

        costs = finite_numbers(
            frame[names["cost"]],
            file=f"{path} -> {ref if isinstance(ref, str) else ref.get('table')}",
            field="distance.edges",
            rows=[f"row {r}" for r in range(len(frame))],
            minimum=0.0,
        )

        def nodes(field: str) -> list[str]:
            items = data.get(field) or []
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
        dist["source"] = ref if isinstance(ref, str) else ref.get("table")
    elif kind == "matrix":
        sref = dist.get("site_matrix")
        if isinstance(sref, (str, Mapping)):  # site x site table (dense: first column the site id)
            frame, cols, extra = _read_table(sref, base, file=path, field="distance.site_matrix")
            s_ids = _ids(data, "sites", path)
            try:
                dist["site_matrix"] = distances.matrix_from_dense(frame, s_ids, s_ids, demand_col=(cols or {}).get("site_id", "site_id"))
            except ValueError as exc:
                raise InstanceError(str(exc), file=f"{path} -> {sref if isinstance(sref, str) else sref.get('table')}",
                                    field="distance.site_matrix") from None
        ref = dist.get("matrix")
        if isinstance(ref, (str, Mapping)):
            frame, cols, extra = _read_table(ref, base, file=path, field="distance.matrix")
            fmt = dist.get("format") or ("long" if {"demand_id", "site_id"} <= set((cols or {}).keys()) | set(frame.columns) else "dense")
            d_ids, s_ids = _ids(data, "demand", path), _ids(data, "sites", path)
            shown = f"{path} -> {ref if isinstance(ref, str) else ref.get('table')}"
            try:
                if fmt == "long":
                    cols = cols or {}
                    dist["matrix"] = distances.matrix_from_long(
                        frame,
                        d_ids,
                        s_ids,
                        demand_col=cols.get("demand_id", "demand_id"),
                        site_col=cols.get("site_id", "site_id"),
                        cost_col=cols.get("cost", "cost"),
                    )
                else:
                    dist["matrix"] = distances.matrix_from_dense(
                        frame, d_ids, s_ids, demand_col=(cols or {}).get("demand_id", "demand_id")
                    )
            except ValueError as exc:
                raise InstanceError(str(exc), file=shown, field="distance.matrix") from None
            dist["format"] = fmt
            dist["source"] = ref if isinstance(ref, str) else ref.get("table")
    return dist
