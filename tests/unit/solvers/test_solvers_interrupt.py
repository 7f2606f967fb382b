"""The interrupt layer: stop signals, the checks a strategy's own loops use, stage markers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from solvers import interrupt
from solvers.interrupt import check, interruptible, last_signal, requested, stage, until_interrupted

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def ctrl_c_handled():
    """SIGINT handled by Python's default handler for the test (a runner started in the
    background may have it ignored), restored afterwards."""
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def _deliver(sig: int) -> None:
    os.kill(os.getpid(), sig)
    for _ in range(1000):  # Python runs the handler at the next bytecode boundary
        time.sleep(0.001)


def test_outside_a_block_the_checks_change_nothing():
    check()  # no block: never raises
    assert requested() is False
    with pytest.raises(KeyboardInterrupt), until_interrupted():
        raise KeyboardInterrupt  # a library caller's Ctrl-C passes through


def test_a_signal_between_solves_ends_the_stage_and_later_stages_do_not_start(ctrl_c_handled):
    reached = []
    with interruptible() as scope:
        with until_interrupted():
            _deliver(signal.SIGINT)
            reached.append("after the signal")  # never: the handler raised here
        assert reached == []
        assert requested()
        assert scope.requested
        assert scope.signal == signal.SIGINT
        assert last_signal() == signal.SIGINT
        with pytest.raises(KeyboardInterrupt):
            check()
        with pytest.raises(KeyboardInterrupt):
            stage("next")
        stage("announced only", checked=False)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert requested() is False  # the block is over


def _stops_work(signum, frame):
    raise KeyboardInterrupt


_stops_work.stops_work = True  # type: ignore[attr-defined]


def test_sigterm_stops_work_only_where_its_handler_is_marked(ctrl_c_handled):
    previous = signal.getsignal(signal.SIGTERM)
    try:
        with interruptible():
            assert signal.getsignal(signal.SIGTERM) is previous  # unmarked: left alone
        signal.signal(signal.SIGTERM, _stops_work)
        with interruptible() as scope:
            assert signal.getsignal(signal.SIGTERM) is not _stops_work  # taken over in the block
            with until_interrupted():
                _deliver(signal.SIGTERM)
            assert scope.signal == signal.SIGTERM
            assert last_signal() == signal.SIGTERM
        assert signal.getsignal(signal.SIGTERM) is _stops_work  # given back
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_a_block_works_for_sigterm_alone_when_ctrl_c_is_ignored():
    """A background batch job: SIGINT ignored (left so), SIGTERM marked -- the block is active."""
    previous = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stops_work)
    try:
        with interruptible() as scope:
            assert scope.active
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            with until_interrupted():
                _deliver(signal.SIGTERM)
            assert scope.signal == signal.SIGTERM
    finally:
        signal.signal(signal.SIGINT, previous[0])
        signal.signal(signal.SIGTERM, previous[1])


def test_stage_names_go_to_stderr_only_when_asked(monkeypatch, capsys):
    monkeypatch.delenv(interrupt.STAGES_ENV, raising=False)
    stage("quiet")
    assert capsys.readouterr().err == ""
    monkeypatch.setenv(interrupt.STAGES_ENV, "1")
    stage("family.step")
    assert capsys.readouterr().err.startswith("optmodels: stage family.step")


_SIGTERM_DURING_A_MILP = textwrap.dedent(
    """
    import json, signal, sys
    import numpy as np
    import pyomo.environ as pyo
    from solvers import SolveOptions, StandardFormModel, solve
    from solvers.interrupt import last_signal

    def stops_work(signum, frame):
        raise KeyboardInterrupt
    stops_work.stops_work = True
    signal.signal(signal.SIGTERM, stops_work)

    # the market split instance of test_solvers_runtime: an incumbent at once, no proof for long
    rng = np.random.default_rng(0)
    m, n = 5, 40
    a = rng.integers(0, 100, size=(m, n))
    d = a.sum(axis=1) // 2
    model = pyo.ConcreteModel()
    model.x = pyo.Var(range(n), domain=pyo.Binary)
    model.up = pyo.Var(range(m), bounds=(0, None))
    model.down = pyo.Var(range(m), bounds=(0, None))
    model.split = pyo.Constraint(range(m), rule=lambda mm, i: sum(
        int(a[i, j]) * mm.x[j] for j in range(n)) + mm.up[i] - mm.down[i] == int(d[i]))
    model.miss = pyo.Objective(expr=sum(model.up[i] + model.down[i] for i in range(m)))
    original = StandardFormModel.run
    def announced(self, *args, **kwargs):
        print("solving", flush=True)
        return original(self, *args, **kwargs)
    StandardFormModel.run = announced
    result = solve(model, SolveOptions(time_limit=60))
    print(json.dumps({"termination": result.termination.value, "solution": result.solution_status.value,
                      "signal": last_signal(), "restored": signal.getsignal(signal.SIGTERM) is stops_work}))
    """
)


def test_sigterm_during_a_solve_stops_highs_where_the_program_asks_for_it(tmp_path):
    script = tmp_path / "milp.py"
    script.write_text(_SIGTERM_DURING_A_MILP)
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    try:
        assert proc.stdout.readline().strip() == "solving"
        time.sleep(1.0)  # HiGHS holds an incumbent
        sent = time.perf_counter()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
        reacted = time.perf_counter() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result == {"termination": "interrupted", "solution": "feasible", "signal": signal.SIGTERM,
                      "restored": True}
    assert reacted < 30  # the 60 s limit was not waited for
