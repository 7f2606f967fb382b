"""``optmodels bench`` runs from any directory, with the instance files it reads installed.

The fast test runs the console entry point (``python -m optmodels`` calls the same ``run``) from
an empty folder: whatever ``optmodels`` this environment imports from there -- an editable
checkout, or the ``pip install .`` of README command 2 -- must find the benchmark's files itself.
The slow one builds the wheel, unpacks it, and runs the quick profile from the unpacked copy
alone, as a plain ``pip install .`` would.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
QUICK = ["bench", "--profile", "quick", "--peers", "none", "--no-plots"]


def _bench(cwd: Path, out: Path, env: dict[str, str] | None = None) -> list[dict[str, str]]:
    done = subprocess.run([sys.executable, "-m", "optmodels", *QUICK, "--out", str(out)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    with open(out / "runs.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["case"] for r in rows} == {"siting-p_median-200x20", "orlib-pmed1", "equipment-tiny_cost",
                                         "pricing-seed_model1"}
    assert all(r["status"] == "optimal" and r["check"] in ("ok", "-") for r in rows), rows
    return rows


def test_bench_quick_runs_from_an_empty_directory(tmp_path):
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    _bench(cwd, tmp_path / "out")
    assert sorted(p.name for p in cwd.iterdir()) == []  # nothing written beside the caller


@pytest.mark.slow
def test_bench_quick_runs_from_the_built_wheel_alone(tmp_path):
    """The wheel ``pip install .`` would install (built from a copy of the sources, so nothing
    is written into the checkout), unpacked and put first on the path: no repository in sight."""
    src = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "results")
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    for name in ("optmodels", "solvers", "benchmarks", "instances"):
        shutil.copytree(REPO / name, src / name, ignore=ignore)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"),
                            str(src)], capture_output=True, text=True, timeout=600, check=False)
    assert built.returncode == 0, built.stderr[-2000:]
    site = tmp_path / "site"
    with zipfile.ZipFile(next((tmp_path / "dist").glob("optmodels-*.whl"))) as wheel:
        wheel.extractall(site)
    assert (site / "benchmarks" / "instances" / "orlib" / "pmed" / "pmed40.txt").is_file()
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = subprocess.run([sys.executable, "-c", "import benchmarks.cases as c; print(c.INSTANCES)"],
                           cwd=cwd, env=env, capture_output=True, text=True, check=True)
    assert Path(where.stdout.strip()) == site / "benchmarks" / "instances"
    _bench(cwd, tmp_path / "out", env)
