"""Warm re-solves in a sweep against cold builds and against separate ``optmodels solve`` runs.

A budget sweep on ``instances/equipment/provincial.json`` (default 50 points) three ways:

``warm``
    ``optmodels.sweep.sweep(..., warm=True)`` in this process: the equipment family's warm
    session (``Family.warm``) changes the budget row of the live HiGHS model and re-solves.
``cold``
    the same sweep with ``warm=False``: every scenario builds its Pyomo model and compiles it.
``separate``
    one ``optmodels solve FILE`` process per budget (the files written beforehand), which is the
    hand-written loop a sweep replaces. When the worktree's ``optmodels solve`` cannot run (the
    CLI is being rewritten around the Family contract), each process runs what that command
    does through the contract instead (``python benchmarks/sweep_warm.py --one FILE``: load,
    tune, solve, print the header and summary); ``separate_command`` in the results says which.

CPU seconds are the numbers to compare (the machine is shared, wall time is noisy): per scenario
``time.process_time`` inside the sweep, per process ``RUSAGE_CHILDREN``. Ratios are reported on
totals and as the median of per-scenario paired ratios. Results go to
``benchmarks/results/sweep/`` (``sweep_warm.json``, ``sweep_warm.csv``, ``sweep_warm.md``).

Warm sweeps bracket where the swept parameter is monotone (:mod:`optmodels.sweep.bracket`): the
table's ``source`` column says per scenario whether it was solved, started from a neighbour's
plan or inferred; the results count each.

``--case siting``: the same three ways on a ``p`` sweep of the MCLP on OR-Library ``pmed16``
(400 vertices, converted by ``optmodels convert orlib-pmed`` into a temporary folder; model
``mclp`` at ``--radius``, default 40), default ``p`` 5..24. Results go to ``sweep_warm_siting.*``.

``--case grid``: a ``p`` sweep of the MCLP on a generated population grid (``optmodels generate
siting --demand 20000 --sites 1000 --existing 40 --seed 1 --model mclp``: a 30 km city, radius 5,
the 40 existing sites kept open), default ``p`` 41..60 (``--demand``, ``--sites``, ``--existing``,
``--seed`` change it). Results go to ``sweep_warm_grid.*``. The file is JSON: the sweep reads the
base document three times, and PyYAML parses 20,000 records in 6 CPU-s each time.

Run: ``PYTHONPATH=$PWD python benchmarks/sweep_warm.py [--points 50] [--start 225 --step 2]``,
``PYTHONPATH=$PWD python benchmarks/sweep_warm.py --case siting [--radius 40]``,
``PYTHONPATH=$PWD python benchmarks/sweep_warm.py --case grid``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FILE = REPO / "instances" / "equipment" / "provincial.json"


def _one(path: str) -> int:
    """What ``optmodels solve FILE`` does, through the Family contract."""
    from optmodels import registry
    from optmodels.report import header

    fam = registry.family_of(path)
    instance = fam.load(path)
    solution = fam.solve(instance, fam.tuned(instance, None))
    print(header(solution.result, title=path, objective_name=solution.objective_name, sense=solution.sense))
    for note in solution.notes:
        print(note)
    print(solution.summary())
    return 0 if solution.has_solution else 1


def _separate(files: list[Path]) -> tuple[str, list[dict]]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cli = [sys.executable, "-m", "optmodels", "solve"]
    probe = subprocess.run([*cli, str(files[0])], capture_output=True, text=True, env=env, cwd=REPO)
    if probe.returncode in (0, 1) and "Traceback" not in probe.stderr:
        command = cli
    else:
        command = [sys.executable, str(Path(__file__).resolve()), "--one"]
    runs = []
    for f in files:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        done = subprocess.run([*command, str(f)], capture_output=True, text=True, env=env, cwd=REPO)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode not in (0, 1) or "Traceback" in done.stderr:
            raise RuntimeError(f"{' '.join(command)} {f} failed:\n{done.stderr[-2000:]}")
        runs.append({"wall": wall, "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)})
    shown = " ".join(Path(c).name if c == sys.executable else c for c in command)
    return shown.replace(str(REPO) + "/", ""), runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", metavar="FILE", help=argparse.SUPPRESS)
    parser.add_argument("--points", type=int, default=50)
    parser.add_argument("--start", type=float, default=225.0, help="first budget (default 225)")
    parser.add_argument("--step", type=float, default=2.0, help="budget step (default 2)")
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "sweep"))
    parser.add_argument("--skip-separate", action="store_true")
    parser.add_argument("--case", choices=("equipment", "siting", "grid"), default="equipment")
    parser.add_argument("--radius", type=float, default=40.0, help="siting: the MCLP's radius (default 40)")
    parser.add_argument("--demand", type=int, default=20_000, help="grid: demand points (default 20000)")
    parser.add_argument("--sites", type=int, default=1000, help="grid: candidate sites (default 1000)")
    parser.add_argument("--existing", type=int, default=40, help="grid: existing sites, kept open (default 40)")
    parser.add_argument("--seed", type=int, default=1, help="grid: generator seed (default 1)")
    args = parser.parse_args(argv)
    if args.one:
        return _one(args.one)
    with tempfile.TemporaryDirectory() as scratch:
        return _bench(args, Path(scratch))


def _siting_file(scratch: Path, radius: float, p: int) -> Path:
    """pmed16 converted by the CLI, as an MCLP at ``radius`` (a shipped instance, another model)."""
    from optmodels.io import dump_instance, read_document

    pmed = REPO / "instances" / "orlib" / "pmed" / "pmed16.txt"
    raw = scratch / "pmed16.json"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-m", "optmodels", "convert", "orlib-pmed", str(pmed), "-o", str(raw), "-q"],
                   check=True, env=env, cwd=REPO)
    doc = read_document(raw)
    doc.update({"model": "mclp", "name": "pmed16_mclp", "parameters": {"p": p, "radius": radius}})
    path = scratch / "pmed16_mclp.json"
    dump_instance(doc, path)
    return path


def _grid_file(scratch: Path, args: argparse.Namespace) -> Path:
    """A population grid written by ``optmodels generate siting`` (inline records, JSON)."""
    path = scratch / "grid_mclp.json"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-m", "optmodels", "generate", "siting", "--demand", str(args.demand),
                    "--sites", str(args.sites), "--existing", str(args.existing), "--seed", str(args.seed),
                    "--model", "mclp", "--p", str(int(args.start)), "-o", str(path), "-q"],
                   check=True, env=env, cwd=REPO)
    return path


def _bench(args: argparse.Namespace, scratch: Path) -> int:
    import pandas as pd

    from optmodels.io import dump_instance, read_document
    from optmodels.sweep import sweep

    load_at_start = os.getloadavg()
    if args.case in ("siting", "grid"):
        if args.start == 225.0 and args.step == 2.0 and args.points == 50:  # the equipment defaults
            args.start, args.step, args.points = (5 if args.case == "siting" else args.existing + 1), 1, 20
        if args.case == "siting":
            file, stem = _siting_file(scratch, args.radius, int(args.start)), "sweep_warm_siting"
        else:
            file, stem = _grid_file(scratch, args), "sweep_warm_grid"
        path = column = "parameters.p"
    else:
        file, path, column, stem = FILE, "budget", "budget", "sweep_warm"
    stop = args.start + args.step * (args.points - 1)
    values = f"{args.start:g}:{stop:g}:{args.step:g}"
    # Import Pyomo/HiGHS and solve once before timing, so that neither in-process variant pays
    # for the imports (the separate runs do, as every `optmodels solve` does).
    sweep(file, {path: f"{args.start:g}"}, warm=False)
    timings = {}
    frames = {}
    for name, warm in (("cold", False), ("warm", True)):
        c0, t0 = time.process_time(), time.perf_counter()
        frames[name] = sweep(file, {path: values}, warm=warm)
        timings[name] = {"cpu": time.process_time() - c0, "wall": time.perf_counter() - t0}
    warm_f, cold_f = frames["warm"], frames["cold"]
    assert (warm_f["status"] == cold_f["status"]).all(), "warm and cold disagree on a status"
    # Both are optimal within HiGHS's relative MIP gap (default 1e-4), and a warm run may stop at
    # a different plan inside it: they must agree to that gap, not to the last digit.
    diff = float((warm_f["objective"] - cold_f["objective"]).abs().max())
    allowed = 1e-4 * float(cold_f["objective"].abs().max()) + 1e-9
    assert diff <= allowed, f"objectives differ by {diff} > {allowed} (the MIP gap)"

    table = pd.DataFrame({
        column: warm_f[column],
        "status": warm_f["status"],
        "objective": warm_f["objective"],
        "cold_objective": cold_f["objective"],
        "source": warm_f["source"],
        "warm_reused": warm_f["warm"],
        "warm_cpu": warm_f["cpu_total"],
        "cold_cpu": cold_f["cpu_total"],
        "warm_wall": warm_f["time_total"],
        "cold_wall": cold_f["time_total"],
    })
    separate_command = None
    if not args.skip_separate:
        doc = read_document(file)
        files = []
        for b in warm_f[column]:
            if args.case in ("siting", "grid"):  # beside the base file: an edge table resolves there
                target = Path(file).parent / f"{Path(file).stem}_p{int(b)}.json"
                dump_instance({**doc, "parameters": {**doc["parameters"], "p": int(b)}}, target)
            else:
                target = scratch / f"provincial_budget_{b:g}.json"
                dump_instance({**doc, "budget": float(b)}, target)
            files.append(target)
        t0 = time.perf_counter()
        separate_command, runs = _separate(files)
        timings["separate"] = {"cpu": sum(r["cpu"] for r in runs), "wall": time.perf_counter() - t0}
        table["separate_cpu"] = [r["cpu"] for r in runs]
        table["separate_wall"] = [r["wall"] for r in runs]

    def paired(a: str, b: str) -> float:
        return float(statistics.median(table[a] / table[b]))

    summary = {
        "instance": {"equipment": str(FILE.relative_to(REPO)),
                     "siting": f"instances/orlib/pmed/pmed16.txt as mclp, radius {args.radius:g}",
                     "grid": f"optmodels generate siting --demand {args.demand} --sites {args.sites} --existing "
                             f"{args.existing} --seed {args.seed} --model mclp (radius 5)"}[args.case],
        "swept": path,
        "values": values,
        "points": int(len(table)),
        "statuses": table["status"].value_counts().to_dict(),
        "sources": {k: int(v) for k, v in table["source"].value_counts().items()},
        "started_from_neighbour": int((table["source"] == "neighbour").sum()),
        "inferred": int((table["source"] == "inferred").sum()),
        "warm_reused": int(table["warm_reused"].sum()),
        "max_objective_difference_warm_vs_cold": diff,
        "totals": timings,
        "ratio_cold_over_warm_cpu_total": timings["cold"]["cpu"] / timings["warm"]["cpu"],
        "ratio_cold_over_warm_cpu_median_paired": paired("cold_cpu", "warm_cpu"),
        "ratio_cold_over_warm_wall_total": timings["cold"]["wall"] / timings["warm"]["wall"],
        "ratio_cold_over_warm_wall_median_paired": paired("cold_wall", "warm_wall"),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared)",
        "load_average_at_start": load_at_start,
        "load_average_at_end": os.getloadavg(),
        "command": f"PYTHONPATH=$PWD python benchmarks/sweep_warm.py --case {args.case} --points {args.points} "
                   f"--start {args.start:g} --step {args.step:g}"
                   + {"siting": f" --radius {args.radius:g}",
                      "grid": f" --demand {args.demand} --sites {args.sites} --existing {args.existing} --seed {args.seed}",
                      }.get(args.case, ""),
    }
    if separate_command is not None:
        summary.update({
            "separate_command": separate_command,
            "ratio_separate_over_warm_cpu_total": timings["separate"]["cpu"] / timings["warm"]["cpu"],
            "ratio_separate_over_warm_cpu_median_paired": paired("separate_cpu", "warm_cpu"),
            "ratio_separate_over_warm_wall_total": timings["separate"]["wall"] / timings["warm"]["wall"],
        })
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / f"{stem}.csv", index=False)
    (out / f"{stem}.json").write_text(json.dumps(summary, indent=1) + "\n")
    lines = [
        f"# Warm sweep vs cold builds vs separate runs ({summary['points']} x {path} {values}, "
        f"{summary['instance']})",
        "",
        "| variant | CPU s (total) | wall s (total) | CPU ratio to warm (total / median paired) | wall ratio to warm (total) |",
        "|---|---|---|---|---|",
    ]
    for name in ("warm", "cold", "separate"):
        if name not in timings:
            continue
        t = timings[name]
        if name == "warm":
            ratio, wall = "1", "1"
        else:
            ratio = (f"{summary[f'ratio_{name}_over_warm_cpu_total']:.2f} / "
                     f"{summary[f'ratio_{name}_over_warm_cpu_median_paired']:.2f}")
            wall = f"{summary[f'ratio_{name}_over_warm_wall_total']:.2f}"
        lines.append(f"| {name} | {t['cpu']:.1f} | {t['wall']:.1f} | {ratio} | {wall} |")
    src = summary["sources"]
    lines += ["", f"Separate runs: `{separate_command}`." if separate_command else "",
              f"Warm sweep: {src.get('solved', 0)} scenarios solved without a start, {src.get('neighbour', 0)} "
              f"started from a neighbour's plan, {src.get('inferred', 0)} inferred by bracketing; live model "
              f"re-used on {summary['warm_reused']} of {summary['points']}. Objectives of warm and cold agree to "
              f"{diff:.2g} (within the 1e-4 relative MIP gap). Load average at the start "
              f"{', '.join(f'{x:.1f}' for x in summary['load_average_at_start'])}, at the end "
              f"{', '.join(f'{x:.1f}' for x in summary['load_average_at_end'])} (2 cores, shared). "
              f"Command: `{summary['command']}`."]
    (out / f"{stem}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
