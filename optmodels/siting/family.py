"""The siting family as the rest of the suite sees it (the :class:`~optmodels.contract.Family`).

Flags are data: ``--model`` and the parameter overrides change the instance (validated again,
so an override that makes it invalid is the same input error as a bad file), ``--formulation``
is a choice of :func:`~optmodels.siting.solve.solve_siting`. Pyomo-side modules are imported on
first call, so listing the family's flags does not import Pyomo.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from optmodels.argtypes import nonnegative_float, nonnegative_int, positive_float, positive_int
from optmodels.contract import Family, Flag, Fronts, lazy
from optmodels.errors import UsageError
from optmodels.siting import commands
from optmodels.siting.models import FRONT_OBJECTIVES, MODEL_SPECS, MODELS, OBJECTIVES

if TYPE_CHECKING:  # the schema needs pandas and SciPy: loaded when a file is read, not to list flags
    from optmodels.siting.data.instance import SitingInstance

#: ``--budget none`` / ``--cutoff none``: drop the file's value
CLEAR = "none"


def _or_none(parse):
    def parse_or_none(text: str):
        return CLEAR if text.strip().lower() == CLEAR else parse(text)

    parse_or_none.__name__ = f"{parse.__name__} or 'none'"
    return parse_or_none


def describe(instance: SitingInstance) -> str:
    par = instance.parameters
    bits = [f"model {instance.model}", f"{instance.n_demand} demand points x {instance.n_sites} sites"]
    bits.append(f"distance {instance.distance.kind}")
    n_ex = int(instance.existing().sum())
    if n_ex:
        bits.append(f"{n_ex} existing")
    for key in ("p", "radius", "budget", "cutoff"):
        value = getattr(par, key)
        if value is not None:
            bits.append(f"{key} {value:g}")
    if par.capacitated:
        bits.append(f"capacitated ({par.assignment}-source)")
    return ", ".join(bits)


def override(instance: SitingInstance, changes: Mapping[str, Any]) -> SitingInstance:
    """The instance with ``--model`` and the parameter flags applied, validated again.

    ``none`` clears a value (``--budget none``). Switching another model's file to ``lscp_b``
    drops its ``p`` unless ``--p`` is given: that ``p`` was chosen for the other model, and
    LSCP-B's own is the LSCP optimum (stage 1 of :func:`~optmodels.siting.solve.solve_siting`).
    """
    changes = dict(changes)
    model = changes.pop("model", None)
    if model is not None and model not in MODEL_SPECS:
        raise UsageError(f"--model: expected one of {', '.join(MODELS)}, found {model!r}")
    params = {k: (None if v == CLEAR else v) for k, v in changes.items() if v is not None}
    if model == "lscp_b" and instance.model != "lscp_b" and "p" not in params:
        params["p"] = None
    if model is None and not params:
        return instance
    return instance.with_changes(model, **params)


def _solve(instance, options=None, *, objective=None, formulation="auto", scheduler=None, bound_hint=None, **warm):
    """``warm``: a sweep session's ``state`` and ``start`` (:func:`~optmodels.siting.solve.solve_siting`)."""
    from optmodels.siting.solve import solve_siting

    if isinstance(scheduler, str):  # an address from the command line: checked and reached first
        from solvers.executor import SchedulerError, connect

        try:
            client, own = connect(scheduler)
        except SchedulerError as exc:
            raise UsageError(f"--scheduler {exc}") from None
        try:
            return solve_siting(instance, options, objective=objective, formulation=formulation, scheduler=client,
                                bound_hint=bound_hint, **warm)
        finally:
            if own:
                client.close()
    return solve_siting(instance, options, objective=objective, formulation=formulation, scheduler=scheduler,
                        bound_hint=bound_hint, **warm)


def _evaluate(instance, decision):
    from optmodels.siting.evaluate import evaluate_decision

    return evaluate_decision(instance, decision)


def _build(instance: SitingInstance, objective: str | None = None):
    from optmodels.siting.solve import build

    return build(instance, objective)


#: above this many demand points ``generate`` lays out a province (tables beside the file), not a city
PROVINCE_FROM = 50_000


def _generate(*, demand: int, sites: int, seed: int = 0, existing: int | None = None,
              model: str | None = None, p: int | None = None, budget: float | None = None,
              layout: str | None = None, radius: float | None = None) -> dict[str, Any]:
    from optmodels.siting.data.generate import generate_dict, province_dict

    if existing is not None and existing > sites:
        raise UsageError(f"--existing {existing} exceeds --sites {sites}")
    layout = layout or ("province" if demand > PROVINCE_FROM else "city")
    if layout == "province":
        return province_dict(demand, sites, seed=seed, existing=existing, model=model or "mclp", p=p,
                             radius=5.0 if radius is None else radius, budget=budget)
    if radius is not None:
        raise UsageError("--radius: the city layout's radius is 5 km; --radius is for --layout province")
    existing = sites // 10 if existing is None else existing
    return generate_dict(demand, sites, seed=seed, existing=existing, model=model or "p_median", p=p, budget=budget)


