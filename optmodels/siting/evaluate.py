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
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from optmodels.siting.data.instance import SitingInstance
from optmodels.siting.models import MODEL_SPECS, budget_binds, capacities_bind, p_fixes_count

if TYPE_CHECKING:
    import pandas as pd

    from optmodels.siting.access.equity import EquityEvaluation


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


def _nearest_open(cost: np.ndarray, y: np.ndarray, dense: bool) -> tuple[Any, np.ndarray, np.ndarray]:
    """:func:`nearest_assignment` read off the open sites' columns alone: ``(a, each point's
    distance to its nearest open site (inf: none reachable), the open columns)``. The same
    assignment (ties: the lowest index, as the columns keep their order) and distances, without
    the passes over the whole matrix (1.4 s an evaluation on a 20,000 x 1,000 grid). ``a`` is
    dense when ``dense`` (the slacks of the assignment models read it), else a one-per-row CSR
    matrix as the evaluator at scale gives (filling a dense one took 0.9 s there)."""
    n, m = cost.shape
    opened = np.flatnonzero(y)
    sub = cost[:, opened]
    if opened.size == 0:
        return (np.zeros((n, m)) if dense else sp.csr_matrix((n, m))), np.full(n, np.inf), sub
    best = np.argmin(sub, axis=1)
    d = sub[np.arange(n), best]
    reach = np.isfinite(d)
    rows, cols = np.flatnonzero(reach), opened[best[reach]]
    if dense:
        a = np.zeros((n, m))
        a[rows, cols] = 1.0
    else:
        a = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, m))
    return a, np.where(reach, d, np.inf), sub


def evaluate(
    instance: SitingInstance,
    open_sites: np.ndarray,
    assignment: np.ndarray | None = None,
    *,
    model: str | None = None,
    tol: float = 1e-6,
    scheduler: Any = None,
) -> Evaluation:
    """Objectives and slacks of opening ``open_sites`` (and assigning by ``assignment``); at scale
    with a Dask ``scheduler``, the per-point evaluation runs on that cluster."""
    model = model or instance.model
    spec = MODEL_SPECS[model]
    par = instance.parameters
    y = np.asarray(open_sites, dtype=bool).ravel()
    if y.shape != (instance.n_sites,):
        raise ValueError(f"open_sites: expected {instance.n_sites} entries, found {y.shape}")
    if assignment is None and instance.is_large:
        return _evaluate_at_scale(instance, y, model, tol, scheduler)
    cost = instance.cost_matrix()
    w = instance.populations()
    open_cost = None
    uses_assignment = spec.assigns or (spec.covers and capacities_bind(model, par.capacitated))
    if assignment is None:
        a, dist_i, open_cost = _nearest_open(cost, y, dense=uses_assignment or capacities_bind(model, par.capacitated))
        served = np.isfinite(dist_i).astype(float)
        on_inf = np.zeros(instance.n_demand, bool)
    else:
        a = np.asarray(assignment, dtype=float)
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
        if open_cost is not None:
            count = (open_cost <= par.radius).sum(axis=1)
        else:
            count = ((cost <= par.radius) & y[None, :]).sum(axis=1)
        if spec.covers and capacities_bind(model, par.capacitated):
            covered = np.minimum(1.0, (a * (cost <= par.radius)).sum(axis=1))
        else:
            covered = (count >= 1).astype(float)
        obj["coverage"] = float((w * covered).sum())
        obj["backup_coverage"] = float((w * (count >= 2)).sum())
        if spec.covers and model != "mclp":  # LSCP and LSCP-B cover every demand point
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
    if p_fixes_count(model, par.p):
        slacks["facility_count"] = -np.abs(np.array([y.sum() - par.p], dtype=float))
    if budget_binds(model, par.budget):
        slacks["budget"] = np.array([par.budget - site_cost])
    if uses_assignment or assignment is not None:
        if model == "mclp":
            slacks["assignment"] = 1.0 - served
        else:
            slacks["assignment"] = -np.abs(served - 1.0)
        slacks["open_link"] = (y[None, :] - a).min(axis=1)
        slacks["reachable"] = np.where(on_inf, -1.0, 0.0)
    if capacities_bind(model, par.capacitated):
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


