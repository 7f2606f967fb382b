"""Solving a pricing instance: the family's whole strategy in one call, :func:`solve_pricing`.

1. **Options.** :func:`tune` turns HiGHS presolve off for the lattice MILP (measured below), unless
   the caller set ``presolve`` explicitly.
2. **Method** (:func:`choose_method`). Price-independent participation: the profit is linear in
   the fees, an LP. Price-elastic participation: the fee lattice, enumerated (vectorised, exact;
   :mod:`optmodels.pricing.lattice`) or, on request, the exact lattice MILP
   (:mod:`optmodels.pricing.formulation`). The lattice's size is bounded before anything is built.
3. **Viability verdict.** If the model is infeasible, the only constraint that can make it so is
   viability ``U >= 0`` (the fee bounds are checked non-empty when the instance is validated). The
   model is solved again for profit *without* viability: if the best achievable expected profit is
   negative, the verdict is "no fee makes expected profit non-negative", with that profit and its
   fees (``extra["best_profit"]``, ``extra["best_fees"]``). Only then: otherwise the solver's
   own verdict stands, as nothing more was established.

4. **The fees returned** satisfy the model as stated: each is put inside ``[lower, cap]`` (a
   solver's ``t = 0`` for ``t >= epsilon`` is within its tolerance, not within the model), a fee
   that changes nothing is reported at its cap, and the objective reported is the evaluator's at
   those fees. The seed's volume rules (``EQ <= E[M]`` ...) are checked again at the fees. Each
   adjustment or finding is a note.

A stop signal in an interruptible block (:mod:`solvers.interrupt`) ends the search with the best
fees found so far (termination ``interrupted``) and skips step 3.

Every returned fee vector is re-checked by the numpy evaluator (``Solution.evaluation``), a path
independent of the Pyomo model and of the enumeration's lattice terms. No printing, no files: the
Solution renders itself through :class:`~optmodels.pricing.report.PricingReporter`.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any

import numpy as np

from optmodels.contract import Solution
from optmodels.errors import bad_choice
from optmodels.pricing.evaluate import evaluate, fee_lattice
from optmodels.pricing.formulation import build, fee_values
from optmodels.pricing.instance import MILP_MAX_PAIRS, OBJECTIVES, PricingInstance
from optmodels.pricing.lattice import enumerate_lattice
from solvers import SolutionStatus, SolveOptions, SolveResult, Termination, Timings, solve
from solvers.interrupt import stage, until_interrupted

#: The family's verdict when viability cannot hold (``result.json``'s ``verdict``: ``no_viable_fee``).
NO_VIABLE_FEE = "no fee makes expected profit non-negative"


def tune(instance: PricingInstance, options: SolveOptions) -> SolveOptions:
    """The solve options with HiGHS presolve off for the elastic lattice MILP (unless set).

    Measured on ``elastic_model2.yaml`` (step 0.01, 12,927 columns): presolve took 4.4 s of a
    5.7 s solve and then HiGHS needed one node; without presolve the same optimum takes
    0.8-1.2 s for each objective. The aggregated pair block is already tight, so presolve finds
    little to remove. A user's explicit ``presolve`` option is kept; the LP is left alone.
    """
    if not instance.elastic or "presolve" in options.solver_options:
        return options
    return dataclasses.replace(options, solver_options={**options.solver_options, "presolve": "off"})


def check_objective(objective: str | None) -> str:
    """The objective's name (``None``: profit), or a UsageError listing the known ones."""
    name = "profit" if objective is None else objective
    if not isinstance(name, str) or name not in OBJECTIVES:
        raise bad_choice("objective", name, f"expected one of {', '.join(OBJECTIVES)} (the pricing family's objectives)")
    return name


def check_lattice_step(step: float | None) -> float | None:
    """A lattice step must be a finite number > 0 (``None``: the instance's)."""
    if step is None:
        return None
    if isinstance(step, bool) or not isinstance(step, (int, float)) or not math.isfinite(step) or not step > 0:
        raise bad_choice("lattice_step", step, "expected a finite number > 0")
    return float(step)


#: How the lattice is searched: ``auto`` (enumeration: see :mod:`~optmodels.pricing.lattice` for why
#: it wins for one objective), ``enumerate`` or ``milp`` (the exact lattice MILP).
METHODS = ("auto", "enumerate", "milp")


