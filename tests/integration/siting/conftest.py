"""``solve_flags``: a siting file solved with command-line flags the way contract.md's CLI does it
(the family's flags parsed, ``target="instance"`` values through ``FAMILY.override``, the rest
into ``FAMILY.solve``), returning the Solution, so flag behaviour is tested on objects."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from optmodels.siting.family import FAMILY
from solvers import SolveOptions


def solve_with_flags(path: str | Path, argv: list[str] = (), *, objective: str | None = None,
                     options: SolveOptions | None = None):
    parser = argparse.ArgumentParser(exit_on_error=False)
    for flag in FAMILY.flags:
        flag.add_to(parser)
    args = parser.parse_args(list(argv))
    instance = FAMILY.load(path)
    changes = {f.key: getattr(args, f.key) for f in FAMILY.flags
               if f.target == "instance" and getattr(args, f.key) is not None}
    if changes:
        instance = FAMILY.override(instance, changes)
    choices = {f.key: getattr(args, f.key) for f in FAMILY.flags
               if f.target == "solve" and getattr(args, f.key) is not None}
    return FAMILY.solve(instance, FAMILY.tuned(instance, options), objective=objective, **choices)


@pytest.fixture
def solve_flags():
    return solve_with_flags
