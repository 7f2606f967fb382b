"""Tables and figures from the rows of a run: medians per case, log-log scaling, phases, overhead."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

#: the columns of the summary table (medians over repeats, per case and runner)
SUMMARY = [
    "case", "runner", "rows", "columns", "nonzeros", "integers", "status", "objective", "bound",
    "root_bound", "band_free", "gap", "check", "build_wall", "handoff_wall", "highs_reported", "extract_wall", "end_to_end_wall",
    "overhead",
]


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Medians of the timings over repeats (one line per case and runner); the last repeat's
    status/objective/check (repeats of a deterministic solve agree; a disagreement shows up as
    ``check`` FAIL on some row of the raw CSV)."""
    if frame.empty:
        return pd.DataFrame(columns=SUMMARY)
    timing = ["build_wall", "handoff_wall", "highs_reported", "extract_wall", "end_to_end_wall",
              "generate_wall", "other_wall", "overhead"]
    keys = ["case", "runner"]
    num = frame[keys + timing].copy()
    for col in timing:
        num[col] = pd.to_numeric(num[col], errors="coerce")
    med = num.groupby(keys, sort=False).median().reset_index()
    cols = ["rows", "columns", "nonzeros", "integers", "status", "objective", "bound", "root_bound",
            "band_free", "gap", "check", "family", "size_label", "model"]
    for col in ("bound", "root_bound", "band_free"):
        if col not in frame.columns:  # a runs.csv written before these columns existed
            frame = frame.assign(**{col: None})
    last = frame.groupby(keys, sort=False).last().reset_index()
    out = med.merge(last[keys + cols], on=keys, how="left")
    n = frame.groupby(keys, sort=False).size().rename("repeats").reset_index()
    out = out.merge(n, on=keys)
    return out[SUMMARY + ["repeats", "generate_wall", "other_wall", "family", "size_label"]]


def peer_ratios(summ: pd.DataFrame) -> pd.DataFrame:
    """End-to-end of each peer divided by the suite's, per case (>1: the suite is faster)."""
    suite = summ[summ.runner == "suite"].set_index("case")
    rows = []
    for _, r in summ[summ.runner != "suite"].iterrows():
        if r.case not in suite.index:
            continue
        s = suite.loc[r.case]
        same = (
            r.objective is not None and s.objective is not None
            and not pd.isna(r.objective) and not pd.isna(s.objective)
            and abs(float(r.objective) - float(s.objective)) <= 1e-6 * max(1.0, abs(float(s.objective)))
        )
        rows.append({
            "case": r.case, "peer": r.runner, "suite_s": s.end_to_end_wall,
            "peer_s": r.end_to_end_wall, "peer_over_suite": r.end_to_end_wall / s.end_to_end_wall,
            "suite_objective": s.objective, "peer_objective": r.objective,
            "same_objective": bool(same), "peer_status": r.status,
        })
    return pd.DataFrame(rows)


#: columns shown with 10 significant digits: bounds a fraction of a percent apart must differ
PRECISE = frozenset({"objective", "bound", "root_bound", "band_free"})


def markdown(frame: pd.DataFrame, floatfmt: str = ".4g") -> str:
    """A GitHub table without the ``tabulate`` dependency."""
    def fmt(v, col):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return ""
        if isinstance(v, (float, np.floating)):
            return format(float(v), ".10g" if col in PRECISE else floatfmt)
        return str(v)

    head = "| " + " | ".join(frame.columns) + " |"
    sep = "|" + "|".join("---" for _ in frame.columns) + "|"
    cols = list(frame.columns)
    body = ["| " + " | ".join(fmt(v, c) for v, c in zip(row, cols, strict=True)) + " |"
            for row in frame.itertuples(index=False)]
    return "\n".join([head, sep, *body])


# --------------------------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------------------------


def fit_exponent(size: np.ndarray, seconds: np.ndarray) -> float:
    """Slope of log(seconds) on log(size) by least squares (``nan`` with < 2 distinct sizes)."""
    ok = (size > 0) & (seconds > 0) & np.isfinite(seconds)
    if len(np.unique(size[ok])) < 2:
        return math.nan
    return float(np.polyfit(np.log(size[ok]), np.log(seconds[ok]), 1)[0])


#: HiGHS run times below this (seconds) are no run at all -- the family's presolve settled the
#: case and HiGHS was handed an empty model -- so an overhead ratio over them means nothing.
MIN_HIGHS_SECONDS = 1e-3


def with_model_size(summ: pd.DataFrame) -> pd.DataFrame:
    """The suite's rows with ``size``: the nonzeros of the case's plain model.

    The suite's own model is the size when it has one; when the family's presolve solved the
    case and left HiGHS an empty model (p-median's Lagrangian reduction: 0 nonzeros), the
    highspy peer's model of the same case is (the family's plain model). A log axis cannot
    show 0: ``scaling_siting.png`` of the quick profile was empty because both its cases were
    presolved.
    """
    suite = summ[(summ.runner == "suite") & summ.nonzeros.notna()].copy()
    peers = summ[summ.runner != "suite"].groupby("case").nonzeros.max()
    own = suite.nonzeros.astype(float)
    suite["size"] = own.where(own > 0, suite.case.map(peers).astype(float))
    return suite


