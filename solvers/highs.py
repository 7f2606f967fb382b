"""The HiGHS runner: one ``solve()`` with two hand-offs.

LP / MILP
    Pyomo's standard-form compiler (``LinearStandardFormCompiler``, mixed form: each row keeps
    its own sense) turns the model into scipy/numpy arrays, which go to
    ``highspy.Highs.passModel`` in one call. Measured against Pyomo's own HiGHS plugins this
    halves the hand-off overhead, and the loaded ``Highs`` object stays alive in
    :class:`StandardFormModel` so that a caller (the epsilon-constraint front-end) can change a
    bound and re-solve without rebuilding anything.
Convex QP
    Pyomo's ``highs`` interface from ``pyomo.contrib.solver`` (the older ``appsi_highs``
    rejects quadratic objectives). Chosen automatically when the objective has degree 2.

Both paths return a :class:`~solvers.result.SolveResult`; neither raises on a non-optimal
outcome. Solutions are written back into the Pyomo variables and also returned as one tidy
DataFrame per variable component.

Every ``Highs`` is made quietly and every run can be stopped by Ctrl-C
(:mod:`solvers.interrupt`); inside a :func:`solvers.progress.live` block a run reports its
incumbent, bound and gap to the live progress line (:class:`solvers.progress.feed`).

Threads: the Pyomo phases (compile, loading a solution back, coefficient extraction, the whole
QP solve) hold :data:`solvers.building.pyomo_lock`; ``Highs.run`` on a compiled model does not,
so runs of several threads proceed in parallel (highspy releases the GIL while HiGHS runs).
Why the line falls there: :mod:`solvers.building`.
"""

from __future__ import annotations

import contextlib
import functools
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import highspy
import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from solvers import progress
from solvers.building import pyomo_lock
from solvers.interrupt import NOT_STARTED, StopOnSigint, highs_version, new_highs
from solvers.options import SolveOptions
from solvers.result import (
    Infeasibility,
    ModelDataError,
    SolutionStatus,
    SolveResult,
    Termination,
    Timings,
)

_INF = highspy.kHighsInf

#: HiGHS model status (by enum name) -> our termination. Anything else maps to UNKNOWN.
_HIGHS_TERMINATION: dict[str, Termination] = {
    "kOptimal": Termination.OPTIMAL,
    "kModelEmpty": Termination.OPTIMAL,
    "kInfeasible": Termination.INFEASIBLE,
    "kUnbounded": Termination.UNBOUNDED,
    "kUnboundedOrInfeasible": Termination.INFEASIBLE_OR_UNBOUNDED,
    "kTimeLimit": Termination.TIME_LIMIT,
    "kIterationLimit": Termination.ITERATION_LIMIT,
    "kSolutionLimit": Termination.SOLUTION_LIMIT,
    "kObjectiveBound": Termination.OBJECTIVE_LIMIT,
    "kObjectiveTarget": Termination.OBJECTIVE_LIMIT,
    "kInterrupt": Termination.INTERRUPTED,
    "kHighsInterrupt": Termination.INTERRUPTED,
    "kLoadError": Termination.ERROR,
    "kModelError": Termination.ERROR,
    "kPresolveError": Termination.ERROR,
    "kSolveError": Termination.ERROR,
    "kPostsolveError": Termination.ERROR,
    "kMemoryLimit": Termination.ERROR,
}

#: pyomo.contrib.solver TerminationCondition (by name) -> our termination.
_CONTRIB_TERMINATION: dict[str, Termination] = {
    "convergenceCriteriaSatisfied": Termination.OPTIMAL,
    "maxTimeLimit": Termination.TIME_LIMIT,
    "iterationLimit": Termination.ITERATION_LIMIT,
    "objectiveLimit": Termination.OBJECTIVE_LIMIT,
    "minStepLength": Termination.ERROR,
    "provenInfeasible": Termination.INFEASIBLE,
    "locallyInfeasible": Termination.INFEASIBLE,
    "infeasibleOrUnbounded": Termination.INFEASIBLE_OR_UNBOUNDED,
    "unbounded": Termination.UNBOUNDED,
    "interrupted": Termination.INTERRUPTED,
    "licensingProblems": Termination.ERROR,
    "error": Termination.ERROR,
    "emptyModel": Termination.OPTIMAL,
}


#: Terminations whose point, if HiGHS returns one, is not a solution (e.g. a ray's start).
_NO_SOLUTION = frozenset(
    {Termination.INFEASIBLE, Termination.UNBOUNDED, Termination.INFEASIBLE_OR_UNBOUNDED}
)


#: HiGHS IIS options and statuses by value (highspy binds the strategy enum only in recent
#: releases and the model-status enum not at all): find the subsystem from an LP solve and
#: reduce it to an irreducible one; the search's verdict on the LP it was given.
_IIS_FROM_LP_IRREDUCIBLE = 2 | 4
_IIS_FEASIBLE, _IIS_TIME_LIMIT, _IIS_REDUCIBLE, _IIS_IRREDUCIBLE = -1, 1, 2, 3
#: Wall-clock seconds the search for an infeasible subsystem may take before it is cut short
#: (it solves one LP per candidate row; it is a courtesy after the real answer, "infeasible").
IIS_SECONDS = 30.0


