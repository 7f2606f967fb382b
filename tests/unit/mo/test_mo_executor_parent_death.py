"""A pool worker ends within seconds of its parent's death (``solvers.executor._die_with_parent``).

A middle process starts a worker that runs the pool's initializer, then the middle process is
SIGKILLed. Checked twice: as on Linux (the kernel's death signal plus the watchdog) and with the
watchdog alone, as on systems without ``PR_SET_PDEATHSIG``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]

WORKER = textwrap.dedent(
    """
    import os, sys, time
    if sys.argv[1] == "watchdog-only":
        sys.platform = "darwin"  # no prctl: the polling thread alone must notice
    from solvers.executor import _die_with_parent
    _die_with_parent(os.getppid())
    print("ready", flush=True)
    time.sleep(120)
    """
)

MIDDLE = textwrap.dedent(
    """
    import subprocess, sys, time
    child = subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2]], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "ready"
    print(child.pid, flush=True)
    time.sleep(120)
    """
)


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"  # a zombie nobody reaps
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.parametrize("mode", ["linux", "watchdog-only"])
def test_worker_exits_within_seconds_of_its_parents_sigkill(mode):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    middle = subprocess.Popen([sys.executable, "-c", MIDDLE, WORKER, mode], stdout=subprocess.PIPE,
                              text=True, env=env, start_new_session=True)
    worker = None
    try:
        worker = int(middle.stdout.readline())
        assert not _gone(worker)
        os.kill(middle.pid, signal.SIGKILL)
        middle.wait(timeout=30)
        t0 = time.monotonic()
        while not _gone(worker) and time.monotonic() - t0 < 5:
            time.sleep(0.05)
        assert _gone(worker), "the worker outlived its parent by 5 s"
    finally:
        if middle.poll() is None:
            os.killpg(middle.pid, signal.SIGKILL)
        if worker is not None and not _gone(worker):
            os.kill(worker, signal.SIGKILL)
