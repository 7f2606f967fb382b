"""What ``pip install .`` ships: every package, and every file the benchmark cases read.

The wheel itself is built by the slow test in ``tests/integration/bench/test_bench_anywhere.py``;
these check the configuration it is built from, in milliseconds.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from benchmarks.cases import CASES

REPO = Path(__file__).resolve().parents[3]
SETUPTOOLS = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_package_folder_is_listed():
    """``packages`` is a list (the data package is mapped, not found): a new sub-package must be
    added to it, or the wheel silently lacks it."""
    found = {
        ".".join(init.parent.relative_to(REPO).parts)
        for top in ("optmodels", "solvers", "benchmarks")
        for init in (REPO / top).rglob("__init__.py")
    }
    assert set(SETUPTOOLS["packages"]) == found | {"benchmarks.instances"}


def test_the_benchmark_cases_data_ships_with_the_package():
    """Every file a case of any profile reads, and the two manifests the cases are built from,
    match the package data of ``benchmarks.instances``, whose folder is ``instances/``."""
    folder = REPO / SETUPTOOLS["package-dir"]["benchmarks.instances"]
    assert folder == REPO / "instances"
    shipped = {path for pattern in SETUPTOOLS["package-data"]["benchmarks.instances"] for path in folder.glob(pattern)}
    needed = {c.data_file() for c in CASES if c.data_file() is not None}
    needed |= {folder / "orlib" / "manifest.json", folder / "equipment" / "manifest.json"}
    assert len(needed) > 40  # the 40 OR-Library files among them
    assert needed <= shipped, sorted(str(p.relative_to(folder)) for p in needed - shipped)
