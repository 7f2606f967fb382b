"""The ``scale`` profile: siting at population-grid scale, one process per case (issue 23).

``python -m benchmarks --profile scale --out benchmarks/results/scale`` runs the cases below,
each in a process of its own (:mod:`benchmarks.scale_child`), and records per run: wall and CPU
time, the phases (read, build, hand-off, HiGHS, extraction), the peak resident memory of that
process, the load average when it started, the verdict, objective, bound and gap, and the
objective recomputed from the open sites by an independent KD-tree evaluation
(:mod:`benchmarks.scale_check`). PySAL spopt + PuLP/CBC runs the same files side by side, up a
ladder per model, until a size it does not finish within its budget (default 10 minutes) or its
memory cap; the larger sizes of that model are then recorded as skipped, with where and why it
stopped.

Design choices
--------------
- **A process per run.** ``os.wait4`` gives that child's own peak RSS (``ru_maxrss``; the
  maximum over the child and the processes it waited for, e.g. CBC), so one case's peak is never
  another's, and a run ended by the OS or a cap ends alone. While it runs, the parent samples the
  resident memory of the whole process tree (spopt's Python and its CBC hold their copies at
  once) and kills the tree past the runner's cap.
- **Instances in a cache, not in the repository.** Each case's file is written by ``optmodels
  generate siting`` (deterministic per seed) into the cache folder (``--cache``, default
  ``$OPTMODELS_BENCH_CACHE`` or ``~/.cache/optmodels/bench-scale``) and reused while the
  generating command is unchanged; ``runs.csv`` records the command.
- **Resumable.** ``runs.csv`` in ``--out`` is the ledger: a (case, runner) already in it is not
  run again unless ``--rerun``; every finished run rewrites it, so an interrupted profile keeps
  what it measured. Re-running a subset (``--case p_median --rerun``) replaces those rows only.
- **spopt's ladder.** Per model, spopt's runs go up in size (demand x sites); the first one not
  proven optimal within its budget (time), ended by its memory cap (memory) or failing otherwise
  stops that model's ladder.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: seconds spopt may take per case, end to end (cost matrix, model, CBC)
SPOPT_BUDGET = 600.0
#: the cap on the resident memory of spopt's process tree (GiB); each of its processes also gets
#: an address space of this plus :data:`ADDRESS_SLACK_GIB`, the hard stop between two samples
SPOPT_MEMORY_GIB = 12.0
#: address space a spopt process reserves beyond what it touches (~2 GiB after importing numpy,
#: pandas, pyarrow, PuLP and spopt): what its address-space limit allows beyond the memory cap
ADDRESS_SLACK_GIB = 4.0
#: cap on the resident memory of a suite run's process tree (GiB): a safety net on a shared
#: machine; the suite's own guard (optmodels.resources) refuses what does not fit long before
SUITE_MEMORY_GIB = 20.0
#: resident memory is sampled this often (s)
SAMPLE_SECONDS = 0.25
#: a SIGTERM'd run gets this long to write its incumbent before SIGKILL (s)
GRACE_SECONDS = 60.0

SCALE_COLUMNS = [
    "case", "model", "layout", "demand", "sites", "p", "radius", "seed", "runner",
    "target", "baseline", "met",
    "status", "stop", "verdict", "objective", "bound", "gap",
    "check", "check_objective", "check_diff", "check_definition", "check_note", "n_open",
    "wall", "cpu", "read_wall", "build_wall", "handoff_wall", "solver_wall", "highs_reported",
    "extract_wall", "solve_wall", "highs_runs",
    "peak_rss_mib", "peak_rss_tree_mib", "rss_after_read_mib",
    "rows", "columns", "nonzeros", "integers",
    "time_limit", "mip_rel_gap", "budget", "memory_cap_gib",
    "load_1m", "load_5m", "load_15m", "exit", "note",
    "instance", "generate_command", "generate_wall",
    "machine", "python", "highs_version", "pyomo_version", "spopt_version", "pulp_version",
    "commit", "timestamp",
]


# --------------------------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A target of issue 23: proven optimal (HiGHS's gap) or a gap at most ``gap``, within
    ``seconds`` of wall time and ``gib`` of peak resident memory (``None``: not part of it)."""

    text: str
    seconds: float | None = None
    gib: float | None = None
    gap: float | None = None  # None: proven optimal

    def met(self, row: dict[str, Any]) -> str:
        """``yes`` / ``no (<what missed>)`` for a suite row; ``-`` when the run has no result."""
        if row.get("objective") is None:
            return "no (no solution)"
        missed = []
        gap = _num(row.get("gap"))
        if self.gap is None:
            if row.get("status") != "optimal":
                missed.append("not proven")
        elif not (gap is not None and gap <= self.gap):
            missed.append("gap")
        wall, rss = _num(row.get("wall")), _num(row.get("peak_rss_mib"))
        if self.seconds is not None and not (wall is not None and wall <= self.seconds):
            missed.append("time")
        if self.gib is not None and not (rss is not None and rss <= self.gib * 1024):
            missed.append("memory")
        return "yes" if not missed else f"no ({', '.join(missed)})"


