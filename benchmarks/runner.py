"""Run one case: make the instance, build, hand off, let HiGHS run, extract -- each phase timed.

Phases (wall clock ``time.perf_counter`` and process CPU ``time.process_time``)
-----------------------------------------------------------------------------
generate
    make the instance (generator + validation, or read and validate a file).
build
    the family's Pyomo ``build()``.
handoff
    Pyomo's standard-form compiler -> numpy arrays -> ``Highs.passModel``
    (:class:`solvers.StandardFormModel`), the suite's default LP/MILP path.
highs
    ``Highs.run()`` measured around the call (``highs_wall``) and as HiGHS reports it
    (``highs_reported``, ``Highs.getRunTime()``).
extract
    status, objective, bound, tidy DataFrames, values loaded back into Pyomo.
end_to_end
    one clock from the start of build to the result in hand (generate excluded: it is the
    benchmark's instance maker, not the path an analyst's model goes through). For a case
    with ``strategy`` it is the family's whole ``solve`` (e.g. equipment's lazy Gini band:
    possibly several solves, plus the numpy evaluator's re-check), so ``other_wall`` =
    end_to_end - (build + handoff + highs + extract) shows that extra work.

``overhead`` = (end_to_end - highs_reported) / highs_reported: the suite's share beside HiGHS.

Peers run the same instance:

``highspy``
    the arrays are taken from the standard-form compiler once, outside the timed region; the
    timed region is ``passModel + run`` on a fresh ``Highs``: the physical limit of any
    Python modelling layer's overhead.
``spopt``
    PySAL spopt (PuLP + CBC, its default) on the plain p-median / MCLP cases (optional
    ``bench`` extra); the end-to-end clock covers ``from_cost_matrix`` and ``solve``.
"""

from __future__ import annotations

import contextlib
import math
import platform
import time
from contextlib import contextmanager
from typing import Any

from benchmarks.cases import INSTANCES, Case, orlib_dir
from optmodels import registry

#: every column of a result row, in order (the CSV header)
COLUMNS = [
    "case", "family", "model", "size_label", "runner", "repeat",
    "rows", "columns", "nonzeros", "integers",
    "generate_wall", "generate_cpu", "build_wall", "build_cpu", "handoff_wall", "handoff_cpu",
    "highs_wall", "highs_reported", "extract_wall", "run_cpu", "other_wall",
    "end_to_end_wall", "end_to_end_cpu", "overhead",
    "status", "objective", "bound", "root_bound", "band_free", "gap", "nodes", "known_optimum", "check",
    "time_limit", "mip_rel_gap", "note",
    "machine", "python", "highs_version", "pyomo_version", "timestamp",
]


class Clock:
    """Wall and CPU seconds of a ``with`` block."""

    def __init__(self) -> None:
        self.wall = math.nan
        self.cpu = math.nan

    @contextmanager
    def __call__(self):
        w0, c0 = time.perf_counter(), time.process_time()
        try:
            yield self
        finally:
            self.wall = time.perf_counter() - w0
            self.cpu = time.process_time() - c0


def environment() -> dict[str, str]:
    """Machine and versions, repeated on every row so a CSV stands on its own."""
    import os

    import pyomo

    from solvers import highs_version

    return {
        "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cpu {platform.system()}",
        "python": platform.python_version(),
        "highs_version": highs_version(),
        "pyomo_version": pyomo.version.version,
    }


def options_of(case: Case):
    from solvers import SolveOptions

    return SolveOptions(time_limit=case.time_limit, mip_rel_gap=case.mip_rel_gap)


# --------------------------------------------------------------------------------------------
# instances
# --------------------------------------------------------------------------------------------


def make_instance(case: Case):
    """The validated instance of ``case``, through its family's contract."""
    fam = registry.family(case.family)
    if case.source == "orlib":
        return fam.formats["orlib-pmed"](orlib_dir() / case.params["file"])
    if case.source == "file":
        return fam.load(INSTANCES / case.params["file"])
    document = {**fam.generate(seed=case.seed, **case.params), **case.document}
    return fam.from_document(document)


def objective_of(case: Case, instance) -> str:
    """The case's objective: named, or the case's ``model`` when it is an objective of the family
    (equipment, pricing), else the family's default for the instance (a siting model's own)."""
    fam = registry.family(case.family)
    if case.objective is not None:
        return case.objective
    return case.model if case.model in fam.objectives else fam.default_objective(instance)


