"""What a solve returns: why it stopped, what it holds, and how long each phase took."""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from solvers.options import SolveOptions


class Termination(enum.StrEnum):
    """Why the solver stopped (kept apart from what the solution holds)."""

    OPTIMAL = "optimal"
    TIME_LIMIT = "time_limit"
    ITERATION_LIMIT = "iteration_limit"
    SOLUTION_LIMIT = "solution_limit"
    OBJECTIVE_LIMIT = "objective_limit"
    INTERRUPTED = "interrupted"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    INFEASIBLE_OR_UNBOUNDED = "infeasible_or_unbounded"
    ERROR = "error"
    UNKNOWN = "unknown"


class SolutionStatus(enum.StrEnum):
    """What the returned point is."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    NONE = "none"


#: Terminations after which there is no solution to report, and the one-line verdict.
VERDICTS: dict[Termination, str] = {
    Termination.INFEASIBLE: "the model is infeasible: no plan satisfies every constraint",
    Termination.UNBOUNDED: "the model is unbounded: the objective improves without limit",
    Termination.INFEASIBLE_OR_UNBOUNDED: "the model is infeasible or unbounded",
    Termination.TIME_LIMIT: "the time limit was reached before any feasible solution was found",
    Termination.ITERATION_LIMIT: "the iteration limit was reached before any feasible solution",
    Termination.INTERRUPTED: "the solve was interrupted before any feasible solution was found",
    Termination.ERROR: "the solver reported an error",
    Termination.UNKNOWN: "the solver stopped without a usable solution",
}


class SolveError(RuntimeError):
    """Raised by :meth:`SolveResult.raise_if_not_optimal` (callers opt in)."""


class ModelDataError(ValueError):
    """The model holds a number HiGHS refuses (e.g. a coefficient at or beyond its
    ``large_matrix_value``, 1e15): the data that built it is out of range. The message names the
    constraint, the variable and the value, so the instance field behind them can be found."""


@dataclass(frozen=True)
class Timings:
    """Wall-clock seconds per phase; ``solver_reported`` is HiGHS's own run time.

    ``handoff`` is everything between a built Pyomo model and a loaded solver (compilation to
    arrays and ``passModel``); ``cpu_total`` is the process CPU time over the whole solve call,
    to tell waiting from working on a shared machine.
    """

    build: float = 0.0
    handoff: float = 0.0
    solve: float = 0.0
    extract: float = 0.0
    solver_reported: float = math.nan
    cpu_total: float = math.nan

    @property
    def total(self) -> float:
        return self.build + self.handoff + self.solve + self.extract

    @classmethod
    def combined(cls, parts: Iterable[Timings]) -> Timings:
        """Phase by phase sums over the solves of a multi-stage strategy."""
        parts = list(parts)
        return cls(**{f: sum(getattr(t, f) for t in parts) for f in
                      ("build", "handoff", "solve", "extract", "solver_reported", "cpu_total")})

    def to_dict(self) -> dict[str, float]:
        return {
            "build": self.build,
            "handoff": self.handoff,
            "solve": self.solve,
            "extract": self.extract,
            "total": self.total,
            "solver_reported": self.solver_reported,
            "cpu_total": self.cpu_total,
        }


@dataclass(frozen=True)
class Infeasibility:
    """An infeasible subsystem as named constraints and variable bounds, irreducible (an IIS)
    unless ``note`` says otherwise; with none named, ``note`` says what is known instead."""

    constraints: tuple[str, ...] = ()
    variables: tuple[str, ...] = ()
    note: str = ""

    def describe(self, limit: int = 10) -> str:
        if not self.constraints and not self.variables:
            return self.note or "no infeasible subsystem available"
        parts = []
        if self.constraints:
            shown = ", ".join(self.constraints[:limit])
            more = f" (+{len(self.constraints) - limit} more)" if len(self.constraints) > limit else ""
            parts.append(f"constraints {shown}{more}")
        if self.variables:
            shown = ", ".join(self.variables[:limit])
            more = f" (+{len(self.variables) - limit} more)" if len(self.variables) > limit else ""
            parts.append(f"bounds of {shown}{more}")
        text = "infeasible subsystem: " + "; ".join(parts)
        return f"{text} ({self.note})" if self.note else text


@dataclass(frozen=True)
class SolveResult:
    """The outcome of one solve.

    ``variables`` maps each Pyomo ``Var`` component name to a tidy DataFrame with one column per
    index position (``index_0``, ``index_1`` ...; none for a scalar) and a ``value`` column.
    ``objective`` is in the model's own sense (a maximisation stays positive); ``bound`` is the
    best proven bound in the same sense, and ``gap`` the relative gap ``|obj - bound| / |obj|``
    as HiGHS reports it (0 for a proven optimum, ``inf`` with no incumbent).
    ``root_bound`` is a MILP's dual bound when its root node was finished (before branching),
    ``None`` when unknown (an LP, a solve stopped inside the root, a highspy without callbacks):
    set beside ``bound`` it shows whether branching, rather than the root, moved the bound.
    """

    termination: Termination
    solution_status: SolutionStatus
    objective: float | None
    bound: float | None
    gap: float | None
    timings: Timings
    solver: str
    solver_version: str
    backend: str
    options: SolveOptions
    variables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    infeasibility: Infeasibility | None = None
    message: str = ""
    nodes: int | None = None
    size: Mapping[str, int] = field(default_factory=dict)
    root_bound: float | None = None

    @property
    def has_solution(self) -> bool:
        return self.solution_status in (SolutionStatus.OPTIMAL, SolutionStatus.FEASIBLE)

    @property
    def is_optimal(self) -> bool:
        return self.termination is Termination.OPTIMAL and self.has_solution

    @property
    def verdict(self) -> str:
        """One line saying what happened, for people."""
        if self.is_optimal:
            return "optimal"
        if self.has_solution:
            gap = "unknown gap" if self.gap is None or math.isinf(self.gap) else f"gap {self.gap:.3%}"
            return f"{self.termination.value}: best solution found so far ({gap})"
        base = VERDICTS.get(self.termination, VERDICTS[Termination.UNKNOWN])
        if self.infeasibility is not None:
            base += f"; {self.infeasibility.describe()}"
        return base

    def raise_if_not_optimal(self) -> SolveResult:
        if not self.is_optimal:
            raise SolveError(self.verdict)
        return self

    def values(self, name: str) -> pd.Series:
        """The values of one variable family as a Series indexed like the Pyomo component."""
        frame = self.variables[name]
        keys = [c for c in frame.columns if c != "value"]
        if not keys:
            return frame["value"]
        return frame.set_index(keys)["value"]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (without the solution tables)."""
        return {
            "termination": self.termination.value,
            "solution_status": self.solution_status.value,
            "verdict": self.verdict,
            "objective": self.objective,
            "bound": self.bound,
            "gap": None if self.gap is None or math.isinf(self.gap) else self.gap,
            "nodes": self.nodes,
            "root_bound": self.root_bound,
            "timings": self.timings.to_dict(),
            "solver": self.solver,
            "solver_version": self.solver_version,
            "backend": self.backend,
            "size": dict(self.size),
            "options": self.options.to_dict(),
            "infeasibility": None
            if self.infeasibility is None
            else {
                "constraints": list(self.infeasibility.constraints),
                "variables": list(self.infeasibility.variables),
                "note": self.infeasibility.note,
            },
            "message": self.message,
        }