@dataclass(frozen=True)
class ScaleCase:
    """One instance of the profile: what ``optmodels generate siting`` makes and how it is solved.

    ``p`` / ``radius`` ``None``: the generator's defaults (city: existing + sites // 10, 5 km;
    province: existing + sites // 20, 5 km). ``time_limit``: the suite's (HiGHS, whole
    strategy). ``spopt``: whether spopt's ladder includes the case.
    """

    model: str
    layout: str
    demand: int
    sites: int
    seed: int = 1
    p: int | None = None
    radius: float | None = None
    time_limit: float | None = 600.0
    mip_rel_gap: float | None = None
    target: Target | None = None
    baseline: str = ""
    spopt: bool = True

    @property
    def name(self) -> str:
        return f"scale-{self.model}-{self.layout}-{self.demand}x{self.sites}"

    @property
    def cells(self) -> int:
        return self.demand * self.sites

    @property
    def file_model(self) -> str:
        """The model the instance file is generated for. LSCP-B solves the LSCP's file with
        ``--model lscp_b``, which drops ``p`` (as ``optmodels solve FILE --model lscp_b`` does): its
        stage 1 then finds the fewest sites covering everyone, as spopt's LSCP-B does. The
        generator's own ``lscp_b`` file carries the province's ``p`` (existing + sites // 20),
        fewer sites than covering the countryside takes, so that model is infeasible."""
        return "lscp" if self.model == "lscp_b" else self.model

    def file_name(self) -> str:
        extra = (f"-p{self.p}" if self.p is not None else "") + (f"-r{self.radius:g}" if self.radius is not None else "")
        ext = ".yaml" if self.layout == "province" else ".json"  # province: Parquet tables beside it
        return f"{self.file_model}-{self.layout}-{self.demand}x{self.sites}-s{self.seed}{extra}{ext}"

    def generate_args(self) -> list[str]:
        """``optmodels generate siting`` arguments, without ``-o``."""
        args = ["generate", "siting", "--layout", self.layout, "--demand", str(self.demand), "--sites",
                str(self.sites), "--seed", str(self.seed), "--model", self.file_model]
        if self.p is not None:
            args += ["--p", str(self.p)]
        if self.radius is not None:
            args += ["--radius", f"{self.radius:g}"]
        return args


COVERAGE_TARGET = Target("proven optimal in <= 10 min, <= 8 GiB", seconds=600, gib=8)

CITY_BASELINES = {
    ("mclp", 10_000, 1_000): "issue 23 before: optimal, 9 s, 2.1 GB",
    ("mclp", 50_000, 2_000): "issue 23 before: killed by the OS after 68 s at 24 GB",
    ("p_median", 10_000, 1_000): "issue 23 before: optimal, 41 s, 2.5 GB",
    ("p_median", 20_000, 2_000): "issue 23 before: time limit 300 s, gap 43 %, 8.7 GB",
    ("p_center", 5_000, 500): "issue 23 before: optimal, 120 s (HiGHS 116 s)",
}


