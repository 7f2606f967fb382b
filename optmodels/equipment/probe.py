"""Measurements on the full equipment model with the Gini band's lower side binding.

A research probe of the family's internals (the full model, its restriction, the tightened box),
so it lives in the family rather than in ``benchmarks/``, which sees families only through their
contract.

``python -m optmodels.equipment.probe options LIMIT [NAME=JSON ...]``
    The full model of 8 x 60 x 5 seed 0 (``band_binding="lower"``, mean mode), started from the
    lazy strategy's start (the better of the ordered restriction's and the greedy plan), solved
    once per HiGHS option set with a LIMIT-second wall-clock limit. One JSON line per set:
    status, incumbent (re-checked by the numpy evaluator), final bound, root bound, nodes, CPU.
    Example: ``options 60 default={} presolve_off='{"presolve": "off"}'``. The environment
    variable ``PROBE_INSTANCE=regions,hospitals,years,seed`` picks another generated instance.
``python -m optmodels.equipment.probe lazy LIMIT STRATEGY SHARE[,SHARE...]``
    :func:`optmodels.equipment.solve.solve_instance` (``lazy`` or ``tight``) with a LIMIT-second
    limit, once per neighbourhood share (``solve.NEIGHBOURHOOD_SHARE``; 0 switches the
    neighbourhood search off). One JSON line each: incumbent, bound, gap, nodes, CPU, the note.
    ``PROBE_INSTANCE`` as above.
``python -m optmodels.equipment.probe box LIMIT BLOCKS``
    The full model with and without the region-total box of the best plan's cost: the lazy
    start, then the region-block search for BLOCKS seconds, then
    :func:`optmodels.equipment.tighten.region_bounds` under the plan it found, then the full
    model with the box and without it, each from that plan for LIMIT seconds. One JSON line per
    model: free sign binaries, status, incumbent, bound, root bound, nodes, wall and CPU.
    ``PROBE_INSTANCE`` as above.
``python -m optmodels.equipment.probe envelope``
    Whether the joint concave envelope of the Gini numerator lifts the LP bound. For a convex
    ``N_j`` over a box ``B`` of region totals, ``N_j(s) <= env_j(s) = max{sum_v lam_v N_j(v) :
    sum_v lam_v v = s, sum lam = 1, lam >= 0}`` over the box's vertices v: the tightest concave
    over-estimator, jointly over all pairs (the per-pair secant is its pairwise weakening). The
    box is the cost-capped one of :func:`optmodels.equipment.tighten.region_bounds` (valid for
    every plan at least as good as the start), and in mean mode ``N_j / T_j <= env_j / T^lo_j``.
    Prints the band-free LP bound and the LP bound with the envelope, in both modes.
"""

from __future__ import annotations

import itertools
import json
import sys
import time

import numpy as np
import pyomo.environ as pyo

from optmodels.equipment.evaluate import evaluate
from optmodels.equipment.formulation import build, order_signs, plan_from_model, start_from_plan
from optmodels.equipment.heuristic import feasible_plan
from optmodels.equipment.tighten import region_bounds
from solvers import SolveOptions, StandardFormModel, solve


def instance(regions: int = 8, hospitals: int = 60, years: int = 5, seed: int = 0):
    from optmodels.equipment.generate import generate
    from optmodels.equipment.instance import EquipmentInstance

    doc = generate(regions=regions, hospitals=hospitals, years=years, seed=seed, band_binding="lower")
    return EquipmentInstance.from_dict(doc)


def lazy_start(inst) -> tuple[np.ndarray, float]:
    """The lazy strategy's start (see ``optmodels.equipment.solve``) and the band-free bound."""
    relaxed = build(inst, objective="cost", gini="none")
    first = solve(relaxed, SolveOptions(mip_rel_gap=1e-4))
    signs = order_signs(inst.data, evaluate(inst, plan_from_model(relaxed)).region_sets)
    ordered = build(inst, objective="cost", gini="ordered", signs=signs)
    solve(ordered, SolveOptions(mip_rel_gap=1e-4))
    plans = [p for p in (plan_from_model(ordered), feasible_plan(inst)) if p is not None and evaluate(inst, p).feasible]
    return min(plans, key=lambda p: evaluate(inst, p).objective("cost")), float(first.bound)


def options(limit: float, sets: dict[str, dict]) -> None:
    import os

    inst = instance(*(int(v) for v in os.environ.get("PROBE_INSTANCE", "8,60,5,0").split(",")))
    start, band_free = lazy_start(inst)
    print(json.dumps({"band_free": band_free, "start": evaluate(inst, start).objective("cost")}), flush=True)
    for name, extra in sets.items():
        model = build(inst, objective="cost", gini="full")
        start_from_plan(model, start)
        c0 = time.process_time()
        r = solve(model, SolveOptions(time_limit=limit, mip_rel_gap=1e-4, solver_options=extra), warm_start=True)
        cpu = time.process_time() - c0
        ok = evaluate(inst, plan_from_model(model)).feasible if r.has_solution else None
        print(json.dumps({"name": name, "options": extra, "status": r.termination.value, "objective": r.objective,
                          "evaluator_ok": ok, "bound": r.bound, "root_bound": r.root_bound, "nodes": r.nodes,
                          "gap": r.gap, "cpu": round(cpu, 1), "wall": round(r.timings.solve, 1)}), flush=True)


