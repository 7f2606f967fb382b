"""Ctrl-C is honoured within one CPU-second in every stage of every family's strategy.

Each test runs the real command line in a child process with ``OPTMODELS_STAGES=1`` (each stage
of a strategy prints ``optmodels: stage NAME`` on stderr as it starts), waits for the named
stage, reads the child's CPU time (``/proc/PID/stat``: user + system, every thread), sends SIGINT
and collects the child's CPU time at exit (``os.wait4``). The promise: at most 1 CPU-second of
work after the signal -- the rest of the stage, the report and the exit -- and exit 130 with the
best answer so far reported (``optmodels pareto`` too, with the points found so far written).

The instances are picked so that each stage lasts long enough to be hit after its marker (the
signal goes a fixed delay after it); the time limits keep the late stages of the equipment
strategy a few seconds from the start.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
#: the promise is about one CPU-second of work after the signal; the bound allows 1.5 because the
#: process's own exit (interpreter teardown, HiGHS's threads) measured 0.6-0.7 CPU-s even for a
#: 205-point model, and two runs of .ci/run on a quiet 2-core machine saw 1.05 in one of them
CPU_AFTER_SIGNAL = 1.5

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc/PID/stat")


@dataclass
class Stopped:
    code: int
    cpu_after: float  # CPU-seconds the child used after the signal, until it was gone
    out: str
    err: str


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _pump(stream, sink: queue.Queue) -> None:
    for line in stream:
        sink.put(line)
    sink.put(None)


def stop_at_stage(args: list[str], stage: str, *, delay: float = 0.0, sig: int = signal.SIGINT,
                  cwd: Path = REPO, timeout: float = 300) -> Stopped:
    """Run ``python -m optmodels ARGS``; ``delay`` seconds after stage ``stage`` starts, send
    ``sig``; return the exit code, the CPU used after the signal and the output."""
    env = dict(os.environ, OPTMODELS_STAGES="1",
               PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        [sys.executable, "-m", "optmodels", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env, cwd=cwd,
        # SIGINT back to its default: a runner started in the background by a non-interactive
        # shell hands its children an ignored SIGINT, and Ctrl-C would never arrive
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    out_lines: queue.Queue = queue.Queue()
    err_lines: queue.Queue = queue.Queue()
    readers = [threading.Thread(target=_pump, args=(proc.stdout, out_lines), daemon=True),
               threading.Thread(target=_pump, args=(proc.stderr, err_lines), daemon=True)]
    for reader in readers:
        reader.start()
    err: list[str] = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            line = err_lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            if line is None:
                pytest.fail(f"the run ended before stage {stage!r}:\n{''.join(err)}")
            err.append(line)
            if line.startswith("optmodels: stage ") and stage in line:
                break
        time.sleep(delay)
        cpu_before = _cpu_seconds(proc.pid)
        proc.send_signal(sig)
        _, status, usage = os.wait4(proc.pid, 0)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    for reader in readers:
        reader.join(timeout=30)
    return Stopped(code=proc.returncode, cpu_after=usage.ru_utime + usage.ru_stime - cpu_before,
                   out="".join(_drain(out_lines)), err="".join(err + _drain(err_lines)))


def _drain(lines: queue.Queue) -> list[str]:
    out = []
    while not lines.empty():
        line = lines.get_nowait()
        if line is not None:
            out.append(line)
    return out


def _reported_incumbent(stopped: Stopped) -> None:
    """The run printed its best answer so far, marked interrupted."""
    assert "termination interrupted   solution feasible" in stopped.out, stopped.out + stopped.err
    assert "verdict     feasible: best solution found so far, not proven optimal (interrupted" in stopped.out


# -- equipment: every stage of the lazy (and tight) strategy ----------------------------------

EQUIPMENT = "instances/equipment/regional_band.json"  # 8 x 60 x 5, the Gini band's lower side binding
#: with 8 s the searches, the tightening and the full model each get a second or so
LAZY = ["solve", EQUIPMENT, "--time-limit", "8"]


@pytest.mark.parametrize(("stage", "delay", "args"), [
    ("equipment.relaxation", 0.1, LAZY),
    ("equipment.restriction", 0.2, LAZY),
    ("equipment.build", 0.0, LAZY),
    ("equipment.orderings", 0.3, LAZY),
    ("equipment.blocks", 0.3, LAZY),
    ("equipment.tighten", 0.1, [*LAZY, "--gini-strategy", "tight"]),
    ("equipment.rebuild", 0.0, LAZY),
    ("equipment.full", 0.3, LAZY),
])
def test_ctrl_c_in_each_equipment_stage_ends_within_a_cpu_second(stage, delay, args):
    stopped = stop_at_stage(args, stage, delay=delay)
    assert stopped.code == 130, stopped.err
    assert stopped.cpu_after <= CPU_AFTER_SIGNAL, (stage, stopped.cpu_after)
    assert "Traceback" not in stopped.err
    if stage != "equipment.relaxation":  # from the restriction on, a plan is always in hand
        _reported_incumbent(stopped)
        assert "stopped by a signal" in stopped.out or "the full model was stopped" in stopped.out


def test_ctrl_c_in_the_column_bound_ends_within_a_cpu_second(tmp_path):
    """each_year mode runs the column bound (equipment.columns) before the full model."""
    import json

    from optmodels.equipment.generate import generate

    path = tmp_path / "regional_each_year.json"
    path.write_text(json.dumps(generate(8, 60, 5, 0, band_binding="lower", gini_mode="each_year")))
    stopped = stop_at_stage(["solve", str(path), "--time-limit", "20"], "equipment.columns", delay=0.3)
    assert stopped.code == 130, stopped.err
    assert stopped.cpu_after <= CPU_AFTER_SIGNAL, stopped.cpu_after
    assert "Traceback" not in stopped.err
    _reported_incumbent(stopped)
    assert "during the column bound" in stopped.out


def test_ctrl_c_in_a_search_at_provincial_scale_without_a_time_limit():
    """The issue's case: 16 x 120 x 5, no time limit, Ctrl-C in the ordering search. The block
    search, 2(m+1)n = 170 tightening LPs and two model builds used to follow (2.7 CPU-s here)."""
    stopped = stop_at_stage(["solve", "instances/equipment/provincial_band.json"], "equipment.orderings", delay=0.5)
    assert stopped.code == 130, stopped.err
    assert stopped.cpu_after <= CPU_AFTER_SIGNAL, stopped.cpu_after
    _reported_incumbent(stopped)


def test_no_stage_starts_after_ctrl_c_in_a_search():
    """The tightening LPs and the rebuilds after an interrupted search are what took seconds."""
    stopped = stop_at_stage(LAZY, "equipment.orderings", delay=0.3)
    assert stopped.code == 130
    later = [line for line in stopped.err.splitlines()
             if line.startswith("optmodels: stage ") and any(
                 name in line for name in ("equipment.blocks", "equipment.tighten", "equipment.rebuild",
                                           "equipment.full"))]
    assert later == []
    assert "during the ordering search" in stopped.out


# -- pricing: the lattice enumeration and the lattice MILP ------------------------------------

PRICING = "instances/pricing/elastic_model2_fine.yaml"


def test_ctrl_c_in_the_pricing_lattice_keeps_the_best_fees_so_far():
    # 7.9 million fee pairs: seconds of enumeration
    stopped = stop_at_stage(["solve", PRICING, "--lattice-step", "0.0004"], "pricing.lattice", delay=0.3)
    assert stopped.code == 130, stopped.err
    assert stopped.cpu_after <= CPU_AFTER_SIGNAL
    _reported_incumbent(stopped)


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="HiGHS 1.16 checks neither its interrupt callbacks nor its time limit "
                   "for the first ~5 s of this MILP's root (a --time-limit 1 run also takes 7 s): nothing "
                   "in the suite can stop it there; strict, so that a HiGHS that does is noticed")
def test_ctrl_c_in_the_pricing_lattice_milp():
    stopped = stop_at_stage(["solve", PRICING, "--lattice-method", "milp"], "pricing.milp", delay=1.0)
    assert stopped.code == 130, stopped.err
    assert stopped.cpu_after <= CPU_AFTER_SIGNAL


# -- siting: the p-median presolve (local search, subgradient, reduction), the radius rounds,
# -- a location MILP and the equity MILP --------------------------------------------------------


@pytest.fixture(scope="module")
def p_median(tmp_path_factory) -> Path:
    """2500 points x 500 sites, p = 15: a presolve of a few seconds and a gap it leaves open."""
    from optmodels.cli import main

    path = tmp_path_factory.mktemp("siting") / "pmedian.json"
    assert main(["generate", "siting", "--demand", "2500", "--sites", "500", "--p", "15", "--existing", "0",
                 "--seed", "3", "-o", str(path)]) == 0
    return path


@pytest.mark.parametrize(("stage", "delay"), [
    ("siting.local_search", 0.3),
    ("siting.subgradient", 0.1),
    ("siting.reduction", 0.0),
    ("siting.probing", 0.1),
    ("siting.radius round 1", 1.0),
])
def test_ctrl_c_in_each_p_median_stage_ends_within_a_cpu_second(p_median, stage, delay):
    stopped = stop_at_stage(["solve", str(p_median)], stage, delay=delay)
    assert stopped.code == 130, stopped.err
    assert stopped.cpu_after <= CPU_AFTER_SIGNAL, (stage, stopped.cpu_after)
    _reported_incumbent(stopped)  # the local search's plan at least


@pytest.fixture(scope="module")
def p_median_at_scale(tmp_path_factory) -> Path:
    """4,000 points x 1,000 sites; run under a 150 MB memory cap (OPTMODELS_MEMORY_LIMIT) the dense
    array and its copies do not fit, so the candidate-list strategy runs (a larger instance would
    take it on its own, at many more CPU-seconds a case). A 30 s limit gives each of its searches
    a few CPU-seconds."""
    from optmodels.cli import main

    path = tmp_path_factory.mktemp("siting") / "pmedian-scale.json"
    assert main(["generate", "siting", "--demand", "4000", "--sites", "1000", "--seed", "3", "-o", str(path)]) == 0
    return path


@pytest.mark.slow
@pytest.mark.parametrize(("stage", "delay"), [
    ("siting.scale.local_search", 0.5),
    ("siting.scale.subgradient", 0.1),
    ("siting.scale.benders_lp", 0.5),
])
def test_ctrl_c_in_each_p_median_stage_at_scale_ends_within_a_cpu_second(p_median_at_scale, stage, delay,
                                                                          monkeypatch):
    monkeypatch.setenv("OPTMODELS_MEMORY_LIMIT", "150e6")
    stopped = stop_at_stage(["solve", str(p_median_at_scale), "--time-limit", "30"], stage, delay=delay)
    assert stopped.code == 130, stopped.err
    assert stopped.cpu_after <= CPU_AFTER_SIGNAL, (stage, stopped.cpu_after)
    _reported_incumbent(stopped)
    assert "candidate lists" in stopped.out  # the strategy under test ran


def test_ctrl_c_in_a_siting_location_milp():
    # the assignment MILP (the p-center's default path, the relaxation, ends this file in 0.3 s)
    stopped = stop_at_stage(["solve", "instances/siting/sf/sf_p_center.json", "--formulation", "assignment"],
                            "siting.p_center", delay=0.8)
    assert stopped.code == 130, stopped.err
    assert stopped.cpu_after <= CPU_AFTER_SIGNAL


def test_ctrl_c_in_the_equity_siting_milp(tmp_path):
    from optmodels.cli import main

    path = tmp_path / "equity.json"
    assert main(["generate", "siting", "--model", "equity_siting", "--demand", "600", "--sites", "80",
                 "-o", str(path)]) == 0
    stopped = stop_at_stage(["solve", str(path)], "siting.equity_siting", delay=1.0)
    assert stopped.code == 130, stopped.err
    assert stopped.cpu_after <= CPU_AFTER_SIGNAL


# -- siting at population-grid scale: the coverage path (groups, the plan, row generation, the
# -- MILP on the groups) ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def province(tmp_path_factory) -> Path:
    """A 30,000-cell province (Parquet tables, pairs only): seconds of grouping, a MILP that runs on."""
    from optmodels.cli import main

    path = tmp_path_factory.mktemp("province") / "province.yaml"
    assert main(["generate", "siting", "--layout", "province", "--demand", "30000", "--sites", "1500",
                 "--seed", "2", "-o", str(path)]) == 0
    return path


@pytest.mark.parametrize(("model", "stage", "delay", "incumbent"), [
    ("mclp", "siting.coverage.groups", 0.2, False),  # nothing in hand yet: exit 130, no plan
    ("mclp", "siting.mclp.milp", 1.0, True),          # the MILP from the search's plan
    ("lscp", "siting.lscp.round 1", 0.3, True),        # the first round, or the greedy cover
])
def test_ctrl_c_in_each_coverage_stage_ends_within_a_cpu_second(province, model, stage, delay, incumbent):
    stopped = stop_at_stage(["solve", str(province), "--model", model, "--time-limit", "120"], stage, delay=delay)
    assert stopped.code == 130, stopped.err
    assert stopped.cpu_after <= CPU_AFTER_SIGNAL, (stage, stopped.cpu_after)
    assert "Traceback" not in stopped.err
    if incumbent:
        assert "verdict     feasible" in stopped.out, stopped.out + stopped.err
        assert "check       numpy re-evaluation: all constraints hold" in stopped.out


def test_ctrl_c_in_a_p_center_relaxation_keeps_its_plan(province):
    """Ctrl-C between or inside the relaxation's decisions: the plan in hand, its proven bound."""
    stopped = stop_at_stage(["solve", str(province), "--model", "p_center", "--p", "120", "--time-limit", "120"],
                            "siting.p_center decision", delay=1.0)
    assert stopped.code == 130, stopped.err
    assert stopped.cpu_after <= CPU_AFTER_SIGNAL, stopped.cpu_after
    assert "Traceback" not in stopped.err
    assert "verdict     feasible" in stopped.out, stopped.out + stopped.err
    assert "check       numpy re-evaluation: all constraints hold" in stopped.out


