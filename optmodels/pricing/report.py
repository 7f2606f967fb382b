"""Pricing results as tidy tables, the solve summary, and the seed's figures 1-3.

Figures: for each model the *mid-stage* and *late-stage* profit surfaces over f, e in [0, 2]
with t = 0.5, g = 1 (seed Figs. 1-3). The seed's mid stage has two cases (patients past their
threshold, or HPs past theirs); its surface is drawn as the expected profit given the mid stage,
``(p2 s2 + p3 s3) / (p2 + p3)``, which is a function of both fees (each case alone depends on one
fee only). The late stage is ``s4``. The surfaces evaluate the stage formulas over the whole
plotted square, including fees below the model's lower bounds (the seed plots [0, 2]).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from optmodels.pricing.evaluate import (
    STAGE_CONDITIONS,
    STAGES,
    evaluate,
    fee_lattice,
    marginal_profit,
)
from optmodels.pricing.instance import OBJECTIVES, PricingInstance

MODELS = ("model1", "model2", "model3")
MODEL_TITLES = {
    "model1": "Model 1 (online)",
    "model2": "Model 2 (online + offline)",
    "model3": "Model 3 (+ HP data sharing)",
}
FEE_NAMES = {"f": "patient fee f", "e": "HP fee e", "t": "offline deposit t", "g": "sharing fee g"}
PROFIT_UNIT = "profit per month (seed's money unit)"


def stage_table(instance: PricingInstance, fees: dict[str, float]) -> pd.DataFrame:
    """One row per stage: condition, probability, profit, contribution ``p * profit``."""
    ev = evaluate(instance, **fees)
    return pd.DataFrame({
        "stage": list(STAGES),
        "condition": [STAGE_CONDITIONS[s] for s in STAGES],
        "probability": ev.p.ravel(),
        "profit": ev.s.ravel(),
        "contribution": ev.contribution.ravel(),
    })


def _objective_gradient(instance: PricingInstance, fees: dict[str, float], objective: str) -> dict[str, float]:
    """d(objective)/d(fee) at the point (central differences of the evaluator)."""
    if objective == "profit":
        return marginal_profit(instance, fees)
    h = 1e-6
    out = {}
    for fee in instance.fees:
        hi, lo = dict(fees), dict(fees)
        hi[fee] += h
        lo[fee] -= h
        out[fee] = float((evaluate(instance, **hi).objective(objective) - evaluate(instance, **lo).objective(objective)) / (2 * h))
    return out


def fee_table(instance: PricingInstance, fees: dict[str, float], objective: str, sense: str,
              *, step: float | None = None) -> pd.DataFrame:
    """One row per fee: value, bounds, which bound binds, the marginal profit and why."""
    lower, upper = instance.lower_bounds(), instance.upper_bounds()
    dU = marginal_profit(instance, fees)
    dobj = _objective_gradient(instance, fees, objective)
    rows = []
    for fee in instance.fees:
        value, lo, hi = fees[fee], lower[fee], upper[fee]
        tol = 1e-7 * max(1.0, abs(hi))
        lattice = instance.elastic and fee in ("f", "e")
        if lattice:
            levels = fee_lattice(instance, fee, step)
            tol = max(tol, 1e-9)
        binding = "upper" if value >= hi - tol else ("lower" if value <= lo + tol else "none")
        if lattice:  # on the lattice the ends are the first and last levels
            k = int(np.argmin(np.abs(levels - value)))
            binding = "upper" if k == len(levels) - 1 else ("lower" if k == 0 else "none")
        improve = dobj[fee] if sense == "max" else -dobj[fee]  # > 0: raising the fee helps
        rate = f"d{objective}/d{fee} = {dobj[fee]:+.6g} per unit"
        if binding == "none":
            why = (f"interior (held by viability: {rate})" if abs(dobj[fee]) > 1e-9 else
                   f"interior; {fee} does not change {objective} (the solver's choice)")
        elif abs(dobj[fee]) <= 1e-9 and abs(dU[fee]) <= 1e-9:
            why = (f"{fee} changes neither {objective} nor expected profit: any value in its bounds is as "
                   f"good; reported at its cap {fee}0 = {hi:g}")
        elif abs(dobj[fee]) <= 1e-9:
            why = (f"at its {binding} bound, but {fee} does not change {objective}: any value in its "
                   "bounds is as good (the solver's choice)")
        elif binding == "upper":
            why = (f"cap {fee}0 = {hi:g} binds: {rate}, so a higher {fee} would improve {objective}"
                   if improve > 0 else
                   f"at the cap {fee}0 = {hi:g} (lattice optimum; the local slope {rate} points inward)")
        else:
            where = (f"lowest lattice level {value:g} (above the bound {instance.lower_reason(fee)} "
                     f"= {lo:.7g}) binds" if lattice else
                     f"lower bound {instance.lower_reason(fee)} = {lo:.7g} binds")
            why = (f"{where} (strict {fee} > "
                   f"{lo - instance.epsilon:g} imposed as >= + epsilon): {rate}, so a lower {fee} "
                   f"would improve {objective}"
                   if improve < 0 else
                   f"at the lower bound {lo:.7g} (lattice optimum; the local slope {rate} points inward)")
        if lattice and binding == "none":
            k = int(np.argmin(np.abs(levels - value)))
            nb = [levels[i] for i in (k - 1, k + 1) if 0 <= i < len(levels)]
            vals = []
            for x in nb:
                other = dict(fees)
                other[fee] = x
                vals.append(float(evaluate(instance, **other).objective(objective)))
            shown = ", ".join(f"{fee}={x:g}: {v:.6g}" for x, v in zip(nb, vals, strict=False))
            why = f"interior lattice level {k + 1} of {len(levels)}; neighbours give {objective} {shown}"
        rows.append({"fee": fee, "value": value, "lower": lo, "upper": hi, "binding": binding,
                     "dU_dfee": dU[fee], "why": why})
    return pd.DataFrame(rows)


def summary_text(instance: PricingInstance, fees: dict[str, float], objective: str, sense: str,
                 *, step: float | None = None) -> str:
    """The model-specific part of ``optmodels solve``'s printout (the method is a note above it)."""
    ev = evaluate(instance, **fees)
    stages = stage_table(instance, fees)
    table = fee_table(instance, fees, objective, sense, step=step)
    lines = [f"  instance    {instance.name or '-'} ({instance.model}"
             + (", price-elastic participation" if instance.elastic else ", price-independent participation") + ")"]
    lines.append(f"  epsilon     {instance.epsilon:g} (strict inequalities x > a imposed as x >= a + epsilon)")
    lines.append("")
    lines.append("Optimal fees")
    for row in table.itertuples():
        lines.append(f"  {row.fee} = {row.value:.6g}   bounds [{row.lower:.7g}, {row.upper:g}]   "
                     f"dU/d{row.fee} = {row.dU_dfee:.6g}")
    lines.append(f"  expected participants E[M] + E[N] = {float(ev.EM):.6g} + {float(ev.EN):.6g} = "
                 f"{float(ev.participation):.6g};  patient burden f + t = {float(ev.patient_burden):.6g}")
    lines.append("")
    lines.append("Stages")
    lines.append("  stage  probability       profit   p x profit  condition")
    for row in stages.itertuples():
        lines.append(f"  {row.stage:5}  {row.probability:11.6f}  {row.profit:11.4f}  {row.contribution:11.4f}  {row.condition}")
    lines.append(f"  expected profit U = {float(ev.U):.6f}")
    lines.append("")
    lines.append("Binding constraints")
    for row in table.itertuples():
        lines.append(f"  {row.fee}: {row.binding:5}  {row.why}")
    u = float(ev.U)
    binds = abs(u) <= 1e-6 * max(1.0, abs(u))
    lines.append(f"  viability U >= 0: {'binds (U = 0): the objective would improve further but profit would turn negative' if binds else f'slack {u:.6g}'}")
    if objective == "participation" and not instance.elastic:
        lines.append("  note: participation does not depend on the fees without elasticity; every viable fee is optimal")
    if objective == "profit" and not instance.elastic:
        lines.append("  note: every dU/dfee is >= 0 (E[M]P(M>M0), E[N]P(N>N0), EQ EP P(M>M0), theta ENs ES P(N>N0)),"
                     " so the profit LP sits at the caps")
    return "\n".join(lines)


