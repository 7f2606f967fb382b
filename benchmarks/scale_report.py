"""The scale profile's tables and figures: ``runs.json``, ``summary.md``, ``scale_time.png``,
``scale_rss.png`` from the rows of ``runs.csv`` (:mod:`benchmarks.scale`)."""

from __future__ import annotations

import json
import math
import statistics
import time
from pathlib import Path
from typing import Any

from benchmarks.scale import _num  # a runs.csv cell as a number, or None

MODELS = ("mclp", "lscp", "lscp_b", "p_median", "p_center")
TITLES = {"mclp": "MCLP", "lscp": "LSCP", "lscp_b": "backup coverage (LSCP-B)", "p_median": "p-median",
          "p_center": "p-center"}
GIB = 1024.0  # MiB per GiB



#: columns that hold text (every other column of runs.csv is a number or empty)
TEXT = frozenset({
    "case", "model", "layout", "runner", "target", "baseline", "met", "status", "stop", "verdict", "check",
    "check_definition", "check_note", "note", "instance", "generate_command", "machine", "python",
    "highs_version", "pyomo_version", "spopt_version", "pulp_version", "commit", "timestamp",
})


def typed(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The CSV's strings as numbers in the numeric columns, ``None`` for empty cells (runs.json)."""
    out = []
    for r in rows:
        t: dict[str, Any] = {}
        for k, v in r.items():
            if v is None or v == "":
                t[k] = None
            elif k in TEXT or not isinstance(v, str):
                t[k] = v
            else:
                try:
                    t[k] = int(v)
                except ValueError:
                    f = float(v)
                    t[k] = None if math.isnan(f) else f
        out.append(t)
    return out


def _fmt(v: Any, digits: int = 4) -> str:
    f = _num(v)
    if f is None:
        return "" if v is None else str(v)
    if abs(f) >= 1e5 or (f != 0 and abs(f) < 1e-3):
        return f"{f:.{digits}g}"
    return f"{f:.{digits}g}" if not float(f).is_integer() else f"{int(f)}"


def _gib(v: Any) -> str:
    f = _num(v)
    return "" if f is None else f"{f / GIB:.2f}"


def _table(head: list[str], body: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in body]
    return "\n".join(lines)


def _cases_in_order(rows):
    from benchmarks.scale import SCALE_CASES

    rank = {c.name: i for i, c in enumerate(SCALE_CASES)}
    return sorted(rows, key=lambda r: (rank.get(r["case"], len(rank)), r["case"], r["runner"] != "suite"))


def targets_table(rows) -> str:
    body = []
    for r in _cases_in_order(rows):
        if r["runner"] != "suite" or not (r.get("target") or r.get("baseline")):
            continue
        body.append([r["case"], r.get("target") or "-", r.get("status") or "", _pct(r.get("gap")),
                     _fmt(r.get("wall")), _fmt(r.get("cpu")), _gib(r.get("peak_rss_mib")), r.get("met") or "-",
                     r.get("check") or "", r.get("baseline") or ""])
    return _table(["case", "target", "status", "gap", "wall s", "CPU s", "peak RSS GiB", "met", "check",
                   "before (issue 23)"], body)


def _pct(v: Any) -> str:
    f = _num(v)
    return "" if f is None else f"{100 * f:.3g} %"


def runs_table(rows) -> str:
    body = []
    for r in _cases_in_order(rows):
        body.append([r["case"], r["runner"], r.get("status") or "", _fmt(r.get("objective"), 10),
                     _fmt(r.get("bound"), 10), _pct(r.get("gap")), r.get("check") or "",
                     _fmt(r.get("wall")), _fmt(r.get("cpu")), _fmt(r.get("read_wall"), 3),
                     _fmt(r.get("build_wall"), 3), _fmt(r.get("handoff_wall"), 3), _fmt(r.get("solver_wall"), 4),
                     _fmt(r.get("highs_reported"), 4), _fmt(r.get("extract_wall"), 3),
                     _gib(r.get("peak_rss_mib")), _gib(r.get("peak_rss_tree_mib")), _fmt(r.get("load_1m"), 2)])
    return _table(["case", "runner", "status", "objective", "bound", "gap", "check", "wall s", "CPU s", "read s",
                   "build s", "hand-off s", "solver s", "HiGHS s", "extract s", "peak RSS GiB", "tree GiB",
                   "load"], body)


def ladder_table(rows) -> str:
    """Per model: spopt's largest finished case, where it stopped and why, beside the suite."""
    from benchmarks.scale import SCALE_CASES

    cells = {c.name: c.cells for c in SCALE_CASES}
    suite = {r["case"]: r for r in rows if r["runner"] == "suite"}
    body = []
    for model in MODELS:
        mine = sorted((r for r in rows if r["runner"] == "spopt+cbc" and r.get("model") == model),
                      key=lambda r: cells.get(r["case"], 0))
        if not mine:
            continue
        done = [r for r in mine if r.get("status") == "optimal"]
        stopped = [r for r in mine if r.get("status") not in ("optimal", "skipped")]
        best = done[-1] if done else None
        stop = stopped[0] if stopped else None
        ratio = ""
        if best is not None and best["case"] in suite:
            s, p = _num(suite[best["case"]].get("wall")), _num(best.get("wall"))
            if s and p:
                ratio = f"{p / s:.3g}x"
        body.append([
            TITLES[model],
            "-" if best is None else f"{best['case']} ({_fmt(best.get('wall'))} s, {_gib(best.get('peak_rss_mib'))} GiB)",
            ratio,
            "-" if stop is None else f"{stop['case']}: {stop.get('stop') or stop.get('status')} "
                                     f"({_fmt(stop.get('wall'))} s, tree {_gib(stop.get('peak_rss_tree_mib'))} GiB)"
                                     + (f" -- {stop['note']}" if stop.get("note") else ""),
        ])
    return _table(["model", "largest case spopt finished (wall, peak RSS)", "spopt / suite wall there",
                   "where it stopped, and why"], body)


def _commands(out: Path) -> list[dict[str, Any]]:
    path = out / "commands.json"
    if not path.exists():
        return []
    try:
        return json.loads(path.read_text())
    except ValueError:
        return []


def header(rows, out: Path, settings) -> list[str]:
    loads = [f for f in (_num(r.get("load_1m")) for r in rows) if f is not None]
    stamps = sorted(r["timestamp"] for r in rows if r.get("timestamp"))
    machine = next((r.get("machine") for r in rows if r.get("machine")), "")
    versions = next(({k: r.get(k) for k in ("highs_version", "pyomo_version", "spopt_version", "pulp_version",
                                            "python", "commit")} for r in rows if r.get("highs_version")), {})
    lines = ["# Siting at population-grid scale: the `scale` benchmark profile (issue 23)", ""]
    cmds = _commands(out) or [{"command": settings.command}]
    lines.append("Produced by (each invocation runs what `runs.csv` does not hold yet; `--rerun` replaces rows):")
    lines += ["", "```", *[c["command"] for c in cmds], "```", ""]
    lines.append(
        f"Instances: written by `optmodels generate siting` (deterministic per seed; every case's command is "
        f"in `runs.csv`, column `generate_command`, and listed at the end) into the cache folder "
        f"`{settings.cache}` (`--cache`, default `$OPTMODELS_BENCH_CACHE` or `~/.cache/optmodels/bench-scale`); "
        "not committed: the largest is a million Parquet rows. The cache also keeps each run's log and plan "
        "(`runs/`).")
    lines.append("")
    if stamps:
        lines.append(f"Runs {stamps[0]} to {stamps[-1]} on `{machine}`; HiGHS {versions.get('highs_version')}, "
                     f"Pyomo {versions.get('pyomo_version')}, spopt {versions.get('spopt_version')}, "
                     f"PuLP {versions.get('pulp_version')} (CBC bundled), Python {versions.get('python')}, "
                     f"commit {versions.get('commit')}.")
    if loads:
        lines.append(
            f"**A shared machine**: the 1-minute load average at the start of the runs was "
            f"{min(loads):.1f}-{max(loads):.1f} (median {statistics.median(loads):.1f}) on 2 cores, so wall "
            "times are inflated against a quiet machine; CPU time (user + system of the run's process and "
            "the processes it waited for) is the steadier measure.")
    lines += [
        "",
        "Each run is a process of its own (`python -m benchmarks.scale_child`): `peak RSS` is its "
        "`ru_maxrss` from `os.wait4` (for spopt the larger of Python's and CBC's), `tree` the largest sampled "
        "sum over the process tree (every 0.25 s; spopt's Python and CBC hold their copies at once). "
        "`wall` is the whole process (start-up, read, solve, evaluation); `solver` the wall time around "
        "HiGHS's runs (spopt: PuLP's `solve`, CBC included), `HiGHS` HiGHS's own run time, summed over "
        "every model of the strategy; `build` the rest of the solve (pairs, cover groups, radii, "
        "reductions, heuristics, Pyomo models, the plan's evaluation; spopt: the dense cost matrix and "
        "`from_cost_matrix`). `check`: the objective recomputed from the open sites by a "
        "`scipy.spatial.cKDTree` evaluation that shares nothing with the suite (benchmarks/scale_check.py), "
        "`ok` within a relative 1e-7 with no constraint broken.",
    ]
    return lines


def summary(rows, out: Path, settings) -> str:
    parts = header(rows, out, settings)
    parts += ["", "## Targets and the issue's baselines", "",
              "`met`: proven (or the gap asked for), wall time and peak RSS within the target, all three.",
              "", targets_table(rows)]
    parts += ["", "## Every run", "", runs_table(rows)]
    if any(r["runner"] == "spopt+cbc" for r in rows):
        parts += ["", "## spopt + CBC: how far it goes", "",
                  "spopt builds dense models (an n x m cost matrix, and for the p-median and p-center n x m "
                  "assignment variables); each model's ladder stops at its first run not proven optimal within "
                  "the budget (`time`), ended by the memory cap (`memory`), or failing (`error`). "
                  "Same instances; the same models for MCLP, p-median and p-center. LSCP: spopt minimises "
                  "the number of sites, the suite the site cost (fixed costs of the new sites). LSCP-B: both "
                  "find the fewest sites covering everyone first; spopt then maximises the number of points "
                  "covered twice -- counting a point with fewer than two sites in reach as covered twice (its "
                  "`U_i` is left free; the check note gives how many) -- and the suite the population covered "
                  "twice. Those two are compared on time and memory only; each check uses its runner's own "
                  "definition (`check_definition` in runs.csv).",
                  "", ladder_table(rows)]
    gens = sorted({r["generate_command"] for r in rows if r.get("generate_command")})
    if gens:
        cache = str(settings.cache)
        parts += ["", "## Instances", "", "```", *[g.replace(cache, "$CACHE") for g in gens], "```"]
    return "\n".join(parts) + "\n"


def figures(rows, out: Path) -> list[Path]:
    """``scale_time.png`` (wall and HiGHS time) and ``scale_rss.png`` (peak RSS) against demand
    points, log axes, one panel per model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = [m for m in MODELS if any(r.get("model") == m for r in rows)]
    if not models:
        return []
    written = []
    for what, fname, ylabel in (("time", "scale_time.png", "seconds"), ("rss", "scale_rss.png", "peak RSS (GiB)")):
        ncol = min(3, len(models))
        nrow = -(-len(models) // ncol)
        fig, axes = plt.subplots(nrow, ncol, figsize=(4.6 * ncol, 4.0 * nrow), squeeze=False)
        for ax in axes.flat[len(models):]:
            ax.set_visible(False)
        for ax, model in zip(axes.flat, models, strict=False):
            for runner, layout, color in (("suite", "province", "C0"), ("suite", "city", "C2"),
                                          ("spopt+cbc", "province", "C3"), ("spopt+cbc", "city", "C1")):
                sel = [r for r in rows if r.get("model") == model and r["runner"] == runner
                       and r.get("layout") == layout and _num(r.get("wall")) is not None]
                sel.sort(key=lambda r: _num(r["demand"]))
                if not sel:
                    continue
                x = [_num(r["demand"]) for r in sel]
                label = f"{'suite' if runner == 'suite' else 'spopt'} {layout}"
                finished = [r.get("status") == "optimal" for r in sel]
                if what == "time":
                    y = [_num(r["wall"]) for r in sel]
                    ax.loglog(x, y, "-o", color=color, ms=4, lw=1, label=f"{label}: wall")
                    if runner == "suite":
                        h = [(xi, _num(r.get("highs_reported"))) for xi, r in zip(x, sel, strict=True)]
                        h = [(a, b) for a, b in h if b]
                        if h:
                            ax.loglog(*zip(*h, strict=True), ":s", color=color, ms=4, mfc="none", lw=0.8,
                                      label=f"{label}: HiGHS")
                else:
                    y = [(_num(r.get("peak_rss_tree_mib")) if runner != "suite" else None)
                         or _num(r.get("peak_rss_mib")) or math.nan for r in sel]
                    y = [v / GIB for v in y]
                    ax.loglog(x, y, "-o", color=color, ms=4, lw=1, label=label)
                for xi, yi, ok, r in zip(x, y, finished, sel, strict=True):
                    if not ok:  # not proven / stopped: a cross, and why
                        ax.plot([xi], [yi], "x", color="k", ms=8)
                        ax.annotate(r.get("stop") or r.get("status"), (xi, yi), fontsize=6,
                                    xytext=(3, 3), textcoords="offset points")
            if what == "time":
                ax.axhline(600, color="grey", lw=0.6, ls="--")
            else:
                for g in (4, 8):
                    ax.axhline(g, color="grey", lw=0.6, ls="--")
            ax.set_title(TITLES[model])
            ax.set_xlabel("demand points")
            ax.set_ylabel(ylabel)
            ax.grid(True, which="both", lw=0.3)
            ax.legend(fontsize=6)
        fig.suptitle("scale profile: " + ("time" if what == "time" else "peak resident memory")
                     + " vs demand points (x: not proven / stopped; dashed: targets)", fontsize=9)
        fig.tight_layout()
        path = out / fname
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written


def write(rows: list[dict[str, Any]], out: Path, settings, *, plots: bool = True) -> None:
    """runs.json, summary.md and (``plots``) the two figures, from ``rows``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "runs.json").write_text(json.dumps(typed(_cases_in_order(rows)), indent=1))
    (out / "summary.md").write_text(summary(rows, out, settings))
    if plots and rows:
        figures(rows, out)


def record_command(out: Path, command: str, ran: list[str], started: float) -> None:
    """Append this invocation to ``commands.json`` (the summary's header lists them)."""
    cmds = _commands(out)
    cmds.append({"command": command, "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
                 "finished": time.strftime("%Y-%m-%dT%H:%M:%S"), "runs": ran})
    (out / "commands.json").write_text(json.dumps(cmds, indent=1))
