"""Scenario sweeps: what-if studies over any field of an instance document.

``optmodels.sweep(path, vary={"budget": "200:260:20"})`` -- this package, called -- solves the
base instance under every scenario and returns a :class:`SweepResult`: the tidy table (one row
per scenario) with a notebook display and ``plot()``, and a progress bar in a notebook or on a
terminal. ``optmodels.sweep.sweep(...)`` is the same sweep returning the plain DataFrame the
command line uses (``optmodels sweep FILE --vary ...``, :mod:`optmodels.sweep.cli`). The package
sits above the families and reaches them only through :mod:`optmodels.registry` and the Family
contract. See ``docs/sweeps.md``; paths and values: :mod:`optmodels.sweep.spec`; storage,
resume, workers: :mod:`optmodels.sweep.run`; plots: :mod:`optmodels.sweep.plots`.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from optmodels.sweep.result import SweepResult
from optmodels.sweep.run import sweep
from optmodels.sweep.spec import Vary, parse_vary

__all__ = ["SweepResult", "Vary", "parse_vary", "study", "sweep"]


def study(instance_or_path: Any, vary: Any = None, *, progress: bool | str = "auto", **kwargs: Any) -> SweepResult:
    """:func:`~optmodels.sweep.run.sweep` with its table wrapped in a :class:`SweepResult`, and
    the progress bar on by default where someone watches (``progress="auto"``: a Jupyter kernel
    -- tqdm's notebook widget -- or a terminal; off in a script whose stderr is not a terminal).
    Every other keyword is :func:`~optmodels.sweep.run.sweep`'s."""
    from optmodels import show_progress

    frame = sweep(instance_or_path, vary, progress=show_progress(progress), **kwargs)
    return SweepResult(frame, dict(frame.attrs.get("spec") or {}))


class _CallableModule(types.ModuleType):
    """``optmodels.sweep(...)`` calls :func:`study` (the package stays a package)."""

    def __call__(self, instance_or_path: Any, vary: Any = None, **kwargs: Any) -> SweepResult:
        return study(instance_or_path, vary, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
