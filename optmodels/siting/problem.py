"""The siting family as a vectorised pymoo ``Problem`` over the binary open-site vector.

Decision: ``y in {0,1}^m`` (one column per site). Each demand point is served by its nearest
open site (the optimal assignment of every uncapacitated model), so the objectives are

=================  =====  ==================================================================
name               sense  value
=================  =====  ==================================================================
``distance``       min    sum_i w_i min_{j open} d_ij
``max_distance``   min    max_i min_{j open} d_ij
``coverage``       max    sum_i w_i [min_{j open} d_ij <= S]         (F holds the NEGATIVE)
``backup_coverage`` max   sum_i w_i [#open within S >= 2]             (F holds the NEGATIVE)
``cost``           min    sum_{j new} f_j y_j - sum_{j closable} s_j (1 - y_j)
``n_facilities``   min    sum_j y_j
=================  =====  ==================================================================

pymoo minimises, so maximised objectives are negated in ``F`` (:meth:`SitingProblem.values`
undoes it). Constraints ``G <= 0``: existing non-closable sites open (count of closed ones),
``|sum y - p|`` when the instance has ``p``, ``cost - budget`` with a budget, the number of demand
points with no reachable open site, and for ``lscp`` the number left uncovered within ``S``.
Capacities are not modelled here (the assignment would need an LP per individual); use the MILP
for capacitated variants.

Unreachable demand points count at ``10 x`` the largest finite cost in ``distance`` /
``max_distance`` (finite values keep pymoo's survival sorting meaningful; the ``reachable``
constraint already marks such solutions infeasible).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pymoo.core.problem import Problem

from optmodels.siting.data.instance import SitingInstance
from optmodels.siting.models import FRONT_OBJECTIVES, MODEL_SPECS, budget_binds, p_fixes_count
from optmodels.siting.models import OBJECTIVES as _OBJECTIVES

#: the objectives this Problem evaluates (nearest-open assignment) and their senses, from the
#: family's one table
OBJECTIVES: dict[str, str] = {name: _OBJECTIVES[name].sense for name in FRONT_OBJECTIVES}


class SitingProblem(Problem):
    """Vectorised siting objectives/constraints for NSGA-II (see the module docstring)."""

    def __init__(
        self,
        instance: SitingInstance,
        objectives: Sequence[str] = ("distance", "n_facilities"),
        *,
        model: str | None = None,
        chunk_elements: int = 4_000_000,
    ) -> None:
        unknown = [o for o in objectives if o not in OBJECTIVES]
        if unknown:
            raise ValueError(f"unknown objective(s) {unknown}; expected {', '.join(OBJECTIVES)}")
        if any(o in ("coverage", "backup_coverage") for o in objectives) and instance.parameters.radius is None:
            raise ValueError("coverage objectives need parameters.radius")
        self.instance = instance
        self.model = model or instance.model
        self.objective_names = tuple(objectives)
        cost = np.array(instance.cost_matrix(), dtype=float)
        finite = np.isfinite(cost)
        big = 10.0 * float(cost[finite].max()) if finite.any() else 1.0
        self._reach = finite
        self._cost = np.where(finite, cost, big)
        self._big = big
        self._w = instance.populations()
        f = instance.fixed_costs()
        self._site_cost = np.where(instance.existing(), 0.0, f)
        self._saving = np.where(instance.closable(), instance.closing_savings(), 0.0)
        self._must = instance.fixed_open()
        self._chunk = max(1, chunk_elements // max(1, cost.size))
        par = instance.parameters
        self._constraints = ["fixed_open", "reachable"]
        if p_fixes_count(self.model, par.p):
            self._constraints.append("facility_count")
        if budget_binds(self.model, par.budget):
            self._constraints.append("budget")
        if MODEL_SPECS[self.model].covers and self.model != "mclp":  # LSCP, LSCP-B: everyone covered
            self._constraints.append("demand_coverage")
        super().__init__(
            n_var=instance.n_sites,
            n_obj=len(self.objective_names),
            n_ieq_constr=len(self._constraints),
            xl=0,
            xu=1,
            vtype=bool,
        )

    @property
    def constraint_names(self) -> tuple[str, ...]:
        return tuple(self._constraints)

    def _evaluate(self, X, out, *args, **kwargs):  # noqa: D401 - pymoo hook
        Y = np.asarray(X, dtype=bool)
        if Y.ndim == 1:
            Y = Y[None, :]
        k = len(Y)
        n = self.instance.n_demand
        dmin = np.empty((k, n))
        reach = np.empty((k, n), dtype=bool)
        radius = self.instance.parameters.radius
        count = np.zeros((k, n)) if radius is not None else None
        for a in range(0, k, self._chunk):
            blk = Y[a : a + self._chunk]
            masked = np.where(blk[:, None, :], self._cost[None, :, :], np.inf)
            dmin[a : a + len(blk)] = masked.min(axis=2)
            reach[a : a + len(blk)] = (blk[:, None, :] & self._reach[None, :, :]).any(axis=2)
            if radius is not None:
                count[a : a + len(blk)] = (masked <= radius).sum(axis=2)
        dmin = np.where(np.isfinite(dmin), dmin, self._big)
        n_open = Y.sum(axis=1).astype(float)
        site_cost = Y @ self._site_cost - (~Y) @ self._saving
        values = {
            "distance": dmin @ self._w,
            "max_distance": dmin.max(axis=1),
            "cost": site_cost,
            "n_facilities": n_open,
        }
        if radius is not None:
            values["coverage"] = (count >= 1) @ self._w
            values["backup_coverage"] = (count >= 2) @ self._w
        F = np.column_stack(
            [values[o] if OBJECTIVES[o] == "min" else -values[o] for o in self.objective_names]
        )
        par = self.instance.parameters
        G = []
        for name in self._constraints:
            if name == "fixed_open":
                G.append((~Y[:, self._must]).sum(axis=1).astype(float))
            elif name == "reachable":
                G.append((~reach).sum(axis=1).astype(float))
            elif name == "facility_count":
                G.append(np.abs(n_open - par.p))
            elif name == "budget":
                G.append(site_cost - par.budget)
            elif name == "demand_coverage":
                G.append((count < 1).sum(axis=1).astype(float))
        out["F"] = F
        out["G"] = np.column_stack(G) if G else np.zeros((k, 0))

    def values(self, F: np.ndarray) -> np.ndarray:
        """``F`` back in the objectives' own senses (maximised columns negated again)."""
        F = np.atleast_2d(np.asarray(F, dtype=float)).copy()
        for c, name in enumerate(self.objective_names):
            if OBJECTIVES[name] == "max":
                F[:, c] = -F[:, c]
        return F
