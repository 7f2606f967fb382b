"""Running a sweep: scenarios solved in chunks, one row per scenario, resumable by hash.

Storage (``OUT/``), chosen so that a SIGKILL at any instant loses at most the scenarios being
solved at that instant and never leaves a half-written row:

``rows/<hash>.json``
    one file per finished scenario, written by the process that solved it (temporary file, then
    ``os.replace``: a row exists whole or not at all). This is the record a rerun resumes from:
    a scenario whose hash has a row is skipped.
``sweep.csv`` and ``sweep.parquet``
    the tidy table of the sweep's scenarios in scenario order, rewritten from ``rows/`` (again
    through a temporary file and ``os.replace``) every couple of seconds while the sweep runs and
    once at the end. Rewriting rather than appending keeps one header with the union of the
    columns (an invalid scenario has no metrics; a later one adds them) and makes a torn append
    impossible; at sweep sizes (thousands of rows) a rewrite costs milliseconds.
``sweep.json``
    what was swept (file, base hash, paths, values, mode, objective, options), for plots and
    for the record.

The scenario hash covers the family, the base file's content (and of the tables it references),
the changes, the objective, the solve options (not ``tee``) and the family's solve choices: a
rerun with anything different solves again, a rerun of the same command solves only what is
missing.

Work is cut into chunks of neighbouring scenarios. A chunk runs in one process with one warm
solver session (:attr:`optmodels.contract.Family.warm`) so that consecutive scenarios that differ
only in bounds, right-hand sides or objective coefficients re-use the live HiGHS model, and
stretches of scenarios along a monotone parameter are bracketed: settled from their ends and by
bisection, the scenarios between two equal answers inferred without a solve
(:mod:`optmodels.sweep.bracket`; the row's ``source`` says ``solved``, ``neighbour`` or
``inferred``). Chunks go
through :func:`solvers.executor.run_tasks` -- in this process, on a local process pool or on a
Dask cluster, the same path as ``optmodels pareto``. With ``--scheduler``, workers write their
rows into ``OUT`` when they share its filesystem; either way the rows they return are written
by this process as well, so nothing is lost on a cluster without a shared disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optmodels.errors import OptmodelsError, UsageError
from optmodels.io import atomic_write
from optmodels.sweep.spec import Scenario, Vary, apply_changes, check_paths, scenarios

#: statuses that carry a solution; every other status counts as failed in the progress bar
SOLVED = ("optimal", "feasible")
#: the status of a scenario whose solve raised: not an outcome of the scenario but a failure of
#: the run, so the command exits 70 and a rerun solves it again
ERROR = "error"
#: scenarios a sweep runs unless asked for more (``--max-scenarios`` / ``max_scenarios=``)
MAX_SCENARIOS = 10_000
#: the lock a running sweep holds in its folder (``fcntl.flock``: released by the kernel when
#: the process ends, however it ends, so it is never stale)
LOCK = ".sweep.lock"


# --------------------------------------------------------------------------------------------
# The sweep as data (pickled to workers)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    family: str
    doc: dict[str, Any]
    file: str | None  # the base file (relative table paths resolve beside it)
    base_hash: str
    objective: str | None
    options: Any  # SolveOptions
    choices: dict[str, Any] = field(default_factory=dict)
    warm: bool = True
    out: str | None = None
    run_id: str = ""

    @property
    def base_dir(self) -> Path | None:
        return None if self.file is None else Path(self.file).parent


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def base_hash(doc: Mapping[str, Any], file: str | Path | None) -> str:
    """sha256 of the base file's bytes and of every table file it references (else of the doc)."""
    h = hashlib.sha256()
    if file is None:
        h.update(_canonical(doc).encode())
        return h.hexdigest()
    h.update(Path(file).read_bytes())
    for ref in sorted(_table_refs(doc)):
        path = Path(file).parent / ref
        if path.is_file():
            h.update(ref.encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def _table_refs(value: Any) -> set[str]:
    from optmodels.sweep.spec import _is_table_ref

    if _is_table_ref(value):
        rest = {k: v for k, v in value.items() if k != "table"} if isinstance(value, Mapping) else {}
        return {value["table"] if isinstance(value, Mapping) else value} | _table_refs(rest)
    if isinstance(value, Mapping):
        return set().union(*(_table_refs(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_table_refs(v) for v in value)) if value else set()
    return set()


def scenario_hash(plan: Plan, scenario: Scenario) -> str:
    options = {k: v for k, v in plan.options.to_dict().items() if k != "tee"}
    payload = {
        "family": plan.family,
        "base": plan.base_hash,
        "changes": sorted([list(c) for c in scenario.changes], key=_canonical),
        "objective": plan.objective,
        "options": options,
        "choices": plan.choices,
    }
    return hashlib.sha256(_canonical(payload).encode()).hexdigest()[:20]


# --------------------------------------------------------------------------------------------
# One scenario -> one row
# --------------------------------------------------------------------------------------------


def flatten(metrics: Mapping[str, Any], prefix: str = "metric.") -> dict[str, Any]:
    """Nested metrics as flat columns ``metric.a.b``; lists become JSON text (a cell is scalar)."""
    out: dict[str, Any] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, name + "."))
        elif isinstance(value, (list, tuple)):
            out[name] = json.dumps(_plain(list(value)))
        else:
            out[name] = _plain(value)
    return out


