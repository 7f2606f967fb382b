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
cell in a dense one -- means "unreachable". Every finite number, travel costs and the distances
computed from coordinates included, is of magnitude below 1e20, which HiGHS reads as infinite
(:data:`optmodels.io.SOLVER_INFINITY`). The models multiply some of them (population x distance
in the p-median and CFLP objectives, population in capacity rows): a product at or beyond HiGHS's
limits (1e20 for a cost, 1e15 for a constraint coefficient) is named by the solver layer when the
model is handed over (exit 2); rescale the units (km, thousands of people). Ids must be distinct
and non-empty in every table.

Existing sites are open and stay open unless ``closable``; closing a closable site saves
``closing_saving`` (in the ``cost`` objective). ``p`` counts every open site, existing ones
included. ``cutoff`` makes the models sparse: only pairs with ``d_ij <= cutoff`` exist.

The parsed tables are held as numpy arrays (``distance.matrix``), not as lists of floats, so a
2000 x 200 instance validates in milliseconds. Build one in memory with
:meth:`SitingInstance.from_arrays`, :meth:`~SitingInstance.from_dataframes` or (with the ``geo``
extra) :meth:`~SitingInstance.from_geodataframes`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PrivateAttr,
    WrapValidator,
    model_validator,
)

from optmodels.io import SOLVER_INFINITY, Finite
from optmodels.siting.data import distances
from optmodels.siting.data.costs import DENSE_MAX_CELLS, Pairs, TravelCosts
from optmodels.siting.data.points import Records
from optmodels.siting.models import MODEL_SPECS, MODELS, capacities_bind

#: copies of the dense cost array the city-scale strategies hold at once (the costs, their
#: cut-off view, the p-median's weighted costs and its subgradient buffer)
DENSE_COPIES = 4

#: the model names of :data:`optmodels.siting.models.MODEL_SPECS`, as a type pydantic checks
ModelName = Literal[MODELS]  # type: ignore[valid-type]


def _as_array(value: Any) -> Any:
    if value is None or isinstance(value, (np.ndarray, Pairs)):
        return value
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"expected a numeric matrix ({exc})") from None


Matrix = Annotated[Any, BeforeValidator(_as_array)]


class _Frozen(BaseModel):
    # Numbers are finite (pydantic rejects NaN and +-inf) and below HiGHS's infinity (the
    # number fields are io.Finite): "no capacity", "no budget", "no cut-off" are said by omitting
    # the field. Only the travel-cost matrices (not pydantic numbers) give +inf a meaning:
    # unreachable.
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True, allow_inf_nan=False)


class DemandPoint(_Frozen):
    id: str = Field(min_length=1)
    population: Finite = Field(
        1.0, ge=0, allow_inf_nan=False,
        description="weight / population (0 allowed: an empty census tract weighs nothing)",
    )
    x: Finite | None = None
    y: Finite | None = None
    lon: Finite | None = Field(None, ge=-180, le=180)
    lat: Finite | None = Field(None, ge=-90, le=90)
    node: str | None = Field(None, description="network node (default: the id)")
    area: str | None = Field(None, description="area label for before/after reports")