FLAGS = (
    Flag(("--model",), dest="model", choices=MODELS, metavar="NAME", target="instance",
         help="model to solve instead of the file's: " + ", ".join(MODELS)),
    Flag(("--formulation",), dest="formulation", choices=("auto", "radius", "assignment"),
         help="p-median only: 'radius' (row generation on the radius formulation; the default for the "
              "uncapacitated p-median minimising distance) or 'assignment' (x_ij <= y_j)"),
    Flag(("--p",), dest="p", type=positive_int, metavar="P", target="instance",
         help="number of open sites, existing included"),
    Flag(("--radius",), dest="radius", type=positive_float, metavar="S", target="instance",
         help="coverage radius / service standard"),
    Flag(("--budget",), dest="budget", type=_or_none(nonnegative_float), metavar="B", target="instance",
         help="budget on the cost of opened sites ('none' drops the file's)"),
    Flag(("--cutoff",), dest="cutoff", type=_or_none(positive_float), metavar="D", target="instance",
         help="only pairs with d_ij <= D exist ('none' drops the file's)"),
    Flag(("--capacitated",), dest="capacitated", action=argparse.BooleanOptionalAction, target="instance",
         help="site capacities bind (--no-capacitated: they do not)"),
    Flag(("--assignment",), dest="assignment", choices=("multi", "single"), target="instance",
         help="capacitated models: split demand (multi) or one site each (single)"),
    Flag(("--cost-per-distance",), dest="cost_per_distance", type=nonnegative_float, metavar="C",
         target="instance", help="cflp: cost per unit of population x distance"),
    Flag(("--d0",), dest="access_d0", type=positive_float, metavar="D0", target="instance",
         help="accessibility catchment size"),
    Flag(("--access-method",), dest="access_method", choices=("2sfca", "e2sfca", "g2sfca", "3sfca"),
         target="instance", help="accessibility measure"),
    Flag(("--scheduler",), dest="scheduler", metavar="ADDRESS",
         help="a Dask scheduler (tcp://host:8786): pairs, coverage groups and the plan's evaluation run on "
              "its workers in partitions of demand points; the model is solved here"),
)

GENERATE_FLAGS = (
    Flag(("--demand",), type=positive_int, required=True, metavar="N", help="demand points"),
    Flag(("--sites",), type=positive_int, required=True, metavar="M", help="candidate sites (existing included)"),
    Flag(("--seed",), type=nonnegative_int, default=0, help="random seed (default 0)"),
    Flag(("--layout",), choices=("city", "province"),
         help=f"city: a 30 km city, records inline (default up to {PROVINCE_FROM:,} demand points); "
              "province: population-grid cells in cities, towns and countryside, demand and sites written "
              "as Parquet tables beside the file (default beyond)"),
    Flag(("--existing",), type=nonnegative_int, metavar="E",
         help="existing hospitals among the sites (default: M // 10 in a city, M // 20 in a province)"),
    Flag(("--model",), choices=MODELS,
         help="the file's model (default: p_median in a city, mclp in a province)"),
    Flag(("--p",), type=positive_int,
         help="open sites (default: existing + max(1, M // 10) in a city, M // 20 in a province)"),
    Flag(("--radius",), type=positive_float, metavar="S",
         help="province: coverage radius in km, also the candidate lattice's reach (default 5)"),
    Flag(("--budget",), type=nonnegative_float, metavar="B",
         help="a budget on the cost of opened sites, for models that take one (default: none)"),
)


def _from_document(data: dict[str, Any], file: str | Path | None = None) -> SitingInstance:
    from optmodels.siting.data.instance import from_document

    return from_document(data, file)


FAMILY = Family(
    name="siting",
    title="facility siting and accessibility: where to open clinics (coverage, distance, cost, equity)",
    load=lazy("optmodels.siting.data.instance:load"),
    from_document=_from_document,
    describe=describe,
    objectives=OBJECTIVES,
    default_objective=lambda instance: MODEL_SPECS[instance.model].native,
    solve=_solve,
    evaluate=_evaluate,
    build=_build,
    problem=lazy("optmodels.siting.pareto:problem"),
    fronts=Fronts(
        build_model=lazy("optmodels.siting.pareto:build_model"),
        decision_summary=lazy("optmodels.siting.pareto:decision_summary"),
        default_objectives=lazy("optmodels.siting.pareto:default_objectives"),
        decision_vector=lazy("optmodels.siting.pareto:decision_vector"),
        shipped="instances/siting/small/small_lscp.json",
        objectives=FRONT_OBJECTIVES,
    ),
    flags=FLAGS,
    override=override,
    generate=_generate,
    generate_flags=GENERATE_FLAGS,
    commands=commands.COMMANDS,
    formats={"orlib-pmed": lazy("optmodels.siting.data.orlib:load_pmed")},
    warm=lazy("optmodels.siting.warm:WarmSiting"),
)