def _site_cost(instance: SitingInstance, y: np.ndarray) -> float:
    f, new = instance.fixed_costs(), ~instance.existing()
    return float((f * (y & new)).sum() - (instance.closing_savings() * (instance.closable() & ~y)).sum())


def _evaluate_at_scale(instance: SitingInstance, y: np.ndarray, model: str, tol: float, scheduler: Any = None) -> Evaluation:
    """:func:`evaluate` for an instance too large for the dense array: every point to its
    nearest open site found by a KD-tree over the open sites, coverage counted by the pairs
    within the radius (:class:`~optmodels.siting.data.costs.TravelCosts`). The same objectives
    and slacks as the dense evaluator for an uncapacitated plan (capacitated plans carry an
    assignment and go the dense way); ``assignment`` is a sparse one-per-row matrix."""
    spec = MODEL_SPECS[model]
    par = instance.parameters
    w = instance.populations()
    n, m = instance.n_demand, instance.n_sites
    opened = np.flatnonzero(y)
    dist_i, site_i = instance.costs.nearest_open(opened, scheduler=scheduler)
    if par.cutoff is not None:  # beyond the cut-off a pair does not exist
        far = dist_i > par.cutoff
        dist_i, site_i = np.where(far, np.inf, dist_i), np.where(far, -1, site_i)
    served = site_i >= 0
    a = sp.csr_matrix((np.ones(int(served.sum())), (np.flatnonzero(served), site_i[served])), shape=(n, m))
    site_cost = _site_cost(instance, y)
    obj: dict[str, float] = {"cost": site_cost, "n_facilities": float(y.sum())}
    obj["distance"] = float((w * dist_i).sum()) if served.all() else float("inf")
    obj["max_distance"] = float(dist_i.max())
    obj["total_cost"] = site_cost + par.cost_per_distance * obj["distance"]
    slacks: dict[str, np.ndarray] = {}
    covered = np.zeros(n)
    if par.radius is not None:
        count = instance.costs.count_within(opened, par.radius, scheduler=scheduler)
        covered = (count >= 1).astype(float)
        obj["coverage"] = float((w * covered).sum())
        obj["backup_coverage"] = float((w * (count >= 2)).sum())
        if spec.covers and model != "mclp":
            slacks["demand_coverage"] = (covered if model == "lscp" else count) - 1.0
    slacks["fixed_open"] = y[instance.fixed_open()].astype(float) - 1.0
    if p_fixes_count(model, par.p):
        slacks["facility_count"] = -np.abs(np.array([y.sum() - par.p], dtype=float))
    if budget_binds(model, par.budget):
        slacks["budget"] = np.array([par.budget - site_cost])
    if spec.assigns:
        slacks["assignment"] = np.where(served, 0.0, -1.0)
        slacks["reachable"] = np.where(served, 0.0, -1.0)
    violations = [name for name, v in slacks.items() if v.size and float(np.min(v)) < -tol]
    mean_d = float((w * dist_i).sum() / w.sum()) if served.all() else float("inf")
    return Evaluation(open=y, assignment=a, objectives=obj, slacks=slacks, assigned_distance=dist_i,
                      mean_distance=mean_d, max_distance=float(dist_i.max()), covered=covered,
                      violations=violations)


def objective_value(evaluation: Evaluation, name: str) -> float:
    """One named objective (``KeyError`` naming the available ones if it was not computed)."""
    try:
        return evaluation.objectives[name]
    except KeyError:
        raise KeyError(f"objective {name!r} not available; have {sorted(evaluation.objectives)}") from None


# --------------------------------------------------------------------------------------------
# The family's decision and its whole re-check (location or equity, plus accessibility)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SitingDecision:
    """A siting plan: ``open`` sites (bool per site); ``assignment`` shares (``n_demand x
    n_sites``; ``None``: nearest open site); ``supply`` per site (equity models; ``None``: the
    sites' supply today)."""

    open: np.ndarray
    assignment: np.ndarray | None = None
    supply: np.ndarray | None = None