def lazy(limit: float, strategy: str, shares: list[float]) -> None:
    import os

    from optmodels.equipment import solve as solve_module

    spec = tuple(int(v) for v in os.environ.get("PROBE_INSTANCE", "8,60,5,0").split(","))
    for share in shares:
        solve_module.NEIGHBOURHOOD_SHARE = share
        inst = instance(*spec)
        c0, w0 = time.process_time(), time.perf_counter()
        sol = solve_module.solve_instance(inst, "cost", SolveOptions(time_limit=limit), strategy=strategy)
        r = sol.result
        print(json.dumps({"instance": spec, "strategy": strategy, "share": share, "objective": r.objective,
                          "evaluator_ok": None if sol.evaluation is None else sol.evaluation.feasible,
                          "bound": r.bound, "gap": r.gap, "root_bound": r.root_bound, "nodes": r.nodes,
                          "cpu": round(time.process_time() - c0, 1), "wall": round(time.perf_counter() - w0, 1),
                          "note": sol.strategy_note}), flush=True)


def box(limit: float, blocks_seconds: float) -> None:
    import os

    from optmodels.equipment import neighbourhood

    inst = instance(*(int(v) for v in os.environ.get("PROBE_INSTANCE", "8,60,5,0").split(",")))
    start, band_free = lazy_start(inst)
    model = build(inst, objective="cost", gini="full")
    found = neighbourhood.blocks(inst, "cost", model, StandardFormModel(model), start, seconds=blocks_seconds,
                                 step_seconds=max(blocks_seconds / 10, 2.0))
    t0 = time.perf_counter()
    bounds = region_bounds(inst, found.value, objective="cost")
    print(json.dumps({"band_free": band_free, "start": found.start_value, "blocks": found.value,
                      "sub_milps": found.solves, "box_lps": bounds.lps,
                      "box_seconds": round(time.perf_counter() - t0, 1)}), flush=True)
    for name, given in (("box", bounds), ("no_box", None)):
        full = build(inst, objective="cost", gini="full", bounds=given)
        start_from_plan(full, found.plan)
        c0 = time.process_time()
        r = solve(full, SolveOptions(time_limit=limit, mip_rel_gap=1e-4), warm_start=True)
        print(json.dumps({"name": name, "free_signs": sum(not v.fixed for v in full.z.values()),
                          "status": r.termination.value, "objective": r.objective, "bound": r.bound,
                          "root_bound": r.root_bound, "nodes": r.nodes, "gap": r.gap,
                          "wall": round(r.timings.solve, 1), "cpu": round(time.process_time() - c0, 1)}), flush=True)


def _numerator(v: np.ndarray, shares: np.ndarray) -> float:
    return float(sum(abs(v[a] * shares[b] - v[b] * shares[a]) for a, b in itertools.combinations(range(len(v)), 2)))


def _envelope_lp(inst, verts: dict, env: dict, mode: str, box, cap: float) -> pyo.ConcreteModel:
    d = inst.data
    m, n = d.n_regions, d.n_years
    model = build(inst, objective="cost", relax=True, gini="none")
    model.VJ = pyo.Set(initialize=list(env), dimen=2)
    model.lam = pyo.Var(model.VJ, domain=pyo.NonNegativeReals)
    model.lam_sum = pyo.Constraint(range(n), rule=lambda mdl, j: sum(mdl.lam[j, t] for t in range(len(verts[j]))) == 1)
    model.lam_s = pyo.Constraint(range(m), range(n), rule=lambda mdl, i, j: sum(
        float(verts[j][t][i]) * mdl.lam[j, t] for t in range(len(verts[j]))) == mdl.s[i, j])
    if mode == "mean":
        model.env = pyo.Constraint(expr=sum(env[j, t] / box.T_lo[j] * model.lam[j, t] for (j, t) in model.VJ)
                                   >= n * d.gini_lo)
    else:
        model.env = pyo.Constraint(range(n), rule=lambda mdl, j: sum(
            env[j, t] * mdl.lam[j, t] for t in range(len(verts[j]))) >= d.gini_lo * mdl.T[j])
    model.cap = pyo.Constraint(expr=model.cost.expr <= cap + 1e-6)  # what makes the box valid
    return model


def envelope() -> None:
    inst = instance()
    d = inst.data
    m, n = d.n_regions, d.n_years
    start, _ = lazy_start(inst)
    cap = evaluate(inst, start).objective("cost")
    box = region_bounds(inst, cap, objective="cost")
    verts = {j: [np.array(v) for v in itertools.product(*[sorted({box.s_lo[i, j], box.s_hi[i, j]})
                                                           for i in range(m)])] for j in range(n)}
    env = {(j, t): _numerator(v, d.shares[:, j]) for j in range(n) for t, v in enumerate(verts[j])}
    print("band-free LP", solve(build(inst, objective="cost", relax=True, gini="none")).objective)
    for mode in ("mean", "each_year"):
        r = solve(_envelope_lp(inst, verts, env, mode, box, cap))
        print(f"{mode}: LP bound with the joint envelope {r.objective} ({r.termination.value}); "
              f"box from {box.lps} LPs under cost {cap}")


if __name__ == "__main__":
    if sys.argv[1] == "options":
        options(float(sys.argv[2]), {k: json.loads(v) for k, v in (a.split("=", 1) for a in sys.argv[3:])})
    elif sys.argv[1] == "lazy":
        lazy(float(sys.argv[2]), sys.argv[3], [float(v) for v in sys.argv[4].split(",")])
    elif sys.argv[1] == "box":
        box(float(sys.argv[2]), float(sys.argv[3]))
    else:
        envelope()
