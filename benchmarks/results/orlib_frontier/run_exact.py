"""Run exactly-named benchmark cases through benchmarks.runner.run_case, appending runs.csv rows
(--case matches substrings: orlib-pmed3 would also select pmed30-39)."""
import sys
from pathlib import Path

import pandas as pd

from benchmarks import runner
from benchmarks.cases import CASES

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
names = sys.argv[2:]
by = {c.name: c for c in CASES}
runner.warm_up()
env = runner.environment()
csv = out / "runs.csv"
for n in names:
    rows = runner.run_case(by[n], 0, (), env)
    df = pd.DataFrame(rows)[runner.COLUMNS]
    df.to_csv(csv, mode="a", header=not csv.exists(), index=False)
    r = rows[0]
    print(n, r["status"], r["objective"], r["check"], round(r["end_to_end_wall"], 2), round(r["end_to_end_cpu"], 2), flush=True)
