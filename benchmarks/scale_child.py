"""One scale run in a process of its own: ``python -m benchmarks.scale_child suite|spopt ...``.

The scale profile (:mod:`benchmarks.scale`) starts this module once per case and runner, so the
process's peak resident memory -- read by the parent from ``os.wait4`` -- is the case's alone,
and a run that the OS or a memory cap ends takes nothing else with it. The run writes one JSON
record (``--result``); the parent adds wall and CPU time, the peak RSS and the exit status.

``suite``
    what ``optmodels solve FILE --time-limit T`` does: the family's loader, its tuned options,
    its whole strategy under ``interruptible()`` (SIGTERM stops it as Ctrl-C does: the incumbent
    is kept and recorded). The HiGHS phases are summed over every model of the strategy (row
    generation rounds, re-solves, radius rounds) by :class:`Ledger`, which wraps
    ``solvers.StandardFormModel``: ``handoff`` (compile to arrays + ``passModel``), ``solver``
    (wall around ``Highs.run``), ``highs_reported`` (``Highs.getRunTime``), ``extract``.
    ``build`` is the rest of the solve: pairs, cover groups or radii, reductions, start
    heuristics, the Pyomo models, the evaluation of the plan.
``spopt``
    PySAL spopt with PuLP + CBC on the same file, as an analyst would run it: the tables read
    (:func:`benchmarks.scale_check.read_tables`), the dense cost matrix computed with
    ``numpy.hypot`` (the instance's own distance formula, so coverage at the radius is decided
    as the suite decides it), ``<Model>.from_cost_matrix`` with the sites that must stay open as
    spopt's predefined facilities, then ``solve`` with CBC under what is left of ``--budget``.
    ``build`` is the cost matrix and ``from_cost_matrix`` (for LSCP-B it includes spopt's own
    LSCP solve), ``solver`` is PuLP's ``solve`` (MPS written, CBC run, solution read back).
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import signal
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _finite(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


class Ledger:
    """Sums of the HiGHS phases of every ``StandardFormModel`` made and run inside the ``with``.

    Measurement only: the wrapped methods are called unchanged and their results returned as
    they are; the class attributes are restored on exit.
    """

    def __init__(self) -> None:
        self.handoff = 0.0
        self.solver = 0.0
        self.highs_reported = 0.0
        self.extract = 0.0
        self.runs = 0
        self.last_size: dict[str, int] = {}

    @contextmanager
    def __call__(self):
        from solvers import StandardFormModel

        init, run = StandardFormModel.__init__, StandardFormModel.run
        ledger = self

        def counted_init(sf, *args, **kwargs):
            init(sf, *args, **kwargs)
            ledger.handoff += sf.compile_seconds

        def counted_run(sf, *args, **kwargs):
            result = run(sf, *args, **kwargs)
            t = result.timings
            ledger.solver += t.solve
            ledger.extract += t.extract
            if math.isfinite(t.solver_reported):
                ledger.highs_reported += t.solver_reported
            ledger.runs += 1
            ledger.last_size = dict(sf.size)
            return result

        StandardFormModel.__init__, StandardFormModel.run = counted_init, counted_run
        try:
            yield self
        finally:
            StandardFormModel.__init__, StandardFormModel.run = init, run


def _stop_on_sigterm() -> None:
    """SIGTERM (the parent's hard timeout) stops the solve as Ctrl-C does, keeping the incumbent."""
    from solvers.interrupt import STOPS_WORK

    def handler(signum, frame):
        raise KeyboardInterrupt

    setattr(handler, STOPS_WORK, True)
    signal.signal(signal.SIGTERM, handler)


def run_suite(instance: Path, model: str | None, time_limit: float | None, mip_rel_gap: float | None) -> dict[str, Any]:
    """The suite's run of ``instance`` (see the module docstring); ``model``: solve the file as
    this model (``optmodels solve FILE --model M``)."""
    from optmodels import registry
    from optmodels.errors import UsageError
    from solvers import SolveOptions
    from solvers.interrupt import interruptible

    rec: dict[str, Any] = {"runner": "suite"}
    fam = registry.family("siting")
    ledger = Ledger()
    t0 = time.perf_counter()
    try:
        instance_obj = fam.load(instance)
        if model is not None and model != instance_obj.model:
            instance_obj = fam.override(instance_obj, {"model": model})
    except UsageError as exc:
        return {**rec, "status": "input_error", "note": str(exc)}
    rec["read_wall"] = time.perf_counter() - t0
    rec["rss_after_read_mib"] = _maxrss_mib()
    options = fam.tuned(instance_obj, SolveOptions(time_limit=time_limit, mip_rel_gap=mip_rel_gap))
    t1, c1 = time.perf_counter(), time.process_time()
    try:
        with ledger(), interruptible():
            sol = fam.solve(instance_obj, options)
    except UsageError as exc:  # the memory guard's refusal (exit 2 on the command line)
        rec.update(status="refused", note=str(exc), solve_wall=time.perf_counter() - t1)
        return rec
    solve_wall = time.perf_counter() - t1
    r = sol.result
    phases = ledger.handoff + ledger.solver + ledger.extract
    rec.update(
        solve_wall=solve_wall, solve_cpu=time.process_time() - c1,
        build_wall=solve_wall - phases, handoff_wall=ledger.handoff, solver_wall=ledger.solver,
        highs_reported=ledger.highs_reported, extract_wall=ledger.extract, highs_runs=ledger.runs,
        status=r.termination.value, verdict=sol.verdict, objective=r.objective, bound=r.bound, gap=r.gap,
        nodes=r.nodes, last_model=ledger.last_size, note="; ".join(sol.notes),
        open_sites=list(sol.extra.get("open_sites") or []) if sol.has_solution else None,
    )
    return rec


def _spopt_model(tables, cost, solver, model: str):
    """The spopt model of ``tables`` on the dense ``cost`` (predefined facilities: the sites
    that must stay open)."""
    from spopt.locate import LSCP, LSCPB, MCLP, PCenter, PMedian

    fixed = tables.fixed_open.astype(int) if tables.fixed_open.any() else None
    r, p, w = tables.radius, tables.p, tables.population
    if model == "mclp":
        return MCLP.from_cost_matrix(cost, w, service_radius=r, p_facilities=p, predefined_facilities_arr=fixed)
    if model == "lscp":
        return LSCP.from_cost_matrix(cost, service_radius=r, predefined_facilities_arr=fixed)
    if model == "lscp_b":
        return LSCPB.from_cost_matrix(cost, service_radius=r, solver=solver, predefined_facilities_arr=fixed)
    if model == "p_median":
        return PMedian.from_cost_matrix(cost, w, p_facilities=p, predefined_facilities_arr=fixed)
    if model == "p_center":
        return PCenter.from_cost_matrix(cost, p_facilities=p, predefined_facilities_arr=fixed)
    raise ValueError(f"spopt peer: no model {model!r}")


def dense_costs(demand_xy, site_xy, chunk: int = 4096):
    """The ``n x m`` Euclidean cost matrix by ``numpy.hypot``, filled in row chunks (no ``n x m``
    temporaries beside the result)."""
    import numpy as np

    out = np.empty((len(demand_xy), len(site_xy)))
    for a in range(0, len(demand_xy), chunk):
        b = min(a + chunk, len(demand_xy))
        np.hypot(demand_xy[a:b, None, 0] - site_xy[None, :, 0], demand_xy[a:b, None, 1] - site_xy[None, :, 1],
                 out=out[a:b])
    return out


def run_spopt(instance: Path, model: str | None, budget: float) -> dict[str, Any]:
    """spopt + CBC on ``instance`` within ``budget`` seconds end to end (see the module docstring)."""
    import numpy as np
    import pulp

    from benchmarks.scale_check import read_tables

    rec: dict[str, Any] = {"runner": "spopt+cbc"}
    t0 = time.perf_counter()
    try:
        tables = read_tables(instance)
        model = model or tables.model
        rec["read_wall"] = time.perf_counter() - t0
        rec["rss_after_read_mib"] = _maxrss_mib()
        t1 = time.perf_counter()
        cost = dense_costs(tables.demand_xy, tables.site_xy)
        left = budget - (time.perf_counter() - t0)
        solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=max(left, 1.0))
        peer = _spopt_model(tables, cost, solver, model)
        rec["build_wall"] = time.perf_counter() - t1
        left = budget - (time.perf_counter() - t0)
        if left <= 0:
            return {**rec, "status": "time", "stop": "time",
                    "note": f"the budget of {budget:g} s was spent before CBC started (cost matrix and model)"}
        solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=left)
        t2 = time.perf_counter()
        if model == "lscp_b":  # spopt's LSCP-B solves with the solver it was made with
            peer.solver = solver
            peer = peer.solve(results=False)
        else:
            peer = peer.solve(solver, results=False)
        rec["solver_wall"] = time.perf_counter() - t2
    except MemoryError:
        return {**rec, "status": "memory", "stop": "memory",
                "note": "MemoryError under the memory cap (dense cost matrix or PuLP model)"}
    except pulp.PulpSolverError as exc:  # CBC ended without a solution file (a crash, a signal)
        return {**rec, "status": "solver_error", "stop": "error", "note": f"PuLP: {exc}"}
    status = pulp.LpStatus[peer.problem.status]
    # CBC stopped by its time limit with an incumbent: status Optimal, solution "integer feasible"
    proven = peer.problem.sol_status == pulp.LpSolutionOptimal
    elapsed = time.perf_counter() - t0
    rec["rows"] = len(peer.problem.constraints)
    rec["columns"] = len(peer.problem.variables())
    y = np.array([(v.value() or 0.0) > 0.5 for v in peer.fac_vars])
    rec["open_sites"] = tables.site_ids[y].tolist()
    value = pulp.value(peer.problem.objective)
    rec["objective"] = None if value is None else float(value)
    if model == "lscp_b":
        rec["p_used"] = int(round(peer.lscp_obj_value))
    if status == "Optimal" and proven and elapsed < budget:
        rec.update(status="optimal", stop=None)
    elif status == "Optimal":
        rec.update(status="time", stop="time",
                   note="CBC stopped at its time limit with an incumbent: not a proof" if not proven else
                   "CBC says Optimal but the budget was reached: not a proof")
    else:
        rec.update(status=status.lower(), stop="time" if elapsed >= budget else "status")
    return rec


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale_child", description=__doc__.split("\n")[0])
    parser.add_argument("runner", choices=("suite", "spopt"))
    parser.add_argument("--instance", required=True, type=Path)
    parser.add_argument("--model", help="solve the file as this model (default: the file's)")
    parser.add_argument("--result", required=True, type=Path, help="JSON record to write")
    parser.add_argument("--time-limit", type=float, help="suite: HiGHS time limit (s)")
    parser.add_argument("--mip-rel-gap", type=float, help="suite: relative MIP gap")
    parser.add_argument("--budget", type=float, default=600.0, help="spopt: seconds end to end")
    args = parser.parse_args(argv)
    t0, c0 = time.perf_counter(), time.process_time()
    if args.runner == "suite":
        _stop_on_sigterm()
        rec = run_suite(args.instance, args.model, args.time_limit, args.mip_rel_gap)
    else:
        rec = run_spopt(args.instance, args.model, args.budget)
    rec.update(child_wall=time.perf_counter() - t0, child_cpu=time.process_time() - c0,
               peak_rss_self_mib=_maxrss_mib())
    tmp = args.result.with_suffix(".tmp")
    tmp.write_text(json.dumps({k: _finite(v) for k, v in rec.items()}))
    tmp.replace(args.result)  # whole or absent: the parent never reads half a record
    return 0


if __name__ == "__main__":
    sys.exit(main())
