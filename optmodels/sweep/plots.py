"""Plots of a sweep's table: response curves and a tornado chart.

- One figure per varied parameter (``sweep_<path>.png``): the objective (and the chosen metric,
  in a second panel) against that parameter, one line per value of the next varied parameter;
  further varied parameters are held at their first value. Scenarios without a solution
  (infeasible, no viable fee, invalid value, ...) are drawn as crosses on the axis floor, and the
  stretches where no line has a solution are shaded: the region where the problem turns
  infeasible is visible at a glance.
- One-at-a-time studies get ``tornado.png``: per parameter, the change of the objective (and
  metric) from the base scenario at each tested value, largest swing on top; a value without a
  solution is written on its bar's side; a legend says what the colours mean and the base value
  is the marked zero line.

Each figure is made by a function returning a matplotlib Figure (:func:`figures`); :func:`draw`
saves them, and a sweep's result shows them with ``.plot()``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from optmodels.sweep.run import SOLVED

_FAILED_LABEL = "no solution (infeasible / no viable / invalid)"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "parameter"


def _metric_column(frame: Any, metric: str | None) -> str | None:
    if metric is None:
        return None
    for name in (metric, f"metric.{metric}"):
        if name in frame.columns:
            return name
    from optmodels.errors import UsageError

    known = [c.removeprefix("metric.") for c in frame.columns if c.startswith("metric.")]
    raise UsageError(f"--metric: expected one of {', '.join(known) or '(no metrics: nothing solved)'}, "
                     f"found {metric!r}")


def figures(frame: Any, *, spec: dict[str, Any], metric: str | None = None) -> dict[str, Any]:
    """The sweep's figures by file name (``tornado.png`` or one ``sweep_<path>.png`` per varied
    parameter), as matplotlib Figures; nothing is written. ``SweepResult.plot()`` returns them,
    :func:`draw` saves them: one drawing code path."""
    metric_col = _metric_column(frame, metric)
    if spec.get("mode") == "oat":
        return {"tornado.png": tornado_figure(frame, spec, metric_col)}
    # A path given one value is a fixed change of the base, not an axis.
    columns = [v["column"] for v in spec["vary"] if frame[v["column"]].nunique(dropna=False) > 1]
    out = {}
    for column in columns:
        others = [c for c in columns if c != column]
        out[f"sweep_{_slug(column)}.png"] = response_figure(frame, column, others, metric_col, spec)
    return out


def draw(frame: Any, folder: str | Path, *, spec: dict[str, Any], metric: str | None = None) -> list[str]:
    """Draw the sweep's figures into ``folder``; returns the file names written."""
    from optmodels.report import save_figure

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    drawn = figures(frame, spec=spec, metric=metric)
    for name, fig in drawn.items():
        save_figure(fig, folder / name)
    return list(drawn)


def _panels(metric_col: str | None, objective: str):
    return [("objective", objective)] + ([(metric_col, metric_col.removeprefix("metric."))] if metric_col else [])


def response_figure(frame, x: str, others: list[str], metric_col: str | None, spec):
    """The objective (and metric) against ``x``, one line per value of the next varied
    parameter (a Figure)."""
    import pandas as pd

    from optmodels.report import new_figure

    data = frame.copy()
    for fixed in others[1:]:  # hold the third and further parameters at their first value
        data = data[data[fixed] == data[fixed].iloc[0]]
    by = others[0] if others else None
    groups = list(data.groupby(by, sort=False, dropna=False)) if by else [(None, data)]
    numeric = pd.api.types.is_numeric_dtype(data[x])
    cats = list(dict.fromkeys(data[x])) if not numeric else None
    objective = str(frame["objective_name"].dropna().iloc[0]) if frame["objective_name"].notna().any() else "objective"
    panels = _panels(metric_col, objective)
    fig = new_figure(figsize=(7, 3.6 * len(panels)))
    axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)
    failed_x = set(data[x])
    for _, group in groups:  # x values where no line has a solution
        failed_x &= set(group.loc[~group["status"].isin(SOLVED), x])
    for ax, (col, label) in zip(axes[:, 0], panels, strict=True):
        drawn = []
        for value, group in groups:
            group = group.sort_values(x) if numeric else group
            xs = group[x] if numeric else group[x].map(cats.index)
            ok = group["status"].isin(SOLVED)
            name = f"{by} = {value}" if by else None
            line = ax.plot(xs[ok], group.loc[ok, col].astype(float), marker="o", ms=3, label=name)[0]
            drawn.append((xs[~ok], line.get_color()))
        floor = ax.get_ylim()[0]
        for xs_failed, color in drawn:  # crosses on the floor: scenarios without a solution
            if len(xs_failed):
                ax.plot(xs_failed, [floor] * len(xs_failed), ls="", marker="x", ms=7, mew=2,
                        color=color, clip_on=False)
        ax.set_ylim(bottom=floor)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        if failed_x:
            _shade(ax, sorted(failed_x) if numeric else sorted(cats.index(v) for v in failed_x),
                   sorted(set(data[x])) if numeric else list(range(len(cats))))
    ax = axes[-1, 0]
    ax.set_xlabel(x)
    if not numeric:
        ax.set_xticks(range(len(cats)), [str(c) for c in cats])
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if (~data["status"].isin(SOLVED)).any():
        from matplotlib.lines import Line2D

        handles.append(Line2D([], [], ls="", marker="x", color="black", mew=2))
        labels.append(_FAILED_LABEL)
    if handles:
        axes[0, 0].legend(handles, labels, fontsize=8)
    axes[0, 0].set_title(f"{spec['family']}: {objective} against {x}")
    return fig


