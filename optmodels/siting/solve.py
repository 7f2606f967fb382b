"""Solving a siting instance: the family's whole strategy, in one pure call.

:func:`solve_siting` picks what the instance's model needs and returns a contract
:class:`~optmodels.contract.Solution` (no printing, no files):

- **LSCP-B** is lexicographic (as spopt): stage 1 solves the LSCP (fewest sites covering every
  demand point), stage 2 maximises the population covered twice with that many sites. A ``p``
  given in the file for ``lscp_b`` is used as is (stage 1 skipped), and the notes say which.
- **The uncapacitated p-median minimising distance** is solved by row generation on the radius
  formulation (:func:`optmodels.siting.median.radius.solve_p_median`): same optimum, a fraction of the
  assignment model's size. ``formulation="assignment"`` forces the assignment model,
  ``"radius"`` refuses any other model/objective instead of silently ignoring the request.
- **The uncapacitated p-center minimising the largest distance** (existing sites, a budget or a
  cut-off included) is solved by a relaxation over a few demand points, decided by set covers
  (:func:`optmodels.siting.center.relaxation.solve_p_center`): exact, and it never builds the
  ``n x m`` model, so it also runs at population-grid scale. ``formulation="assignment"`` forces
  the assignment MILP; a capacitated p-center always uses it (the nearest open site is then no
  longer the server).
- **Every other location model**: the assignment/coverage MILP of
  :mod:`optmodels.siting.formulation`.
- **Equity models**: ``equity_capacity`` re-allocates a fixed total supply among the existing
  sites to minimise the variance of accessibility (a convex QP), ``equity_siting`` also opens
  sites and minimises its mean absolute deviation (a MILP) -- :mod:`optmodels.siting.access.equity`.

Each stage starts with :func:`solvers.interrupt.stage`: after a stop signal (Ctrl-C, SIGTERM from
the command line) no further stage starts, and the best plan so far is reported as interrupted.

The objective reported is the numpy evaluator's value of the returned plan, not the solver's:
for p-center and p-dispersion the solver's value can be ~1e-6 off the true distance (its
feasibility tolerance), and a user compares the reported number with the plan's distances.
The bound and gap stay the solver's.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np

from optmodels.contract import Solution, relative_gap
from optmodels.errors import InstanceError, bad_choice
from optmodels.siting.data.instance import SitingInstance
from optmodels.siting.evaluate import SitingDecision, access_params, evaluate_decision
from optmodels.siting.models import EQUITY_OBJECTIVES, MODEL_SPECS, OBJECTIVES, capacities_bind
from solvers import SolveOptions, SolveResult, Termination, Timings
from solvers.interrupt import stage

FORMULATIONS = ("auto", "radius", "assignment")


def resolve_objective(instance: SitingInstance, objective: str | None) -> str:
    """The objective to optimise: the model's own by default; equity models have only theirs."""
    spec = MODEL_SPECS[instance.model]
    if objective is None:
        return spec.native
    if not isinstance(objective, str) or objective not in OBJECTIVES:
        raise bad_choice("objective", objective, f"expected one of {', '.join(OBJECTIVES)} (the siting family's objectives)")
    if spec.equity and objective != spec.native:
        raise bad_choice("objective", objective, f"model {instance.model} optimises {spec.native} only")
    if not spec.equity and objective in EQUITY_OBJECTIVES:
        raise bad_choice("objective", objective, f"{objective} belongs to the equity models, not to {instance.model}")
    return objective