def _scale_cases() -> list[ScaleCase]:
    out: list[ScaleCase] = []
    # LSCP, MCLP, backup coverage: the province ladder at 5,000 sites up to the million-point target
    for model in ("mclp", "lscp", "lscp_b"):
        if model == "mclp":  # the city baselines (they grow sites with points)
            out += [ScaleCase("mclp", "city", n, m, baseline=CITY_BASELINES[("mclp", n, m)])
                    for n, m in ((10_000, 1_000), (50_000, 2_000))]
        for n in (10_000, 50_000, 100_000, 200_000, 500_000, 1_000_000):
            out.append(ScaleCase(model, "province", n, 5_000,
                                 target=COVERAGE_TARGET if n == 1_000_000 else None))
    # p-median: the city ladder to the 20,000 x 2,000 (p = 400), the province to 100,000 x 5,000
    for n, m in ((2_000, 200), (5_000, 500), (10_000, 1_000), (20_000, 2_000)):
        target = None
        limit = 600.0
        if (n, m) == (20_000, 2_000):
            target = Target("proven, gap <= 0.01 %, <= 5 min, <= 4 GiB", seconds=300, gib=4, gap=1e-4)
            limit = 300.0
        out.append(ScaleCase("p_median", "city", n, m, time_limit=limit, mip_rel_gap=1e-4, target=target,
                             baseline=CITY_BASELINES.get(("p_median", n, m), "")))
    for n in (20_000, 50_000, 100_000):
        target = None
        limit = 600.0
        if n == 100_000:
            # gap <= 1 % within 10 minutes, wall clock of the whole run: the limit leaves the read
            # and the evaluation of the plan 30 s of it
            target = Target("gap <= 1 % in <= 10 min, <= 8 GiB (proven: stretch)", seconds=600, gib=8, gap=0.01)
            limit = 570.0
        out.append(ScaleCase("p_median", "province", n, 5_000, time_limit=limit, mip_rel_gap=1e-4, target=target))
    # p-center: the city baseline, then the province to 100,000 x 2,000
    for n, m in ((2_000, 200), (5_000, 500)):
        out.append(ScaleCase("p_center", "city", n, m, baseline=CITY_BASELINES.get(("p_center", n, m), "")))
    for n in (10_000, 50_000, 100_000):
        out.append(ScaleCase("p_center", "province", n, 2_000,
                             target=Target("proven in <= 10 min", seconds=600) if n == 100_000 else None))
    return out


SCALE_CASES: tuple[ScaleCase, ...] = tuple(_scale_cases())


def select(names: list[str] | None = None, cases: Iterable[ScaleCase] | None = None) -> list[ScaleCase]:
    """The scale cases whose name contains one of ``names`` (all when none), in registry order."""
    cases = SCALE_CASES if cases is None else cases
    return [c for c in cases if not names or any(n in c.name for n in names)]


