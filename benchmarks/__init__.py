"""Benchmarks that time HiGHS on scaled instances of every family, and the suite around it.

Run ``python -m benchmarks --profile quick|standard|full``; see ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse


def register_cli(subparsers: argparse._SubParsersAction) -> None:
    """Add ``optmodels bench`` (same flags as ``python -m benchmarks``) to the top-level CLI.

    The hook for ``optmodels/cli.py`` is one line after the other sub-commands::

        __import__("benchmarks").register_cli(sub)  # optmodels bench (issue 6)
    """
    from benchmarks.__main__ import add_arguments, main

    parser = subparsers.add_parser("bench", help="time HiGHS and the suite on benchmark cases")
    add_arguments(parser)
    parser.set_defaults(func=lambda args: main(args=args))
