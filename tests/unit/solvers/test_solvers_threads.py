"""Solves in several threads of one process: the same answers as one after the other.

Pyomo keeps process-wide state (a compiler that fills its class attributes on first use, a QP
interface that redirects the process's stdout and stderr while it runs) and HiGHS keeps one
worker pool per thread; ``solvers.building`` says how the solver layer deals with each.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pyomo.environ as pyo
import pytest

from solvers import SolveOptions, Termination, interruptible, solve

REPO = Path(__file__).resolve().parents[3]

#: One of each kind of solve: equipment MILP, pricing, siting MILPs and the siting equity QP
#: (Pyomo's contrib interface); each takes well under a second.
FILES = [
    "instances/equipment/tiny_cost.toml",
    "instances/pricing/seed_model1.yaml",
    "instances/siting/small/small_p_median.json",
    "instances/siting/small/small_mclp.json",
    "instances/siting/access_capacity.json",
]

# Threads first, in a fresh process: the compiler's first use is one of the races (before the
# fix, without the QP file: the first solve of three of the four threads raised TypeError, in
# three runs out of three), and a serial solve before the threads would have made it already.
_CONCURRENT = textwrap.dedent(
    """
    import json, sys, threading
    import optmodels

    files, threads, rounds = json.loads(sys.argv[2]), 4, 2
    found, errors = [], []
    start = threading.Barrier(threads)

    def worker():
        start.wait()  # all at once, in the same order: the first compiles coincide
        for _ in range(rounds):
            for f in files:
                try:
                    s = optmodels.solve(f)
                    found.append([f, s.verdict, s.result.objective])
                except Exception as exc:
                    errors.append(f"{f}: {type(exc).__name__}: {exc}")

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    serial = {f: [s.verdict, s.result.objective] for f in files for s in [optmodels.solve(f)]}
    with open(sys.argv[1], "w") as out:
        json.dump({"found": found, "errors": errors, "serial": serial}, out)
    print("stdout intact", flush=True)
    """
)


def test_four_threads_solving_every_family_at_once_match_the_serial_solves(tmp_path):
    report = tmp_path / "report.json"
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    # Before the fix the process raised TypeError in Pyomo's compiler, or lost its stdout and
    # stderr to two overlapping QP runs and died or hung: the timeout turns a hang into a failure.
    run = subprocess.run([sys.executable, "-c", _CONCURRENT, str(report), json.dumps(FILES)],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.splitlines() == ["stdout intact"]  # the threads' QP runs left stdout alone
    out = json.loads(report.read_text())
    assert out["errors"] == []
    assert len(out["found"]) == 4 * 2 * len(FILES)
    for f, verdict, objective in out["found"]:
        serial_verdict, serial_objective = out["serial"][f]
        assert serial_verdict == "optimal", f
        assert verdict == serial_verdict, f
        assert objective == pytest.approx(serial_objective, rel=1e-6, abs=1e-9), f


def _tiny_milp() -> pyo.ConcreteModel:
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(3), domain=pyo.Binary)
    m.c = pyo.Constraint(expr=sum(m.x.values()) >= 2)
    m.o = pyo.Objective(expr=m.x[0] + 2 * m.x[1] + 3 * m.x[2])
    return m


def test_each_thread_gets_the_highs_pool_size_it_asks_for():
    # HiGHS keeps one worker pool per calling thread. Thread a sizes its pool at 1; thread b
    # then asks for 2 in its own pool; a asking for 2 next must restart *its* pool (before the
    # fix a process-wide record said "2 already" and a's run stopped unsolved: unknown).
    solve(_tiny_milp())
    a_done, b_done = threading.Event(), threading.Event()
    seen: dict[str, object] = {}

    def run(name: str, threads: int) -> None:
        result = solve(_tiny_milp(), SolveOptions(threads=threads))
        seen[name] = (result.termination, result.objective)

    def a() -> None:
        run("a1", 1)
        a_done.set()
        b_done.wait(60)
        run("a2", 2)
        run("a3", 1)

    def b() -> None:
        a_done.wait(60)
        run("b1", 2)
        b_done.set()

    pool = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(120)
    assert sorted(seen) == ["a1", "a2", "a3", "b1"]
    for name, (termination, objective) in seen.items():
        assert termination is Termination.OPTIMAL, name
        assert objective == pytest.approx(3.0), name


def test_a_worker_threads_interruptible_block_is_not_the_main_threads():
    # A Ctrl-C marks the main thread's block; a block opened in another thread meanwhile (a Dask
    # worker's, a user's pool) must not read that mark as its own.
    seen: list = []

    def worker() -> None:
        with interruptible() as scope:
            seen.append((scope.active, scope.requested))
            seen.append(solve(_tiny_milp()).termination)

    # A runner started in the background may have SIGINT ignored; the main thread's block is
    # live only when Python handles it.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with interruptible() as main_scope:
            assert main_scope.active
            main_scope.requested = True  # as the block's SIGINT handler does on Ctrl-C
            thread = threading.Thread(target=worker)
            thread.start()
            thread.join(60)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert seen == [(False, False), Termination.OPTIMAL]
