"""pmed1-40: this run (``runs.csv``) beside main's code measured just before it (``baseline/runs.csv``).

CPU is the process's CPU end to end (presolve, build, hand-off, HiGHS with its threads, extract);
wall likewise. ``highs_cpu`` is ``run_cpu`` (HiGHS's run and the extraction). Run from this folder:

    python compare.py > compare.md
"""
from pathlib import Path

import pandas as pd

here = Path(__file__).parent


def _suite(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path)
    frame = frame[frame.runner == "suite"]
    return frame.drop_duplicates("case", keep="last").set_index("case")


base, new = _suite(here / "baseline" / "runs.csv"), _suite(here / "runs.csv")
rows = []
for k in range(1, 41):
    c = f"orlib-pmed{k}"
    b, n = base.loc[c], new.loc[c]
    rows.append({
        "case": c, "p": str(n["note"]).split("p ")[1].split(";")[0] if "p " in str(n["note"]) else "",
        "objective": n["objective"], "check": n["check"], "rows": int(n["rows"]),
        "nodes": "" if pd.isna(n["nodes"]) else int(n["nodes"]),
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
print("| **all 40** | | | {} ok | | | **{:.1f}** | **{:.1f}** | {:.1f} | {:.1f} | {:.1f} | {:.1f} |".format(
    int((t.check == "ok").sum()), tot["cpu_baseline"], tot["cpu"], tot["highs_cpu_baseline"], tot["highs_cpu"],
    tot["wall_baseline"], tot["wall"]))
