"""The equipment-allocation instance (seed 003; spec §1): schema, validation, array view.

File layout (JSON / YAML / TOML; ``hospitals`` and ``regions`` may instead be a table reference
``{"table": "hospitals.csv"}`` beside the file, with per-year values in columns ``population_1``
.. ``population_n`` / ``arrival_rate_1`` .. ``arrival_rate_n``)::

    family = "equipment"
    name = "tiny"
    years = [2026, 2027]           # labels of the planning years j = 1..n
    hours_per_year = 3000          # operating hours: converts hourly rates to annual volumes
    price = 2.5                    # unit price B (scalar, or one per year); hospitals may override
    budget = 10.0                  # total budget A
    yearly_budget = [6, 6]         # optional, per year
    max_new_per_year = 3           # optional cap on sets added in one year
    costs = { running_per_hour = 0.01, waiting_per_hour = 0.002 }   # h and b
    gini = { lo = 0.2, hi = 0.3, mode = "mean" }   # omitted: these; lo = 0: no lower side
    regions = [ { id = "A", population = [1.2e6, 1.25e6] }, ... ]
    hospitals = [ { id = "A1", region = "A", existing = 1, capacity = 6000,
                    service_rate = 2.5, arrival_rate = [1.8, 2.2] }, ... ]
    demand = { A = [9000, 9500], ... }   # optional annual exams per region and year

Demand and arrival rates: give ``arrival_rate`` per hospital (then the regional demand is
``hours_per_year * sum of rates``), or ``demand`` per region (then each hospital's rate is the
regional demand per hour split in proportion to its existing capacity, equally if the region has
none), or both. The choice of a proportional split is the simple, general one: it keeps every
hospital's load per installed capacity equal before any addition.

Every number, in the file or its tables, is finite and of magnitude below 1e20 (HiGHS reads
1e20 and beyond as infinite: :data:`optmodels.io.SOLVER_INFINITY`): NaN, +-inf and 1e21 are
rejected with the field (and the table row) named.

Cheap infeasibility checks (raised before any solver runs, naming the numbers): a queue that
stays unstable even if the hospital adds a set every year; demand above the capacity of every
possible addition; a budget below the cheapest plan that keeps queues stable and covers demand.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from optmodels import io
from optmodels.contract import Objective, objective_table
from optmodels.errors import InstanceError
from optmodels.io import Finite, FiniteInt, IntOrText, NumberOrList

ObjectiveName = Literal["cost", "utilisation", "equity"]
#: The family's objectives, all minimised: the one definition every layer reads. ``utilisation``
#: is optimised through idle capacity (same optimal plans as maximising the seed's Z, which
#: reports show).
OBJECTIVES = objective_table(
    Objective("cost", "min", "cost over the horizon (purchases + running + waiting)"),
    Objective("utilisation", "min", "idle capacity (capacity - demand; minimised in place of maximising utilisation Z)", "exams"),
    Objective("equity", "min", "mean yearly Gini"),
)

#: Every number of the schema is finite (pydantic rejects NaN and +-inf) and below HiGHS's
#: infinity (:data:`~optmodels.io.Finite`): no field of this family gives an infinite value a
#: meaning, and a NaN price or budget would reach the solver.
_FROZEN = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class Region(BaseModel):
    model_config = _FROZEN
    id: str = Field(min_length=1)
    population: list[Finite] = Field(min_length=1, description="population per year (> 0)")

    @field_validator("population")
    @classmethod
    def _positive(cls, v: list[float]) -> list[float]:
        for j, p in enumerate(v):
            if not (p > 0 and math.isfinite(p)):
                raise ValueError(f"population of year {j + 1} must be > 0, found {p}")
        return v


class Hospital(BaseModel):
    model_config = _FROZEN
    id: str = Field(min_length=1)
    region: str = Field(min_length=1)
    existing: FiniteInt = Field(ge=0, description="sets installed now (e0)")
    capacity: Finite = Field(gt=0, description="annual exams per set (the seed's N)")
    service_rate: Finite = Field(gt=0, description="exams per hour per set (mu)")
    arrival_rate: list[Finite] | None = Field(
        default=None, description="exam requests per hour, one per year (lambda)"
    )
    price: NumberOrList | None = Field(default=None, description="unit price override")
    priority: Finite | None = Field(default=None, description="Delphi composite score (report only)")

    @field_validator("arrival_rate")
    @classmethod
    def _nonneg(cls, v: list[float] | None) -> list[float] | None:
        if v is not None:
            for j, a in enumerate(v):
                if not (a >= 0 and math.isfinite(a)):
                    raise ValueError(f"arrival rate of year {j + 1} must be >= 0, found {a}")
        return v


class Costs(BaseModel):
    model_config = _FROZEN
    running_per_hour: Finite = Field(ge=0, description="h: running cost per installed set per hour")
    waiting_per_hour: Finite = Field(ge=0, description="b: waiting loss per patient per hour in system")


class GiniBand(BaseModel):
    """The band on the population-weighted Gini of sets per capita.

    Omitted keys take the seed's band: ``lo`` 0.2, ``hi`` 0.3, ``mode`` mean. An omitted ``lo``
    is therefore **0.2, not "no lower side"** (TOML has no null). For no lower side write
    ``lo = 0`` (every Gini is >= 0, so the side is dropped from the model); JSON/YAML may also
    write ``null``. For no upper side write ``hi = 1``.
    """

    model_config = _FROZEN
    lo: float | None = Field(default=0.2, ge=0, le=1,
                             description="lower side; omitted: 0.2; 0 (or null) for none")
    hi: float = Field(default=0.3, ge=0, le=1, description="upper side; omitted: 0.3; 1 for none")
    mode: Literal["mean", "each_year"] = "mean"

    @model_validator(mode="after")
    def _ordered(self) -> GiniBand:
        if self.lo is not None and self.lo > self.hi:
            raise ValueError(f"gini band needs lo <= hi, found lo={self.lo} > hi={self.hi}")
        return self


class DelphiIndicator(BaseModel):
    model_config = _FROZEN
    name: str
    counts: list[FiniteInt] = Field(min_length=4, max_length=4, description="experts giving score 1..4")

    @field_validator("counts")
    @classmethod
    def _counts(cls, v: list[int]) -> list[int]:
        if any(c < 0 for c in v) or sum(v) == 0:
            raise ValueError(f"expert counts must be >= 0 with at least one expert, found {v}")
        return v


class Delphi(BaseModel):
    """Optional Delphi survey: indicator weights and hospitals' indicator scores (seed 003)."""

    model_config = _FROZEN
    indicators: list[DelphiIndicator] = Field(min_length=1)
    scores: dict[str, list[Finite]] = Field(description="hospital id -> one score per indicator")