#: ``pool.threads``: the ``threads`` of the last run in this thread that asked for a count
#: (absent: none yet). Per thread, as HiGHS's pools are.
_POOL = threading.local()


def _fit_thread_pool(threads: Any) -> None:
    """Restart the calling thread's HiGHS worker pool when a run asks for a different count.

    HiGHS keeps one worker pool per thread that calls ``run`` (a thread-local executor since
    HiGHS 1.3), sized at that thread's first run; a later run in the same thread whose
    ``threads`` differs stops before solving (model status ``kNotset``, and no message through
    the API) -- so one thread could not solve a model with ``threads=1`` after another with the
    default. ``resetGlobalScheduler`` drops the calling thread's pool only; the next run starts
    one of the size it asks for. So the count last asked for is remembered per thread too: a
    process-wide record let a thread skip the restart because *another* thread had asked for
    its count (then: ``unknown``, no solve), and dropping a pool never touches a run in flight
    in another thread. A run that leaves ``threads`` to HiGHS uses whatever pool its thread
    has, so it never needs this.
    """
    if threads is None:
        return
    threads = int(threads)
    if getattr(_POOL, "threads", None) != threads:
        highspy.Highs.resetGlobalScheduler(True)
        _POOL.threads = threads


class _RootBound:
    """Records a MILP's dual bound at the end of its root node, through highspy's MIP
    interrupt callback (HiGHS calls it at every limit check, a few times per node).

    The callback's ``data_out`` carries ``mip_node_count`` and ``mip_dual_bound`` (objective
    offset included, model sense): the last finite bound seen while the node count is 0 is the
    root's, and it counts as the root bound once a later call shows a node processed (or the
    solve ended optimal, the root having settled it). A highspy without this callback or these
    fields gives ``None``, never an error; the cost is one Python call per check, which is what
    the Ctrl-C handler already pays.
    """

    def __init__(self, highs: Any) -> None:
        self.highs = highs
        self.at_root: float | None = None
        self.left_root = False
        self.active = False

    def _record(self, event: Any) -> None:
        # Called by HiGHS; never raise here (an exception makes HiGHS fail the solve).
        if self.left_root:
            return
        try:
            out = event.data_out
            if int(out.mip_node_count) > 0:
                self.left_root = True
                return
            bound = float(out.mip_dual_bound)
        except Exception:  # noqa: BLE001 - an older data_out without these fields: no root bound
            return
        if math.isfinite(bound):
            self.at_root = bound

    def __enter__(self) -> _RootBound:
        if self.highs is None:  # an LP: no root to speak of
            return self
        try:
            self.highs.cbMipInterrupt.subscribe(self._record)
            self.active = True
        except Exception:  # noqa: BLE001 - an old highspy without callbacks: no root bound
            self.active = False
        return self

    def __exit__(self, *exc: object) -> None:
        if self.active:
            with contextlib.suppress(Exception):
                self.highs.cbMipInterrupt.unsubscribe(self._record)

    def value(self, optimal: bool, final_bound: float | None) -> float | None:
        """The root bound, or ``None`` if the solve stopped inside the root (or was not seen)."""
        if not self.active:
            return None
        if self.left_root:
            return self.at_root
        return final_bound if optimal else None


# --------------------------------------------------------------------------------------------
# Tidy tables of variable values
# --------------------------------------------------------------------------------------------


def _get_iis(h: highspy.Highs) -> tuple[Any, Any]:
    """``(status, iis)`` from HiGHS's IIS search on any supported highspy: recent releases return
    both; older ones (1.10-1.13) fill a ``HighsIis`` passed in and return the status."""
    try:
        return h.getIis()
    except TypeError:
        iis = highspy.HighsIis()
        return h.getIis(iis), iis


def variable_frames(columns: Sequence[Any], values: np.ndarray) -> dict[str, pd.DataFrame]:
    """One tidy DataFrame per Var component: ``index_0 .. index_{d-1}, value``.

    Columns are grouped by their parent component in one pass; the index tuples become
    DataFrame columns in bulk.
    """
    groups: dict[str, tuple[list[Any], list[float]]] = {}
    for var, val in zip(columns, values, strict=True):
        name = var.parent_component().name
        entry = groups.get(name)
        if entry is None:
            entry = groups[name] = ([], [])
        entry[0].append(var.index())
        entry[1].append(val)
    frames: dict[str, pd.DataFrame] = {}
    for name, (index, vals) in groups.items():
        if len(index) == 1 and index[0] is None:
            frames[name] = pd.DataFrame({"value": vals})
            continue
        first = index[0]
        if isinstance(first, tuple):
            frame = pd.DataFrame(index, columns=[f"index_{d}" for d in range(len(first))])
        else:
            frame = pd.DataFrame({"index_0": index})
        frame["value"] = vals
        frames[name] = frame
    return frames


