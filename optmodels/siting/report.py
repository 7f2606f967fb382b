"""Siting solutions as tidy tables, a terminal summary, metrics, a map and a GeoPackage.

The tables ``sites`` and ``demand`` (one row per site / demand point) end with the points'
coordinates (``x, y`` or ``lon, lat``, as the instance gives them), so a result folder can be
mapped on its own (``optmodels report DIR``); ``result.json`` says the ``crs`` of x/y.

:class:`SitingReporter` (:data:`REPORTER`) is the family's renderer of a contract
:class:`~optmodels.contract.Solution` whose ``decision`` is a
:class:`~optmodels.siting.evaluate.SitingDecision` and whose ``evaluation`` a
:class:`~optmodels.siting.evaluate.SitingEvaluation`.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from optmodels.siting.data.instance import SitingInstance
from optmodels.siting.evaluate import AccessReport, Evaluation
from optmodels.siting.models import OBJECTIVES


def sites_table(instance: SitingInstance, open_sites: np.ndarray, evaluation: Evaluation | None = None) -> pd.DataFrame:
    """One row per site: id, existing, open, load (population served), capacity."""
    frame = pd.DataFrame(
        {
            "site_id": instance.site_ids,
            "existing": instance.existing(),
            "open": np.asarray(open_sites, dtype=bool),
            "fixed_cost": instance.fixed_costs(),
            "capacity": instance.capacities(),
            "supply": instance.supplies(),
        }
    )
    if evaluation is not None:
        frame["population_served"] = np.asarray(evaluation.assignment.T @ instance.populations()).ravel()
    frame["capacity"] = frame["capacity"].replace(np.inf, np.nan)
    return frame


def assignments_table(instance: SitingInstance, evaluation: Evaluation, tol: float = 1e-9) -> pd.DataFrame:
    """Tidy assignment: ``demand_id, site_id, share, distance, population`` (shares > tol)."""
    a = evaluation.assignment
    if sp.issparse(a):  # at scale: one nearest open site per point, its cost kept by the evaluator
        coo = a.tocoo()
        keep = coo.data > tol
        i, j, share = coo.row[keep], coo.col[keep], coo.data[keep]
        dist = evaluation.assigned_distance[i]
    else:
        i, j = np.nonzero(a > tol)
        share, dist = a[i, j], instance.cost_matrix()[i, j]
    return pd.DataFrame(
        {
            "demand_id": np.asarray(instance.demand_ids, dtype=object)[i],
            "site_id": np.asarray(instance.site_ids, dtype=object)[j],
            "share": share,
            "distance": dist,
            "population": instance.populations()[i],
            "covered": evaluation.covered[i] > 0.5 if evaluation.covered.size else False,
        }
    )


def coordinate_fields(instance: SitingInstance) -> tuple[str, str] | None:
    """``("x", "y")`` or ``("lon", "lat")``: the coordinates every point and site has, else None."""
    for a, b in (("x", "y"), ("lon", "lat")):
        if all(t.has(a) and t.has(b) for t in (instance.demand, instance.sites)):
            return a, b
    return None


def coordinates(instance: SitingInstance) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Plot coordinates (x/y, else lon/lat) of demand points and sites, or None if absent."""
    fields = coordinate_fields(instance)
    if fields is None:
        return None
    a, b = fields
    return (instance.demand.column(a), instance.demand.column(b), instance.sites.column(a), instance.sites.column(b))