def _plain(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "value") and isinstance(value.value, str):  # enums
        return value.value
    return value


def _timings(result: Any) -> dict[str, Any]:
    t = result.timings
    return {
        "time_build": t.build,
        "time_handoff": t.handoff,
        "time_solve": t.solve,
        "time_extract": t.extract,
    }


def solve_scenario(fam: Any, plan: Plan, scenario: Scenario, key: str, session: Any = None) -> dict[str, Any]:
    """Apply the changes, validate again, solve; every outcome is a row (never raises on data)."""
    prepared = prepare(fam, plan, scenario, key)
    if prepared.row is not None:
        return prepared.row
    return solve_prepared(fam, plan, prepared, session)[0]


@dataclass
class Prepared:
    """A scenario validated: its ``instance``, or the finished ``row`` saying why it has none
    (``invalid``), with the clocks its row's times count from."""

    key: str
    scenario: Scenario
    instance: Any
    row: dict[str, Any] | None
    t_valid: float
    cpu_valid: float


def prepare(fam: Any, plan: Plan, scenario: Scenario, key: str) -> Prepared:
    """Apply the scenario's changes to the base document and validate the result."""
    t0, cpu0 = time.perf_counter(), time.process_time()
    scratch = Path(tempfile.mkdtemp(prefix=f"sweep-{key}-"))  # changed tables, if any
    try:
        doc = apply_changes(plan.doc, scenario.changes, base=plan.base_dir, scratch=scratch)
        instance = fam.from_document(doc, plan.file)
    except (OptmodelsError, ValueError) as exc:
        row = _finish(_row_start(scenario), plan, key, t0, cpu0, status="invalid", message=str(exc))
        return Prepared(key, scenario, None, row, row["time_validate"], row["cpu_total"])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return Prepared(key, scenario, instance, None, time.perf_counter() - t0, time.process_time() - cpu0)


def _row_start(scenario: Scenario) -> dict[str, Any]:
    row: dict[str, Any] = {"scenario": scenario.index, "parameter": scenario.parameter}
    row.update({k: _plain(v) for k, v in scenario.labels.items()})
    return row


def solve_prepared(fam: Any, plan: Plan, prepared: Prepared, session: Any = None, *, start: Any = None,
                   bound: float | None = None) -> tuple[dict[str, Any], Any]:
    """Solve a validated scenario: ``(row, Solution or None)``. ``start``: a neighbour's plan,
    already carried to this scenario and checked (:meth:`~optmodels.contract.MonotoneSolver.carry`),
    handed to the session as a MIP start; ``bound``: a relaxed neighbour's bound, valid here. The
    row's ``source`` says ``neighbour`` when the family used either."""
    key, instance = prepared.key, prepared.instance
    t0, cpu0 = time.perf_counter() - prepared.t_valid, time.process_time() - prepared.cpu_valid
    row = _row_start(prepared.scenario)
    try:
        options = fam.tuned(instance, plan.options)
        if session is not None and (start is not None or bound is not None):
            solution = session.solve(instance, options, start=start, bound=bound)
        elif session is not None:
            solution = session.solve(instance, options)
        else:
            solution = fam.solve(instance, options, objective=plan.objective, **plan.choices)
        metrics = flatten(solution.metrics) if solution.has_solution else {}
    except OptmodelsError as exc:
        return _finish(row, plan, key, t0, cpu0, status="invalid", message=str(exc), t_valid=prepared.t_valid), None
    except Exception as exc:  # noqa: BLE001 - one scenario's failure is a row; the sweep goes on
        return _finish(row, plan, key, t0, cpu0, status="error", message=f"{type(exc).__name__}: {exc}",
                       t_valid=prepared.t_valid), None
    helped = bool(solution.extra.get("started") or solution.extra.get("bound_cut"))  # the family used them
    row.update(_solution_columns(solution, metrics, "neighbour" if helped else "solved"))
    return _finish(row, plan, key, t0, cpu0, t_valid=prepared.t_valid), solution


