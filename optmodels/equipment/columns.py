r"""A lower bound for the Gini band's lower side: region plans as columns, the Gini as an integral.

Why another bound
-----------------
In the full model (:mod:`optmodels.equipment.formulation`) the lower side needs
:math:`t_{ab} = |d_{ab}|` with sign binaries; its LP relaxation is the secant of :math:`|d|`
pair by pair. At the band-free optimum most pairs' ranges straddle 0, so the relaxation "fakes"
the missing dispersion at no cost and the root bound is the band-free optimum (measured in
``docs/equipment.md``; not even the joint concave envelope of the numerator over the box moves
it). A bound that moves must charge for that dispersion. Here every region is a **convex
combination of its own integer plans** (Dantzig-Wolfe), and the Gini numerator an integral that
is **linear in the plans' weights up to one concave function of one variable**: a region spread
over several totals pays each of those plans' true cost.

Symbols
-------
==========================  ===============================================================
:math:`P_a`                 region a's plans p (its hospitals' additions, integer), cost
                            :math:`f_{ap}`, totals :math:`s_{ajp}` (year j)
:math:`\lambda_{ap}`        [master column] weight of plan p of region a, :math:`\sum_p\lambda_{ap}=1`
:math:`Y_{aj}`              population share; :math:`r_{aj} = s_{aj}/Y_{aj}` sets per capita
:math:`q`                   an interval of sets per capita between consecutive breakpoints
:math:`A_{qj}`              population share with :math:`r_{aj} > v_q` (linear in λ)
:math:`\phi_{qj}`           :math:`\ge A_{qj}(1-A_{qj})` by tangents
==========================  ===============================================================

The maths
---------
**Costs are separable by region.** Purchases, running and waiting are sums over hospitals, and
each hospital belongs to one region: the cost of a plan is :math:`\sum_a f_{a p_a}` with
:math:`p_a` its restriction to region a. The rows that couple regions are the budget, the yearly
budgets, ``max_new`` and the Gini band; the master keeps the band and drops the others (a
relaxation may drop rows; each region's own plans still respect the budget alone).

**The Gini numerator is an integral.** With :math:`F_j(v) = \sum_a Y_{aj}[r_{aj} \le v]`
(:math:`\sum_a Y_{aj} = 1`),

.. math::

    N_j = \sum_{a<b}|s_{aj}Y_{bj} - s_{bj}Y_{aj}| = \tfrac12\sum_{a,b}Y_{aj}Y_{bj}|r_{aj}-r_{bj}|
        = \int F_j(v)\,(1-F_j(v))\,dv

(the Gini mean difference, :math:`E|X-X'| = 2\int F(1-F)`). :math:`F_j` changes only at the
breakpoints :math:`k/Y_{aj}` (:math:`\underline s_{aj} \le k \le \overline s_{aj}`, the totals
region a can reach). On the interval q between two consecutive breakpoints (length
:math:`\ell_q`, midpoint :math:`v_q`) region a is above :math:`v_q` iff
:math:`s_{aj} \ge \lfloor v_qY_{aj}\rfloor + 1 =: \kappa_{aq}`, so

.. math::

    A_{qj} = 1 - F_j(v_q) = \sum_a Y_{aj}\sum_p \lambda_{ap}[s_{ajp} \ge \kappa_{aq}]
    \quad(\texttt{share\_above}), \qquad N_j = \sum_q \ell_q A_{qj}(1-A_{qj})

exactly when every region takes one plan (λ integral). :math:`A(1-A)` is concave, so each of
its tangents lies above it: ``tangent`` rows
:math:`\phi_{qj} \le (1-2\alpha)A_{qj} + \alpha^2` for a grid of α over the interval's reachable
range give :math:`\hat N_j = \sum_q \ell_q\phi_{qj} \ge N_j`.

**The band, relaxed.** ``each_year``: :math:`\hat N_j \ge lo\,T_j`, with
:math:`T_j = \sum_{a,p}\lambda_{ap}s_{ajp}` linear in λ. ``mean``: :math:`g_j \le 1`,
:math:`\underline T_j g_j \le \hat N_j` (so :math:`g_j \ge G_j = N_j/T_j` is allowed:
:math:`T_j \ge \underline T_j`), :math:`\sum_j g_j \ge n\,lo`. A slack on these rows at cost
:math:`M` per unit keeps the master feasible before it holds enough plans (with slack 0 it is
the relaxation; with slack its optimum is lower still: a relaxation either way).

**Why it is a bound.** Any plan of the full model gives a point of the master -- each region's
own plan at weight 1 -- with the same cost, exact :math:`A_{qj}`, :math:`\phi = A(1-A)` below
every tangent and the band rows satisfied. So the master's LP optimum over *all* region plans is
at most the optimum. Column generation never has all plans; with the restricted master's LP value
:math:`z` and duals, the **Lagrangian bound** :math:`z + \sum_a \min(0, \bar c_a)`, where
:math:`\bar c_a` is the least reduced cost of any plan of region a (a small MILP over the
region's hospitals, solved to a zero gap; its dual bound is used), is a lower bound on that
LP optimum at every iteration (shift each region's convexity dual by :math:`\bar c_a`: a
feasible dual of the full master). Hence a valid lower bound on the full model's optimum.

**Why it moves where the full model's root does not.** A region that the LP would "spread"
across totals on both sides of another region's per capita level must hold a mixture of plans,
and pays the mixture's average of their true integer costs. Near the band-free optimum each
region sits at the minimum of its own cost, so moving or spreading it by δ sets costs about
δ² times its curvature, and no pair's sign is free at no cost.

**Box.** With ``bounds`` (:func:`optmodels.equipment.tighten.region_bounds` under a plan's cost
:math:`\bar z`) the regions' plans are restricted to the box, which holds at every plan at least
as good as :math:`\bar z`; the bound is then valid for those, i.e. the optimum is at least
:math:`\min(\text{bound}, \bar z)` -- the full model's box argument.

The pricing problem of region a: the band-free model of the region alone (its hospitals, the
budget), with its totals in unary, :math:`s_{aj} = \underline s_{aj} + \sum_v u_{ajv}`,
:math:`u_{ajv} \ge u_{aj,v+1}` binary, so that :math:`[s_{aj} \ge \kappa] = u_{aj,\kappa-\underline s}`
and the reduced cost :math:`f - y_a - \sum_{r} y_r\,a_{r}(p)` is linear in x and u.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo

from optmodels.equipment.evaluate import evaluate
from optmodels.equipment.formulation import build, count_range
from optmodels.equipment.instance import EquipmentData, EquipmentInstance
from solvers import SolveOptions, StandardFormModel
from solvers.interrupt import StopOnSigint, check

__all__ = ["ColumnBound", "column_bound", "region_instance"]

#: tangent points of A(1-A) per interval, over the interval's reachable range of A
TANGENTS = 9
#: cost per unit of slack on the band rows of the restricted master (keeps it feasible early)
SLACK_COST = 1e5


@dataclass(frozen=True)
class ColumnBound:
    """``bound``: the best Lagrangian bound (valid lower bound; None if none was completed);
    ``master``: the last restricted master's LP value; ``iterations``, ``columns``, ``seconds``;
    ``converged``: no plan with a negative reduced cost was left (bound = master LP)."""

    bound: float | None
    master: float | None
    iterations: int
    columns: int
    seconds: float
    converged: bool

    def note(self) -> str:
        """The strategy note's part."""
        if self.bound is None:
            return f"column bound: none in {self.seconds:.3g} s"
        state = "converged" if self.converged else "stopped"
        return (f"column bound {self.bound:.10g} ({self.iterations} rounds, {self.columns} region plans, "
                f"{state}, {self.seconds:.3g} s)")