def demand_table(instance: SitingInstance, evaluation: Evaluation | None, access_frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per demand point: id, population, area, main site (largest share), distance,
    covered, and the accessibility columns of ``access_frame`` (``access_before/after``)."""
    frame = pd.DataFrame(
        {
            "demand_id": instance.demand_ids,
            "population": instance.populations(),
            "area": instance.demand.column("area"),
        }
    )
    if evaluation is not None:
        a = evaluation.assignment
        served = np.asarray(a.sum(axis=1)).ravel() > 1e-9
        main = np.asarray(a.argmax(axis=1)).ravel()
        ids = np.asarray(instance.site_ids, dtype=object)
        frame["site_id"] = np.where(served, ids[main], None)
        share = np.asarray(a[np.arange(len(main)), main]).ravel()
        frame["share"] = np.where(served, share, 0.0)
        frame["distance"] = np.where(np.isfinite(evaluation.assigned_distance), evaluation.assigned_distance, np.nan)
        if evaluation.covered.size and instance.parameters.radius is not None:
            frame["covered"] = evaluation.covered > 0.5
    if access_frame is not None:
        for col in access_frame.columns:
            if col.startswith("access_"):
                frame[col] = access_frame[col].to_numpy()
    return frame


def write_geo(
    instance: SitingInstance,
    path: Path,
    sites: pd.DataFrame,
    demand: pd.DataFrame,
) -> bool:
    """Write ``sites`` and ``demand`` (one row per site / demand point, instance order) as the
    layers ``sites`` and ``demand`` of one GeoPackage, with point geometries.

    GeoPackage rather than GeoParquet: one file holding both layers, opened directly by QGIS /
    ArcGIS, and written by pyogrio, which geopandas already depends on. The CRS is EPSG:4326 for
    lon/lat coordinates and the instance's ``crs`` (kept by ``from_geodataframes``) for x/y.
    Returns False (and writes nothing) without coordinates; raises ImportError without geopandas.
    """
    fields = coordinate_fields(instance)
    if fields is None:
        return False
    import geopandas as gpd

    crs = "EPSG:4326" if fields == ("lon", "lat") else instance.crs
    dx, dy, sx, sy = coordinates(instance)  # type: ignore[misc]
    for layer, frame, xs, ys in (("sites", sites, sx, sy), ("demand", demand, dx, dy)):
        gdf = gpd.GeoDataFrame(frame.reset_index(drop=True), geometry=gpd.points_from_xy(xs, ys), crs=crs)
        with warnings.catch_warnings():
            # planar x/y without a known CRS: written as undefined, which is the truth
            warnings.filterwarnings("ignore", message=".*crs.*was not provided", category=UserWarning)
            gdf.to_file(path, layer=layer, driver="GPKG")
    return True


#: demand points up to which the map draws each point and its assignment line (beyond: a density image)
MAP_LINES_UP_TO = 20_000


def map_figure(instance: SitingInstance, evaluation: Evaluation, *, title: str = ""):
    """The siting map as a matplotlib Figure (nothing written): demand sized by population,
    open / closed / existing sites, assignment lines, and with a coverage radius the circle each
    open site covers. ``None`` when the instance has no coordinates. Beyond
    :data:`MAP_LINES_UP_TO` demand points the demand is a density image (population per cell), not
    a million markers and lines."""
    xy = coordinates(instance)
    if xy is None:
        return None
    from matplotlib.collections import LineCollection, PatchCollection
    from matplotlib.patches import Circle

    from optmodels.report import new_figure

    dx, dy, sx, sy = xy
    pop = instance.populations()
    fig = new_figure(figsize=(7, 7))
    ax = fig.subplots()
    grid = len(dx) > MAP_LINES_UP_TO
    if not grid:
        a = evaluation.assignment
        i, j = (a > 1e-9).nonzero()
        segs = np.stack([np.column_stack([dx[i], dy[i]]), np.column_stack([sx[j], sy[j]])], axis=1)
        ax.add_collection(LineCollection(segs, colors="0.6", linewidths=0.5, alpha=0.6, zorder=1))
    y = evaluation.open
    radius = instance.parameters.radius
    # Circles only where distances are plane distances in the plotted units (x/y, Euclidean):
    # a road-network or great-circle radius is no circle on this map.
    if radius is not None and coordinate_fields(instance) == ("x", "y") and instance.distance.kind == "euclidean":
        circles = [Circle((sx[k], sy[k]), radius) for k in np.flatnonzero(y)]
        ax.add_collection(PatchCollection(circles, facecolor="tab:red", alpha=0.07, edgecolor="tab:red",
                                          linewidth=0.6, zorder=0))
        ax.plot([], [], color="tab:red", alpha=0.4, lw=6, label=f"covered (within {radius:g})")
    covered = evaluation.covered > 0.5 if radius is not None and evaluation.covered.size else None
    size = 10 + 140 * pop / pop.max()
    if grid:
        ax.hexbin(dx, dy, C=pop, reduce_C_function=np.sum, gridsize=120, cmap="Blues", bins="log",
                  mincnt=1, zorder=1)
        ax.plot([], [], "s", color="tab:blue", label="demand (population density)")
        if covered is not None and (~covered).any():
            ax.hexbin(dx[~covered], dy[~covered], C=pop[~covered], reduce_C_function=np.sum, gridsize=120,
                      cmap="Oranges", bins="log", mincnt=1, zorder=2, alpha=0.8)
            ax.plot([], [], "s", color="tab:orange", label="demand not covered (density)")
    elif covered is None:
        ax.scatter(dx, dy, s=size, c="tab:blue", alpha=0.5, edgecolors="none", label="demand (size = population)", zorder=2)
    else:
        ax.scatter(dx[covered], dy[covered], s=size[covered], c="tab:blue", alpha=0.5, edgecolors="none",
                   label="demand, covered (size = population)", zorder=2)
        ax.scatter(dx[~covered], dy[~covered], s=size[~covered], c="tab:orange", alpha=0.7, edgecolors="none",
                   label="demand, not covered", zorder=2)
    ex = instance.existing()
    ax.scatter(sx[~y], sy[~y], marker="x", c="0.4", s=40, label="candidate, closed", zorder=3)
    ax.scatter(sx[y & ~ex], sy[y & ~ex], marker="^", c="tab:red", s=90, edgecolors="k", label="opened", zorder=4)
    ax.scatter(sx[y & ex], sy[y & ex], marker="s", c="tab:green", s=90, edgecolors="k", label="existing, open", zorder=4)
    if (ex & ~y).any():
        ax.scatter(sx[ex & ~y], sy[ex & ~y], marker="s", facecolors="none", edgecolors="tab:green", s=90, label="existing, closed", zorder=4)
    ax.set_title(title or instance.name or "siting")
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(loc="best", fontsize=8)
    return fig


def supply_figure(instance: SitingInstance, open_sites: np.ndarray, supply: np.ndarray,
                  access: AccessReport | None, *, title: str = ""):
    """The equal-accessibility models' figure: supply per open site, and (with an access
    report) the accessibility of each demand point before and after, sorted."""
    from optmodels.report import new_figure

    panels = 2 if access is not None else 1
    fig = new_figure(figsize=(5.5 * panels, 4.5), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, panels))
    opened = np.flatnonzero(open_sites)
    ids = np.asarray(instance.site_ids, dtype=object)
    axes[0].bar(ids[opened].astype(str), supply[opened], color="tab:blue")
    axes[0].set_ylabel("supply")
    axes[0].set_title("supply per open site")
    axes[0].tick_params(axis="x", rotation=90, labelsize=7)
    if access is not None:
        ax = axes[1]
        if access.before is not None:
            ax.plot(np.sort(access.before), label="existing sites only", color="0.5")
        ax.plot(np.sort(access.after), label="with the plan", color="tab:blue")
        ax.set_xlabel("demand points, sorted")
        ax.set_ylabel(f"accessibility ({access.measure})")
        ax.set_title("accessibility of each demand point")
        ax.legend(fontsize=8)
    fig.suptitle(title or instance.name or "siting")
    return fig


def plot_map(instance: SitingInstance, evaluation: Evaluation, path: Path, *, title: str = "") -> bool:
    """Save :func:`map_figure` to ``path``; False (and nothing written) without coordinates."""
    from optmodels.report import save_figure

    fig = map_figure(instance, evaluation, title=title)
    if fig is None:
        return False
    save_figure(fig, path)
    return True


def summary_lines(instance: SitingInstance, evaluation: Evaluation, model: str) -> list[str]:
    """The model-specific lines under the status header."""
    ids = instance.site_ids
    ex = instance.existing()
    opened = np.flatnonzero(evaluation.open)
    shown = ", ".join(ids[j] + ("*" if ex[j] else "") for j in opened[:30])
    more = f" (+{len(opened) - 30} more)" if len(opened) > 30 else ""
    lines = [f"  open sites  {len(opened)} of {instance.n_sites}: {shown}{more}" + ("   (* existing)" if ex[opened].any() else "")]
    closed = np.flatnonzero(ex & ~evaluation.open)
    if closed.size:
        lines.append(f"  closed      {', '.join(ids[j] for j in closed)}")
    pop = instance.populations()
    par = instance.parameters
    if par.radius is not None:
        cov = float((pop * evaluation.covered).sum())
        lines.append(f"  coverage    {cov:.6g} of {pop.sum():.6g} population within {par.radius:g} ({cov / pop.sum():.2%})")
    lines.append(f"  distance    mean {evaluation.mean_distance:.6g} (population-weighted)   max {evaluation.max_distance:.6g}")
    obj = evaluation.objectives
    lines.append(f"  cost        {obj['cost']:.6g} (sites)   facilities {obj['n_facilities']:.0f}")
    check = "all constraints hold" if evaluation.feasible else "VIOLATED: " + ", ".join(evaluation.violations)
    lines.append(f"  check       numpy re-evaluation: {check}")
    return lines


# --------------------------------------------------------------------------------------------
# The family's Reporter
# --------------------------------------------------------------------------------------------


def access_lines(acc: AccessReport | None, threshold: float | None) -> list[str]:
    """Accessibility after the plan and, with sites today, before it and the change."""
    if acc is None:
        return []
    sa = acc.summary_after
    lines = [f"  access      {acc.measure}: mean {sa['weighted_mean']:.6g} (population-weighted), Gini {sa['gini']:.4f}"
             + (f", {sa['share_below']:.2%} of population below {threshold:g}" if threshold is not None else "")]
    if acc.summary_before is not None:
        sb = acc.summary_before
        tail = (f"largest area change {acc.by_area.attrs.get('max_change_pct', float('nan')):+.1f}%"
                if acc.by_area is not None else "no demand areas given: population-weighted figures only")
        lines.append(f"  before      existing sites only: mean {sb['weighted_mean']:.6g}, Gini {sb['gini']:.4f}"
                     + (f", {sb['share_below']:.2%} below {threshold:g}" if threshold is not None else "")
                     + f"; mean change {acc.mean_change_pct:+.1f}%, {tail}")
    return lines


def access_metrics(acc: AccessReport | None) -> dict[str, Any]:
    if acc is None:
        return {}
    sa, sb = acc.summary_after, acc.summary_before
    out: dict[str, Any] = {
        "access_measure": acc.measure,
        "access_mean": sa["weighted_mean"],
        "access_gini": sa["gini"],
        "access_share_below": sa["share_below"],
    }
    if sb is not None:
        out.update(access_mean_before=sb["weighted_mean"], access_gini_before=sb["gini"],
                   access_share_below_before=sb["share_below"], access_mean_change_pct=acc.mean_change_pct)
    if acc.by_area is not None:
        out["access_max_area_change_pct"] = acc.by_area.attrs.get("max_change_pct")
    return out


def equity_sites_table(instance: SitingInstance, open_sites: np.ndarray, supply: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"site_id": instance.site_ids, "existing": instance.existing(), "open": open_sites,
                         "supply_before": instance.supplies(), "supply_after": supply})


class SitingReporter:
    """Renders a siting :class:`~optmodels.contract.Solution` (the family's Reporter)."""

    def summary(self, solution) -> str:
        instance, ev, dec = solution.instance, solution.evaluation, solution.decision
        thr = instance.access.threshold
        if ev.location is not None:
            lines = summary_lines(instance, ev.location, instance.model)
            lines += access_lines(ev.access, thr)
            return "\n".join(lines)
        supply = dec.supply
        opened = np.flatnonzero(dec.open)
        check = "all constraints hold" if ev.feasible else "VIOLATED: " + ", ".join(ev.violations)
        lines = [
            f"  {solution.objective_name} (unscaled) {ev.objective(solution.objective_name) / _scale_power(solution.objective_name, ev.scale):.6g}",
            f"  total supply {supply.sum():.6g}",
            "  supply      " + ", ".join(f"{instance.site_ids[j]}={supply[j]:.4g}" for j in opened[:20])
            + (f" (+{len(opened) - 20} more)" if len(opened) > 20 else ""),
            f"  check       numpy re-evaluation: {check}",
        ]
        lines += access_lines(ev.access, thr)
        if ev.access is not None and ev.access.by_area is not None:
            from optmodels.siting.access.measures import before_after_text

            lines.append(before_after_text(ev.access.by_area))
        return "\n".join(lines)

    def metrics(self, solution) -> dict[str, Any]:
        instance, ev, dec = solution.instance, solution.evaluation, solution.decision
        pop = instance.populations()
        out: dict[str, Any] = {
            "model": instance.model,
            "n_open": int(np.count_nonzero(dec.open)),
            "feasible_by_evaluator": ev.feasible,
            "violations": ev.violations,
        }
        if ev.location is not None:
            loc = ev.location
            out.update({k: v for k, v in loc.objectives.items()})
            out.update(mean_distance=loc.mean_distance, max_distance=loc.max_distance)
            if instance.parameters.radius is not None:
                out["covered_population_share"] = float((pop * loc.covered).sum() / pop.sum())
        else:
            out["total_supply"] = float(dec.supply.sum())
            out[solution.objective_name] = ev.objective(solution.objective_name)
            out[f"{solution.objective_name}_unscaled"] = ev.objective(solution.objective_name) / _scale_power(solution.objective_name, ev.scale)
            out["cost"] = float(instance.fixed_costs()[dec.open & ~instance.existing()].sum())
        out.update(access_metrics(ev.access))
        return out

    def tables(self, solution) -> dict[str, pd.DataFrame]:
        instance, ev, dec = solution.instance, solution.evaluation, solution.decision
        out: dict[str, pd.DataFrame] = {}
        if ev.location is not None:
            out["sites"] = sites_table(instance, ev.location.open, ev.location)
            out["assignments"] = assignments_table(instance, ev.location)
        else:
            out["sites"] = equity_sites_table(instance, dec.open, dec.supply)
        acc = ev.access
        access_frame = None
        if acc is not None:
            frame = pd.DataFrame({"demand_id": instance.demand_ids, "population": instance.populations()})
            if acc.before is not None:
                frame["access_before"] = acc.before
            frame["access_after"] = acc.after
            out["accessibility"] = access_frame = frame
            if acc.by_area is not None:
                out["accessibility_before_after"] = acc.by_area
        # One row per demand point (the GeoPackage's demand layer), so that a result folder
        # alone can be mapped again (``optmodels report``) without the instance file.
        out["demand"] = demand_table(instance, ev.location, access_frame)
        fields = coordinate_fields(instance)
        if fields is not None:
            dx, dy, sx, sy = coordinates(instance)  # type: ignore[misc]
            out["sites"] = out["sites"].assign(**{fields[0]: sx, fields[1]: sy})
            out["demand"] = out["demand"].assign(**{fields[0]: dx, fields[1]: dy})
        return out

    main_table = "sites"
    objectives = OBJECTIVES

    def highlights(self, solution) -> dict[str, str]:
        """The few figures a notebook shows beside the objective."""
        instance, ev, m = solution.instance, solution.evaluation, solution.metrics
        out = {"open sites": f"{m['n_open']} of {instance.n_sites}"}
        if ev.location is not None:
            out["distance"] = f"mean {m['mean_distance']:.6g} (population-weighted), max {m['max_distance']:.6g}"
            if "covered_population_share" in m:
                out["coverage"] = (f"{m['covered_population_share']:.2%} of the population within "
                                   f"{instance.parameters.radius:g}")
        else:
            out["total supply"] = f"{m['total_supply']:.6g}"
        if "access_mean" in m:
            out["accessibility"] = f"mean {m['access_mean']:.6g}, Gini {m['access_gini']:.4f}"
        return out

    def plot(self, solution):
        """The map with open sites and coverage (without coordinates: the population each open
        site serves); for the equal-accessibility models the supply and accessibility."""
        instance, ev, dec = solution.instance, solution.evaluation, solution.decision
        title = f"{instance.name} -- {instance.model}"
        if ev.location is None:
            return supply_figure(instance, dec.open, dec.supply, ev.access, title=title)
        fig = map_figure(instance, ev.location, title=title)
        if fig is None:
            from optmodels.report import new_figure

            served = sites_table(instance, ev.location.open, ev.location)
            served = served[served["open"]]
            fig = new_figure(figsize=(7, 4.5), layout="constrained")
            ax = fig.subplots()
            ax.bar(served["site_id"].astype(str), served["population_served"], color="tab:blue")
            ax.set_ylabel("population served")
            ax.set_title(f"{title} (no coordinates: population served per open site)")
            ax.tick_params(axis="x", rotation=90, labelsize=7)
        return fig

    def figures(self, solution, folder: Path) -> list[str]:
        from optmodels.report import save_figure

        instance, ev = solution.instance, solution.evaluation
        written = []
        if ev.location is not None:  # the map only: what solve --out wrote before plot() existed
            fig = map_figure(instance, ev.location, title=f"{instance.name} -- {instance.model}")
            if fig is not None:
                save_figure(fig, folder / "map.png")
                written.append("map.png")
        try:
            import geopandas  # noqa: F401
        except ImportError:
            return written  # the geo extra is optional; the CSVs carry the same columns
        tables = solution.tables
        if write_geo(instance, folder / "siting.gpkg", tables["sites"], tables["demand"]):
            written.append("siting.gpkg")
        return written


def _scale_power(objective: str, scale: float | None) -> float:
    """variance is stated in scale^2, MAD in scale (optmodels.siting.access.equity.unscaled)."""
    if scale is None:
        return 1.0
    return scale**2 if objective == "access_variance" else scale


REPORTER = SitingReporter()