def _objective(model: pyo.Block) -> Any:
    objectives = list(model.component_data_objects(pyo.Objective, active=True))
    if len(objectives) != 1:
        raise ValueError(
            f"solve() needs exactly one active objective, found {len(objectives)}; "
            "deactivate the others (multi-objective front-ends do this for you)"
        )
    return objectives[0]


# --------------------------------------------------------------------------------------------
# LP / MILP: standard form -> highspy arrays
# --------------------------------------------------------------------------------------------


class StandardFormModel:
    """A Pyomo LP/MILP compiled to arrays and held in a live ``highspy.Highs`` object.

    Build once, then :meth:`run` as often as needed; between runs a caller may change the bounds
    of a constraint (:meth:`set_constraint_bounds`) or a variable (:meth:`set_variable_bounds`)
    and HiGHS warm-starts from its previous state.
    """

    def __init__(self, model: pyo.Block) -> None:
        t0 = time.perf_counter()
        self.model = model
        with pyomo_lock:  # the compiler's first use fills class attributes: see solvers.building
            self.objective = _objective(model)
            info = LinearStandardFormCompiler().write(model, mixed_form=True, set_sense=None)
            self.columns: list[Any] = list(info.columns)
            self.rows: list[tuple[Any, int]] = list(info.rows)
            ncol = len(self.columns)
            self.is_max = self.objective.sense == pyo.maximize
            # One pass over the columns (each bounds lookup resolves the domain: do it once).
            bounds = np.array([v.bounds for v in self.columns], dtype=float).reshape(ncol, 2)
            self.integer = np.fromiter((v.is_integer() for v in self.columns), bool, ncol)
        nrow = len(self.rows)
        cost = np.asarray(info.c.toarray()).ravel() if ncol else np.zeros(0)
        offset = float(info.c_offset[0]) if len(info.c_offset) else 0.0
        lower = np.where(np.isnan(bounds[:, 0]), -_INF, bounds[:, 0])
        upper = np.where(np.isnan(bounds[:, 1]), _INF, bounds[:, 1])

        rhs = np.asarray(info.rhs, dtype=float)
        sense = np.fromiter((s for _, s in self.rows), np.int8, nrow)
        row_lower = np.where(sense <= 0, rhs, -_INF)
        row_upper = np.where(sense >= 0, rhs, _INF)

        A = info.A.tocsc()
        self.highs = new_highs()
        self._check_magnitudes(A, cost)
        status = self.highs.passModel(
            ncol,
            nrow,
            int(A.nnz),
            int(highspy.MatrixFormat.kColwise),
            int(highspy.ObjSense.kMaximize if self.is_max else highspy.ObjSense.kMinimize),
            offset,
            cost.astype(float),
            lower,
            upper,
            row_lower,
            row_upper,
            A.indptr.astype(np.int32),
            A.indices.astype(np.int32),
            A.data.astype(float),
            self.integer.astype(np.int32),
        )
        if status == highspy.HighsStatus.kError:
            raise ModelDataError(f"HiGHS rejected the model {model.name!r} (passModel returned an error)")
        self.size = {
            "rows": nrow,
            "columns": ncol,
            "nonzeros": int(A.nnz),
            "integers": int(self.integer.sum()),
        }
        self.is_mip = bool(self.integer.any())
        self._runs = 0
        self.compile_seconds = time.perf_counter() - t0

    @classmethod
    def from_lp(cls, lp: highspy.HighsLp, name: str) -> StandardFormModel:
        """A model handed over as HiGHS arrays, with no Pyomo model behind it.

        For a family that builds a large model in bulk (the p-median at population-grid scale:
        10^5 rows and more, where Pyomo's components would cost gigabytes): it runs, re-runs and
        is interrupted as any other, and its results carry no variable tables -- the caller reads
        :meth:`column_values`, in the order of its own arrays.
        """
        t0 = time.perf_counter()
        self = cls.__new__(cls)
        self.model, self.objective, self.name = None, None, name
        self.columns, self.rows = [], []
        self.is_max = lp.sense_ == highspy.ObjSense.kMaximize
        ncol = int(lp.num_col_)
        kinds = list(lp.integrality_)
        self.integer = np.array([k == highspy.HighsVarType.kInteger for k in kinds], dtype=bool) if kinds \
            else np.zeros(ncol, dtype=bool)
        self.highs = new_highs()
        if self.highs.passModel(lp) == highspy.HighsStatus.kError:
            raise ModelDataError(f"HiGHS rejected the model {name!r} (passModel returned an error)")
        self.size = {"rows": int(lp.num_row_), "columns": ncol, "nonzeros": len(lp.a_matrix_.value_),
                     "integers": int(self.integer.sum())}
        self.is_mip = bool(self.integer.any())
        self._runs = 0
        self.compile_seconds = time.perf_counter() - t0
        return self

    def _check_magnitudes(self, A: Any, cost: np.ndarray) -> None:
        """Name the first number HiGHS would refuse (instead of its bare passModel error)."""
        big = float(self.highs.getOptionValue("large_matrix_value")[1])
        if A.nnz:
            k = int(np.argmax(np.abs(A.data)))
            if abs(A.data[k]) >= big:
                col = int(np.searchsorted(A.indptr, k, side="right") - 1)
                row = self.rows[int(A.indices[k])][0]
                raise ModelDataError(
                    f"coefficient {A.data[k]:.6g} of {self.columns[col].name} in constraint {row.name} is "
                    f"at or beyond HiGHS's limit {big:.0e}: check the magnitudes (units) of the data behind it"
                )
        inf_cost = float(self.highs.getOptionValue("infinite_cost")[1])
        if len(cost):
            k = int(np.argmax(np.abs(cost)))
            if abs(cost[k]) >= inf_cost:
                raise ModelDataError(
                    f"objective coefficient {cost[k]:.6g} of {self.columns[k].name} is at or beyond "
                    f"HiGHS's limit {inf_cost:.0e}: check the magnitudes (units) of the data behind it"
                )

    # -- modifications between runs ----------------------------------------------------------
    def set_constraint_bounds(self, con: Any, lower: float | None, upper: float | None) -> None:
        """Change the bounds ``lower <= body <= upper`` of a linear constraint in the loaded model.

        In mixed form the compiler keeps each row unscaled (row = linear part of the body,
        right-hand side = bound - constant of the body) and splits a ranged constraint into an
        upper and a lower row; the first row carries the new bounds and the second is freed.
        """
        rows = self._row_index.get(id(con))
        if not rows:
            raise KeyError(f"constraint {con.name} is not in the compiled model")
        const = self._body_constant(con)
        lo = -_INF if lower is None else float(lower) - const
        up = _INF if upper is None else float(upper) - const
        self.highs.changeRowBounds(rows[0], lo, up)
        for r in rows[1:]:
            self.highs.changeRowBounds(r, -_INF, _INF)

    # The indexes below are built on first use (only re-solves need them), one idiom for all:
    # functools.cached_property.

    @functools.cached_property
    def _row_index(self) -> dict[int, list[int]]:
        """Constraint (by id) -> its rows (a ranged constraint has two)."""
        index: dict[int, list[int]] = {}
        for r, (con, _) in enumerate(self.rows):
            index.setdefault(id(con), []).append(r)
        return index

    @functools.cached_property
    def _col_index(self) -> dict[int, int]:
        """Variable (by id) -> its column."""
        return {id(v): i for i, v in enumerate(self.columns)}

    @functools.cached_property
    def _body_constants(self) -> dict[int, float]:
        """Constraint (by id) -> the constant of its body, filled as constraints are changed."""
        return {}

    def _body_constant(self, con: Any) -> float:
        cache = self._body_constants
        if id(con) not in cache:
            from pyomo.repn import generate_standard_repn

            with pyomo_lock:  # generate_standard_repn sets a module global per call
                cache[id(con)] = float(generate_standard_repn(con.body, compute_values=True).constant)
        return cache[id(con)]

    def set_variable_bounds(self, var: Any, lower: float | None, upper: float | None) -> None:
        col = self._column_of(var)
        self.highs.changeColBounds(
            col, -_INF if lower is None else float(lower), _INF if upper is None else float(upper)
        )

    def set_columns_bounds(self, columns: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """:meth:`set_variable_bounds` for many columns (indices from :meth:`column_of`) in one call."""
        cols = np.asarray(columns, dtype=np.int32)
        if len(cols):
            self.highs.changeColsBounds(len(cols), cols, np.asarray(lower, dtype=float),
                                        np.asarray(upper, dtype=float))

    def linear_coefficients(self, expr: Any) -> tuple[np.ndarray, float]:
        """Dense coefficient vector over :attr:`columns` and the constant of a linear expression.

        Every variable of ``expr`` must be a column of the compiled model (it appears in an
        active constraint or in the objective it was compiled with).
        """
        from pyomo.repn import generate_standard_repn

        with pyomo_lock:  # generate_standard_repn sets a module global per call
            repn = generate_standard_repn(expr, compute_values=True, quadratic=False)
        if repn.nonlinear_expr is not None:
            raise ValueError("expected a linear expression")
        coefs = np.zeros(len(self.columns))
        for var, coef in zip(repn.linear_vars, repn.linear_coefs, strict=True):
            coefs[self._column_of(var)] += float(coef)
        return coefs, float(repn.constant)

    def set_objective(
        self, objective: Any, sense: str | int | None = None, *, offset: float = 0.0
    ) -> None:
        """Replace the objective of the loaded model (costs, sense and offset) in place.

        Used by multi-objective front-ends to optimise several objectives of one compiled
        model in turn (lexicographic payoff table, weighted sums, the augmented
        epsilon-constraint objective) without recompiling.

        Parameters
        ----------
        objective
            A linear Pyomo expression (or an ``Objective`` component, whose sense is used
            unless ``sense`` is given) or a dense cost vector over :attr:`columns`.
        sense
            ``"min"``/``"max"`` or ``pyo.minimize``/``pyo.maximize``; default: the objective
            component's sense, else minimise.
        offset
            Constant added to the objective (on top of the expression's own constant).

        Notes
        -----
        :attr:`objective` (the Pyomo component the model was compiled with) is left
        untouched; the objective value a later :meth:`run` reports is the new one.
        """
        if isinstance(objective, np.ndarray):
            costs, constant = np.asarray(objective, dtype=float), 0.0
            if costs.shape != (len(self.columns),):
                raise ValueError(f"expected {len(self.columns)} costs, found shape {costs.shape}")
        else:
            if sense is None and hasattr(objective, "sense"):
                sense = objective.sense
            expr = objective.expr if hasattr(objective, "expr") else objective
            costs, constant = self.linear_coefficients(expr)
        if sense in (None, "min", pyo.minimize):
            is_max = False
        elif sense in ("max", pyo.maximize):
            is_max = True
        else:
            raise ValueError(f"sense must be 'min' or 'max', found {sense!r}")
        ncol = len(self.columns)
        self.highs.changeColsCost(ncol, np.arange(ncol, dtype=np.int32), costs)
        self.highs.changeObjectiveSense(
            highspy.ObjSense.kMaximize if is_max else highspy.ObjSense.kMinimize
        )
        self.highs.changeObjectiveOffset(constant + float(offset))
        self.is_max = is_max

    def column_values(self) -> np.ndarray:
        """The current solution's column values (integers rounded), aligned with :attr:`columns`."""
        values = np.asarray(self.highs.getSolution().col_value, dtype=float)
        if self.integer.any():
            values[self.integer] = np.round(values[self.integer]) + 0.0
        return values

    def rows_of(self, con: Any) -> list[int]:
        """The rows of a constraint in the loaded model (two for a ranged one; none if absent)."""
        return list(self._row_index.get(id(con), []))

    def column_of(self, var: Any) -> int:
        """The column of a variable in the loaded model (a KeyError names it when absent)."""
        return self._column_of(var)

    def _column_of(self, var: Any) -> int:
        try:
            return self._col_index[id(var)]
        except KeyError:
            raise KeyError(f"variable {var.name} is not in the compiled model") from None

    # -- running --------------------------------------------------------------------------------
    def run(
        self,
        options: SolveOptions | None = None,
        *,
        build_seconds: float = 0.0,
        handoff_seconds: float | None = None,
        load: bool = True,
        warm_start: bool = False,
    ) -> SolveResult:
        """Run HiGHS on the loaded model.

        ``warm_start``: hand the integer values currently held by the Pyomo variables to HiGHS
        as a (partial) MIP start; HiGHS completes the continuous part and, if the point is
        feasible, starts from it as its incumbent.
        """
        options = options or SolveOptions()
        cpu0 = time.process_time()
        if warm_start and self.is_mip and self._runs:
            self.renew()  # a fresh run clock, or HiGHS may drop the start (see renew)
        self._runs += 1
        h = self.highs
        _fit_thread_pool(options.highs_options().get("threads"))
        for name, value in options.highs_options().items():
            if h.setOptionValue(name, value) == highspy.HighsStatus.kError:
                raise ValueError(f"HiGHS does not accept option {name}={value!r}")
        if warm_start and self.is_mip:
            self.set_start()

        t0 = time.perf_counter()
        root = _RootBound(h if self.is_mip else None)
        # the live progress line's numbers (and the log above it), when the program shows one
        shown = progress.feed(h, mip=self.is_mip, log=options.tee)
        with StopOnSigint(h) as stop, root, shown:
            if stop.requested:  # Ctrl-C earlier in this interruptible() block: do not start
                return self._not_started(options, build_seconds, handoff_seconds, cpu0)
            h.run()
            status_name = h.getModelStatus().name
            if status_name == "kUnboundedOrInfeasible" and not stop.requested:
                # Presolve often cannot tell the two apart; one run without it usually can.
                h.setOptionValue("presolve", "off")
                h.run()
                h.setOptionValue("presolve", options.solver_options.get("presolve", "choose"))
                status_name = h.getModelStatus().name
        solve_seconds = time.perf_counter() - t0
        if warm_start and self.is_mip and not stop.requested and self._start_misreported(h):
            return self._again_without_start(options, build_seconds, handoff_seconds, load, solve_seconds)

        t1 = time.perf_counter()
        termination = _HIGHS_TERMINATION.get(status_name, Termination.UNKNOWN)
        info = h.getInfo()
        has_point = (
            int(info.primal_solution_status) == 2 or status_name == "kModelEmpty"
        ) and termination not in _NO_SOLUTION
        objective = bound = gap = None
        frames: dict[str, pd.DataFrame] = {}
        if has_point:
            values = np.asarray(h.getSolution().col_value, dtype=float)
            if self.integer.any():
                values[self.integer] = np.round(values[self.integer]) + 0.0  # no -0.0
            objective = float(info.objective_function_value)
            if status_name == "kModelEmpty":
                objective = float(h.getLp().offset_)
            with pyomo_lock:
                if load and self.columns:
                    for var, val in zip(self.columns, values, strict=True):
                        var.set_value(float(val), skip_validation=True)
                frames = variable_frames(self.columns, values) if self.columns else {}
        if self.is_mip:
            bound = float(info.mip_dual_bound)
            gap = float(info.mip_gap) if has_point else math.inf
            if termination is Termination.OPTIMAL:
                # HiGHS stops at mip_rel_gap: the bound it proves may differ from the incumbent.
                gap = float(info.mip_gap)
        elif termination is Termination.OPTIMAL:
            bound, gap = objective, 0.0
        finite_bound = bound if bound is None or math.isfinite(bound) else None
        root_bound = root.value(termination is Termination.OPTIMAL, finite_bound) if self.is_mip else None
        if termination is Termination.OPTIMAL:
            solution = SolutionStatus.OPTIMAL
        elif has_point:
            solution = SolutionStatus.FEASIBLE
        else:
            solution = SolutionStatus.NONE
        explain = termination is Termination.INFEASIBLE and options.explain_infeasible
        iis = self._infeasibility() if explain else None
        extract = time.perf_counter() - t1
        handoff = self.compile_seconds if handoff_seconds is None else handoff_seconds
        return SolveResult(
            termination=termination,
            solution_status=solution,
            objective=objective,
            bound=finite_bound,
            gap=gap,
            timings=Timings(
                build=build_seconds,
                handoff=handoff,
                solve=solve_seconds,
                extract=extract,
                solver_reported=float(h.getRunTime()),
                cpu_total=time.process_time() - cpu0,
            ),
            solver="highs",
            solver_version=highs_version(),
            backend="standard_form",
            options=options,
            variables=frames,
            infeasibility=iis,
            message=f"HiGHS model status {status_name}"
            + (" (stopped on Ctrl-C)" if termination is Termination.INTERRUPTED else ""),
            nodes=int(info.mip_node_count) if self.is_mip else None,
            size=self.size,
            root_bound=root_bound,
        )

    @staticmethod
    def _start_misreported(h: highspy.Highs) -> bool:
        """Whether HiGHS's point disagrees with the objective value it reports for it.

        Seen with HiGHS 1.16 on a set cover (OR-Library pmed16 as an LSCP at radius 30): a MIP
        start of 27 sites is "feasible in the reduced space" with value 25 -- presolve dropped
        dominated columns the start had set -- and, with no better point found, the run ends
        ``kOptimal`` at 25 while ``col_value`` is the start's 27-site cover (the same class as
        HiGHS issue 2439: a start worth more in the presolved space than in the original). The
        result would call a plan optimal that is not. Only runs given a start are checked: the
        costs are read back (no matrix copied) and ``c x + offset`` compared with HiGHS's value.
        """
        info = h.getInfo()
        if int(info.primal_solution_status) != 2:
            return False
        n = h.getNumCol()
        if n == 0:
            return False
        costs = np.asarray(h.getCols(n, np.arange(n, dtype=np.int32))[2], dtype=float)
        x = np.asarray(h.getSolution().col_value, dtype=float)
        value = float(costs @ x) + float(h.getObjectiveOffset()[1])
        reported = float(info.objective_function_value)
        return abs(value - reported) > 1e-6 * max(1.0, abs(value), abs(reported))

    def _again_without_start(
        self, options: SolveOptions, build_seconds: float, handoff_seconds: float | None, load: bool,
        spent: float,
    ) -> SolveResult:
        """The run again from a fresh HiGHS without the start (see :meth:`_start_misreported`),
        in what is left of the time limit; the note says why and the first run's seconds count
        in the solve time. Without time left the first run is not trusted either: the model is
        re-run for at least a second, since reporting its point as optimal would be wrong."""
        self.renew()
        if options.time_limit is not None:
            options = replace(options, time_limit=max(options.time_limit - spent, 1.0))
        again = self.run(options, build_seconds=build_seconds, handoff_seconds=handoff_seconds, load=load)
        timings = replace(again.timings, solve=again.timings.solve + spent)
        return replace(again, timings=timings, message=again.message + " (solved again without the MIP start: "
                       "HiGHS's point and objective value disagreed after the start)")

    def _not_started(
        self, options: SolveOptions, build_seconds: float, handoff_seconds: float | None, cpu0: float
    ) -> SolveResult:
        return SolveResult(
            termination=Termination.INTERRUPTED,
            solution_status=SolutionStatus.NONE,
            objective=None,
            bound=None,
            gap=math.inf if self.is_mip else None,
            timings=Timings(
                build=build_seconds,
                handoff=self.compile_seconds if handoff_seconds is None else handoff_seconds,
                cpu_total=time.process_time() - cpu0,
            ),
            solver="highs",
            solver_version=highs_version(),
            backend="standard_form",
            options=options,
            message=NOT_STARTED,
            size=self.size,
        )

    def renew(self) -> None:
        """Move the model (with its current bounds and costs) into a new ``highspy.Highs``.

        HiGHS completes a partial MIP start (:meth:`set_start`) with an LP whose time limit it
        reads on the object's run clock, and that clock accumulates over runs: once earlier runs
        have taken longer than the next run's ``time_limit``, the start is dropped silently (the
        completion LP reports "Timeout") and the MIP starts without it. :meth:`run` calls this
        before a warm start on an object that has run before; the arrays are copied, not
        recompiled from Pyomo.
        """
        fresh = new_highs()
        if fresh.passModel(self.highs.getModel()) == highspy.HighsStatus.kError:
            raise ModelDataError(f"HiGHS rejected the copy of the model {self._name!r}")
        self.highs = fresh

    def set_start(self) -> int:
        """Pass the integer columns' current Pyomo values to HiGHS as a partial MIP start.

        Returns the number of values passed (columns without a value are left to HiGHS).
        """
        idx = np.flatnonzero(self.integer)
        vals = np.array([self.columns[i].value for i in idx], dtype=object)
        known = np.array([v is not None for v in vals], dtype=bool)
        idx, vals = idx[known], np.round(vals[known].astype(float))
        if idx.size:
            self.highs.setSolution(int(idx.size), idx.astype(np.int32), vals.astype(float))
        return int(idx.size)

    def _infeasibility(self) -> Infeasibility:
        """Name an infeasible subsystem, or say plainly that none was found and what is known.

        HiGHS's default IIS search (``iis_strategy`` "light") looks only at bounds against
        row activity ranges; an empty answer from it says nothing about the LP relaxation. So
        after the light check the search is repeated on the LP relaxation with the LP-based,
        irreducible strategy, whose own verdict decides the note: a subsystem (irreducible or
        not), "the LP relaxation is feasible" (then the infeasibility comes from integrality --
        the one case that sentence is established), or "none was computed". Never raises; cut
        short after :data:`IIS_SECONDS` or on Ctrl-C.
        """
        try:
            _, light = _get_iis(self.highs)
            if len(light.row_index_) or len(light.col_index_):
                return self._named_iis(light, irreducible=True)
            return self._relaxation_iis()
        except Exception as exc:  # noqa: BLE001 - an IIS is a courtesy, not a requirement
            return Infeasibility(note=f"no infeasible subsystem was computed (HiGHS: {exc})")

    def _relaxation_iis(self) -> Infeasibility:
        lp = self.highs.getLp()
        lp.integrality_ = []  # the LP relaxation (a pure LP is its own)
        relax = new_highs()
        relax.passModel(lp)
        relax.setOptionValue("iis_strategy", _IIS_FROM_LP_IRREDUCIBLE)
        deadline = time.perf_counter() + IIS_SECONDS
        expired = [False]

        def limit(event: Any) -> None:
            if time.perf_counter() > deadline:
                expired[0] = True
                event.interrupt()

        with StopOnSigint(relax) as stop:
            subscribed = []
            for name in ("cbSimplexInterrupt", "cbIpmInterrupt"):
                with contextlib.suppress(Exception):
                    getattr(relax, name).subscribe(limit)
                    subscribed.append(name)
            try:
                _, iis = _get_iis(relax)
            finally:
                for name in subscribed:
                    with contextlib.suppress(Exception):
                        getattr(relax, name).unsubscribe(limit)
        status = int(getattr(iis, "status_", 0))
        relaxation = "LP relaxation" if self.is_mip else "LP"
        if len(iis.row_index_) or len(iis.col_index_):
            return self._named_iis(iis, irreducible=status == _IIS_IRREDUCIBLE, of=relaxation)
        if status == _IIS_FEASIBLE:
            if self.is_mip:
                return Infeasibility(note="the LP relaxation is feasible (HiGHS solved it): the "
                                          "infeasibility comes from integrality; no subsystem is named")
            return Infeasibility(note="no infeasible subsystem was computed: HiGHS's IIS search "
                                      "found the LP feasible within its tolerances")
        why = ("it was interrupted" if stop.requested
               else f"it was cut short after {IIS_SECONDS:g} s" if expired[0] or status == _IIS_TIME_LIMIT
               else "HiGHS's search returned none")
        return Infeasibility(note=f"no infeasible subsystem of the {relaxation} was computed ({why})")

    @property
    def _name(self) -> str:
        return self.model.name if self.model is not None else self.name

    def _named_iis(self, iis: Any, *, irreducible: bool, of: str = "") -> Infeasibility:
        rows = sorted({self.rows[r][0].name if self.rows else f"row {r}" for r in iis.row_index_})
        cols = sorted({self.columns[c].name if self.columns else f"column {c}" for c in iis.col_index_})
        note = "" if irreducible else "not reduced to an irreducible one"
        if of and of != "LP":
            note = f"found in the {of}" + (f", {note}" if note else "")
        return Infeasibility(constraints=tuple(rows), variables=tuple(cols), note=note)


# --------------------------------------------------------------------------------------------
# Convex QP: pyomo.contrib.solver's highs interface
# --------------------------------------------------------------------------------------------


def _solve_qp(model: pyo.Block, options: SolveOptions, build_seconds: float) -> SolveResult:
    """The QP path; its caller holds :data:`~solvers.building.pyomo_lock` throughout."""
    from pyomo.contrib.solver.common.factory import SolverFactory

    cpu0 = time.process_time()
    t0 = time.perf_counter()
    opt = SolverFactory("highs")
    extra = dict(options.highs_options())
    for key in ("output_flag", "time_limit", "threads"):
        extra.pop(key, None)
    kwargs: dict[str, Any] = {
        "tee": options.tee,
        "load_solutions": False,
        "raise_exception_on_nonoptimal_result": False,
        "solver_options": extra,
    }
    if options.time_limit is not None:
        kwargs["time_limit"] = options.time_limit
    if options.threads is not None:
        kwargs["threads"] = options.threads
    _fit_thread_pool(options.highs_options().get("threads"))

    def cancel() -> None:
        # Pyomo's interface turns on highspy's user-interrupt handling for its own Highs object
        # (made inside solve()); cancelSolve() is the request that handling answers.
        inner = getattr(opt, "_solver_model", None)
        if inner is not None:
            inner.cancelSolve()

    with StopOnSigint(on_request=cancel) as stop:
        if stop.requested:  # Ctrl-C earlier in this interruptible() block: do not start
            return SolveResult(
                termination=Termination.INTERRUPTED, solution_status=SolutionStatus.NONE,
                objective=None, bound=None, gap=None,
                timings=Timings(build=build_seconds, cpu_total=time.process_time() - cpu0),
                solver="highs", solver_version=highs_version(), backend="contrib_highs",
                options=options, message=NOT_STARTED,
            )
        res = opt.solve(model, **kwargs)
    wall = time.perf_counter() - t0
    t1 = time.perf_counter()
    termination = _CONTRIB_TERMINATION.get(res.termination_condition.name, Termination.UNKNOWN)
    if stop.requested:
        # Pyomo maps HiGHS's kInterrupt to "unknown"; ask the object itself.
        with contextlib.suppress(Exception):
            if opt._solver_model.getModelStatus().name in ("kInterrupt", "kHighsInterrupt"):
                termination = Termination.INTERRUPTED
    sol_name = res.solution_status.name
    solution = {
        "optimal": SolutionStatus.OPTIMAL,
        "feasible": SolutionStatus.FEASIBLE,
        "infeasible": SolutionStatus.INFEASIBLE,
    }.get(sol_name, SolutionStatus.NONE)
    if solution is SolutionStatus.OPTIMAL and termination is not Termination.OPTIMAL:
        solution = SolutionStatus.FEASIBLE
    frames: dict[str, pd.DataFrame] = {}
    objective = bound = gap = None
    if solution in (SolutionStatus.OPTIMAL, SolutionStatus.FEASIBLE):
        res.solution_loader.load_vars()
        columns = [v for v in model.component_data_objects(pyo.Var) if v.value is not None]
        frames = variable_frames(columns, np.array([v.value for v in columns], dtype=float))
        objective = None if res.incumbent_objective is None else float(res.incumbent_objective)
        bound = None if res.objective_bound is None else float(res.objective_bound)
        if bound is not None and not math.isfinite(bound):
            bound = None
        if termination is Termination.OPTIMAL:
            gap = 0.0
            bound = objective if bound is None else bound
    solver_time = getattr(res.timing_info, "highs_time", None)
    ver = ".".join(str(p) for p in opt.version())
    return SolveResult(
        termination=termination,
        solution_status=solution,
        objective=objective,
        bound=bound,
        gap=gap,
        timings=Timings(
            build=build_seconds,
            handoff=0.0,  # the contrib interface loads and solves in one call: counted as solve
            solve=wall,
            extract=time.perf_counter() - t1,
            solver_reported=float(solver_time) if solver_time is not None else math.nan,
            cpu_total=time.process_time() - cpu0,
        ),
        solver="highs",
        solver_version=ver,
        backend="contrib_highs",
        options=options,
        variables=frames,
        message=f"pyomo.contrib.solver termination {res.termination_condition.name}",
    )


# --------------------------------------------------------------------------------------------
# The one entry point
# --------------------------------------------------------------------------------------------


def is_quadratic(model: pyo.Block) -> bool:
    """True when the active objective has degree 2 (constraints must stay linear)."""
    degree = _objective(model).expr.polynomial_degree()
    return degree is None or degree > 1


def solve(
    model: pyo.Block,
    options: SolveOptions | None = None,
    *,
    build_seconds: float = 0.0,
    backend: str = "auto",
    warm_start: bool = False,
) -> SolveResult:
    """Solve a Pyomo model with HiGHS and return a :class:`SolveResult` (never raises on status).

    ``backend``: ``"auto"`` (standard form for linear objectives, contrib ``highs`` for
    quadratic ones), ``"standard_form"`` or ``"contrib_highs"``. ``warm_start``: use the integer
    values held in the model's variables as a MIP start (standard-form path).
    """
    options = options or SolveOptions()
    if backend == "auto":
        backend = "contrib_highs" if is_quadratic(model) else "standard_form"
    if backend == "contrib_highs":
        # The whole solve, HiGHS's run included: Pyomo's interface redirects descriptors 1 and 2
        # for the process while it runs (see solvers.building).
        with pyomo_lock:
            return _solve_qp(model, options, build_seconds)
    if backend != "standard_form":
        raise ValueError(f"unknown backend {backend!r}; expected auto, standard_form or contrib_highs")
    compiled = StandardFormModel(model)
    return compiled.run(options, build_seconds=build_seconds, warm_start=warm_start)