def solve_siting(
    instance: SitingInstance,
    options: SolveOptions | None = None,
    *,
    objective: str | None = None,
    formulation: str = "auto",
    scheduler: Any = None,
    bound_hint: float | None = None,
    state: Any = None,
    start: np.ndarray | None = None,
) -> Solution:
    """Solve ``instance`` for ``objective`` (default: its model's own) and evaluate the plan.

    ``bound_hint``: a valid upper bound on the MCLP's optimum known from elsewhere (a relaxed
    instance's); the coverage strategy adds it as a cut on the objective, the other paths ignore
    it. A tight one (the next ``p``'s) cut HiGHS's time on pmed16 by half or more, a loose one
    can cost time (``docs/sweeps.md``).
    The Solution says ``extra["bound_cut"] = True`` when it was used.

    ``state`` and ``start`` are a sweep session's (:class:`~optmodels.siting.warm.WarmSiting`):
    the coverage strategy's p-independent pieces kept between scenarios
    (:class:`~optmodels.siting.coverage.state.CoverageState`) and a neighbour's plan (bool per
    site) to start its local search from (``extra["started"] = True`` when it did); the other
    paths ignore both.

    ``scheduler`` (a Dask address or ``Client``): the per-point work -- pairs within the radius,
    the coverage groups' passes, the plan's evaluation -- runs on that cluster in partitions of
    demand points; the model and its solve stay in this process.

    Returns a :class:`~optmodels.contract.Solution` whose ``decision`` is a
    :class:`~optmodels.siting.evaluate.SitingDecision` (open sites, assignment, supply) and
    whose ``evaluation`` is the numpy re-check of it
    (:func:`~optmodels.siting.evaluate.evaluate_decision`), accessibility before/after included.
    """
    options = options or SolveOptions()
    if formulation not in FORMULATIONS:
        raise bad_choice("formulation", formulation, f"expected one of {', '.join(FORMULATIONS)}")
    objective = resolve_objective(instance, objective)
    if MODEL_SPECS[instance.model].equity:
        if formulation == "radius":
            raise bad_choice("formulation", formulation, f"only for the uncapacitated p-median, found model {instance.model}")
        return _solve_equity(instance, options, objective)
    return _solve_location(instance, options, objective, formulation, scheduler, bound_hint, state, start)


def _solution(instance, objective, result, decision, notes, *, verdict=None, formulation=None,
              verdict_code=None, model=None, scheduler=None) -> Solution:
    from optmodels.siting.report import REPORTER

    evaluation = None
    if decision is not None and result.has_solution:
        stopped = result.termination is Termination.INTERRUPTED  # promptly: the check, not the extras
        evaluation = evaluate_decision(instance, decision, scheduler=scheduler, accessibility=not stopped)
        if stopped and evaluation.access is None and access_params(instance) is not None:
            notes = [*notes, "accessibility before/after not computed: the run was stopped"]
        true = evaluation.objective(objective)
        if true is not None and np.isfinite(true):
            result = dataclasses.replace(result, objective=true,
                                         gap=result.gap if result.gap is None else relative_gap(true, result.bound))
    else:
        decision = None
    extra: dict[str, Any] = {"model": instance.model}
    # What a reader of result.json (or `optmodels report` drawing its map) needs besides the
    # tables: the model's parameters (the coverage radius), the distance's kind and unit, the CRS.
    extra["parameters"] = instance.parameters.model_dump(exclude_none=True)
    extra["distance"] = {"kind": instance.distance.kind, "unit": instance.distance.unit}
    if instance.crs is not None:
        extra["crs"] = instance.crs
    if decision is not None:  # result.json names the plan, not only its figures
        ids = instance.site_ids
        extra["open_sites"] = [ids[j] for j in np.flatnonzero(decision.open)]
        if decision.supply is not None:
            extra["supply"] = {ids[j]: float(decision.supply[j]) for j in np.flatnonzero(decision.open)}
    if formulation is not None:
        extra["formulation"] = formulation
    if verdict_code is not None:
        extra["verdict_code"] = verdict_code
    return Solution(
        family="siting",
        objective_name=objective,
        sense=OBJECTIVES[objective].sense,
        result=result,
        instance=instance,
        report=REPORTER,
        decision=decision,
        evaluation=evaluation,
        notes=tuple(notes),
        family_verdict=verdict,
        extra=extra,
        model=model,
    )