@dataclass(frozen=True)
class AccessReport:
    """Accessibility after the plan and, when sites exist today, before it.

    ``by_area`` is the before/after table by ``demand.area`` (last row ``overall``); it is
    ``None`` when no demand point names an area: a per-point "largest change" is one block's
    change, not an area's, and would overstate the plan's effect, so only the population-weighted
    figures are given then.
    """

    measure: str
    after: np.ndarray
    summary_after: dict[str, Any]
    before: np.ndarray | None = None
    summary_before: dict[str, Any] | None = None
    by_area: pd.DataFrame | None = None

    @property
    def mean_change_pct(self) -> float | None:
        if self.summary_before is None:
            return None
        b, a = self.summary_before["weighted_mean"], self.summary_after["weighted_mean"]
        return 100.0 * (a - b) / b if b > 0 else float("inf")


@dataclass(frozen=True)
class SitingEvaluation:
    """The numpy re-check of a :class:`SitingDecision`: ``location`` (:class:`Evaluation`, for
    location models), ``equity`` (:class:`~optmodels.siting.access.equity.EquityEvaluation` and the
    scale ``sigma`` its objectives are stated in, for equity models) and ``access``."""

    model: str
    location: Evaluation | None
    equity: EquityEvaluation | None
    scale: float | None
    access: AccessReport | None

    @property
    def violations(self) -> list[str]:
        if self.location is not None:
            return list(self.location.violations)
        assert self.equity is not None
        return [k for k, v in self.equity.slacks.items() if v < -1e-6]

    @property
    def feasible(self) -> bool:
        return not self.violations

    def objective(self, name: str) -> float | None:
        """The named objective of the plan (``None`` if this evaluation does not compute it)."""
        if self.equity is not None:
            try:
                return self.equity.objective(name, self.scale)
            except KeyError:
                return None
        assert self.location is not None
        return self.location.objectives.get(name)


def access_params(instance: SitingInstance) -> dict[str, Any] | None:
    """The accessibility measure's parameters; the catchment ``d0`` defaults to the radius."""
    acc = instance.access
    d0 = acc.d0 if acc.d0 is not None else instance.parameters.radius
    if d0 is None:
        return None
    return {"method": acc.method, "d0": d0, "steps": acc.steps, "beta": acc.beta}


def has_areas(instance: SitingInstance) -> bool:
    return any(a for a in instance.demand.column("area"))


def accessibility_report(instance: SitingInstance, open_sites: np.ndarray, supply: np.ndarray | None = None) -> AccessReport | None:
    """Accessibility before (existing sites, supply today) and after (open sites, ``supply``),
    or ``None`` when the instance has no supply or no catchment size."""
    from optmodels.siting.access import measures as access

    params = access_params(instance)
    s = instance.supplies() if supply is None else np.asarray(supply, dtype=float)
    if params is None or not (s > 0).any():
        return None
    pop = instance.populations()
    if instance.is_large:
        # every measure's catchment ends at d0: the pairs within it are the whole kernel
        from optmodels.resources import check_memory

        check_memory(instance.costs.estimate_pairs(params["d0"]) * 40, what=f"accessibility within d0 = {params['d0']:g}",
                     advice="give a smaller access.d0 (--d0) for plans at this scale")
        cost = instance.costs.within(params["d0"]).to_csr()
    else:
        cost = instance.cost_matrix()
    thr = instance.access.threshold
    after = _accessibility(instance, cost, pop, np.where(open_sites, s, 0.0), params)
    label = f"{params['method'].upper()} d0={params['d0']:g}"
    report = AccessReport(measure=label, after=after.access, summary_after=access.summary(after, pop, threshold=thr))
    before_supply = np.where(instance.existing(), instance.supplies(), 0.0)
    if not (before_supply > 0).any():
        return report
    # the sites of today do not depend on the plan: kept on the instance for its parameters, and
    # handed on with its costs to the next scenario of a sweep that differs only in p or the
    # radius (optmodels.siting.coverage.state.share_costs)
    kept = instance.__dict__.get("_access_before")
    if kept is not None and kept[0] == params:
        before = kept[1]
    else:
        before = _accessibility(instance, cost, pop, before_supply, params)
        instance.__dict__["_access_before"] = (params, before)
    by_area = None
    if has_areas(instance):
        areas = [a or i for a, i in zip(instance.demand.column("area"), instance.demand_ids, strict=True)]
        by_area = access.before_after(before, after, pop, area_ids=areas, threshold=thr)
    return AccessReport(
        measure=label, after=after.access, summary_after=report.summary_after, before=before.access,
        summary_before=access.summary(before, pop, threshold=thr), by_area=by_area,
    )


