"""A sweep refuses what it cannot finish, up front and without a trace; a failed solve is not a
success; a corrupt row does not break every rerun; two sweeps do not share a folder; results are
readable by the user's group.

Each test states the behaviour before the fix it guards.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import textwrap
import time

import pandas as pd
import pytest

from optmodels import registry
from optmodels.errors import UsageError
from optmodels.sweep import cli, sweep

TINY_COST = 63.75654517954058  # brute force (instances/equipment/manifest.json)


@pytest.fixture(scope="module")
def tiny(instances_dir):
    return instances_dir / "equipment" / "tiny_cost.toml"


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="optmodels")
    sub = parser.add_subparsers(dest="command", required=True)
    cli.add_parser(sub)
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture
def no_solving(monkeypatch):
    """Any solve is a failure of the test: the sweep had to be refused before."""
    import solvers.executor

    def refuse(*args, **kwargs):
        raise AssertionError("a refused sweep started solving")

    monkeypatch.setattr(solvers.executor, "run_tasks", refuse)


@pytest.fixture
def raising_budget(monkeypatch):
    """The equipment family whose solve raises for budget 17 (as Pyomo did under two Dask
    threads: TypeError inside the solve), a deterministic stand-in for any crashing solve."""
    real = registry.family

    def family(name):
        fam = real(name)
        if name != "equipment":
            return fam

        def solve(instance, *args, **kwargs):
            if abs(instance.budget - 17) < 1e-9:
                raise TypeError("'NoneType' object is not callable")
            return fam.solve(instance, *args, **kwargs)

        return dataclasses.replace(fam, solve=solve, warm=None)

    monkeypatch.setattr(registry, "family", family)


# -- item 3: error rows exit non-zero ----------------------------------------------------------


def test_a_sweep_with_error_rows_exits_70_and_says_how_many(tiny, tmp_path, capsys, raising_budget):
    """Before: exit 0, the error rows counted among "without a solution" only."""
    out = tmp_path / "out"
    argv = ["sweep", str(tiny), "--vary", "budget=16.5,17,20", "--workers", "1", "--no-plots", "--out", str(out)]
    assert _run(argv) == 70
    err = capsys.readouterr().err
    assert "1 of 3 scenario(s) raised an error" in err
    assert "TypeError" in err
    table = pd.read_csv(out / "sweep.csv")
    assert table["status"].tolist() == ["optimal", "error", "optimal"]
    # a rerun solves the failed scenario again (the finished ones are kept): here it fails again
    assert _run(argv) == 70
    frame = sweep(tiny, {"budget": "16.5,17,20"}, out=out)
    assert frame.attrs["errors"] == 1
    assert frame.attrs["solved"] == 1
    assert frame.attrs["skipped"] == 2


def test_error_rows_are_solved_again_once_the_solve_works(tiny, tmp_path, monkeypatch, raising_budget):
    out = tmp_path / "out"
    assert sweep(tiny, {"budget": "16.5,17"}, out=out).attrs["errors"] == 1
    monkeypatch.undo()  # the solve works again
    again = sweep(tiny, {"budget": "16.5,17"}, out=out)
    assert again.attrs["errors"] == 0
    assert again.attrs["solved"] == 1
    assert again["status"].tolist() == ["optimal", "optimal"]
    assert _run(["sweep", str(tiny), "--vary", "budget=16.5,17", "--workers", "1", "--no-plots",
                 "--out", str(out)]) == 0


# -- item 7: refused up front, nothing written --------------------------------------------------


def test_a_grid_over_the_cap_is_refused_at_once_naming_the_count_and_the_flag(tiny, tmp_path, no_solving):
    """Before: a 1000 x 1001 grid spent a minute and 820 MB preparing, then started 1,001,000 solves."""
    out = tmp_path / "out"
    cpu = time.process_time()
    with pytest.raises(UsageError, match=r"1,001,000 scenarios \(1000 x 1001 grid\).*--max-scenarios 1001000"):
        _run(["sweep", str(tiny), "--vary", "budget=1:1000:1", "--vary", "gini.hi=0:1:0.001",
              "--out", str(out)])
    assert time.process_time() - cpu < 2.0  # nothing is materialised
    assert not out.exists()


def test_the_cap_is_a_flag_and_a_keyword(tiny, tmp_path):
    with pytest.raises(UsageError, match=r"3 scenarios \(one at a time: 1 \+ 2\).*--max-scenarios 3"):
        sweep(tiny, {"budget": None}, one_at_a_time=0.1, max_scenarios=2)
    with pytest.raises(UsageError, match=r"3 scenarios \(zip of 2 paths x 3 values\)"):
        sweep(tiny, {"budget": "16,17,18", "gini.hi": "0.3,0.31,0.32"}, mode="zip", max_scenarios=2)
    frame = sweep(tiny, {"budget": "16.5,20"}, max_scenarios=2)
    assert len(frame) == 2
    assert _run(["sweep", str(tiny), "--vary", "budget=16.5,20", "--max-scenarios", "2", "--workers", "1"]) == 0


@pytest.mark.parametrize(
    ("vary", "match"),
    [({"budget": "abc"}, "--vary budget: expected numbers .*16.5.*found 'abc'"),
     ({"budget": [20, True]}, "--vary budget: expected numbers .*found True"),
     ({"regions[North].population": "1e6,many"}, r"regions\[North\].population: expected numbers .*found 'many'")],
)
def test_a_value_that_is_not_a_number_for_a_number_is_refused_before_any_solve(tiny, tmp_path, no_solving,
                                                                                vary, match):
    """Before: ``budget=abc`` ran, made one ``invalid`` row and exited 0."""
    out = tmp_path / "out"
    with pytest.raises(UsageError, match=match):
        sweep(tiny, vary, out=out)
    assert not out.exists()


def test_a_refused_sweep_leaves_nothing_behind(tiny, tmp_path, no_solving):
    """Before: ``budget=12,12`` exited 2 but left an empty ``rows/`` folder."""
    out = tmp_path / "out"
    with pytest.raises(UsageError, match="same change"):
        _run(["sweep", str(tiny), "--vary", "budget=12,12", "--out", str(out)])
    assert not out.exists()


# -- item 8: usage errors, not internal ones -----------------------------------------------------


def test_out_naming_a_file_is_a_usage_error(tiny, tmp_path, no_solving):
    """Before: FileExistsError after the scenarios were prepared (exit 70)."""
    blocker = tmp_path / "results.csv"
    blocker.write_text("mine\n")
    with pytest.raises(UsageError, match=r"--out: .*results.csv: exists and is a file"):
        _run(["sweep", str(tiny), "--vary", "budget=16.5", "--out", str(blocker)])
    assert blocker.read_text() == "mine\n"


def test_an_unreachable_or_malformed_scheduler_is_a_usage_error_naming_it(tiny, tmp_path, no_solving):
    """Before: 30 s, then a bare OSError (exit 70); a malformed address a ValueError (exit 70)."""
    pytest.importorskip("dask.distributed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{s.getsockname()[1]}"  # closed once the block ends
    out = tmp_path / "out"
    t0 = time.monotonic()
    with pytest.raises(UsageError, match=f"--scheduler {address}: no Dask scheduler answered"):
        _run(["sweep", str(tiny), "--vary", "budget=16.5", "--scheduler", address, "--out", str(out)])
    assert time.monotonic() - t0 < 20  # Dask's own default alone is 30 s
    with pytest.raises(UsageError, match="--scheduler localhost: not a Dask scheduler address"):
        _run(["sweep", str(tiny), "--vary", "budget=16.5", "--scheduler", "localhost", "--out", str(out)])
    assert not out.exists()


def test_a_corrupt_row_is_named_and_solved_again(tiny, tmp_path, capsys):
    """Before: every rerun stopped on a JSONDecodeError naming no file (exit 70)."""
    out = tmp_path / "out"
    first = sweep(tiny, {"budget": "16.5,20"}, out=out)
    row = out / "rows" / f"{first['hash'].iloc[1]}.json"
    text = row.read_text()
    row.write_text(text[: len(text) // 2])  # a copy cut short
    capsys.readouterr()
    again = sweep(tiny, {"budget": "16.5,20"}, out=out)
    err = capsys.readouterr().err
    assert f"warning: {row} is not whole JSON" in err
    assert "scenario 1 is solved again" in err
    assert again.attrs["solved"] == 1
    assert again.attrs["skipped"] == 1
    assert again["objective"].tolist() == pytest.approx([TINY_COST, TINY_COST], rel=1e-6)
    assert json.loads(row.read_text())["status"] == "optimal"


# -- item 9: one running sweep per folder --------------------------------------------------------


def test_a_folder_held_by_a_running_sweep_is_refused_and_freed_by_its_death(repo_dir, instances_dir, tiny, tmp_path):
    """Before: both sweeps ran and exited 0; the tables held whichever finished last."""
    out = tmp_path / "out"
    slow = instances_dir / "equipment" / "tiny_gini_lower.toml"
    script = f"from optmodels.sweep import sweep; sweep({str(slow)!r}, {{'budget': '16:40:0.5'}}, out={str(out)!r})"
    proc = subprocess.Popen([sys.executable, "-c", script], env={**os.environ, "PYTHONPATH": str(repo_dir)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while not list(out.glob("rows/*.json")):
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        with pytest.raises(UsageError, match=rf"--out {out}: another sweep \(pid {proc.pid}\) is writing"):
            sweep(tiny, {"budget": "16.5"}, out=out)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    # the kernel dropped the killed run's lock: the folder is free at once
    frame = sweep(tiny, {"budget": "16.5"}, out=out)
    assert frame["objective"].tolist() == pytest.approx([TINY_COST], rel=1e-6)


# -- item 10: Parquet optional, checked first; Ctrl-C is 130 whatever the engine ------------------

NO_PARQUET = textwrap.dedent(
    """
    import sys

    class NoEngine:  # as with pyarrow 26 beside numpy 1.26: the import fails
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("pyarrow", "fastparquet"):
                raise ImportError("pyarrow requires NumPy 2.0 or newer, found 1.26.4")

    sys.meta_path.insert(0, NoEngine())
    from optmodels.cli import main
    sys.exit(main(sys.argv[1:]))
    """
)


def _no_parquet(repo_dir, argv, **kwargs):
    env = {**os.environ, "PYTHONPATH": str(repo_dir)}
    return subprocess.Popen([sys.executable, "-c", NO_PARQUET, *argv], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def test_without_a_parquet_engine_the_sweep_writes_csv_and_says_so_first(repo_dir, tiny, tmp_path):
    """Before: every scenario was solved, then exit 70 on sweep.parquet."""
    out = tmp_path / "out"
    proc = _no_parquet(repo_dir, ["sweep", str(tiny), "--vary", "budget=16.5,20", "--workers", "1",
                                  "--no-plots", "--out", str(out)])
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    assert "note: sweep.parquet is not written: no Parquet engine loads" in stderr
    assert f"wrote {out}/: sweep.csv\n" in stdout
    assert pd.read_csv(out / "sweep.csv")["objective"].tolist() == pytest.approx([TINY_COST, TINY_COST], rel=1e-6)
    assert not (out / "sweep.parquet").exists()


def test_ctrl_c_without_a_parquet_engine_exits_130(repo_dir, instances_dir, tmp_path):
    """Before: the interrupted sweep's final table write failed on Parquet: exit 70."""
    out = tmp_path / "out"
    slow = instances_dir / "equipment" / "tiny_gini_lower.toml"
    # 16..40 by 0.5, alternately from each end: a monotone run would be bracketed, most of its
    # scenarios settled without a solve, and the sweep over before the signal could land
    grid = [16 + k / 2 for k in range(49)]
    budgets = [grid[k // 2] if k % 2 == 0 else grid[-1 - k // 2] for k in range(49)]
    proc = _no_parquet(repo_dir, ["sweep", str(slow), "--vary", "budget=" + ",".join(map(str, budgets)), "--workers", "1",
                                  "--no-plots", "--out", str(out)],
                       # SIGINT back to its default: a background runner may hand children an ignored one
                       preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 240
        while len(list(out.glob("rows/*.json"))) < 2:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert "sweep interrupted" in stderr
    assert len(pd.read_csv(out / "sweep.csv")) >= 2


def test_ctrl_c_answered_by_highs_stops_the_sweep_and_writes_no_row_for_the_stopped_scenario(
        tiny, tmp_path, monkeypatch):
    """Ctrl-C while HiGHS runs is answered by HiGHS (termination ``interrupted``), not by Python.
    Before: that scenario's row was written with the stopped solve, which a rerun then skipped,
    and the sweep went on to the next scenario as if nothing had been pressed. Simulated
    deterministically: the Ctrl-C flag of the running block is raised as budget 17 starts."""
    import signal

    from solvers import interrupt

    # Python's own Ctrl-C handler, whatever an earlier test or library left installed: the block
    # takes over SIGINT only where Python handles it (never where it is ignored)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    real = registry.family

    def family(name):
        fam = real(name)

        def solve(instance, *args, **kwargs):
            if abs(instance.budget - 17) < 1e-9 and interrupt._scope is not None:
                interrupt._scope.requested = True  # what the SIGINT handler does mid-solve
            return fam.solve(instance, *args, **kwargs)

        return dataclasses.replace(fam, solve=solve, warm=None)

    monkeypatch.setattr(registry, "family", family)
    out = tmp_path / "out"
    frame = sweep(tiny, {"budget": "16.5,17,20"}, out=out)
    assert frame.attrs["interrupted"]
    assert frame["budget"].tolist() == [16.5]  # 17 was stopped, 20 never started
    assert len(list(out.glob("rows/*.json"))) == 1
    monkeypatch.undo()
    again = sweep(tiny, {"budget": "16.5,17,20"}, out=out)
    signal.signal(signal.SIGINT, previous)
    assert again.attrs["skipped"] == 1
    assert again.attrs["solved"] == 2
    assert set(again["status"]) == {"optimal"}


# -- item 11: the umask decides who reads the results --------------------------------------------


@pytest.mark.parametrize("mask", [0o022, 0o002])
def test_sweep_outputs_honour_the_umask(tiny, tmp_path, mask):
    """Before: rows, tables and sweep.json were 0600 whatever the umask."""
    out = tmp_path / "out"
    old = os.umask(mask)
    try:
        sweep(tiny, {"budget": "16.5,20"}, out=out, plots=True)
    finally:
        os.umask(old)
    files = [out / "sweep.csv", out / "sweep.parquet", out / "sweep.json", *out.glob("rows/*.json"),
             *out.glob("*.png")]
    assert len(files) == 6
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask, path
    for folder in (out, out / "rows"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o777 & ~mask, folder