# -- the multi-objective front loops (in this process: --workers 1) ---------------------------

KNAPSACK = ["pareto", "--model", "instances/momkp/momkp_model.py:build_2kp100", "--workers", "1", "--no-progress"]


@pytest.mark.parametrize(("stage", "delay", "method"), [
    ("epsilon.grid", 1.0, ["--method", "epsilon"]),
    ("weighted.weights", 0.3, ["--method", "weighted", "--points", "400"]),
    ("nsga2.generations", 0.5, ["--method", "nsga2", "--generations", "100000", "--seed-milp", "0"]),
])
def test_ctrl_c_in_each_front_loop_keeps_the_points_within_a_cpu_second(stage, delay, method):
    stopped = stop_at_stage([*KNAPSACK, *method], stage, delay=delay)
    assert stopped.code == 130, stopped.err  # interrupted; the points found are kept and reported
    assert stopped.cpu_after <= CPU_AFTER_SIGNAL, (stage, stopped.cpu_after)
    assert "INCOMPLETE: interrupted, the points found so far" in stopped.out


# -- SIGTERM: what batch schedulers and container runtimes send -----------------------------------
# It ends the work as Ctrl-C does -- the incumbent printed and written, marked interrupted -- and
# the command exits 143 (Ctrl-C stays 130). Before: the process died at once, nothing written.