def default_cache() -> Path:
    """Where instance files are generated: ``$OPTMODELS_BENCH_CACHE``, else the user's cache."""
    env = os.environ.get("OPTMODELS_BENCH_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "optmodels" / "bench-scale"


# --------------------------------------------------------------------------------------------
# instances
# --------------------------------------------------------------------------------------------


def generate_command(case: ScaleCase, path: Path) -> str:
    """The command that writes ``path``, as a person types it."""
    return " ".join(["optmodels", *case.generate_args(), "-o", str(path)])


def ensure_instance(case: ScaleCase, cache: Path) -> tuple[Path, float | None]:
    """The case's instance file in ``cache`` -- generated now (returns its wall time) or reused
    when the sidecar ``.gen.json`` shows the same command wrote it (returns the recorded time)."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / case.file_name()
    sidecar = path.with_name(path.name + ".gen.json")
    command = generate_command(case, path)
    if path.exists() and sidecar.exists():
        with contextlib.suppress(ValueError, OSError):  # an unreadable sidecar: generate again
            meta = json.loads(sidecar.read_text())
            if meta.get("command") == command:
                return path, meta.get("wall")
    sidecar.unlink(missing_ok=True)  # written again only once the file is whole
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "optmodels", *case.generate_args(), "-o", str(path)],
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"{command} failed (exit {done.returncode}): {done.stderr.strip()[-500:]}")
    sidecar.write_text(json.dumps({"command": command, "wall": wall}))
    return path, wall


# --------------------------------------------------------------------------------------------
# one run in its own process
# --------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What the parent saw of a child process."""

    wall: float
    cpu: float
    peak_rss_mib: float
    peak_rss_tree_mib: float
    exit: int | None
    killed: str | None = None  # "time" / "memory" when the parent ended it
    load: tuple[float, float, float] = (math.nan, math.nan, math.nan)


def _rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                out += [int(c) for c in fh.read().split()]
    except (OSError, ValueError):
        pass
    return out


def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and its descendants now (0 where /proc does not tell)."""
    total, stack, seen = 0, [pid], set()
    while stack:
        p = stack.pop()
        if p in seen:
            continue
        seen.add(p)
        total += _rss_bytes(p)
        stack += _children(p)
    return total


#: The launcher between the profile and a run (``python -I -S -c LAUNCHER report cap cmd...``).
#: Linux starts a process's ``ru_maxrss`` at the high-water mark of the memory it was forked from
#: (``exec`` records the old address space's peak), so a run forked straight from the profile --
#: which holds a million-point table for the checks -- would report at least the profile's own
#: peak. The launcher is a bare interpreter (~10 MB): it forks the run, sets its address-space
#: limit, waits for it and writes its ``wait4`` usage; it ignores SIGTERM so a run stopped by the
#: hard timeout can still write its incumbent while the launcher waits.
LAUNCHER = """
import json, os, resource, signal, sys
report, cap, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
pid = os.fork()
if pid == 0:
    try:
        if cap > 0:
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        os.execvp(cmd[0], cmd)
    finally:
        os._exit(127)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
_, status, ru = os.wait4(pid, 0)
with open(report + ".tmp", "w") as fh:
    json.dump({"maxrss_kib": ru.ru_maxrss, "cpu": ru.ru_utime + ru.ru_stime}, fh)
os.replace(report + ".tmp", report)
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""


def run_child(cmd: list[str], *, hard_timeout: float | None, memory_gib: float | None,
              address_space_gib: float | None = None, log: Path | None = None,
              env: dict[str, str] | None = None) -> Outcome:
    """Run ``cmd`` through :data:`LAUNCHER` in a new session and wait for it, sampling the
    resident memory of its process tree (the launcher's ~10 MB left out).

    ``address_space_gib``: ``RLIMIT_AS`` of the run (inherited by what it starts).
    ``memory_gib``: the tree is killed when its sampled resident memory passes this.
    ``hard_timeout``: SIGTERM to the tree after that many seconds, SIGKILL after a grace.
    A run killed with its launcher has no ``ru_maxrss`` (``nan``); its sampled peak remains.
    """
    import tempfile

    load = os.getloadavg()
    cap = 0 if address_space_gib is None else int(address_space_gib * 2**30)
    out = open(log, "w") if log is not None else subprocess.DEVNULL  # closed in the finally below
    with tempfile.TemporaryDirectory(prefix="optmodels-scale-") as tmp:
        report = Path(tmp) / "rusage.json"
        try:
            t0 = time.perf_counter()
            proc = subprocess.Popen([sys.executable, "-I", "-S", "-c", LAUNCHER, str(report), str(cap), *cmd],
                                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                    env={**os.environ, **(env or {})})
            peak, killed, term_at = 0, None, None
            while True:
                pid, status, _ = os.wait4(proc.pid, os.WNOHANG)
                if pid == proc.pid:
                    break
                now = tree_rss(proc.pid) - _rss_bytes(proc.pid)
                peak = max(peak, now)
                elapsed = time.perf_counter() - t0
                if killed is None and memory_gib is not None and now > memory_gib * 2**30:
                    killed = "memory"
                    _signal_group(proc.pid, signal.SIGKILL)
                elif killed is None and hard_timeout is not None and elapsed > hard_timeout:
                    killed, term_at = "time", elapsed
                    _signal_group(proc.pid, signal.SIGTERM)
                elif term_at is not None and elapsed > term_at + GRACE_SECONDS:
                    _signal_group(proc.pid, signal.SIGKILL)
                    term_at = math.inf
                time.sleep(SAMPLE_SECONDS)
            wall = time.perf_counter() - t0
            proc.returncode = os.waitstatus_to_exitcode(status)
            _signal_group(proc.pid, signal.SIGKILL)  # anything the run left behind in its session
        finally:
            if log is not None:
                out.close()
        usage = {}
        with contextlib.suppress(OSError, ValueError):
            usage = json.loads(report.read_text())
    return Outcome(wall=wall, cpu=usage.get("cpu", math.nan), peak_rss_mib=usage.get("maxrss_kib", math.nan) / 1024.0,
                   peak_rss_tree_mib=peak / 2**20, exit=proc.returncode, killed=killed, load=load)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


# --------------------------------------------------------------------------------------------
# the profile
# --------------------------------------------------------------------------------------------


@dataclass
class Settings:
    """How the profile runs (the command line's flags)."""

    out: Path
    cache: Path
    peers: tuple[str, ...] = ("spopt",)
    suite: bool = True  # False: spopt's runs only (its ladder reads the suite's rows, if any)
    rerun: bool = False
    time_limit: float | None = None  # overrides every case's suite time limit
    spopt_budget: float = SPOPT_BUDGET
    spopt_memory_gib: float = SPOPT_MEMORY_GIB
    suite_memory_gib: float | None = SUITE_MEMORY_GIB
    command: str = "python -m benchmarks --profile scale"
    progress: Callable[[str], None] = field(default=lambda text: print(text, file=sys.stderr, flush=True))


def _num(v: Any) -> float | None:
    if v is None or v == "":
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _environment() -> dict[str, str]:
    import platform
    from importlib import metadata

    from benchmarks.runner import environment

    env = environment()
    for dist, key in (("spopt", "spopt_version"), ("PuLP", "pulp_version")):
        try:
            env[key] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            env[key] = ""
    env["python"] = platform.python_version()
    try:
        repo = Path(__file__).resolve().parents[1]
        head = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=False, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=False, timeout=10).stdout.strip()
        env["commit"] = head + ("+dirty" if head and dirty else "")
    except (OSError, subprocess.SubprocessError):
        env["commit"] = ""
    return env


