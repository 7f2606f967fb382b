"""Fee pricing of a two-sided online/offline health-data platform (seed 002; spec §2).

One call solves an instance::

    from optmodels.pricing import from_file, solve_pricing
    solution = solve_pricing(from_file("instances/pricing/seed_model2.yaml"))
    solution.decision, solution.metrics["expected_profit"], solution.tables["stages"]

The schema is imported eagerly; the Pyomo-side names on first use, so the CLI can list the
family without importing Pyomo.
"""

from __future__ import annotations

import importlib
from typing import Any

from optmodels.pricing.instance import OBJECTIVES, PricingInstance, from_dict, from_file

_LAZY = {
    "solve_pricing": "optmodels.pricing.solve",
    "build": "optmodels.pricing.formulation",
}

__all__ = ["OBJECTIVES", "PricingInstance", "from_dict", "from_file", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
