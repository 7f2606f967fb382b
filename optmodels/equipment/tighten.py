r"""Bounds on the regions' totals implied by a known plan's cost (optimality-based tightening).

Why: the Gini band's lower side needs :math:`t_{ab} = |d_{ab}|` with
:math:`d_{ab} = s_aY_b - s_bY_a`. Its LP relaxation is the secant of :math:`|d|` over the range
:math:`[L_{ab}, U_{ab}]` that the model knows for :math:`d_{ab}`; the wider the range, the weaker the
relaxation, and a pair whose range straddles 0 needs a sign binary. The ranges that
:func:`optmodels.equipment.formulation.count_range` derives from the data alone (every hospital may
add a set every year) are far wider than any plan that could compete with a known one.

The tightening: with a feasible plan of cost :math:`\bar z`, any better plan lies in
:math:`P = \{\text{the band-free LP relaxation}\} \cap \{\text{cost} \le \bar z\}` (the band-free
model is a relaxation of the full model, and its LP relaxation a relaxation of that). So

.. math::

    \lceil \min_P s_{ij} \rceil \le s_{ij} \le \lfloor \max_P s_{ij} \rfloor, \qquad
    \lceil \min_P T_j \rceil \le T_j \le \lfloor \max_P T_j \rfloor

hold for every plan at least as good as the known one (s and T are integers in the MILP). These
are :math:`2(m+1)n` LPs on one loaded HiGHS model (only the objective changes between them).
Restricting the full model to these bounds keeps its optimum (the known plan itself satisfies
them) and every bound it proves stays valid for the original model as long as the known plan's
cost is reported beside it -- which :func:`optmodels.equipment.solve.solve_instance` does.

Each of the bounds is valid on its own, so a time limit (``seconds``) simply stops early: the
bounds not computed stay infinite and the model keeps its data-derived range there. A stop signal
in an interruptible block (:mod:`solvers.interrupt`) stops the running LP and raises
``KeyboardInterrupt`` before the next: a box is only worth its LPs if the full model follows.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import highspy
import numpy as np
import pyomo.environ as pyo

from optmodels.equipment.formulation import build
from optmodels.equipment.instance import EquipmentInstance
from solvers import StandardFormModel
from solvers.interrupt import StopOnSigint, check

__all__ = ["RegionBounds", "region_bounds"]


@dataclass(frozen=True)
class RegionBounds:
    """Integer bounds on the region totals s (m x n) and the yearly totals T (n)."""

    s_lo: np.ndarray
    s_hi: np.ndarray
    T_lo: np.ndarray
    T_hi: np.ndarray
    lps: int = 0


def region_bounds(instance: EquipmentInstance, upper: float, *, objective: str = "cost",
                  slack: float = 1e-6, seconds: float | None = None) -> RegionBounds | None:
    """Tightened bounds for plans with ``objective <= upper`` (None if the LP is infeasible,
    which means no plan beats ``upper``). With ``seconds``, the LPs stop once that much wall
    clock has passed, leaving the remaining bounds at -inf / +inf (``lps`` says how many ran)."""
    t0 = time.perf_counter()
    d = instance.data
    model = build(instance, objective=objective, relax=True, gini="none")
    active = model.component(objective)
    model.objective_cap = pyo.Constraint(expr=active.expr <= upper + slack * max(1.0, abs(upper)))
    sf = StandardFormModel(model)
    h = sf.highs
    h.setOptionValue("output_flag", False)
    cols = {(i, j): sf.column_of(model.s[i, j]) for i in range(d.n_regions) for j in range(d.n_years)}
    ncol = len(sf.columns)
    idx = np.arange(ncol, dtype=np.int32)

    def extreme(weights: dict[int, float], sense: highspy.ObjSense) -> float | None:
        cost = np.zeros(ncol)
        for col, w in weights.items():
            cost[col] += w
        h.changeColsCost(ncol, idx, cost)
        h.changeObjectiveSense(sense)
        h.changeObjectiveOffset(0.0)
        h.run()
        check()  # stopped by a signal: no bound from this LP, and no further LP
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return float(h.getInfo().objective_function_value)

    m, n = d.n_regions, d.n_years
    s_lo, s_hi = np.full((m, n), -np.inf), np.full((m, n), np.inf)
    T_lo, T_hi = np.full(n, -np.inf), np.full(n, np.inf)
    lps = 0

    def out_of_time() -> bool:
        return seconds is not None and time.perf_counter() - t0 >= seconds

    with StopOnSigint(h):  # a signal stops the LP running (HiGHS would defer it to the LP's end)
        for j in range(n):
            if out_of_time():
                break
            total = {cols[i, j]: 1.0 for i in range(m)}
            lo = extreme(total, highspy.ObjSense.kMinimize)
            hi = extreme(total, highspy.ObjSense.kMaximize)
            lps += 2
            if lo is None or hi is None:
                return None
            T_lo[j], T_hi[j] = math.ceil(lo - 1e-6), math.floor(hi + 1e-6)
            for i in range(m):
                if out_of_time():
                    break
                lo = extreme({cols[i, j]: 1.0}, highspy.ObjSense.kMinimize)
                hi = extreme({cols[i, j]: 1.0}, highspy.ObjSense.kMaximize)
                lps += 2
                if lo is None or hi is None:
                    return None
                s_lo[i, j], s_hi[i, j] = math.ceil(lo - 1e-6), math.floor(hi + 1e-6)
    return RegionBounds(s_lo=s_lo, s_hi=s_hi, T_lo=T_lo, T_hi=T_hi, lps=lps)
