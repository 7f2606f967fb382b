"""``python -m benchmarks --profile quick|standard|full [--family F] [--repeat R] [--out DIR]``.

Writes ``runs.csv`` / ``runs.json`` (one row per run, see ``benchmarks/README.md`` for the
columns), ``summary.csv`` / ``summary.md`` (medians over repeats), ``peers.csv`` (peer /
suite end-to-end ratios) and the figures ``scaling_<family>.png``, ``phases.png``,
``overhead.png``. Rows are appended to ``runs.csv`` as each case finishes, so an interrupted
run keeps what it measured.

A run that raises is a row with status ``error`` (its exception in ``note``), the other runs go
on, and the command exits 70 saying how many raised; 1 when a run disagrees with its known
optimum; 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from pathlib import Path

from benchmarks.cases import FAMILIES, PROFILES, select

PARALLEL_CAVEAT = (
    "note: {n} cases run at once on one machine compete for cores, memory bandwidth and cache; "
    "their timings are inflated and noisier than one-at-a-time runs. Use --workers 1 for numbers "
    "you report."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", choices=PROFILES, default="quick",
                        help="quick: seconds (CI); standard: minutes; full: everything")
    parser.add_argument("--family", choices=FAMILIES, help="only this family")
    parser.add_argument("--case", action="append", metavar="TEXT",
                        help="only cases whose name contains TEXT (repeatable)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per case (medians reported)")
    parser.add_argument("--out", default="bench-out", help="output folder (default: bench-out)")
    parser.add_argument("--peers", default="highspy,spopt",
                        help="comma list of peers: highspy, spopt, or none (default: both)")
    parser.add_argument("--workers", type=int, default=1,
                        help="local processes running cases at once (default 1; >1 distorts timings)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run cases on a Dask cluster at ADDRESS (needs dask[distributed])")
    parser.add_argument("--time-limit", type=float, metavar="SECONDS",
                        help="override every selected case's time limit (the CSV records it)")
    parser.add_argument("--no-plots", action="store_true", help="skip the figures")
    parser.add_argument("--list", action="store_true", help="list the selected cases and exit")
    parser.add_argument("--merge", nargs="+", metavar="RUNS_CSV",
                        help="run nothing: one table and one set of figures in --out from these "
                             "runs.csv files (later files win on the same case, runner and repeat)")


def _task(case, repeat, peers):
    """One (case, repeat) in a fresh worker: warm up once per process, then run."""
    from benchmarks import runner

    if not getattr(_task, "_warm", False):
        runner.warm_up()
        _task._warm = True
    return _run_case(case, repeat, peers)


def _run_case(case, repeat, peers):
    """The rows of one run; a run that raises is one ``error`` row, so the other cases still run
    and the exit code says it (the whole benchmark used to stop on the first exception)."""
    from benchmarks import runner

    try:
        return runner.run_case(case, repeat, peers)
    except Exception as exc:  # noqa: BLE001 - one case's failure is a row; the benchmark goes on
        return [runner.error_row(case, repeat, exc)]


def _jsonable(v):
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    return v


def main(argv: list[str] | None = None, args: argparse.Namespace | None = None) -> int:
    if args is None:
        parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
        add_arguments(parser)
        args = parser.parse_args(argv)
    if args.repeat < 1 or args.workers < 1:
        print("error: --repeat and --workers must be >= 1", file=sys.stderr)
        return 2
    cases = select(args.profile, args.family, args.case)
    if args.time_limit is not None:
        import dataclasses

        cases = [dataclasses.replace(c, time_limit=args.time_limit) for c in cases]
    if args.merge:
        return merge(args.merge, Path(args.out), plots=not args.no_plots)
    if args.list:
        width = max((len(c.name) for c in cases), default=0)
        for c in cases:
            print(f"{c.name:{width}s} {c.family:10s} {c.model:9s} {c.size_label:10s} profile={c.profile}")
        return 0
    peers = tuple(p for p in args.peers.split(",") if p and p != "none")
    out = Path(args.out)
    from optmodels.errors import UsageError
    from optmodels.io import check_output_dir

    try:
        check_output_dir(out)  # before any case runs: a bad --out must not cost the work
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)

    from tqdm import tqdm

    from benchmarks import runner

    tasks = [(c, r) for c in cases for r in range(args.repeat)]
    rows: list[dict] = []
    csv_path = out / "runs.csv"
    t0 = time.perf_counter()
    with open(csv_path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=runner.COLUMNS)
        writer.writeheader()

        def record(new_rows):
            for r in new_rows:
                writer.writerow(r)
                rows.append(r)
            fh.flush()

        bar = tqdm(total=len(tasks), desc=f"bench {args.profile}", unit="run", file=sys.stderr)
        if args.scheduler or args.workers > 1:
            n = args.workers
            if args.scheduler:
                from dask.distributed import Client, as_completed

                client = Client(args.scheduler)
                n = sum(client.nthreads().values())
                futures = [client.submit(_task, c, r, peers, pure=False) for c, r in tasks]
                print(PARALLEL_CAVEAT.format(n=n), file=sys.stderr)
                for fut in as_completed(futures):
                    record(fut.result())
                    bar.update()
            else:
                from concurrent.futures import ProcessPoolExecutor, as_completed

                print(PARALLEL_CAVEAT.format(n=n), file=sys.stderr)
                with ProcessPoolExecutor(max_workers=n) as pool:
                    futures = {pool.submit(_task, c, r, peers): c for c, r in tasks}
                    for fut in as_completed(futures):
                        record(fut.result())
                        bar.update()
        else:
            runner.warm_up()
            for c, r in tasks:
                bar.set_postfix_str(c.name)
                record(_run_case(c, r, peers))
                bar.update()
        bar.close()
    elapsed = time.perf_counter() - t0

    import pandas as pd

    (out / "runs.json").write_text(json.dumps(
        [{k: _jsonable(v) for k, v in r.items()} for r in rows], indent=1))
    frame = pd.DataFrame(rows, columns=runner.COLUMNS)
    header = (
        f"`python -m benchmarks --profile {args.profile}"
        + (f" --family {args.family}" if args.family else "")
        + f" --repeat {args.repeat}` -- {len(tasks)} runs in {elapsed:.0f} s, "
        + f"{time.strftime('%Y-%m-%d')}, {frame.machine.iloc[0] if len(frame) else ''}, "
        + f"HiGHS {frame.highs_version.iloc[0] if len(frame) else ''}"
    )
    return _reports(frame, out, header, plots=not args.no_plots, raw="runs.csv, runs.json")


def _reports(frame, out: Path, header: str, *, plots: bool, raw: str = "runs.csv") -> int:
    """summary.csv / peers.csv / summary.md (+ figures) of the runs in ``frame``; exit 1 if any
    run disagrees with its known optimum."""
    from benchmarks import report

    summ = report.summary(frame)
    summ.to_csv(out / "summary.csv", index=False)
    ratios = report.peer_ratios(summ)
    ratios.to_csv(out / "peers.csv", index=False)
    text = [header, "", report.markdown(summ[report.SUMMARY])]
    if not ratios.empty:
        text += ["", "Peers (end-to-end seconds; ratio > 1: the suite is faster)", "",
                 report.markdown(ratios)]
    (out / "summary.md").write_text("\n".join(text) + "\n")
    if plots:
        report.plots(summ, out)
    print("\n".join(text))
    print(f"\nwrote {out}/{raw}, summary.csv, summary.md, peers.csv" + (", figures" if plots else ""))
    bad = frame[frame.check == "FAIL"]
    if len(bad):
        print(f"error: {len(bad)} run(s) disagree with the known optimum: "
              f"{', '.join(sorted(set(bad.case)))}", file=sys.stderr)
    raised = frame[frame.status == "error"]
    if len(raised):
        print(f"error: {len(raised)} of {len(frame)} run(s) raised an error (status error, the note "
              f"column holds the exception): {', '.join(sorted(set(raised.case)))}", file=sys.stderr)
        return 70
    return 1 if len(bad) else 0


def merge(paths: list[str], out: Path, *, plots: bool = True) -> int:
    """One table and one set of figures from several runs.csv (e.g. a profile run in parts)."""
    import pandas as pd

    from benchmarks import runner

    missing = [p for p in paths if not Path(p).is_file()]
    if missing:
        print(f"error: --merge: no such file: {', '.join(missing)} (expected runs.csv files)", file=sys.stderr)
        return 2
    frames = [pd.read_csv(p) for p in paths]
    frame = pd.concat(frames, ignore_index=True).reindex(columns=runner.COLUMNS)
    frame = frame.drop_duplicates(subset=["case", "runner", "repeat"], keep="last")
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / "runs.csv", index=False)
    header = f"merged from {', '.join(paths)} -- {len(frame)} runs"
    return _reports(frame, out, header, plots=plots)


if __name__ == "__main__":
    sys.exit(main())