class PricingReporter:
    """Renders a pricing :class:`~optmodels.contract.Solution` (the family's Reporter).

    ``decision`` is the fee dict; ``extra["lattice_step"]`` the step the lattice was built with
    (``None`` for the LP).
    """

    def summary(self, solution: Any) -> str:
        return summary_text(solution.instance, solution.decision, solution.objective_name, solution.sense,
                            step=solution.extra.get("lattice_step"))

    def metrics(self, solution: Any) -> dict[str, Any]:
        """Flat scalars: the fees, the three objectives, stage probabilities, viability."""
        instance, fees, ev = solution.instance, solution.decision, solution.evaluation
        table = fee_table(instance, fees, solution.objective_name, solution.sense,
                          step=solution.extra.get("lattice_step"))
        out: dict[str, Any] = {
            "model": instance.model,
            "elastic": instance.elastic,
            "method": solution.extra.get("method"),
            "lattice_step": solution.extra.get("lattice_step"),
            **{fee: float(value) for fee, value in fees.items()},
            **{f"{row.fee}_binding": row.binding for row in table.itertuples()},
            "expected_profit": float(ev.U),
            "participation": float(ev.participation),
            "patient_burden": float(ev.patient_burden),
            "EM": float(ev.EM),
            "EN": float(ev.EN),
            **{f"p_{stage}": float(p) for stage, p in zip(STAGES, ev.p.ravel(), strict=True)},
            "viable": bool(float(ev.U) >= -1e-9),
            "volumes_within_participation": solution.extra.get("volumes_within_participation"),
            "feasible_by_evaluator": bool(ev.feasible),
        }
        return out

    def tables(self, solution: Any) -> dict[str, pd.DataFrame]:
        instance, fees = solution.instance, solution.decision
        return {
            "stages": stage_table(instance, fees),
            "fees": fee_table(instance, fees, solution.objective_name, solution.sense,
                              step=solution.extra.get("lattice_step")),
        }

    main_table = "fees"
    objectives = OBJECTIVES

    def highlights(self, solution: Any) -> dict[str, str]:
        """The few figures a notebook shows beside the objective."""
        m = solution.metrics
        fees = ", ".join(f"{k} = {v:.6g}" for k, v in solution.decision.items())
        return {
            "fees": fees,
            "expected profit U": f"{m['expected_profit']:.6g} {OBJECTIVES['profit'].unit}",
            "participation": f"{m['participation']:.6g} (E[M] {m['EM']:.6g} + E[N] {m['EN']:.6g})",
            "patient burden f + t": f"{m['patient_burden']:.6g}",
        }

    def plot(self, solution: Any):
        """The expected-profit surface over (f, e) with the solved fees marked (a Figure)."""
        return profit_figure(solution.instance, solution.decision)

    def figures(self, solution: Any, folder: Path) -> list[str]:
        # a solve writes no figure (as before plot() existed); the seed's figures are
        # `optmodels pricing surface`, and plot() draws the profit surface on demand
        return []