class EquipmentInstance(BaseModel):
    """A validated equipment-allocation instance; if it exists, it is valid."""

    model_config = _FROZEN

    family: Literal["equipment"]
    name: str = "equipment"
    description: str = ""
    years: list[IntOrText] = Field(min_length=1)
    hours_per_year: Finite = Field(default=3000.0, gt=0)
    price: NumberOrList = Field(description="unit price B (scalar or one per year)")
    budget: Finite = Field(ge=0, description="total budget A")
    yearly_budget: list[Finite] | None = None
    max_new_per_year: FiniteInt | None = Field(default=None, ge=0)
    costs: Costs
    gini: GiniBand = GiniBand()
    regions: list[Region] = Field(min_length=2)
    hospitals: list[Hospital] = Field(min_length=1)
    demand: dict[str, list[Finite]] | None = None
    objective: ObjectiveName = "cost"
    delphi: Delphi | None = None

    # ---- cross-field rules ------------------------------------------------------------------
    @model_validator(mode="after")
    def _cross_checks(self) -> EquipmentInstance:
        n = len(self.years)
        problems: list[str] = []
        if len(set(map(str, self.years))) != n:
            problems.append(f"field 'years': expected distinct years, found {self.years}")
        rid = [r.id for r in self.regions]
        seen: set[str] = set()
        for a, r in enumerate(self.regions):
            if r.id in seen:
                problems.append(f"field 'regions[{a}].id': duplicate region id {r.id!r}")
            seen.add(r.id)
            if len(r.population) != n:
                problems.append(
                    f"field 'regions[{a}].population': expected {n} values (one per year), "
                    f"found {len(r.population)}"
                )
        region_set = set(rid)
        hid: set[str] = set()
        for k, h in enumerate(self.hospitals):
            where = f"hospitals[{k}] (id {h.id!r})"
            if h.id in hid:
                problems.append(f"field '{where}.id': duplicate hospital id")
            hid.add(h.id)
            if h.region not in region_set:
                problems.append(
                    f"field '{where}.region': expected one of the regions {sorted(region_set)}, "
                    f"found {h.region!r}"
                )
            if h.arrival_rate is not None and len(h.arrival_rate) != n:
                problems.append(
                    f"field '{where}.arrival_rate': expected {n} values, found {len(h.arrival_rate)}"
                )
            if isinstance(h.price, list) and len(h.price) != n:
                problems.append(f"field '{where}.price': expected {n} values, found {len(h.price)}")
            if h.price is not None and any(p <= 0 for p in _as_list(h.price)):
                problems.append(f"field '{where}.price': expected > 0, found {h.price}")
        if isinstance(self.price, list) and len(self.price) != n:
            problems.append(f"field 'price': expected {n} values (one per year), found {len(self.price)}")
        if any(p <= 0 for p in _as_list(self.price)):
            problems.append(f"field 'price': expected > 0, found {self.price}")
        if self.yearly_budget is not None:
            if len(self.yearly_budget) != n:
                problems.append(
                    f"field 'yearly_budget': expected {n} values, found {len(self.yearly_budget)}"
                )
            if any(b < 0 for b in self.yearly_budget):
                problems.append(f"field 'yearly_budget': expected >= 0, found {self.yearly_budget}")
        if self.demand is not None:
            for key, values in self.demand.items():
                if key not in region_set:
                    problems.append(
                        f"field 'demand.{key}': expected a region id from {sorted(region_set)}, found {key!r}"
                    )
                elif len(values) != n:
                    problems.append(f"field 'demand.{key}': expected {n} values, found {len(values)}")
                elif any(not (v >= 0 and math.isfinite(v)) for v in values):
                    problems.append(f"field 'demand.{key}': expected values >= 0, found {values}")
        missing = [h.id for h in self.hospitals if h.arrival_rate is None]
        if missing and self.demand is None:
            problems.append(
                "field 'hospitals[].arrival_rate' / 'demand': expected arrival rates for every "
                f"hospital or a regional demand table, found neither for {missing[:5]}"
            )
        if self.delphi is not None:
            m = len(self.delphi.indicators)
            for key, scores in self.delphi.scores.items():
                if key not in hid:
                    problems.append(f"field 'delphi.scores.{key}': expected a hospital id, found {key!r}")
                elif len(scores) != m:
                    problems.append(
                        f"field 'delphi.scores.{key}': expected {m} scores (one per indicator), found {len(scores)}"
                    )
        if problems:
            raise InstanceError(problems=problems)
        self._feasibility_checks()
        return self

    def _feasibility_checks(self) -> None:
        """Cheap proofs of infeasibility, each naming the data that causes it."""
        d = self.data
        n = d.n_years
        reachable = d.e0[:, None] + np.arange(1, n + 1)[None, :]  # a set added every year
        bad = np.argwhere(d.c_min > reachable)
        if bad.size:
            k, j = bad[0]
            raise InstanceError(
                "queue instability that no allowed addition can fix",
                field=f"hospitals[{k}] (id {d.hospitals[k]!r}).arrival_rate[{j}]",
                expected=f"lambda < c*mu with at most {int(reachable[k, j])} sets by year {self.years[j]} "
                f"(mu = {d.mu[k]:g})",
                found=f"lambda = {d.lam[k, j]:g} needs {int(d.c_min[k, j])} sets",
            )
        cap_max = np.zeros((d.n_regions, n))
        np.add.at(cap_max, d.region_of, d.cap[:, None] * reachable)
        short = np.argwhere(cap_max < d.demand - 1e-9)
        if short.size:
            i, j = short[0]
            raise InstanceError(
                "demand above what every allowed addition could examine",
                field=f"demand of region {d.regions[i]!r} in year {self.years[j]}",
                expected=f"<= {cap_max[i, j]:g} exams (a set added every year at each hospital)",
                found=f"{d.demand[i, j]:g}",
            )
        lower = d.min_purchase_cost()
        if lower > self.budget + 1e-9:
            raise InstanceError(
                "budget below the cheapest plan that keeps queues stable and covers demand",
                field="budget",
                expected=f">= {lower:g} (a lower bound on the purchases any feasible plan needs)",
                found=self.budget,
            )

    # ---- array view -------------------------------------------------------------------------
    @functools.cached_property
    def data(self) -> EquipmentData:
        return EquipmentData.from_instance(self)

    # ---- files --------------------------------------------------------------------------------
    @classmethod
    def from_file(cls, path: str | Path) -> EquipmentInstance:
        path = Path(path)
        raw = io.read_document(path)
        return cls.from_dict(raw, base=path.parent, file=path)

    @classmethod
    def from_dict(
        cls, raw: Mapping[str, Any], *, base: Path | None = None, file: str | Path | None = None
    ) -> EquipmentInstance:
        data = dict(raw)
        n = len(data["years"]) if isinstance(data.get("years"), list) else 0
        for key, prefix in (("hospitals", "arrival_rate_"), ("regions", "population_")):
            value = data.get(key)
            if isinstance(value, (str, Mapping)):
                frame = io.read_table(value, base, file=file, field=key)
                data[key] = _rows_with_lists(io.records(frame), prefix, n, key, file)
        return io.validate(cls, data, file=file)


