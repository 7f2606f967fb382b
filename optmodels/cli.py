"""The ``optmodels`` command: a thin layer that parses arguments and dispatches by family.

Exit codes: 0 solved (optimal, or a feasible incumbent at a limit); 1 no solution (infeasible,
unbounded, nothing found in time) with a one-line verdict; 2 bad input or usage, message on
stderr and no traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence

from optmodels import registry
from optmodels.argtypes import (  # noqa: F401 - re-exported: family modules import them from here
    nonnegative_float,
    nonnegative_int,
    positive_float,
    positive_int,
    thread_count,
)
from optmodels.errors import OptmodelsError

EXIT_SOLVED, EXIT_NO_SOLUTION, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 70


def add_solve_options(parser: argparse.ArgumentParser) -> None:
    """The solver flags every solving command shares."""
    group = parser.add_argument_group("solver")
    group.add_argument("--time-limit", type=positive_float, metavar="S", help="wall-clock limit in seconds")
    group.add_argument("--mip-gap", type=nonnegative_float, metavar="G", help="relative MIP gap (default 1e-4)")
    group.add_argument("--threads", type=thread_count, metavar="T", help="HiGHS threads (1 to 256)")
    group.add_argument("--seed", type=nonnegative_int, default=0, help="HiGHS random seed (default 0)")
    group.add_argument("--tee", action="store_true", help="show the HiGHS log")


def solve_options(args: argparse.Namespace):
    from solvers import SolveOptions

    return SolveOptions(
        time_limit=args.time_limit,
        mip_rel_gap=args.mip_gap,
        threads=args.threads,
        seed=args.seed,
        tee=args.tee,
    )


def _cmd_solve(args: argparse.Namespace) -> int:
    from optmodels import io

    if args.out:
        io.check_output_dir(args.out)  # before the solve: a bad --out must not cost a solve
    name, instance = registry.load_instance(args.file)
    module = registry.family_module(name)
    return module.solve_command(instance, args, solve_options(args))


def _cmd_validate(args: argparse.Namespace) -> int:
    name, instance = registry.load_instance(args.file)
    module = registry.family_module(name)
    describe = getattr(module, "describe", None)
    text = describe(instance) if describe else ""
    print(f"{args.file}: valid {name} instance" + (f" ({text})" if text else ""))
    return EXIT_SOLVED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="optmodels",
        description="Optimisation models for healthcare resource planning (Pyomo + HiGHS).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    solve = sub.add_parser("solve", help="solve an instance file (the family is read from the file)")
    solve.add_argument("file", help="instance file (.json, .yaml, .toml)")
    solve.add_argument("--out", metavar="DIR", help="write result.json, tables and plots here")
    add_solve_options(solve)
    for name in registry.FAMILIES:
        hook = getattr(registry.family_module(name), "add_solve_arguments", None)
        if hook:
            hook(solve)
    solve.set_defaults(func=_cmd_solve)

    validate = sub.add_parser("validate", help="check an instance file without solving it")
    validate.add_argument("file")
    validate.set_defaults(func=_cmd_validate)

    # Multi-objective fronts for every family with an adapter and for user models (issue 5).
    from optmodels import pareto_cli

    pareto_cli.add_parser(sub)

    # Benchmarks (issue 6): `optmodels bench` takes the flags of `python -m benchmarks`.
    from benchmarks import register_cli as add_bench_parser

    add_bench_parser(sub)

    generate = sub.add_parser("generate", help="write a synthetic instance")
    gen_sub = generate.add_subparsers(dest="family", required=True, metavar="FAMILY")
    for name in registry.FAMILIES:
        module = registry.family_module(name)
        if hasattr(module, "add_generate_parser"):
            module.add_generate_parser(gen_sub)
        if hasattr(module, "add_commands"):
            module.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except OptmodelsError as exc:
        print(f"optmodels: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("optmodels: interrupted; nothing was written", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``optmodels ... | head``): not an error of ours. Point stdout at
        # devnull so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # noqa: BLE001 - the last line of defence: a bug, said plainly
        # The solver layer is imported lazily (start-up time); if it raised, it is loaded.
        solver_result = sys.modules.get("solvers.result")
        if solver_result is not None and isinstance(exc, solver_result.ModelDataError):
            print(f"optmodels: error: {getattr(args, 'file', '')}: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        if os.environ.get("OPTMODELS_DEBUG"):
            traceback.print_exc()
        else:
            print(
                f"optmodels: internal error ({type(exc).__name__}: {exc}); "
                "rerun with OPTMODELS_DEBUG=1 for the traceback and please report it",
                file=sys.stderr,
            )
        return EXIT_INTERNAL


def run() -> None:
    """Console-script entry point: ``main()`` with Ctrl-C at any moment -- while the parser is
    built and the families are imported, too -- ending in exit 130 and one line, no traceback."""
    try:
        code = main()
    except KeyboardInterrupt:
        print("optmodels: interrupted", file=sys.stderr)
        code = 130
    sys.exit(code)