REPORTER = PricingReporter()


# -- figures -----------------------------------------------------------------------------------


def surface_grid(instance: PricingInstance, model: str, *, t: float, g: float, points: int,
                 lo: float = 0.0, hi: float = 2.0) -> pd.DataFrame:
    """Mid- and late-stage profit over an (f, e) grid for one model, long format."""
    inst = instance if instance.model == model else instance.with_model(model)
    axis = np.linspace(lo, hi, points)
    F, E = np.meshgrid(axis, axis, indexing="ij")
    ev = evaluate(inst, F, E, t, g)
    frames = []
    for stage, values in (("mid", ev.mid), ("late", ev.late)):
        frames.append(pd.DataFrame({"model": model, "stage": stage, "f": F.ravel(), "e": E.ravel(),
                                    "profit": values.ravel()}))
    return pd.concat(frames, ignore_index=True)


def _surface_arrays(grid: pd.DataFrame, stage: str, points: int) -> tuple[np.ndarray, ...]:
    sub = grid[grid["stage"] == stage]
    return tuple(sub[c].to_numpy().reshape(points, points) for c in ("f", "e", "profit"))


def stage_surface_figure(instance: PricingInstance, model: str, stage: str, *, t: float = 0.5,
                         g: float = 1.0, points: int = 41, grid: pd.DataFrame | None = None):
    """One of the seed's figures 1-3: the mid- or late-stage profit of ``model`` over (f, e), as a
    3-D surface beside its contour map (a Figure; nothing written)."""
    from optmodels.report import new_figure

    grid = surface_grid(instance, model, t=t, g=g, points=points) if grid is None else grid
    F, E, Z = _surface_arrays(grid, stage, points)
    label = "mid-stage" if stage == "mid" else "late-stage"
    fig = new_figure(figsize=(13.0, 5.4))
    ax = fig.add_subplot(1, 2, 1, projection="3d")
    ax.plot_surface(F, E, Z, cmap="viridis", linewidth=0, antialiased=True)
    ax.set_xlabel("patient fee f (per patient per month)", fontsize=8)
    ax.set_ylabel("HP fee e (per HP per month)", fontsize=8)
    ax.set_zlabel("profit per month", fontsize=8)
    ax.view_init(elev=25, azim=-130)
    ax2 = fig.add_subplot(1, 2, 2)
    filled = ax2.contourf(F, E, Z, levels=20, cmap="viridis")
    fig.colorbar(filled, ax=ax2, label="profit per month")
    if Z.min() < 0 < Z.max():
        zero = ax2.contour(F, E, Z, levels=[0.0], colors="red", linewidths=2)
        ax2.clabel(zero, fmt="profit = 0", fontsize=8)
    ax2.set_xlabel("patient fee f (per patient per month)")
    ax2.set_ylabel("HP fee e (per HP per month)")
    ax2.set_aspect("equal")
    extra = (f", t = {t:g}" if model != "model1" else "") + (f", g = {g:g}" if model == "model3" else "")
    what = ("E[profit | mid stage] = (p2 s2 + p3 s3)/(p2 + p3)" if stage == "mid"
            else "late stage s4 (M > M0, N > N0)")
    fig.suptitle(f"{MODEL_TITLES[model]}: {label} profit{extra}   [{what}]", fontsize=11)
    return fig


