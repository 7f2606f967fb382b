"""A warm-started MIP whose point disagrees with HiGHS's reported value is solved again.

OR-Library pmed16 as a set cover (LSCP) at radius 30: the coverage path hands HiGHS a greedy cover
of 27 sites as a MIP start; HiGHS 1.16's presolve values that start at 25 in the reduced space, ends
``kOptimal`` at 25, and returns the start's 27-site vector. Without the check in
``solvers.highs.StandardFormModel.run`` the suite reported 27 as optimal with a 7.4 % gap. The
optimum 25 is HiGHS's own cold answer (bound 25), and the plan is re-checked by the evaluator.
"""

from __future__ import annotations

import json

import pytest

from optmodels.cli import main
from optmodels.io import dump_instance, read_document


@pytest.fixture(scope="module")
def pmed16_lscp(tmp_path_factory, pmed_dir):
    tmp = tmp_path_factory.mktemp("pmed16")
    raw = tmp / "pmed16.json"
    assert main(["convert", "orlib-pmed", str(pmed_dir / "pmed16.txt"), "-o", str(raw), "-q"]) == 0
    doc = read_document(raw)
    doc.update({"model": "lscp", "name": "pmed16_lscp_r30", "parameters": {"radius": 30}})
    path = tmp / "pmed16_lscp.json"
    dump_instance(doc, path)
    return path


def test_a_set_cover_started_from_a_greedy_cover_ends_at_the_optimum(pmed16_lscp, tmp_path):
    out = tmp_path / "o"
    assert main(["solve", str(pmed16_lscp), "--out", str(out), "-q"]) == 0
    result = json.loads((out / "result.json").read_text())
    assert result["objective"] == pytest.approx(25.0, abs=1e-6)
    assert result["gap"] <= 1e-4
    assert result["verdict"] == "optimal"
    assert len(result["open_sites"]) == 25
