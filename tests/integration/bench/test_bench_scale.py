"""The ``scale`` benchmark profile's machinery, on tiny cases (benchmarks/scale.py).

- end to end through ``python -m benchmarks --profile scale``: a tiny province MCLP, the suite
  in its own process, every documented column written, the objective reproduced by the
  independent KD-tree check, the instance in the cache (not in the results), and a second
  invocation resuming (nothing run again); spopt beside it and the figures in a slow test;
- the per-run process: its peak RSS is its own (a small run after a large one reports a small
  peak), a hard timeout ends a run that ignores SIGTERM, a memory cap ends a growing one;
- spopt's ladder: a run that does not finish stops the model's larger sizes (time, with a tiny
  budget; memory, under a small cap), with where and why in the skipped rows.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from pathlib import Path

import pytest

from benchmarks import scale
from benchmarks.__main__ import main

#: the ladder's runs need the bench extra (spopt, PuLP + CBC); `pip install ".[dev]"` has it
needs_spopt = pytest.mark.skipif(scale.spopt_missing() is not None,
                                 reason=f"{scale.spopt_missing()}: the spopt ladder is not run")

TINY = scale.ScaleCase("mclp", "province", 2_000, 200, time_limit=60.0)


def _rows(out: Path) -> list[dict[str, str]]:
    with open(out / "runs.csv", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def profile_run(tmp_path_factory):
    """The profile end to end with the suite alone and no figures: spopt's imports and a CBC run
    in their own processes, and the figures, take a loaded machine half a minute more -- they are
    the slow test below."""
    mp = pytest.MonkeyPatch()
    mp.setattr(scale, "SCALE_CASES", (TINY,))
    root = tmp_path_factory.mktemp("scale")
    out, cache = root / "out", root / "cache"
    argv = ["--profile", "scale", "--out", str(out), "--cache", str(cache), "--peers", "none", "--no-plots"]
    code = main(argv)
    yield code, out, cache, argv
    mp.undo()


def _assert_measured_and_checked(r: dict[str, str]) -> None:
    assert r["status"] == "optimal"
    assert r["check"] == "ok", r["check_note"]
    assert float(r["check_objective"]) == pytest.approx(float(r["objective"]), rel=1e-9)
    assert r["check_definition"] == "coverage"
    # measured in the run's own process: a real peak, CPU time, the load when it started
    assert 50 < float(r["peak_rss_mib"]) < 4096
    assert float(r["peak_rss_tree_mib"]) > 0
    assert float(r["cpu"]) > 0
    assert float(r["wall"]) > 0
    assert r["load_1m"] != ""


def test_scale_profile_end_to_end_with_the_independent_check(profile_run):
    code, out, cache, _ = profile_run
    assert code == 0
    with open(out / "runs.csv", newline="") as fh:
        assert next(csv.reader(fh)) == scale.SCALE_COLUMNS
    (suite,) = _rows(out)
    assert suite["runner"] == "suite"
    _assert_measured_and_checked(suite)
    # the suite's phases are the HiGHS runs of its strategy and the rest of the solve
    assert int(suite["highs_runs"]) >= 1
    assert 0 < float(suite["highs_reported"]) <= float(suite["solve_wall"])
    parts = sum(float(suite[k]) for k in ("build_wall", "handoff_wall", "solver_wall", "extract_wall"))
    assert parts == pytest.approx(float(suite["solve_wall"]), rel=1e-6)
    assert suite["generate_command"].startswith("optmodels generate siting --layout province --demand 2000")
    # the instance lives in the cache, never beside the results
    assert (cache / TINY.file_name()).is_file()
    assert not list(out.glob("*.parquet"))
    assert not list(out.glob("*.yaml"))
    assert sorted(p.name for p in out.iterdir()) == ["commands.json", "runs.csv", "runs.json", "summary.md"]
    assert len(json.loads((out / "runs.json").read_text())) == 1
    summary = (out / "summary.md").read_text()
    assert "python -m benchmarks --profile scale --out" in summary
    assert TINY.name in summary
    assert "load average" in summary


@pytest.mark.slow
@needs_spopt
def test_scale_profile_side_by_side_with_spopt_and_figures(tmp_path, monkeypatch):
    """spopt + CBC on the same file, in its own process, reaches the suite's optimum, and the
    figures are drawn."""
    monkeypatch.setattr(scale, "SCALE_CASES", (TINY,))
    out = tmp_path / "out"
    assert main(["--profile", "scale", "--out", str(out), "--cache", str(tmp_path / "cache")]) == 0
    rows = {r["runner"]: r for r in _rows(out)}
    assert set(rows) == {"suite", "spopt+cbc"}
    for r in rows.values():
        _assert_measured_and_checked(r)
    # the same model: spopt reaches the suite's optimum
    assert float(rows["spopt+cbc"]["objective"]) == pytest.approx(float(rows["suite"]["objective"]), rel=1e-9)
    assert sorted(p.name for p in out.iterdir()) == ["commands.json", "runs.csv", "runs.json", "scale_rss.png",
                                                     "scale_time.png", "summary.md"]
    assert len(json.loads((out / "runs.json").read_text())) == 2


def test_scale_profile_resumes_without_running_again(profile_run, monkeypatch):
    code, out, _, argv = profile_run
    before = _rows(out)
    monkeypatch.setattr(scale, "SCALE_CASES", (TINY,))
    monkeypatch.setattr(scale, "run_case", lambda *a, **k: pytest.fail("a recorded run ran again"))
    assert main(argv) == 0
    assert _rows(out) == before
    assert len(json.loads((out / "commands.json").read_text())) == 1  # nothing ran: no invocation recorded


# --------------------------------------------------------------------------------------------
# one run in its own process
# --------------------------------------------------------------------------------------------


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


TOUCH_300_MB = "import numpy as np; a = np.ones(300 * 2**20 // 8); print(a.sum())"


def test_each_run_reports_its_own_peak_rss():
    """``ru_maxrss`` of the run's own process: a small run after a large one is small (the
    parent's RUSAGE_CHILDREN would report the largest run so far for both), and neither starts
    from the parent's own high-water mark (Linux carries it into a process forked from it)."""
    import numpy as np

    ballast = np.ones(400 * 2**20 // 8)  # the parent's peak: 400 MB more than the runs need
    assert ballast.sum() > 0
    del ballast
    big = scale.run_child(_python(TOUCH_300_MB), hard_timeout=120, memory_gib=None)
    small = scale.run_child(_python("import numpy"), hard_timeout=120, memory_gib=None)
    assert big.exit == 0
    assert small.exit == 0
    assert big.peak_rss_mib >= 290
    assert small.peak_rss_mib < 200
    assert big.cpu > 0


def test_a_hard_timeout_ends_a_run_that_ignores_sigterm(monkeypatch):
    monkeypatch.setattr(scale, "GRACE_SECONDS", 1.0)
    code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
    t0 = time.perf_counter()
    outcome = scale.run_child(_python(code), hard_timeout=1.0, memory_gib=None)
    assert outcome.killed == "time"
    assert outcome.exit != 0
    assert time.perf_counter() - t0 < 30


def test_a_memory_cap_ends_a_growing_run():
    code = ("import time, numpy as np\nparts = []\nfor _ in range(40):\n"
            "    parts.append(np.ones(25 * 2**20 // 8)); time.sleep(0.05)\ntime.sleep(5)")
    outcome = scale.run_child(_python(code), hard_timeout=120, memory_gib=0.25)
    assert outcome.killed == "memory"
    assert outcome.exit != 0


# --------------------------------------------------------------------------------------------
# spopt's ladder


def test_a_profile_without_spopt_records_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(scale, "spopt_missing", lambda: 'pulp not installed (pip install "optmodels[bench]")')
    case = scale.ScaleCase("mclp", "city", 300, 30, time_limit=30.0)
    settings = scale.Settings(out=tmp_path / "out", cache=tmp_path / "cache", suite=False,
                              progress=lambda text: None)
    (row,) = scale.run_profile([case], settings)
    assert (row["status"], row["stop"]) == ("skipped", "missing")
    assert "optmodels[bench]" in row["note"]
    assert row["wall"] == ""  # nothing was started
# --------------------------------------------------------------------------------------------


def test_spopt_stop_names_the_smallest_unfinished_size():
    small, mid, large = (scale.ScaleCase("mclp", "province", n, 200) for n in (1_000, 2_000, 4_000))
    other = scale.ScaleCase("p_median", "city", 500, 50)
    cases = [small, mid, large, other]

    def row(case, status, stop=None):
        return {"case": case.name, "runner": "spopt+cbc", "status": status, "stop": stop}

    rows = [row(small, "optimal"), row(other, "memory", "memory")]
    assert scale.spopt_stop("mclp", large, rows, cases) is None  # other models do not stop this one
    rows.append(row(mid, "time", "time"))
    assert scale.spopt_stop("mclp", large, rows, cases) == f"spopt stopped at {mid.name} (time)"
    assert scale.spopt_stop("mclp", mid, rows, cases) is None  # a size is not stopped by itself
    rows.append(row(large, "skipped", "ladder"))
    assert scale.spopt_stop("mclp", large, rows, cases) == f"spopt stopped at {mid.name} (time)"


@needs_spopt
def test_spopt_ladder_stops_on_time_with_a_tiny_budget(tmp_path):
    cases = [scale.ScaleCase("mclp", "city", n, n // 10, time_limit=30.0) for n in (300, 600)]
    settings = scale.Settings(out=tmp_path / "out", cache=tmp_path / "cache", suite=False, spopt_budget=1e-3,
                              progress=lambda text: None)
    rows = {r["case"]: r for r in scale.run_profile(cases, settings)}
    first, second = rows[cases[0].name], rows[cases[1].name]
    assert (first["status"], first["stop"]) == ("time", "time")
    assert "budget" in first["note"]
    assert (second["status"], second["stop"]) == ("skipped", "ladder")
    assert second["note"] == f"spopt stopped at {cases[0].name} (time)"
    assert second["wall"] == ""  # not run at all


@needs_spopt
def test_spopt_ladder_stops_on_memory_under_a_small_cap(tmp_path):
    """10,000 x 5,000: spopt's dense cost matrix alone is 400 MB, past a 0.5 GiB cap with the
    interpreter's own ~300 MB."""
    case = scale.ScaleCase("mclp", "province", 10_000, 5_000)
    settings = scale.Settings(out=tmp_path / "out", cache=tmp_path / "cache", suite=False, spopt_memory_gib=0.5,
                              progress=lambda text: None)
    (row,) = scale.run_profile([case], settings)
    assert row["stop"] == "memory", row
    assert row["status"] in ("memory", "killed_memory")
    assert float(row["memory_cap_gib"]) == pytest.approx(0.5)