def _case_fields(case: ScaleCase, runner: str) -> dict[str, Any]:
    return {
        "case": case.name, "model": case.model, "layout": case.layout, "demand": case.demand,
        "sites": case.sites, "p": case.p, "radius": case.radius, "seed": case.seed, "runner": runner,
        "target": case.target.text if case.target and runner == "suite" else "",
        "baseline": case.baseline if runner == "suite" else "",
    }


def run_case(case: ScaleCase, runner: str, settings: Settings, env: dict[str, str]) -> dict[str, Any]:
    """One (case, runner) in its own process, checked; the row of ``runs.csv``."""
    row: dict[str, Any] = dict.fromkeys(SCALE_COLUMNS)
    row.update(_case_fields(case, runner), **env, timestamp=time.strftime("%Y-%m-%dT%H:%M:%S"))
    time_limit = settings.time_limit if settings.time_limit is not None else case.time_limit
    try:
        path, gen_wall = ensure_instance(case, settings.cache)
    except RuntimeError as exc:
        row.update(status="generate_error", note=str(exc), load_1m=os.getloadavg()[0])
        return row
    row.update(instance=path.name, generate_command=generate_command(case, path), generate_wall=gen_wall)
    work = settings.cache / "runs"
    work.mkdir(exist_ok=True)
    result = work / f"{case.name}.{runner}.json"
    result.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "benchmarks.scale_child", "suite" if runner == "suite" else "spopt",
           "--instance", str(path), "--model", case.model, "--result", str(result)]
    if runner == "suite":
        if time_limit is not None:
            cmd += ["--time-limit", repr(time_limit)]
        if case.mip_rel_gap is not None:
            cmd += ["--mip-rel-gap", repr(case.mip_rel_gap)]
        row.update(time_limit=time_limit, mip_rel_gap=case.mip_rel_gap, memory_cap_gib=settings.suite_memory_gib)
        # the strategy's own limit, plus reading, building and evaluating: a run this late is stuck
        hard = None if time_limit is None else 2 * time_limit + 300
        outcome = run_child(cmd, hard_timeout=hard, memory_gib=settings.suite_memory_gib,
                            log=work / f"{case.name}.{runner}.log", env={"OPTMODELS_STAGES": "1"})
    else:
        cmd += ["--budget", repr(settings.spopt_budget)]
        row.update(budget=settings.spopt_budget, memory_cap_gib=settings.spopt_memory_gib)
        outcome = run_child(cmd, hard_timeout=settings.spopt_budget + GRACE_SECONDS,
                            memory_gib=settings.spopt_memory_gib,
                            address_space_gib=settings.spopt_memory_gib + ADDRESS_SLACK_GIB,
                            log=work / f"{case.name}.{runner}.log")
    rec: dict[str, Any] = {}
    if result.exists():
        rec = json.loads(result.read_text())
    _fill(row, rec, outcome, work / f"{case.name}.{runner}.log")
    if rec.get("open_sites") is not None:
        _check(row, rec, path, case.model)
    if runner == "suite" and case.target is not None:
        row["met"] = case.target.met(row)
    # the plan stays in the cache (a million-point case's list is not for the repository)
    plan = rec.get("open_sites")
    if plan is not None:
        (work / f"{case.name}.{runner}.plan.json").write_text(json.dumps(plan))
    return row


