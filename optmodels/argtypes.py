"""Argument types for command-line flags (parse the text, check the bound, name what was expected)
and the solver flags every solving command shares.

They live below the families (a family declares its flags as data with these types) and below
the CLI, so neither imports the other for them.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any


def bounded(cast: type, kind: str, ok: Callable[[Any], bool], bound: str) -> Callable[[str], Any]:
    """An argparse type: ``cast`` the text and check ``ok(value)``, naming what was expected."""

    def parse(text: str):
        try:
            value = cast(text)
        except ValueError:
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


def add_solve_options(parser: argparse.ArgumentParser) -> None:
    """The solver flags every solving command shares."""
    group = parser.add_argument_group("solver")
    group.add_argument("--time-limit", type=positive_float, metavar="S", help="wall-clock limit in seconds")
    group.add_argument("--mip-gap", type=nonnegative_float, metavar="G", help="relative MIP gap (default 1e-4)")
    group.add_argument("--threads", type=positive_int, metavar="T", help="HiGHS threads")
    group.add_argument("--seed", type=nonnegative_int, default=0, help="HiGHS random seed (default 0)")
    group.add_argument("--tee", "--verbose", dest="tee", action="store_true", help="show the HiGHS log")


def solve_options(args: argparse.Namespace):
    from solvers import SolveOptions

    return SolveOptions(
        time_limit=args.time_limit,
        mip_rel_gap=args.mip_gap,
        threads=args.threads,
        seed=args.seed,
        tee=args.tee,
    )
