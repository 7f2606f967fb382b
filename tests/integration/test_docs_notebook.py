"""docs/tour.ipynb runs top to bottom (``jupyter nbconvert --to notebook --execute``), every
result displays itself as HTML, every ``.plot()`` shows an image, and the sweep's progress bar is
tqdm's notebook widget. The notebook is committed without outputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "docs" / "tour.ipynb"
WIDGET = "application/vnd.jupyter.widget-view+json"


def test_the_committed_notebook_has_no_outputs():
    nb = json.loads(NOTEBOOK.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code
    assert all(c.get("outputs") == [] and c.get("execution_count") is None for c in code)


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    if not os.environ.get("CI"):  # CI installs the test extra, which has them: never skipped there
        pytest.importorskip("nbconvert")
        pytest.importorskip("ipykernel")
    nbformat = pytest.importorskip("nbformat")
    out = tmp_path_factory.mktemp("nb") / "tour.ipynb"
    jupyter = Path(sys.executable).with_name("jupyter")
    command = ([str(jupyter)] if jupyter.exists() else [sys.executable, "-m", "jupyter"]) + [
        "nbconvert", "--to", "notebook", "--execute", str(NOTEBOOK), "--output", str(out),
        "--ExecutePreprocessor.timeout=300"]
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # the kernel's inline backend
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=NOTEBOOK.parent, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]  # nbconvert stops at the first cell error
    return nbformat.read(out, as_version=4)


def _outputs(nb, text):
    cell = next(c for c in nb.cells if c.cell_type == "code" and text in c.source)
    return cell.outputs


def _kinds(outputs):
    return [set(o.get("data", {})) for o in outputs]


def test_every_cell_ran_without_error(executed):
    for cell in executed.cells:
        if cell.cell_type == "code":
            assert not [o for o in cell.outputs if o.output_type == "error"], cell.source


@pytest.mark.parametrize("name", ["equipment", "pricing", "siting", "front", "budget"])
def test_each_result_displays_as_html(executed, name):
    outputs = _outputs(executed, f"\n{name}")
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert html, name
    assert "<table" in html[-1]


@pytest.mark.parametrize("call", ["equipment.plot()", "pricing.plot()", "siting.plot()", "front.plot()",
                                  "budget.plot()", "tornado.plot()"])
def test_each_plot_shows_an_image(executed, call):
    assert any("image/png" in kinds for kinds in _kinds(_outputs(executed, call))), call


def test_the_sweeps_progress_bar_is_the_notebook_widget(executed):
    outputs = _outputs(executed, "budget = optmodels.sweep(")
    assert any(WIDGET in kinds for kinds in _kinds(outputs))
    streams = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "\r" not in streams  # no text bar beside it