def _fill(row: dict[str, Any], rec: dict[str, Any], outcome: Outcome, log: Path) -> None:
    keys = ("status", "stop", "verdict", "objective", "bound", "gap", "read_wall", "build_wall", "handoff_wall",
            "solver_wall", "highs_reported", "extract_wall", "solve_wall", "highs_runs", "rss_after_read_mib",
            "rows", "columns", "note")
    row.update({k: rec.get(k) for k in keys if k in rec})
    row.update(rec.get("last_model") or {})
    row.update(wall=outcome.wall, cpu=outcome.cpu, peak_rss_mib=outcome.peak_rss_mib,
               peak_rss_tree_mib=outcome.peak_rss_tree_mib, exit=outcome.exit,
               load_1m=outcome.load[0], load_5m=outcome.load[1], load_15m=outcome.load[2])
    if outcome.killed is not None:
        what = {"time": "hard timeout", "memory": f"tree RSS over the {row['memory_cap_gib']} GiB cap"}[outcome.killed]
        row["note"] = f"killed by the benchmark: {what}" + (f"; {row['note']}" if row.get("note") else "")
        if not rec:
            row["status"] = f"killed_{outcome.killed}"
        row["stop"] = outcome.killed
    elif not rec:  # the child died without a record: say how, from its exit and its log's tail
        tail = log.read_text(errors="replace")[-1500:] if log.exists() else ""
        memory = any(s in tail for s in ("MemoryError", "bad_alloc", "Cannot allocate memory", "std::bad_alloc"))
        row["status"] = "memory" if memory else "crashed"
        row["stop"] = "memory" if memory else "error"
        row["note"] = f"exit {outcome.exit} without a record" + (f": {tail.strip().splitlines()[-1]}" if tail.strip() else "")
    if row["runner"] != "suite" and row.get("stop") is None and row.get("status") != "optimal":
        row["stop"] = "error"