def choose_method(instance: PricingInstance, step: float | None, method: str | None) -> str:
    """``lp``, ``enumerate`` or ``milp`` for this instance.

    Without price elasticity there is no lattice: the profit is linear and the LP is exact. With
    it, a single objective's only coupling constraint is viability, and ``t``, ``g`` have closed
    forms at each pair, so enumeration is exact and (measured at every lattice size up to the
    bound) faster than the MILP; the MILP stays available (``method="milp"``) and is what the
    multi-objective front-ends solve, whose epsilon constraints couple the fees. Either way the
    lattice's size is checked before anything is built.
    """
    if method is not None and method not in METHODS:
        raise bad_choice("method", method, f"expected one of {', '.join(METHODS)}", flag="--lattice-method")
    if not instance.elastic:
        return "lp"
    instance.check_lattice(step)
    if method == "milp":
        instance.check_lattice(step, limit=MILP_MAX_PAIRS, what="the lattice MILP (one column per pair)")
        return "milp"
    return "enumerate"


def _method_note(instance: PricingInstance, step: float | None, method: str) -> str:
    if method == "lp":
        return "method: LP (stage probabilities do not depend on the fees, so U is linear in them)"
    fl, el = fee_lattice(instance, "f", step), fee_lattice(instance, "e", step)
    used = instance.lattice_step if step is None else step
    how = ("enumeration of every (f, e) pair, t and g in closed form at each" if method == "enumerate"
           else "MILP exact on the fee lattice; t, g continuous")
    return (f"method: {how}; lattice step {used:g}: f {len(fl)} levels [{fl[0]:g}, {fl[-1]:g}], "
            f"e {len(el)} levels [{el[0]:g}, {el[-1]:g}] ({len(fl) * len(el):,} pairs)")


def _fees_text(fees: dict[str, float]) -> str:
    return ", ".join(f"{k} = {v:.6g}" for k, v in fees.items())


def _run(instance: PricingInstance, objective: str, options: SolveOptions, step: float | None, method: str,
         *, viability: bool = True) -> tuple[SolveResult, dict[str, float] | None]:
    """One solve by ``method``: the result and the raw fees (``None`` without a solution)."""
    if method == "enumerate":
        stage("pricing.lattice")
        return _enumerate(instance, objective, options, step, viability)
    stage(f"pricing.{method}")
    t0 = time.perf_counter()
    model = build(instance, objective=objective, lattice_step=step, viability=viability)
    result = solve(model, options, build_seconds=time.perf_counter() - t0)
    if getattr(model, "viability_fails", False):
        result = _unviable_constant(result, model.constant_profit)
    return result, fee_values(model, instance) if result.has_solution else None


def _enumerate(instance: PricingInstance, objective: str, options: SolveOptions, step: float | None,
               viability: bool) -> tuple[SolveResult, dict[str, float] | None]:
    """The lattice enumerated (:func:`~optmodels.pricing.lattice.enumerate_lattice`) as a
    SolveResult: optimal or infeasible when every pair was seen; at a time limit or a stop
    signal, the best found so far without a bound."""
    t0, c0 = time.perf_counter(), time.process_time()
    deadline = None if options.time_limit is None else t0 + options.time_limit
    best = enumerate_lattice(instance, objective, step=step, viability=viability, deadline=deadline)
    timings = Timings(solve=time.perf_counter() - t0, cpu_total=time.process_time() - c0)
    if best.complete:
        termination = Termination.OPTIMAL if best.feasible else Termination.INFEASIBLE
        status = SolutionStatus.OPTIMAL if best.feasible else SolutionStatus.INFEASIBLE
        bound, gap = best.value, (0.0 if best.feasible else None)
    else:
        termination = Termination.INTERRUPTED if best.interrupted else Termination.TIME_LIMIT
        status = SolutionStatus.FEASIBLE if best.feasible else SolutionStatus.NONE
        bound, gap = None, None
    result = SolveResult(
        termination=termination, solution_status=status, objective=best.value, bound=bound, gap=gap,
        timings=timings, solver="enumeration", solver_version=f"numpy {np.__version__}", backend="numpy",
        options=options, size={"pairs": best.pairs, "enumerated": best.enumerated},
        message=f"{best.enumerated:,} of {best.pairs:,} fee pairs enumerated",
    )
    return result, best.fees