class Site(_Frozen):
    id: str = Field(min_length=1)
    x: Finite | None = None
    y: Finite | None = None
    lon: Finite | None = Field(None, ge=-180, le=180)
    lat: Finite | None = Field(None, ge=-90, le=90)
    node: str | None = None
    fixed_cost: Finite = Field(1.0, ge=0, allow_inf_nan=False, description="cost of opening")
    capacity: Finite | None = Field(
        None, gt=0, allow_inf_nan=False,
        description="population the site can serve (people, the unit of demand population); "
        "binds in capacitated location models",
    )
    supply: Finite = Field(
        0.0, ge=0, allow_inf_nan=False,
        description="supply S_j today (e.g. doctors) for accessibility and the equity models",
    )
    supply_min: Finite = Field(0.0, ge=0, allow_inf_nan=False, description="equity models: least supply if open")
    supply_max: Finite | None = Field(
        None, gt=0, allow_inf_nan=False,
        description="equity models: most supply the site may get, in supply units (doctors, not people)",
    )
    existing: bool = False
    closable: bool = False
    closing_saving: Finite = Field(0.0, ge=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _closable_only_if_existing(self) -> Site:
        if self.closable and not self.existing:
            raise ValueError(f"site {self.id}: closable=true needs existing=true")
        if self.closing_saving and not self.closable:
            raise ValueError(f"site {self.id}: closing_saving given but the site is not closable")
        return self


class Distance(_Frozen):
    kind: Literal["euclidean", "great_circle", "network", "matrix"] = "euclidean"
    #: for ``network`` / ``matrix``: the resolved (n_demand, n_sites) array (inf = unreachable),
    #: or a long table's :class:`~optmodels.siting.data.costs.Pairs` (absent pairs unreachable)
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
    radius: Finite | None = Field(None, gt=0, description="service standard S (coverage radius)")
    budget: Finite | None = Field(None, ge=0, description="budget on the cost of opened sites")
    cutoff: Finite | None = Field(None, gt=0, description="only pairs with d_ij <= cutoff exist")
    capacitated: bool = False
    assignment: Literal["multi", "single"] = "multi"
    cost_per_distance: Finite = Field(1.0, ge=0, description="cflp: cost per population x distance")


class AccessSpec(_Frozen):
    method: Literal["2sfca", "e2sfca", "g2sfca", "3sfca"] = "2sfca"
    d0: Finite | None = Field(None, gt=0, description="catchment size")
    steps: list[tuple[Finite, Finite]] | None = Field(None, description="E2SFCA (distance, weight)")
    beta: Finite | None = Field(None, gt=0, description="decay parameter")
    threshold: Finite | None = Field(None, ge=0, description="report the share below this access")
    supply_total: Finite | None = Field(None, gt=0, description="equity models: total supply")
    scale: Finite | None = Field(
        None, gt=0,
        description="equity models: accessibility per `scale` people; None (default) measures it relative to "
        "the average supply per person, which keeps the QP well scaled whatever the units (per-1,000 "
        "scaling still made HiGHS cycle when supply per 1,000 people is far below 1)",
    )

    @model_validator(mode="after")
    def _method_parameters(self) -> AccessSpec:
        """The measure's own rules (access._check_method), so a bad combination is an input error."""
        from optmodels.siting.access import measures as access

        if self.method == "e2sfca" and not self.steps:
            raise ValueError("method e2sfca needs steps [[upper distance, weight], ...], found none")
        access._check_method(self.method, self.d0 or 1.0, self.steps, self.beta)  # noqa: SLF001
        return self


def _read_only(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class SitingArrays:
    """The demand points' and sites' fields as arrays (instance order), read-only."""

    demand_ids: tuple[str, ...]
    site_ids: tuple[str, ...]
    population: np.ndarray
    supply: np.ndarray
    supply_min: np.ndarray
    supply_max: np.ndarray  # inf where none is given
    fixed_cost: np.ndarray
    capacity: np.ndarray  # inf where none is given
    existing: np.ndarray
    fixed_open: np.ndarray  # existing and not closable
    closable: np.ndarray
    closing_saving: np.ndarray

    @classmethod
    def of(cls, instance: SitingInstance) -> SitingArrays:
        d, s = instance.demand.columns, instance.sites.columns

        def floats(a: np.ndarray, missing: float | None = None) -> np.ndarray:
            a = np.array(a, dtype=float)  # a copy: the arrays below are the instance's own
            if missing is not None:
                a[np.isnan(a)] = missing
            return _read_only(a)

        def flags(a: np.ndarray) -> np.ndarray:
            return _read_only(np.asarray(a, dtype=bool).copy())

        existing, closable = flags(s["existing"]), flags(s["closable"])
        return cls(
            demand_ids=tuple(d["id"].tolist()),
            site_ids=tuple(s["id"].tolist()),
            population=floats(d["population"]),
            supply=floats(s["supply"]),
            supply_min=floats(s["supply_min"]),
            supply_max=floats(s["supply_max"], np.inf),
            fixed_cost=floats(s["fixed_cost"]),
            capacity=floats(s["capacity"], np.inf),
            existing=existing,
            fixed_open=_read_only(existing & ~closable),
            closable=closable,
            closing_saving=floats(s["closing_saving"]),
        )


def _columnar(schema: type[BaseModel]):
    """Inline records are validated one by one by pydantic (its messages name
    ``demand[3].population``), then held as columns; tables arrive as :class:`Records` already
    (validated a column at a time by the loader) and pass through."""

    def validate(value: Any, handler: Any) -> Records:
        if isinstance(value, Records):
            if value.schema is not schema:
                raise ValueError(f"expected records of {schema.__name__}, found {value.schema.__name__}")
            if len(value) == 0:
                raise ValueError("expected at least 1 item(s), found none")
            return value
        return Records.from_models(schema, handler(value))

    return WrapValidator(validate)


#: ``model_dump`` writes the columns back as a list of records, as the file had them
_AS_RECORDS = PlainSerializer(lambda records: records.to_records(), return_type=list)


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
    demand: Annotated[list[DemandPoint], _columnar(DemandPoint), _AS_RECORDS] = Field(min_length=1)
    sites: Annotated[list[Site], _columnar(Site), _AS_RECORDS] = Field(min_length=1)
    distance: Distance = Distance()

    _costs: TravelCosts = PrivateAttr()

    # -- validation -------------------------------------------------------------------------
    @model_validator(mode="after")
    def _check(self) -> SitingInstance:
        problems: list[str] = []
        for label, items in (("demand", self.demand), ("sites", self.sites)):
            ids = pd.Index(items.column("id"))
            if (dup := np.flatnonzero(ids.duplicated())).size:
                for row in dup[:5]:
                    first = int(ids.get_indexer([ids[row]])[0]) if ids.is_unique else int(np.flatnonzero(ids == ids[row])[0])
                    problems.append(f"field '{label}[{row}].id': id {ids[row]!r} repeats row {first}")
                if dup.size > 5:
                    problems.append(f"... and {dup.size - 5} more repeated id(s) in {label}")
        if not (self.demand.column("population") > 0).any():
            problems.append("field 'demand.population': expected a positive total population, found 0 everywhere")
        if problems:
            raise ValueError("; ".join(problems))
        costs = self._make_costs()
        object.__setattr__(self, "_costs", costs)  # made once; the model stays frozen
        self._check_parameters(costs)
        return self

    def _make_costs(self) -> TravelCosts:
        """The instance's :class:`TravelCosts`: nothing ``n x m`` is computed here for
        coordinates or a long table; a dense matrix (or a network's) is checked and kept.

        Every finite cost is below :data:`~optmodels.io.SOLVER_INFINITY` (so HiGHS never reads a
        cost as "no cost"; ``inf`` stays "unreachable"): checked on the given costs, and for
        coordinates on the bounding box, whose diagonal bounds every distance.
        """
        costs = self._travel_costs()
        what = "given" if self.distance.kind in ("network", "matrix") else f"computed from the {self.distance.kind} coordinates"

        def refuse(i: int, j: int, value: float, count: int) -> None:
            raise ValueError(
                f"field 'distance': demand {self.demand[i].id!r}, site {self.sites[j].id!r}: expected a "
                f"travel cost below {SOLVER_INFINITY:g} (HiGHS reads {SOLVER_INFINITY:g} and beyond as infinite; "
                f"inf means unreachable), found {value:g} ({what}; {count} such pair(s))"
            )

        if costs.is_dense:
            cost = costs.dense()
            big = np.isfinite(cost) & (cost >= SOLVER_INFINITY)
            if big.any():
                i, j = np.argwhere(big)[0]
                refuse(int(i), int(j), float(cost[i, j]), int(big.sum()))
        elif costs.geometric and self.distance.kind == "euclidean":
            pts = np.vstack([costs._a, costs._b])  # noqa: SLF001 - the instance made them
            span = pts.max(axis=0) - pts.min(axis=0)
            if float(np.hypot(span[0], span[1])) >= SOLVER_INFINITY:
                if self.n_demand * self.n_sites <= DENSE_MAX_CELLS:  # small: name the pair
                    cost = costs.dense()
                    big = cost >= SOLVER_INFINITY
                    if big.any():
                        i, j = np.argwhere(big)[0]
                        refuse(int(i), int(j), float(cost[i, j]), int(big.sum()))
                else:
                    raise ValueError(
                        f"field 'distance': the x, y coordinates span {span[0]:g} x {span[1]:g}: travel costs "
                        f"computed from the euclidean coordinates may reach {SOLVER_INFINITY:g} (HiGHS reads "
                        "that and beyond as infinite); expected coordinates in a unit that keeps every distance below it"
                    )
        elif not costs.geometric:
            pairs = self.distance.matrix
            big = np.flatnonzero(pairs.cost >= SOLVER_INFINITY)
            if big.size:
                k = int(big[0])
                refuse(int(np.searchsorted(pairs.indptr, k, side="right") - 1), int(pairs.site[k]),
                       float(pairs.cost[k]), big.size)
        return costs

    def _travel_costs(self) -> TravelCosts:
        kind = self.distance.kind
        n, m = len(self.demand), len(self.sites)
        if kind in ("euclidean", "great_circle"):
            a, b = ("x", "y") if kind == "euclidean" else ("lon", "lat")
            for label, items in (("demand", self.demand), ("sites", self.sites)):
                for axis in (a, b):
                    if (bad := np.flatnonzero(np.isnan(items.column(axis)))).size:
                        row = int(bad[0])
                        raise ValueError(
                            f"field '{label}[{row}]': distance kind {kind!r} needs {a} and {b}, "
                            f"found none for id {items.column('id')[row]!r}"
                        )
            xy = np.column_stack([self.demand.column(a), self.demand.column(b)])
            sxy = np.column_stack([self.sites.column(a), self.sites.column(b)])
            return TravelCosts.coordinates(kind, xy, sxy)
        mat = self.distance.matrix
        if mat is None:
            raise ValueError(f"field 'distance.matrix': distance kind {kind!r} needs a matrix or table")
        if isinstance(mat, Pairs):
            if (mat.n, mat.m) != (n, m):
                raise ValueError(
                    f"field 'distance.matrix': expected pairs of ({n} demand points, {m} sites), found ({mat.n}, {mat.m})"
                )
            if (bad := np.flatnonzero(~(mat.cost >= 0))).size:
                k = int(bad[0])
                i = int(np.searchsorted(mat.indptr, k, side="right") - 1)
                raise ValueError(
                    f"field 'distance.matrix': demand {self.demand.column('id')[i]!r}, site "
                    f"{self.sites.column('id')[mat.site[k]]!r}: expected a cost >= 0, found {mat.cost[k]}"
                )
            return TravelCosts.from_pairs(mat, kind)
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
        return TravelCosts.from_dense(mat, kind)

    def _check_parameters(self, costs: TravelCosts) -> None:
        par, model = self.parameters, self.model
        spec = MODEL_SPECS[model]
        m = len(self.sites)
        kept = int((self.sites.column("existing") & ~self.sites.column("closable")).sum())
        if par.budget is not None and not spec.takes("budget"):
            takers = ", ".join(n for n, s in MODEL_SPECS.items() if s.takes("budget"))
            raise ValueError(
                f"field 'parameters.budget': model {model} takes no budget (models with one: {takers}); "
                f"found {par.budget:g} -- remove it (--budget none) rather than have it ignored"
            )
        if "p_or_budget" in spec.needs and par.p is None and par.budget is None:
            raise ValueError(f"field 'parameters.p': model {model} needs p (or a budget), found neither")
        if "p" in spec.needs and par.p is None:
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
        if sm is not None:
            # +inf (unreachable) is allowed, as in distance.matrix; NaN, negatives and finite
            # costs HiGHS would read as infinite are not costs
            sm = np.asarray(sm, dtype=float)
            if (bad := np.argwhere(~(sm >= 0) | (np.isfinite(sm) & (sm >= SOLVER_INFINITY)))).size:
                a, b = bad[0]
                raise ValueError(
                    f"field 'distance.site_matrix': site {self.sites[a].id!r}, site {self.sites[b].id!r}: "
                    f"expected a cost >= 0 and below {SOLVER_INFINITY:g} (or inf), found {sm[a, b]}"
                )
        if model == "p_dispersion" and self.site_cost_matrix() is None:
            raise ValueError(
                "field 'distance.site_matrix': p_dispersion needs site-to-site distances: site "
                "coordinates (x, y or lon, lat), a network, or distance.site_matrix (a site x site "
                f"table); the {self.distance.kind!r} distance gives demand-to-site costs only, found none"
            )
        if "radius" in spec.needs and par.radius is None:
            raise ValueError(f"field 'parameters.radius': model {model} needs a coverage radius, found none")
        if costs.geometric and par.cutoff is None and not (spec.covers and model != "mclp"):
            return self._check_capacities()  # coordinates reach every site: nothing to look up
        nearest = self.nearest_cost()
        reachable = nearest <= (par.cutoff if par.cutoff is not None else np.inf)
        if (bad := np.flatnonzero(~reachable)).size:
            i = int(bad[0])
            why = f"within the cut-off {par.cutoff}" if par.cutoff else "reachable"
            raise ValueError(
                f"field 'demand[{i}]': demand point {self.demand[i].id!r} has no site {why} "
                f"({bad.size} such point(s))"
            )
        if spec.covers and model != "mclp":  # LSCP and LSCP-B must cover every demand point
            covered = nearest <= par.radius
            if (bad := np.flatnonzero(~covered)).size:
                i = int(bad[0])
                raise ValueError(
                    f"field 'parameters.radius': demand point {self.demand[i].id!r} (row {i}) has no "
                    f"site within radius {par.radius} (nearest {nearest[i]:.6g}); {model} is "
                    f"infeasible ({bad.size} such point(s))"
                )
        self._check_capacities()

    def _check_capacities(self) -> None:
        par, model = self.parameters, self.model
        if capacities_bind(model, par.capacitated):
            missing = np.flatnonzero(np.isnan(self.sites.column("capacity")))
            if missing.size:
                row = int(missing[0])
                raise ValueError(
                    f"field 'sites[{row}].capacity': a capacitated {model} needs a capacity "
                    f"for every site, found none for {self.sites[row].id!r} ({missing.size} site(s))"
                )
            if model != "mclp":  # MCLP may leave demand uncovered
                total_cap = float(self.sites.column("capacity").sum())
                total_pop = float(self.populations().sum())
                if total_cap < total_pop:
                    raise ValueError(
                        f"field 'sites.capacity': total capacity {total_cap:.6g} is below total "
                        f"demand {total_pop:.6g}; no assignment can serve everyone"
                    )

    # -- array views (computed once: a frozen instance never changes) ----------------------------
    @functools.cached_property
    def arrays(self) -> SitingArrays:
        """The records as read-only numpy arrays, built on first use and kept."""
        return SitingArrays.of(self)

    @property
    def demand_ids(self) -> list[str]:
        return list(self.arrays.demand_ids)

    @property
    def site_ids(self) -> list[str]:
        return list(self.arrays.site_ids)

    @property
    def n_demand(self) -> int:
        return len(self.demand)

    @property
    def n_sites(self) -> int:
        return len(self.sites)

    def populations(self) -> np.ndarray:
        return self.arrays.population

    def supplies(self) -> np.ndarray:
        return self.arrays.supply

    def supply_mins(self) -> np.ndarray:
        return self.arrays.supply_min

    def supply_maxima(self) -> np.ndarray:
        """The equity models' upper supply bounds (``inf`` where none is given)."""
        return self.arrays.supply_max

    def fixed_costs(self) -> np.ndarray:
        return self.arrays.fixed_cost

    def capacities(self) -> np.ndarray:
        """Capacities (``inf`` where none is given)."""
        return self.arrays.capacity

    def existing(self) -> np.ndarray:
        return self.arrays.existing

    def fixed_open(self) -> np.ndarray:
        """Sites that must be open: existing and not closable."""
        return self.arrays.fixed_open

    def closable(self) -> np.ndarray:
        return self.arrays.closable

    def closing_savings(self) -> np.ndarray:
        return self.arrays.closing_saving

    @property
    def costs(self) -> TravelCosts:
        """The travel costs (:class:`~optmodels.siting.data.costs.TravelCosts`): dense when
        small, pairs from a KD-tree or a long table when not. Ignores the cut-off."""
        return self._costs

    @functools.cached_property
    def is_large(self) -> bool:
        """No dense array held, and either too many demand x site cells for the dense array the
        city-scale models read (:data:`~optmodels.siting.data.costs.DENSE_MAX_CELLS`) or not
        memory enough for it and its working copies: the models and the evaluator work on pairs.
        Decided once per instance (on the memory free when first asked)."""
        from optmodels.resources import fits

        if self._costs.is_dense:
            return False
        return self.n_demand * self.n_sites > DENSE_MAX_CELLS or not fits(DENSE_COPIES * self._costs.dense_bytes)

    @functools.cached_property
    def _nearest(self) -> Pairs:
        return self._costs.nearest(1)

    def nearest_cost(self) -> np.ndarray:
        """Each demand point's cost to its nearest site (``inf`` if none is reachable), ignoring
        the cut-off."""
        near = self._nearest
        out = np.full(self.n_demand, np.inf)
        has = near.counts > 0
        out[has] = near.cost[near.indptr[:-1][has]]
        return out

    def full_cost_matrix(self) -> np.ndarray:
        """All travel costs (read-only), ignoring the cut-off; ``inf`` only where unreachable.

        Dense: refused with the memory it needs when it does not fit (exit 2); the models that
        work at population-grid scale read :attr:`costs` instead.
        """
        return self._costs.dense()

    def cost_matrix(self) -> np.ndarray:
        """Dense ``(n_demand, n_sites)`` costs with ``inf`` beyond the cut-off or unreachable."""
        return self._cutoff_cost

    @functools.cached_property
    def _cutoff_cost(self) -> np.ndarray:
        cost = self._costs.dense()
        if self.parameters.cutoff is None:
            return cost
        return _read_only(np.where(cost <= self.parameters.cutoff, cost, np.inf))

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
        sites = self.sites
        xy = sites.has("x") and sites.has("y")
        ll = sites.has("lon") and sites.has("lat")
        if kind != "great_circle" and xy:
            xs, ys = sites.column("x"), sites.column("y")
            return distances.euclidean(xs, ys, xs, ys)
        if ll and kind in ("great_circle", "matrix", "network"):
            lon, lat = sites.column("lon"), sites.column("lat")
            km = distances.great_circle(lon, lat, lon, lat)
            metres = kind != "great_circle" and (self.distance.unit or "").lower() in ("m", "metre", "metres", "meter", "meters")
            return km * 1000.0 if metres else km
        return None

    def pairs(self, limit: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The sparse pair set ``(i, j, d_ij)`` of finite costs within the cut-off (and within
        ``limit`` if given), ordered by point, then cost. Never builds the dense array when the
        instance does not hold one already."""
        bound = min(v for v in (limit, self.parameters.cutoff, np.inf) if v is not None)
        if self._costs.is_dense or not np.isfinite(bound):
            cost = self.cost_matrix()
            mask = np.isfinite(cost) if limit is None else cost <= limit
            i, j = np.nonzero(mask)
            return i, j, cost[i, j]
        return self._costs.within(bound).coo()

    def with_changes(self, model: str | None = None, **parameters: Any) -> SitingInstance:
        """A copy with another model and/or parameter values, validated again.

        ``parameters`` may also name ``access`` fields as ``access_<field>``.
        """
        data = self.model_dump(exclude={"distance", "demand", "sites"})
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
    def from_file(cls, path: str | Path) -> SitingInstance:
        """Read and validate an instance file (tables beside it resolved): :func:`load`."""
        return load(path)

    @classmethod
    def from_arrays(cls, cost: np.ndarray, population: Sequence[float] | None = None, **kwargs: Any) -> SitingInstance:
        """An instance from a cost matrix (like spopt's ``from_cost_matrix``):
        :func:`optmodels.siting.data.tables.from_arrays`."""
        from optmodels.siting.data import tables

        return tables.from_arrays(cost, population, **kwargs)

    @classmethod
    def from_dataframes(cls, demand: pd.DataFrame, sites: pd.DataFrame, cost: pd.DataFrame | None = None,
                        **kwargs: Any) -> SitingInstance:
        """An instance from tables: :func:`optmodels.siting.data.tables.from_dataframes`."""
        from optmodels.siting.data import tables

        return tables.from_dataframes(demand, sites, cost, **kwargs)

    @classmethod
    def from_geodataframes(cls, demand: Any, sites: Any, **kwargs: Any) -> SitingInstance:
        """An instance from GeoDataFrames (the ``geo`` extra):
        :func:`optmodels.siting.data.tables.from_geodataframes`."""
        from optmodels.siting.data import tables

        return tables.from_geodataframes(demand, sites, **kwargs)


def load(path: str | Path) -> SitingInstance:
    """Read and validate a siting instance file (tables beside it resolved)."""
    from optmodels.siting.data import tables

    return tables.load(path)


def from_document(doc: Mapping[str, Any], file: str | Path | None = None) -> SitingInstance:
    """Validate an already-read document (tables resolved beside ``file``)."""
    from optmodels.siting.data import tables

    return tables.from_document(doc, file)
