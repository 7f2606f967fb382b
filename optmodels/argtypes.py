"""argparse types shared by every command: numbers checked when the command line is parsed.

A bad value is an argparse error (exit 2, the flag named, no traceback) before any file is read
or any model is built. Every number must be finite: ``inf`` and ``nan`` parse as floats but are
never a meaningful time limit, gap, rate or count, and let through they surface later as an
overflow or a solver abort.

Kept apart from :mod:`optmodels.cli` (which also re-exports them) so that family command modules
can declare their flags without importing the CLI.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any

#: Most HiGHS threads a command accepts (``--threads``); see :data:`solvers.options.MAX_THREADS`,
#: the bound SolveOptions enforces, of which this is a copy so that parsing a command line does
#: not import the solver layer (Pyomo and highspy take seconds to import).
MAX_THREADS = 256


def _bounded(cast: type, kind: str, ok: Callable[[Any], bool], bound: str) -> Callable[[str], Any]:
    """An argparse type: ``cast`` the text, require a finite value and check ``ok(value)``."""

    def parse(text: str) -> Any:
        try:
            value = cast(text)
        except (ValueError, OverflowError):
            raise argparse.ArgumentTypeError(f"expected {kind}, found {text!r}") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"expected a finite number {bound}, found {text!r}")
        if not ok(value):
            raise argparse.ArgumentTypeError(f"expected {kind} {bound}, found {text!r}")
        return value

    parse.__name__ = f"{kind.split()[-1]} {bound}"  # argparse shows this name in its errors
    return parse


positive_float = _bounded(float, "a number", lambda v: v > 0, "> 0")
nonnegative_float = _bounded(float, "a number", lambda v: v >= 0, ">= 0")
positive_int = _bounded(int, "an integer", lambda v: v >= 1, ">= 1")
nonnegative_int = _bounded(int, "an integer", lambda v: v >= 0, ">= 0")

#: ``--threads``: HiGHS starts one worker thread per requested thread at its first run, so a
#: huge count costs minutes of thread start-up (1024 threads: 14 s on 2 cores) or aborts the
#: process; more threads than this never helps a model of the sizes the suite builds.
thread_count = _bounded(int, "an integer", lambda v: 1 <= v <= MAX_THREADS, f"between 1 and {MAX_THREADS}")

