"""Weighted-sum fronts of multi-objective MILPs, normalised by the payoff table.

For weights ``w`` on the simplex, each solve is

.. math::

    \\max_{x \\in X} \\sum_k w_k \\frac{g_k(x) - g_k^{nad}}{g_k^{id} - g_k^{nad}}

with ``g_k = s_k f_k`` the objectives in maximisation form and the ideal / nadir from the
lexicographic payoff table (:func:`solvers.epsilon.payoff_table`), so that objectives measured in
different units weigh what their weights say. The model is compiled once and only the objective
coefficients change between solves (``StandardFormModel.set_objective``).

**Supported points only.** A weighted sum can only reach non-dominated points on the convex hull
of the front (the *supported* points); the points between them -- often most of the front of an
integer programme -- are never found, whatever the weights. Use the epsilon-constraint method
for the complete front. Each weight vector is mixed with ``1e-4`` of the uniform vector so that
no weight is zero and no returned point is only weakly non-dominated.

**Two objectives: the dichotomic scheme** (Aneja & Nair 1979). A fixed grid of weights misses
extreme supported points whose weight interval falls between two grid weights (2kp50: 8 of 10
with 21 weights). Instead, starting from the two lexicographic optima ``a`` (best ``g_1``) and
``b`` (best ``g_2``) of the payoff table, each pair of adjacent points gets the weight normal to
the segment between them, ``lambda = (b_2 - a_2, a_1 - b_1) > 0``, and one solve of
``max lambda . g(x)``: a point strictly above the segment is a new supported point and splits
it in two; otherwise the segment is an edge of the front's convex hull. Every extreme supported
point is found: such a point is the unique maximiser of some positive weight, and the segment
of the current hull approximation that it lies above is refined until it is found. With ``N``
extreme supported points that is at most ``N - 2`` solves that find a point and ``N - 1`` that
confirm an edge: ``2N - 3`` weighted solves after the 2 extremes, ``2N - 1`` in all (plus the 2
second stages of the lexicographic payoff table). Each solve needs its optimum proven, so
``mip_rel_gap`` defaults to 0 here. The solves depend on each other and run in this process;
``points`` is not used (the scheme chooses the weights).

**Three or more objectives**: ``points`` weight vectors evenly spread on the simplex (a
simplex-lattice design with the smallest number of divisions giving at least ``points``
vectors), optionally in parallel. Identical points found by different weights are kept once.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from itertools import combinations
from typing import Any

import numpy as np
import pyomo.environ as pyo

from solvers.epsilon import (
    MultiObjectiveModel,
    ObjectiveSpec,
    ideal_nadir_from_payoff,
    payoff_table,
    with_payoff_rows,
)
from solvers.interrupt import stage
from solvers.options import SolveOptions
from solvers.pareto import ParetoResult, merge
from solvers.progress import bar as progress_bar
from solvers.result import Termination
from solvers.run_settings import RunSettings, resolve

#: Share of the uniform weight vector mixed into every weight vector (no zero weights).
WEIGHT_FLOOR = 1e-4

SUPPORTED_NOTE = (
    "weighted sum: supported points only (the convex hull of the front); non-dominated points "
    "between them are not found -- use --method epsilon for the complete front"
)


def weight_grid(p: int, points: int) -> np.ndarray:
    """Weight vectors on the unit simplex, shape ``(n, p)``, rows summing to 1.

    Two objectives: ``points`` evenly spaced vectors. Three or more: the simplex lattice with
    ``H`` divisions, ``H`` the smallest giving at least ``points`` vectors (``C(H+p-1, p-1)``).
    """
    if p < 2:
        raise ValueError(f"need at least 2 objectives, found {p}")
    if points < 2:
        raise ValueError(f"points must be >= 2, found {points}")
    if p == 2:
        w = np.linspace(0.0, 1.0, points)
        return np.column_stack([1.0 - w, w])
    H = 1
    while math.comb(H + p - 1, p - 1) < points:
        H += 1
    rows = []
    # stars and bars: choose p-1 bar positions among H+p-1 slots
    for bars in combinations(range(H + p - 1), p - 1):
        parts = np.diff([-1, *bars, H + p - 1]) - 1
        rows.append(parts / H)
    return np.array(rows, dtype=float)


def _solve_weights(
    mo: MultiObjectiveModel,
    weights: np.ndarray,
    ranges: np.ndarray,
    options: SolveOptions,
    summary: Callable[[Any], str] | None,
    decision: Callable[[Any], Any] | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {"points": [], "decisions": [], "summaries": [], "solves": 0,
                           "failed": 0, "interrupted": False}
    p = mo.p
    try:
        for w in weights:
            w = (1.0 - WEIGHT_FLOOR) * w + WEIGHT_FLOOR / p
            result, x, f = mo.maximise(w / ranges, options)
            out["solves"] += 1
            if progress:
                progress(1)
            if result.termination is Termination.INTERRUPTED:
                out["interrupted"] = True
                break
            if x is None:
                out["failed"] += 1
                continue
            if result.termination is not Termination.OPTIMAL:
                out["failed"] += 1
            out["points"].append(f)
            dec, text = mo.record(x, summary, decision)
            out["decisions"].append(dec)
            out["summaries"].append(text)
    except KeyboardInterrupt:
        out["interrupted"] = True
    return out


def _dichotomic(
    mo: MultiObjectiveModel,
    table: np.ndarray,
    options: SolveOptions,
    summary: Callable[[Any], str] | None,
    decision: Callable[[Any], Any] | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Aneja-Nair dichotomic search between the payoff table's two lexicographic optima.

    Points are compared in maximisation form ``g``; a solve finds a new point when its weighted
    value exceeds the segment's by more than a relative 1e-9 (a distinct point of an integer
    front is at least one unit of ``lambda . g`` above).
    """
    out: dict[str, Any] = {"points": [], "decisions": [], "summaries": [], "solves": 0,
                           "failed": 0, "interrupted": False, "edges": 0}
    a, b = table[0] * mo.sign, table[1] * mo.sign
    stack = [(a, b)] if np.any(np.abs(a - b) > 1e-9) else []
    try:
        while stack:
            left, right = stack.pop()
            lam = np.array([right[1] - left[1], left[0] - right[0]], dtype=float)
            if not np.all(lam > 0):  # one weakly dominates the other: no segment to search
                continue
            lam /= lam.max()
            result, x, f = mo.maximise(lam, options)
            out["solves"] += 1
            if progress:
                progress(1)
            if result.termination is Termination.INTERRUPTED:
                out["interrupted"] = True
                break
            if x is None or result.termination is not Termination.OPTIMAL:
                out["failed"] += 1  # the segment cannot be confirmed
                if x is None:
                    continue
            g = f * mo.sign
            level = float(lam @ left)
            if float(lam @ g) > level + 1e-9 * max(1.0, abs(level)):
                out["points"].append(f)
                dec, text = mo.record(x, summary, decision)
                out["decisions"].append(dec)
                out["summaries"].append(text)
                stack.extend([(g, right), (left, g)])
            else:
                out["edges"] += 1
    except KeyboardInterrupt:
        out["interrupted"] = True
    return out