def solve_pricing(
    instance: PricingInstance,
    options: SolveOptions | None = None,
    *,
    objective: str | None = None,
    lattice_step: float | None = None,
    method: str | None = None,
) -> Solution:
    """Solve ``instance`` for ``objective`` (default ``profit``) and return a contract Solution.

    ``decision`` is the fee dict (``{"f": .., "e": .., ["t": .., "g": ..]}``), ``evaluation`` the
    evaluator's :class:`~optmodels.pricing.evaluate.Evaluation` at those fees. ``lattice_step``
    overrides the instance's lattice step and ``method`` (:data:`METHODS`) how the lattice is
    searched (price-elastic participation only; see :func:`choose_method`).
    """
    from optmodels.pricing.report import REPORTER

    objective = check_objective(objective)
    step = check_lattice_step(lattice_step)
    how = choose_method(instance, step, method)
    options = tune(instance, options or SolveOptions())
    sense = OBJECTIVES[objective].sense
    notes = [_method_note(instance, step, how)]
    if how == "lp" and (step is not None or method not in (None, "auto")):
        notes.append("no fee lattice: participation does not depend on the fees, so the lattice step and "
                     "method are not used")
    used_step = (instance.lattice_step if step is None else step) if instance.elastic else None
    extra: dict[str, Any] = {"model": instance.model, "elastic": instance.elastic, "method": how,
                             "lattice_step": used_step, "epsilon": instance.epsilon}
    common = dict(family="pricing", objective_name=objective, sense=sense, instance=instance, report=REPORTER)

    result, raw = _run(instance, objective, options, step, how)
    if raw is not None:
        fees, inside = within_bounds(instance, raw)
        fees, settled = settle_indifferent(instance, fees, objective, step)
        notes += inside + settled
        ev = evaluate(instance, **fees)
        # the objective reported is the one the returned fees give (the evaluator's), so a fee
        # moved inside its bound never leaves the two a tolerance apart
        result = dataclasses.replace(result, objective=float(ev.objective(objective)))
        if not bool(ev.feasible):
            notes.append(f"the fees hold viability only to the solver's tolerance: U = {float(ev.U):.3g}")
        volumes = volume_excess(instance, ev)
        if volumes:
            notes.append("at these fees the volumes exceed the participation they are part of (seed eqs. "
                         "15, 21 in expectation; the volumes do not move with the fees): " + "; ".join(volumes))
        extra["volumes_within_participation"] = not volumes
        return Solution(result=result, decision=fees, evaluation=ev,
                        notes=tuple(notes), extra={**extra, "fees": fees}, **common)
    if result.termination in (Termination.INFEASIBLE, Termination.INFEASIBLE_OR_UNBOUNDED):
        verdict = None
        with until_interrupted():  # a stop signal: the solver's verdict (proven) stands alone
            stage("pricing.viability")
            verdict = _no_viable_fee(instance, options, step, how)
        if verdict is not None:
            best, fees = verdict
            timings = Timings.combined((result.timings, best.timings))
            sentence = (f"{NO_VIABLE_FEE} (the best achievable expected profit is {best.objective:.6g}, "
                        f"at {_fees_text(fees)})")
            return Solution(result=dataclasses.replace(result, timings=timings), family_verdict=sentence,
                            notes=tuple(notes),
                            extra={**extra, "verdict_code": "no_viable_fee", "best_profit": best.objective,
                                   "best_fees": fees}, **common)
    return Solution(result=result, notes=tuple(notes), extra=extra, **common)


def _no_viable_fee(instance: PricingInstance, options: SolveOptions, step: float | None,
                   method: str) -> tuple[SolveResult, dict[str, float]] | None:
    """The profit optimum without viability, if it proves that no fee is viable (else None)."""
    best, raw = _run(instance, "profit", options, step, method, viability=False)
    if not best.is_optimal or raw is None:
        return None
    fees, _ = within_bounds(instance, raw)
    fees, _ = settle_indifferent(instance, fees, "profit", step)
    profit = float(evaluate(instance, **fees).U)
    if profit >= 0:
        return None
    return dataclasses.replace(best, objective=profit), fees


def _unviable_constant(result: SolveResult, constant: float) -> SolveResult:
    """The result of a model whose expected profit is the same negative constant for every fee
    (the viability row was decided at build time): infeasible, whatever the solver said."""
    return dataclasses.replace(
        result, termination=Termination.INFEASIBLE, solution_status=SolutionStatus.INFEASIBLE,
        objective=None, bound=None, gap=None,
        message=f"expected profit does not depend on the fees and is {constant:.6g} < 0 for every fee")