def inferred_row(plan: Plan, prepared: Prepared, solution: Any, t_start: float, cpu_start: float) -> dict[str, Any]:
    """The row of a scenario whose answer was inferred by bracketing (``source`` ``inferred``):
    ``solution`` is a neighbour's plan carried to it and checked by the family's evaluator."""
    t0, cpu0 = t_start - prepared.t_valid, cpu_start - prepared.cpu_valid
    row = _row_start(prepared.scenario)
    row.update(_solution_columns(solution, flatten(solution.metrics), "inferred"))
    return _finish(row, plan, prepared.key, t0, cpu0, t_valid=prepared.t_valid)


def _solution_columns(solution: Any, metrics: Mapping[str, Any], source: str) -> dict[str, Any]:
    from optmodels.contract import verdict_code

    result = solution.result
    return {
        "status": verdict_code(solution),
        "message": "" if solution.has_solution else solution.verdict,
        "termination": _plain(result.termination),
        "objective_name": solution.objective_name,
        "objective": _plain(result.objective) if solution.has_solution else None,
        "bound": _plain(result.bound),
        "gap": _plain(result.gap),
        **metrics,
        **_timings(result),
        "warm": bool(solution.extra.get("warm", False)),
        "source": source,
    }


def _finish(row, plan, key, t0, cpu0, *, status=None, message=None, t_valid=None) -> dict[str, Any]:
    if status is not None:
        row.update({"status": status, "message": message, "termination": None, "objective": None,
                    "bound": None, "gap": None})
    row["time_validate"] = t_valid if t_valid is not None else time.perf_counter() - t0
    row["time_total"] = time.perf_counter() - t0
    row["cpu_total"] = time.process_time() - cpu0
    row["hash"] = key
    row["run_id"] = plan.run_id
    row["pid"] = os.getpid()
    return row


def run_chunk(task: tuple[Plan, list[tuple[str, Scenario]]]) -> list[dict[str, Any]]:
    """Worker side: solve a chunk of neighbouring scenarios with one warm session, writing each
    row into ``OUT/rows`` as it finishes (when ``OUT`` is reachable from this process).

    Ctrl-C ends the chunk with ``KeyboardInterrupt``. A Ctrl-C that lands while HiGHS runs is
    answered by the solver (it stops and returns termination ``interrupted``) rather than by
    Python; the family's strategy then falls through its later stages at once
    (:func:`solvers.interruptible`), and the scenario's row is *not* written: a stopped solve is
    no outcome of the scenario, and a rerun must solve it. (Before, that row was written and the
    sweep went on to the next scenario as if nothing had been pressed.)
    """
    from optmodels import registry
    from solvers import interruptible

    with interruptible():
        return _solve_chunk(registry, task)


def _solve_chunk(registry: Any, task: tuple[Plan, list[tuple[str, Scenario]]]) -> list[dict[str, Any]]:
    from optmodels.sweep.bracket import Chunk

    plan, items = task
    fam = registry.family(plan.family)

    def new_session() -> Any:
        if plan.warm and getattr(fam, "warm", None) is not None:
            return fam.warm(objective=plan.objective, **plan.choices)
        return None

    from solvers.interrupt import interruptible

    store = Store(plan.out) if plan.out is not None and Path(plan.out).is_dir() else None
    rows: list[dict[str, Any]] = []
    with interruptible() as scope:  # Ctrl-C or SIGTERM in a solve stops the sweep, not just that solve

        def emit(row: dict[str, Any]) -> None:
            if scope.requested or row.get("termination") == "interrupted":
                raise KeyboardInterrupt  # that scenario was cut short: no row, a rerun solves it
            if store is not None:
                store.write_row(row)
            rows.append(row)

        Chunk(fam, plan, new_session, emit, lambda key: store is not None and store.has(key)).run(items)
    return rows


