"""The ``optmodels`` command: parses arguments and dispatches to families through the registry.

Nothing here is family-specific: a family declares its ``solve`` flags, generator flags and
further commands as data on its :class:`~optmodels.contract.Family`, and this module turns them
into ``argparse`` arguments. ``optmodels solve FILE`` reads the family from FILE first, so the
parser (and ``--help``) carries that family's flags and objectives only.

Exit codes: 0 solved (optimal, or a feasible incumbent at a limit); 1 no solution (infeasible,
unbounded, nothing found in time) with a one-line verdict; 2 bad input or usage, message on
stderr and no traceback; 130 interrupted (Ctrl-C; a solve interrupted with an incumbent still
writes it, marked ``interrupted``); 143 the same on SIGTERM, which batch schedulers and container
runtimes send to stop a job (128 + the signal's number, as a shell reports a process the signal
ended); 70 a bug of ours, said plainly.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from optmodels import registry
from optmodels.argtypes import add_solve_options, solve_options
from optmodels.contract import Family
from optmodels.errors import OptmodelsError, UsageError

EXIT_SOLVED, EXIT_NO_SOLUTION, EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 70, 130
EXIT_TERMINATED = 128 + signal.SIGTERM  # 143

#: A copy of :data:`solvers.interrupt.STOPS_WORK`: the handler below must be installed before the
#: solver layer (seconds to import) is loaded, and carries this attribute so that the solver
#: layer treats SIGTERM like Ctrl-C while it solves.
_STOPS_WORK = "stops_work"
_terminated = [False]  # SIGTERM reached this process's own handler


def _on_sigterm(signum: int, frame: Any) -> None:
    """SIGTERM outside a solve: stop as Ctrl-C does (``KeyboardInterrupt``), remembering why."""
    _terminated[0] = True
    raise KeyboardInterrupt


setattr(_on_sigterm, _STOPS_WORK, True)


def stop_on_sigterm() -> Any:
    """From now on SIGTERM ends this process's work as Ctrl-C does: a solve stops and reports its
    incumbent, a front or sweep keeps what it found, and the exit code is 143. Left alone where
    SIGTERM is ignored, or outside the main thread (only it can install a handler). Returns the
    handler it replaced."""
    previous = signal.getsignal(signal.SIGTERM)
    if previous is signal.SIG_IGN:
        return previous
    try:
        signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread
        pass
    return previous


def terminated() -> bool:
    """SIGTERM stopped work in this process (at its own handler or in the solver layer's)."""
    if _terminated[0]:
        return True
    interrupt = sys.modules.get("solvers.interrupt")  # loaded only if something was solved
    return interrupt is not None and interrupt.last_signal() == signal.SIGTERM


def interrupted_exit() -> int:
    """The exit code of a command a stop signal ended: 143 for SIGTERM, else 130."""
    return EXIT_TERMINATED if terminated() else EXIT_INTERRUPTED


# --------------------------------------------------------------------------------------------
# solve / validate / generate
# --------------------------------------------------------------------------------------------


def _cmd_solve(args: argparse.Namespace) -> int:
    from optmodels import io
    from optmodels.contract import verdict_code
    from optmodels.report import header
    from solvers import Termination, interruptible

    fam = registry.family_of(args.file)  # names a missing or unreadable file (exit 2)
    if args.family is not None and args.family != fam.name:
        raise UsageError(f"--family {args.family}: {args.file} is an instance of the {fam.name} family")
    if args.out:
        io.check_output_dir(args.out)  # before the solve: a bad --out must not cost a solve
    if args.report:
        from optmodels.htmlreport import check_report_flag

        check_report_flag(args.out)  # needs --out and the report extra: before the solve too
    instance = fam.load(args.file)
    changes = {f.key: getattr(args, f.key) for f in fam.flags if f.target == "instance"}
    changes = {k: v for k, v in changes.items() if v is not None}
    if changes:
        instance = fam.override(instance, changes)
    choices = {f.key: getattr(args, f.key) for f in fam.flags if f.target == "solve"}
    choices = {k: v for k, v in choices.items() if v is not None}
    objective = fam.objective(args.objective, instance)
    options = fam.tuned(instance, solve_options(args))
    with interruptible():  # one Ctrl-C (or SIGTERM) ends every stage of the strategy, keeping the incumbent
        solution = fam.solve(instance, options, objective=objective.name, **choices)

    title = f"{fam.name}: {getattr(instance, 'name', None) or Path(args.file).name} ({fam.describe(instance)})"
    print(header(solution.result, title=title, objective_name=objective.name, sense=objective.sense,
                 verdict=verdict_code(solution), label=objective.axis, message=solution.family_verdict))
    for note in solution.notes:
        print(f"  {note}")
    text = solution.summary()
    if text:
        print(text)
    if args.out:
        written = solution.to_files(args.out)
        print(f"\nwrote {', '.join(written)} to {args.out}")
        if args.report:
            from optmodels.htmlreport import write_report

            print(f"wrote {write_report(args.out)}")
    interrupted = solution.result.termination is Termination.INTERRUPTED
    if not solution.has_solution:
        print(f"no solution: {solution.verdict}", file=sys.stderr)
        return interrupted_exit() if interrupted else EXIT_NO_SOLUTION
    if interrupted:
        why = "terminated (SIGTERM)" if terminated() else "interrupted"
        print(f"{why}: the incumbent above is the best plan found so far", file=sys.stderr)
        return interrupted_exit()
    return EXIT_SOLVED


def _cmd_report(args: argparse.Namespace) -> int:
    from optmodels import htmlreport

    print(f"wrote {htmlreport.write_report(args.folder, args.output)}")
    return EXIT_SOLVED


def _cmd_validate(args: argparse.Namespace) -> int:
    fam, instance = registry.load_instance(args.file)
    print(f"{args.file}: valid {fam.name} instance ({fam.describe(instance)})")
    return EXIT_SOLVED


def _cmd_generate(args: argparse.Namespace) -> int:
    from optmodels import io

    fam = registry.family(args.generate_family)
    params = {f.key: getattr(args, f.key) for f in fam.generate_flags}
    try:
        document = fam.generate(**params)
    except ValueError as exc:  # the generator's own argument checks
        raise UsageError(str(exc)) from None
    instance = fam.from_document(document, args.output)  # the generator's promise: it validates
    written = io.dump_instance(document, args.output)
    tables = [p.name for p in written[:-1]]
    print(f"wrote {args.output}: {fam.describe(instance)}" + (f" (tables: {', '.join(tables)})" if tables else ""))
    return EXIT_SOLVED


def _cmd_bench(args: argparse.Namespace) -> int:
    # The harness is imported only when asked for: it is a layer above the CLI's usual work.
    from benchmarks.__main__ import main as bench_main

    return int(bench_main(args.bench_args) or 0)


# --------------------------------------------------------------------------------------------
# parser
# --------------------------------------------------------------------------------------------


def _solve_family(argv: Sequence[str]) -> Family | None:
    """The family whose flags ``optmodels solve`` takes: ``--family F`` or the FILE's ``family``."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("command", nargs="?")
    pre.add_argument("file", nargs="?")
    pre.add_argument("--family", choices=registry.names())
    known, _ = pre.parse_known_args(list(argv))
    if known.command != "solve":
        return None
    if known.file and Path(known.file).is_file():
        return registry.family_of(known.file)
    if known.family:
        return registry.family(known.family)
    return None


def _objective_help(fam: Family) -> str:
    return "objective to optimise: " + "; ".join(
        f"{o.name} ({o.sense}: {o.axis})" for o in fam.objectives.values()
    )


def _add_solve_parser(sub: Any, fam: Family | None) -> None:
    families = ", ".join(registry.names())
    solve = sub.add_parser(
        "solve",
        help="solve an instance file (the family is read from the file)",
        description=(f"Solve an instance of the {fam.name} family: {fam.title}." if fam else
                     f"Solve an instance file of any family ({families}). "
                     "`optmodels solve FILE --help` lists that file's family's objectives and flags."),
    )
    solve.add_argument("file", help="instance file (.json, .yaml, .toml)")
    solve.add_argument("--family", choices=registry.names(),
                       help="show this family's flags in --help (the file's family is used to solve)")
    solve.add_argument("--out", metavar="DIR",
                       help="write result.json, the family's tables (CSV) and plots into DIR")
    solve.add_argument("--report", action="store_true",
                       help="also write report.html (summary, tables, plots, map) into the --out folder")
    solve.add_argument("--objective", metavar="NAME",
                       help=_objective_help(fam) if fam else "objective to optimise, by name (the family's default if omitted)")
    add_solve_options(solve)
    if fam is not None and fam.flags:
        group = solve.add_argument_group(fam.name)
        for flag in fam.flags:
            flag.add_to(group)
    solve.set_defaults(func=_cmd_solve, family_object=fam)


def _add_family_commands(sub: Any, families: Sequence[Family]) -> None:
    """``optmodels generate FAMILY`` and each family's further commands (grouped by first word)."""
    generate = sub.add_parser("generate", help="write a synthetic instance")
    gen_sub = generate.add_subparsers(dest="generate_family", required=True, metavar="FAMILY")
    groups: dict[str, Any] = {}
    for fam in families:
        if fam.generate is not None:
            p = gen_sub.add_parser(fam.name, help=f"a synthetic {fam.name} instance")
            for flag in fam.generate_flags:
                flag.add_to(p)
            p.add_argument("-o", "--output", required=True, metavar="FILE",
                           help="instance file to write (.json/.yaml/.toml)")
            p.set_defaults(func=_cmd_generate)
        for command in fam.commands:
            first, rest = command.path[0], command.path[1:]
            if not rest:
                p = sub.add_parser(first, help=command.help)
            else:
                if first not in groups:
                    group = sub.add_parser(first, help=command.group_help or command.help)
                    groups[first] = group.add_subparsers(dest=f"{first}_command", required=True, metavar="COMMAND")
                p = groups[first].add_parser(rest[0], help=command.help)
            for flag in command.flags:
                flag.add_to(p)
            p.set_defaults(func=command.run)


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="optmodels",
        description="Optimisation models for healthcare resource planning (Pyomo + HiGHS).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_solve_parser(sub, _solve_family(argv))

    validate = sub.add_parser("validate", help="check an instance file without solving it")
    validate.add_argument("file")
    validate.set_defaults(func=_cmd_validate)

    report = sub.add_parser(
        "report", help="write one self-contained report.html for a result, front or sweep folder",
        description="Write one self-contained HTML page (summary, sortable tables, plots; a map for "
                    "siting results, an interactive chart for fronts) for a folder written by "
                    "`solve --out`, `pareto --out` or `sweep --out`. It opens offline.")
    report.add_argument("folder", metavar="DIR", help="the result, front or sweep folder")
    report.add_argument("-o", "--output", metavar="FILE", help="the HTML file to write (default DIR/report.html)")
    report.set_defaults(func=_cmd_report)

    from optmodels import pareto_cli
    from optmodels.sweep import cli as sweep_cli

    pareto_cli.add_parser(sub)
    sweep_cli.add_parser(sub)

    bench = sub.add_parser("bench", add_help=False, prefix_chars="\0",
                           help="time HiGHS and the suite on benchmark cases (`optmodels bench --help`)")
    bench.add_argument("bench_args", nargs=argparse.REMAINDER)
    bench.set_defaults(func=_cmd_bench)

    _add_family_commands(sub, [registry.family(name) for name in registry.names()])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        parser = build_parser(argv)
        args = parser.parse_args(argv)
        code = int(args.func(args))
        # a command that reports an interruption says 130; SIGTERM's is 143 (the sweep's, too)
        return interrupted_exit() if code == EXIT_INTERRUPTED else code
    except OptmodelsError as exc:
        print(f"optmodels: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        code = interrupted_exit()
        why = "terminated (SIGTERM)" if code == EXIT_TERMINATED else "interrupted"
        print(f"optmodels: {why}; nothing was written", file=sys.stderr)
        return code
    except MemoryError:
        # An allocation failed although the estimates before building let the step run (they
        # count the big arrays, not every transient copy): still the user's size to change, not a
        # crash to report -- exit 2 with what to do, never a kill by the OS.
        print("optmodels: error: out of memory; this instance needs more memory than this process may "
              "use: give a cut-off or a radius (fewer demand-site pairs), merge demand points, or run "
              "on a larger machine", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # The reader went away (``optmodels ... | head``): not an error of ours. Point stdout at
        # devnull so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_SOLVED
    except Exception as exc:  # noqa: BLE001 - the last line of defence: a bug, said plainly
        # The solver layer is imported lazily (start-up time); if it raised, it is loaded.
        solver_result = sys.modules.get("solvers.result")
        if solver_result is not None and isinstance(exc, solver_result.ModelDataError):
            print(f"optmodels: error: {' '.join(argv[1:2])}: {exc}", file=sys.stderr)
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
    built and the families are imported, too -- ending in exit 130 and one line, no traceback;
    SIGTERM alike, with exit 143 (:func:`stop_on_sigterm`)."""
    previous = None
    try:
        previous = stop_on_sigterm()
        code = main()
    except KeyboardInterrupt:
        code = interrupted_exit()
        print("optmodels: " + ("terminated (SIGTERM)" if code == EXIT_TERMINATED else "interrupted"),
              file=sys.stderr)
    finally:
        if previous is not None and previous is not signal.SIG_IGN:
            signal.signal(signal.SIGTERM, previous)  # a caller's own process gets its handler back
    if code in (EXIT_INTERRUPTED, EXIT_TERMINATED) and getattr(sys.modules.get("__main__"), "run", None) is run:
        _exit_now(code)
    sys.exit(code)


def _exit_now(code: int) -> None:
    """End a stopped run without the interpreter's teardown, once nothing is left to wait for.

    Clearing the modules and collecting every object at exit costs 0.3-0.5 CPU-seconds once
    pandas, SciPy and Pyomo are loaded (measured: 0.15 s for pandas alone) -- half the second in
    which a stopped run promises to be gone. Its output is written and flushed by now; the
    teardown is skipped only when no child process and no other non-daemon thread remains
    (a pool being shut down is waited for the usual way, by ``sys.exit``), and only in the
    ``optmodels`` command's own process (its ``__main__`` -- the console script or
    ``python -m optmodels`` -- is what called :func:`run`): a program calling :func:`run` in its
    own process gets ``SystemExit`` as ever.
    """
    import threading

    multiprocessing = sys.modules.get("multiprocessing")
    if multiprocessing is not None and multiprocessing.active_children():
        return
    if any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
        return
    logging = sys.modules.get("logging")
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        if logging is not None:
            logging.shutdown()
    except (OSError, ValueError):  # a closed or broken stream: nothing more can be written anyway
        pass
    os._exit(code)