def _as_list(v: float | list[float]) -> list[float]:
    return v if isinstance(v, list) else [v]


def _rows_with_lists(
    rows: list[dict[str, Any]], prefix: str, n: int, field: str, file: str | Path | None
) -> list[dict[str, Any]]:
    """Gather columns ``<prefix>1 .. <prefix>n`` of a table into one list per row."""
    target = prefix.rstrip("_")
    out = []
    for r, row in enumerate(rows):
        cols = sorted(
            (c for c in row if c.startswith(prefix)), key=lambda c: int(c[len(prefix):]) if c[len(prefix):].isdigit() else 10**9
        )
        if cols:
            bad = [c for c in cols if not c[len(prefix):].isdigit()]
            if bad:
                raise InstanceError(file=file, field=f"{field} row {r + 1}", expected=f"columns {prefix}1..{prefix}{n}", found=bad)
            row = {k: v for k, v in row.items() if k not in cols}
            values = [rows[r][c] for c in cols]
            row[target] = values
        out.append(row)
    return out


@dataclass(frozen=True)
class EquipmentData:
    """The instance as numpy arrays (hospital-major, years 0..n-1), shared by the builder,
    the evaluator and the pymoo problem so that all three read the same numbers."""

    regions: list[str]
    hospitals: list[str]
    years: list[int | str]
    region_of: np.ndarray  # (K,) region index of each hospital
    e0: np.ndarray  # (K,) existing sets
    cap: np.ndarray  # (K,) annual exams per set
    mu: np.ndarray  # (K,) service rate per set (per hour)
    lam: np.ndarray  # (K, n) arrival rates (per hour)
    demand: np.ndarray  # (m, n) annual exams per region
    pop: np.ndarray  # (m, n)
    price: np.ndarray  # (K, n)
    c_min: np.ndarray  # (K, n) smallest stable count floor(lam/mu)+1 (0 when lam = 0)
    budget: float
    yearly_budget: np.ndarray | None
    max_new_per_year: int | None
    h: float
    b: float
    hours: float
    gini_lo: float | None
    gini_hi: float
    gini_mode: str

    @property
    def n_years(self) -> int:
        return len(self.years)

    @property
    def n_regions(self) -> int:
        return len(self.regions)

    @property
    def n_hospitals(self) -> int:
        return len(self.hospitals)

    @property
    def shares(self) -> np.ndarray:
        """Population shares Y[i, j]."""
        return self.pop / self.pop.sum(axis=0, keepdims=True)

    @classmethod
    def from_instance(cls, inst: EquipmentInstance) -> EquipmentData:
        n = len(inst.years)
        regions = [r.id for r in inst.regions]
        ridx = {r: i for i, r in enumerate(regions)}
        hs = inst.hospitals
        region_of = np.array([ridx[h.region] for h in hs], dtype=int)
        e0 = np.array([h.existing for h in hs], dtype=float)
        cap = np.array([h.capacity for h in hs], dtype=float)
        mu = np.array([h.service_rate for h in hs], dtype=float)
        pop = np.array([r.population for r in inst.regions], dtype=float)
        base_price = np.broadcast_to(np.asarray(inst.price, dtype=float), (n,))
        price = np.array(
            [np.broadcast_to(np.asarray(h.price, dtype=float), (n,)) if h.price is not None else base_price for h in hs]
        )
        m = len(regions)
        given = np.array([h.arrival_rate is not None for h in hs])
        lam = np.array([h.arrival_rate if h.arrival_rate is not None else [0.0] * n for h in hs], dtype=float)
        if inst.demand is not None:
            demand = np.array([inst.demand.get(r, [0.0] * n) for r in regions], dtype=float)
        else:
            demand = np.zeros((m, n))
            np.add.at(demand, region_of, lam * inst.hours_per_year)
        if not given.all():
            # Split each region's demand (minus what hospitals with given rates carry) by existing
            # capacity; equally when a region has no existing capacity.
            carried = np.zeros((m, n))
            np.add.at(carried, region_of, lam * inst.hours_per_year)
            rest = np.maximum(demand - carried, 0.0) / inst.hours_per_year
            weight = np.where(given, 0.0, e0 * cap)
            wsum = np.zeros(m)
            np.add.at(wsum, region_of, weight)
            count = np.zeros(m)
            np.add.at(count, region_of, (~given).astype(float))
            share = np.where(
                wsum[region_of] > 0,
                weight / np.where(wsum[region_of] > 0, wsum[region_of], 1.0),
                np.where(given, 0.0, 1.0) / np.maximum(count[region_of], 1.0),
            )
            lam = np.where(given[:, None], lam, share[:, None] * rest[region_of])
        c_min = np.where(lam > 0, np.floor(lam / mu[:, None]) + 1, 0.0)
        return cls(
            regions=regions,
            hospitals=[h.id for h in hs],
            years=list(inst.years),
            region_of=region_of,
            e0=e0,
            cap=cap,
            mu=mu,
            lam=lam,
            demand=demand,
            pop=pop,
            price=price,
            c_min=c_min,
            budget=float(inst.budget),
            yearly_budget=None if inst.yearly_budget is None else np.asarray(inst.yearly_budget, dtype=float),
            max_new_per_year=inst.max_new_per_year,
            h=inst.costs.running_per_hour,
            b=inst.costs.waiting_per_hour,
            hours=inst.hours_per_year,
            gini_lo=inst.gini.lo,
            gini_hi=inst.gini.hi,
            gini_mode=inst.gini.mode,
        )

    def required_additions(self) -> np.ndarray:
        """(K, n) additions each hospital must have made by year j for its queue to be stable."""
        need = np.maximum(self.c_min - self.e0[:, None], 0.0)
        return np.maximum.accumulate(need, axis=1)

    def min_purchase_cost(self) -> float:
        r"""A valid lower bound on the purchases of any plan that keeps queues stable and covers
        demand (budget, band and caps ignored: it bounds every feasible plan).

        Regions buy disjoint sets, so the bound is a sum over regions. For region i and year j,
        let :math:`a_k` be the sets hospital k has added by year j. Any feasible plan has
        :math:`need_{kj} \le a_k \le j+1` (stability; one set a year) and
        :math:`\sum_k N_k (e0_k + a_k) \ge D_{ij}` (coverage). The sets added beyond
        :math:`need_{kj}` must close the remaining gap; the fewest that can, with at most
        :math:`j+1-need_{kj}` more at hospital k, are the largest capacities first (a
        unit-cost covering problem, which the greedy solves exactly). Every set costs at least
        its hospital's cheapest price, so year j gives
        :math:`\sum_k need_{kj}\min_j B_{kj} + extra_{ij}\min_{k\in K_i,j} B_{kj}`, and the
        region's purchases over the horizon are at least the largest of these over j.

        Each year is bounded on its own, never summed across years: a set bought early for a
        later queue also closes an early demand gap, and a bound that counts the two
        separately is not a bound.
        """
        need = self.required_additions()  # (K, n), non-decreasing in j
        cheapest = self.price.min(axis=1)  # (K,)
        total = 0.0
        for i in range(self.n_regions):
            ks = np.flatnonzero(self.region_of == i)
            if ks.size == 0:
                continue
            region_cheapest = float(cheapest[ks].min())
            best = 0.0
            for j in range(self.n_years):
                a = need[ks, j]
                lower = float(a @ cheapest[ks])
                gap = float(self.demand[i, j] - self.cap[ks] @ (self.e0[ks] + a))
                if gap > 1e-9:
                    room = np.maximum(j + 1 - a, 0.0).astype(int)
                    caps = np.sort(np.repeat(self.cap[ks], room))[::-1]
                    cum = np.cumsum(caps)
                    if cum.size == 0 or cum[-1] < gap - 1e-9:
                        return math.inf  # no plan covers this demand (the caller reports it)
                    lower += int(np.searchsorted(cum, gap - 1e-9) + 1) * region_cheapest
                best = max(best, lower)
            total += best
        return total
