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


def header(result: SolveResult, *, title: str, objective_name: str, sense: str) -> str:
    """Status, objective, bound and gap, timings -- the lines every solve prints first."""
    t = result.timings
    gap = "-" if result.gap is None else ("inf" if math.isinf(result.gap) else f"{result.gap:.4%}")
    lines = [
        title,
        f"  status      {result.verdict}",
        f"  termination {result.termination.value}   solution {result.solution_status.value}",
        f"  objective   {objective_name} ({sense}) = {fmt(result.objective, 10)}",
        f"  bound       {fmt(result.bound, 10)}   gap {gap}",
        f"  size        {result.size.get('rows', '-')} rows x {result.size.get('columns', '-')} columns, "
        f"{result.size.get('integers', '-')} integer, {result.size.get('nonzeros', '-')} nonzeros",
        f"  timings     build {t.build:.3f}s  hand-off {t.handoff:.3f}s  solve {t.solve:.3f}s  "
        f"extract {t.extract:.3f}s  total {t.total:.3f}s  (HiGHS {fmt(t.solver_reported, 3)}s)",
        f"  solver      HiGHS {result.solver_version} via {result.backend}",
    ]
    return "\n".join(lines)


def save_figure(fig: Any, path: Path) -> None:
    """Save a matplotlib figure and close it (Agg backend; no screen needed)."""
    fig.savefig(path, dpi=120, bbox_inches="tight")
    import matplotlib.pyplot as plt

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
