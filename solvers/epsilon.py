"""Exact and sampled fronts by the augmented epsilon-constraint method (AUGMECON2 / AUGMECON-R).

The model
---------
Given a Pyomo MILP with objectives ``f_1 .. f_p`` (``p >= 2``), all written internally in
*maximisation form* ``g_k = s_k f_k`` (``s_k = +1`` for max, ``-1`` for min), each grid point
``e = (e_2 .. e_p)`` solves (Mavrotas 2009; Mavrotas & Florios 2013)

.. math::

    \\max\\; g_1(x) + \\delta \\sum_{k=2}^{p} 10^{-(k-2)} \\frac{S_k}{r_k}
    \\quad\\text{s.t.}\\quad g_k(x) - S_k = e_k,\\; S_k \\ge 0,\\; x \\in X

with ``r_k`` the range of ``g_k`` on the grid and ``delta = 1e-3``. Since
``S_k = g_k(x) - e_k`` the slack variables need not exist: the objective is
``g_1 + delta * sum_k 10^-(k-2) g_k / r_k`` minus a constant, and the epsilon constraint is the
row ``g_k(x) >= e_k``. So the model is **compiled once** (:class:`MultiObjectiveModel`, a
:class:`~solvers.StandardFormModel` with one extra row per objective) and every grid point only
changes row bounds (``set_constraint_bounds``) before ``run()``.

**Scale of the first objective.** ``S_k / r_k <= 1``, so the augmentation is worth less than
``1.12 * delta`` and cannot trade one unit of ``g_1``: exact when ``g_1`` is integer-valued.
A ``g_1`` in other units (a cost in thousands, a profit scaled by 1e-5) can differ between
distinct points by less than that, and a fixed ``delta`` would then return a point with less
``g_1`` and more slack, skipping the true optimum (2kp50 with ``g_1`` x 1e-5 lost points). So in
exact mode a ``g_1`` that is not integer-valued is handled **lexicographically**, which does
not depend on its units: stage 1 maximises ``g_1`` alone; stage 2 holds ``g_1`` at that optimum
(to a relative 1e-9) and maximises the slack term ``sum_k 10^-(k-2) g_k / r_k``. Two solves per
grid point instead of one; the bypass and its proof are unchanged. Sampled mode keeps the single
augmented solve (its points are efficient either way -- every weight is positive -- and the
grid is a sample).

Symbols
-------
====================  ===============================================================
``g_k``               objective k in maximisation form
``e_k``               epsilon (grid value) of objective k, from the grid start to ideal
``r_k``               ideal_k - grid start_k (payoff nadir, or the proven bound in exact mode)
``S_k``               slack ``g_k(x) - e_k`` of the optimum
``step_k``            grid step: 1 in exact mode, ``r_k / (n - 1)`` with ``n`` grid points
``delta``             augmentation weight (1e-3)
====================  ===============================================================

Steps
-----
1. **Lexicographic payoff table**: for each k optimise ``g_k``, then each other objective in
   turn with the previous ones held at their optima (so no weakly dominated row). The ideal is
   the diagonal, the nadir estimate the worst value in each column.
2. **Grid** over ``e_2 .. e_p``. *Exact mode* (automatic when every constrained objective
   ``2..p`` has integer coefficients on integer variables; the first may be any): step 1, so every integer value is a grid point and every
   non-dominated point is found (Mavrotas & Florios 2013, section 3). Otherwise ``points`` grid
   points per objective (a sampled front).
3. **Bypass and early exit**, in the flag-array form of AUGMECON-R (Nikas et al. 2022), which
   generalises AUGMECON2's bypass to every constrained objective: after an optimum with slacks
   ``S_k``, all grid points ``e' with e_k <= e'_k <= e_k + S_k`` have the same optimum and are
   flagged (``floor(S_k / step_k)`` points per axis); after an infeasible grid point all points
   at least as demanding are flagged (early exit). Flagged points are never solved.
4. Points are merged, dominated and duplicate points removed.

Parallelism: the outermost grid axis is cut into contiguous blocks, each solved by a worker that
compiles its own copy of the model (see :mod:`solvers.executor`). Blocks do not share flags, so a
parallel run may solve a few more grid points than a serial one; the front is the same.

Completeness of exact mode
--------------------------
The grid of a constrained objective k must start at or below the worst value ``g_k`` takes on
*any* non-dominated point. The payoff table's column minimum is such a bound only for two
objectives (when ``g_1`` is integer-valued, the lexicographic optimum of ``g_1`` has the worst
``g_2`` of the front: any point with a smaller ``g_2`` is dominated by it). With three or more it
can be too optimistic (the audit's 20-item knapsack lost 10 of 104 points). So exact mode starts
each constrained axis at a **proven lower bound**: ``min g_k`` over the *feasible* set (one MILP
per constrained objective, :func:`feasible_minimum`; HiGHS's dual bound is used, so even a solve
stopped early gives a valid bound). Every non-dominated point is feasible, hence inside the grid.
AUGMECON-R's flags keep the extra low cells cheap: the first solve of each row flags every cell
below the point it returns, so the cells below the true nadir are bypassed, not solved.

The argument that every non-dominated point ``y`` is found: at grid point ``e = (y_2..y_p)`` the
optimum ``x*`` has ``g_1(x*) >= y_1`` (the augmentation cannot trade a unit of an
integer-valued ``g_1``, and a non-integer ``g_1`` is maximised first, see above) and
``g_k(x*) >= y_k``, so ``g(x*) = y`` since ``y`` is non-dominated. If ``e`` was bypassed, the
point that flagged it is feasible at ``e`` and optimal there (the feasible set only shrank), so
it is ``y``; an early exit never flags ``e`` (``y`` is feasible there). A caller's ``nadir=``
tighter than the proven bound makes the grid smaller, but the front is then *not* claimed exact
(points beyond it are not looked for); so does a proven grid of more than
:data:`MAX_EXACT_CELLS` cells, which falls back to the payoff-table nadir with a note.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pyomo.environ as pyo

from solvers.highs import StandardFormModel
from solvers.interrupt import stage
from solvers.options import SolveOptions
from solvers.pareto import ParetoResult, merge, summarise_values
from solvers.result import Termination
from solvers.run_settings import RunSettings, resolve

#: Augmentation weight (AUGMECON's delta), small enough not to trade primary-objective units.
DELTA = 1e-3

#: Largest exact grid (cells) built from the proven lower bounds; beyond it the payoff-table
#: nadir is used and exactness is not claimed (the flag array holds one byte per cell).
MAX_EXACT_CELLS = 50_000_000

ObjectiveSpec = Sequence[str] | Mapping[str, str] | None


# --------------------------------------------------------------------------------------------
# Objectives of a Pyomo model
# --------------------------------------------------------------------------------------------


def model_objectives(model: pyo.Block) -> dict[str, str]:
    """Every objective of ``model`` (active or not) by name, with its sense ``"min"``/``"max"``.

    ``ObjectiveList`` entries are named like ``obj_list[1]``, as Pyomo names them.
    """
    return {
        obj.name: ("max" if obj.sense == pyo.maximize else "min")
        for obj in model.component_data_objects(pyo.Objective, descend_into=True)
    }


def resolve_objectives(model: pyo.Block, objectives: ObjectiveSpec = None) -> dict[str, str]:
    """The objectives to use, by name with sense; ``None`` means every objective of the model.

    ``objectives`` is a list of names (senses from the components) or a ``{name: sense}`` map
    (the given sense overrides the component's).
    """
    available = model_objectives(model)
    if objectives is None:
        chosen = available
    else:
        if isinstance(objectives, Mapping):
            chosen = {str(k): str(v).lower() for k, v in objectives.items()}
        else:
            chosen = {}
            for name in objectives:
                if name not in available:
                    raise KeyError(
                        f"objective {name!r} not found; the model has: {', '.join(available) or 'none'}"
                    )
                chosen[name] = available[name]
        missing = [n for n in chosen if n not in available]
        if missing:
            raise KeyError(
                f"objectives {missing} not found; the model has: {', '.join(available) or 'none'}"
            )
    bad = {n: s for n, s in chosen.items() if s not in ("min", "max")}
    if bad:
        raise ValueError(f"senses must be 'min' or 'max', found {bad}")
    if len(chosen) < 2:
        raise ValueError(
            f"a front needs at least 2 objectives, found {len(chosen)} ({', '.join(chosen) or 'none'})"
        )
    return chosen


def _nonzero_values(compiled: StandardFormModel, x: np.ndarray) -> dict[str, float]:
    nz = np.flatnonzero(np.abs(x) > 1e-9)
    return {compiled.columns[i].name: float(x[i]) for i in nz}


class MultiObjectiveModel:
    """A Pyomo model with several objectives, compiled once into a live HiGHS model.

    One row per objective is added (``mo_objective_rows[k]: f_k(x)``, free until an epsilon
    bound is set) so that every objective's variables are columns, and one active objective
    ``mo_objective`` for the compiler. The original objectives are deactivated. By default the
    model is cloned first so the caller's model is left as it was.

    Parameters
    ----------
    model
        The Pyomo model.
    objectives
        Objective names (or ``{name: sense}``); default all objectives of the model.
    copy
        Clone the model before adding components (set False when the model is a private copy,
        e.g. in a worker process).
    """

    def __init__(self, model: pyo.Block, objectives: ObjectiveSpec = None, *, copy: bool = True):
        t0 = time.perf_counter()
        spec = resolve_objectives(model, objectives)
        if copy:
            model = model.clone()
        self.model = model
        self.names: tuple[str, ...] = tuple(spec)
        self.senses: tuple[str, ...] = tuple(spec.values())
        self.sign = np.array([1.0 if s == "max" else -1.0 for s in self.senses])
        exprs = [model.find_component(name).expr for name in self.names]
        for obj in model.component_data_objects(pyo.Objective, active=True):
            obj.deactivate()
        p = len(exprs)
        model.mo_objective_rows = pyo.Constraint(
            range(p),
            rule=lambda _m, k: (None, exprs[k], 0.0),
            doc="objective k as a row, bounded by the epsilon-constraint front-end",
        )
        model.mo_objective = pyo.Objective(expr=exprs[0], sense=pyo.minimize,
                                           doc="placeholder; replaced via set_objective")
        for expr in exprs:
            degree = expr.polynomial_degree()
            if degree is None or degree > 1:
                raise ValueError("multi-objective front-ends need linear objectives (MILP)")
        self.compiled = StandardFormModel(model)
        self.rows = [model.mo_objective_rows[k] for k in range(p)]
        for row in self.rows:
            self.compiled.set_constraint_bounds(row, None, None)
        pairs = [self.compiled.linear_coefficients(e) for e in exprs]
        self.C = np.vstack([c for c, _ in pairs])  # (p, ncol), own senses
        self.constant = np.array([k for _, k in pairs])
        integer = self.compiled.integer
        self.integer_valued = np.array(
            [
                bool(
                    np.all(integer[np.abs(c) > 0])
                    and np.allclose(c, np.round(c))
                    and abs(k - round(k)) < 1e-9
                )
                for c, k in pairs
            ]
        )
        self.compile_seconds = time.perf_counter() - t0
        self.solves = 0

    @property
    def p(self) -> int:
        return len(self.names)

    def values(self, x: np.ndarray) -> np.ndarray:
        """Objective values (own senses) of a column vector."""
        f = self.C @ x + self.constant
        return np.where(self.integer_valued, np.round(f), f)

    def set_bound(self, k: int, g_min: float | None) -> None:
        """Require ``g_k(x) >= g_min`` (maximisation form); ``None`` frees the row."""
        row = self.rows[k]
        if g_min is None:
            self.compiled.set_constraint_bounds(row, None, None)
        elif self.sign[k] > 0:
            self.compiled.set_constraint_bounds(row, g_min, None)
        else:
            self.compiled.set_constraint_bounds(row, None, -g_min)

    def maximise(self, weights: np.ndarray, options: SolveOptions, *, load: bool = False):
        """Maximise ``sum_k weights_k g_k(x)``; returns ``(result, x or None, f or None)``."""
        costs = (np.asarray(weights, dtype=float) * self.sign) @ self.C
        self.compiled.set_objective(costs, "max")
        result = self.compiled.run(options, load=load)
        self.solves += 1
        if not result.has_solution:
            return result, None, None
        x = self.compiled.column_values()
        return result, x, self.values(x)

    def decision(self, x: np.ndarray) -> dict[str, float]:
        return _nonzero_values(self.compiled, x)

    def record(
        self,
        x: np.ndarray,
        summary: Callable[[Any], str] | None = None,
        decision: Callable[[Any], Any] | None = None,
    ) -> tuple[Any, str]:
        """``(decision, summary)`` of a column vector, by the callbacks (solution loaded) or by default."""
        if summary is not None or decision is not None:
            self.load(x)
        values = self.decision(x)
        return (
            values if decision is None else decision(self.model),
            summarise_values(values) if summary is None else summary(self.model),
        )

    def load(self, x: np.ndarray) -> None:
        """Write a column vector into the Pyomo variables (for decision summaries)."""
        for var, val in zip(self.compiled.columns, x, strict=False):
            var.set_value(float(val), skip_validation=True)


# --------------------------------------------------------------------------------------------
# Payoff table
# --------------------------------------------------------------------------------------------


def _tolerance(value: float, integer: bool) -> float:
    return 0.0 if integer else 1e-7 * max(1.0, abs(value))


def payoff_table(
    mo: MultiObjectiveModel, options: SolveOptions
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Lexicographic payoff table (own senses) and the decision of each row.

    Row k: optimise objective k, then every other objective in order with the earlier ones held
    at their optimum (to a relative tolerance of 1e-7 unless integer-valued). Raises
    ``RuntimeError`` when an objective has no optimum (infeasible or unbounded model), and
    ``KeyboardInterrupt`` when Ctrl-C stopped a solve (not a verdict on the model).
    """
    p = mo.p
    table = np.zeros((p, p))
    decisions = []
    for k in range(p):
        order = [k] + [j for j in range(p) if j != k]
        x = None
        for j in order:
            w = np.zeros(p)
            w[j] = 1.0
            result, x_j, f = mo.maximise(w, options)
            if result.termination is Termination.INTERRUPTED:
                for row in mo.rows:
                    mo.compiled.set_constraint_bounds(row, None, None)
                raise KeyboardInterrupt  # stopped by a signal: no table, so no front to report
            if x_j is None or result.termination not in (Termination.OPTIMAL,):
                for row in mo.rows:
                    mo.compiled.set_constraint_bounds(row, None, None)
                raise RuntimeError(
                    f"payoff table: optimising {mo.names[j]!r} ended with {result.verdict}"
                )
            x = x_j
            g = mo.sign[j] * f[j]
            mo.set_bound(j, g - _tolerance(g, bool(mo.integer_valued[j])))
        for j in range(p):
            mo.set_bound(j, None)
        table[k] = mo.values(x)
        decisions.append(x)
    return table, decisions


def ideal_nadir_from_payoff(table: np.ndarray, senses: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    sign = np.array([1.0 if s == "max" else -1.0 for s in senses])
    g = table * sign
    return np.diag(g) * sign, g.min(axis=0) * sign


def feasible_minimum(
    mo: MultiObjectiveModel, k: int, options: SolveOptions
) -> tuple[float | None, int]:
    """A proven lower bound on ``g_k`` (maximisation form) over the feasible set, and the solves.

    Minimises ``g_k`` over every feasible decision (no epsilon row set). HiGHS's dual bound is
    used rather than its incumbent, so the value is a valid bound even when the solve stops
    at a gap or a limit; integer-valued objectives are rounded down. ``None`` when no finite
    bound was proven (``g_k`` unbounded below, or the solve gave no bound).
    """
    w = np.zeros(mo.p)
    w[k] = -1.0
    result, _, _ = mo.maximise(w, options)
    if result.bound is None or not math.isfinite(result.bound):
        return None, 1
    # the run maximised -sign_k C_k x (no constant): its upper bound B gives g_k >= -B + sign_k c_k
    value = -float(result.bound) + float(mo.sign[k] * mo.constant[k])
    if mo.integer_valued[k]:
        value = math.floor(value + 1e-6)
    else:
        value -= 1e-7 * max(1.0, abs(value))
    return value, 1


# --------------------------------------------------------------------------------------------
# The grid and one block of it
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grid:
    """The epsilon grid in maximisation form: axis k-1 holds the values of objective k (k >= 2)."""

    lower: np.ndarray  # g-nadir of objectives 2..p
    step: np.ndarray
    size: tuple[int, ...]
    ranges: np.ndarray  # r_k of objectives 2..p (>= tiny)

    def value(self, axis: int, index: int) -> float:
        return float(self.lower[axis] + index * self.step[axis])

    @property
    def cells(self) -> int:
        return int(np.prod(self.size))


def make_grid(
    ideal: np.ndarray, nadir: np.ndarray, sign: np.ndarray, exact: bool, points: int
) -> Grid:
    g_ideal, g_nadir = ideal * sign, nadir * sign
    r = np.maximum(g_ideal[1:] - g_nadir[1:], 0.0)
    if exact:
        lower = np.ceil(g_nadir[1:] - 1e-9)
        size = tuple(int(v) for v in np.floor(g_ideal[1:] + 1e-9) - lower + 1)
        step = np.ones(len(r))
    else:
        if points < 2:
            raise ValueError(f"points must be >= 2, found {points}")
        lower = g_nadir[1:].astype(float)
        size = tuple(points if rk > 0 else 1 for rk in r)
        step = np.where(r > 0, r / max(points - 1, 1), 1.0)
    return Grid(lower=lower, step=step, size=size, ranges=np.where(r > 0, r, 1.0))


@dataclass
class BlockOutcome:
    """What one worker returns: points (own senses), decisions, summaries, counts."""

    points: list[np.ndarray]
    decisions: list[dict[str, float]]
    summaries: list[str]
    solves: int = 0
    bypassed: int = 0
    infeasible: int = 0
    unproven: int = 0
    interrupted: bool = False
    seconds: float = 0.0


def _augmented_weights(p: int, grid: Grid, delta: float) -> np.ndarray:
    w = np.zeros(p)
    w[0] = 1.0
    for k in range(1, p):
        w[k] = delta * 10.0 ** (-(k - 1)) / grid.ranges[k - 1]
    return w


def solve_block(
    mo: MultiObjectiveModel,
    grid: Grid,
    outer: range,
    options: SolveOptions,
    *,
    delta: float = DELTA,
    lexicographic: bool = False,
    summary: Callable[[Any], str] | None = None,
    decision: Callable[[Any], Any] | None = None,
    progress: Callable[[int], None] | None = None,
) -> BlockOutcome:
    """Solve the grid points whose outermost index lies in ``outer`` (flag-array AUGMECON-R).

    Axis 0 of the grid (objective 2) is the innermost loop, the last axis the outermost.
    ``lexicographic``: two solves per grid point (``g_1``, then the slack term with ``g_1``
    held at its optimum) instead of one augmented solve, for a ``g_1`` that is not
    integer-valued (see the module docstring). ``bypassed`` counts the cells skipped because a flag covered them.
    """
    t0 = time.perf_counter()
    p = mo.p
    d = p - 1
    sizes = list(grid.size)
    sizes[-1] = len(outer)
    # Fortran order: axis 0 (objective 2) fastest, so the flat view runs in the loop's order
    flags = np.zeros(sizes, dtype=bool, order="F")
    flat = flags.reshape(-1, order="F")
    out = BlockOutcome([], [], [])
    weights = _augmented_weights(p, grid, delta)
    if lexicographic:
        # stage 1 maximises g_1 alone; stage 2 the slack term with g_1 held (_second_stage)
        stage1 = np.zeros(p)
        stage1[0] = 1.0
        stage1_costs = (stage1 * mo.sign) @ mo.C
        stage2 = ((weights - stage1) * mo.sign) @ mo.C
        mo.compiled.set_objective(stage1_costs, "max")
    else:
        mo.compiled.set_objective((weights * mo.sign) @ mo.C, "max")
    pos, n_cells = 0, flat.size
    try:
        while pos < n_cells:
            # skip flagged cells a chunk at a time (a proven grid may hold millions of cells,
            # nearly all of them bypassed)
            skipped = 0
            while pos < n_cells:
                chunk = flat[pos:pos + 4096]
                if chunk.all():
                    skipped += len(chunk)
                    pos += len(chunk)
                    continue
                j = int(np.argmin(chunk))
                skipped += j
                pos += j
                break
            out.bypassed += skipped
            if progress and skipped:
                progress(skipped)
            if pos >= n_cells:
                break
            local = tuple(int(i) for i in np.unravel_index(pos, sizes, order="F"))
            pos += 1
            idx = list(local)
            idx[-1] = outer[local[-1]]
            for a in range(d):
                mo.set_bound(a + 1, grid.value(a, idx[a]))
            if lexicographic:
                mo.compiled.set_objective(stage1_costs, "max")
            result = mo.compiled.run(options, load=False)
            out.solves += 1
            if lexicographic and result.has_solution:
                result = _second_stage(mo, stage2, options)
                out.solves += 1
            if progress:
                progress(1)
            if result.termination is Termination.INTERRUPTED:
                out.interrupted = True
                break
            if not result.has_solution:
                if result.termination in (Termination.INFEASIBLE, Termination.INFEASIBLE_OR_UNBOUNDED):
                    out.infeasible += 1
                    flags[tuple(slice(i, None) for i in local)] = True  # early exit
                else:
                    out.unproven += 1
                    flags[local] = True
                continue
            x = mo.compiled.column_values()
            f = mo.values(x)
            if result.termination is not Termination.OPTIMAL:
                out.unproven += 1
            g = f * mo.sign
            box = []
            for a in range(d):
                slack = g[a + 1] - grid.value(a, idx[a])
                jump = int(math.floor(slack / grid.step[a] + 1e-7)) if slack > 0 else 0
                box.append(slice(local[a], local[a] + jump + 1))
            flags[tuple(box)] = True  # bypass: these grid points share this optimum
            out.points.append(f)
            dec, text = mo.record(x, summary, decision)
            out.decisions.append(dec)
            out.summaries.append(text)
    except KeyboardInterrupt:
        out.interrupted = True
    finally:
        for k in range(p):
            mo.set_bound(k, None)
    out.seconds = time.perf_counter() - t0
    return out


def _grid_start(
    mo: MultiObjectiveModel,
    ideal: np.ndarray,
    nadir_est: np.ndarray,
    exact: bool,
    options: SolveOptions,
    notes: list[str],
) -> tuple[np.ndarray, bool, int]:
    """Where each grid axis starts (own senses), whether that is a proven bound, and the solves.

    Sampled mode: the payoff-table nadir (the grid is a sample anyway). Exact mode: the payoff
    nadir when it is provably the front's nadir (two objectives, integer-valued ``g_1``), else
    the minimum of each constrained objective over the feasible set (:func:`feasible_minimum`).
    """
    start = nadir_est.astype(float).copy()
    if not exact:
        return start, False, 0
    if mo.p == 2 and mo.integer_valued[0]:
        return start, True, 0
    solves = 0
    proven = True
    for k in range(1, mo.p):
        g_low, n = feasible_minimum(mo, k, options)
        solves += n
        if g_low is None:
            proven = False
            notes.append(f"no finite lower bound on {mo.names[k]!r} over the feasible set: its "
                         "grid starts at the payoff-table nadir (not claimed exact)")
            continue
        # never above the payoff nadir (a bound can only be looser than a value on the front)
        start[k] = min(g_low, nadir_est[k] * mo.sign[k]) * mo.sign[k]
    return start, proven, solves


def _second_stage(mo: MultiObjectiveModel, stage2: np.ndarray, options: SolveOptions) -> Any:
    """Hold ``g_1`` at the first stage's optimum and maximise the slack term; the second result.

    ``g_1`` is held to a relative 1e-9 (far inside any gap between distinct values of a
    sensibly scaled objective, and above the rounding of its row activity); the first-stage
    point satisfies the bound, so the second stage is feasible. A second stage that ends
    without a solution (a limit, Ctrl-C) is returned as it is: the caller counts the grid point
    unproven (or interrupted) and keeps no point for it.
    """
    x1 = mo.compiled.column_values()
    g1 = float(mo.sign[0] * (mo.C[0] @ x1 + mo.constant[0]))
    mo.set_bound(0, g1 - 1e-9 * max(1.0, abs(g1)))
    mo.compiled.set_objective(stage2, "max")
    try:
        second = mo.compiled.run(options, load=False)
    finally:
        mo.set_bound(0, None)
    return second


def _block_task(task: dict[str, Any], progress: Callable[[int], None] | None = None) -> BlockOutcome:
    """Worker entry point: compile a private copy of the model and solve one block."""
    # copy=True: with an in-process Dask cluster the task shares the caller's model object
    mo = MultiObjectiveModel(task["model"], task["objectives"], copy=True)
    return solve_block(
        mo, task["grid"], task["outer"], task["options"], delta=task["delta"],
        lexicographic=task["lexicographic"],
        summary=task["summary"], decision=task["decision"], progress=progress,
    )


# --------------------------------------------------------------------------------------------
# The front-end
# --------------------------------------------------------------------------------------------


def epsilon_front(
    model: pyo.Block,
    objectives: ObjectiveSpec = None,
    *,
    exact: bool | None = None,
    points: int = 21,
    nadir: Sequence[float] | None = None,
    options: SolveOptions | None = None,
    run: RunSettings | None = None,
    delta: float = DELTA,
    **run_keywords: Any,
) -> ParetoResult:
    """The front of a multi-objective MILP by AUGMECON2 with AUGMECON-R flags.

    The run is five steps (the module docstring's): compile the model and settle exact or
    sampled mode (:func:`_prepare`); the lexicographic payoff table (:func:`payoff_table`); the
    grid, from a proven bound or a given nadir (:func:`_plan_grid`); its blocks, in this process
    or on workers (:func:`_solve_grid`); the merged front with notes saying what was proven
    (:func:`_epsilon_notes`).

    Parameters
    ----------
    model
        Pyomo model with at least two (linear) objectives; left unchanged.
    objectives
        Names (or ``{name: sense}``) of the objectives, the first being the one optimised on the
        grid; default: every objective of the model in declaration order.
    exact
        ``True``: grid step 1 (every non-dominated point; requires integer-valued constrained
        objectives 2..p); ``False``: ``points`` grid points per constrained objective; ``None``:
        exact when objectives 2..p are integer-valued.
    points
        Grid points per constrained objective in sampled mode.
    nadir
        Override the payoff-table nadir estimate (own senses, all p objectives).
    options
        HiGHS options per solve. In exact mode, unless ``mip_rel_gap`` is given, it is set to 0
        so that each grid optimum is proven (a gap could return a weakly dominated point).
    run
        How the run goes (:class:`solvers.run_settings.RunSettings`): ``workers``/``scheduler``
        run blocks of the outer grid axis on a local process pool or a Dask scheduler
        (:func:`solvers.executor.run_tasks`), ``blocks`` their number (default: 4 per pool
        process or per thread of the Dask cluster, 1 in-process), ``summary(model) -> str`` and
        ``decision(model) -> object`` record each point with the solution loaded into the Pyomo
        model (default: the non-zero variables), ``progress`` shows a bar over grid points
        (serial) or blocks (parallel).
    run_keywords
        The same settings as keywords (``workers=2, progress=True``), as this function took them
        before ``run``; they override ``run``'s fields.
    """
    run = resolve(run, run_keywords, function="epsilon_front")
    t0 = time.perf_counter()
    mo, exact, options = _prepare(model, objectives, exact, options)
    stage("epsilon.payoff")
    table, payoff_x = payoff_table(mo, options)
    ideal, nadir_est = ideal_nadir_from_payoff(table, mo.senses)
    notes: list[str] = []
    plan = _plan_grid(mo, ideal, nadir_est, exact, points, nadir, options, notes)
    payoff_solves = mo.solves
    t_payoff = time.perf_counter() - t0
    # delta can only be proven not to trade g_1 when g_1 moves in whole units (module docstring)
    lexicographic = exact and not bool(mo.integer_valued[0])

    stage("epsilon.grid", checked=False)  # after a stop the grid's first solve ends it, keeping the payoff rows
    outcomes, interrupted, n_blocks = _solve_grid(mo, model, plan.grid, options, run, delta=delta,
                                                  lexicographic=lexicographic)
    pts, decisions, summaries = with_payoff_rows(
        mo, run, table, payoff_x, [f for o in outcomes for f in o.points],
        [d for o in outcomes for d in o.decisions], [s for o in outcomes for s in o.summaries])
    unproven = sum(o.unproven for o in outcomes)
    notes = _epsilon_notes(notes, exact=exact, proven=plan.proven, points=points,
                           interrupted=interrupted, unproven=unproven)
    # normalisation: the caller's nadir, else the worst value found (the payoff rows are among
    # the candidates, so never better than the payoff-table nadir; the true nadir when exact)
    nadir_norm = (np.asarray(nadir, dtype=float) if nadir is not None
                  else (np.asarray(pts) * mo.sign).min(axis=0) * mo.sign)
    wall = time.perf_counter() - t0
    return merge(
        "epsilon",
        mo.names,
        mo.senses,
        pts,
        decisions,
        summaries,
        exact=exact and plan.proven and not interrupted and unproven == 0,
        complete=not interrupted and unproven == 0,
        solves=payoff_solves + sum(o.solves for o in outcomes),
        timings={"payoff_table": t_payoff, "grid": wall - t_payoff, "total": wall,
                 "compile": mo.compile_seconds},
        ideal=ideal,
        nadir=nadir_norm,
        payoff=table,
        notes=tuple(notes),
        settings={"exact": exact, "points": None if exact else points, "delta": delta,
                  "grid_size": list(plan.grid.size), "grid_step": plan.grid.step.tolist(),
                  "grid_from": plan.grid_from[1:].tolist(), "grid_from_proven": plan.proven,
                  "payoff_nadir": nadir_est.tolist(), "bound_solves": plan.bound_solves,
                  "bypassed": sum(o.bypassed for o in outcomes),
                  "infeasible_grid_points": sum(o.infeasible for o in outcomes),
                  "second_stage": lexicographic, "interrupted": bool(interrupted),
                  "workers": run.workers, "scheduler": run.scheduler, "blocks": n_blocks},
    )


def _prepare(
    model: pyo.Block, objectives: ObjectiveSpec, exact: bool | None, options: SolveOptions | None
) -> tuple[MultiObjectiveModel, bool, SolveOptions]:
    """Step 1: the compiled model, exact or sampled mode, and the options of every solve."""
    options = options or SolveOptions()
    mo = MultiObjectiveModel(model, objectives)
    # Exactness needs integer values only on the constrained objectives (2..p): their grid of
    # step 1 then contains every non-dominated value, and the primary objective is optimised.
    if exact is None:
        exact = bool(mo.integer_valued[1:].all())
    elif exact and not mo.integer_valued[1:].all():
        bad = [n for n, i in zip(mo.names[1:], mo.integer_valued[1:], strict=True) if not i]
        raise ValueError(
            f"exact mode needs integer-valued objectives (integer coefficients on integer "
            f"variables); not integer-valued: {bad}"
        )
    if exact and options.mip_rel_gap is None:
        options = replace(options, mip_rel_gap=0.0)
    return mo, bool(exact), options


@dataclass(frozen=True)
class GridPlan:
    """Where the grid starts (own senses), whether that is a proven bound on every non-dominated
    point (see "Completeness of exact mode"), the grid, and the solves spent on the bounds."""

    grid: Grid
    grid_from: np.ndarray
    proven: bool
    bound_solves: int


def _plan_grid(
    mo: MultiObjectiveModel,
    ideal: np.ndarray,
    nadir_est: np.ndarray,
    exact: bool,
    points: int,
    nadir: Sequence[float] | None,
    options: SolveOptions,
    notes: list[str],
) -> GridPlan:
    """Step 3: the grid -- from the proven bounds (:func:`_grid_start`), or the caller's
    ``nadir`` (then not claimed exact when it is tighter), or the payoff-table nadir when the
    proven grid would be too large; ``notes`` gets the reason for each."""
    grid_from, proven, lower_solves = _grid_start(mo, ideal, nadir_est, exact, options, notes)
    if nadir is not None:
        nadir_given = np.asarray(nadir, dtype=float)
        if nadir_given.shape != (mo.p,):
            raise ValueError(f"nadir needs {mo.p} values, found {len(nadir_given)}")
        g_given, g_from = nadir_given * mo.sign, grid_from * mo.sign
        if exact and proven and np.any(g_given[1:] > g_from[1:] + 1e-9):
            proven = False
            notes.append(f"nadir given by the caller ({nadir_given.tolist()}) is tighter than the "
                         f"proven bound ({grid_from.tolist()}): every non-dominated point within it "
                         "is found, points beyond it are not looked for (not claimed exact)")
        grid_from = nadir_given
    grid = make_grid(ideal, grid_from, mo.sign, exact, points)
    if exact and proven and grid.cells > MAX_EXACT_CELLS and nadir is None:
        proven = False
        notes.append(f"the proven grid would have {grid.cells:,} cells (> {MAX_EXACT_CELLS:,}): it "
                     "starts at the payoff-table nadir instead, which may miss points with 3+ "
                     "objectives (not claimed exact; pass nadir= with a known bound)")
        grid_from = nadir_est
        grid = make_grid(ideal, grid_from, mo.sign, exact, points)
    return GridPlan(grid=grid, grid_from=grid_from, proven=bool(proven), bound_solves=lower_solves)


def _solve_grid(
    mo: MultiObjectiveModel,
    model: pyo.Block,
    grid: Grid,
    options: SolveOptions,
    run: RunSettings,
    *,
    delta: float,
    lexicographic: bool,
) -> tuple[list[BlockOutcome], bool, int]:
    """Step 4: the grid's blocks of the outer axis -- one, in this process, on the compiled
    model; several, as tasks that each compile a copy (:func:`solvers.executor.run_tasks`).
    Returns the finished blocks' outcomes, whether the run was interrupted, and the block count."""
    from solvers.executor import run_tasks, task_count

    n_outer = grid.size[-1]
    n_blocks = task_count(n_outer, workers=run.workers, scheduler=run.scheduler, blocks=run.blocks)
    bounds = np.linspace(0, n_outer, n_blocks + 1).round().astype(int)
    block_ranges = [range(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=False) if b > a]
    if len(block_ranges) == 1 and run.scheduler is None:
        bar = _bar(run.progress, grid.cells, "grid points")
        outcome = solve_block(mo, grid, block_ranges[0], options, delta=delta, lexicographic=lexicographic,
                              summary=run.summary, decision=run.decision,
                              progress=bar.update if bar else None)
        if bar:
            bar.close()
        return [outcome], outcome.interrupted, len(block_ranges)
    tasks = [
        {"model": model, "objectives": dict(zip(mo.names, mo.senses, strict=False)), "grid": grid,
         "outer": blk, "options": options, "delta": delta, "lexicographic": lexicographic,
         "summary": run.summary, "decision": run.decision}
        for blk in block_ranges
    ]
    results, interrupted = run_tasks(_block_task, tasks, workers=run.workers, scheduler=run.scheduler,
                                     progress=run.progress, desc="epsilon blocks")
    outcomes = [r for r in results if r is not None]
    return outcomes, interrupted or any(o.interrupted for o in outcomes), len(block_ranges)


def with_payoff_rows(
    mo: MultiObjectiveModel,
    run: RunSettings,
    table: np.ndarray,
    payoff_x: Sequence[np.ndarray],
    points: list[np.ndarray],
    decisions: list[Any],
    summaries: list[str],
) -> tuple[list[np.ndarray], list[Any], list[str]]:
    """The candidate points of a front: those found, then the payoff table's rows (lexicographic
    optima are non-dominated), each with its decision and summary (``run``'s callbacks)."""
    points = [*points, *table]
    decisions, summaries = list(decisions), list(summaries)
    for x in payoff_x:
        dec, text = mo.record(x, run.summary, run.decision)
        decisions.append(dec)
        summaries.append(text)
    return points, decisions, summaries


def _epsilon_notes(
    notes: list[str], *, exact: bool, proven: bool, points: int, interrupted: bool, unproven: int
) -> list[str]:
    """Step 5's notes: what the grid proves ("every point is found" holds only for a grid run to
    its end with every solve proven), after the notes of the grid's planning."""
    notes = list(notes)
    ran_out = ("it was interrupted" if interrupted
               else f"{unproven} grid solve(s) ended without proven optimality" if unproven else "")
    if exact and proven:
        notes.insert(0, "exact mode: grid step 1 on integer-valued objectives, each starting at a "
                     "proven bound on the front; " + (f"a complete run finds every non-dominated point, "
                                                     f"but {ran_out}: points may be missing" if ran_out
                                                     else "every non-dominated point is found"))
    elif exact:
        notes.insert(0, "grid step 1 on integer-valued objectives: " + (
            f"a complete run finds every non-dominated point within the grid's bounds, but {ran_out}: "
            "points may be missing" if ran_out else "every non-dominated point within the grid's bounds is found"))
    else:
        notes.append(f"sampled grid: {points} points per constrained objective (not exhaustive)")
    if unproven:
        notes.append(f"{unproven} grid solves ended without proven optimality")
    if interrupted:
        notes.append("interrupted: the front holds the points found so far")
    return notes


def _bar(enabled: bool, total: int, desc: str):
    from solvers.progress import bar

    return bar(total, desc=desc, unit="pt", enabled=enabled)  # tqdm on a terminal, plain lines in a log