def _check(row: dict[str, Any], rec: dict[str, Any], path: Path, model: str) -> None:
    from benchmarks import scale_check

    tables = _tables(path)
    definition = scale_check.DEFINITIONS[row["runner"]][model]
    try:
        check = scale_check.recompute(tables, rec["open_sites"], definition, model=model, p=rec.get("p_used"))
    except ValueError as exc:
        row.update(check="FAIL", check_note=str(exc))
        return
    verdict, diff = check.verdict(_num(row.get("objective")))
    note = list(check.violations) + list(check.remarks)
    if check.borderline:
        note.append(f"{check.borderline} point-site distance(s) within {scale_check.PAD:g} of the radius")
    row.update(check=verdict, check_objective=check.objective, check_diff=diff, check_definition=definition,
               check_note="; ".join(note), n_open=check.n_open)


_TABLES: dict[Path, Any] = {}


def _tables(path: Path):
    """The instance's tables, read once per file (the suite's and spopt's runs share them)."""
    from benchmarks.scale_check import read_tables

    if path not in _TABLES:
        _TABLES.clear()  # one instance at a time: a million points is not kept beside the next
        _TABLES[path] = read_tables(path)
    return _TABLES[path]


# --------------------------------------------------------------------------------------------
# the ledger: runs.csv
# --------------------------------------------------------------------------------------------


def read_runs(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with open(path, newline="") as fh:
        return [dict(r) for r in csv.DictReader(fh)]


def write_runs(path: Path, rows: list[dict[str, Any]]) -> None:
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=SCALE_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in SCALE_COLUMNS})
    tmp.replace(path)


def _upsert(rows: list[dict[str, Any]], row: dict[str, Any]) -> None:
    for i, r in enumerate(rows):
        if r["case"] == row["case"] and r["runner"] == row["runner"]:
            rows[i] = row
            return
    rows.append(row)