def comparison_figure(instance: PricingInstance, *, t: float = 0.5, g: float = 1.0):
    """The late-stage profit of the three models along the diagonal f = e (a Figure)."""
    from optmodels.report import new_figure

    axis = np.linspace(0.0, 2.0, 201)
    fig = new_figure(figsize=(7.2, 4.6), layout="constrained")
    ax = fig.subplots()
    for model, style in zip(MODELS, ("-", "--", "-."), strict=False):
        inst = instance if instance.model == model else instance.with_model(model)
        late = evaluate(inst, axis, axis, t, g).late
        ax.plot(axis, late, style, lw=2, label=MODEL_TITLES[model])
    ax.axhline(0.0, color="grey", lw=0.8)
    ax.axvline(2.3868 / 2, color="red", lw=0.8, ls=":", label="seed's break-even f + e = 2.3868")
    ax.set_xlabel("fee level f = e (per participant per month)")
    ax.set_ylabel("late-stage profit s4 per month")
    ax.set_title(f"Late-stage profit of the three models (t = {t:g}, g = {g:g})")
    ax.legend(loc="upper left", fontsize=9)
    ax.grid(alpha=0.3)
    return fig


def profit_figure(instance: PricingInstance, fees: dict[str, float], *, points: int = 81):
    """A solution's figure: expected profit U over the (f, e) plane with the other fees held at
    their solved values, the zero-profit line, the fees' box and the solved fees marked."""
    from optmodels.report import new_figure

    lower, upper = instance.lower_bounds(), instance.upper_bounds()
    hi = max(2.0, 1.25 * max(upper.get("f", 2.0), upper.get("e", 2.0), fees.get("f", 0.0), fees.get("e", 0.0)))
    axis = np.linspace(0.0, hi, points)
    F, E = np.meshgrid(axis, axis, indexing="ij")
    rest = {k: v for k, v in fees.items() if k not in ("f", "e")}
    U = np.asarray(evaluate(instance, F, E, rest.get("t", 0.0), rest.get("g", 0.0)).U, dtype=float)
    fig = new_figure(figsize=(6.4, 5.2), layout="constrained")
    ax = fig.subplots()
    filled = ax.contourf(F, E, U, levels=20, cmap="viridis")
    fig.colorbar(filled, ax=ax, label=f"expected profit U ({PROFIT_UNIT})")
    if U.min() < 0 < U.max():
        zero = ax.contour(F, E, U, levels=[0.0], colors="red", linewidths=1.5)
        ax.clabel(zero, fmt="U = 0", fontsize=8)
    from matplotlib.patches import Rectangle

    ax.add_patch(Rectangle((lower["f"], lower["e"]), upper["f"] - lower["f"], upper["e"] - lower["e"],
                           fill=False, ls="--", color="white", lw=1.2, label="fee bounds"))
    ax.scatter([fees["f"]], [fees["e"]], marker="*", s=220, c="tab:red", edgecolors="white", zorder=5,
               label=f"solved fees f = {fees['f']:.4g}, e = {fees['e']:.4g}")
    held = ", ".join(f"{k} = {v:.4g}" for k, v in rest.items())
    ax.set_xlabel("patient fee f (per patient per month)")
    ax.set_ylabel("HP fee e (per HP per month)")
    ax.set_title(f"Expected profit, {instance.model}" + (f" ({held})" if held else ""), fontsize=10)
    ax.legend(fontsize=8, loc="upper right")
    return fig


