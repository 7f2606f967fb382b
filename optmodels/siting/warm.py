"""The siting family's sweep session: bracketing over ``p`` and the coverage radius.

Siting models are rebuilt for every instance (their shapes -- pairs, cover groups, candidate
lists -- move with ``p`` and the radius), so the session re-uses no live model. It offers a sweep
the :class:`~optmodels.contract.MonotoneSolver` half of the contract, for bracketing
(:mod:`optmodels.sweep.bracket`), and keeps what does not depend on the swept field: the travel
costs (and the accessibility of today's sites) pass from one scenario to the next when only ``p``
or the radius differ, and the coverage strategy's groups, fixed-site split and reductions while
only ``p`` does (:mod:`optmodels.siting.coverage.state`). A solve given a neighbour's carried
plan starts the coverage strategy's local search from it (the row says ``neighbour``). Instance ``b`` *relaxes* ``a`` when every field but ``name``,
``description``, ``parameters.p`` and ``parameters.radius`` is equal, the objective is the
model's own, and

===================================  =========================================================
``p`` larger (``sum_j y_j = p``)     p_median, p_center (min: adding an open site never moves
                                     a point farther from its nearest one), mclp, lscp_b with
                                     ``p`` given (max: never covers fewer); uncapacitated,
                                     without a budget. :meth:`WarmSiting.carry` repairs the
                                     plan by opening ``p_b - p_a`` sites greedily (below).
``radius`` larger                    lscp (every cover at ``r`` covers at ``r' > r``: the same
                                     cost), mclp and lscp_b with ``p`` given (a plan covers at
                                     least as much at ``r'``); uncapacitated. The plan as it is.
===================================  =========================================================

Anything else -- another model, a capacity, a budget, LSCP-B's lexicographic stage 1 (its
``p`` is the LSCP optimum, not monotone in the radius), p-dispersion (more sites sit closer),
an objective other than the model's own, a population grid without the dense array the repair
reads -- is no relaxation, and the sweep solves those scenarios one by one.

:meth:`WarmSiting.solve` passes a ``bound`` it is given on to the MCLP as a cut on its objective
(:func:`optmodels.siting.coverage.solve._bound_cut`); sweeps do not give one (measured not to pay,
``docs/sweeps.md``).

The repair adds sites one at a time: for the p-center the closed site nearest the point farthest
from every open site; for the p-median the one with the largest drop of weighted distance; for
coverage the one covering the most weight not yet covered (once more, for backup coverage). Any
added site keeps the plan feasible and no worse; the greedy choice only makes a plan on a plateau
of the optimum more likely to stay within the gap. Every carried plan is re-checked by the
family's evaluator.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from optmodels.contract import Solution

#: models where a larger ``p`` relaxes (adding an open site is never worse)
MORE_SITES_HELP = ("p_median", "p_center", "mclp", "lscp_b")
#: models where a larger radius relaxes
WIDER_RADIUS_HELPS = ("lscp", "mclp", "lscp_b")


class WarmSiting:
    """The siting family's :class:`~optmodels.contract.MonotoneSolver` (``FAMILY.warm``).

    Besides bracketing, a session keeps what does not depend on the swept field: the last
    instance's travel costs, handed to the next when the two differ only in ``p`` and the radius
    (:func:`~optmodels.siting.coverage.state.share_costs`), and the coverage strategy's groups
    and reductions while they differ only in ``p``
    (:class:`~optmodels.siting.coverage.state.CoverageState`). One of each: memory stays that
    of one scenario."""

    def __init__(self, *, objective: str | None = None, formulation: str = "auto", scheduler: Any = None) -> None:
        from optmodels.siting.coverage.state import CoverageState

        self.objective = objective
        self.choices = {"formulation": formulation, "scheduler": scheduler}
        self.state = CoverageState()
        self.last: Any = None  # the last instance seen, whose costs the next may share

    def solve(self, instance: Any, options: Any = None, *, start: Solution | None = None,
              bound: float | None = None) -> Solution:
        """The family's solve (no live model is kept), with the session's coverage state.
        ``start`` (a neighbour's plan carried here) is where the coverage strategy's local
        search starts (``extra["started"]``; the other strategies do not use it). ``bound`` (a
        relaxed neighbour's) becomes a cut on the MCLP's objective (``extra["bound_cut"]``)."""
        from optmodels.siting.family import _solve

        self.share(instance)
        plan = None
        if start is not None and start.decision is not None:
            plan = np.asarray(start.decision.open, dtype=bool)
        return _solve(instance, options, objective=self.objective, bound_hint=bound, state=self.state, start=plan,
                      **self.choices)

    def share(self, instance: Any) -> None:
        """Give ``instance`` the last instance's travel costs when only ``p`` / the radius differ."""
        from optmodels.siting.coverage.state import share_costs

        share_costs(instance, self.last)
        self.last = instance

    def relaxes(self, a: Any, b: Any) -> bool:
        """Whether ``b`` relaxes ``a`` (the module docstring's table)."""
        from optmodels.siting.coverage.state import content, same
        from optmodels.siting.models import MODEL_SPECS

        model = a.model
        if b.model != model or model not in MODEL_SPECS or MODEL_SPECS[model].equity:
            return False
        if self.objective is not None and self.objective != MODEL_SPECS[model].native:
            return False
        pa, pb = a.parameters, b.parameters
        if pa.capacitated or pb.capacitated or pa.budget is not None or pb.budget is not None:
            return False
        swept = frozenset({"p", "radius"})
        if not same(content(a, leave_out=swept), content(b, leave_out=swept)):
            return False
        if model == "lscp_b" and (pa.p is None or pb.p is None):
            return False
        if pa.p != pb.p and (model not in MORE_SITES_HELP or pa.p is None or pb.p is None or pb.p < pa.p):
            return False
        if pa.radius != pb.radius and (model not in WIDER_RADIUS_HELPS or pa.radius is None
                                       or pb.radius is None or pb.radius < pa.radius):
            return False
        return not (pb.p is not None and pb.p > (pa.p or 0) and a.is_large)  # the repair reads dense costs

    def carry(self, instance: Any, donor: Solution, bound: float | None, options: Any) -> Solution | None:
        """The donor's open sites, with sites added up to ``instance``'s ``p``, as a Solution of
        ``instance`` checked by the evaluator (``None`` when it fails there).

        A plan whose value (:func:`_quick_value`, from the open sites' cost columns) is not
        within the gap of ``bound`` cannot be inferred: it is returned unevaluated
        (``extra["start_only"]``), as the start of the solve that follows, which checks its own
        plan -- the evaluator's full pass over the cost matrix is kept for rows."""
        from optmodels.contract import relative_gap, within_gap
        from optmodels.siting.evaluate import SitingDecision
        from optmodels.siting.solve import _solution
        from solvers import SolutionStatus, Termination, Timings

        if donor.decision is None:
            return None
        self.share(instance)
        y = np.asarray(donor.decision.open, dtype=bool).copy()
        if y.shape != (instance.n_sites,):
            return None
        p = instance.parameters.p
        if p is not None and instance.model in MORE_SITES_HELP and y.sum() < p:
            y = _add_sites(instance, y, int(p - y.sum()))
        decision = SitingDecision(open=y)
        template = dataclasses.replace(
            donor.result, termination=Termination.UNKNOWN, solution_status=SolutionStatus.FEASIBLE,
            bound=bound, timings=Timings(), options=options, nodes=None, root_bound=None, message="", variables={})
        objective = self.objective or donor.objective_name
        quick = _quick_value(instance, objective, y)
        if quick is not None and not within_gap(quick, bound, donor.sense, options):
            # it will be solved for, from this plan: the evaluator's full check (1.5-2 s on a
            # 20,000 x 1,000 grid, with accessibility) would be thrown away with it
            gap = relative_gap(quick, bound)
            return Solution(family="siting", objective_name=objective, sense=donor.sense,
                            result=dataclasses.replace(template, objective=quick, gap=math.inf if gap is None else gap),
                            instance=instance, report=donor.report, decision=decision,
                            notes=("a neighbour's plan carried here as a start (not within the gap of a bound)",),
                            extra={"model": instance.model, "carried": True, "start_only": True})
        note = ("inferred by bracketing: the plan of a scenario this one relaxes"
                + (" with sites added up to p" if p is not None and y.sum() > donor.decision.open.sum() else "")
                + ", re-checked here by the evaluator, within the MIP gap of the bound of a scenario that "
                "relaxes this one")
        sol = _solution(instance, objective, template, decision, [note])
        if sol.evaluation is None or not sol.evaluation.feasible:
            return None
        value = sol.evaluation.objective(objective)
        if value is None or not math.isfinite(value):
            return None
        if within_gap(value, bound, sol.sense, options):
            gap = relative_gap(value, bound)
            result = dataclasses.replace(sol.result, termination=Termination.OPTIMAL,
                                         solution_status=SolutionStatus.OPTIMAL, gap=0.0 if gap is None else gap)
        else:
            gap = relative_gap(value, bound)
            result = dataclasses.replace(sol.result, gap=math.inf if gap is None else gap)
        return dataclasses.replace(sol, result=result, extra={**sol.extra, "carried": True})


def _quick_value(instance: Any, objective: str, y: np.ndarray) -> float | None:
    """The value the evaluator gives plan ``y`` for ``objective``, from the open sites' columns
    of the costs alone (``None``: not one of these objectives, or no dense costs): coverage and
    backup coverage count the points within the radius of one / two open sites, the distances
    take each point's nearest open site -- what :func:`~optmodels.siting.evaluate.evaluate`
    computes for an uncapacitated plan with the nearest assignment."""
    radius = instance.parameters.radius
    if instance.is_large or not y.any() or objective not in ("coverage", "backup_coverage", "distance", "max_distance"):
        return None
    if objective in ("coverage", "backup_coverage") and radius is None:
        return None
    D = instance.cost_matrix()[:, y]
    w = instance.populations()
    if objective == "coverage":
        return float(w[(D <= radius).any(axis=1)].sum())
    if objective == "backup_coverage":
        return float(w[(D <= radius).sum(axis=1) >= 2].sum())
    near = D.min(axis=1)
    if objective == "distance":
        return float((w * near).sum()) if np.isfinite(near).all() else math.inf
    return float(near.max())


def _add_sites(instance: Any, y: np.ndarray, count: int) -> np.ndarray:
    """``y`` with ``count`` closed sites opened greedily for ``instance``'s model (see the module
    docstring)."""
    D = instance.costs.dense(purpose="the repair of a carried plan")
    w = instance.populations()
    radius = instance.parameters.radius
    for _ in range(count):
        closed = np.flatnonzero(~y)
        if closed.size == 0:
            break
        near = D[:, y].min(axis=1) if y.any() else np.full(D.shape[0], np.inf)
        if instance.model == "p_center":
            far = int(np.argmax(near))
            pick = closed[int(np.argmin(D[far, closed]))]
        elif instance.model == "p_median":
            gain = (w[:, None] * np.maximum(near[:, None] - D[:, closed], 0.0)).sum(axis=0)
            pick = closed[int(np.argmax(gain))]
        else:  # coverage: weight not yet covered (backup: not yet covered twice)
            covers = D <= radius
            times = covers[:, y].sum(axis=1)
            short = times < (2 if instance.model == "lscp_b" else 1)
            pick = closed[int(np.argmax((w[short, None] * covers[short][:, closed]).sum(axis=0)))]
        y[pick] = True
    return y