def _accessibility(instance: SitingInstance, cost: Any, pop: np.ndarray, supply: np.ndarray, params: dict[str, Any]):
    """:func:`~optmodels.siting.access.measures.accessibility` of ``supply``; for a dense matrix
    and a kernel that is ``f(d_ij)`` alone (not 3SFCA, whose selection weights read whole rows),
    from the supplied sites' columns and the catchment demands ``D_j = sum_i P_i K_ij``: those do
    not depend on the plan, so they are computed once per instance and measure, kept on it and
    handed on with its costs in a sweep (:func:`~optmodels.siting.coverage.state.share_costs`).
    Sites without supply add ``0`` to every ``A_i``: the same figures as the whole matrix's pass
    (up to the order of the sums)."""
    from optmodels.siting.access import measures as access

    if sp.issparse(cost) or params["method"] == "3sfca":
        return access.accessibility(cost, pop, supply, **params)
    kept = instance.__dict__.get("_access_demand")
    if kept is None or kept[0] != params:
        k = access.kernel(cost, **params)
        kept = (params, np.asarray(k.T @ pop).ravel())
        instance.__dict__["_access_demand"] = kept
    demand = kept[1]
    s = np.asarray(supply, dtype=float)
    ratio = np.divide(s, demand, out=np.zeros_like(s), where=demand > 0)
    cols = np.flatnonzero(ratio)
    a = access.kernel(cost[:, cols], **params) @ ratio[cols] if cols.size else np.zeros(len(pop))
    method, d0, steps, beta = access._check_method(**params)  # noqa: SLF001 - the form the measure returns
    return access.AccessResult(ratio=ratio, access=np.asarray(a, dtype=float).ravel(), catchment_demand=demand,
                               method=method, d0=d0, steps=steps, beta=beta)


def _equity_evaluation(instance: SitingInstance, decision: SitingDecision) -> tuple[Any, float]:
    from optmodels.siting.access import equity

    params = access_params(instance)
    if params is None:
        raise ValueError("equity models need access.d0 (or parameters.radius)")
    s_now = instance.supplies()
    existing = instance.existing()
    total = instance.access.supply_total or float(s_now[existing].sum() if existing.any() else s_now.sum())
    supply = s_now if decision.supply is None else np.asarray(decision.supply, dtype=float)
    siting = instance.model == "equity_siting"
    smax = instance.supply_maxima()
    par = instance.parameters
    ev = equity.evaluate(
        instance.cost_matrix(), instance.populations(), supply, d0=params["d0"], method=params["method"],
        supply_total=total, supply_min=instance.supply_mins(),
        supply_max=np.where(np.isfinite(smax), smax, total) if siting else None,
        open_sites=decision.open, p=par.p if siting else None, budget=par.budget if siting else None,
        fixed_cost=instance.fixed_costs(), fixed_open=instance.fixed_open() if siting else None,
        steps=params["steps"], beta=params["beta"],
    )
    pop = instance.populations()
    sigma = pop.sum() / total if instance.access.scale is None else float(instance.access.scale)
    return ev, sigma


def evaluate_decision(instance: SitingInstance, decision: SitingDecision, *, scheduler: Any = None,
                      accessibility: bool = True) -> SitingEvaluation:
    """Re-check ``decision`` with numpy only: the location evaluator (:func:`evaluate`) for
    location models, the equity evaluator for equity models, and accessibility before/after
    (``scheduler``: a Dask cluster for the per-point work at scale). ``accessibility=False``
    leaves the before/after comparison out -- a figure beside the answer, not a check of it, and
    at a population grid seconds of pair generation that a stopped run should not spend."""
    y = np.asarray(decision.open, dtype=bool)

    def access():
        return accessibility_report(instance, y, decision.supply) if accessibility else None

    if MODEL_SPECS[instance.model].equity:
        ev, sigma = _equity_evaluation(instance, decision)
        return SitingEvaluation(instance.model, None, ev, sigma, access())
    loc = evaluate(instance, y, decision.assignment, model=instance.model, scheduler=scheduler)
    return SitingEvaluation(instance.model, loc, None, None, access())
