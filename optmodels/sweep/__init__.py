"""Scenario sweeps: what-if studies over any field of an instance document.

``optmodels.sweep.sweep(path, vary={"budget": "200:260:20"})`` solves the base instance under
every scenario and returns one tidy row per scenario; ``optmodels sweep FILE --vary ...`` is the
same from the command line (:mod:`optmodels.sweep.cli`). The package sits above the families and
reaches them only through :mod:`optmodels.registry` and the Family contract. See
``docs/sweeps.md``; paths and values: :mod:`optmodels.sweep.spec`; storage, resume, workers:
:mod:`optmodels.sweep.run`; plots: :mod:`optmodels.sweep.plots`.
"""

from __future__ import annotations

from optmodels.sweep.run import sweep
from optmodels.sweep.spec import Vary, parse_vary

__all__ = ["Vary", "parse_vary", "sweep"]