# --------------------------------------------------------------------------------------------
# runners
# --------------------------------------------------------------------------------------------


def _status(result) -> str:
    return result.termination.value


def _check(case: Case, objective: float | None, status: str) -> str:
    if case.known_optimum is None or status != "optimal":
        return "-"
    if objective is None:
        return "FAIL"
    ok = abs(objective - case.known_optimum) <= case.tolerance * max(1.0, abs(case.known_optimum))
    return "ok" if ok else "FAIL"


def _base(case: Case, runner: str, repeat: int) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(COLUMNS, None)
    row.update(
        case=case.name, family=case.family, model=case.model, size_label=case.size_label,
        runner=runner, repeat=repeat, known_optimum=case.known_optimum,
        time_limit=case.time_limit, mip_rel_gap=case.mip_rel_gap, note="",
        timestamp=time.strftime("%Y-%m-%dT%H:%M:%S"),
    )
    return row


def _fill_result(row: dict[str, Any], case: Case, result) -> None:
    row.update(result.size)
    row.update(
        status=_status(result), objective=result.objective, bound=result.bound, gap=result.gap,
        nodes=result.nodes, root_bound=result.root_bound,
    )
    row["check"] = _check(case, result.objective, row["status"])


def run_suite(case: Case, instance, gen: Clock, repeat: int, options) -> tuple[dict[str, Any], Any]:
    """The suite's own path; returns the row and the Pyomo model it solved (for peers)."""
    from solvers import StandardFormModel

    fam = registry.family(case.family)
    row = _base(case, "suite", repeat)
    row.update(generate_wall=gen.wall, generate_cpu=gen.cpu)
    objective = objective_of(case, instance)
    e2e, b, h = Clock(), Clock(), Clock()
    if case.strategy:
        with e2e():
            sol = fam.solve(instance, options, objective=objective)
        result, model = sol.result, sol.model
        row["band_free"] = sol.extra.get("band_free_bound")
        t = result.timings
        row.update(build_wall=t.build, handoff_wall=t.handoff, highs_wall=t.solve,
                   highs_reported=t.solver_reported, extract_wall=t.extract, run_cpu=t.cpu_total,
                   note="; ".join(sol.notes))
    else:
        with e2e():
            with b():
                model = fam.build(instance, objective)
            with h():
                sf = StandardFormModel(model)
            result = sf.run(options, build_seconds=b.wall, handoff_seconds=h.wall)
        t = result.timings
        row.update(build_wall=b.wall, build_cpu=b.cpu, handoff_wall=h.wall, handoff_cpu=h.cpu,
                   highs_wall=t.solve, highs_reported=t.solver_reported, extract_wall=t.extract,
                   run_cpu=t.cpu_total)
    _fill_result(row, case, result)
    row.update(end_to_end_wall=e2e.wall, end_to_end_cpu=e2e.cpu)
    parts = [row[k] for k in ("build_wall", "handoff_wall", "highs_wall", "extract_wall")]
    row["other_wall"] = e2e.wall - sum(parts)
    row["overhead"] = _overhead(e2e.wall, row["highs_reported"])
    return row, model


def _overhead(e2e: float, highs: float | None) -> float:
    if highs is None or not highs > 0:
        return math.nan
    return (e2e - highs) / highs


def run_highspy(case: Case, model, repeat: int, options) -> dict[str, Any]:
    """Raw highspy: ``passModel(lp) + run`` on a fresh ``Highs`` with the suite's options
    (arrays compiled untimed)."""

    from solvers import StandardFormModel, new_highs

    row = _base(case, "highspy", repeat)
    sf = StandardFormModel(model)  # untimed: the arrays, as a HighsLp
    lp = sf.highs.getLp()
    e2e = Clock()
    with e2e():
        h = new_highs()
        h.setOptionValue("output_flag", False)
        for name, value in options.highs_options().items():
            h.setOptionValue(name, value)
        h.passModel(lp)
        h.run()
    info = h.getInfo()
    status = h.getModelStatus().name
    row.update(sf.size)
    row.update(
        highs_reported=float(h.getRunTime()), end_to_end_wall=e2e.wall, end_to_end_cpu=e2e.cpu,
        status="optimal" if status == "kOptimal" else status,
        objective=float(info.objective_function_value),
        nodes=int(info.mip_node_count) if sf.is_mip else None,
        gap=float(info.mip_gap) if sf.is_mip else 0.0,
        bound=float(info.mip_dual_bound) if sf.is_mip else float(info.objective_function_value),
    )
    row["check"] = _check(case, row["objective"], row["status"])
    row["overhead"] = _overhead(e2e.wall, row["highs_reported"])
    return row


