"""Facility siting and accessibility (seeds 000 and 001): where to open clinics so that people
can reach care -- coverage, distance, cost and equity.

One call solves a file::

    from optmodels.siting import SitingInstance, solve_siting
    solution = solve_siting(SitingInstance.from_file("instances/siting/sf/sf_p_median.json"))

Location models: :mod:`optmodels.siting.formulation`; accessibility (2SFCA family):
:mod:`optmodels.siting.access.measures`; equity models: :mod:`optmodels.siting.access.equity`; the strategy
(stages, formulations): :mod:`optmodels.siting.solve`; models and objectives as data:
:mod:`optmodels.siting.models`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from optmodels.siting.data.instance import SitingInstance


def __getattr__(name: str) -> Any:
    # The schema loads on first use: it needs pandas and SciPy (distances), about a CPU-second,
    # which the CLI should not pay to list the family's flags (``optmodels --help``).
    if name in ("SitingInstance", "load"):
        from optmodels.siting.data import instance

        return getattr(instance, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def solve_siting(instance: SitingInstance, options: Any = None, **choices: Any):
    """:func:`optmodels.siting.solve.solve_siting`, imported on first call (Pyomo and HiGHS
    load only when something is solved)."""
    from optmodels.siting.solve import solve_siting as _solve

    return _solve(instance, options, **choices)


__all__ = ["SitingInstance", "load", "solve_siting"]
