"""A Dask worker with two threads gives the serial sweep's table, with no ``error`` rows.

Before the fix, a fresh process's first compiles raced on Pyomo's standard-form compiler: most
rows were ``error`` (``TypeError: 'NoneType' object is not callable``; 18 of 20 on a 5 x 4 grid). The sweep runs
in a child process because the race needs a process whose compiler has not been used yet.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[3]

#: 10 scenarios, cut into 4 chunks that the worker's two threads take two at a time.
VARY = {"budget": "16,17,18,19,20", "gini.lo": "0.05,0.2"}
MOVING = ["time_validate", "time_build", "time_handoff", "time_solve", "time_extract", "time_total",
          "cpu_total", "warm", "source", "run_id", "pid"]

_SWEEPS = textwrap.dedent(
    """
    import json, sys
    from dask import distributed
    from optmodels.sweep import sweep

    tiny, vary, out = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        sweep(tiny, vary, scheduler=client).to_csv(out + "/threads.csv", index=False)
    sweep(tiny, vary, workers=1).to_csv(out + "/serial.csv", index=False)
    """
)


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=[c for c in MOVING if c in frame.columns]).reset_index(drop=True)


def test_a_two_thread_dask_worker_gives_the_serial_table(instances_dir, tmp_path):
    pytest.importorskip("dask.distributed")

    tiny = instances_dir / "equipment" / "tiny_cost.toml"
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    run = subprocess.run([sys.executable, "-c", _SWEEPS, str(tiny), json.dumps(VARY), str(tmp_path)],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    threads = pd.read_csv(tmp_path / "threads.csv")
    serial = pd.read_csv(tmp_path / "serial.csv")
    assert len(threads) == 10
    assert (threads["status"] != "error").all(), threads.loc[threads["status"] == "error", "message"].tolist()
    assert set(threads["status"]) == {"optimal", "infeasible"}  # no plan meets gini.lo 0.2
    pd.testing.assert_frame_equal(_comparable(threads), _comparable(serial), rtol=1e-9)
