"""Output folders of every kind, each with its report.html, made once for the report tests.

Each folder is written the way a user writes it: through the CLI with ``--report``
(in-process, to spare the start-up of a new interpreter for each).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _report_cases import SOLVES, big_siting_folder, run

pytest.importorskip("folium")
pytest.importorskip("plotly")


@pytest.fixture(scope="session")
def report_folders(tmp_path_factory, instances_dir) -> dict[str, Path]:
    """kind -> a folder holding that kind's output and its report.html."""
    root = tmp_path_factory.mktemp("reports")
    folders = {}
    for name, file in SOLVES.items():
        folders[name] = root / name
        run(["solve", str(instances_dir / file), "--out", str(folders[name]), "--report"])
    folders["front"] = root / "front"
    run(["pareto", str(instances_dir / "pricing" / "elastic_model2_pareto.yaml"), "--workers", "1",
          "--no-progress", "--out", str(folders["front"]), "--report"])
    folders["sweep"] = root / "sweep"
    run(["sweep", str(instances_dir / "siting" / "small" / "small_mclp.json"),
          "--vary", "parameters.p=1:4:1", "--no-progress", "--out", str(folders["sweep"]), "--report"])
    folders["siting_big"] = big_siting_folder(root / "siting_big")
    run(["report", str(folders["siting_big"])])
    return folders
