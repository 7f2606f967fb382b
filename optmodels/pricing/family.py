"""The pricing family as the rest of the suite sees it (the :class:`~optmodels.contract.Family`).

Solving is :func:`optmodels.pricing.solve.solve_pricing`; its further commands are
``optmodels pricing surface`` (the seed's figures 1-3) and ``optmodels pricing breakeven``,
declared here as :class:`~optmodels.contract.Command` data. Pyomo-side modules are imported on
first call, so listing the family (``optmodels --help``) does not import Pyomo.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from optmodels.argtypes import bounded, nonnegative_float, positive_float
from optmodels.contract import Command, Family, Flag, Fronts, lazy
from optmodels.errors import InstanceError
from optmodels.pricing.instance import OBJECTIVES, PricingInstance, from_dict, from_file

MODELS = ("model1", "model2", "model3")


def _from_document(data: dict[str, Any], file: str | Path | None = None) -> PricingInstance:
    return from_dict(data, file=file, base=None if file is None else Path(file).parent)


def describe(instance: PricingInstance) -> str:
    dists = f"M ~ {instance.dist_M.kind}, N ~ {instance.dist_N.kind}"
    elastic = (f"elastic alpha_M = {instance.alpha_M:g}, alpha_N = {instance.alpha_N:g}"
               if instance.elastic else "price-independent participation")
    return f"{instance.model}, fees {', '.join(instance.fees)}, {dists}, {elastic}"


def override(instance: PricingInstance, changes: Mapping[str, Any]) -> PricingInstance:
    """``--model`` reads the same parameters as another variant (validated again: Model 2/3
    need their own fields)."""
    model = changes.get("model")
    if model is None or model == instance.model:
        return instance
    return instance.with_model(model)


def _solve(instance, options=None, *, objective=None, lattice_step=None, method=None):
    from optmodels.pricing.solve import solve_pricing

    return solve_pricing(instance, options, objective=objective, lattice_step=lattice_step, method=method)


def _tune(instance, options):
    from optmodels.pricing.solve import tune

    return tune(instance, options)


def _evaluate(instance: PricingInstance, decision: Mapping[str, float]):
    from optmodels.pricing.evaluate import evaluate

    return evaluate(instance, **dict(decision))


def _build(instance: PricingInstance, objective: str):
    from optmodels.pricing.formulation import build

    return build(instance, objective=objective)





def _default_front(instance) -> tuple[str, ...]:
    from optmodels.pricing.pareto import DEFAULT_OBJECTIVES

    return DEFAULT_OBJECTIVES



def _cmd_surface(args: Any) -> int:
    from optmodels.io import atomic_output_dir
    from optmodels.pricing.report import surface_figures

    instance = from_file(args.file)
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
    return 0


def _cmd_breakeven(args: Any) -> int:
    from optmodels.io import atomic_output_dir, json_safe, write_json
    from optmodels.pricing.breakeven import breakeven, breakeven_text
    from optmodels.pricing.report import breakeven_figure

    instance = from_file(args.file)
    info = breakeven(instance, t=args.t, g=args.g)
    print(breakeven_text(info))
    if args.out:
        with atomic_output_dir(args.out) as tmp:
            write_json(tmp / "breakeven.json", json_safe(info))
            breakeven_figure(instance, info, tmp / "breakeven.png", t=args.t, g=args.g)
        print(f"wrote {args.out}/breakeven.json, breakeven.png")
    return 0


_FIXED_FEES = (
    Flag(("--t",), type=nonnegative_float, default=0.5, help="offline deposit t (default 0.5, as the seed)"),
    Flag(("--g",), type=nonnegative_float, default=1.0, help="sharing fee g (default 1, as the seed)"),
)

COMMANDS = (
    Command(
        ("pricing", "surface"),
        "the seed's figures 1-3 (mid/late-stage profit surfaces of Models 1-3) and a late-stage comparison",
        _cmd_surface,
        flags=(
            Flag(("file",), help="a pricing instance (it must carry the Model 2/3 parameters)"),
            Flag(("--out",), required=True, metavar="DIR", help="write the PNGs and surfaces.csv here"),
            *_FIXED_FEES,
            Flag(("--points",), type=bounded(int, "an integer", lambda v: v >= 3, ">= 3"), default=41,
                 help="grid points per axis over [0, 2] (default 41)"),
        ),
        group_help="pricing family: figures and break-even analysis",
    ),
    Command(
        ("pricing", "breakeven"),
        "late-stage and expected-profit break-even lines, beside the seed's f + e > 2.3868",
        _cmd_breakeven,
        flags=(
            Flag(("file",), help="a pricing instance"),
            Flag(("--out",), metavar="DIR", help="write breakeven.json and breakeven.png here"),
            *_FIXED_FEES,
        ),
    ),
)


FAMILY = Family(
    name="pricing",
    title="fee pricing of a two-sided health-data platform (expected profit over participation stages)",
    load=from_file,
    from_document=_from_document,
    describe=describe,
    objectives=OBJECTIVES,
    default_objective=lambda instance: "profit",
    solve=_solve,
    evaluate=_evaluate,
    build=_build,
    problem=lazy("optmodels.pricing.pareto:problem"),
    fronts=Fronts(
        build_model=lazy("optmodels.pricing.pareto:build_model"),
        decision_summary=lazy("optmodels.pricing.pareto:decision_summary"),
        default_objectives=_default_front,
        decision_vector=lazy("optmodels.pricing.pareto:decision_vector"),
        shipped="instances/pricing/elastic_model2_pareto.yaml",
    ),
    flags=(
        Flag(("--model",), dest="model", choices=MODELS, target="instance",
             help="pricing: read the file as this variant (model1 online, model2 + offline deposit, "
                  "model3 + data sharing)"),
        Flag(("--lattice-step",), dest="lattice_step", type=positive_float, metavar="H",
             help="pricing: fee lattice step with price-elastic participation (default: the file's)"),
        Flag(("--lattice-method",), dest="method", choices=("auto", "enumerate", "milp"),
             help="pricing: search the fee lattice by vectorised enumeration (auto: exact and fastest "
                  "for one objective) or as the exact MILP"),
    ),
    override=override,
    tune=_tune,
    commands=COMMANDS,
)