def _shade(ax, failed: list[Any], grid: list[Any]) -> None:
    """Shade each failed grid point out to half-way to its neighbours."""
    for value in failed:
        i = grid.index(value)
        lo = value - (value - grid[i - 1]) / 2 if i > 0 else value
        hi = value + (grid[i + 1] - value) / 2 if i + 1 < len(grid) else value
        if lo == hi:
            lo, hi = value - 0.5 * _step(grid), value + 0.5 * _step(grid)
        ax.axvspan(lo, hi, color="tab:red", alpha=0.12, lw=0)


def _step(grid: list[Any]) -> float:
    if len(grid) < 2:
        return 1.0
    return float(min(b - a for a, b in zip(grid[:-1], grid[1:], strict=True)))


def tornado_figure(frame, spec, metric_col: str | None):
    """One-at-a-time study: per parameter, the change of the objective (and metric) from the
    base scenario at each tested value, largest swing on top (a Figure). The colours are
    explained in a legend (the objective above / below its base value), and the base is a
    marked zero line with its value."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from optmodels.report import new_figure

    base = frame[frame["parameter"].isna()]
    if base.empty or base["status"].iloc[0] not in SOLVED:
        raise ValueError("the base scenario has no solution: a tornado chart needs one")
    objective = str(frame["objective_name"].dropna().iloc[0])
    panels = _panels(metric_col, objective)
    params = [v["path"] for v in spec["vary"]]
    columns = {v["path"]: v["column"] for v in spec["vary"]}
    fig = new_figure(figsize=(6.5 * len(panels), 0.6 * len(params) + 2.6))
    axes = fig.subplots(1, len(panels), squeeze=False)
    for ax, (col, label) in zip(axes[0], panels, strict=True):
        ref = float(base[col].iloc[0])
        bars = []
        for p in params:
            rows = frame[frame["parameter"] == p]
            ok = rows["status"].isin(SOLVED)
            deltas = (rows.loc[ok, col].astype(float) - ref).tolist()
            swing = max((abs(d) for d in deltas), default=0.0)
            bars.append((swing, p, rows, ok))
        bars.sort(key=lambda b: b[0])
        for y, (_, p, rows, ok) in enumerate(bars):
            n = len(rows)
            for m, ((_, row), good) in enumerate(zip(rows.iterrows(), ok, strict=True)):
                value = row[columns[p]]
                text = f"{value:g}" if isinstance(value, float) else str(value)
                # Each tested value gets its own slice of the row, so labels never sit on top of
                # each other (two values often give the same objective).
                yy = y + (m - (n - 1) / 2) * (0.7 / max(n, 1))
                if good:
                    delta = float(row[col]) - ref
                    ax.barh(yy, delta, height=0.7 / max(n, 1), color=_UP if delta >= 0 else _DOWN,
                            alpha=0.8)
                    ax.text(delta, yy, f" {text} ", va="center", ha="left" if delta >= 0 else "right", fontsize=8)
                else:
                    ax.text(0, yy, f" {text}: {row['status']} ", color="tab:red", fontsize=8, va="center")
        ax.axvline(0, color="black", lw=1.5)
        ax.plot([0], [1.0], marker="v", ms=9, color="black", transform=ax.get_xaxis_transform(), clip_on=False)
        ax.margins(x=0.3)
        ax.set_yticks(range(len(bars)), [b[1] for b in bars])
        ax.set_xlabel(f"change of {label} from the base ({ref:.6g})")
        ax.grid(axis="x", alpha=0.3)
        ax.legend(handles=[Patch(color=_UP, alpha=0.8, label=f"{label} above the base"),
                           Patch(color=_DOWN, alpha=0.8, label=f"{label} below the base"),
                           Line2D([], [], color="black", lw=1.5, marker="v",
                                  label=f"base value {ref:.6g} (the file's own values)")],
                  fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, frameon=False)
    axes[0, 0].set_title(f"{spec['family']}: one at a time ({objective}); bar labels: the value tested", pad=14)
    fig.set_layout_engine("constrained")  # the second panel's names and the legends need room
    return fig


#: tornado bar colours: the objective (or metric) above / below its base value
_UP, _DOWN = "tab:blue", "tab:orange"