def test_sigterm_during_a_solve_writes_the_incumbent_and_exits_143(tmp_path):
    import json

    out = tmp_path / "result"
    stopped = stop_at_stage([*LAZY, "--out", str(out)], "equipment.orderings", delay=0.3, sig=signal.SIGTERM)
    assert stopped.code == 143, stopped.err
    _reported_incumbent(stopped)
    assert "terminated (SIGTERM)" in stopped.err
    result = json.loads((out / "result.json").read_text())
    assert result["termination"] == "interrupted"
    assert result["verdict"] == "feasible"
    assert 0 <= result["gap"] < 0.05  # against the band-free bound
    assert (out / "plan.csv").is_file()


def test_sigterm_before_anything_is_solved_exits_143_without_a_traceback():
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-m", "optmodels", *LAZY], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    time.sleep(1.0)  # the parser is still being built (the families imported): seconds
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert "terminated" in err
    assert "Traceback" not in err


def test_sigterm_during_a_front_writes_the_points_found_and_exits_143(tmp_path):
    import json

    out = tmp_path / "front"
    stopped = stop_at_stage([*KNAPSACK, "--method", "epsilon", "--out", str(out)], "epsilon.grid", delay=1.0,
                            sig=signal.SIGTERM)
    assert stopped.code == 143, stopped.err
    assert "INCOMPLETE: interrupted, the points found so far" in stopped.out
    payload = json.loads((out / "pareto.json").read_text())
    assert payload["complete"] is False
    assert payload["n_points"] >= 2  # the payoff table's two lexicographic optima at least


