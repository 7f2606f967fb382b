"""optmodels: optimisation models for healthcare resource planning, on Pyomo and HiGHS.

One call solves any instance file and returns a :class:`~optmodels.contract.Solution`::

    import optmodels
    solution = optmodels.solve("instances/equipment/provincial.json")
    solution.result.objective, solution.metrics, solution.tables["plan"]
    solution.to_files("results/provincial")

Each family also has its own call on a validated instance object (``solve_equipment``,
``solve_pricing``, ``solve_siting``); :func:`family` gives a family's whole contract.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__version__ = "0.1.0"


def load(path: str | Path) -> Any:
    """Read and validate an instance file of any family (raises ``InstanceError``)."""
    from optmodels import registry

    return registry.load_instance(path)[1]


def solve(path: str | Path, options: Any = None, *, objective: str | None = None, **choices: Any) -> Any:
    """Solve an instance file with its family's strategy; returns the family's Solution.

    ``options`` is a :class:`solvers.SolveOptions` (tuned by the family, as the CLI does);
    ``choices`` are the family's solve choices (e.g. equipment's ``strategy="full"``).
    """
    from optmodels import registry

    fam, instance = registry.load_instance(path)
    return fam.solve(instance, fam.tuned(instance, options), objective=objective, **choices)


def family(name: str) -> Any:
    """The :class:`~optmodels.contract.Family` called ``name``."""
    from optmodels import registry

    return registry.family(name)
