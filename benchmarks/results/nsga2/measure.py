"""NSGA-II against exact fronts: a baseline checkout and this one, measured in one run.

::

    git worktree add /tmp/nsga2-base <baseline commit>
    python benchmarks/results/nsga2/measure.py --baseline /tmp/nsga2-base --out benchmarks/results/nsga2/runs.csv

Each case is ``optmodels pareto ... --method nsga2`` with the default NSGA-II settings (population
100, 200 generations, 5 weighted-sum MILP seeds) and ``--reference-front`` the exact front, run
as its own process from each checkout in turn (baseline, then this one, case by case, so both see
the same machine load). The process's CPU seconds (user + system, of the process and its
children) are the time measure on a shared machine; wall seconds are recorded beside them. The
exact fronts: pyaugmecon's MOMKP files for the knapsacks, and for the families the exact epsilon
front (equipment, siting) or the sampled epsilon front on a grid fine enough to meet every
lattice point (pricing, the 16 points of the enumeration), computed once here by this checkout.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[3]

KNAPSACK = "instances/momkp/momkp_model.py:build_{name}"
FAMILIES = {
    # case: (pareto arguments, epsilon arguments for the exact front)
    "equipment tiny_cost cost,utilisation": (
        ["instances/equipment/tiny_cost.toml", "--objectives", "cost,utilisation"], []),
    "pricing elastic profit,participation": (
        ["instances/pricing/elastic_model2_pareto.yaml", "--objectives", "profit,participation"],
        ["--points", "600"]),
    "siting small_lscp default pair": (["instances/siting/small/small_lscp.json"], []),
}


def run(tree: Path, args: list[str]) -> tuple[str, float, float]:
    """Output, CPU seconds (process and children) and wall seconds of ``optmodels`` in ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "optmodels", *args], cwd=tree, env=env,
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise RuntimeError(f"{args} in {tree} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return proc.stdout, cpu, wall


def scores(text: str) -> dict[str, str]:
    ratio = re.search(r"hypervolume ratio ([0-9.]+)", text)
    igd = re.search(r"IGD\+ ([0-9.e+-]+)", text)
    points = re.search(r"by nsga2: (\d+) non-dominated", text)
    nsga2 = re.search(r"NSGA-II ([0-9.]+) s", text)
    return {"hv_ratio": ratio.group(1) if ratio else "", "igd_plus": igd.group(1) if igd else "",
            "points": points.group(1) if points else "", "nsga2_s": nsga2.group(1) if nsga2 else ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", required=True, type=Path, help="checkout of the baseline commit")
    parser.add_argument("--out", required=True, type=Path, help="CSV to write")
    parser.add_argument("--seeds", default="0,1,2", help="NSGA-II seeds of the knapsack cases")
    parser.add_argument("--families", action="store_true", help="also the families' shipped fronts")
    a = parser.parse_args()
    trees = {"baseline": a.baseline.resolve(), "new": HERE}
    commits = {k: subprocess.run(["git", "-C", str(t), "rev-parse", "--short", "HEAD"], text=True,
                                 capture_output=True, check=False).stdout.strip() for k, t in trees.items()}
    cases: list[tuple[str, list[str]]] = []
    for name in ("2kp100", "2kp50"):
        for seed in a.seeds.split(","):
            cases.append((f"{name} seed {seed}", ["--model", KNAPSACK.format(name=name), "--seed", seed,
                                                  "--reference-front",
                                                  str(HERE / f"instances/momkp/{name}/pareto_sols.csv")]))
    if a.families:
        refs = Path(a.out).parent / "reference_fronts"
        for case, (source, exact) in FAMILIES.items():
            folder = refs / case.split()[0]
            if not (folder / "front.csv").is_file():
                run(HERE, ["pareto", *source, "--method", "epsilon", "--workers", "1", "--no-progress",
                           *exact, "--out", str(folder)])
            cases.append((case, [*source, "--reference-front", str(folder / "front.csv")]))
    rows = []
    for case, args in cases:
        for label, tree in trees.items():
            text, cpu, wall = run(tree, ["pareto", *args, "--method", "nsga2", "--no-progress"])
            row = {"case": case, "code": label, "commit": commits[label], **scores(text),
                   "cpu_s": f"{cpu:.2f}", "wall_s": f"{wall:.2f}",
                   "load_1min": f"{os.getloadavg()[0]:.1f}"}
            print(row, flush=True)
            rows.append(row)
    with open(a.out, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
