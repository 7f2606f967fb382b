"""``optmodels report DIR``: one self-contained ``report.html`` for a result folder, front or sweep.

The report is made from the folder alone (:mod:`optmodels.htmlreport.folder` tells its kind),
so a folder written earlier or elsewhere reports the same way; it knows no family, only the
files the suite writes. One page, for anyone with a browser:

- **result** (``solve --out``): the verdict, objective, bound and gap, notes, metrics; for a
  siting result with coordinates, an interactive map (:mod:`~optmodels.htmlreport.geomap`);
  every table, sortable; the plots.
- **front** (``pareto --out``): the front's summary; an interactive chart whose points show
  their decision on hover (:mod:`~optmodels.htmlreport.chart`); the table; the plot.
- **sweep** (``sweep --out``): what was varied and how the scenarios ended; the table; the plots.

Design choices: everything is inline -- style, the sort script, Leaflet, plotly.js, the plots
as data URIs -- so the file opens offline, attached to an e-mail or on a network that blocks
CDNs, and :func:`render` checks that nothing in it is loaded by URL. folium and plotly (the
``report`` extra) are well-kept libraries for the two interactive parts: a Leaflet map with
layers and tooltips, and a chart with hover labels, zoom and export, which would be several
hundred lines of our own JavaScript to write and keep working across browsers. Both are
imported only here, and :func:`require` names the extra when they are missing.

When the report is written into the folder it describes, it is recorded in the folder's record
of what the suite wrote (``.optmodels-output.json``), so the next ``solve --out`` or ``pareto
--out`` into that folder removes it with the rest instead of leaving a report of the old run.
"""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from typing import Any

from optmodels.errors import UsageError
from optmodels.htmlreport.folder import Folder, read_folder
from optmodels.htmlreport.page import (
    check_offline,
    document,
    esc,
    figures,
    fmt,
    key_values,
    notes,
    section,
    table,
)

__all__ = ["REPORT_NAME", "check_report_flag", "render", "require", "write_report"]

REPORT_NAME = "report.html"
EXTRA_HINT = 'pip install "optmodels[report]"'


def require() -> None:
    """Raise a UsageError naming the ``report`` extra if folium or plotly is missing."""
    missing = []
    for module in ("folium", "plotly"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise UsageError(f"the HTML report needs {' and '.join(missing)}, which is not installed: {EXTRA_HINT}")


def check_report_flag(out: str | Path | None) -> None:
    """A command's ``--report``, checked before any work: it needs ``--out`` and the extra."""
    if not out:
        raise UsageError("--report writes report.html into the --out folder: give --out DIR too")
    require()


def write_report(folder: str | Path, out: str | Path | None = None) -> Path:
    """Write the report of ``folder`` to ``out`` (default ``folder/report.html``); returns the path.

    The file appears whole or not at all (written beside, then renamed).
    """
    from optmodels.io import atomic_write, check_output_dir

    require()
    folder = Path(folder)
    data = read_folder(folder)
    target = Path(out) if out is not None else folder / REPORT_NAME
    if target.is_dir():
        raise UsageError(f"report: -o {target}: is a folder; give a file name such as {target / REPORT_NAME}")
    check_output_dir(target.parent)
    text = render(data)
    target.parent.mkdir(parents=True, exist_ok=True)

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")
        # a report is for sharing: the permissions of any new file (umask), not the temporary
        # file's owner-only 0600
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)

    atomic_write(target, write)
    if target.parent.resolve() == folder.resolve():
        _record(folder, target.name)
    return target


def _record(folder: Path, name: str) -> None:
    """List ``name`` in the folder's record of what the suite wrote, when it has one."""
    from optmodels import io

    if not (folder / io.MANIFEST).is_file():
        return  # a sweep folder or one written before records existed: nothing to join
    names = io._read_manifest(folder)
    if name not in names:
        io._write_manifest(folder, sorted([*names, name]))


# --------------------------------------------------------------------------------------------
# the page of each kind
# --------------------------------------------------------------------------------------------


def render(folder: Folder) -> str:
    """The whole page of ``folder`` as HTML text."""
    build = {"result": _result_page, "front": _front_page, "sweep": _sweep_page}[folder.kind]
    title, subtitle, sections = build(folder)
    if folder.images:
        sections.append(section("plots", "Plots", figures(folder.images)))
    text = document(title, subtitle, sections, _footer(folder))
    check_offline(text)
    return text


def _tables(folder: Folder, skip: tuple[str, ...] = ()) -> str:
    parts = [f"<h3>{esc(name)}.csv</h3>" + table(frame, name)
             for name, frame in folder.tables.items() if name not in skip]
    return "".join(parts)


_RECORD_KEYS = {  # result.json keys shown in the summary (the rest go to "details")
    "verdict", "message", "family", "instance", "objective_name", "sense", "termination",
    "solution_status", "objective", "bound", "gap", "nodes", "root_bound", "timings", "solver",
    "solver_version", "backend", "size", "options", "infeasibility", "solver_verdict",
    "solver_message", "notes", "metrics",
}


def _verdict(code: Any, message: Any) -> str:
    code = str(code or "unknown")
    extra = f" &nbsp;{esc(message)}" if message and message != code else ""
    return f'<span class="verdict {esc(code)}" id="verdict">{esc(code)}</span>{extra}'


