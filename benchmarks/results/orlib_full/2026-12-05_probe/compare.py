"""pmed1-40: this branch (``runs.csv``, with Lagrangian probing) beside main's code measured just
before it in the same session (``baseline/runs.csv``).

CPU is the process's CPU end to end (presolve, build, hand-off, HiGHS with its threads, extract);
wall likewise. ``highs_cpu`` is ``run_cpu`` (HiGHS's run and the extraction). ``closed`` /
``opened``: the sites the presolve closed / opened, main's and this branch's (read off the run's
note; empty where the presolve does not run). ``rows`` and ``nodes``: the model HiGHS saw last.
Run from this folder:

    python compare.py > compare.md
"""
import re
from pathlib import Path

import pandas as pd

here = Path(__file__).parent


def _suite(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path)
    frame = frame[frame.runner == "suite"]
    return frame.drop_duplicates("case", keep="last").set_index("case")


def _sites(note: str) -> str:
    found = re.search(r"(\d+) of \d+ sites closed, (\d+) opened", str(note))
    return f"{found.group(1)}/{found.group(2)}" if found else ""


def _nodes(value) -> str:
    return "" if pd.isna(value) else str(int(value))


base, new = _suite(here / "baseline" / "runs.csv"), _suite(here / "runs.csv")
rows = []
for k in range(1, 41):
    c = f"orlib-pmed{k}"
    b, n = base.loc[c], new.loc[c]
    rows.append({
        "case": c, "p": str(n["note"]).split("p ")[1].split(";")[0] if "p " in str(n["note"]) else "",
        "objective": n["objective"], "check": f"{b['check']}/{n['check']}",
        "closed/opened_baseline": _sites(b["note"]), "closed/opened": _sites(n["note"]),
        "rows_baseline": int(b["rows"]), "rows": int(n["rows"]),
        "nodes_baseline": _nodes(b["nodes"]), "nodes": _nodes(n["nodes"]),
        "cpu_baseline": round(b["end_to_end_cpu"], 2), "cpu": round(n["end_to_end_cpu"], 2),
        "highs_cpu_baseline": round(b["run_cpu"], 2), "highs_cpu": round(n["run_cpu"], 2),
        "wall_baseline": round(b["end_to_end_wall"], 2), "wall": round(n["end_to_end_wall"], 2),
    })
t = pd.DataFrame(rows)
cols = list(t.columns)
print("| " + " | ".join(cols) + " |")
print("|" + "---|" * len(cols))
for _, r in t.iterrows():
    print("| " + " | ".join(str(r[c]) for c in cols) + " |")
tot = {c: t[c].sum() for c in ("cpu_baseline", "cpu", "highs_cpu_baseline", "highs_cpu", "wall_baseline", "wall")}
ok = int(t.check.eq("ok/ok").sum())
print(f"| **all 40** | | | {ok} ok/ok | | | {t.rows_baseline.sum():,} | {t.rows.sum():,} | | | "
      f"**{tot['cpu_baseline']:.1f}** | **{tot['cpu']:.1f}** | {tot['highs_cpu_baseline']:.1f} | {tot['highs_cpu']:.1f} | "
      f"{tot['wall_baseline']:.1f} | {tot['wall']:.1f} |")