def surface_figures(instance: PricingInstance, out: Path, *, t: float = 0.5, g: float = 1.0,
                    points: int = 41) -> list[Path]:
    """Write the six surfaces (3 models x mid/late), the late-stage comparison and surfaces.csv."""
    from optmodels.report import save_figure

    written: list[Path] = []
    grids = []
    for model in MODELS:
        grid = surface_grid(instance, model, t=t, g=g, points=points)
        grids.append(grid)
        for stage in ("mid", "late"):
            path = out / f"{model}_{stage}_surface.png"
            save_figure(stage_surface_figure(instance, model, stage, t=t, g=g, points=points, grid=grid), path)
            written.append(path)
    path = out / "late_stage_comparison.png"
    save_figure(comparison_figure(instance, t=t, g=g), path)
    written.append(path)
    csv = out / "surfaces.csv"
    pd.concat(grids, ignore_index=True).to_csv(csv, index=False)
    written.append(csv)
    return written


def breakeven_figure(instance: PricingInstance, info: dict[str, Any], path: Path | None = None, *,
                     t: float, g: float):
    """Zero-profit lines of the late stage and of U in the (f, e) plane, with the seed's line.

    Returns the Figure; with ``path`` it is also saved there."""
    from optmodels.report import new_figure, save_figure

    axis = np.linspace(0.0, 3.0, 301)
    F, E = np.meshgrid(axis, axis, indexing="ij")
    ev = evaluate(instance, F, E, t, g)
    fig = new_figure(figsize=(6, 5.4))
    ax = fig.subplots()
    c1 = ax.contour(F, E, ev.late, levels=[0.0], colors="tab:blue")
    c2 = ax.contour(F, E, ev.U, levels=[0.0], colors="tab:orange")
    ax.plot(axis, info["seed_late_stage_f_plus_e"] - axis, "r:", label="seed: f + e = 2.3868")
    ax.plot([], [], color="tab:blue", label="late stage s4 = 0 (suite)")
    ax.plot([], [], color="tab:orange", label="expected profit U = 0 (suite)")
    del c1, c2
    ax.set_xlim(0, 3)
    ax.set_ylim(0, 3)
    ax.set_xlabel("patient fee f (per patient per month)")
    ax.set_ylabel("HP fee e (per HP per month)")
    ax.set_title(f"Break-even lines, {instance.model}")
    ax.legend(fontsize=9)
    ax.grid(alpha=0.3)
    if path is not None:
        save_figure(fig, path)
    return fig