def region_instance(instance: EquipmentInstance, region: int) -> EquipmentInstance:
    """Region ``region`` alone (its hospitals, the same budget and years, no Gini band)."""
    raw = instance.model_dump()
    rid = raw["regions"][region]["id"]
    # An instance has at least two regions: the second is a placeholder with one idle set whose
    # additions the pricing problem fixes to 0 (its running cost is a constant taken off).
    filler = {"id": f"{rid}~", "population": raw["regions"][region]["population"]}
    raw["regions"] = [raw["regions"][region], filler]
    raw["hospitals"] = [h for h in raw["hospitals"] if h["region"] == rid] + [
        {"id": f"{rid}~h", "region": filler["id"], "existing": 1, "capacity": 1.0, "service_rate": 1.0,
         "arrival_rate": [0.0] * len(raw["years"])}]
    if raw.get("demand"):
        raw["demand"] = {k: v for k, v in raw["demand"].items() if k == rid}
    raw["gini"] = {"lo": 0, "hi": 1, "mode": raw["gini"]["mode"]}
    raw["name"] = f"{raw.get('name', 'equipment')}-region-{rid}"
    raw["max_new_per_year"] = None
    return EquipmentInstance.model_validate(raw)


def _ranges(d: EquipmentData, bounds: Any | None) -> tuple[np.ndarray, np.ndarray]:
    lo_k, hi_k = count_range(d)
    m, n = d.n_regions, d.n_years
    s_lo = np.zeros((m, n))
    s_hi = np.zeros((m, n))
    np.add.at(s_lo, d.region_of, lo_k)
    np.add.at(s_hi, d.region_of, hi_k)
    if bounds is not None:
        s_lo = np.maximum(s_lo, np.where(np.isfinite(bounds.s_lo), bounds.s_lo, -np.inf))
        s_hi = np.minimum(s_hi, np.where(np.isfinite(bounds.s_hi), bounds.s_hi, np.inf))
    s_hi = np.maximum(s_hi, s_lo)
    return s_lo.astype(int), s_hi.astype(int)


