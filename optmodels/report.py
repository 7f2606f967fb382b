"""Reporting shared by every family: the status header, number formatting, tables, plots.

Families render their own model-specific summary (their Reporter, below :func:`header`); the
common parts live here so that every ``optmodels solve`` reads the same way. ``result.json`` is
written by :meth:`optmodels.contract.Solution.payload`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from solvers import SolveResult


def fmt(value: float | None, digits: int = 6) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    return f"{value:.{digits}g}"


def result_verdict(result: SolveResult) -> str:
    """The one-word verdict of a bare SolveResult (a Solution's is :func:`~optmodels.contract.verdict_code`)."""
    if result.has_solution:
        return "optimal" if result.is_optimal else "feasible"
    term = result.termination.value
    return term if term in ("infeasible", "unbounded", "infeasible_or_unbounded") else "no_solution"


def verdict_words(verdict: str, result: SolveResult) -> str:
    """What a verdict means for this result, honestly: ``optimal`` is proven *within the relative
    gap* HiGHS was given (``mip_rel_gap``, default 1e-4), not to the last digit."""
    gap = result.gap
    gap_text = "-" if gap is None else ("inf" if math.isinf(gap) else f"{gap:.4%}")
    if verdict == "optimal":
        if not result.size.get("integers"):
            return "optimal: proven (a continuous model, to HiGHS's tolerances)"
        if gap is not None and gap <= 0.0:
            return "optimal: proven (gap 0)"
        tol = result.options.mip_rel_gap
        tol_text = "1e-4, HiGHS's default" if tol is None else fmt(tol, 3)
        return (f"optimal: proven within the relative gap mip_rel_gap = {tol_text} "
                f"(this solve's gap {gap_text}; --mip-gap 0 for the exact optimum)")
    if verdict == "feasible":
        return (f"feasible: best solution found so far, not proven optimal ({result.termination.value}, "
                f"gap {gap_text})")
    return f"{verdict}: {result.verdict}"


def header(result: SolveResult, *, title: str, objective_name: str, sense: str,
           verdict: str | None = None, label: str | None = None, message: str | None = None) -> str:
    """Verdict, objective, bound and gap, timings -- the lines every solve prints first.

    ``verdict`` is the one-word verdict of ``result.json`` (the Solution's; by default the
    result's own); ``label`` what the objective measures and its unit (the family's
    ``Objective.axis``), printed beside the name so that a stand-in (equipment's utilisation is
    idle capacity) is never read as something else. ``message`` is a family's own verdict in
    words (pricing's "no fee makes expected profit non-negative ..."), shown instead of the
    solver's.
    """
    t = result.timings
    gap = "-" if result.gap is None else ("inf" if math.isinf(result.gap) else f"{result.gap:.4%}")
    verdict = verdict or result_verdict(result)
    measured = f"   [{label}]" if label and label != objective_name else ""
    lines = [
        title,
        f"  verdict     {f'{verdict}: {message}' if message else verdict_words(verdict, result)}",
        f"  termination {result.termination.value}   solution {result.solution_status.value}",
        f"  objective   {objective_name} ({sense}) = {fmt(result.objective, 10)}{measured}",
        f"  bound       {fmt(result.bound, 10)}   gap {gap}",
        f"  size        {result.size.get('rows', '-')} rows x {result.size.get('columns', '-')} columns, "
        f"{result.size.get('integers', '-')} integer, {result.size.get('nonzeros', '-')} nonzeros",
        f"  timings     build {t.build:.3f}s  hand-off {t.handoff:.3f}s  solve {t.solve:.3f}s  "
        f"extract {t.extract:.3f}s  total {t.total:.3f}s  (HiGHS {fmt(t.solver_reported, 3)}s)",
        f"  solver      HiGHS {result.solver_version} via {result.backend}",
    ]
    return "\n".join(lines)


def solution_html(solution: Any, *, rows: int = 8) -> str:
    """A Solution as compact HTML for a notebook (``Solution._repr_html_``): the verdict in
    words, the objective with what it measures and its unit, bound and gap, the family's key
    figures (its Reporter's ``highlights``), and the head of its main table."""
    from html import escape

    from optmodels.contract import verdict_code

    result, report = solution.result, solution.report
    code = verdict_code(solution)
    colour = {"optimal": "#1a7f37", "feasible": "#9a6700"}.get(code, "#cf222e")
    objective = (getattr(report, "objectives", None) or {}).get(solution.objective_name)
    measured = objective.axis if objective is not None else solution.objective_name
    name = getattr(solution.instance, "name", None) or ""
    words = verdict_words(code, result) if solution.family_verdict is None else f"{code}: {solution.verdict}"
    cells = [
        ("objective", f"{solution.objective_name} ({solution.sense}) = {fmt(solution.objective, 10)}"
                      f" &mdash; {escape(measured)}"),
        ("bound, gap", f"{fmt(result.bound, 10)}, "
                       + ("-" if result.gap is None else ("inf" if math.isinf(result.gap) else f"{result.gap:.4%}"))),
        ("time", f"{result.timings.total:.3g} s"),
    ]
    if solution.has_solution and hasattr(report, "highlights"):
        cells += [(escape(k), escape(v)) for k, v in report.highlights(solution).items()]
    body = "".join(f"<tr><th style='text-align:left'>{k}</th><td style='text-align:left'>{v}</td></tr>"
                   for k, v in cells)
    parts = [
        "<div class='optmodels-solution'>",
        f"<p><b>{escape(solution.family)}</b> {escape(name)} &mdash; "
        f"<b style='color:{colour}'>{escape(code)}</b> <small>{escape(words.partition(': ')[2])}</small></p>",
        f"<table>{body}</table>",
    ]
    table_name = getattr(report, "main_table", None)
    table = solution.tables.get(table_name) if table_name else None
    if table is not None:
        shown = f"first {rows} of {len(table)} rows" if len(table) > rows else f"{len(table)} rows"
        parts.append(f"<p><code>tables[{table_name!r}]</code> ({shown})</p>")
        parts.append(table.head(rows).to_html(index=False, float_format=lambda v: f"{v:.6g}", border=0))
    if solution.notes:
        parts.append("<details><summary>notes</summary><ul>"
                     + "".join(f"<li>{escape(n)}</li>" for n in solution.notes) + "</ul></details>")
    parts.append("</div>")
    return "\n".join(parts)


def new_figure(**kwargs: Any) -> Any:
    """A matplotlib ``Figure`` outside pyplot's figure manager, for every plot the suite draws.

    Design choice: the figures are plain ``matplotlib.figure.Figure`` objects, so drawing one
    needs no GUI backend (nothing switches the user's backend to Agg), a script that draws
    thousands leaks none, and a notebook shows a returned figure once (a pyplot figure would
    also be shown again when the cell ends). In a Jupyter kernel it first makes sure the inline
    backend displays figures (:func:`notebook_display`).
    """
    from matplotlib.figure import Figure

    notebook_display()
    return Figure(**kwargs)


def notebook_display() -> None:
    """Make sure a Jupyter kernel displays plain Figures (:func:`solvers.pareto.notebook_display`,
    where the lowest layer's own plots can use it too)."""
    from solvers.pareto import notebook_display as _display

    _display()


def save_figure(fig: Any, path: Path) -> None:
    """Save a matplotlib figure and close it if pyplot manages it (no screen needed)."""
    fig.savefig(path, dpi=120, bbox_inches="tight")
    import matplotlib.pyplot as plt

    if plt.fignum_exists(getattr(fig, "number", -1)):
        plt.close(fig)


def use_agg() -> None:
    import matplotlib

    matplotlib.use("Agg", force=True)


def table_text(rows: list[Mapping[str, Any]], columns: list[str], floatfmt: str = "{:.4g}") -> str:
    """A plain fixed-width table for terminal summaries."""
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return floatfmt.format(v)
        return str(v)

    body = [[cell(r.get(c, "")) for c in columns] for r in rows]
    widths = [max(len(c), *(len(b[i]) for b in body)) if body else len(c) for i, c in enumerate(columns)]
    out = ["  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True))]
    out += ["  ".join(v.rjust(w) for v, w in zip(b, widths, strict=True)) for b in body]
    return "\n".join(out)
