"""Numpy evaluator of an allocation plan, independent of Pyomo.

Given a plan ``x`` -- a (K, n) 0/1 matrix, hospital k adds a set in year j -- it recomputes every
objective and every constraint's slack from the instance data alone, with the exact Erlang-C
queue (not the MILP's secants) and the pairwise Gini (not its linearisation). Tests check every
solve against it; the pymoo problem uses it (vectorised over a population of plans).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from optmodels.analysis.gini import gini_pairwise
from optmodels.analysis.queueing import mmc
from optmodels.equipment.instance import EquipmentData, EquipmentInstance

TOL = 1e-6


@dataclass(frozen=True)
class Evaluation:
    """Objectives, derived quantities and slacks of one plan (slack >= 0 means satisfied)."""

    x: np.ndarray  # (K, n)
    sets: np.ndarray  # (K, n) installed sets c
    region_sets: np.ndarray  # (m, n) s
    total_sets: np.ndarray  # (n,) T
    gini: np.ndarray  # (n,) population-weighted Gini per year
    purchases: np.ndarray  # (n,) money spent per year
    running: np.ndarray  # (n,) h * H * sum c
    waiting: np.ndarray  # (n,) b * H * sum L
    L: np.ndarray  # (K, n) mean number in system
    capacity: np.ndarray  # (m, n) exams the region can perform
    slacks: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def cost(self) -> float:
        return float(self.purchases.sum() + self.running.sum() + self.waiting.sum())

    @property
    def idle(self) -> float:
        return float(self.capacity.sum() - self._demand_total)

    @property
    def mean_gini(self) -> float:
        return float(self.gini.mean())

    @property
    def utilisation(self) -> float:
        """The seed's Z = exams performed / capacity of installed sets (demand covered: Q = D)."""
        return float(self._performed / self.capacity.sum())

    @property
    def utilisation_by_year(self) -> np.ndarray:
        return self._performed_by_year / self.capacity.sum(axis=0)

    _demand_total: float = 0.0
    _performed: float = 0.0
    _performed_by_year: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def objective(self, name: str) -> float:
        """The value of a named objective as the MILP states it."""
        return {"cost": self.cost, "utilisation": self.idle, "equity": self.mean_gini}[name]

    @property
    def violations(self) -> dict[str, float]:
        """The most negative slack of each violated constraint family."""
        return {k: float(v.min()) for k, v in self.slacks.items() if v.size and v.min() < -TOL}

    @property
    def feasible(self) -> bool:
        return not self.violations


def evaluate(instance: EquipmentInstance | EquipmentData, x: np.ndarray) -> Evaluation:
    """Evaluate plan ``x`` (K x n, entries 0/1) against every constraint and objective."""
    d = instance.data if isinstance(instance, EquipmentInstance) else instance
    x = np.asarray(x, dtype=float)
    if x.shape != (d.n_hospitals, d.n_years):
        raise ValueError(f"plan must be {d.n_hospitals} x {d.n_years}, found {x.shape}")
    n, m = d.n_years, d.n_regions
    c = d.e0[:, None] + np.cumsum(x, axis=1)
    s = np.zeros((m, n))
    np.add.at(s, d.region_of, c)
    T = s.sum(axis=0)
    gini = np.array([gini_pairwise(s[:, j], d.pop[:, j]) for j in range(n)])
    purchases = (d.price * x).sum(axis=0)
    q = mmc(d.lam, d.mu[:, None], c)
    running = d.h * d.hours * c.sum(axis=0)
    waiting = d.b * d.hours * q.l.sum(axis=0)
    capacity = np.zeros((m, n))
    np.add.at(capacity, d.region_of, d.cap[:, None] * c)
    slacks: dict[str, np.ndarray] = {
        # 0 for a 0/1 entry, negative by how far an entry is from {0, 1} otherwise.
        "binary": -np.minimum(np.abs(x), np.abs(x - 1)).ravel(),
        "budget": np.array([d.budget - purchases.sum()]),
        "demand_coverage": (capacity - d.demand).ravel(),
        "queue_stability": (c - d.c_min).ravel(),
    }
    if d.yearly_budget is not None:
        slacks["yearly_budget"] = d.yearly_budget - purchases
    if d.max_new_per_year is not None:
        slacks["max_new"] = d.max_new_per_year - x.sum(axis=0)
    if d.gini_mode == "each_year":
        slacks["gini_upper"] = d.gini_hi - gini
        if d.gini_lo is not None:
            slacks["gini_lower"] = gini - d.gini_lo
    else:
        slacks["gini_mean_upper"] = np.array([d.gini_hi - gini.mean()])
        if d.gini_lo is not None:
            slacks["gini_mean_lower"] = np.array([gini.mean() - d.gini_lo])
    performed_by_year = np.minimum(capacity, d.demand).sum(axis=0)
    return Evaluation(
        x=x,
        sets=c,
        region_sets=s,
        total_sets=T,
        gini=gini,
        purchases=purchases,
        running=running,
        waiting=waiting,
        L=q.l,
        capacity=capacity,
        slacks=slacks,
        _demand_total=float(d.demand.sum()),
        _performed=float(performed_by_year.sum()),
        _performed_by_year=performed_by_year,
    )
