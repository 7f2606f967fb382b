"""The OR-Library table: new runs.csv files (argv) beside results/orlib_full, CPU and wall."""
import sys

import pandas as pd

old = pd.read_csv('benchmarks/results/orlib_full/runs.csv').set_index('case')
frames = [pd.read_csv(f) for f in sys.argv[1:]]
new = pd.concat(frames).drop_duplicates('case', keep='last').set_index('case')
rows = []
for k in range(1, 41):
    c = f'orlib-pmed{k}'
    o = old.loc[c]
    if c in new.index:
        n = new.loc[c]
        note = str(n['note'])
        closed = note.split('Lagrangian bound ')[1] if 'Lagrangian bound' in note else ''
        rows.append(dict(case=c, status=n['status'], objective=n['objective'], check=n['check'],
                         rows=n['rows'], old_rows=o['rows'], cpu_new=round(n['end_to_end_cpu'], 2), cpu_old=round(o['end_to_end_cpu'], 2),
                         wall_new=round(n['end_to_end_wall'], 2), wall_old=round(o['end_to_end_wall'], 2), bound_closed=closed))
    else:
        rows.append(dict(case=c, status='not run', cpu_old=round(o['end_to_end_cpu'], 2), wall_old=round(o['end_to_end_wall'], 2)))
t = pd.DataFrame(rows)
cols = list(t.columns)
print('| ' + ' | '.join(cols) + ' |')
print('|' + '---|' * len(cols))
for _, r in t.iterrows():
    print('| ' + ' | '.join('' if pd.isna(r[c]) else str(r[c]) for c in cols) + ' |')
done = t[t.status != 'not run']
print()
print(f"run: {len(done)}; optimal+ok: {((done.status=='optimal')&(done.check=='ok')).sum()}; new CPU total {done.cpu_new.sum():.1f} s vs old CPU on the same cases {done.cpu_old.sum():.1f} s; new wall {done.wall_new.sum():.1f} s")