def constraint_notes(instance: SitingInstance) -> list[str]:
    """Every parameter that constrained the answer, one line: a budget or cut-off the user did
    not think of (a generated file's, say) must not shape a plan unseen."""
    spec = MODEL_SPECS[instance.model]
    par = instance.parameters
    bits = []
    for key in ("p", "radius", "budget", "cutoff"):
        value = getattr(par, key)
        if value is not None and (key == "cutoff" or key in spec.accepts):
            label = {"p": "p", "radius": "radius", "budget": "budget on site cost", "cutoff": "cut-off"}[key]
            bits.append(f"{label} {value:g}")
    if capacities_bind(spec.name, par.capacitated):
        bits.append(f"capacities ({par.assignment}-source)")
    if spec.takes("cost_per_distance"):
        bits.append(f"cost per distance {par.cost_per_distance:g}")
    n_fixed = int(instance.fixed_open().sum())
    if n_fixed:
        bits.append(f"{n_fixed} existing site(s) kept open")
    lines = [f"constraints: {', '.join(bits)}"] if bits else ["constraints: none beyond the model's own"]
    if instance.is_large:
        cells = instance.n_demand * instance.n_sites
        lines.append(f"travel costs: pairs only, no dense {instance.n_demand:,} x {instance.n_sites:,} array "
                     f"({cells * 8 / 2**30:.2f} GiB dense; too large or not enough memory for it and its copies)")
    return lines


def _solve_location(instance: SitingInstance, options: SolveOptions, objective: str, formulation: str,
                    scheduler: Any = None, bound_hint: float | None = None, state: Any = None,
                    start: np.ndarray | None = None) -> Solution:
    from optmodels.siting.center import relaxation
    from optmodels.siting.coverage import solve as coverage
    from optmodels.siting.formulation import build, decode
    from optmodels.siting.median import radius
    from solvers import solve

    name = instance.model
    t0 = time.perf_counter()
    notes: list[str] = []
    if coverage.applies(instance, objective) and formulation == "auto":
        outcome = coverage.solve_coverage(instance, options, scheduler=scheduler, bound_hint=bound_hint,
                                          state=state, start=start)
        decision = None if outcome.open_sites is None else SitingDecision(open=outcome.open_sites)
        verdict = code = None
        if decision is None and instance.model == "lscp_b" and outcome.notes and "stage 1" in outcome.notes[-1]:
            verdict = outcome.notes[-1]
            term = outcome.result.termination.value
            code = term if term in ("infeasible", "unbounded", "infeasible_or_unbounded") else "no_solution"
        sol = _solution(instance, objective, outcome.result, decision, [*constraint_notes(instance), *outcome.notes],
                        verdict=verdict, verdict_code=code, formulation="coverage groups", model=outcome.model,
                        scheduler=scheduler)
        if outcome.bound_cut or outcome.started:
            sol = dataclasses.replace(sol, extra={**sol.extra, **({"bound_cut": True} if outcome.bound_cut else {}),
                                                  **({"started": True} if outcome.started else {})})
        return sol
    stage1: SolveResult | None = None
    if name == "lscp_b":
        if instance.parameters.p is None:
            # LSCP-B is lexicographic (as spopt): the fewest sites covering everyone, then most
            # population covered twice with that many sites.
            stage("siting.lscp")
            stage1 = solve(build(instance, model="lscp", objective="n_facilities"), options)
            if not stage1.is_optimal:
                verdict = f"LSCP-B stage 1 (fewest facilities covering everyone): {stage1.verdict}"
                term = stage1.termination.value
                code = term if term in ("infeasible", "unbounded", "infeasible_or_unbounded") else "no_solution"
                return _solution(instance, objective, stage1, None, [verdict], verdict=verdict, verdict_code=code)
            p = int(round(stage1.objective))
            notes.append(f"stage 1: LSCP, {p} facilities cover every demand point (p for stage 2)")
            instance = instance.with_changes(p=p)
        else:
            notes.append(f"stage 1 skipped: p = {instance.parameters.p} given for lscp_b")
    notes += constraint_notes(instance)

    use_radius = radius.applies(instance, name, objective) and formulation != "assignment"
    if formulation == "radius" and not use_radius:
        raise bad_choice("formulation", formulation, "only for the uncapacitated p-median minimising distance "
                         f"(found model {name}, objective {objective})")
    options2 = options.time_left(t0) if stage1 is not None else options
    if relaxation.applies(instance, name, objective) and formulation == "auto":
        stage("siting.p_center relaxation")
        solved = relaxation.solve_p_center(instance, options2)
        notes.append(f"strategy: {solved.note}")
        decision = None if solved.open_sites is None else SitingDecision(open=np.asarray(solved.open_sites, bool))
        # proven by set-cover decisions on exact distances, not by a MILP's gap (the generic wording
        # would read an empty model size as "a continuous model")
        proof = ("proven (gap 0): no p sites serve every point within a smaller distance (set-cover decisions "
                 "on exact distances)") if solved.result.is_optimal and decision is not None else None
        return _solution(instance, objective, solved.result, decision, notes, formulation="relaxation",
                         model=solved.model, scheduler=scheduler, verdict=proof)
    if use_radius:
        solved = radius.solve_p_median(instance, options2)
        result, model = solved.result, solved.model
        notes.append(f"strategy: {solved.note}")
        decision = None if solved.open_sites is None else SitingDecision(open=np.asarray(solved.open_sites, bool))
    else:
        stage(f"siting.{name}")
        tb = time.perf_counter()
        model = build(instance, objective=objective)
        result = solve(model, options2, build_seconds=time.perf_counter() - tb)
        decision = None
        if result.has_solution:
            y, a = decode(model)
            decision = SitingDecision(open=y, assignment=a)
    if stage1 is not None:
        result = dataclasses.replace(result, timings=Timings.combined((stage1.timings, result.timings)))
    return _solution(instance, objective, result, decision, notes,
                     formulation="radius" if use_radius else "assignment", model=model)