# --------------------------------------------------------------------------------------------
# Storage
# --------------------------------------------------------------------------------------------


class Store:
    """The sweep's folder: one JSON file per finished row, and the tables rebuilt from them
    (``sweep.parquet`` only when ``parquet``: a Parquet engine could be loaded)."""

    def __init__(self, out: str | Path, *, parquet: bool = True) -> None:
        self.out = Path(out)
        self.rows = self.out / "rows"
        self.parquet = parquet

    def create(self) -> None:
        self.rows.mkdir(parents=True, exist_ok=True)
        for stale in self.rows.glob(".*.tmp"):  # a write a kill interrupted: never a row
            with contextlib.suppress(OSError):
                stale.unlink()

    def has(self, key: str) -> bool:
        return (self.rows / f"{key}.json").is_file()

    def write_row(self, row: Mapping[str, Any]) -> None:
        text = json.dumps(row, default=str, allow_nan=False)
        atomic_write(self.rows / f"{row['hash']}.json", lambda p: p.write_text(text))

    def read(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The rows of ``keys`` that exist; a file that is not a whole row counts as missing
        (:meth:`forget_unusable` names and removes such files before a sweep starts)."""
        found = {}
        for key in keys:
            row = self._load(key)
            if isinstance(row, dict):
                found[key] = row
        return found

    def _load(self, key: str) -> dict[str, Any] | str | None:
        """The row of ``key``; ``None`` if there is none; what is wrong with it, as text, if its
        file is not a whole row (truncated, not JSON, another scenario's)."""
        try:
            text = (self.rows / f"{key}.json").read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            return f"cannot be read ({exc})"
        try:
            row = json.loads(text)
        except ValueError as exc:
            return f"is not whole JSON ({exc})"
        if not isinstance(row, dict) or row.get("hash") != key or "status" not in row:
            return "is not a row of this scenario"
        return row

    def forget_unusable(self, keyed: Sequence[tuple[str, Scenario]]) -> tuple[list[str], int]:
        """Before a (re)run: remove this sweep's row files that cannot be used, so that their
        scenarios are solved again -- a file that is not a whole row (a disk that filled up,
        an editor, a copy cut short: every rerun used to stop on it with a JSONDecodeError
        naming no file), and rows whose solve raised (``error``: a failure of that run, not an
        outcome of the scenario). Returns a warning per unusable file and the count of error
        rows removed."""
        present = self.finished()
        warnings, errors = [], 0
        for key, scenario in keyed:
            if key not in present:
                continue
            row = self._load(key)
            if isinstance(row, str):
                warnings.append(f"{self.rows / (key + '.json')} {row}; scenario {scenario.index} is "
                                "solved again")
            elif isinstance(row, dict) and row.get("status") == ERROR:
                errors += 1
            else:
                continue
            with contextlib.suppress(FileNotFoundError):
                (self.rows / f"{key}.json").unlink()
        return warnings, errors

    def finished(self) -> set[str]:
        """Hashes with a row (one directory scan; temporary files start with a dot)."""
        return {e.name[:-5] for e in os.scandir(self.rows) if e.name.endswith(".json") and not e.name.startswith(".")}

    def write_tables(self, keyed: Sequence[tuple[str, Scenario]], cache: dict[str, dict[str, Any]] | None = None) -> Any:
        """Rewrite ``sweep.csv`` / ``sweep.parquet`` from the rows of this sweep's scenarios, in
        its order; rows already in ``cache`` are not read again. A row found finished may come
        from an earlier, differently shaped sweep into the same folder: its position is this
        sweep's."""
        cache = {} if cache is None else cache
        cache.update(self.read([k for k, _ in keyed if k not in cache]))
        rows = [{**cache[k], "scenario": s.index, "parameter": s.parameter} for k, s in keyed if k in cache]
        frame = table(rows)
        atomic_write(self.out / "sweep.csv", lambda p: frame.to_csv(p, index=False))
        if self.parquet:
            atomic_write(self.out / "sweep.parquet", lambda p: _for_parquet(frame).to_parquet(p, index=False))
        return frame

    def files(self) -> list[str]:
        """The tables this store writes."""
        return ["sweep.csv", "sweep.parquet"] if self.parquet else ["sweep.csv"]


def parquet_problem() -> str | None:
    """Why ``sweep.parquet`` cannot be written here (``None``: it can).

    Asked before any scenario is solved, by writing a one-cell table to memory through the very
    call the sweep uses (pandas picks pyarrow or fastparquet): an engine that is missing or does
    not load (pyarrow 26 refuses numpy 1.x at import) would otherwise surface only when the
    first table is written -- after every scenario was solved -- and end the run with exit 70.
    """
    import io

    import pandas as pd

    try:
        pd.DataFrame({"x": [1]}).to_parquet(io.BytesIO(), index=False)
    except Exception as exc:  # noqa: BLE001 - whatever stops the engine, the answer is: CSV only
        first = (str(exc).strip().splitlines() or [""])[0]
        return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return None


def table(rows: Sequence[Mapping[str, Any]]) -> Any:
    """Rows -> the tidy DataFrame: scenario order, identifying columns first."""
    import pandas as pd

    frame = pd.DataFrame(list(rows))
    if frame.empty:
        return frame
    frame = frame.sort_values("scenario", kind="stable", ignore_index=True)
    first = ["scenario", "parameter"]
    tail = ["time_validate", "time_build", "time_handoff", "time_solve", "time_extract", "time_total",
            "cpu_total", "warm", "source", "hash", "run_id", "pid"]
    middle = [c for c in frame.columns if c not in first and c not in tail]
    if frame["parameter"].isna().all():
        first = ["scenario"]
        frame = frame.drop(columns="parameter")
    return frame[first + middle + [c for c in tail if c in frame.columns]]


def _for_parquet(frame: Any) -> Any:
    """Parquet needs one type per column: a mixed object column (``gini.mode`` values next to
    numbers, say) is written as text."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object:
            kinds = {type(v) for v in out[col] if v is not None and v == v}
            if len(kinds) > 1 or (kinds and not kinds <= {str, bool}):
                out[col] = out[col].map(lambda v: None if v is None or v != v else str(v))
    return out


# --------------------------------------------------------------------------------------------
# Progress: a watcher over rows/ (it sees rows written by any process)
# --------------------------------------------------------------------------------------------


class _Watcher(threading.Thread):
    """Polls ``rows/`` for this sweep's rows: updates the bar (done / failed / remaining) and
    rewrites the tables every ``every`` seconds while the sweep runs."""

    def __init__(self, store: Store, keyed: list[tuple[str, Scenario]], pending: set[str], progress: bool,
                 every: float = 2.0):
        super().__init__(daemon=True)
        self.store, self.keyed, self.pending = store, keyed, set(pending)
        self.every, self.stop_event = every, threading.Event()
        self.cache: dict[str, dict[str, Any]] = {}  # rows read so far, by hash
        self.done = self.failed = 0
        self.bar = None
        if progress and pending:
            # tqdm on a terminal or in a notebook, plain lines in a log, nothing with -q
            from solvers.progress import bar

            self.bar = bar(len(pending), desc="sweep", unit="scenario", leave=True)
            if self.bar is not None:
                self.bar.set_postfix_str(self._postfix())

    def _postfix(self) -> str:
        return f"done {self.done}, failed {self.failed}, remaining {len(self.pending)}"

    def poll(self) -> None:
        finished = self.pending & self.store.finished()
        rows = self.store.read(sorted(finished))
        self.cache.update(rows)
        for key in finished:
            self.pending.discard(key)
            self.done += 1
            self.failed += rows.get(key, {}).get("status") not in SOLVED
        if finished and self.bar is not None:
            self.bar.set_postfix_str(self._postfix(), refresh=False)
            self.bar.update(len(finished))

    def run(self) -> None:
        last = time.monotonic()
        while not self.stop_event.wait(0.25):
            self.poll()
            if time.monotonic() - last >= self.every:
                last = time.monotonic()
                with contextlib.suppress(Exception):  # a table rewrite must never stop the sweep
                    self.store.write_tables(self.keyed, dict(self.cache))

    def close(self) -> None:
        self.stop_event.set()
        self.join(timeout=5)
        self.poll()
        if self.bar is not None:
            self.bar.close()


# --------------------------------------------------------------------------------------------
# The sweep
# --------------------------------------------------------------------------------------------


def _load_base(instance_or_path: Any) -> tuple[Any, dict[str, Any], str | None]:
    from optmodels import registry
    from optmodels.io import document_family, read_document

    if isinstance(instance_or_path, (str, Path)):
        path = Path(instance_or_path)
        fam = registry.family_of(path)
        return fam, read_document(path), str(path.resolve())
    if isinstance(instance_or_path, Mapping):
        doc = dict(instance_or_path)
        return registry.family(document_family(doc)), doc, None
    dump = getattr(instance_or_path, "model_dump", None)
    if dump is None:
        raise UsageError(
            f"sweep: expected an instance file, a document (dict) or a validated instance, "
            f"found {type(instance_or_path).__name__}"
        )
    doc = dump(mode="json", exclude_none=True)
    return registry.family(document_family(doc)), doc, None


def chunks(items: list[Any], workers: int, chunk: int | None) -> list[list[Any]]:
    """Neighbouring scenarios together (warm re-solves happen inside a chunk); about four
    chunks per worker so that a slow chunk does not leave the others idle."""
    if not items:
        return []
    if chunk is None:
        chunk = len(items) if workers <= 1 else max(1, math.ceil(len(items) / (4 * workers)))
    return [items[i : i + chunk] for i in range(0, len(items), chunk)]


def sweep(
    instance_or_path: Any,
    vary: Mapping[str, Any] | Sequence[Vary] | None = None,
    *,
    mode: str = "grid",
    one_at_a_time: float | str | None = None,
    objective: str | None = None,
    options: Any = None,
    choices: Mapping[str, Any] | None = None,
    out: str | Path | None = None,
    workers: int | None = 1,
    scheduler: Any = None,
    chunk: int | None = None,
    warm: bool = True,
    progress: bool = False,
    plots: bool | str = False,
    metric: str | None = None,
    max_scenarios: int = MAX_SCENARIOS,
) -> Any:
    """Solve the base instance under every scenario; one row per scenario (a ``DataFrame``).

    Parameters
    ----------
    instance_or_path
        An instance file, an instance document (dict) or a validated instance (pydantic).
    vary
        ``{path: values}``; values as the CLI's text (``"200:260:20"``, ``"x0.9,1.1"``,
        ``"a,b"``) or a list. See :mod:`optmodels.sweep.spec` for paths and values.
    mode
        ``grid``, ``zip`` or ``oat`` (one at a time).
    one_at_a_time
        A share (``0.1`` or ``"±10%"``): a tornado study, each path at the file's value times
        1 - share and 1 + share (paths given with values use those instead).
    objective, options, choices
        What each scenario's ``Family.solve`` gets (``choices``: the family's solve flags by
        ``dest``); ``options`` a :class:`solvers.SolveOptions`, tuned per scenario by the family.
    out
        A folder for the rows, tables and plots; a rerun into it skips finished scenarios.
        ``None``: a temporary folder, removed afterwards. A folder another running sweep writes
        into is refused (a lock held for the run).
    workers, scheduler, chunk
        Processes of the local pool (1: in this process; ``None``: one per CPU when 8 or more
        scenarios are left, else 1) or a Dask scheduler address / client; ``chunk`` scenarios
        per task (default: all in one with one worker, else ~4 chunks per worker).
    warm
        Re-use live solver models between neighbouring scenarios when the family can.
    plots
        Draw the sweep's plots into ``out`` (``True``) or this folder; ``metric`` adds a metric
        panel (a column name, ``metric.`` optional).
    max_scenarios
        The most scenarios this sweep may have (default :data:`MAX_SCENARIOS`); more is a
        usage error before anything is built, solved or written.

    Returns
    -------
    pandas.DataFrame
        The rows in scenario order; ``attrs`` hold ``solved`` (this run), ``skipped`` (found
        finished), ``errors`` (rows whose solve raised), ``interrupted``, ``files`` (the
        tables written) and ``notes``.

    Everything that can refuse the sweep -- its size, its paths and values, the objective and
    choices, ``out``, the scheduler, another sweep holding ``out`` -- is checked before anything
    is written, so a refused sweep leaves no trace.
    """
    from optmodels.sweep.spec import as_varies, count_scenarios, parse_percent
    from solvers import SolveOptions

    fam, doc, file = _load_base(instance_or_path)
    varies = as_varies(vary)
    share = parse_percent(str(one_at_a_time)) if isinstance(one_at_a_time, str) else one_at_a_time
    if share is not None:
        mode = "oat"
    _check_size(*count_scenarios(varies, mode, oat=share), max_scenarios)
    varies = check_paths(doc, varies, base=None if file is None else Path(file).parent)
    _check_new_fields(fam, doc, file, varies)
    todo_scenarios = scenarios(varies, mode, oat=share)
    if objective is not None:
        fam.objective(objective)  # a UsageError naming the family's objectives
    known = {f.key for f in fam.flags if f.target == "solve"}
    unknown = sorted(set(choices or {}) - known)
    if unknown:
        raise UsageError(f"--choice {unknown[0]}: expected one of {', '.join(sorted(known)) or '(none)'} for "
                         f"{fam.name} (instance fields are swept with --vary PATH=VALUES)")
    plan = Plan(
        family=fam.name, doc=doc, file=file, base_hash=base_hash(doc, file), objective=objective,
        options=options or SolveOptions(), choices=dict(choices or {}), warm=warm,
        run_id=uuid.uuid4().hex[:12],
    )
    keyed = [(scenario_hash(plan, s), s) for s in todo_scenarios]
    keys = [k for k, _ in keyed]
    if len(set(keys)) != len(keys):
        raise UsageError("sweep: two scenarios are the same change (repeated values?)")
    own_tmp = out is None
    if not own_tmp:
        from optmodels.io import check_output_dir

        try:
            check_output_dir(out)
        except UsageError as exc:
            raise UsageError(f"--out: {exc}") from None
    notes: list[str] = []
    problem = parquet_problem()
    if problem is not None and not own_tmp:
        notes.append(f"sweep.parquet is not written: no Parquet engine loads ({problem}); sweep.csv "
                     "holds the same table (pip install pyarrow for Parquet)")
    client, own_client = _connect(scheduler)
    try:
        folder = Path(tempfile.mkdtemp(prefix="optmodels-sweep-")) if own_tmp else Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        try:
            with _locked(folder):
                frame = _run(plan, keyed, varies, mode, share, folder, parquet=problem is None, notes=notes,
                             workers=workers, scheduler=client, chunk=chunk, progress=progress)
                spec = json.loads((folder / "sweep.json").read_text())
                if plots and not frame.attrs["interrupted"] and not frame.empty:
                    from optmodels.sweep.plots import draw

                    target = Path(plots) if isinstance(plots, (str, Path)) and not isinstance(plots, bool) else folder
                    frame.attrs["plots"] = draw(frame, target, spec=spec, metric=metric)
                # what was swept, for SweepResult's plots (the per-scenario list stays in sweep.json:
                # pandas copies attrs with every derived frame)
                frame.attrs["spec"] = {k: v for k, v in spec.items() if k != "scenarios"}
        finally:
            if own_tmp:
                shutil.rmtree(folder, ignore_errors=True)
    finally:
        if own_client:
            client.close()
    frame.attrs["out"] = None if own_tmp else str(folder)
    return frame


def _run(plan: Plan, keyed: list[tuple[str, Scenario]], varies: Sequence[Vary], mode: str, share: float | None,
         folder: Path, *, parquet: bool, notes: list[str], workers: int | None, scheduler: Any,
         chunk: int | None, progress: bool) -> Any:
    """The sweep once it is accepted and ``folder`` is held: rows, solves, tables."""
    from solvers.executor import run_tasks

    for note in notes:
        _say(f"note: {note}")
    plan = _with_out(plan, str(folder.resolve()))
    store = Store(folder, parquet=parquet)
    store.create()
    if not parquet:  # an earlier run's table would no longer match sweep.csv
        with contextlib.suppress(FileNotFoundError):
            (folder / "sweep.parquet").unlink()
    unusable, retried = store.forget_unusable(keyed)
    for text in unusable:
        _say(f"warning: {text}")
    notes += unusable
    if retried:
        notes.append(f"{retried} scenario(s) whose solve raised last time are solved again")
        _say(f"note: {notes[-1]}")
    _write_spec(folder, plan, varies, mode, share, keyed)
    pending = [(k, s) for k, s in keyed if not store.has(k)]
    skipped = len(keyed) - len(pending)
    watcher = _Watcher(store, keyed, {k for k, _ in pending}, progress)
    watcher.start()
    if workers is None:
        workers = default_workers() if len(pending) >= 8 and scheduler is None else 1
    interrupted = False
    try:
        tasks = [(plan, c) for c in chunks(pending, workers if scheduler is None else 4, chunk)]
        if tasks:
            results, interrupted = run_tasks(run_chunk, tasks, workers=workers, scheduler=scheduler)
            for rows in results:  # rows a worker without our filesystem could not write
                for row in rows or ():
                    if not store.has(row["hash"]):
                        store.write_row(row)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        watcher.close()
        frame = store.write_tables(keyed, watcher.cache)
    errors = int((frame["status"] == ERROR).sum()) if not frame.empty else 0
    frame.attrs.update({"solved": watcher.done, "skipped": skipped, "interrupted": interrupted,
                        "errors": errors, "files": store.files(), "notes": list(notes)})
    return frame


def _say(text: str) -> None:
    print(f"optmodels: {text}", file=sys.stderr, flush=True)


def _check_size(count: int, shape: str, cap: int) -> None:
    """Refuse a sweep larger than ``cap`` scenarios before anything is built: a 1000 x 1001 grid
    once spent a minute and 820 MB preparing scenarios nobody meant to solve."""
    if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1:
        raise UsageError(f"--max-scenarios: expected a positive whole number, found {cap!r}")
    if count > cap:
        raise UsageError(
            f"sweep: {count:,} scenarios ({shape}) is more than --max-scenarios {cap:,}; to run "
            f"them all, say so with --max-scenarios {count} (Python: max_scenarios={count})"
        )


def _connect(scheduler: Any) -> tuple[Any, bool]:
    """The Dask client for ``scheduler`` (``(None, False)`` without one), reached before anything
    is written; an address that does not parse or answer is a usage error naming it."""
    if scheduler is None:
        return None, False
    from solvers.executor import SchedulerError, connect

    try:
        return connect(scheduler)
    except SchedulerError as exc:
        raise UsageError(f"--scheduler {exc}") from None


@contextlib.contextmanager
def _locked(folder: Path):
    """Hold ``folder/.sweep.lock`` for the run; a folder another running sweep holds is refused.

    Two sweeps into one folder used to both run and both exit 0, the tables holding whichever
    finished last. ``flock`` is tied to the open file: the kernel drops it when the process
    ends, however it ends (SIGKILL, power loss of the process), so a lock is never stale and no
    pid needs judging. The pid written into the file only names the holder in the message.
    Without ``fcntl`` (Windows) sweeps run unlocked.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX
        yield
        return
    path = folder / LOCK
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            raise UsageError(
                f"--out {folder}: another sweep{f' (pid {holder})' if holder.isdigit() else ''} is "
                "writing into this folder; wait for it to finish or choose another folder"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


def _check_new_fields(fam: Any, doc: Mapping[str, Any], file: str | None, varies: Sequence[Vary]) -> None:
    """A path the file does not have (``yearly_budget`` left out, say) is created by ``set``; a
    misspelt one would only make every row invalid, so ask the family's schema now."""
    from optmodels.sweep.spec import Target

    for v in varies:
        if v.op != "set":
            continue
        try:
            Target(json.loads(json.dumps(doc)), v.path, base=None, create=False)
            continue
        except UsageError:
            pass
        changed = apply_changes(doc, [(v.path, "set", v.values[0])], base=None, scratch=None)
        try:
            fam.from_document(changed, file)
        except (OptmodelsError, ValueError) as exc:
            if "unknown field" in str(exc):
                raise UsageError(f"--vary {v.path}: not a field of {fam.name} instances (the file does not have "
                                 f"it and the schema does not know it; check the spelling)") from None


def default_workers() -> int:
    """One process per CPU this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _with_out(plan: Plan, out: str) -> Plan:
    import dataclasses

    return dataclasses.replace(plan, out=out)


def _write_spec(folder: Path, plan: Plan, varies, mode, share, keyed) -> None:
    from optmodels.io import json_safe

    spec = {
        "family": plan.family,
        "file": None if plan.file is None else os.path.relpath(plan.file),
        "base_hash": plan.base_hash,
        "mode": mode,
        "one_at_a_time": share,
        "vary": [{"path": v.path, "op": v.op, "column": v.column, "values": list(v.values)} for v in varies],
        "objective": plan.objective,
        "options": plan.options.to_dict(),
        "choices": plan.choices,
        "scenarios": [{"index": s.index, "hash": k, "changes": [list(c) for c in s.changes]} for k, s in keyed],
    }
    text = json.dumps(json_safe(spec), indent=1, default=str)
    atomic_write(folder / "sweep.json", lambda p: p.write_text(text + "\n"))
