"""The equipment family as a pymoo Problem, vectorised over the population.

Decision: the plan x flattened row-major from its (hospitals x years) 0/1 matrix (``vtype=bool``:
use pymoo's binary operators). Objectives by name, all minimised: ``cost``, ``utilisation``
(idle capacity; the seed's Z is reported, not optimised directly) and ``equity`` (mean yearly
Gini). Constraints ``G <= 0`` are the evaluator's slacks negated: budget (and yearly budgets),
demand coverage, queue stability, max new per year, the Gini band. The same numbers as
:func:`optmodels.equipment.evaluate.evaluate` -- a test checks every entry on random plans --
but for a whole population at once.

:class:`BudgetRepair` restores the cheap feasibility NSGA-II keeps losing: it adds the sets queue
stability forces and then drops the latest, dearest optional additions until the budget holds.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pymoo.core.problem import Problem
from pymoo.core.repair import Repair

from optmodels.analysis.queueing import mmc
from optmodels.equipment.instance import OBJECTIVES, EquipmentData, EquipmentInstance


class EquipmentProblem(Problem):
    """Vectorised pymoo Problem of an equipment instance (all objectives minimised)."""

    def __init__(self, instance: EquipmentInstance, objectives: list[str] | tuple[str, ...] = ("cost", "equity")):
        unknown = [o for o in objectives if o not in OBJECTIVES]
        if unknown:
            raise ValueError(f"unknown objectives {unknown}; expected from {sorted(OBJECTIVES)}")
        self.instance = instance
        self.arrays: EquipmentData = instance.data
        d = self.arrays
        self.objective_names = tuple(objectives)
        self.senses = tuple(OBJECTIVES[o].sense for o in objectives)
        self.shape = (d.n_hospitals, d.n_years)
        self.onehot = np.zeros((d.n_regions, d.n_hospitals))
        self.onehot[d.region_of, np.arange(d.n_hospitals)] = 1.0
        n_g = 1 + d.n_regions * d.n_years + d.n_hospitals * d.n_years
        n_g += 0 if d.yearly_budget is None else d.n_years
        n_g += 0 if d.max_new_per_year is None else d.n_years
        per = d.n_years if d.gini_mode == "each_year" else 1
        n_g += per * (2 if d.gini_lo is not None else 1)
        super().__init__(n_var=d.n_hospitals * d.n_years, n_obj=len(objectives), n_ieq_constr=n_g,
                         xl=0, xu=1, vtype=bool)

    def parts(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """Objectives and slacks for each row of X (shape: population x n_var)."""
        d = self.arrays
        x = np.asarray(X, dtype=float).reshape(-1, *self.shape)
        c = d.e0[None, :, None] + np.cumsum(x, axis=2)  # (P, K, n)
        s = np.einsum("ik,pkn->pin", self.onehot, c)  # (P, m, n)
        T = s.sum(axis=1)  # (P, n)
        share = s / np.where(T > 0, T, 1.0)[:, None, :]
        Y = d.shares  # (m, n)
        diff = np.abs(share[:, :, None, :] * Y[None, None, :, :] - share[:, None, :, :] * Y[None, :, None, :])
        gini = diff.sum(axis=(1, 2)) / 2.0  # each unordered pair counted twice
        purchases = (d.price[None] * x).sum(axis=(1, 2))
        L = mmc(d.lam[None], d.mu[None, :, None], c).l
        cost = purchases + d.h * d.hours * c.sum(axis=(1, 2)) + d.b * d.hours * L.sum(axis=(1, 2))
        capacity = np.einsum("ik,pkn->pin", self.onehot, d.cap[None, :, None] * c)
        idle = capacity.sum(axis=(1, 2)) - d.demand.sum()
        slacks = [
            (d.budget - purchases)[:, None],
            (capacity - d.demand[None]).reshape(len(x), -1),
            (c - d.c_min[None]).reshape(len(x), -1),
        ]
        if d.yearly_budget is not None:
            slacks.append(d.yearly_budget[None] - (d.price[None] * x).sum(axis=1))
        if d.max_new_per_year is not None:
            slacks.append(d.max_new_per_year - x.sum(axis=1))
        g = gini if d.gini_mode == "each_year" else gini.mean(axis=1, keepdims=True)
        slacks.append(d.gini_hi - g)
        if d.gini_lo is not None:
            slacks.append(g - d.gini_lo)
        return {
            "cost": cost,
            "utilisation": idle,
            "equity": gini.mean(axis=1),
            "gini": gini,
            "slack": np.hstack(slacks),
        }

    def _evaluate(self, X: np.ndarray, out: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        p = self.parts(X)
        out["F"] = np.column_stack([p[o] for o in self.objective_names])
        out["G"] = -p["slack"]

    def summary(self, x: np.ndarray) -> str:
        plan = np.asarray(x, dtype=float).reshape(self.shape)
        d = self.arrays
        adds = [f"{d.hospitals[k]}@{d.years[j]}" for k, j in zip(*np.nonzero(plan > 0.5), strict=True)]
        return f"{len(adds)} sets: " + (" ".join(adds) if adds else "none")


class BudgetRepair(Repair):
    """Force the additions queue stability needs, then drop optional ones until within budget."""

    def _do(self, problem: EquipmentProblem, X: np.ndarray, **kwargs: Any) -> np.ndarray:
        d = problem.arrays
        need = d.required_additions()  # (K, n) cumulative additions required by year j
        out = np.asarray(X, dtype=bool).reshape(-1, *problem.shape).copy()
        order = np.argsort(-(d.price + np.arange(d.n_years)[None, :] * 1e-9), axis=None)[::1]
        for plan in out:
            cum = np.cumsum(plan, axis=1)
            for k, j in zip(*np.nonzero(cum < need), strict=True):  # add the earliest missing sets
                free = np.flatnonzero(~plan[k, : j + 1])
                for jj in free[: int(need[k, j] - plan[k, : j + 1].sum())]:
                    plan[k, jj] = True
            spent = float((d.price * plan).sum())
            if spent <= d.budget:
                continue
            for flat in order:  # dearest (latest on ties) first
                k, j = divmod(int(flat), d.n_years)
                if not plan[k, j]:
                    continue
                plan[k, j] = False
                if (np.cumsum(plan[k]) < need[k]).any():
                    plan[k, j] = True  # needed for stability: keep
                    continue
                spent -= d.price[k, j]
                if spent <= d.budget:
                    break
        return out.reshape(len(out), -1)
