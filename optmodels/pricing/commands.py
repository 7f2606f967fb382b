"""CLI hooks of the pricing family.

``optmodels solve FILE`` (profit LP, or the lattice MILP with price-elastic participation),
``optmodels pricing surface FILE --out DIR`` (the seed's figures 1-3 and the late-stage
comparison) and ``optmodels pricing breakeven FILE [--out DIR]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from optmodels.errors import InstanceError, UsageError
from optmodels.pricing.instance import PricingInstance, from_file

EXIT_SOLVED, EXIT_NO_SOLUTION = 0, 1
NO_VIABLE_FEE = "no fee makes expected profit non-negative"


def load(path: str | Path) -> PricingInstance:
    return from_file(path)


def describe(instance: PricingInstance) -> str:
    dists = f"M ~ {instance.dist_M.kind}, N ~ {instance.dist_N.kind}"
    elastic = (f"elastic alpha_M = {instance.alpha_M:g}, alpha_N = {instance.alpha_N:g}"
               if instance.elastic else "price-independent participation")
    return f"{instance.model}, fees {', '.join(instance.fees)}, {dists}, {elastic}"


def add_solve_arguments(parser: argparse.ArgumentParser) -> None:
    """``--objective`` (shared with other families if they define it) and ``--lattice-step``."""
    if "--objective" not in parser._option_string_actions:
        parser.add_argument("--objective", default=None, metavar="NAME",
                            help="objective to optimise, by name (pricing: profit, patient_burden, "
                                 "participation; default profit)")
    if "--lattice-step" not in parser._option_string_actions:
        parser.add_argument("--lattice-step", type=float, default=None, metavar="H",
                            help="pricing: fee lattice step of the elastic MILP (default: the instance's)")


def _objective(args: argparse.Namespace) -> str:
    from optmodels.pricing.formulation import OBJECTIVES

    name = getattr(args, "objective", None) or "profit"
    if name not in OBJECTIVES:
        raise UsageError(f"unknown pricing objective {name!r}; expected one of {', '.join(OBJECTIVES)}")
    return name


def _lattice_step(args: argparse.Namespace) -> float | None:
    step = getattr(args, "lattice_step", None)
    if step is not None and not step > 0:
        raise UsageError(f"--lattice-step must be > 0, found {step}")
    return step


def tuned_options(instance: PricingInstance, options):
    """The solve options with HiGHS presolve off for the elastic lattice MILP (unless set).

    Measured on ``elastic_model2.yaml`` (step 0.01, 12,927 columns): presolve took 4.4 s of a
    5.7 s solve and then HiGHS needed one node; without presolve the same optimum takes
    0.8-1.2 s for each objective. The aggregated pair block is already tight, so presolve finds
    little to remove. A user's explicit ``presolve`` option is kept.
    """
    import dataclasses

    if not instance.elastic or "presolve" in options.solver_options:
        return options
    return dataclasses.replace(options, solver_options={**options.solver_options, "presolve": "off"})


def _variant(instance: PricingInstance, args: argparse.Namespace) -> PricingInstance:
    """``--model model1|model2|model3`` (if the shared flag exists) reads the file as that variant."""
    name = getattr(args, "model", None)
    if name is None or name == instance.model:
        return instance
    if name not in ("model1", "model2", "model3"):
        raise UsageError(f"unknown pricing model {name!r}; expected model1, model2 or model3")
    return instance.with_model(name)


def solve_command(instance: PricingInstance, args: argparse.Namespace, options) -> int:
    from optmodels import report as common
    from optmodels.pricing import report
    from optmodels.pricing.formulation import OBJECTIVES, build, fee_values
    from solvers import Termination, solve

    instance = _variant(instance, args)
    objective = _objective(args)
    step = _lattice_step(args)
    sense = OBJECTIVES[objective]
    options = tuned_options(instance, options)
    t0 = time.perf_counter()
    model = build(instance, objective=objective, lattice_step=step)
    result = solve(model, options, build_seconds=time.perf_counter() - t0)
    title = f"pricing {instance.model}: {objective} ({sense})"
    print(common.header(result, title=title, objective_name=objective, sense=sense))
    if not result.has_solution:
        if result.termination in (Termination.INFEASIBLE, Termination.INFEASIBLE_OR_UNBOUNDED):
            relaxed = build(instance, objective="profit", viability=False, lattice_step=step)
            best = solve(relaxed, options)
            if best.has_solution:
                fees = fee_values(relaxed, instance)
                shown = ", ".join(f"{k} = {v:.6g}" for k, v in fees.items())
                print(f"verdict: {NO_VIABLE_FEE}; the best achievable expected profit is "
                      f"{best.objective:.6g} (at {shown})")
                print(f"no solution: {NO_VIABLE_FEE} (best achievable expected profit "
                      f"{best.objective:.6g} at {shown})", file=sys.stderr)
                if args.out:
                    _write(args.out, instance, result, None, objective, sense, step,
                           verdict=NO_VIABLE_FEE, best_profit=best.objective, best_fees=fees)
                return EXIT_NO_SOLUTION
        return common.exit_code(result)
    fees = fee_values(model, instance)
    print(report.summary_text(instance, fees, objective, sense, step=step))
    if args.out:
        _write(args.out, instance, result, fees, objective, sense, step)
        print(f"\nwrote {args.out}/result.json, stages.csv, fees.csv")
    return common.exit_code(result)


def _write(out, instance, result, fees, objective, sense, step, **extra) -> None:
    from optmodels import report as common
    from optmodels.io import atomic_output_dir, write_json
    from optmodels.pricing import report
    from optmodels.pricing.evaluate import evaluate

    with atomic_output_dir(out) as tmp:
        metrics = {"family": "pricing", "instance": instance.name, "model": instance.model,
                   "objective_name": objective, "sense": sense, "epsilon": instance.epsilon,
                   "elastic": instance.elastic,
                   "lattice_step": (step or instance.lattice_step) if instance.elastic else None}
        metrics.update(extra)
        if fees is not None:
            stages = report.stage_table(instance, fees)
            table = report.fee_table(instance, fees, objective, sense, step=step)
            ev = evaluate(instance, **fees)
            metrics.update(fees=fees, expected_profit=float(ev.U),
                           stages=stages.to_dict("records"), bounds=table.to_dict("records"),
                           participation=float(ev.participation), patient_burden=float(ev.patient_burden))
            stages.to_csv(tmp / "stages.csv", index=False)
            table.to_csv(tmp / "fees.csv", index=False)
        write_json(tmp / "result.json", common.result_payload(result, **metrics))


# -- `optmodels pricing ...` ------------------------------------------------------------------


def add_commands(sub) -> None:
    pricing = sub.add_parser("pricing", help="pricing family: figures and break-even analysis")
    psub = pricing.add_subparsers(dest="pricing_command", required=True, metavar="COMMAND")

    surface = psub.add_parser("surface", help="the seed's figures 1-3 (mid/late-stage profit "
                                              "surfaces of Models 1-3) and a late-stage comparison")
    surface.add_argument("file", help="a pricing instance (it must carry the Model 2/3 parameters)")
    surface.add_argument("--out", required=True, metavar="DIR", help="write the PNGs and surfaces.csv here")
    surface.add_argument("--t", type=float, default=0.5, help="offline deposit t (default 0.5, as the seed)")
    surface.add_argument("--g", type=float, default=1.0, help="sharing fee g (default 1, as the seed)")
    surface.add_argument("--points", type=int, default=41, help="grid points per axis over [0, 2] (default 41)")
    surface.set_defaults(func=_cmd_surface)

    breakeven = psub.add_parser("breakeven", help="late-stage and expected-profit break-even lines, "
                                                  "beside the seed's f + e > 2.3868")
    breakeven.add_argument("file")
    breakeven.add_argument("--out", metavar="DIR", help="write breakeven.json and breakeven.png here")
    breakeven.add_argument("--t", type=float, default=0.5, help="offline deposit t (default 0.5)")
    breakeven.add_argument("--g", type=float, default=1.0, help="sharing fee g (default 1)")
    breakeven.set_defaults(func=_cmd_breakeven)


def _check_fixed(args: argparse.Namespace) -> None:
    if not args.t >= 0 or not args.g >= 0:
        raise UsageError(f"--t and --g must be >= 0, found t = {args.t}, g = {args.g}")


def _cmd_surface(args: argparse.Namespace) -> int:
    from optmodels.io import atomic_output_dir
    from optmodels.pricing.report import surface_figures

    _check_fixed(args)
    if args.points < 3:
        raise UsageError(f"--points must be >= 3, found {args.points}")
    instance = load(args.file)
    try:  # the figures draw all three models from this one file
        instance.with_model("model3")
    except InstanceError as err:
        raise InstanceError(
            file=args.file,
            problems=["'pricing surface' draws Models 1-3 from one file, so it needs the Model 2/3 "
                      "parameters too (see instances/pricing/seed_model1.yaml)"]
            + (err.problems or [str(err)]),
        ) from None
    with atomic_output_dir(args.out) as tmp:
        written = surface_figures(instance, tmp, t=args.t, g=args.g, points=args.points)
    for path in written:
        print(f"wrote {Path(args.out) / path.name}")
    return EXIT_SOLVED


def _cmd_breakeven(args: argparse.Namespace) -> int:
    from optmodels.io import atomic_output_dir, json_safe, write_json
    from optmodels.pricing.breakeven import breakeven, breakeven_text
    from optmodels.pricing.report import breakeven_figure

    _check_fixed(args)
    instance = load(args.file)
    info = breakeven(instance, t=args.t, g=args.g)
    print(breakeven_text(info))
    if args.out:
        with atomic_output_dir(args.out) as tmp:
            write_json(tmp / "breakeven.json", json_safe(info))
            breakeven_figure(instance, info, tmp / "breakeven.png", t=args.t, g=args.g)
        print(f"wrote {args.out}/breakeven.json, breakeven.png")
    return EXIT_SOLVED
