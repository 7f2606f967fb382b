"""A sweep killed with SIGKILL mid-way resumes: every scenario exactly once, no half-written row."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pandas as pd

from optmodels.sweep import sweep

#: 12 scenarios of tiny_gini_lower (the band binds: 3 solves each), in an order where no budget
#: follows a smaller one twice running: a monotone run would be bracketed and settle most
#: scenarios without a solve, over before the kill could land
BUDGETS = [16, 27, 17, 26, 18, 25, 19, 24, 20, 23, 21, 22]
VARY = {"budget": ",".join(map(str, BUDGETS))}


def test_sigkill_mid_sweep_then_resume(repo_dir, instances_dir, tmp_path):
    tiny = instances_dir / "equipment" / "tiny_gini_lower.toml"
    out = tmp_path / "out"
    script = textwrap.dedent(f"""
        from optmodels.sweep import sweep
        sweep({str(tiny)!r}, {VARY!r}, out={str(out)!r}, workers=1)
    """)
    env = {**os.environ, "PYTHONPATH": str(repo_dir)}
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    rows = out / "rows"
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if rows.is_dir() and len(list(rows.glob("*.json"))) >= 3:
                break
            time.sleep(0.02)
        assert proc.poll() is None, f"the sweep ended before it could be killed: {proc.stderr.read()!r}"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    before = {p.name: p.read_text() for p in rows.glob("*.json")}
    assert 3 <= len(before) < 12, "the kill must land mid-sweep"
    for text in before.values():  # every row on disk is whole
        assert json.loads(text)["status"] == "optimal"
    first_run = {json.loads(t)["run_id"] for t in before.values()}
    assert len(first_run) == 1

    resumed = sweep(tiny, VARY, out=out, workers=1)
    assert resumed.attrs["skipped"] == len(before)
    assert resumed.attrs["solved"] == 12 - len(before)
    # every scenario exactly once; the killed run's rows were not solved again
    assert resumed["scenario"].tolist() == list(range(12))
    assert resumed["hash"].is_unique
    after = {p.name: p.read_text() for p in rows.glob("*.json")}
    assert len(after) == 12
    assert all(after[name] == text for name, text in before.items())
    second_run = set(resumed["run_id"]) - first_run
    assert len(second_run) == 1
    assert (resumed["run_id"] == second_run.pop()).sum() == 12 - len(before)
    table = pd.read_csv(out / "sweep.csv")
    assert table["budget"].tolist() == BUDGETS
    assert set(table["status"]) == {"optimal"}
    assert not list(rows.glob(".*"))  # no temporary file left behind
