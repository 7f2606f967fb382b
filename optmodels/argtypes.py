"""argparse types shared by every command (numbers checked when the command line is parsed) and
the solver flags every solving command shares.

A bad value is an argparse error (exit 2, the flag named, no traceback) before any file is read
or any model is built. Every number must be finite: ``inf`` and ``nan`` parse as floats but are
never a meaningful time limit, gap, rate or count, and let through they surface later as an
overflow or a solver abort.

Kept apart from :mod:`optmodels.cli` so that families can declare their flags, and the CLI and
the front-ends their shared solver flags, without importing each other.
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


def bounded(cast: type, kind: str, ok: Callable[[Any], bool], bound: str) -> Callable[[str], Any]:
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


positive_float = bounded(float, "a number", lambda v: v > 0, "> 0")
nonnegative_float = bounded(float, "a number", lambda v: v >= 0, ">= 0")
positive_int = bounded(int, "an integer", lambda v: v >= 1, ">= 1")
nonnegative_int = bounded(int, "an integer", lambda v: v >= 0, ">= 0")

#: ``--threads``: HiGHS starts one worker thread per requested thread at its first run, so a
#: huge count costs minutes of thread start-up (1024 threads: 14 s on 2 cores) or aborts the
#: process; more threads than this never helps a model of the sizes the suite builds.
thread_count = bounded(int, "an integer", lambda v: 1 <= v <= MAX_THREADS, f"between 1 and {MAX_THREADS}")


def add_solve_options(parser: argparse.ArgumentParser) -> None:
    """The solver flags every solving command shares."""
    group = parser.add_argument_group("solver")
    group.add_argument("--time-limit", type=positive_float, metavar="S", help="wall-clock limit in seconds")
    group.add_argument("--mip-gap", type=nonnegative_float, metavar="G", help="relative MIP gap (default 1e-4)")
    group.add_argument("--threads", type=thread_count, metavar="T", help=f"HiGHS threads (1 to {MAX_THREADS})")
    group.add_argument("--seed", type=nonnegative_int, default=0, help="HiGHS random seed (default 0)")
    # -v / --verbose (every command's, optmodels.cli) turns the log on too, with the stage lines
    group.add_argument("--tee", dest="tee", action="store_true", help="show the HiGHS log (as -v does)")


def solve_options(args: argparse.Namespace):
    from solvers import SolveOptions

    return SolveOptions(
        time_limit=args.time_limit,
        mip_rel_gap=args.mip_gap,
        threads=args.threads,
        seed=args.seed,
        tee=args.tee,
    )
