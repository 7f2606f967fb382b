"""How models are solved: HiGHS hand-offs, options, results (and, later, multi-objective
front-ends). Knows Pyomo, highspy and pymoo -- never a model family."""

from solvers.building import gc_paused, pyomo_lock
from solvers.highs import StandardFormModel, solve
from solvers.interrupt import InterruptScope, highs_version, interruptible, new_highs
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
from solvers.run_settings import RunSettings

__all__ = [
    "Infeasibility",
    "InterruptScope",
    "ModelDataError",
    "RunSettings",
    "SolutionStatus",
    "SolveError",
    "SolveOptions",
    "SolveResult",
    "StandardFormModel",
    "Termination",
    "Timings",
    "gc_paused",
    "highs_version",
    "interruptible",
    "new_highs",
    "pyomo_lock",
    "solve",
]
