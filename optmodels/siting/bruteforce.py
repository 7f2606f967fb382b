"""Exact enumeration over every open set: the reference answers of the tiny shipped instances.

For each of the ``2^m`` open vectors that satisfy the site rules (existing sites open, ``p``,
budget) the objective is computed independently of the Pyomo model:

* uncapacitated models: the numpy evaluator (nearest open site; coverage by radius);
* capacitated models: the best assignment for that open set is a small transportation problem,
  solved with ``scipy.optimize.linprog`` (multi-source) or ``scipy.optimize.milp``
  (single-source) -- a separate formulation written directly in matrices.

Only sensible for ``m <= ~16`` sites.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from optmodels.siting.data.instance import SitingInstance
from optmodels.siting.evaluate import evaluate
from optmodels.siting.formulation import NATIVE, OBJECTIVES
from optmodels.siting.models import MODEL_SPECS, budget_binds, capacities_bind, p_fixes_count


def _open_sets(inst: SitingInstance):
    m = inst.n_sites
    must = inst.fixed_open()
    for bits in itertools.product((False, True), repeat=m):
        y = np.array(bits)
        if (must & ~y).any():
            continue
        yield y


def _assignment_value(inst: SitingInstance, y: np.ndarray, model: str) -> float | None:
    """Best objective of a capacitated model for a fixed open set (None: infeasible)."""
    par = inst.parameters
    cost = inst.cost_matrix()
    w = inst.populations()
    cap = inst.capacities()
    n, m = cost.shape
    limit = par.radius if MODEL_SPECS[model].covers else None
    ok = np.isfinite(cost) & y[None, :]
    if limit is not None:
        ok &= cost <= limit
    I, J = np.nonzero(ok)  # noqa: E741 - the symbols of the module docstring
    K = len(I)
    single = par.assignment == "single"
    # variables: x_k (k < K) and, for p_center, D (last)
    extra = 1 if model == "p_center" else 0
    nv = K + extra
    rows, lo, hi = [], [], []
    for i in range(n):
        row = np.zeros(nv)
        row[np.flatnonzero(I == i)] = 1.0
        rows.append(row)
        if model == "mclp":
            lo.append(0.0)
            hi.append(1.0)
        else:
            lo.append(1.0)
            hi.append(1.0)
    for j in np.flatnonzero(y):
        row = np.zeros(nv)
        sel = J == j
        row[np.flatnonzero(sel)] = w[I[sel]]
        rows.append(row)
        lo.append(-np.inf)
        hi.append(cap[j])
    if model == "p_center":
        for i in range(n):
            row = np.zeros(nv)
            sel = np.flatnonzero(I == i)
            row[sel] = cost[I[sel], J[sel]]
            row[-1] = -1.0
            rows.append(row)
            lo.append(-np.inf)
            hi.append(0.0)
    c = np.zeros(nv)
    sense = 1.0
    if model in ("p_median", "cflp"):
        c[:K] = w[I] * cost[I, J]
    elif model == "p_center":
        c[-1] = 1.0
    elif model == "mclp":
        c[:K] = w[I]
        sense = -1.0
    A = np.array(rows) if rows else np.zeros((0, nv))
    if K == 0 and model != "mclp":
        return None
    ub = np.concatenate([np.ones(K), np.full(extra, np.inf)])
    if single:
        res = milp(
            sense * c,
            constraints=LinearConstraint(A, lo, hi),
            integrality=np.concatenate([np.ones(K), np.zeros(extra)]),
            bounds=Bounds(np.zeros(nv), ub),
        )
        if res.status != 0:
            return None
        value = sense * res.fun
    else:
        A_ub, b_ub, A_eq, b_eq = [], [], [], []
        for r, low, h in zip(A, lo, hi, strict=True):
            if low == h:
                A_eq.append(r)
                b_eq.append(h)
            else:
                if np.isfinite(h):
                    A_ub.append(r)
                    b_ub.append(h)
                if np.isfinite(low) and low > 0:
                    A_ub.append(-r)
                    b_ub.append(-low)
        res = linprog(
            sense * c,
            A_ub=np.array(A_ub) if A_ub else None,
            b_ub=b_ub or None,
            A_eq=np.array(A_eq) if A_eq else None,
            b_eq=b_eq or None,
            bounds=list(zip(np.zeros(nv), ub, strict=False)),
            method="highs",
        )
        if res.status != 0:
            return None
        value = sense * res.fun
    if model == "cflp":
        ev = evaluate(inst, y, model=model)
        return ev.objectives["cost"] + par.cost_per_distance * value
    if model == "lscp":
        return evaluate(inst, y, model=model).objectives["cost"]
    return float(value)


def brute_force(inst: SitingInstance, model: str | None = None) -> tuple[float, np.ndarray]:
    """``(optimum, one optimal open vector)`` of the instance's location model."""
    model = model or inst.model
    if model != inst.model:
        inst = inst.with_changes(model)
    par = inst.parameters
    objective = NATIVE[model]
    sign = 1.0 if OBJECTIVES[objective] == "min" else -1.0
    spec = MODEL_SPECS[model]
    capacitated = capacities_bind(model, par.capacitated)
    best, best_y = np.inf, None
    for y in _open_sets(inst):
        if p_fixes_count(model, par.p) and y.sum() != par.p:
            continue
        ev = evaluate(inst, y, model=model)
        if budget_binds(model, par.budget):
            if ev.objectives["cost"] > par.budget + 1e-9:
                continue
        if capacitated and model != "lscp_b":
            value = _assignment_value(inst, y, model)
            if value is None:
                continue
        else:
            if "demand_coverage" in ev.slacks and (ev.slacks["demand_coverage"] < 0).any():
                continue
            if spec.assigns and not np.isfinite(ev.assigned_distance).all():
                continue
            value = ev.objectives[objective]
        if sign * value < best - 1e-12:
            best, best_y = sign * value, y
    if best_y is None:
        raise ValueError(f"{model}: no feasible open set")
    return sign * best, best_y
