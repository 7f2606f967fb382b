"""The OR-Library table: this run (runs.csv files in argv) beside the three earlier ones.

``before/2026-12-01_quiet/runs.csv``: the previous run on a quiet machine (heuristics and strong
branching off, node cuts on, the slower numpy presolve). ``before/runs.csv``: the first presolve
run (local search + Lagrangian reduction, HiGHS defaults but restarts off), measured under a load
of 5-27 on 2 cores. ``../orlib_full/runs.csv``: the radius formulation without any presolve, on a
quiet machine. CPU is the process's CPU end to end; wall likewise.

    python benchmarks/results/orlib_frontier/compare.py RUNS_CSV [RUNS_CSV ...]
"""
import sys
from pathlib import Path

import pandas as pd

here = Path(__file__).parent


def _suite(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path)
    frame = frame[frame.runner == "suite"]
    return frame.drop_duplicates("case", keep="last").set_index("case")


plain = _suite(here.parent / "orlib_full" / "runs.csv")
first = _suite(here / "before" / "runs.csv")
previous = _suite(here / "before" / "2026-12-01_quiet" / "runs.csv")
new = pd.concat([pd.read_csv(f) for f in sys.argv[1:]])
new = new[new.runner == "suite"].drop_duplicates("case", keep="last").set_index("case")

rows = []
for k in range(1, 41):
    c = f"orlib-pmed{k}"
    n = new.loc[c] if c in new.index else None
    note = "" if n is None else str(n["note"])
    how = note.split("presolve ")[1] if "presolve " in note else "no presolve (p >= 3m/16)"
    rows.append({
        "case": c,
        "status": "not run" if n is None else n["status"],
        "objective": None if n is None else n["objective"],
        "check": None if n is None else n["check"],
        "rows": None if n is None else int(n["rows"]),
        "nodes": None if n is None else n["nodes"],
        "cpu": None if n is None else round(n["end_to_end_cpu"], 2),
        "cpu_first_presolve": round(first.loc[c, "end_to_end_cpu"], 2) if c in first.index else None,
        "cpu_no_presolve": round(plain.loc[c, "end_to_end_cpu"], 2),
        "wall": None if n is None else round(n["end_to_end_wall"], 2),
        "wall_previous": round(previous.loc[c, "end_to_end_wall"], 2),
        "cpu_previous": round(previous.loc[c, "end_to_end_cpu"], 2),
        "presolve": how,
    })
t = pd.DataFrame(rows)
cols = list(t.columns)
print("| " + " | ".join(cols) + " |")
print("|" + "---|" * len(cols))
for _, r in t.iterrows():
    print("| " + " | ".join("" if pd.isna(r[c]) else str(r[c]) for c in cols) + " |")
done = t[t.status != "not run"]
proven = ((done.status == "optimal") & (done.check == "ok")).sum()
print()
print(f"run: {len(done)}; optimal at the published optimum: {proven}; CPU total {done.cpu.sum():.1f} s "
      f"(first presolve run {done.cpu_first_presolve.sum():.1f} s under load, no presolve "
      f"{done.cpu_no_presolve.sum():.1f} s); wall total {done.wall.sum():.1f} s "
      f"(previous quiet run: wall {done.wall_previous.sum():.1f} s, CPU {done.cpu_previous.sum():.1f} s)")
