"""The equipment family's analysis tools (``optmodels analyse gini|queue|weights``), as data.

Each tool is a :class:`~optmodels.contract.Command`: its flags are declared here and the CLI turns
them into arguments; the functions print their tables and return the exit code.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from optmodels.argtypes import nonnegative_float, positive_float, positive_int
from optmodels.contract import Command, Flag
from optmodels.errors import InstanceError, UsageError

if TYPE_CHECKING:  # heavy imports happen inside the commands, not when the CLI starts
    import numpy as np
    import pandas as pd


def _read_csv(path: str, columns: list[str]) -> pd.DataFrame:
    from optmodels import io

    frame = io.read_table(Path(path).name, Path(path).parent, file=path, field="table")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InstanceError(file=path, field=", ".join(missing), expected=f"columns {columns}",
                            found=list(frame.columns))
    return frame


def _numeric(frame: pd.DataFrame, column: str, path: str) -> np.ndarray:
    import pandas as pd

    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna().to_numpy().nonzero()[0]
    if bad.size:
        raise InstanceError(file=path, field=f"{column} row {bad[0] + 1}", expected="a number",
                            found=frame[column].iloc[bad[0]])
    return values.to_numpy(dtype=float)


def _cmd_gini(args: argparse.Namespace) -> int:
    """The Gini of one allocation per group of rows.

    A table of several years (``regions.csv`` of ``solve --out``: 16 regions x 5 years) holds
    one allocation per year; one Gini over all its rows would compare a region in one year with
    another region in another year, which measures nothing. So the rows are grouped by ``--by``
    (default: the ``year`` column when the table has one) and each group gets its Gini; one Gini
    over every row is computed only when asked (``--pool``), and a table whose ``region`` column
    repeats without a grouping is refused. The output says which it did.
    """
    from optmodels.analysis.gini import bands_note

    frame = _read_csv(args.table, [args.amount, args.population])
    by = args.by
    if by is not None and by not in frame.columns:
        raise InstanceError(file=args.table, field=by, expected=f"a column to group by (--by {by})",
                            found=list(frame.columns))
    if by is None and not args.pool and "year" in frame.columns:
        by = "year"
    if args.pool:
        by = None
    elif by is None and "region" in frame.columns and frame["region"].duplicated().any():
        repeated = frame.loc[frame["region"].duplicated(), "region"].iloc[0]
        raise UsageError(
            f"analyse gini: {args.table} lists region {repeated!r} more than once and has no year column: "
            "one Gini over all rows would pool several allocations; give --by COLUMN (one Gini per "
            "value) or --pool (one Gini over every row, on purpose)"
        )
    amount = _numeric(frame, args.amount, args.table)
    pop = _numeric(frame, args.population, args.table)
    _check_gini_rows(args, amount, pop)
    if by is None:
        groups = [(None, slice(None))]
        what = (f"pooled over all {len(pop)} rows (--pool)" if args.pool and "year" in frame.columns
                else f"over {len(pop)} rows" + (" (--pool)" if args.pool else ""))
        print(f"population-weighted Gini of {args.amount} per capita {what}:")
    else:
        keys = list(dict.fromkeys(frame[by]))
        groups = [(key, (frame[by] == key).to_numpy()) for key in keys]
        print(f"population-weighted Gini of {args.amount} per capita, one per {by} "
              f"({len(keys)} groups of rows; --pool for one over all {len(pop)} rows):")
    for key, rows in groups:
        if key is not None:
            print(f"{by} {key} ({int(rows.sum())} rows):")
        _print_gini(amount[rows], pop[rows], args.degree)
    print(bands_note())
    return 0


def _check_gini_rows(args: argparse.Namespace, amount: np.ndarray, pop: np.ndarray) -> None:
    import numpy as np

    if (pop <= 0).any():
        r = int(np.argmax(pop <= 0))
        raise InstanceError(file=args.table, field=f"{args.population} row {r + 1}", expected="> 0", found=pop[r])
    if (amount < 0).any():
        r = int(np.argmax(amount < 0))
        raise InstanceError(file=args.table, field=f"{args.amount} row {r + 1}", expected=">= 0", found=amount[r])


def _print_gini(amount: np.ndarray, pop: np.ndarray, degree: int) -> None:
    from optmodels.analysis.gini import gini_band, gini_lorenz_fit, gini_pairwise, gini_trapezoid

    values = {
        "pairwise": gini_pairwise(amount, pop),
        "trapezoid": gini_trapezoid(amount, pop),
        f"Lorenz polynomial fit (degree {degree})": gini_lorenz_fit(amount, pop, degree),
    }
    for name, value in values.items():
        print(f"  {name:<34} {value:.4f}  {gini_band(value)}")


#: Largest offered load ``lambda/mu`` `analyse queue` accepts (and half the largest --servers):
#: its Erlang B recursion is O(c) per server count, so a load of 1e5 takes seconds and 1e300
#: overflows the count itself.
MAX_OFFERED_LOAD = 1e5


def _cmd_queue(args: argparse.Namespace) -> int:
    import numpy as np

    from optmodels.analysis.queueing import min_stable_servers, mmc, optimal_servers

    lam, mu = args.arrival_rate, args.service_rate
    if not lam / mu <= MAX_OFFERED_LOAD:
        raise UsageError(
            f"--arrival-rate / --service-rate: the offered load lambda/mu = {lam / mu:.6g} is above "
            f"{MAX_OFFERED_LOAD:g} sets' worth; the Erlang recursion takes one step per set, so "
            "rescale the time unit or split the queue"
        )
    if args.servers is not None and args.servers > 2 * MAX_OFFERED_LOAD:
        raise UsageError(f"--servers: expected at most {2 * MAX_OFFERED_LOAD:g} (one Erlang step "
                         f"per set), found {args.servers}")
    try:
        c_star, cs, costs = optimal_servers(lam, mu, args.running_cost, args.waiting_cost)
    except ValueError as exc:
        raise UsageError(f"--running-cost / --waiting-cost: {exc}") from None
    c_min = int(min_stable_servers(lam, mu))
    show = [args.servers] if args.servers else list(range(c_min, max(c_star + 3, c_min + 4)))
    q = mmc(lam, mu, np.array(show))
    print(f"M/M/c with lambda = {lam:g}/h, mu = {mu:g}/h (offered load {lam / mu:.4g}); stable from c = {c_min}")
    print(f"{'c':>4} {'rho':>7} {'P_wait':>8} {'Lq':>9} {'L':>9} {'Wq (h)':>9} {'W (h)':>9} {'F(c)=hc+bL':>11}")
    for i, c in enumerate(show):
        f = args.running_cost * c + args.waiting_cost * q.l[i]
        print(f"{c:>4} {q.rho[i]:>7.4f} {q.p_wait[i]:>8.4f} {q.lq[i]:>9.4f} {q.l[i]:>9.4f} "
              f"{q.wq[i]:>9.4f} {q.w[i]:>9.4f} {f:>11.4f}")
    print(f"cost-minimising number of sets c* = {c_star} (h = {args.running_cost:g}, b = {args.waiting_cost:g})")
    return 0


def _cmd_weights(args: argparse.Namespace) -> int:
    import numpy as np

    from optmodels import io
    from optmodels.equipment.delphi import composite, delphi_weights, mean_scores

    cols = ["indicator", "count_1", "count_2", "count_3", "count_4"]
    frame = _read_csv(args.survey, cols)
    counts = np.column_stack([_numeric(frame, c, args.survey) for c in cols[1:]])
    if (counts < 0).any() or (counts.sum(axis=1) == 0).any():
        r = int(np.argmax((counts < 0).any(axis=1) | (counts.sum(axis=1) == 0)))
        raise InstanceError(file=args.survey, field=f"row {r + 1}", expected="counts >= 0 with at least one expert",
                            found=counts[r].tolist())
    weights = delphi_weights(counts)
    means = mean_scores(counts)
    print("Delphi weights (w_n = sum A*B / sum B, normalised):")
    for name, m_, w in zip(frame["indicator"], means, weights, strict=True):
        print(f"  {name:<30} mean score {m_:.3f}  weight {w:.4f}")
    if args.scores:
        scores = io.read_table(Path(args.scores).name, Path(args.scores).parent, file=args.scores, field="scores")
        names = [str(n) for n in frame["indicator"]]
        missing = [n for n in names if n not in scores.columns]
        if missing:
            raise InstanceError(file=args.scores, field=", ".join(missing), expected="one column per indicator",
                                found=list(scores.columns))
        values = np.column_stack([_numeric(scores, n, args.scores) for n in names])
        y = composite(weights, values)
        order = np.argsort(-y)
        print("composite index y = sum w_i x_i (highest first):")
        for r in order:
            print(f"  {scores.iloc[r, 0]!s:<30} {y[r]:.4f}")
    return 0


COMMANDS = (
    Command(
        ("analyse", "gini"),
        "Gini of an allocation (pairwise, trapezoid, Lorenz fit) with the seed's bands",
        _cmd_gini,
        flags=(
            Flag(("table",), help="CSV with one row per region (and year: regions.csv of solve --out), "
                                   "e.g. instances/equipment/table.csv"),
            Flag(("--amount",), default="sets", help="column with the amount (default: sets)"),
            Flag(("--population",), default="population", help="column with the population"),
            Flag(("--degree",), type=positive_int, default=3, help="degree of the Lorenz polynomial fit"),
            Flag(("--by",), metavar="COLUMN",
                 help="one Gini per value of this column (default: year, when the table has it)"),
            Flag(("--pool",), action="store_true",
                 help="one Gini over every row, even of several years (pools their allocations)"),
        ),
        group_help="the seed's analysis tools: Gini, M/M/c queues, Delphi weights",
    ),
    Command(
        ("analyse", "queue"),
        "M/M/c metrics and the cost-minimising number of sets c*",
        _cmd_queue,
        flags=(
            Flag(("--arrival-rate",), type=positive_float, required=True, help="lambda, requests per hour"),
            Flag(("--service-rate",), type=positive_float, required=True, help="mu, exams per hour per set"),
            Flag(("--servers",), type=positive_int, help="show this count (default: a range around c*)"),
            Flag(("--running-cost",), type=nonnegative_float, default=1.0, help="h per set per hour (default 1)"),
            Flag(("--waiting-cost",), type=nonnegative_float, default=1.0, help="b per patient per hour (default 1)"),
        ),
    ),
    Command(
        ("analyse", "weights"),
        "Delphi weights from a survey table (+ composite index)",
        _cmd_weights,
        flags=(
            Flag(("survey",), help="CSV: indicator, count_1, count_2, count_3, count_4"),
            Flag(("--scores",), help="CSV: item, then one column per indicator -> composite index"),
        ),
    ),
)
