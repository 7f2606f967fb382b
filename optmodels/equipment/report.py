"""Equipment solutions as tidy tables, a printed summary and a Lorenz-curve plot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from optmodels.analysis.gini import bands_note, gini_band, lorenz_curve
from optmodels.analysis.queueing import mmc
from optmodels.equipment.delphi import composite, delphi_weights
from optmodels.equipment.evaluate import Evaluation
from optmodels.equipment.instance import OBJECTIVES, EquipmentInstance
from optmodels.report import fmt, new_figure, save_figure, table_text


def plan_table(instance: EquipmentInstance, ev: Evaluation) -> pd.DataFrame:
    """One row per (region, year, hospital) with additions: the ``count`` of sets added there
    (the model's x_ijk summed over the sets), their unit ``price`` and their ``cost``.

    The plan's decision is one binary per hospital and year, so ``count`` is 1 today; the column
    states the quantity rather than leaving it to the number of rows (plan.csv used to have one
    row per set and no count).
    """
    d = instance.data
    k, j = np.nonzero(ev.x > 0.5)
    counts = np.rint(ev.x[k, j]).astype(int)
    return pd.DataFrame(
        {
            "region": [d.regions[d.region_of[a]] for a in k],
            "year": [d.years[b] for b in j],
            "hospital": [d.hospitals[a] for a in k],
            "count": counts,
            "price": d.price[k, j],
            "cost": counts * d.price[k, j],
        }
    ).sort_values(["year", "region", "hospital"], ignore_index=True)


def hospital_table(instance: EquipmentInstance, ev: Evaluation) -> pd.DataFrame:
    """Per hospital and year: sets, rates and M/M/c metrics (P_wait, L, Lq, W, Wq in hours)."""
    d = instance.data
    q = mmc(d.lam, d.mu[:, None], ev.sets)
    K, n = ev.sets.shape
    frame = pd.DataFrame(
        {
            "hospital": np.repeat(d.hospitals, n),
            "region": np.repeat([d.regions[i] for i in d.region_of], n),
            "year": np.tile(d.years, K),
            "existing": np.repeat(d.e0, n).astype(int),
            "added": ev.x.ravel().astype(int),
            "sets": ev.sets.ravel().astype(int),
            "arrival_rate": d.lam.ravel(),
            "service_rate": np.repeat(d.mu, n),
            "utilisation_rho": q.rho.ravel(),
            "p_wait": q.p_wait.ravel(),
            "L": q.l.ravel(),
            "Lq": q.lq.ravel(),
            "W_hours": q.w.ravel(),
            "Wq_hours": q.wq.ravel(),
        }
    )
    if instance.delphi is not None:
        w = delphi_weights([ind.counts for ind in instance.delphi.indicators])
        scores = {h: float(composite(w, v)) for h, v in instance.delphi.scores.items()}
        frame["delphi_priority"] = frame["hospital"].map(scores)
    return frame


def region_table(instance: EquipmentInstance, ev: Evaluation) -> pd.DataFrame:
    """Per region and year: population, sets, sets per million, demand, capacity, coverage."""
    d = instance.data
    m, n = ev.region_sets.shape
    added = np.zeros((m, n))
    np.add.at(added, d.region_of, ev.x)
    return pd.DataFrame(
        {
            "region": np.repeat(d.regions, n),
            "year": np.tile(d.years, m),
            "population": d.pop.ravel(),
            "added": added.ravel().astype(int),
            "sets": ev.region_sets.ravel().astype(int),
            "sets_per_million": (ev.region_sets / d.pop * 1e6).ravel(),
            "demand_exams": d.demand.ravel(),
            "capacity_exams": ev.capacity.ravel(),
            "coverage_ratio": np.divide(
                ev.capacity, d.demand, out=np.full_like(ev.capacity, np.inf), where=d.demand > 0
            ).ravel(),
        }
    )


def year_table(instance: EquipmentInstance, ev: Evaluation) -> pd.DataFrame:
    """Per year: Gini against the band, sets, budget use, cost parts, utilisation Z."""
    d = instance.data
    return pd.DataFrame(
        {
            "year": d.years,
            "gini": ev.gini,
            "gini_band": [gini_band(g) for g in ev.gini],
            "total_sets": ev.total_sets.astype(int),
            "added": ev.x.sum(axis=0).astype(int),
            "purchases": ev.purchases,
            "running_cost": ev.running,
            "waiting_cost": ev.waiting,
            "utilisation_Z": ev.utilisation_by_year,
        }
    )


def metrics(instance: EquipmentInstance, ev: Evaluation) -> dict:
    d = instance.data
    return {
        "cost": ev.cost,
        "cost_parts": {
            "purchases": float(ev.purchases.sum()),
            "running": float(ev.running.sum()),
            "waiting": float(ev.waiting.sum()),
        },
        "idle_capacity": ev.idle,
        "utilisation_Z": ev.utilisation,
        "gini_by_year": dict(zip(map(str, d.years), map(float, ev.gini), strict=True)),
        "gini_mean": ev.mean_gini,
        "gini_band": {"lo": d.gini_lo, "hi": d.gini_hi, "mode": d.gini_mode},
        "budget": d.budget,
        "budget_used": float(ev.purchases.sum()),
        "sets_added": int(ev.x.sum()),
        "feasible_by_evaluator": ev.feasible,
        "violations": ev.violations,
    }


def summary(instance: EquipmentInstance, ev: Evaluation) -> str:
    d = instance.data
    lines = []
    lo = "-" if d.gini_lo is None else f"{d.gini_lo:g}"
    lines.append(f"Gini per year (population-weighted, band [{lo}, {d.gini_hi:g}], mode {d.gini_mode}):")
    inside = lambda g: (d.gini_lo is None or g >= d.gini_lo - 1e-9) and g <= d.gini_hi + 1e-9  # noqa: E731
    # The band constrains each year (each_year mode) or only the mean of the years (mean mode,
    # the seed's): mark the values it applies to.
    for y, g in zip(d.years, ev.gini, strict=True):
        if d.gini_mode == "each_year":
            mark = "inside band" if inside(g) else "OUTSIDE band"
        else:
            mark = "           "
        lines.append(f"  {y}: {g:.4f}  {mark}  ({gini_band(g)})")
    if d.gini_mode == "mean":
        mean_mark = "inside band" if inside(ev.mean_gini) else "OUTSIDE band"
    else:
        mean_mark = "(the band applies to each year)"
    lines.append(f"  mean: {ev.mean_gini:.4f}  {mean_mark}")
    lines.append(f"  ({bands_note()})")
    lines.append(
        f"Budget: used {ev.purchases.sum():.6g} of {d.budget:.6g} "
        f"({ev.purchases.sum() / d.budget:.1%})" if d.budget > 0 else "Budget: 0"
    )
    lines.append(
        f"Cost over the horizon: {ev.cost:.6g} = purchases {ev.purchases.sum():.6g} + running "
        f"{ev.running.sum():.6g} + waiting {ev.waiting.sum():.6g}"
    )
    lines.append(f"Utilisation Z = exams / capacity: {ev.utilisation:.4f} (idle capacity {ev.idle:.6g} exams)")
    m, n = ev.region_sets.shape
    added = np.zeros((m, n), dtype=int)
    np.add.at(added, d.region_of, ev.x.astype(int))
    rows = [
        {"region": r, **{str(y): int(added[i, j]) for j, y in enumerate(d.years)}, "total": int(added[i].sum())}
        for i, r in enumerate(d.regions)
        if added[i].sum() > 0
    ]
    lines.append(f"Sets added by region and year ({int(ev.x.sum())} in all):")
    if rows:
        lines.append(table_text(rows, ["region", *map(str, d.years), "total"]))
    else:
        lines.append("  none")
    q = mmc(d.lam, d.mu[:, None], ev.sets)
    busy = q.rho[d.lam > 0]
    lines.append(
        "Queues (M/M/c per hospital-year): max utilisation rho "
        f"{fmt(float(busy.max()) if busy.size else 0.0, 3)}, mean wait Wq "
        f"{fmt(float(q.wq[d.lam > 0].mean() * 60) if busy.size else 0.0, 3)} min, "
        f"max wait Wq {fmt(float(q.wq.max() * 60), 3)} min"
    )
    return "\n".join(lines)


def draw_lorenz(ax, instance: EquipmentInstance, ev: Evaluation) -> None:
    """Lorenz curves of equipment per capita on ``ax``, one per year, with the equality line."""
    d = instance.data
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--", label="equality")
    for j, y in enumerate(d.years):
        x, v = lorenz_curve(ev.region_sets[:, j], d.pop[:, j])
        ax.plot(x, v, marker="o", ms=3, label=f"{y} (Gini {ev.gini[j]:.3f})")
    ax.set_xlabel("cumulative share of population")
    ax.set_ylabel("cumulative share of equipment sets")
    ax.set_title(f"Lorenz curves: {instance.name}")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)


def draw_sets_by_region(ax, instance: EquipmentInstance, ev: Evaluation) -> None:
    """Sets per million inhabitants by region in the last planning year, split into the sets
    installed today and those the plan adds (bars), regions in per-capita order."""
    d = instance.data
    last = d.n_years - 1
    added = np.zeros(d.n_regions)
    np.add.at(added, d.region_of, ev.x.sum(axis=1))
    per_million = 1e6 / d.pop[:, last]
    total = ev.region_sets[:, last] * per_million
    new = added * per_million
    order = np.argsort(total, kind="stable")
    names = [d.regions[i] for i in order]
    ax.barh(names, total[order] - new[order], color="0.7", label="installed today")
    ax.barh(names, new[order], left=total[order] - new[order], color="tab:blue",
            label=f"added {d.years[0]}-{d.years[-1]}")
    ax.set_xlabel(f"sets per million inhabitants, {d.years[last]}")
    ax.set_title(f"Sets by region ({int(ev.x.sum())} added)")
    ax.tick_params(axis="y", labelsize=7 if d.n_regions > 12 else 9)
    ax.legend(fontsize=8, loc="lower right")


def plan_figure(instance: EquipmentInstance, ev: Evaluation):
    """The equipment figure: Lorenz curves per year beside the sets per capita by region.

    Returns a matplotlib Figure and writes nothing (``Solution.plot()``); ``lorenz.png`` of
    ``solve --out`` is this figure saved (:meth:`EquipmentReporter.figures`).
    """
    fig = new_figure(figsize=(11, 5.2), layout="constrained")
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.1]})
    draw_lorenz(left, instance, ev)
    draw_sets_by_region(right, instance, ev)
    return fig


class EquipmentReporter:
    """Renders an equipment :class:`~optmodels.contract.Solution` (the family's Reporter)."""

    def summary(self, solution) -> str:
        ev = solution.evaluation
        check = "holds" if ev.feasible else f"VIOLATED {ev.violations}"
        return (
            f"  check       numpy evaluator: every constraint {check}; objective recomputed "
            f"{ev.objective(solution.objective_name):.10g}\n\n" + summary(solution.instance, ev)
        )

    def metrics(self, solution) -> dict:
        instance, ev = solution.instance, solution.evaluation
        d = instance.data
        q = mmc(d.lam, d.mu[:, None], ev.sets)
        served = d.lam > 0
        return {
            **metrics(instance, ev),
            "mean_wait_minutes": float(q.wq[served].mean() * 60) if served.any() else 0.0,
        }

    def tables(self, solution) -> dict[str, pd.DataFrame]:
        instance, ev = solution.instance, solution.evaluation
        return {
            "plan": plan_table(instance, ev),
            "hospitals": hospital_table(instance, ev),
            "regions": region_table(instance, ev),
            "years": year_table(instance, ev),
        }

    #: the table a notebook shows the head of, and the family's objectives (name, sense, unit)
    main_table = "plan"
    objectives = OBJECTIVES

    def highlights(self, solution) -> dict[str, str]:
        """The few figures a notebook shows beside the objective."""
        m, d = solution.metrics, solution.instance.data
        lo = "-" if d.gini_lo is None else f"{d.gini_lo:g}"
        return {
            "sets added": f"{m['sets_added']}",
            "budget used": f"{m['budget_used']:.6g} of {m['budget']:.6g}",
            "Gini (mean of years)": f"{m['gini_mean']:.4f}, band [{lo}, {d.gini_hi:g}] ({d.gini_mode})",
            "utilisation Z": f"{m['utilisation_Z']:.4f} (idle capacity {m['idle_capacity']:.6g} exams)",
            "mean wait": f"{m['mean_wait_minutes']:.3g} min",
        }

    def plot(self, solution):
        return plan_figure(solution.instance, solution.evaluation)

    def figures(self, solution, folder: Path) -> list[str]:
        save_figure(self.plot(solution), folder / "lorenz.png")
        return ["lorenz.png"]


REPORTER = EquipmentReporter()