def run_spopt(case: Case, instance, repeat: int) -> dict[str, Any] | None:
    """spopt (PuLP + CBC) on the same plain p-median / MCLP instance; ``None`` if not installed."""
    try:
        import pulp
        from spopt.locate import MCLP, PMedian
    except ImportError:
        return None
    row = _base(case, "spopt+cbc", repeat)
    cost = instance.cost_matrix()
    weights = instance.populations()
    p = int(instance.parameters.p)
    solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=case.time_limit)
    e2e = Clock()
    with e2e():
        if case.model == "p_median":
            peer = PMedian.from_cost_matrix(cost, weights, p_facilities=p, name=case.name)
        else:
            peer = MCLP.from_cost_matrix(cost, weights, service_radius=instance.parameters.radius,
                                         p_facilities=p, name=case.name)
        peer = peer.solve(solver, results=False)
    status = pulp.LpStatus[peer.problem.status]
    row.update(
        end_to_end_wall=e2e.wall, end_to_end_cpu=e2e.cpu,
        status="optimal" if status == "Optimal" else status,
        objective=float(pulp.value(peer.problem.objective)),
        rows=len(peer.problem.constraints), columns=len(peer.problem.variables()),
    )
    if row["status"] == "optimal" and case.time_limit is not None and e2e.wall >= case.time_limit:
        row["note"] = "CBC says Optimal but the time limit was reached: not a proof"
    row["check"] = _check(case, row["objective"], row["status"])
    return row


def _peer_model(case: Case, instance, model) -> tuple[Any, str]:
    """The model raw highspy runs: the one the suite handed HiGHS, unless the family's own
    reduction left HiGHS nothing to do (the p-median presolve can prove the optimum and fix
    every site); then the family's plain model, so the peer still times a real solve."""
    from solvers import StandardFormModel

    if model is not None and StandardFormModel(model).size.get("columns", 0) > 0:
        return model, ""
    plain = registry.family(case.family).build(instance, objective_of(case, instance))
    return plain, "the family's plain model: the suite's presolve left HiGHS an empty one"


def run_case(case: Case, repeat: int = 0, peers: tuple[str, ...] = ("highspy",),
             env: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """All rows of one repeat of ``case``: the suite, then each requested peer it supports."""
    env = env or environment()
    gen = Clock()
    with gen():
        instance = make_instance(case)
    options = registry.family(case.family).tuned(instance, options_of(case))
    row, model = run_suite(case, instance, gen, repeat, options)
    rows = [row]
    for peer in peers:
        if peer not in case.peers:
            continue
        if peer == "highspy":
            peer_model, note = _peer_model(case, instance, model)
            prow = run_highspy(case, peer_model, repeat, options)
            prow["note"] = note
            rows.append(prow)
        elif peer == "spopt":
            prow = run_spopt(case, instance, repeat)
            if prow is not None:
                rows.append(prow)
    for r in rows:
        r.update(env)
    return rows


def error_row(case: Case, repeat: int, exc: BaseException) -> dict[str, Any]:
    """The row of a run that raised: status ``error``, the exception in ``note``."""
    row = _base(case, "suite", repeat)
    row.update(status="error", check="-", note=f"{type(exc).__name__}: {exc}")
    with contextlib.suppress(Exception):  # the environment is a courtesy on an error row
        row.update(environment())
    return row


def warm_up() -> None:
    """One tiny MILP so HiGHS's thread pool and Pyomo's lazy imports are not billed to case 1."""
    import pyomo.environ as pyo

    from solvers import solve

    m = pyo.ConcreteModel()
    m.x = pyo.Var([0, 1], domain=pyo.Binary)
    m.c = pyo.Constraint(expr=m.x[0] + m.x[1] <= 1)
    m.o = pyo.Objective(expr=m.x[0] + 2 * m.x[1], sense=pyo.maximize)
    solve(m)


__all__ = ["COLUMNS", "run_case", "error_row", "warm_up", "environment"]
