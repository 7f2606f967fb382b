"""NSGA-II's own CPU seconds, baseline and this checkout interleaved, repeated: the median.

::

    python benchmarks/results/nsga2/cpu_repeat.py --baseline /tmp/nsga2-base --repeat 3 --out benchmarks/results/nsga2/cpu_repeat.csv

One process per checkout and instance builds the problem and the 5 weighted-sum MILP seeds as
``optmodels pareto --method nsga2`` does, then times ``nsga2_front`` (population 100 x 200
generations) by ``time.process_time`` for each seed, ``--repeat`` times; the checkouts take turns,
so the machine's load falls on both alike. The rest of a CLI run (imports, problem, seeds) is
the same code in both checkouts, so this difference is the run's difference, with less noise
than whole-process CPU on a shared machine.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[3]

CHILD = r"""
import importlib.util, json, sys, time
tree, name, seeds, repeat = sys.argv[1], sys.argv[2], [int(s) for s in sys.argv[3].split(",")], int(sys.argv[4])
sys.path.insert(0, tree)
from solvers.moea import linear_model_problem, nsga2_front
from solvers.pareto import reference_scores
from solvers.weighted_sum import weighted_sum_front
spec = importlib.util.spec_from_file_location("momkp_model", f"{tree}/instances/momkp/momkp_model.py")
momkp = importlib.util.module_from_spec(spec); spec.loader.exec_module(momkp)
model = momkp.build(name)
problem = linear_model_problem(model)
seeded = weighted_sum_front(model, points=5, scheme="grid")
initial = [problem.to_x(d) for d in seeded.decisions]
reference = momkp.reference_front(name)
out = []
for seed in seeds:
    t = time.process_time()
    res = nsga2_front(problem, seed=seed, initial=initial, ideal=seeded.ideal, nadir=seeded.nadir)
    cpu = time.process_time() - t
    ratio = reference_scores(res.points, ["max"] * reference.shape[1], reference)["hypervolume_ratio"]
    out.append({"seed": seed, "cpu": cpu, "ratio": ratio})
print(json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seeds", default="0,1,2")
    a = parser.parse_args()
    trees = {"baseline": a.baseline.resolve(), "new": HERE}
    runs: dict[tuple[str, str, int], list[float]] = {}
    ratios: dict[tuple[str, str, int], float] = {}
    for _ in range(a.repeat):
        for name in ("2kp100", "2kp50"):
            for label, tree in trees.items():
                text = subprocess.run([sys.executable, "-c", CHILD, str(tree), name, a.seeds, "1"],
                                      capture_output=True, text=True, check=True).stdout
                for r in json.loads(text.strip().splitlines()[-1]):
                    runs.setdefault((name, label, r["seed"]), []).append(r["cpu"])
                    ratios[(name, label, r["seed"])] = r["ratio"]
                    print(name, label, r, flush=True)
    with open(a.out, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["instance", "code", "seed", "hv_ratio", "nsga2_cpu_s_median", "nsga2_cpu_s_all"])
        for (name, label, seed), cpus in sorted(runs.items()):
            writer.writerow([name, label, seed, f"{ratios[(name, label, seed)]:.4f}",
                             f"{statistics.median(cpus):.2f}", " ".join(f"{c:.2f}" for c in cpus)])


if __name__ == "__main__":
    main()
