"""Reading an output folder for the report: which kind it is, its documents, tables and plots.

The report is made from the folder alone -- never from a live ``Solution`` -- so that a folder
written earlier, by another version or on another machine reports the same way. The kind is told
by the document each writer puts first:

======  ==================  =====================================================
kind    document            written by
======  ==================  =====================================================
result  ``result.json``     ``optmodels solve --out`` (``Solution.to_files``)
front   ``pareto.json``     ``optmodels pareto --out`` (with ``front.csv``)
sweep   ``sweep.json``      ``optmodels sweep --out`` (with ``sweep.csv``)
======  ==================  =====================================================

Tables are the folder's CSV files and plots its PNG files: those the suite's record of what it
wrote (``.optmodels-output.json``) lists when there is one, else every one in the folder.
Anything unreadable is a :class:`~optmodels.errors.UsageError` naming the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from optmodels.errors import UsageError

#: kind -> (its document, the table it cannot do without)
KINDS: dict[str, tuple[str, str | None]] = {
    "result": ("result.json", None),
    "front": ("pareto.json", "front.csv"),
    "sweep": ("sweep.json", "sweep.csv"),
}
MANIFEST = ".optmodels-output.json"  # the name optmodels.io writes; read here, never written


@dataclass(frozen=True)
class Folder:
    """One output folder as the report sees it."""

    path: Path
    kind: str
    document: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # file stem -> table
    images: dict[str, bytes] = field(default_factory=dict)  # file name -> PNG bytes

    @property
    def document_name(self) -> str:
        return KINDS[self.kind][0]


def detect_kind(path: Path) -> str:
    """``result``, ``front`` or ``sweep``; a UsageError saying what was expected otherwise."""
    if not path.exists():
        raise UsageError(f"report: {path}: no such folder")
    if not path.is_dir():
        raise UsageError(f"report: {path}: expected a result folder, found a file")
    for kind, (document, _) in KINDS.items():
        if (path / document).is_file():
            return kind
    found = sorted(p.name for p in path.iterdir() if not p.name.startswith("."))[:8]
    raise UsageError(
        f"report: {path}: expected a folder written by optmodels -- result.json (solve --out), "
        f"pareto.json (pareto --out) or sweep.json (sweep --out); found "
        + (", ".join(found) if found else "an empty folder")
    )


def read_folder(path: str | Path) -> Folder:
    """Read the folder's document, tables and plots (see the module docstring)."""
    path = Path(path)
    kind = detect_kind(path)
    document_name, required = KINDS[kind]
    document = _read_json(path / document_name)
    if required is not None and not (path / required).is_file():
        raise UsageError(f"report: {path}: {document_name} is there but {required} is missing")
    names = _listed(path)
    tables = {}
    for name in sorted(n for n in names if n.endswith(".csv")):
        tables[name[:-4]] = _read_csv(path / name)
    images = {}
    for name in sorted(n for n in names if n.lower().endswith(".png")):
        try:
            images[name] = (path / name).read_bytes()
        except OSError as exc:
            raise UsageError(f"report: {path / name}: cannot read ({exc.strerror or exc})") from None
    return Folder(path=path, kind=kind, document=document, tables=tables, images=images)


def _listed(path: Path) -> list[str]:
    """The files the suite wrote here (its manifest) that exist, else every regular file."""
    try:
        data = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        listed = data.get("files") if isinstance(data, dict) else None
    except (OSError, ValueError):
        listed = None
    if isinstance(listed, list):
        return [n for n in listed if isinstance(n, str) and "/" not in n and (path / n).is_file()]
    return [p.name for p in path.iterdir() if p.is_file() and not p.name.startswith(".")]


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"report: {path}: cannot read ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise UsageError(f"report: {path}: expected JSON, found invalid text ({exc})") from None
    if not isinstance(data, dict):
        raise UsageError(f"report: {path}: expected a JSON object, found {type(data).__name__}")
    return data


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        # Columns named like ids are read as text: a census tract "060816029.00" must not be
        # shown (or matched) as the number 60816029.0.
        head = pd.read_csv(path, nrows=0)
        ids = {c: str for c in head.columns if c == "id" or c.endswith("_id") or c == "decision"}
        return pd.read_csv(path, dtype=ids)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise UsageError(f"report: {path}: expected a CSV table, cannot read it ({exc})") from None