def build_equity(instance: SitingInstance):
    """The equity model of ``instance`` and the sites its columns stand for.

    ``equity_capacity`` re-allocates supply among the sites that exist (all sites if none is
    marked), ``equity_siting`` chooses among all sites. Returns ``(model, cols)``.
    """
    from optmodels.siting.access import equity

    params = access_params(instance)
    if params is None:
        raise InstanceError(field="access.d0", expected="a catchment size d0 (or parameters.radius)", found="none")
    method_params = {k: params[k] for k in ("steps", "beta") if params[k] is not None}
    cost = instance.cost_matrix()
    pop = instance.populations()
    existing = instance.existing()
    total = supply_total(instance)
    smin = instance.supply_mins()
    try:
        if instance.model == "equity_capacity":
            cols = np.flatnonzero(existing) if existing.any() else np.arange(instance.n_sites)
            model = equity.build_capacity_qp(
                cost[:, cols], pop, smin[cols], total, d0=params["d0"], method=params["method"],
                scale=instance.access.scale, **method_params,
            )
        else:
            cols = np.arange(instance.n_sites)
            smax = instance.supply_maxima()
            model = equity.build_siting_mad(
                cost, pop, total, d0=params["d0"],
                supply_max=np.where(np.isfinite(smax), smax, total), supply_min=smin,
                p=instance.parameters.p, budget=instance.parameters.budget,
                fixed_cost=instance.fixed_costs(), fixed_open=instance.fixed_open(),
                method=params["method"], scale=instance.access.scale, **method_params,
            )
    except (ValueError, TypeError) as exc:
        raise InstanceError(str(exc), field="access") from None
    return model, cols


def _solve_equity(instance: SitingInstance, options: SolveOptions, objective: str) -> Solution:
    from optmodels.siting.access import equity
    from solvers import solve

    stage(f"siting.{instance.model}")
    t0 = time.perf_counter()
    model, cols = build_equity(instance)
    result = solve(model, options, build_seconds=time.perf_counter() - t0)
    decision = None
    if result.has_solution:
        supply = np.zeros(instance.n_sites)
        supply[cols] = equity.supplies(model)
        opened = np.zeros(instance.n_sites, bool)
        opened[cols] = equity.open_sites(model)
        decision = SitingDecision(open=opened, supply=supply)
    notes = constraint_notes(instance) + [f"total supply fixed at {supply_total(instance):.6g}"]
    return _solution(instance, objective, result, decision, notes, model=model)


def build(instance: SitingInstance, objective: str | None = None):
    """The plain model of ``instance`` for ``objective`` (the benchmarks' phase timings): the
    location MILP of :func:`optmodels.siting.formulation.build` or the equity model."""
    objective = resolve_objective(instance, objective)
    if MODEL_SPECS[instance.model].equity:
        return build_equity(instance)[0]
    from optmodels.siting.formulation import build as build_location

    return build_location(instance, objective=objective)


def supply_total(instance: SitingInstance) -> float:
    """The equity models' total supply: ``access.supply_total``, else what the existing sites
    hold today (all sites' supply when none exists)."""
    s_now = instance.supplies()
    existing = instance.existing()
    return instance.access.supply_total or float(s_now[existing].sum() if existing.any() else s_now.sum())
