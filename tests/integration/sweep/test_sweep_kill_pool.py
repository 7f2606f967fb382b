"""A ``--workers 2`` sweep whose parent is SIGKILLed leaves no process behind.

Before the fix the two pool workers went on with the chunks already queued to them, then waited
for more forever, and with the multiprocessing resource tracker they held the parent's
stdout/stderr pipes open: a caller reading them (a CI step, ``subprocess.run``) hung.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

psutil = pytest.importorskip("psutil")  # ships with dask[distributed], in the test extra


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_sigkill_of_a_parallel_sweep_ends_its_workers_and_closes_its_pipes(repo_dir, instances_dir, tmp_path):
    tiny = instances_dir / "equipment" / "tiny_gini_lower.toml"
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(repo_dir)}
    # 49 scenarios in chunks of 2: the workers have queued work long after the kill
    argv = [sys.executable, "-m", "optmodels.sweep", str(tiny), "--vary", "budget=16:40:0.5",
            "--workers", "2", "--chunk", "2", "--no-plots", "--no-progress", "--out", str(out)]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    eof = {name: threading.Event() for name in ("stdout", "stderr")}

    def drain(name: str) -> None:
        stream = getattr(proc, name)
        while stream.read(65536):
            pass
        eof[name].set()

    readers = [threading.Thread(target=drain, args=(name,), daemon=True) for name in eof]
    for reader in readers:
        reader.start()
    children: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            if out.joinpath("rows").is_dir() and len(list(out.joinpath("rows").glob("*.json"))) >= 2:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the sweep ended before it could be killed"
        children = psutil.Process(proc.pid).children(recursive=True)
        assert len(children) >= 2, "both pool workers should be running"
        os.kill(proc.pid, signal.SIGKILL)  # the parent only: its workers are left to themselves
        proc.wait(timeout=30)
        killed_at = time.monotonic()
        for name, done in eof.items():
            assert done.wait(timeout=max(0.0, 10 - (time.monotonic() - killed_at))), \
                f"the parent's {name} pipe is still held open 10 s after its death"
        left = [c for c in children if _alive(c)]
        while left and time.monotonic() - killed_at < 10:
            time.sleep(0.1)
            left = [c for c in children if _alive(c)]
        assert not left, f"still running 10 s after the parent's death: {[c.cmdline() for c in left]}"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        for child in children:
            if _alive(child):
                child.kill()
    rows = len(list(out.joinpath("rows").glob("*.json")))
    assert rows < 49, "the kill must land mid-sweep"