def _result_page(folder: Folder) -> tuple[str, str, list[str]]:
    from optmodels.htmlreport import geomap

    doc = folder.document
    family = doc.get("family") or "result"
    title = f"{family}: {doc.get('instance') or folder.path.name}"
    gap = doc.get("gap")
    timings = doc.get("timings") if isinstance(doc.get("timings"), dict) else {}
    size = doc.get("size") if isinstance(doc.get("size"), dict) else {}
    facts: dict[str, Any] = {
        "objective": f"{doc.get('objective_name', '-')} ({doc.get('sense', '-')}) = {fmt(doc.get('objective'))}",
        "bound": fmt(doc.get("bound")),
        "gap": "-" if gap is None else f"{gap:.4%}",
        "termination": f"{doc.get('termination', '-')} (solution {doc.get('solution_status', '-')})",
        "nodes": doc.get("nodes"),
        "size": (f"{size.get('rows', '-')} rows x {size.get('columns', '-')} columns, "
                 f"{size.get('integers', '-')} integer" if size else None),
        "time": f"{fmt(timings.get('total'))} s" if timings.get("total") is not None else None,
        "solver": f"HiGHS {doc.get('solver_version', '')} via {doc.get('backend', '-')}",
    }
    summary = (f"<p>{_verdict(doc.get('verdict'), doc.get('message'))}</p>"
               + key_values({k: v for k, v in facts.items() if v not in (None, "")})
               + notes(doc.get("notes") or []))
    if doc.get("infeasibility"):
        summary += "<h3>Infeasible subsystem</h3>" + key_values(doc["infeasibility"])
    sections = [section("summary", "Summary", summary)]
    if doc.get("metrics"):
        sections.append(section("metrics", "Metrics", key_values(doc["metrics"])))
    details = {k: v for k, v in doc.items() if k not in _RECORD_KEYS}
    if details:
        sections.append(section("details", "Details", key_values(details)))
    if geomap.can_map(folder):
        sections.append(section("map", "Map", geomap.map_section(folder)))
    if folder.tables:
        sections.append(section("tables", "Tables", _tables(folder)))
    subtitle = f"verdict {esc(doc.get('verdict', 'unknown'))} &middot; result folder {esc(folder.path)}"
    return title, subtitle, sections


def _front_page(folder: Folder) -> tuple[str, str, list[str]]:
    from optmodels.htmlreport.chart import front_chart

    doc = folder.document
    front = folder.tables.get("front")
    objectives = [(o.get("name"), o.get("sense", "")) for o in doc.get("objectives") or [] if isinstance(o, dict)]
    if front is None or len(objectives) < 2 or any(n not in front.columns for n, _ in objectives):
        raise UsageError(f"report: {folder.path / 'front.csv'}: expected a column for each objective of "
                         f"pareto.json ({', '.join(str(n) for n, _ in objectives) or 'none listed'})")
    method = doc.get("method", "front")
    hv = doc.get("hypervolume")
    facts = {
        "method": method,
        "objectives": ", ".join(f"{n} ({s})" for n, s in objectives),
        "points": doc.get("n_points", len(front)),
        "exact": doc.get("exact"),
        "complete": doc.get("complete"),
        "hypervolume": None if hv is None else f"{fmt(hv)} (normalised; see pareto.json)",
        "solves / evaluations": doc.get("solves"),
        "time": f"{fmt(doc.get('wall_seconds'))} s" if doc.get("wall_seconds") is not None else None,
        "seed": doc.get("seed"),
        "source": doc.get("source"),
        "command": doc.get("command"),
    }
    summary = key_values({k: v for k, v in facts.items() if v is not None}) + notes(doc.get("notes") or [])
    sections = [section("summary", "Summary", summary)]
    if len(front):
        sections.append(section("chart", "Front", '<p class="note">Hover a point for its decision; the star '
                                "is the knee point, the diamond TOPSIS's best. Drag to zoom, double-click to "
                                "reset.</p>" + front_chart(front, objectives)))
    else:
        sections.append(section("chart", "Front", '<p class="note">No point was found: the front is empty.</p>'))
    sections.append(section("tables", "Tables", _tables(folder)))
    title = f"Pareto front: {doc.get('source') or folder.path.name}"
    return title, f"{esc(method)}, {len(front)} points &middot; front folder {esc(folder.path)}", sections


def _sweep_page(folder: Folder) -> tuple[str, str, list[str]]:
    doc = folder.document
    frame = folder.tables.get("sweep")
    n = 0 if frame is None else len(frame)
    vary = doc.get("vary") or []
    varied = "; ".join(f"{v.get('column') or v.get('path')} = {fmt(v.get('values'))}"
                       for v in vary if isinstance(v, dict))
    statuses = ("" if frame is None or "status" not in frame.columns
                else ", ".join(f"{k} {c}" for k, c in frame["status"].fillna("unknown").value_counts().items()))
    facts = {
        "family": doc.get("family"),
        "file": doc.get("file"),
        "mode": doc.get("mode"),
        "one at a time": doc.get("one_at_a_time"),
        "varied": varied or None,
        "objective": doc.get("objective"),
        "scenarios": f"{n} in sweep.csv of {len(doc.get('scenarios') or [])} planned",
        "status": statuses or None,
        "options": doc.get("options"),
        "choices": doc.get("choices") or None,
    }
    sections = [section("summary", "Summary", key_values({k: v for k, v in facts.items() if v is not None}))]
    sections.append(section("tables", "Tables", _tables(folder)))
    title = f"Sweep: {doc.get('file') or folder.path.name}"
    return title, f"{n} scenarios &middot; sweep folder {esc(folder.path)}", sections


def _footer(folder: Folder) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        ours = version("optmodels")
    except PackageNotFoundError:  # running from a source tree
        ours = "(source tree)"
    made = _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    files = ", ".join([folder.document_name, *(f"{n}.csv" for n in folder.tables), *folder.images])
    return (f"Made by optmodels {esc(ours)} on {esc(made)} from {esc(folder.path)} ({esc(files)}). "
            "Self-contained: it loads nothing from the network.")
