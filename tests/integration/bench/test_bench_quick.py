"""The quick benchmark profile end to end (the CI smoke test of ``python -m benchmarks``).

Runs the real command into ``tmp_path`` and checks what it wrote: every documented column,
every run optimal, and the objectives against optima known independently of this suite
(the equipment tiny instance by brute force, OR-Library pmed1 as published). The CSV is
re-read from disk, so a missing or mis-named column fails here.
"""

from __future__ import annotations

import csv
import json

import pytest

from benchmarks.__main__ import main
from benchmarks.cases import select
from benchmarks.runner import COLUMNS

TINY_EQUIPMENT = 63.75654517954058  # instances/equipment/manifest.json (brute force)
PMED1 = 5819.0  # OR-Library pmedopt.txt


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    code = main(["--profile", "quick", "--out", str(out), "--peers", "highspy"])
    with open(out / "runs.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return code, out, rows


def test_bench_quick_writes_every_column_and_file(quick_run):
    code, out, rows = quick_run
    assert code == 0
    with open(out / "runs.csv", newline="") as fh:
        header = next(csv.reader(fh))
    assert header == COLUMNS
    for name in ("runs.json", "summary.csv", "summary.md", "peers.csv", "phases.png", "overhead.png"):
        assert (out / name).stat().st_size > 0, name
    assert len(json.loads((out / "runs.json").read_text())) == len(rows)


def test_bench_quick_every_case_ran_and_is_optimal(quick_run):
    _, _, rows = quick_run
    suite = [r for r in rows if r["runner"] == "suite"]
    expected = {c.name for c in select("quick")}
    assert {r["case"] for r in suite} == expected
    assert all(r["status"] == "optimal" for r in rows), [(r["case"], r["runner"], r["status"]) for r in rows]
    for r in suite:
        # the phases are real measurements and end-to-end covers them
        phases = sum(float(r[k]) for k in ("build_wall", "handoff_wall", "highs_wall", "extract_wall"))
        assert 0 < float(r["highs_reported"]) <= float(r["end_to_end_wall"])
        assert phases <= float(r["end_to_end_wall"]) + 1e-6
        # a model HiGHS saw has rows and columns, unless the family's presolve proved the optimum
        # and fixed every decision before it (the p-median's Lagrangian reduction); then the
        # highspy peer timed the family's plain model instead, which must agree
        if "presolve" in r["note"] and int(r["columns"]) == 0:
            peer = next(p for p in rows if p["case"] == r["case"] and p["runner"] == "highspy")
            assert int(peer["columns"]) > 0
            assert float(peer["objective"]) == pytest.approx(float(r["objective"]), rel=1e-6)
        else:
            assert min(int(r["rows"]), int(r["columns"]), int(r["nonzeros"])) > 0


def test_bench_quick_objectives_match_known_optima(quick_run):
    _, _, rows = quick_run
    by = {(r["case"], r["runner"]): r for r in rows}
    for runner in ("suite", "highspy"):
        assert float(by["equipment-tiny_cost", runner]["objective"]) == pytest.approx(TINY_EQUIPMENT, rel=1e-9)
        if ("orlib-pmed1", runner) in by and by["orlib-pmed1", runner]["status"] != "skipped":
            assert float(by["orlib-pmed1", runner]["objective"]) == pytest.approx(PMED1, abs=1e-6)
    assert all(r["check"] in ("ok", "-") for r in rows)
    # the raw-highspy peer solves the very same arrays: same objective as the suite
    for (case, runner), r in by.items():
        if runner == "highspy":
            assert float(r["objective"]) == pytest.approx(float(by[case, "suite"]["objective"]), rel=1e-9)


def test_bench_merge_makes_one_table_from_parts(quick_run, tmp_path):
    """``--merge``: a profile run in parts becomes one summary; a later file wins on the same
    case/runner/repeat; a missing file is a usage error (exit 2)."""
    _, out, rows = quick_run
    merged = tmp_path / "merged"
    assert main(["--merge", str(out / "runs.csv"), str(out / "runs.csv"), "--out", str(merged), "--no-plots"]) == 0
    with open(merged / "runs.csv", newline="") as fh:
        again = list(csv.DictReader(fh))
    assert len(again) == len(rows)
    assert (merged / "summary.md").read_text().startswith("merged from")
    assert (merged / "peers.csv").is_file()
    assert main(["--merge", str(tmp_path / "nope.csv"), "--out", str(merged)]) == 2
