"""Large medical equipment quantity allocation (seed 003; spec §1).

The schema and the numpy evaluator are imported eagerly; the Pyomo-side names (``build``,
``plan_from_model``, ``solve_instance`` ...) on first use, so the CLI can register the family's
commands without importing Pyomo. The one call that solves an instance and returns a
:class:`~optmodels.contract.Solution` is :func:`solve_equipment`. (``evaluate`` must stay eager: it is also a submodule name,
and importing the submodule would otherwise shadow the function.)
"""

from __future__ import annotations

import importlib
from typing import Any

from optmodels.equipment.evaluate import Evaluation, evaluate
from optmodels.equipment.instance import OBJECTIVES, EquipmentInstance

_LAZY = {
    "build": "optmodels.equipment.formulation",
    "plan_from_model": "optmodels.equipment.formulation",
    "EquipmentSolution": "optmodels.equipment.solve",
    "solve_instance": "optmodels.equipment.solve",
    "solve_equipment": "optmodels.equipment.solve",
}

__all__ = ["OBJECTIVES", "EquipmentInstance", "Evaluation", "evaluate", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