def _order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Registry order, suite before spopt; rows of cases no longer registered last."""
    rank = {c.name: i for i, c in enumerate(SCALE_CASES)}
    return sorted(rows, key=lambda r: (rank.get(r["case"], len(rank)), r["case"], r["runner"] != "suite"))


def spopt_stop(model: str, case: ScaleCase, rows: list[dict[str, Any]],
               cases: Iterable[ScaleCase]) -> str | None:
    """Why spopt's ladder for ``model`` does not reach ``case``: the smallest smaller case whose
    spopt run did not finish, or ``None``."""
    by_name = {c.name: c for c in cases}
    stopped = []
    for r in rows:
        c = by_name.get(r["case"])
        if (r["runner"] == "spopt+cbc" and c is not None and c.model == model and c.cells < case.cells
                and r.get("status") not in ("optimal", "skipped")):
            stopped.append((c.cells, c.name, r.get("stop") or r.get("status")))
    if not stopped:
        return None
    _, name, why = min(stopped)
    return f"spopt stopped at {name} ({why})"


def spopt_missing() -> str | None:
    """Why spopt + CBC cannot run here, or ``None``: the peer is an optional extra, so a profile
    without it records a skipped row saying what to install rather than a crashed run."""
    import importlib.util

    absent = [name for name in ("spopt", "pulp") if importlib.util.find_spec(name) is None]
    if absent:
        return f"{' and '.join(absent)} not installed (pip install \"optmodels[bench]\")"
    return None


def run_profile(cases: list[ScaleCase], settings: Settings, *, ran: list[str] | None = None) -> list[dict[str, Any]]:
    """Run ``cases`` (suite, then spopt's ladder) into ``settings.out``; returns every row of
    ``runs.csv`` (earlier rows of other cases included). ``ran`` collects ``case runner`` of each
    run made."""
    settings.out.mkdir(parents=True, exist_ok=True)
    runs_csv = settings.out / "runs.csv"
    rows = read_runs(runs_csv)
    done = {(r["case"], r["runner"]) for r in rows if r.get("status") != "skipped"}
    env = _environment()
    # the ladder reads earlier rows too: every case they may name (registered, or given here)
    known = list({c.name: c for c in (*SCALE_CASES, *cases)}.values())
    models = {m: i for i, m in enumerate(dict.fromkeys(c.model for c in known))}
    # each model's cases smallest first: spopt's ladder must meet a size before any larger one
    for case in sorted(cases, key=lambda c: (models[c.model], c.cells, c.demand)):
        runners = (["suite"] if settings.suite else []) + (["spopt+cbc"] if "spopt" in settings.peers and case.spopt else [])
        for runner in runners:
            if (case.name, runner) in done and not settings.rerun:
                continue
            if runner == "spopt+cbc":
                missing = spopt_missing()
                why = missing or spopt_stop(case.model, case, rows, known)
                if why is not None:
                    row = dict.fromkeys(SCALE_COLUMNS)
                    row.update(_case_fields(case, runner), status="skipped", stop="missing" if missing else "ladder",
                               note=why, timestamp=time.strftime("%Y-%m-%dT%H:%M:%S"))
                    _upsert(rows, row)
                    write_runs(runs_csv, _order(rows))
                    continue
            settings.progress(f"scale: {case.name} {runner} (load {os.getloadavg()[0]:.1f}) ...")
            row = run_case(case, runner, settings, env)
            if ran is not None:
                ran.append(f"{case.name} {runner}")
            settings.progress(f"scale: {case.name} {runner}: {row.get('status')} in {_num(row.get('wall')) or 0:.1f} s, "
                              f"peak {(_num(row.get('peak_rss_mib')) or 0) / 1024:.2f} GiB, check {row.get('check')}")
            _upsert(rows, row)
            write_runs(runs_csv, _order(rows))
    return read_runs(runs_csv)


def main(args, command: str = "python -m benchmarks --profile scale") -> int:
    """``python -m benchmarks --profile scale``: run, then write runs.json, summary.md, figures."""
    from benchmarks import scale_report
    from optmodels.errors import UsageError
    from optmodels.io import check_output_dir

    cases = select(args.case)
    if args.list:
        width = max((len(c.name) for c in cases), default=0)
        for c in cases:
            limit = args.time_limit if args.time_limit is not None else c.time_limit
            print(f"{c.name:{width}s} {c.model:9s} {c.layout:9s} time_limit={limit:g}"
                  + (f"  target: {c.target.text}" if c.target else ""))
        return 0
    if args.repeat != 1 or args.workers != 1 or args.scheduler:
        print("error: --profile scale runs one case at a time, once (each in its own process, for its "
              "peak memory): drop --repeat, --workers and --scheduler", file=sys.stderr)
        return 2
    out = Path(args.out)
    try:
        check_output_dir(out)
        check_output_dir(Path(args.cache))
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    peers = tuple(p for p in args.peers.split(",") if p and p != "none")
    unknown = [p for p in peers if p != "spopt"]
    if unknown:
        print(f"error: --peers: the scale profile's peer is spopt (or none), found {', '.join(unknown)}", file=sys.stderr)
        return 2
    settings = Settings(out=out, cache=Path(args.cache), peers=peers, rerun=args.rerun, time_limit=args.time_limit,
                        spopt_budget=args.spopt_budget, spopt_memory_gib=args.spopt_memory,
                        suite_memory_gib=args.suite_memory, command=command)
    started, ran = time.time(), []
    try:
        run_profile(cases, settings, ran=ran)
    finally:  # an interrupted profile still leaves its tables and figures
        if ran:
            scale_report.record_command(out, command, ran, started)
        rows = read_runs(out / "runs.csv")
        scale_report.write(rows, out, settings, plots=not args.no_plots)
    failed = [r["case"] + " " + r["runner"] for r in rows if r.get("check") == "FAIL"]
    if failed:
        print(f"error: {len(failed)} run(s) whose objective the independent check does not reproduce: "
              f"{', '.join(failed)}", file=sys.stderr)
        return 1
    return 0