def _weights_task(task: dict[str, Any], progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Worker entry point: compile a private copy of the model, solve a chunk of weights."""
    mo = MultiObjectiveModel(task["model"], task["objectives"], copy=True)
    return _solve_weights(mo, task["weights"], task["ranges"], task["options"], task["summary"],
                          task["decision"], progress)


def weighted_sum_front(
    model: pyo.Block,
    objectives: ObjectiveSpec = None,
    *,
    points: int = 21,
    weights: np.ndarray | None = None,
    scheme: str = "auto",
    options: SolveOptions | None = None,
    run: RunSettings | None = None,
    **run_keywords: Any,
) -> ParetoResult:
    """Supported points of the front by normalised weighted sums (see the module docstring).

    Four steps: the compiled model, scheme and options (:func:`_prepare`); the payoff table with
    the normalisation and the weight vectors (:func:`_weights`); the weighted solves by the
    scheme, in this process or on workers (:func:`_solve_weights_by_scheme`); the merged front
    with its notes (:func:`_weighted_notes`).

    Parameters
    ----------
    model, objectives, options
        As for :func:`solvers.epsilon.epsilon_front`.
    run, run_keywords
        As for :func:`solvers.epsilon.epsilon_front` (``blocks``: chunks of weight vectors; the
        dichotomic scheme's solves depend on each other and run in this process).
    points
        Number of weight vectors of the grid scheme (see :func:`weight_grid`).
    scheme
        ``"dichotomic"`` (two objectives only: every extreme supported point, see the module
        docstring), ``"grid"`` (``points`` weight vectors) or ``"auto"``: dichotomic for two
        objectives without explicit ``weights``, else grid.
    weights
        Explicit weight vectors, shape ``(n, p)`` (overrides ``points``); rows are scaled to sum
        to 1.
    """
    run = resolve(run, run_keywords, function="weighted_sum_front")
    t0 = time.perf_counter()
    mo, scheme, options = _prepare(model, objectives, scheme, weights, options)
    stage("weighted.payoff")
    table, payoff_x = payoff_table(mo, options)
    payoff_solves = mo.solves
    ideal, nadir, ranges, W = _weights(mo, table, points, weights)
    t_payoff = time.perf_counter() - t0

    stage("weighted.weights", checked=False)  # after a stop the first weighted solve ends it, keeping the payoff rows
    outs, interrupted, n_tasks = _solve_weights_by_scheme(mo, model, scheme, table, W, ranges, options, run)
    pts, decisions, summaries = with_payoff_rows(
        mo, run, table, payoff_x, [f for o in outs for f in o["points"]],
        [d for o in outs for d in o["decisions"]], [s for o in outs for s in o["summaries"]])
    failed = sum(o["failed"] for o in outs)
    edges = outs[0]["edges"] if scheme == "dichotomic" else None
    wall = time.perf_counter() - t0
    return merge(
        "weighted_sum",
        mo.names,
        mo.senses,
        pts,
        decisions,
        summaries,
        exact=False,
        complete=not interrupted and failed == 0,
        solves=payoff_solves + sum(o["solves"] for o in outs),
        timings={"payoff_table": t_payoff, "weights": wall - t_payoff, "total": wall,
                 "compile": mo.compile_seconds},
        ideal=ideal,
        nadir=nadir,
        payoff=table,
        notes=_weighted_notes(scheme, outs, interrupted=interrupted, failed=failed),
        settings={"scheme": scheme, "interrupted": bool(interrupted),
                  "weights": outs[0]["solves"] if scheme == "dichotomic" else len(W),
                  "hull_edges": edges, "weight_floor": WEIGHT_FLOOR, "workers": run.workers,
                  "scheduler": run.scheduler, "normalisation": "payoff table ideal and nadir",
                  "blocks": n_tasks},
    )


def _prepare(
    model: pyo.Block, objectives: ObjectiveSpec, scheme: str, weights: np.ndarray | None,
    options: SolveOptions | None,
) -> tuple[MultiObjectiveModel, str, SolveOptions]:
    """Step 1: the compiled model, the scheme ``"auto"`` stands for, and the solves' options."""
    options = options or SolveOptions()
    mo = MultiObjectiveModel(model, objectives)
    if scheme == "auto":
        scheme = "dichotomic" if mo.p == 2 and weights is None else "grid"
    if scheme not in ("dichotomic", "grid"):
        raise ValueError(f"scheme must be 'auto', 'dichotomic' or 'grid', found {scheme!r}")
    if scheme == "dichotomic" and mo.p != 2:
        raise ValueError(f"the dichotomic scheme needs 2 objectives, found {mo.p}")
    if scheme == "dichotomic" and options.mip_rel_gap is None:
        # a weighted optimum stopped at a gap could miss a point just above a segment
        options = dataclasses.replace(options, mip_rel_gap=0.0)
    return mo, scheme, options


def _weights(
    mo: MultiObjectiveModel, table: np.ndarray, points: int, weights: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Step 2: ideal and nadir from the payoff table, the ranges that normalise the objectives,
    and the weight vectors of the grid scheme (``weights`` checked and scaled, or the grid)."""
    ideal, nadir = ideal_nadir_from_payoff(table, mo.senses)
    ranges = np.abs(ideal - nadir)
    ranges = np.where(ranges > 1e-12, ranges, 1.0)
    if weights is None:
        W = weight_grid(mo.p, points)
    else:
        W = np.atleast_2d(np.asarray(weights, dtype=float))
        if W.shape[1] != mo.p or np.any(W < 0) or np.any(W.sum(axis=1) <= 0):
            raise ValueError(f"weights must be non-negative rows of {mo.p} values with a positive sum")
        W = W / W.sum(axis=1, keepdims=True)
    return ideal, nadir, ranges, W


def _solve_weights_by_scheme(
    mo: MultiObjectiveModel,
    model: pyo.Block,
    scheme: str,
    table: np.ndarray,
    W: np.ndarray,
    ranges: np.ndarray,
    options: SolveOptions,
    run: RunSettings,
) -> tuple[list[dict[str, Any]], bool, int]:
    """Step 3: the weighted solves -- the dichotomic search or the weight grid in this process,
    or the grid in chunks on workers. Returns the outcomes, whether the run was interrupted, and
    the task count."""
    from solvers.executor import run_tasks, task_count

    if scheme == "dichotomic":
        bar = progress_bar(desc="weights (dichotomic)", enabled=run.progress)
        # an open-ended bar (no total): tqdm refuses bool() then, hence "is not None"
        out = _dichotomic(mo, table, options, run.summary, run.decision,
                          bar.update if bar is not None else None)
        if bar is not None:
            bar.close()
        return [out], out["interrupted"], 1
    if run.in_process:
        bar = progress_bar(len(W), desc="weights", enabled=run.progress)
        out = _solve_weights(mo, W, ranges, options, run.summary, run.decision, bar.update if bar else None)
        if bar:
            bar.close()
        return [out], out["interrupted"], 1
    n_chunks = task_count(len(W), workers=run.workers, scheduler=run.scheduler, blocks=run.blocks)
    chunks = [c for c in np.array_split(W, n_chunks) if len(c)]
    tasks = [{"model": model, "objectives": dict(zip(mo.names, mo.senses, strict=False)), "weights": c,
              "ranges": ranges, "options": options, "summary": run.summary,
              "decision": run.decision} for c in chunks]
    results, interrupted = run_tasks(_weights_task, tasks, workers=run.workers,
                                     scheduler=run.scheduler, progress=run.progress, desc="weights")
    outs = [r for r in results if r is not None]
    return outs, interrupted or any(o["interrupted"] for o in outs), len(chunks)


def _weighted_notes(scheme: str, outs: list[dict[str, Any]], *, interrupted: bool, failed: int) -> tuple[str, ...]:
    """Step 4's notes: supported points only; what the dichotomic scheme proved; what failed."""
    notes = [SUPPORTED_NOTE]
    if scheme == "dichotomic" and not interrupted and not failed:
        notes.append(f"dichotomic scheme: every extreme supported point is among these "
                     f"({outs[0]['solves']} weighted solves, {outs[0]['edges']} hull edges confirmed)")
    if failed:
        notes.append(f"{failed} weighted solves ended without proven optimality or solution")
    if interrupted:
        notes.append("interrupted: the front holds the points found so far")
    return tuple(notes)
