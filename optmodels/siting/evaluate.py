"""Numpy evaluation of a siting decision, independent of Pyomo.

A decision is the open vector ``y`` (bool, one per site) and optionally an assignment matrix
``a`` (``n_demand x n_sites`` shares, rows summing to 1, or to <= 1 for capacitated coverage).
Without ``a`` every demand point goes to its nearest open site (the optimal assignment of every
uncapacitated model).

Every named objective of :mod:`optmodels.siting.formulation` is recomputed here, plus the slack of
every constraint (``>= 0`` means satisfied, up to ``tol``), so tests and the NSGA-II front-end can
check a solution without the solver.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from optmodels.siting.instance import SitingInstance


@dataclass(frozen=True)
class Evaluation:
    """Objectives and constraint slacks of one decision.

    ``slacks`` maps a constraint name to its slack array (``>= -tol`` feasible); ``violations``
    lists the constraints of the evaluated model that fail.
    """

    open: np.ndarray
    assignment: np.ndarray
    objectives: dict[str, float]
    slacks: dict[str, np.ndarray]
    assigned_distance: np.ndarray
    mean_distance: float
    max_distance: float
    covered: np.ndarray
    violations: list[str] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        return not self.violations


def nearest_assignment(cost: np.ndarray, open_sites: np.ndarray) -> np.ndarray:
    """Each demand point wholly to its nearest open site (ties: the lowest index)."""
    n, m = cost.shape
    masked = np.where(open_sites[None, :], cost, np.inf)
    best = np.argmin(masked, axis=1)
    a = np.zeros((n, m))
    reach = np.isfinite(masked[np.arange(n), best])
    a[np.arange(n)[reach], best[reach]] = 1.0
    return a


def evaluate(
    instance: SitingInstance,
    open_sites: np.ndarray,
    assignment: np.ndarray | None = None,
    *,
    model: str | None = None,
    tol: float = 1e-6,
) -> Evaluation:
    """Objectives and slacks of opening ``open_sites`` (and assigning by ``assignment``)."""
    model = model or instance.model
    par = instance.parameters
    y = np.asarray(open_sites, dtype=bool).ravel()
    if y.shape != (instance.n_sites,):
        raise ValueError(f"open_sites: expected {instance.n_sites} entries, found {y.shape}")
    cost = instance.cost_matrix()
    w = instance.populations()
    a = nearest_assignment(cost, y) if assignment is None else np.asarray(assignment, dtype=float)
    finite_cost = np.where(np.isfinite(cost), cost, 0.0)
    served = a.sum(axis=1)
    # assigned distance: weighted by shares; a share on an unreachable pair makes it inf
    on_inf = ((a > tol) & ~np.isfinite(cost)).any(axis=1)
    dist_i = (a * finite_cost).sum(axis=1)
    dist_i = np.where(on_inf | (served < tol), np.inf, dist_i)

    f = instance.fixed_costs()
    new = ~instance.existing()
    savings = instance.closing_savings()
    closable = instance.closable()
    site_cost = float((f * (y & new)).sum() - (savings * (closable & ~y)).sum())
    obj: dict[str, float] = {"cost": site_cost, "n_facilities": float(y.sum())}
    obj["distance"] = float((w * dist_i).sum()) if np.isfinite(dist_i).all() else float("inf")
    obj["max_distance"] = float(dist_i.max())
    obj["total_cost"] = site_cost + par.cost_per_distance * obj["distance"]
    slacks: dict[str, np.ndarray] = {}

    covered = np.zeros(instance.n_demand)
    if par.radius is not None:
        within = cost <= par.radius
        count = (within & y[None, :]).sum(axis=1)
        if par.capacitated and model in ("mclp", "lscp"):
            covered = np.minimum(1.0, (a * within).sum(axis=1))
        else:
            covered = (count >= 1).astype(float)
        obj["coverage"] = float((w * covered).sum())
        obj["backup_coverage"] = float((w * (count >= 2)).sum())
        if model in ("lscp", "lscp_b"):
            slacks["demand_coverage"] = (covered if model == "lscp" else count) - 1.0
    opened = np.flatnonzero(y)
    if model == "p_dispersion" or len(opened) <= 60:
        try:
            from optmodels.siting.formulation import site_distances

            dss = site_distances(instance)[np.ix_(opened, opened)]
            iu = np.triu_indices(len(opened), k=1)
            obj["separation"] = float(dss[iu].min()) if iu[0].size else float("inf")
        except ValueError:
            pass

    slacks["fixed_open"] = y[instance.fixed_open()].astype(float) - 1.0
    if par.p is not None and model in ("lscp_b", "mclp", "p_median", "p_center", "p_dispersion"):
        slacks["facility_count"] = -np.abs(np.array([y.sum() - par.p], dtype=float))
    if par.budget is not None and model in ("mclp", "lscp_b", "p_median", "p_center"):
        slacks["budget"] = np.array([par.budget - site_cost])
    uses_assignment = model in ("p_median", "p_center", "cflp") or (
        par.capacitated and model in ("lscp", "mclp")
    )
    if uses_assignment or assignment is not None:
        if model == "mclp":
            slacks["assignment"] = 1.0 - served
        else:
            slacks["assignment"] = -np.abs(served - 1.0)
        slacks["open_link"] = (y[None, :] - a).min(axis=1)
        slacks["reachable"] = np.where(on_inf, -1.0, 0.0)
    if par.capacitated or model == "cflp":
        load = (w[:, None] * a).sum(axis=0)
        cap = instance.capacities()
        slacks["capacity"] = np.where(np.isfinite(cap), cap * y, np.inf) - load
    violations = [name for name, s in slacks.items() if s.size and float(np.min(s)) < -tol]

    total_w = w.sum()
    finite = np.isfinite(dist_i)
    mean_d = float((w * dist_i).sum() / total_w) if finite.all() else float("inf")
    return Evaluation(
        open=y,
        assignment=a,
        objectives=obj,
        slacks=slacks,
        assigned_distance=dist_i,
        mean_distance=mean_d,
        max_distance=float(dist_i.max()),
        covered=covered,
        violations=violations,
    )


def objective_value(evaluation: Evaluation, name: str) -> float:
    """One named objective (``KeyError`` naming the available ones if it was not computed)."""
    try:
        return evaluation.objectives[name]
    except KeyError:
        raise KeyError(f"objective {name!r} not available; have {sorted(evaluation.objectives)}") from None