def volume_excess(instance: PricingInstance, ev: Any) -> list[str]:
    """The seed's ``Q <= M``, ``P_i <= N``, ``Ns <= N``, ``S_j <= N`` (eqs. 15, 21) in expectation,
    at the evaluated fees; one line per volume above its bound.

    Validation checks them at the base means (fee 0). With price-elastic participation
    ``E[M](f)`` and ``E[N](e)`` fall as the fees rise while ``EQ, EP, ENs, ES`` are held fixed,
    so the optimum can sit where a volume exceeds its participation: that is reported, not
    hidden (it says the fixed volumes are not credible at that fee).
    """
    em, en = float(ev.EM), float(ev.EN)
    fields = {2: ("EQ", "EP"), 3: ("EQ", "EP", "ENs", "ES")}.get(instance.variant, ())
    out = []
    for field in fields:
        value = getattr(instance, field)
        bound, label = (em, "E[M](f)") if field == "EQ" else (en, "E[N](e)")
        if value is not None and value > bound + 1e-9:
            out.append(f"{field} = {value:g} > {label} = {bound:.6g}")
    return out


def within_bounds(instance: PricingInstance, fees: dict[str, float]) -> tuple[dict[str, float], list[str]]:
    """Fees moved inside their bounds, with a note for each one that was outside.

    The strict inequalities (``t > 0``, ``f > oM`` ...) are imposed as ``>= bound + epsilon``, and
    ``epsilon`` (1e-6 by default) equals HiGHS's feasibility tolerance: the solver may return
    ``t = 0`` for ``t >= 1e-6`` and call it feasible. The returned fees must satisfy the model as
    stated, so each is put back into ``[lower, cap]``; this moves it by at most the tolerance.
    """
    lower, upper = instance.lower_bounds(), instance.upper_bounds()
    out = dict(fees)
    notes = []
    for fee, value in fees.items():
        inside = min(max(value, lower[fee]), upper[fee])
        if inside != value:
            out[fee] = float(inside)
            side = f"its bound {instance.lower_reason(fee)} = {lower[fee]:.7g}" if inside == lower[fee] \
                else f"its cap {fee}0 = {upper[fee]:g}"
            notes.append(f"{fee} = {value:.7g} from the solver lies outside its range by the solver's "
                         f"tolerance: set to {side}")
    return out, notes


def settle_indifferent(instance: PricingInstance, fees: dict[str, float], objective: str,
                       step: float | None = None) -> tuple[dict[str, float], list[str]]:
    """Fees that change neither expected profit nor ``objective`` anywhere in their range are put
    at their cap, and said so (one note each).

    Such a fee has a zero coefficient (``t`` with ``EQ EP P(M>M0) = 0``, ``g`` with ``theta = 0``,
    ``f`` with no mass of M above ``M0`` ...): every value in its bounds is optimal, the solver's
    pick is arbitrary (or absent: the fee entered no row). The cap is the conventional report --
    the seed's caps are where the LP's positive-slope fees sit -- and makes the answer
    reproducible. Checked with the evaluator over the fee's range: its two bounds (U is linear in
    each fee without elasticity, and in t and g always), or every lattice level for f and e.
    """
    lower, upper = instance.lower_bounds(), instance.upper_bounds()
    settled = dict(fees)
    notes: list[str] = []
    for fee in instance.fees:
        if instance.elastic and fee in ("f", "e"):
            points = fee_lattice(instance, fee, step)
        else:
            points = np.array([lower[fee], upper[fee]])
        trial = {**settled, fee: points}
        ev = evaluate(instance, **trial)
        flat = True
        for values in (ev.U, ev.objective(objective)):
            values = np.broadcast_to(values, points.shape)
            flat &= bool(np.ptp(values) <= 1e-12 * max(1.0, float(np.abs(values).max())))
        if flat:
            if abs(settled[fee] - upper[fee]) > 0:
                settled[fee] = float(upper[fee])
            what = "does not change expected profit" if objective == "profit" else \
                f"changes neither expected profit nor {objective}"
            notes.append(f"{fee} {what} (its coefficient is 0 here): "
                         f"any {fee} in [{lower[fee]:.7g}, {upper[fee]:g}] is as good; reported at its cap "
                         f"{fee}0 = {upper[fee]:g}")
    return settled, notes
