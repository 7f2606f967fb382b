"""Item 1 of the probing experiment, per instance: the presolve's incumbent, bound and penalty-test
reduction (as ``radius.presolve`` computes them), then Lagrangian probing after it -- probes run,
sites closed / opened by the probes themselves, CPU of the probing stage, sites closed / opened in
all (the final reduction), the re-optimised root bound, and the radii the model is built on.
Run from the repository root:

    python benchmarks/results/orlib_full/2026-12-05_probe/probe_stats.py pmed35 pmed36 pmed38 pmed39
"""
import sys
import time

import numpy as np

from benchmarks.cases import orlib_dir
from optmodels import registry
from optmodels.siting.median.interchange import local_search
from optmodels.siting.median.lagrangian import probe, reduce, subgradient
from optmodels.siting.median.radius import Radii

print("| case | p | UB | closed (penalty) | bound | radii | probes | closed by probes | opened by probes "
      "| probing CPU-s | closed in all | opened in all | bound after | radii after |")
print("|" + "---|" * 14)
for name in sys.argv[1:]:
    inst = registry.family("siting").formats["orlib-pmed"](orlib_dir() / f"{name}.txt")
    C, w = np.asarray(inst.cost_matrix(), float), inst.populations()
    p, fixed = int(inst.parameters.p), inst.fixed_open()
    plan = local_search(C, w, p, fixed, seconds=2.5)
    lb = subgradient(C, w, p, plan.cost, fixed, seconds=2.5)
    red = reduce(C, w, p, plan.cost, lb, fixed)
    t = time.process_time()
    got = probe(C, w, p, plan.cost, lb, red, plan.open, fixed, seconds=2.5)
    cpu = time.process_time() - t
    out = got.reduction
    print(f"| {name} | {p} | {plan.cost:g} | {int(red.closed.sum())} | {red.bound:.1f} | {len(Radii.of(inst, red).client):,} "
          f"| {got.probes} | {got.closed} | {got.opened} | {cpu:.2f} | {int(out.closed.sum())} | {int(out.opened.sum())} "
          f"| {out.bound:.1f} | {len(Radii.of(inst, out).client):,} |", flush=True)