def _intervals(Y: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> list[tuple[float, list[tuple[int, int]], float]]:
    """One year's intervals of sets per capita: (length, [(region, kappa)], share always above)."""
    points = np.unique(np.concatenate([np.arange(lo[a], hi[a] + 1) / Y[a] for a in range(len(Y))]))
    out = []
    for left, right in zip(points[:-1], points[1:], strict=True):
        v = 0.5 * (left + right)
        const, free = 0.0, []
        for a in range(len(Y)):
            kappa = math.floor(v * Y[a]) + 1
            if kappa <= lo[a]:
                const += Y[a]
            elif kappa <= hi[a]:
                free.append((a, kappa))
        out.append((float(right - left), free, const))
    return out


def _gini_caps(Y: np.ndarray, s_lo: np.ndarray, s_hi: np.ndarray, T_lo: np.ndarray) -> np.ndarray:
    r"""An upper bound on each year's Gini over the ranges: :math:`\sum_{a<b}\max|d_{ab}| /
    \underline T_j` (each pair at its widest, the total at its least), at most 1."""
    m, n = s_lo.shape
    caps = np.ones(n)
    for j in range(n):
        a, b = np.triu_indices(m, 1)
        up = s_hi[a, j] * Y[b, j] - s_lo[b, j] * Y[a, j]
        dn = s_hi[b, j] * Y[a, j] - s_lo[a, j] * Y[b, j]
        widest = np.maximum(np.maximum(up, dn), 0.0).sum()
        if T_lo[j] > 0:
            caps[j] = min(1.0, widest / T_lo[j])
    return caps


class _Pricing:
    """Region a's band-free model with unary totals on one compiled HiGHS model."""

    def __init__(self, instance: EquipmentInstance, a: int, s_lo: np.ndarray, s_hi: np.ndarray):
        sub = region_instance(instance, a)
        n = sub.data.n_years
        model = build(sub, objective="cost", gini="none")
        filler = sub.data.n_hospitals - 1  # the placeholder region's one hospital (see region_instance)
        for (_i, _j, k), var in model.x.items():
            if k == filler:
                var.fix(0)
        self.width = (s_hi - s_lo).astype(int)
        self.s_lo = s_lo
        model.UV = pyo.Set(initialize=[(j, v) for j in range(n) for v in range(1, self.width[j] + 1)], dimen=2)
        model.u = pyo.Var(model.UV, domain=pyo.Binary)
        model.unary = pyo.Constraint(
            range(n), rule=lambda mdl, j: mdl.s[0, j] == int(s_lo[j]) + sum(
                mdl.u[j, v] for v in range(1, self.width[j] + 1)))
        model.unary_order = pyo.Constraint(
            [(j, v) for (j, v) in model.UV if v >= 2], rule=lambda mdl, j, v: mdl.u[j, v] <= mdl.u[j, v - 1])
        self.model = model
        self.compiled = StandardFormModel(model)
        self.compiled.highs.setOptionValue("output_flag", False)
        self.cost, self.offset = self.compiled.linear_coefficients(model.cost.expr)
        self.offset -= sub.data.h * sub.data.hours * n  # the placeholder's running cost
        self.ucol = {(j, v): self.compiled.column_of(model.u[j, v]) for (j, v) in model.UV}
        self.n = n

    def price(self, coef: dict[tuple[int, int], float], per_set: np.ndarray, options: SolveOptions):
        """min cost + sum coef[j, kappa] [s_j >= kappa] + sum per_set[j] s_j over the region's plans:
        (lower bound on the minimum, plan cost f, totals s) -- f and s None if no plan was found."""
        costs = self.cost.copy()
        offset = self.offset + float(per_set @ self.s_lo)
        for j in range(self.n):
            for v in range(1, self.width[j] + 1):
                costs[self.ucol[j, v]] += per_set[j]
        for (j, kappa), c in coef.items():
            v = kappa - int(self.s_lo[j])
            if v <= 0:
                offset += c
            elif v <= self.width[j]:
                costs[self.ucol[j, v]] += c
        self.compiled.set_objective(costs, "min", offset=offset)
        result = self.compiled.run(options)
        if not result.has_solution:
            return (result.bound if result.bound is not None else -math.inf), None, None
        values = self.compiled.column_values()
        f = float(self.cost @ values + self.offset)
        s = np.array([self.s_lo[j] + sum(round(values[self.ucol[j, v]]) for v in range(1, self.width[j] + 1))
                      for j in range(self.n)], dtype=float)
        return float(result.bound), f, s


def region_plan_costs(d: EquipmentData, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per region: the cost of plan ``x`` restricted to it, and its totals (m x n) -- the numpy
    evaluator's purchases, running and waiting terms, summed by hospital, then by region (the
    cost splits by region: no term couples two hospitals)."""
    x = np.round(x)
    ev = evaluate(d, x)
    per = (d.price * x).sum(axis=1) + d.h * d.hours * ev.sets.sum(axis=1) + d.b * d.hours * ev.L.sum(axis=1)
    return np.bincount(d.region_of, weights=per, minlength=d.n_regions), ev.region_sets


class _Master:
    """The restricted master LP of the module docstring on one live HiGHS model: its rows, and
    the columns (region plans) added so far."""

    def __init__(self, d: EquipmentData, s_lo: np.ndarray, s_hi: np.ndarray, bounds: Any | None):
        self.d = d
        self.lo = d.gini_lo or 0.0
        self.h = highspy.Highs()
        self.h.setOptionValue("output_flag", False)
        self.ncols = self.nrows = self.columns = 0
        self.seen: set[tuple[int, bytes]] = set()
        m = d.n_regions
        self.conv = [self._row(1.0, 1.0, [], []) for _ in range(m)]
        self.share_of: dict[int, list] = {a: [] for a in range(m)}  # a -> [(row, year, kappa, Y_aj)]
        numerator = [self._integral(j, s_lo, s_hi) for j in range(d.n_years)]
        #: per year, the band row whose coefficient on a plan is a multiple of its T_j
        self.gini_rows: list[int] = []
        self.g_up: np.ndarray | None = None
        if d.gini_mode == "each_year":
            self._each_year(numerator)
        else:
            self._mean(numerator, s_lo, s_hi, bounds)

    def _col(self, cost: float, low: float, up: float) -> int:
        self.h.addCol(cost, low, up, 0, np.array([], dtype=np.int32), np.array([], dtype=float))
        self.ncols += 1
        return self.ncols - 1

    def _row(self, low: float, up: float, idx, val) -> int:
        self.h.addRow(low, up, len(idx), np.asarray(idx, dtype=np.int32), np.asarray(val, dtype=float))
        self.nrows += 1
        return self.nrows - 1

    def _integral(self, j: int, s_lo: np.ndarray, s_hi: np.ndarray) -> tuple[list[int], list[float], float]:
        """Year j's ``share_above`` and ``tangent`` rows: (phi columns, interval lengths, the
        constant part of the numerator from intervals whose share cannot change)."""
        Y = self.d.shares[:, j]
        cols, lengths, const_n = [], [], 0.0
        for length, free, const in _intervals(Y, s_lo[:, j], s_hi[:, j]):
            if not free:
                const_n += length * const * (1 - const)
                continue
            acol = self._col(0.0, 0.0, 1.0)
            pcol = self._col(0.0, 0.0, 0.25)
            r = self._row(const, const, [acol], [1.0])  # A - sum Y [s >= kappa] lambda = const
            for a, kappa in free:
                self.share_of[a].append((r, j, kappa, Y[a]))
            top = const + sum(Y[a] for a, _ in free)
            for alpha in np.linspace(const, top, TANGENTS):
                self._row(-highspy.kHighsInf, alpha * alpha, [pcol, acol], [1.0, -(1 - 2 * alpha)])
            cols.append(pcol)
            lengths.append(length)
        return cols, lengths, const_n

    def _each_year(self, numerator) -> None:
        for cols, lengths, const_n in numerator:  # sum l phi + slack - lo T_j >= -const
            slack = self._col(SLACK_COST, 0.0, highspy.kHighsInf)
            self.gini_rows.append(self._row(-const_n, highspy.kHighsInf, [*cols, slack], [*lengths, 1.0]))

    def _mean(self, numerator, s_lo, s_hi, bounds) -> None:
        n, inf = self.d.n_years, highspy.kHighsInf
        T_lo = s_lo.sum(axis=0).astype(float)
        T_hi = s_hi.sum(axis=0).astype(float)
        if bounds is not None:
            T_lo = np.maximum(T_lo, np.where(np.isfinite(bounds.T_lo), bounds.T_lo, 0.0))
            T_hi = np.minimum(T_hi, np.where(np.isfinite(bounds.T_hi), bounds.T_hi, np.inf))
        self.g_up = _gini_caps(self.d.shares, s_lo, s_hi, T_lo)
        g = [self._col(0.0, 0.0, float(self.g_up[j])) for j in range(n)]
        for j, (cols, lengths, const_n) in enumerate(numerator):
            self._row(-inf, const_n, [g[j], *cols], [float(T_lo[j]), *(-np.asarray(lengths))])
            # the other McCormick side of N = G T (G <= G_up, T <= T_hi), with T linear in the plans
            self.gini_rows.append(self._row(-inf, const_n + self.g_up[j] * T_hi[j], [g[j], *cols],
                                            [float(T_hi[j]), *(-np.asarray(lengths))]))
        slack = self._col(SLACK_COST, 0.0, inf)
        self._row(n * self.lo, inf, [*g, slack], [1.0] * n + [1.0])

    def per_set(self, y: np.ndarray) -> np.ndarray:
        """The plan's reduced cost per set of T_j from the band rows' duals ``y``."""
        d = self.d
        return np.array([(self.lo if d.gini_mode == "each_year" else -self.g_up[j]) * y[self.gini_rows[j]]
                         for j in range(d.n_years)])

    def add_plan(self, a: int, f: float, s: np.ndarray) -> bool:
        """Region a's plan of cost f and totals s as a column (False if it is there already)."""
        key = (a, np.round(s).astype(int).tobytes())
        if key in self.seen:
            return False
        self.seen.add(key)
        idx, val = [self.conv[a]], [1.0]
        for r, j, kappa, y in self.share_of[a]:
            if s[j] >= kappa - 1e-9:
                idx.append(r)
                val.append(-y)
        for j in range(self.d.n_years):  # each_year: -lo T_j; mean: + G_up T_j (the McCormick side)
            idx.append(self.gini_rows[j])
            val.append((-self.lo if self.d.gini_mode == "each_year" else self.g_up[j]) * float(s[j]))
        self.h.addCol(f, 0.0, highspy.kHighsInf, len(idx), np.asarray(idx, dtype=np.int32),
                      np.asarray(val, dtype=float))
        self.columns += 1
        return True


def column_bound(instance: EquipmentInstance, *, bounds: Any | None = None, seconds: float | None = None,
                 plans: list[np.ndarray] | None = None, max_iterations: int = 500,
                 tolerance: float = 1e-6) -> ColumnBound:
    """Column generation on the master of the module docstring (cost objective, the band's lower
    side); returns the best Lagrangian bound reached within ``seconds``. ``plans``: full plans
    (K x n) whose region parts seed the master (e.g. the incumbent)."""
    t0 = time.perf_counter()
    d = instance.data
    s_lo, s_hi = _ranges(d, bounds)
    pricing = [_Pricing(instance, a, s_lo[a], s_hi[a]) for a in range(d.n_regions)]
    master = _Master(d, s_lo, s_hi, bounds)
    for x in plans or []:
        cost, s = region_plan_costs(d, x)
        for a in range(d.n_regions):
            if np.all(s[a] >= s_lo[a] - 1e-9) and np.all(s[a] <= s_hi[a] + 1e-9):
                master.add_plan(a, float(cost[a]), s[a])
    for a in range(d.n_regions):  # each region's own band-free optimum (inside the box)
        _, f, s = pricing[a].price({}, np.zeros(d.n_years), SolveOptions(mip_rel_gap=0.0, threads=1))
        if f is not None:
            master.add_plan(a, f, s)

    best = value = None
    iterations = 0
    converged = False
    with StopOnSigint(master.h):  # a signal stops the master's LP; check() then ends the generation
        while iterations < max_iterations:
            if seconds is not None and time.perf_counter() - t0 >= seconds:
                break
            master.h.run()
            check()
            found = _round(master, pricing, seconds, t0, tolerance)
            if found is None:
                break
            iterations += 1
            value, total, added = found
            if math.isfinite(total):
                best = total if best is None else max(best, total)
            if added == 0:
                converged = True
                break
    return ColumnBound(bound=best, master=value, iterations=iterations, columns=master.columns,
                       seconds=time.perf_counter() - t0, converged=converged)


def _round(master: _Master, pricing: list[_Pricing], seconds, t0: float, tolerance: float):
    """One round of column generation on the solved master: ``(master value, Lagrangian bound,
    plans added)``, or None when the master has no optimal LP."""
    h = master.h
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    value = float(h.getInfo().objective_function_value)
    y = np.asarray(h.getSolution().row_dual, dtype=float)
    per_set = master.per_set(y)
    total, added = value, 0
    for a, region in enumerate(pricing):
        coef: dict[tuple[int, int], float] = {}
        for r, j, kappa, yy in master.share_of[a]:
            # reduced cost = f - sum_r y_r a_r(p); a_r = -Y [s >= kappa] on share rows
            coef[j, kappa] = coef.get((j, kappa), 0.0) + y[r] * yy
        left = None if seconds is None else max(seconds - (time.perf_counter() - t0), 0.5)
        low, f, s = region.price(coef, per_set, SolveOptions(mip_rel_gap=0.0, threads=1, time_limit=left))
        check()  # a signal stopped that pricing MILP: no bound from this round
        reduced = low - y[master.conv[a]]
        total += min(0.0, reduced)  # the Lagrangian bound: the least reduced cost of each region
        if f is not None and (f + sum(c for (j, kappa), c in coef.items() if s[j] >= kappa)
                              + float(per_set @ s) - y[master.conv[a]]) < -tolerance:
            added += master.add_plan(a, f, s)
    return value, total, added
