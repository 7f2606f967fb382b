"""``optmodels sweep`` through its own parser (the main CLI adds it with add_parser)."""

from __future__ import annotations

import argparse

import pandas as pd
import pytest

from optmodels.errors import UsageError
from optmodels.sweep import cli


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="optmodels")
    sub = parser.add_subparsers(dest="command", required=True)
    cli.add_parser(sub)
    args = parser.parse_args(argv)
    return args.func(args)


def test_grid_sweep_writes_table_and_plots(instances_dir, tmp_path, capsys):
    tiny = str(instances_dir / "equipment" / "tiny_cost.toml")
    out = tmp_path / "sweep"
    code = _run(["sweep", tiny, "--vary", "budget=6,16.5", "--vary", "gini.lo=0.05,0.1", "--out", str(out),
                 "--workers", "1", "--metric", "gini_mean"])
    assert code == 0
    text = capsys.readouterr().out
    assert "4 scenarios (4 solved now, 0 found finished)" in text
    assert "2 scenario(s) without a solution" in text
    table = pd.read_csv(out / "sweep.csv")
    assert table["status"].tolist() == ["invalid", "invalid", "optimal", "optimal"]
    assert table["objective"].iloc[2:].tolist() == pytest.approx([63.75654518, 66.97083076], rel=1e-6)
    assert (out / "sweep_budget.png").stat().st_size > 0
    assert (out / "sweep_gini.lo.png").stat().st_size > 0
    # the same command again resumes: nothing left to solve
    assert _run(["sweep", tiny, "--vary", "budget=6,16.5", "--vary", "gini.lo=0.05,0.1", "--out", str(out),
                 "--workers", "1"]) == 0
    assert "(0 solved now, 4 found finished)" in capsys.readouterr().out


def test_one_at_a_time_draws_a_tornado(instances_dir, tmp_path):
    tiny = str(instances_dir / "equipment" / "tiny_cost.toml")
    out = tmp_path / "oat"
    code = _run(["sweep", tiny, "--one-at-a-time", "±10%", "--vary", "costs.running_per_hour",
                 "--vary", "costs.waiting_per_hour", "--out", str(out), "--workers", "1"])
    assert code == 0
    table = pd.read_csv(out / "sweep.csv")
    assert table["parameter"].fillna("base").tolist() == [
        "base", "costs.running_per_hour", "costs.running_per_hour", "costs.waiting_per_hour",
        "costs.waiting_per_hour"]
    # cost is increasing in both unit costs: the low value lowers it, the high value raises it
    base = table["objective"].iloc[0]
    assert table["objective"].iloc[1] < base < table["objective"].iloc[2]
    assert table["objective"].iloc[3] < base < table["objective"].iloc[4]
    assert (out / "tornado.png").stat().st_size > 0


@pytest.mark.parametrize(
    ("argv", "match"),
    [(["--vary", "budget"], "PATH=VALUES"), (["--vary", "budgte=1,2"], "budgte: not a field of equipment instances"),
     (["--vary", "budget=1:2:0"], "range"), (["--vary", "budget=20", "--choice", "strategy"], "KEY=VALUE"),
     (["--vary", "budget=20", "--choice", "strategi=full"], "expected one of strategy")],
)
def test_bad_sweeps_are_usage_errors(instances_dir, argv, match):
    tiny = str(instances_dir / "equipment" / "tiny_cost.toml")
    with pytest.raises(UsageError, match=match):
        _run(["sweep", tiny, "--workers", "1", *argv])
