"""Ctrl-C with a process pool: queued tasks are cancelled and the process exits within seconds.

A real SIGINT goes to a Python process running :func:`solvers.executor.run_tasks` on a pool of
two workers, while both workers are in tasks that would run for a minute and more tasks wait
in the queue. Before the fix the process returned the partial results at once but then waited
at exit for every queued task (each 60 s here).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path

    from solvers.executor import run_tasks

    marks = Path(sys.argv[1])

    def task(i):
        (marks / f"started_{i}").write_text("")
        if i >= 2:
            time.sleep(60)  # a long block: must not be waited for after Ctrl-C
        return i * 10

    if __name__ == "__main__":
        results, interrupted = run_tasks(task, list(range(8)), workers=2)
        print(json.dumps({"results": results, "interrupted": interrupted}), flush=True)
    """
)


def test_ctrl_c_in_pool_mode_cancels_queued_work_and_exits_quickly(tmp_path):
    script = tmp_path / "pool_run.py"
    script.write_text(SCRIPT)
    marks = tmp_path / "marks"
    marks.mkdir()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    proc = subprocess.Popen([sys.executable, str(script), str(marks)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env,
                            # SIGINT back to its default in the child: a runner started in the
                            # background by a non-interactive shell hands its children an ignored
                            # SIGINT, and Ctrl-C (what this test is about) would never arrive
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        # wait until both workers sit in a long task (spawned workers import first: be patient)
        deadline = time.monotonic() + 240
        while not ((marks / "started_2").exists() and (marks / "started_3").exists()):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the pool never started the long tasks"
            time.sleep(0.2)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        elapsed = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    payload = json.loads(out.strip().splitlines()[-1])
    assert payload["interrupted"] is True
    assert payload["results"][:2] == [0, 10]  # finished before Ctrl-C: kept
    assert payload["results"][2:] == [None] * 6
    assert elapsed < 15  # loose on a loaded machine; each long task alone would take 60 s
    time.sleep(1.0)
    started = sorted(p.name for p in marks.iterdir())
    # the queued tasks never ran (nor start later from an orphaned worker)
    assert started == ["started_0", "started_1", "started_2", "started_3"]
