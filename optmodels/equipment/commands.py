"""CLI hooks of the equipment family (see :mod:`optmodels.registry`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from optmodels.errors import InstanceError, UsageError

if TYPE_CHECKING:  # heavy imports happen inside the commands, not when the CLI starts
    import numpy as np
    import pandas as pd

    from optmodels.equipment.instance import EquipmentInstance

NAME = "equipment"


def load(path: str | Path) -> EquipmentInstance:
    from optmodels.equipment.instance import EquipmentInstance

    return EquipmentInstance.from_file(path)


def describe(instance: EquipmentInstance) -> str:
    d = instance.data
    return (
        f"{d.n_regions} regions, {d.n_hospitals} hospitals, {d.n_years} years, "
        f"{d.n_hospitals * d.n_years} binaries; objective {instance.objective}"
    )


def add_solve_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("equipment")
    if "--objective" not in parser._option_string_actions:
        group.add_argument("--objective", help="objective to optimise (equipment: cost, utilisation, equity)")
    group.add_argument(
        "--gini-strategy",
        choices=("lazy", "full", "tight"),
        default="lazy",
        help="equipment: add the Gini band only where it binds (lazy, exact) or always (full)",
    )


def solve_command(instance: EquipmentInstance, args: argparse.Namespace, options) -> int:
    from optmodels import io
    from optmodels.equipment import report
    from optmodels.equipment.instance import OBJECTIVES
    from optmodels.equipment.solve import solve_instance
    from optmodels.report import exit_code, header, result_payload

    objective = getattr(args, "objective", None) or instance.objective
    if objective not in OBJECTIVES:
        raise UsageError(
            f"--objective: expected one of {', '.join(OBJECTIVES)} for an equipment instance, found {objective!r}"
        )
    if getattr(args, "model", None):
        raise UsageError("--model does not apply to equipment instances (there is one model)")
    sol = solve_instance(instance, objective, options, strategy=getattr(args, "gini_strategy", "lazy"))
    result = sol.result
    shown = {"cost": "cost", "utilisation": "idle capacity (stand-in for max Z)", "equity": "mean Gini"}
    print(header(result, title=f"equipment allocation: {instance.name} ({describe(instance)})",
                 objective_name=shown[objective], sense="min"))
    print(f"  strategy    {sol.strategy_note}")
    if sol.evaluation is not None:
        ev = sol.evaluation
        check = "holds" if ev.feasible else f"VIOLATED {ev.violations}"
        print(f"  check       numpy evaluator: every constraint {check}; objective recomputed "
              f"{ev.objective(objective):.10g}")
        print()
        print(report.summary(instance, ev))
    code = exit_code(result)
    if args.out and sol.evaluation is not None:
        _write_outputs(Path(args.out), instance, sol)
        print(f"\nwrote result.json, plan.csv, hospitals.csv, regions.csv, years.csv, lorenz.png to {args.out}")
    elif args.out:
        with io.atomic_output_dir(args.out) as tmp:
            io.write_json(tmp / "result.json", result_payload(result, objective_name=objective,
                                                                strategy=sol.strategy_note))
        print(f"\nwrote result.json (no solution) to {args.out}")
    return code


def _write_outputs(out: Path, instance: EquipmentInstance, sol) -> None:
    from optmodels import io
    from optmodels.equipment import report
    from optmodels.report import result_payload

    ev = sol.evaluation
    with io.atomic_output_dir(out) as tmp:
        io.write_json(
            tmp / "result.json",
            result_payload(
                sol.result,
                instance=instance.name,
                objective_name=sol.objective,
                strategy=sol.strategy_note,
                metrics=report.metrics(instance, ev),
            ),
        )
        report.plan_table(instance, ev).to_csv(tmp / "plan.csv", index=False)
        report.hospital_table(instance, ev).to_csv(tmp / "hospitals.csv", index=False)
        report.region_table(instance, ev).to_csv(tmp / "regions.csv", index=False)
        report.year_table(instance, ev).to_csv(tmp / "years.csv", index=False)
        report.lorenz_plot(instance, ev, tmp / "lorenz.png")


# ---- generate ----------------------------------------------------------------------------------
def add_generate_parser(sub) -> None:
    from optmodels.cli import nonnegative_int, positive_int

    p = sub.add_parser("equipment", help="a synthetic equipment instance, feasible by construction")
    p.add_argument("--regions", type=positive_int, default=16)
    p.add_argument("--hospitals", type=positive_int, default=120)
    p.add_argument("--years", type=positive_int, default=5)
    p.add_argument("--seed", type=nonnegative_int, default=0)
    p.add_argument("--band-binding", choices=("lower", "upper", "none"), default=None,
                   help="place the Gini band so that its lower or upper side binds, or neither "
                   "(default: the seed's band widened to contain the reference plan)")
    p.add_argument("-o", "--output", required=True, help="instance file to write (.json/.yaml/.toml)")
    p.set_defaults(func=_cmd_generate)


def _cmd_generate(args: argparse.Namespace) -> int:
    from optmodels import io
    from optmodels.equipment.generate import generate
    from optmodels.equipment.instance import EquipmentInstance

    try:
        data = generate(args.regions, args.hospitals, args.years, args.seed,
                        band_binding=getattr(args, "band_binding", None))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    EquipmentInstance.from_dict(data)  # the generator's promise: it validates
    io.dump_instance(data, args.output)
    print(f"wrote {args.output}: {data['description']}")
    return 0


# ---- analysis tools ----------------------------------------------------------------------------
def add_commands(sub) -> None:
    from optmodels.cli import positive_float, positive_int

    analyse = sub.add_parser("analyse", help="the seed's analysis tools: Gini, M/M/c queues, Delphi weights")
    tools = analyse.add_subparsers(dest="tool", required=True, metavar="TOOL")

    g = tools.add_parser("gini", help="Gini of an allocation (pairwise, trapezoid, Lorenz fit) with the seed's bands")
    g.add_argument("table", help="CSV with one row per region")
    g.add_argument("--amount", default="sets", help="column with the amount (default: sets)")
    g.add_argument("--population", default="population", help="column with the population")
    g.add_argument("--degree", type=positive_int, default=3, help="degree of the Lorenz polynomial fit")
    g.set_defaults(func=_cmd_gini)

    q = tools.add_parser("queue", help="M/M/c metrics and the cost-minimising number of sets c*")
    q.add_argument("--arrival-rate", type=positive_float, required=True, help="lambda, requests per hour")
    q.add_argument("--service-rate", type=positive_float, required=True, help="mu, exams per hour per set")
    q.add_argument("--servers", type=positive_int, help="show this count (default: a range around c*)")
    q.add_argument("--running-cost", type=float, default=1.0, help="h per set per hour (default 1)")
    q.add_argument("--waiting-cost", type=float, default=1.0, help="b per patient per hour (default 1)")
    q.set_defaults(func=_cmd_queue)

    w = tools.add_parser("weights", help="Delphi weights from a survey table (+ composite index)")
    w.add_argument("survey", help="CSV: indicator, count_1, count_2, count_3, count_4")
    w.add_argument("--scores", help="CSV: item, then one column per indicator -> composite index")
    w.set_defaults(func=_cmd_weights)


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
    import numpy as np

    from optmodels.analysis.gini import gini_band, gini_lorenz_fit, gini_pairwise, gini_trapezoid

    frame = _read_csv(args.table, [args.amount, args.population])
    amount = _numeric(frame, args.amount, args.table)
    pop = _numeric(frame, args.population, args.table)
    if (pop <= 0).any():
        r = int(np.argmax(pop <= 0))
        raise InstanceError(file=args.table, field=f"{args.population} row {r + 1}", expected="> 0", found=pop[r])
    if (amount < 0).any():
        r = int(np.argmax(amount < 0))
        raise InstanceError(file=args.table, field=f"{args.amount} row {r + 1}", expected=">= 0", found=amount[r])
    values = {
        "pairwise": gini_pairwise(amount, pop),
        "trapezoid": gini_trapezoid(amount, pop),
        f"Lorenz polynomial fit (degree {args.degree})": gini_lorenz_fit(amount, pop, args.degree),
    }
    print(f"population-weighted Gini of {args.amount} per capita over {len(pop)} rows:")
    for name, value in values.items():
        print(f"  {name:<34} {value:.4f}  {gini_band(value)}")
    return 0


def _cmd_queue(args: argparse.Namespace) -> int:
    import numpy as np

    from optmodels.analysis.queueing import min_stable_servers, mmc, optimal_servers

    lam, mu = args.arrival_rate, args.service_rate
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use the optmodels command")
