"""How models are solved: HiGHS hand-offs, options, results (and, later, multi-objective
front-ends). Knows Pyomo, highspy and pymoo -- never a model family."""

from solvers.highs import StandardFormModel, highs_version, solve
from solvers.options import SolveOptions
from solvers.result import (
    Infeasibility,
    ModelDataError,
    SolutionStatus,
    SolveError,
    SolveResult,
    Termination,
    Timings,
)

__all__ = [
    "Infeasibility",
    "ModelDataError",
    "SolutionStatus",
    "SolveError",
    "SolveOptions",
    "SolveResult",
    "StandardFormModel",
    "Termination",
    "Timings",
    "highs_version",
    "solve",
]