def scaling_figure(family: str, grp: pd.DataFrame):
    """Time against model size for one family's cases, with fitted exponents (a Figure)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 5))
    ax = fig.subplots()
    drawn = grp[grp["size"] > 0]
    for series, ser in drawn.groupby("series", sort=False):
        x = ser["size"].to_numpy(dtype=float)
        color = None
        fits = []
        for col, label, filled in [("end_to_end_wall", "end-to-end", True), ("highs_reported", "HiGHS", False)]:
            y = ser[col].astype(float).to_numpy()
            k = fit_exponent(x, y)
            line = ax.loglog(x, y, "o" if filled else "s", color=color, ms=5,
                             mfc=None if filled else "none")[0]
            color = line.get_color()
            if not math.isnan(k):
                ok = (x > 0) & (y > 0)
                c = np.polyfit(np.log(x[ok]), np.log(y[ok]), 1)
                xs = np.geomspace(x[ok].min(), x[ok].max(), 20)
                ax.loglog(xs, np.exp(np.polyval(c, np.log(xs))), "-" if filled else ":", lw=0.8, color=color)
                fits.append(f"{label} {k:.2f}")
        line.set_label(f"{series}" + (f" (slope {', '.join(fits)})" if fits else ""))
    ax.plot([], [], "ko", ms=5, label="filled: suite end-to-end")
    ax.plot([], [], "ks", ms=5, mfc="none", label="hollow: HiGHS run time")
    presolved = int((grp.nonzeros.astype(float) <= 0).sum())
    if presolved:
        ax.plot([], [], " ", label=f"{presolved} case(s) solved by the family's presolve: "
                                   "sized by the highspy peer's model")
    missing = len(grp) - len(drawn)
    if missing:
        ax.text(0.5, 0.5, f"{missing} case(s) without a model size (no peer ran): not drawn",
                transform=ax.transAxes, ha="center", fontsize=8, color="0.3")
    ax.set_xlabel("nonzeros of the constraint matrix (the family's plain model)")
    ax.set_ylabel("seconds")
    ax.set_title(f"{family}: time vs size (fitted exponent)")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", lw=0.3)
    fig.tight_layout()
    return fig


def overhead_figure(suite: pd.DataFrame):
    """End-to-end time over HiGHS's run time per case (a Figure). Cases where HiGHS ran less than
    :data:`MIN_HIGHS_SECONDS` (presolved) get no bar but a note: their ratio (6.6e4 once) says
    nothing about overhead and flattened every other bar."""
    from matplotlib.figure import Figure

    frame = suite.set_index("case")
    highs = frame.highs_reported.astype(float)
    ratio = (frame.end_to_end_wall.astype(float) / highs).where(highs >= MIN_HIGHS_SECONDS)
    fig = Figure(figsize=(max(6, 0.45 * len(ratio)), 4.5))
    ax = fig.subplots()
    ax.bar(ratio.index, ratio.fillna(0).to_numpy())
    ax.axhline(1.10, color="red", lw=0.8, ls="--", label="target 1.10")
    for i, (case, value) in enumerate(ratio.items()):
        if not np.isfinite(value):
            ax.text(i, 1.0, f"no ratio: HiGHS ran {highs[case] * 1e3:.2g} ms (presolved)", rotation=90,
                    ha="center", va="bottom", fontsize=7, color="0.3")
    ax.set_yscale("log")
    ax.set_ylim(bottom=0.5)
    return fig, ax


def plots(summ: pd.DataFrame, out: Path) -> list[Path]:
    """``scaling_<family>.png``, ``phases.png``, ``overhead.png`` under ``out``."""
    from matplotlib.figure import Figure

    written: list[Path] = []
    suite = with_model_size(summ)
    if suite.empty:
        return written
    suite["nonzeros"] = suite.nonzeros.astype(float)

    # one series per model line (the case name without its size; OR-Library as one line), so a
    # fitted exponent describes one formulation growing, not a mix of models
    suite["series"] = [
        "OR-Library pmed" if str(c).startswith("orlib-") else str(c)[: -len(str(lab)) - 1].split("-", 1)[-1]
        for c, lab in zip(suite.case, suite.size_label, strict=True)
    ]
    for family, grp in suite.groupby("family"):
        path = out / f"scaling_{family}.png"
        scaling_figure(str(family), grp).savefig(path, dpi=120)
        written.append(path)

    phases = ["build_wall", "handoff_wall", "highs_reported", "extract_wall", "other_wall"]
    data = suite.set_index("case")[phases].astype(float).clip(lower=0).fillna(0)
    fig = Figure(figsize=(max(6, 0.45 * len(data)), 4.5))
    ax = fig.subplots()
    bottom = np.zeros(len(data))
    for col in phases:
        ax.bar(data.index, data[col], bottom=bottom, label=col.replace("_wall", "").replace("_reported", ""))
        bottom += data[col].to_numpy()
    written.append(_save_bars(fig, ax, "seconds (log)", "phases per case (median over repeats)", out / "phases.png"))

    fig, ax = overhead_figure(suite)
    written.append(_save_bars(fig, ax, "end-to-end / HiGHS run time", "suite overhead ratio per case",
                              out / "overhead.png"))
    return written


def _save_bars(fig, ax, ylabel: str, title: str, path: Path) -> Path:
    """Finish a per-case bar chart (log y, case names slanted) and write it."""
    ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.tick_params(axis="x", rotation=75, labelsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path
