"""``optmodels sweep FILE --vary PATH=VALUES [...]``: the command-line face of :func:`sweep`.

Wired into the main parser by ``optmodels.sweep.cli.add_parser(subparsers)``; the command
function is :func:`run` (set as the parser's ``func`` default). It returns 0 when every scenario
has a row that is an outcome of the scenario (``optimal``, ``infeasible``, ``invalid``, ...:
mapping where a model turns infeasible is a sweep's purpose); 70 when any scenario's solve
raised (status ``error``: a failure of the run, counted on stderr; a rerun solves those again);
130 when interrupted (the rows so far are kept; the same command resumes); and raises
``UsageError`` (exit 2 through the main CLI) on a bad ``--vary``, a sweep over
``--max-scenarios``, a bad ``--out`` or ``--scheduler``, or a folder another sweep is writing.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from optmodels.argtypes import add_solve_options, positive_int, solve_options
from optmodels.errors import UsageError

#: exit codes of the command (the suite's contract: README, "The command line")
EXIT_OK, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 70, 130

EPILOG = """\
paths:   budget | gini.hi | parameters.p | regions[North].population | hospitals[*].arrival_rate*
         | demand[*].population (a column of a table file the document references)
values:  a,b,c | start:stop:step (stop included) | x0.8:1.2:0.1 or ×0.9,1.1 (factors on the file's value)
example: optmodels sweep instances/equipment/provincial.json --vary budget=220:300:20 \\
             --vary gini.hi=0.3,0.26 --out sweeps/budget --metric gini_mean
resume:  rerun the same command with the same --out: finished scenarios are skipped (by hash).
(docs/sweeps.md)"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``sweep`` to the main CLI's sub-parsers; returns the new parser."""
    p = subparsers.add_parser(
        "sweep",
        help="solve an instance under many scenarios (what-if studies, tornado charts); resumable",
        description="Solve the base instance with fields of its document changed, one row per "
        "scenario (sweep.csv / sweep.parquet in --out, written as scenarios finish), and plot "
        "the objective against each varied field.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", help="base instance file (.json, .yaml, .toml)")
    p.add_argument("--vary", action="append", required=True, metavar="PATH=VALUES",
                   help="a field and its values (repeat for several); with --one-at-a-time, PATH alone")
    p.add_argument("--mode", choices=("grid", "zip"), default="grid",
                   help="grid: every combination (default); zip: the i-th values together")
    p.add_argument("--one-at-a-time", metavar="SHARE",
                   help="tornado study: each PATH alone at its value x(1 - SHARE) and x(1 + SHARE), e.g. ±10%%")
    p.add_argument("--objective", help="the family objective to optimise (default: the instance's)")
    p.add_argument("--choice", action="append", default=[], metavar="KEY=VALUE",
                   help="a family solve choice by name, e.g. strategy=full (repeatable)")
    p.add_argument("--out", metavar="DIR", help="folder for rows, sweep.csv/.parquet and plots (resumable)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=positive_int, metavar="N",
                       help="local processes (default: one per CPU for 8+ scenarios, else 1 = in this process)")
    where.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address, e.g. tcp://host:8786")
    p.add_argument("--max-scenarios", type=positive_int, metavar="N",
                   help="run a sweep of more than 10,000 scenarios (up to N); larger ones are refused "
                   "before anything is built")
    p.add_argument("--chunk", type=positive_int, metavar="K",
                   help="scenarios per task (neighbours share a warm solver); default automatic")
    p.add_argument("--no-warm", action="store_true", help="build every scenario's model afresh")
    p.add_argument("--metric", help="a metric to plot beside the objective (e.g. gini_mean)")
    p.add_argument("--no-plots", action="store_true", help="do not draw plots")
    p.add_argument("--report", action="store_true",
                   help="also write report.html (summary, sortable table, plots) into the --out folder")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("--json", action="store_true",
                   help="print the sweep's document on stdout and nothing else there (counts and one record "
                        "per scenario, as the table's rows); the summary goes to stderr")
    add_solve_options(p)  # the same solver flags as solve and pareto, applied to every scenario
    p.set_defaults(func=run)
    return p


def _choices(pairs: list[str]) -> dict[str, Any]:
    from optmodels.sweep.spec import _scalar

    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--choice: expected KEY=VALUE, found {pair!r}")
        out[key.strip()] = _scalar(value)
    return out


def run(args: argparse.Namespace) -> int:
    """The ``optmodels sweep`` command."""
    from optmodels.sweep.run import ERROR, MAX_SCENARIOS, SOLVED, sweep
    from optmodels.sweep.spec import parse_vary

    oat = args.one_at_a_time is not None
    varies = [parse_vary(text, values_optional=oat) for text in args.vary]
    if args.report:
        from optmodels.htmlreport import check_report_flag

        check_report_flag(args.out)  # needs --out and the report extra: before the scenarios
    options = solve_options(args)
    from optmodels.io import stdout_to_stderr

    as_json = bool(getattr(args, "json", False))
    # the human summary: on stdout, or on stderr beside --json's document (none with -q --json)
    out = sys.stdout if not as_json else None if getattr(args, "quiet", False) else sys.stderr

    def say(text: str) -> None:
        if out is not None:
            print(text, file=out)

    with stdout_to_stderr(as_json):
        frame = sweep(
            args.file, varies, mode=args.mode, one_at_a_time=args.one_at_a_time, objective=args.objective,
            options=options, choices=_choices(args.choice), out=args.out, workers=args.workers,
            scheduler=args.scheduler, chunk=args.chunk, warm=not args.no_warm,
            progress=not args.no_progress,  # a bar on a terminal, a plain line every 30 s in a log
            plots=bool(args.out) and not args.no_plots, metric=args.metric,
            max_scenarios=args.max_scenarios or MAX_SCENARIOS,
        )
    attrs = frame.attrs
    counts = frame["status"].value_counts().to_dict() if not frame.empty else {}
    say(f"{args.file}: {len(frame)} scenarios ({attrs['solved']} solved now, {attrs['skipped']} found "
        f"finished); " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    sources = frame["source"].value_counts().to_dict() if "source" in frame.columns else {}
    if sources.get("inferred") or sources.get("neighbour"):
        say(f"bracketing: {sources.get('inferred', 0)} inferred without a solve, {sources.get('neighbour', 0)} "
            f"solved from a neighbour's plan, {sources.get('solved', 0)} solved (column source)")
    shown = _preview(frame, args.metric)
    if shown is not None:
        say(shown)
    if args.out:
        files = [*attrs["files"], *attrs.get("plots", [])]
        say(f"wrote {args.out}/: " + ", ".join(files))
    if as_json:
        _print_json(args, frame, counts)
    if attrs["interrupted"]:
        print(f"optmodels: sweep interrupted; {len(frame)} rows kept"
              + (f" in {args.out}; rerun the same command to resume" if args.out else ""), file=sys.stderr)
        return EXIT_INTERRUPTED
    if args.report:
        from optmodels.htmlreport import write_report

        say(f"wrote {write_report(args.out)}")
    failed = int((~frame["status"].isin(SOLVED)).sum()) if not frame.empty else 0
    if failed:
        say(f"{failed} scenario(s) without a solution (see the status and message columns)")
    if attrs["errors"]:
        # a solve that raised is no outcome of its scenario: the table has a hole, say so
        first = frame.loc[frame["status"] == ERROR, "message"].iloc[0]
        print(f"optmodels: error: {attrs['errors']} of {len(frame)} scenario(s) raised an error (status "
              f"{ERROR}; the message column says what was raised, e.g. {first})"
              + ("; rerun the same command to solve them again" if args.out else ""), file=sys.stderr)
        return EXIT_INTERNAL
    return EXIT_OK


def _print_json(args: argparse.Namespace, frame: Any, counts: dict) -> None:
    """The sweep's document on stdout: what was run, the counts, and every row of the table (the
    same columns as sweep.csv; a missing number is null)."""
    from optmodels.io import json_safe, json_text

    attrs = frame.attrs
    doc = {
        "file": args.file,
        "out": args.out,
        "scenarios": len(frame),
        "solved_now": attrs["solved"],
        "found_finished": attrs["skipped"],
        "interrupted": bool(attrs["interrupted"]),
        "errors": int(attrs["errors"]),
        "status_counts": {str(k): int(v) for k, v in counts.items()},
        "rows": json_safe(frame.astype(object).where(frame.notna(), None).to_dict("records")),
    }
    sys.stdout.write(json_text(doc))
    sys.stdout.flush()


def _preview(frame: Any, metric: str | None, limit: int = 40) -> str | None:
    if frame.empty or len(frame) > limit:
        return None
    keep = [c for c in frame.columns if c not in ("message",) and (
        c in ("scenario", "parameter", "status", "objective", "gap")
        or c in _varied(frame) or (metric and c in (metric, f"metric.{metric}")))]
    return frame[keep].to_string(index=False, float_format=lambda v: f"{v:.6g}")


def _varied(frame: Any) -> list[str]:
    fixed = {"scenario", "parameter", "status", "message", "termination", "objective_name", "objective",
             "bound", "gap", "warm", "source", "hash", "run_id", "pid"}
    return [c for c in frame.columns if c not in fixed and not c.startswith(("metric.", "time_", "cpu_"))]
