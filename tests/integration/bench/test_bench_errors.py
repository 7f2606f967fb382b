"""A benchmark run that raises is an ``error`` row, the others still run, and the exit code is 70
with the count (before, the first exception ended the whole benchmark with a traceback)."""

from __future__ import annotations

import csv

from benchmarks import runner
from benchmarks.__main__ import main


def test_a_run_that_raises_is_an_error_row_and_exit_70(tmp_path, monkeypatch, capsys):
    real = runner.run_suite

    def run_suite(case, *args, **kwargs):
        if case.name == "equipment-tiny_cost":
            raise TypeError("'NoneType' object is not callable")
        return real(case, *args, **kwargs)

    monkeypatch.setattr(runner, "run_suite", run_suite)
    out = tmp_path / "bench"
    code = main(["--profile", "quick", "--case", "equipment-tiny", "--case", "pricing", "--peers", "none",
                 "--no-plots", "--out", str(out)])
    assert code == 70
    err = capsys.readouterr().err
    with open(out / "runs.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    raised = [r for r in rows if r["status"] == "error"]
    assert [r["case"] for r in raised] == ["equipment-tiny_cost"]
    assert raised[0]["note"] == "TypeError: 'NoneType' object is not callable"
    assert f"1 of {len(rows)} run(s) raised an error" in err
    assert any(r["status"] == "optimal" for r in rows), "the other cases still ran"
    assert (out / "summary.md").stat().st_size > 0
