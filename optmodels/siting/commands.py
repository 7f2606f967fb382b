"""CLI hooks of the siting family: ``optmodels solve``, ``generate siting``, ``convert orlib-pmed``."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from optmodels.errors import UsageError
from optmodels.siting.instance import MODELS, SitingInstance
from optmodels.siting.instance import load as _load


def load(path: str | Path) -> SitingInstance:
    return _load(path)


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


#: ``--budget none`` / ``--cutoff none``: drop the file's value
_CLEAR = "none"


def _positive_or_none(text: str) -> float | str:
    """A number > 0, or ``none`` (remove the file's value)."""
    from optmodels.cli import positive_float

    return _CLEAR if text.strip().lower() == _CLEAR else positive_float(text)


def _nonnegative_or_none(text: str) -> float | str:
    from optmodels.cli import nonnegative_float

    return _CLEAR if text.strip().lower() == _CLEAR else nonnegative_float(text)


_positive_or_none.__name__ = "number > 0 or 'none'"
_nonnegative_or_none.__name__ = "number >= 0 or 'none'"

#: CLI flag -> (parameter key passed to ``with_changes``, argparse keywords). Every model parameter
#: a user would change between runs, so that no one edits the file to try another budget.
_OVERRIDES: dict[str, tuple[str, dict[str, Any]]] = {
    "--p": ("p", {"type": int, "metavar": "P", "help": "number of open sites, existing included"}),
    "--radius": ("radius", {"type": float, "metavar": "S", "help": "coverage radius / service standard"}),
    "--budget": ("budget", {"type": _nonnegative_or_none, "metavar": "B",
                            "help": "budget on the cost of opened sites ('none' drops the file's)"}),
    "--cutoff": ("cutoff", {"type": _positive_or_none, "metavar": "D",
                            "help": "only pairs with d_ij <= D exist ('none' drops the file's)"}),
    "--capacitated": ("capacitated", {"action": argparse.BooleanOptionalAction, "default": None,
                                      "help": "site capacities bind (--no-capacitated: they do not)"}),
    "--assignment": ("assignment", {"choices": ("multi", "single"),
                                    "help": "capacitated models: split demand (multi) or one site each (single)"}),
    "--cost-per-distance": ("cost_per_distance", {"type": float, "metavar": "C",
                                                  "help": "cflp: cost per unit of population x distance"}),
    "--d0": ("access_d0", {"type": float, "metavar": "D0", "help": "accessibility catchment size"}),
    "--access-method": ("access_method", {"choices": ("2sfca", "e2sfca", "g2sfca", "3sfca"),
                                          "help": "accessibility measure"}),
}


def add_solve_arguments(parser: argparse.ArgumentParser) -> None:
    """``--model``, ``--objective`` (shared) and the siting parameter overrides (:data:`_OVERRIDES`).

    Values are checked by re-validating the instance (``with_changes``), so an override that
    makes the instance invalid is the same exit-2 error as a bad file.
    """
    have = parser._option_string_actions
    if "--model" not in have:
        parser.add_argument("--model", default=None, metavar="NAME",
                            help="model to solve instead of the file's (siting: " + ", ".join(MODELS) + ")")
    if "--objective" not in have:
        parser.add_argument("--objective", default=None, metavar="NAME",
                            help="objective to optimise, by name (siting: cost, n_facilities, distance, "
                                 "max_distance, coverage, ...)")
    if "--formulation" not in have:
        parser.add_argument(
            "--formulation", choices=("auto", "radius", "assignment"), default="auto",
            help="p-median only: 'radius' (row generation on the radius formulation; the default "
                 "for the uncapacitated p-median minimising distance) or 'assignment' (x_ij <= y_j)",
        )
    group = parser.add_argument_group("siting (override the file's parameters)")
    for flag, (key, kwargs) in _OVERRIDES.items():
        if flag not in have:
            group.add_argument(flag, dest=f"siting_{key}", **{"default": None, **kwargs})


def _overridden(instance: SitingInstance, args: argparse.Namespace) -> SitingInstance:
    model = getattr(args, "model", None)
    if model is not None and model not in MODELS:
        raise UsageError(f"--model: expected one of {', '.join(MODELS)}, found {model!r}")
    changes: dict[str, Any] = {}
    for key, _ in _OVERRIDES.values():
        value = getattr(args, f"siting_{key}", None)
        if value is not None:
            changes[key] = None if value == _CLEAR else value
    if model is None and not changes:
        return instance
    return instance.with_changes(model, **changes)


def solve_command(instance: SitingInstance, args: argparse.Namespace, options: Any) -> int:
    from optmodels.siting.formulation import NATIVE, OBJECTIVES

    instance = _overridden(instance, args)
    name = instance.model
    if name in ("equity_capacity", "equity_siting"):
        return _solve_equity(instance, args, options)
    objective = getattr(args, "objective", None)
    if objective is not None and objective not in OBJECTIVES:
        raise UsageError(f"--objective: expected one of {', '.join(OBJECTIVES)} for siting, found {objective!r}")
    objective = objective or NATIVE[name]
    return _solve_location(instance, name, objective, args, options)


def _solve_location(instance: SitingInstance, name: str, objective: str, args, options) -> int:
    from optmodels import report as common
    from optmodels.siting import radius, report
    from optmodels.siting.evaluate import evaluate
    from optmodels.siting.formulation import OBJECTIVES, build, decode
    from solvers import solve

    stage_note = None
    if name == "lscp_b" and instance.parameters.p is None:
        # LSCP-B is lexicographic (as spopt): the fewest sites covering everyone, then most
        # population covered twice with that many sites.
        first = solve(build(instance, model="lscp", objective="n_facilities"), options)
        if not first.is_optimal:
            print(f"LSCP-B stage 1 (fewest facilities covering everyone): {first.verdict}")
            return common.exit_code(first)
        p = int(round(first.objective))
        stage_note = f"  stage 1     LSCP: {p} facilities cover every demand point (p for stage 2)"
        instance = instance.with_changes(p=p)

    formulation = getattr(args, "formulation", "auto")
    use_radius = radius.applies(instance, name, objective) and formulation != "assignment"
    if formulation == "radius" and not use_radius:
        raise UsageError("--formulation radius: only for the uncapacitated p-median minimising distance "
                         f"(found model {name}, objective {objective})")
    if use_radius:
        solved = radius.solve_p_median(instance, options)
        result = solved.result
        stage_note = f"  strategy    {solved.note}"
    else:
        t0 = time.perf_counter()
        mdl = build(instance, objective=objective)
        build_seconds = time.perf_counter() - t0
        result = solve(mdl, options, build_seconds=build_seconds)
    title = f"siting {name} -- {instance.name or Path(args.file).name} ({instance.n_demand} x {instance.n_sites})"
    print(common.header(result, title=title, objective_name=objective, sense=OBJECTIVES[objective]))
    if stage_note:
        print(stage_note)
    if not result.has_solution:
        return common.exit_code(result)
    y, a = (solved.open_sites, None) if use_radius else decode(mdl)
    ev = evaluate(instance, y, a, model=name)
    for line in report.summary_lines(instance, ev, name):
        print(line)
    acc = _accessibility(instance, y)
    if acc is not None:
        print(acc["text"])
    if getattr(args, "out", None):
        written = _write_location(Path(args.out), instance, result, ev, acc, name, objective)
        print(f"  wrote       {args.out}/ ({', '.join(written)})")
    return common.exit_code(result)


def _access_params(instance: SitingInstance) -> dict[str, Any] | None:
    acc = instance.access
    d0 = acc.d0 if acc.d0 is not None else instance.parameters.radius
    if d0 is None:
        return None
    return {"method": acc.method, "d0": d0, "steps": acc.steps, "beta": acc.beta}


def _accessibility(instance: SitingInstance, open_sites: np.ndarray, supply: np.ndarray | None = None) -> dict[str, Any] | None:
    """Accessibility before (existing sites) and after (the plan), if supply and a catchment exist."""
    from optmodels.siting import access

    params = _access_params(instance)
    s = instance.supplies() if supply is None else np.asarray(supply, dtype=float)
    if params is None or not (s > 0).any():
        return None
    pop = instance.populations()
    cost = instance.cost_matrix()
    before_supply = np.where(instance.existing(), instance.supplies(), 0.0)
    after_supply = np.where(open_sites, s, 0.0)
    after = access.accessibility(cost, pop, after_supply, **params)
    thr = instance.access.threshold
    sa = access.summary(after, pop, threshold=thr)
    label = f"{params['method'].upper()} d0={params['d0']:g}"
    lines = [f"  access      {label}: mean {sa['weighted_mean']:.6g} (population-weighted), Gini {sa['gini']:.4f}"
             + (f", {sa['share_below']:.2%} of population below {thr:g}" if thr is not None else "")]
    frame = pd.DataFrame({"demand_id": instance.demand_ids, "population": pop, "access_after": after.access})
    table = None
    if (before_supply > 0).any():
        before = access.accessibility(cost, pop, before_supply, **params)
        sb = access.summary(before, pop, threshold=thr)
        areas = [d.area or d.id for d in instance.demand]
        table = access.before_after(before, after, pop, area_ids=areas, threshold=thr)
        change = 100.0 * (sa["weighted_mean"] - sb["weighted_mean"]) / sb["weighted_mean"] if sb["weighted_mean"] > 0 else float("inf")
        lines.append(f"  before      existing sites only: mean {sb['weighted_mean']:.6g}, Gini {sb['gini']:.4f}"
                     + (f", {sb['share_below']:.2%} below {thr:g}" if thr is not None else "")
                     + f"; mean change {change:+.1f}%, largest area change {table.attrs.get('max_change_pct', float('nan')):+.1f}%")
        frame.insert(2, "access_before", before.access)
    return {"text": "\n".join(lines), "frame": frame, "summary": sa, "before_after": table, "measure": label}


def _write_accessibility(tmp: Path, acc: dict[str, Any] | None, written: list[str]) -> None:
    """accessibility.csv (+ the before/after table) into the output folder, when there is one."""
    if acc is None:
        return
    acc["frame"].to_csv(tmp / "accessibility.csv", index=False)
    written.append("accessibility.csv")
    if acc["before_after"] is not None:
        acc["before_after"].to_csv(tmp / "accessibility_before_after.csv", index=False)
        written.append("accessibility_before_after.csv")


def _write_geo(tmp: Path, instance: SitingInstance, sites: pd.DataFrame, demand: pd.DataFrame) -> str | None:
    """``siting.gpkg`` (layers ``sites`` and ``demand``) when geopandas is installed and the
    instance has coordinates; returns the file name written, or a note why not."""
    from optmodels.siting import report

    try:
        import geopandas  # noqa: F401
    except ImportError:
        return None  # the geo extra is optional; the CSVs carry the same columns
    if not report.write_geo(instance, tmp / "siting.gpkg", sites, demand):
        return None
    return "siting.gpkg"


def _write_location(out: Path, instance, result, ev, acc, name, objective) -> list[str]:
    from optmodels.io import atomic_output_dir, write_json
    from optmodels.report import result_payload
    from optmodels.siting import report

    written = ["result.json", "sites.csv", "assignments.csv"]
    with atomic_output_dir(out) as tmp:
        opened = [instance.site_ids[j] for j in np.flatnonzero(ev.open)]
        payload = result_payload(
            result,
            family="siting",
            model=name,
            objective_name=objective,
            open_sites=opened,
            **report.metrics(ev),
            accessibility=None if acc is None else {"measure": acc["measure"], **acc["summary"]},
        )
        write_json(tmp / "result.json", payload)
        sites = report.sites_table(instance, ev.open, ev)
        sites.to_csv(tmp / "sites.csv", index=False)
        report.assignments_table(instance, ev).to_csv(tmp / "assignments.csv", index=False)
        _write_accessibility(tmp, acc, written)
        demand = report.demand_table(instance, ev, None if acc is None else acc["frame"])
        if (geo := _write_geo(tmp, instance, sites, demand)) is not None:
            written.append(geo)
        if report.plot_map(instance, ev, tmp / "map.png", title=f"{instance.name} -- {name}"):
            written.append("map.png")
    return written


# --------------------------------------------------------------------------------------------
# equity models (access helper's optmodels.siting.equity)
# --------------------------------------------------------------------------------------------


def _solve_equity(instance: SitingInstance, args: argparse.Namespace, options: Any) -> int:
    from optmodels import report as common
    from optmodels.errors import InstanceError
    from optmodels.siting import equity
    from solvers import solve

    params = _access_params(instance)
    if params is None:
        raise InstanceError(field="access.d0", expected="a catchment size d0 (or parameters.radius)", found="none")
    method_params = {k: params[k] for k in ("steps", "beta") if params[k] is not None}
    cost = instance.cost_matrix()
    pop = instance.populations()
    s_now = instance.supplies()
    existing = instance.existing()
    s_total = instance.access.supply_total or float(s_now[existing].sum() if existing.any() else s_now.sum())
    smin = np.array([s.supply_min for s in instance.sites])
    name = instance.model
    t0 = time.perf_counter()
    try:
        if name == "equity_capacity":
            # capacity re-allocation among the sites that exist (all sites if none is marked)
            cols = np.flatnonzero(existing) if existing.any() else np.arange(instance.n_sites)
            mdl = equity.build_capacity_qp(
                cost[:, cols], pop, smin[cols], s_total, d0=params["d0"], method=params["method"],
                scale=instance.access.scale, **method_params,
            )
            objective = "access_variance"
        else:
            cols = np.arange(instance.n_sites)
            cap = instance.capacities()
            mdl = equity.build_siting_mad(
                cost, pop, s_total, d0=params["d0"],
                supply_max=np.where(np.isfinite(cap), cap, s_total), supply_min=smin,
                p=instance.parameters.p, budget=instance.parameters.budget,
                fixed_cost=instance.fixed_costs(), fixed_open=instance.fixed_open(),
                method=params["method"], scale=instance.access.scale, **method_params,
            )
            objective = "access_mad"
    except (ValueError, TypeError) as exc:
        raise InstanceError(str(exc), field="access") from None
    build_seconds = time.perf_counter() - t0
    result = solve(mdl, options, build_seconds=build_seconds)
    title = f"siting {name} -- {instance.name or Path(args.file).name} ({instance.n_demand} x {instance.n_sites})"
    print(common.header(result, title=title, objective_name=objective, sense="min"))
    if not result.has_solution:
        return common.exit_code(result)
    supply = np.zeros(instance.n_sites)
    supply[cols] = equity.supplies(mdl)
    opened = np.zeros(instance.n_sites, bool)
    opened[cols] = equity.open_sites(mdl)
    print(f"  {objective} (unscaled) {equity.unscaled(mdl, result.objective):.6g}")
    print(f"  total supply {supply.sum():.6g} (fixed at {s_total:.6g})")
    shown = ", ".join(f"{instance.site_ids[j]}={supply[j]:.4g}" for j in np.flatnonzero(opened)[:20])
    print(f"  supply      {shown}")
    acc = _accessibility(instance, opened, supply)
    if acc is not None:
        print(acc["text"])
        if acc["before_after"] is not None:  # the equity cases' before/after table, by area
            from optmodels.siting.access import before_after_text

            print(before_after_text(acc["before_after"]))
    if getattr(args, "out", None):
        from optmodels.io import atomic_output_dir, write_json
        from optmodels.report import result_payload

        with atomic_output_dir(Path(args.out)) as tmp:
            write_json(tmp / "result.json", result_payload(
                result, family="siting", model=name, objective_name=objective,
                supply=dict(zip(instance.site_ids, supply.tolist(), strict=False)),
                open_sites=[instance.site_ids[j] for j in np.flatnonzero(opened)],
                accessibility=None if acc is None else {"measure": acc["measure"], **acc["summary"]},
            ))
            sites = pd.DataFrame({"site_id": instance.site_ids, "existing": existing, "open": opened,
                                  "supply_before": s_now, "supply_after": supply})
            sites.to_csv(tmp / "sites.csv", index=False)
            written = ["result.json", "sites.csv"]
            _write_accessibility(tmp, acc, written)
            from optmodels.siting import report

            demand = report.demand_table(instance, None, None if acc is None else acc["frame"])
            if (geo := _write_geo(tmp, instance, sites, demand)) is not None:
                written.append(geo)
        print(f"  wrote       {args.out}/ ({', '.join(written)})")
    return common.exit_code(result)


# --------------------------------------------------------------------------------------------
# generate / convert
# --------------------------------------------------------------------------------------------


def add_generate_parser(gen_sub: Any) -> None:
    from optmodels.cli import nonnegative_int, positive_int

    gen = gen_sub.add_parser("siting", help="a synthetic city-scale healthcare siting case")
    gen.add_argument("--demand", type=positive_int, required=True, metavar="N", help="demand points")
    gen.add_argument("--sites", type=positive_int, required=True, metavar="M", help="candidate sites (existing included)")
    gen.add_argument("--seed", type=nonnegative_int, default=0)
    gen.add_argument("--existing", type=nonnegative_int, default=None, metavar="E",
                     help="existing hospitals among the sites (default: M // 10)")
    gen.add_argument("--model", default="p_median", choices=[m for m in MODELS if not m.startswith("equity")] + ["equity_capacity", "equity_siting"])
    gen.add_argument("--p", type=positive_int, default=None, help="open sites (default: existing + max(1, M // 10))")
    gen.add_argument("-o", "--output", required=True, metavar="FILE", help="instance file (.json/.yaml/.toml)")
    gen.set_defaults(func=_cmd_generate)


def _cmd_generate(args: argparse.Namespace) -> int:
    from optmodels.siting.generate import generate

    existing = args.existing if args.existing is not None else args.sites // 10
    if existing > args.sites:
        raise UsageError(f"--existing {existing} exceeds --sites {args.sites}")
    inst = generate(args.demand, args.sites, seed=args.seed, existing=existing, model=args.model, p=args.p, path=args.output)
    print(f"wrote {args.output}: {describe(inst)}")
    return 0


def add_commands(sub: Any) -> None:
    """``optmodels convert orlib-pmed FILE -o OUT``."""
    convert = sub.choices.get("convert") if hasattr(sub, "choices") else None
    if convert is None:
        convert = sub.add_parser("convert", help="convert public benchmark files into instance files")
        conv_sub = convert.add_subparsers(dest="format", required=True, metavar="FORMAT")
    else:  # another family created `convert`: add ours to its sub-commands
        conv_sub = next(a for a in convert._actions if isinstance(a, argparse._SubParsersAction))
    pmed = conv_sub.add_parser("orlib-pmed", help="OR-Library p-median file -> siting instance (+ edge table)")
    pmed.add_argument("file", help="pmedN.txt")
    pmed.add_argument("-o", "--output", required=True, metavar="OUT", help="instance file (.json/.yaml/.toml)")
    pmed.set_defaults(func=_cmd_convert_pmed)


def _cmd_convert_pmed(args: argparse.Namespace) -> int:
    from optmodels.siting.orlib import convert

    out = convert(args.file, args.output)
    inst = load(out)
    print(f"wrote {out} and {out.stem}_edges.csv: {describe(inst)}")
    return 0