def test_sigterm_during_a_sweep_keeps_the_rows_and_exits_143(tmp_path):
    out = tmp_path / "sweep"
    stopped = stop_at_stage(["sweep", EQUIPMENT, "--vary", "budget=140,142,144", "--workers", "1", "--no-plots",
                             "--no-progress", "--out", str(out)], "equipment.orderings", delay=0.3,
                            sig=signal.SIGTERM)
    assert stopped.code == 143, stopped.err
    assert "sweep interrupted" in stopped.err
    # the scenario cut short has no row: the same command solves it again
    assert list((out / "rows").glob("*.json")) == []
    assert (out / "sweep.csv").is_file()


def test_a_library_callers_sigterm_keeps_its_meaning(tmp_path):
    """Only a program that marks its SIGTERM handler (the command line does) has SIGTERM stop a
    solve like Ctrl-C; a plain Python program using the suite still dies of it."""
    script = tmp_path / "plain.py"
    script.write_text(
        "import time\n"
        "import pyomo.environ as pyo\n"
        "from solvers import interruptible, solve\n"
        "model = pyo.ConcreteModel()\n"
        "model.x = pyo.Var(bounds=(0, 1))\n"
        "model.o = pyo.Objective(expr=model.x)\n"
        "with interruptible():\n"
        "    solve(model)\n"
        "    print('ready', flush=True)\n"
        "    time.sleep(60)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGTERM
