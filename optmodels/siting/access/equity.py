r"""Equity models: supply (and sites) chosen so that accessibility is as equal as possible.

Seed 001 (Pan Jie's team) reports that re-allocating capacity "even without changing the total
amount of healthcare resources" reduces inequality; seed 000 reports the accessibility gain of a
better facility layout. Both rest on one observation (Wang & Tang 2013; models.md §3): with the
demand fixed, the 2SFCA catchment demand :math:`D_j = \sum_i P_i K_{ij}` depends on data only, so

.. math::  A_i = \sum_j K_{ij} S_j / D_j = \sum_j M_{ij} S_j

is *linear* in the supplies (:func:`optmodels.siting.access.measures.access_matrix`).

Scaling (why the models look the way they do)
---------------------------------------------
Unscaled, :math:`M_{ij} \approx 1/D_j` is tiny and the variance of order
:math:`10^{-10}`; HiGHS's active-set QP solver then cycles. The suggested fix, accessibility per
1,000 people, is not enough: measured on random cases (n up to 2000, m up to 200), HiGHS 1.15
still cycles to the time limit (> 10^6 QP iterations) whenever :math:`1000 \cdot S^{tot} / \sum P`
is far below 1 (e.g. 120 hospitals for 9 million people), while the normalisation below solved
every case in < 300 iterations. So the models use

* supply *shares* :math:`s_j = S_j / S^{tot}` as variables (``s``; ``S`` is the expression
  :math:`S^{tot} s_j` in the data's units), so every variable is in :math:`[0, 1]`;
* accessibility in units of :math:`1/\sigma`: :math:`a_i = \sigma A_i`. By default
  (``scale=None``) :math:`\sigma = \sum_i P_i / S^{tot}`, i.e. accessibility *relative to
  the average supply per person* (1 = average; with every site reachable the population-weighted
  mean of :math:`a` is exactly 1, so ``access_variance`` is the squared coefficient of
  variation). ``scale=1000`` gives "per 1,000 people" -- fine when
  :math:`1000\,S^{tot}/\sum P` is of order 1, see above otherwise;
* population *shares* :math:`p_i = P_i / \sum P` as weights.

The objectives are :math:`\sigma^2 \operatorname{Var}_P(A)` and :math:`\sigma\,\mathrm{MAD}_P(A)`;
:func:`unscaled` divides by :math:`\sigma^2` / :math:`\sigma`. Minimising the spec's
:math:`\sum_i P_i (A_i - \bar A)^2` has the same minimisers (a constant factor).

Capacity for equal accessibility -- :func:`build_capacity_qp` (convex QP, HiGHS)
---------------------------------------------------------------------------------
With :math:`C = \sigma S^{tot} M` (so :math:`a = C s`) and its population-centred
:math:`\tilde C = C - \mathbf 1 p^\top C`:

.. math::

    \min\ & \textstyle\sum_i p_i (a_i - \bar a)^2 = s^\top \tilde C^\top \operatorname{diag}(p)
        \tilde C\, s && \texttt{access\_variance} \\
    \text{s.t. } & \textstyle\sum_j s_j = 1 && \texttt{total\_supply}
        \ (\textstyle\sum_j S_j = S^{tot}) \\
    & S^{min}_j / S^{tot} \le s_j \le 1 && \text{(bounds of } s)

The Hessian is formed in numpy (m x m, dense) and handed over as the quadratic form in ``s``:
m variables and one row, instead of 3n auxiliary variables -- the auxiliary form
(``a``, ``a_bar``, deviations as variables) made HiGHS cycle even when well scaled.

Siting and capacity for equity -- :func:`build_siting_mad` (MILP, HiGHS)
------------------------------------------------------------------------
The variance with binary opening decisions is a MIQP, which HiGHS cannot solve; the mean absolute
deviation keeps it linear:

.. math::

    \min\ & \textstyle\sum_i p_i u_i && \texttt{access\_mad} \\
    \text{s.t. } & a_i = \textstyle\sum_j C_{ij} s_j && \texttt{accessibility}_i \\
    & \bar a = \textstyle\sum_i p_i a_i && \texttt{mean\_accessibility} \\
    & u_i \ge a_i - \bar a,\quad u_i \ge \bar a - a_i && \texttt{deviation\_above},\
      \texttt{deviation\_below} \\
    & \textstyle\sum_j s_j = 1 && \texttt{total\_supply} \\
    & S^{min}_j y_j \le S^{tot} s_j \le S^{max}_j y_j && \texttt{supply\_lower},\
      \texttt{supply\_upper} \\
    & \textstyle\sum_j y_j = p \quad\text{and/or}\quad \sum_j c_j y_j \le B
      && \texttt{open\_count},\ \texttt{budget} \\
    & y_j = 1 \ (j \text{ fixed open}),\quad y_j \in \{0, 1\}

=================  ==============================================================================
symbol (name)      meaning
=================  ==============================================================================
``P_i``, ``p[i]``  population of demand point i; ``p_i = P_i / sum P`` its share
``M_ij``           ``K_ij / D_j``: accessibility of i per unit of supply at j (2SFCA family)
``scale``          sigma: accessibility is modelled as ``a = sigma * A`` (see Scaling)
``s[j]``           share of the total supply placed at site j (the decision)
``S[j]``           supply at site j in the data's units, ``S_tot * s[j]`` (an Expression)
``y[j]``           1 if site j is open (MILP only)
``A[i]``           scaled accessibility ``a_i`` of demand point i (MILP variable)
``A_bar``          population-weighted mean of ``a`` (MILP variable)
``u[i]``           absolute deviation ``|a_i - a_bar|`` (MILP)
``S_tot``          total supply, held fixed (the seed's "same total amount")
``S_min, S_max``   per-site bounds (in the MILP ``S_min`` applies only to open sites)
``p, B, c_j``      number of open sites (fixed-open ones included), budget, fixed costs
=================  ==============================================================================

Simple choices, written down: 3SFCA is allowed in the QP (all sites are present, some perhaps with
zero supply) but not in the MILP, whose selection weights would depend on the open set (not
linear). Sites nobody can reach (:math:`D_j = 0`) have a zero column: supply placed there serves
nobody and lowers everyone's accessibility, so the optimiser avoids it unless forced by ``S_min``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyomo.environ as pyo
import scipy.sparse as sp
from numpy.typing import ArrayLike
from pyomo.core.expr.numeric_expr import LinearExpression

from optmodels.siting.access.measures import access_matrix, accessibility
from optmodels.siting.models import EQUITY_OBJECTIVES
from optmodels.siting.models import OBJECTIVES as _OBJECTIVES

#: Named objectives of the equity models and their sense (from the family's one table).
OBJECTIVES: dict[str, str] = {name: _OBJECTIVES[name].sense for name in EQUITY_OBJECTIVES}

_FEAS_TOL = 1e-6


# --------------------------------------------------------------------------------------------
# Shared blocks
# --------------------------------------------------------------------------------------------


def _vector(values: ArrayLike | float | None, n: int, name: str, default: float) -> np.ndarray:
    if values is None:
        return np.full(n, float(default))
    v = np.broadcast_to(np.asarray(values, dtype=float), (n,)).copy()
    if np.isnan(v).any() or (v < 0).any():
        raise ValueError(f"{name} must be >= 0 (and not NaN)")
    return v


def _resolve_method(method_params: dict) -> dict:
    unknown = set(method_params) - {"steps", "beta"}
    if unknown:
        raise TypeError(
            f"unknown accessibility parameter(s) {sorted(unknown)}; expected steps, beta"
        )
    return {k: v for k, v in method_params.items() if v is not None}


def _prepare(cost, population, supply_total, d0, method, scale, method_params):
    """Population shares, the scaled operator ``C = sigma S_tot M`` (CSR) and sigma."""
    params = _resolve_method(method_params)
    pop = np.asarray(population, dtype=float)
    if pop.ndim != 1 or not pop.sum() > 0:
        raise ValueError("population must be a 1-D array with a positive total")
    if not (np.isfinite(supply_total) and supply_total > 0):
        raise ValueError(f"supply_total must be > 0, found {supply_total!r}")
    m_, _ = access_matrix(cost, pop, method=method, d0=d0, **params)
    sigma = pop.sum() / supply_total if scale is None else float(scale)
    if not sigma > 0:
        raise ValueError(f"scale must be > 0 (or None for relative accessibility), found {scale!r}")
    op = sp.csr_matrix(m_) * (sigma * supply_total)
    return pop / pop.sum(), op, sigma


def _add_sets_and_data(model, shares: np.ndarray, n_sites: int, sigma: float, supply_total: float):
    model.I = pyo.RangeSet(0, len(shares) - 1, doc="demand points i")
    model.J = pyo.RangeSet(0, n_sites - 1, doc="sites j")
    model.p = pyo.Param(
        model.I,
        initialize=dict(enumerate(shares.tolist())),
        doc="population share p_i = P_i / sum P",
    )
    model.scale = pyo.Param(
        initialize=float(sigma), doc="sigma: modelled accessibility a = sigma * A"
    )
    model.supply_total = pyo.Param(initialize=float(supply_total), doc="total supply S_tot (fixed)")


def _add_supply(model, lower: np.ndarray, upper: np.ndarray) -> None:
    model.s = pyo.Var(
        model.J,
        bounds=lambda model, j: (float(lower[j]), float(upper[j])),
        doc="share s_j of the total supply placed at site j",
    )
    model.S = pyo.Expression(
        model.J, rule=lambda model, j: model.supply_total * model.s[j], doc="supply S_j = S_tot s_j"
    )
    model.total_supply = pyo.Constraint(
        expr=pyo.quicksum(model.s[j] for j in model.J) == 1,
        doc="sum_j s_j = 1, i.e. sum_j S_j = S_tot: the same total amount of resources",
    )


# --------------------------------------------------------------------------------------------
# Capacity QP
# --------------------------------------------------------------------------------------------


def variance_hessian(op: sp.spmatrix | np.ndarray, shares: np.ndarray) -> np.ndarray:
    """``Q = C~' diag(p) C~`` with ``C~ = C - 1 p'C``: ``sum_i p_i (a_i - a_bar)^2 = s'Qs``.

    Expanded as ``C' diag(p) C - (C'p)(C'p)'`` so the sparse ``C`` is never densified.
    """
    c = sp.csr_matrix(op)
    cp = np.asarray(c.T @ shares).ravel()
    q = (c.T @ sp.diags(shares) @ c).toarray() - np.outer(cp, cp)
    return 0.5 * (q + q.T)


def build_capacity_qp(
    cost: Any,
    population: ArrayLike,
    supply_min: ArrayLike | float | None,
    supply_total: float,
    *,
    d0: float,
    method: str = "2sfca",
    scale: float | None = None,
    **method_params: Any,
) -> pyo.ConcreteModel:
    """The capacity QP for equal accessibility (module docstring); objective ``access_variance``.

    Parameters
    ----------
    cost
        ``(n_demand, n_sites)`` travel costs (dense with ``np.inf`` or ``scipy.sparse``).
    population
        ``P_i`` per demand point (``sum > 0``).
    supply_min
        ``S_min_j`` per site (or one number for all; ``None``: 0).
    supply_total
        ``S_tot``, the total supply to distribute.
    d0, method, method_params
        The accessibility measure (:func:`optmodels.siting.access.measures.accessibility`: ``steps``,
        ``beta``); any of the four methods.
    scale
        ``None`` (default): accessibility relative to the average supply per person;
        a number: accessibility per ``scale`` people (see "Scaling").

    Raises
    ------
    ValueError
        Bad arrays, or ``sum S_min > S_tot`` (infeasible before any solve).
    """
    shares, op, sigma = _prepare(cost, population, supply_total, d0, method, scale, method_params)
    n, m = op.shape
    smin = _vector(supply_min, m, "supply_min", 0.0)
    if smin.sum() > supply_total * (1 + 1e-12):
        raise ValueError(
            f"supply_min adds up to {smin.sum():.6g} > supply_total {supply_total:.6g}: infeasible"
        )
    q = variance_hessian(op, shares)

    model = pyo.ConcreteModel(name="equity_capacity")
    _add_sets_and_data(model, shares, m, sigma, supply_total)
    _add_supply(model, smin / supply_total, np.ones(m))
    s = [model.s[j] for j in range(m)]
    # Upper triangle of the symmetric form, off-diagonal terms doubled.
    jj, kk = np.triu_indices(m)
    coef = np.where(jj == kk, 1.0, 2.0) * q[jj, kk]
    keep = coef != 0.0
    model.access_variance = pyo.Objective(
        expr=pyo.quicksum(
            float(c) * s[j] * s[k] for c, j, k in zip(coef[keep], jj[keep], kk[keep], strict=True)
        ),
        sense=pyo.minimize,
        doc="sum_i p_i (a_i - a_bar)^2 = s'Qs: scale^2 x population-weighted variance of A",
    )
    return model


# --------------------------------------------------------------------------------------------
# Siting + capacity MAD MILP
# --------------------------------------------------------------------------------------------


def build_siting_mad(
    cost: Any,
    population: ArrayLike,
    supply_total: float,
    *,
    d0: float,
    supply_max: ArrayLike | float | None = None,
    supply_min: ArrayLike | float | None = None,
    p: int | None = None,
    budget: float | None = None,
    fixed_cost: ArrayLike | None = None,
    fixed_open: ArrayLike | None = None,
    method: str = "2sfca",
    scale: float | None = None,
    **method_params: Any,
) -> pyo.ConcreteModel:
    """Which sites open and how much supply each gets, for equal accessibility (``access_mad``).

    Parameters
    ----------
    cost, population, d0, method, method_params, scale
        As in :func:`build_capacity_qp` (``method`` one of 2sfca / e2sfca / g2sfca).
    supply_total
        ``S_tot``: the supply distributed over the open sites (all of it).
    supply_max
        ``S_max_j`` per site (or one number; ``None``: ``S_tot``) -- also the big-M of
        ``supply_upper``, so keep it tight.
    supply_min
        ``S_min_j``, the least supply of an *open* site (``None``: 0).
    p
        Number of open sites, fixed-open ones included (``open_count``; ``None``: free).
    budget, fixed_cost
        ``sum_j c_j y_j <= B`` (``budget``; ``fixed_cost`` default 1 per site).
    fixed_open
        Boolean mask of sites that must stay open (existing facilities).

    Raises
    ------
    ValueError
        Bad arrays or parameters, 3SFCA, or cheap infeasibility (fixed-open sites exceed ``p``
        or the budget, their ``S_min`` exceeds ``S_tot``, the largest admissible open set cannot
        hold ``S_tot``).
    """
    if method == "3sfca":
        raise ValueError(
            "3SFCA selection weights depend on which sites are open, so accessibility is not "
            "linear in the siting decision; use 2sfca, e2sfca or g2sfca for the siting MILP"
        )
    shares, op, sigma = _prepare(cost, population, supply_total, d0, method, scale, method_params)
    n, m = op.shape
    smax = np.minimum(_vector(supply_max, m, "supply_max", supply_total), supply_total)
    smin = _vector(supply_min, m, "supply_min", 0.0)
    if (smin > smax).any():
        j = int(np.flatnonzero(smin > smax)[0])
        raise ValueError(f"site {j}: supply_min {smin[j]:.6g} > supply_max {smax[j]:.6g}")
    fcost = _vector(fixed_cost, m, "fixed_cost", 1.0)
    must = np.zeros(m, bool) if fixed_open is None else np.asarray(fixed_open, dtype=bool)
    if must.shape != (m,):
        raise ValueError(f"fixed_open must have shape ({m},), found {must.shape}")
    if p is not None and not must.sum() <= p <= m:
        raise ValueError(
            f"p must be between {int(must.sum())} (fixed-open sites) and {m}, found {p}"
        )
    if smin[must].sum() > supply_total * (1 + 1e-12):
        raise ValueError(
            f"fixed-open sites need supply_min {smin[must].sum():.6g} > supply_total {supply_total:.6g}"
        )
    if budget is not None and fcost[must].sum() > budget * (1 + 1e-12):
        raise ValueError(f"fixed-open sites cost {fcost[must].sum():.6g} > budget {budget:.6g}")
    # The most supply any admissible open set can hold: the fixed-open sites plus the largest
    # S_max of the others (as many as p allows). Below S_tot, no plan exists.
    free = np.sort(smax[~must])[::-1]
    k = len(free) if p is None else max(0, int(p) - int(must.sum()))
    cap = smax[must].sum() + free[:k].sum()
    if cap < supply_total * (1 - 1e-12):
        raise ValueError(
            f"the open sites can hold at most {cap:.6g} (supply_max) < supply_total {supply_total:.6g}"
        )

    model = pyo.ConcreteModel(name="equity_siting")
    _add_sets_and_data(model, shares, m, sigma, supply_total)
    model.y = pyo.Var(
        model.J,
        domain=pyo.Binary,
        bounds=lambda model, j: (1, 1) if must[j] else (0, 1),
        doc="1 if site j is open (fixed-open sites have y_j = 1)",
    )
    _add_supply(model, np.zeros(m), smax / supply_total)
    _add_accessibility(model, op)
    model.u = pyo.Var(model.I, bounds=(0, None), doc="absolute deviation u_i = |a_i - A_bar|")
    model.deviation_above = pyo.Constraint(
        model.I,
        rule=lambda model, i: model.u[i] >= model.A[i] - model.A_bar,
        doc="u_i >= a_i - A_bar",
    )
    model.deviation_below = pyo.Constraint(
        model.I,
        rule=lambda model, i: model.u[i] >= model.A_bar - model.A[i],
        doc="u_i >= A_bar - a_i",
    )
    model.supply_upper = pyo.Constraint(
        model.J,
        rule=lambda model, j: model.s[j] <= float(smax[j] / supply_total) * model.y[j],
        doc="S_j <= S_max_j y_j: a closed site has no supply",
    )
    if (smin > 0).any():
        model.supply_lower = pyo.Constraint(
            [j for j in range(m) if smin[j] > 0],
            rule=lambda model, j: model.s[j] >= float(smin[j] / supply_total) * model.y[j],
            doc="S_j >= S_min_j y_j: an open site gets at least S_min_j",
        )
    if p is not None:
        model.open_count = pyo.Constraint(
            expr=pyo.quicksum(model.y[j] for j in model.J) == int(p), doc="sum_j y_j = p"
        )
    if budget is not None:
        model.budget = pyo.Constraint(
            expr=pyo.quicksum(float(fcost[j]) * model.y[j] for j in model.J) <= float(budget),
            doc="sum_j c_j y_j <= B",
        )
    model.access_mad = pyo.Objective(
        expr=pyo.quicksum(model.p[i] * model.u[i] for i in model.I),
        sense=pyo.minimize,
        doc="sum_i p_i |a_i - a_bar|: scale x population-weighted mean absolute deviation of A",
    )
    return model


def _add_accessibility(model: pyo.ConcreteModel, op: sp.csr_matrix) -> None:
    """``A[i] = sum_j C_ij s[j]`` (only the nonzero C_ij) and ``A_bar = sum_i p_i A[i]``."""
    model.A = pyo.Var(model.I, doc="scaled accessibility a_i = scale * A_i")
    model.A_bar = pyo.Var(doc="population-weighted mean of a")
    indptr, indices, data = op.indptr, op.indices, op.data
    s = model.s

    def accessibility_rule(model, i):
        lo, hi = indptr[i], indptr[i + 1]
        expr = LinearExpression(
            constant=0.0,
            linear_coefs=data[lo:hi].tolist(),
            linear_vars=[s[j] for j in indices[lo:hi].tolist()],
        )
        return model.A[i] - expr == 0

    model.accessibility = pyo.Constraint(
        model.I, rule=accessibility_rule, doc="a_i = sum_j C_ij s_j (2SFCA family, linear in S)"
    )
    shares = [pyo.value(model.p[i]) for i in model.I]
    model.mean_accessibility = pyo.Constraint(
        expr=model.A_bar
        - LinearExpression(
            constant=0.0, linear_coefs=shares, linear_vars=[model.A[i] for i in model.I]
        )
        == 0,
        doc="A_bar = sum_i p_i a_i",
    )


# --------------------------------------------------------------------------------------------
# Reading a solved model, and the numpy evaluator
# --------------------------------------------------------------------------------------------


def supplies(model: pyo.ConcreteModel) -> np.ndarray:
    """``S_j`` of a solved equity model, as an array (negative round-off clipped to 0)."""
    return np.clip(np.array([pyo.value(model.S[j]) for j in model.J], dtype=float), 0.0, None)


def open_sites(model: pyo.ConcreteModel) -> np.ndarray:
    """The open set of a solved siting model (boolean); the QP's sites are all open."""
    if not hasattr(model, "y"):
        return np.ones(len(model.J), dtype=bool)
    return np.array([pyo.value(model.y[j]) > 0.5 for j in model.J], dtype=bool)


def unscaled(model: pyo.ConcreteModel, objective_value: float) -> float:
    """The objective in the data's units: variance / scale², MAD / scale."""
    scale = float(pyo.value(model.scale))
    return (
        objective_value / scale**2 if hasattr(model, "access_variance") else objective_value / scale
    )


@dataclass(frozen=True)
class EquityEvaluation:
    """Accessibility of a plan and every constraint's slack (>= 0 means satisfied).

    ``variance`` and ``mad`` are in the data's units (no scale): population-weighted variance
    and mean absolute deviation of ``access``. ``slacks`` maps constraint names to the smallest
    slack over their rows (``total_supply`` is an equality: its slack is ``-|S_tot - sum S|``).
    """

    access: np.ndarray
    mean: float
    variance: float
    mad: float
    slacks: dict[str, float] = field(default_factory=dict)

    def objective(self, name: str, scale: float) -> float:
        """``access_variance`` or ``access_mad`` as a model with this ``scale`` states it.

        Pass ``pyo.value(model.scale)`` (sigma; with ``scale=None`` it is ``sum P / S_tot``).
        """
        if name == "access_variance":
            return self.variance * scale**2
        if name == "access_mad":
            return self.mad * scale
        raise KeyError(f"unknown equity objective {name!r}; expected one of {sorted(OBJECTIVES)}")

    def feasible(self, tol: float = _FEAS_TOL) -> bool:
        return all(v >= -tol for v in self.slacks.values())


def evaluate(
    cost: Any,
    population: ArrayLike,
    supply: ArrayLike,
    *,
    d0: float,
    method: str = "2sfca",
    supply_total: float | None = None,
    supply_min: ArrayLike | float | None = None,
    supply_max: ArrayLike | float | None = None,
    open_sites: ArrayLike | None = None,
    p: int | None = None,
    budget: float | None = None,
    fixed_cost: ArrayLike | None = None,
    fixed_open: ArrayLike | None = None,
    steps: Sequence[tuple[float, float]] | None = None,
    beta: float | None = None,
) -> EquityEvaluation:
    """Evaluate a capacity plan (or siting plan, with ``open_sites``) without Pyomo.

    Accessibility comes from :func:`optmodels.siting.access.measures.accessibility` (ratios
    ``R_j = S_j / D_j``, then ``A_i = sum_j K_ij R_j``) -- not from the model's ``M`` -- and every
    constraint of either model is rechecked. ``supply_min`` applies to open sites (all sites
    when ``open_sites`` is ``None``), like the models.
    """
    pop = np.asarray(population, dtype=float)
    s = np.asarray(supply, dtype=float)
    res = accessibility(
        cost, pop, np.clip(s, 0.0, None), method=method, d0=d0, steps=steps, beta=beta
    )
    a = res.access
    share = pop / pop.sum()
    mean = float(share @ a)
    m = len(s)
    is_open = np.ones(m, bool) if open_sites is None else np.asarray(open_sites, dtype=bool)
    slacks: dict[str, float] = {"supply_nonnegative": float(s.min())}
    if supply_total is not None:
        slacks["total_supply"] = -abs(float(supply_total) - float(s.sum()))
    if supply_min is not None:
        smin = _vector(supply_min, m, "supply_min", 0.0)
        slacks["supply_lower"] = float(np.min(np.where(is_open, s - smin, np.inf)))
    if supply_max is not None or open_sites is not None:
        cap = _vector(supply_max, m, "supply_max", np.inf)
        slacks["supply_upper"] = float(np.min(np.where(is_open, cap, 0.0) - s))
    if p is not None:
        slacks["open_count"] = -abs(int(p) - int(is_open.sum()))
    if budget is not None:
        fcost = _vector(fixed_cost, m, "fixed_cost", 1.0)
        slacks["budget"] = float(budget) - float(fcost[is_open].sum())
    if fixed_open is not None:
        must = np.asarray(fixed_open, dtype=bool)
        slacks["fixed_open"] = -float((must & ~is_open).sum())
    return EquityEvaluation(
        access=a,
        mean=mean,
        variance=float(share @ (a - mean) ** 2),
        mad=float(share @ np.abs(a - mean)),
        slacks=slacks,
    )


__all__ = [
    "OBJECTIVES",
    "EquityEvaluation",
    "build_capacity_qp",
    "build_siting_mad",
    "evaluate",
    "open_sites",
    "supplies",
    "unscaled",
    "variance_hessian",
]
