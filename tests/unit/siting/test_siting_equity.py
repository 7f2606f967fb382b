"""Equity models: capacity QP (closed form, KKT, scipy) and siting MAD MILP (brute force)."""

from __future__ import annotations

import itertools

import numpy as np
import pyomo.environ as pyo
import pytest
from scipy.optimize import linprog, minimize

from optmodels.siting.access.equity import (
    OBJECTIVES,
    build_capacity_qp,
    build_siting_mad,
    evaluate,
    open_sites,
    supplies,
    unscaled,
)
from optmodels.siting.access.measures import accessibility
from solvers import SolveOptions, solve

OPTS = SolveOptions(time_limit=60)


def _case(seed: int, n: int, m: int, size: float = 10.0):
    rng = np.random.default_rng(seed)
    dem, sit = rng.uniform(0, size, (n, 2)), rng.uniform(0, size, (m, 2))
    cost = np.hypot(*(dem[:, None, :] - sit[None, :, :]).transpose(2, 0, 1))
    pop = rng.integers(1_000, 20_000, n).astype(float)
    return cost, pop


def _m_2sfca(cost, pop, d0):
    """M_ij = [d_ij <= d0] / D_j, D_j = sum_i P_i [d_ij <= d0] -- 2SFCA re-derived here."""
    w = (cost <= d0).astype(float)
    demand = pop @ w
    return np.divide(w, demand, out=np.zeros_like(w), where=demand > 0)


def _variance(m_, pop, s):
    p = pop / pop.sum()
    a = m_ @ s
    return float(p @ (a - p @ a) ** 2)


def _mad(m_, pop, s):
    p = pop / pop.sum()
    a = m_ @ s
    return float(p @ np.abs(a - p @ a))


def test_objectives_registry() -> None:
    assert OBJECTIVES == {"access_variance": "min", "access_mad": "min"}


# --------------------------------------------------------------------------------------------
# Capacity QP
# --------------------------------------------------------------------------------------------


def test_qp_two_sites_closed_form() -> None:
    # Two sites, S1 = x, S2 = T - x: A_i = c_i + e_i x with c_i = M_i2 T, e_i = M_i1 - M_i2;
    # Var(x) = sum p_i ((c_i - c_bar) + (e_i - e_bar) x)^2  ->  x* = -cov(c, e) / var(e),
    # clipped to [S_min1, T - S_min2].
    cost, pop = _case(3, 25, 2)
    d0, total, smin = 6.0, 50.0, np.array([2.0, 2.0])
    m_ = _m_2sfca(cost, pop, d0)
    p = pop / pop.sum()
    c, e = m_[:, 1] * total, m_[:, 0] - m_[:, 1]
    cc, ee = c - p @ c, e - p @ e
    x_star = float(np.clip(-(p @ (cc * ee)) / (p @ (ee * ee)), smin[0], total - smin[1]))
    model = build_capacity_qp(cost, pop, smin, total, d0=d0)
    res = solve(model, OPTS)
    assert res.is_optimal
    s = supplies(model)
    np.testing.assert_allclose(s, [x_star, total - x_star], rtol=1e-5, atol=1e-6)
    assert unscaled(model, res.objective) == pytest.approx(_variance(m_, pop, s), rel=1e-6)


@pytest.fixture(scope="module")
def qp_case():
    cost, pop = _case(11, 60, 8)
    d0, total = 4.0, 120.0
    smin = np.full(8, 3.0)
    model = build_capacity_qp(cost, pop, smin, total, d0=d0)
    res = solve(model, OPTS)
    return cost, pop, d0, total, smin, model, res


def test_qp_solution_rechecked_by_evaluator(qp_case) -> None:
    cost, pop, d0, total, smin, model, res = qp_case
    assert res.is_optimal
    s = supplies(model)
    assert s.sum() == pytest.approx(total, rel=1e-9)
    ev = evaluate(cost, pop, s, d0=d0, supply_total=total, supply_min=smin)
    assert ev.feasible(1e-6), ev.slacks
    sigma = pyo.value(model.scale)
    assert sigma == pytest.approx(pop.sum() / total)  # default: relative accessibility
    assert ev.objective("access_variance", sigma) == pytest.approx(res.objective, rel=1e-6)
    assert ev.variance == pytest.approx(_variance(_m_2sfca(cost, pop, d0), pop, s), rel=1e-9)


def test_qp_kkt_conditions(qp_case) -> None:
    # grad V(S) = 2 M~' diag(p) M~ S with M~ = M - 1 p'M; optimality for sum S = T, S >= S_min:
    # one multiplier lam with grad_j = lam where S_j > S_min_j and grad_j >= lam where S_j = S_min_j.
    cost, pop, d0, total, smin, model, _ = qp_case
    m_ = _m_2sfca(cost, pop, d0)
    p = pop / pop.sum()
    mt = m_ - p @ m_
    s = supplies(model)
    grad = 2 * mt.T @ (p * (mt @ s))
    free = s > smin + 1e-6 * total
    assert free.sum() >= 2
    lam = grad[free].mean()
    scale = np.abs(grad).max()
    np.testing.assert_allclose(grad[free], lam, atol=1e-5 * scale)
    assert (grad[~free] >= lam - 1e-5 * scale).all()


def test_qp_matches_scipy_slsqp(qp_case) -> None:
    cost, pop, d0, total, smin, model, _ = qp_case
    m_ = _m_2sfca(cost, pop, d0)
    # scipy on the variance in per-person units times a constant (minimisers unchanged)
    k = (pop.sum() / total) ** 2

    def fun(x):
        return k * _variance(m_, pop, x)

    x0 = np.full(len(smin), total / len(smin))
    ref = minimize(
        fun,
        x0,
        method="SLSQP",
        bounds=[(lo, None) for lo in smin],
        constraints=[{"type": "eq", "fun": lambda x: x.sum() - total}],
        options={"ftol": 1e-14, "maxiter": 1000},
    )
    assert ref.success
    ours = fun(supplies(model))
    assert ours <= ref.fun * (1 + 1e-6) + 1e-12  # HiGHS at least as good as SLSQP
    assert ours == pytest.approx(ref.fun, rel=1e-4)


def test_qp_improves_on_uneven_plan_at_same_total(qp_case) -> None:
    # Seed 001's claim: same total supply, lower inequality. An uneven "before" plan:
    cost, pop, d0, total, smin, model, _ = qp_case
    before = smin.copy()
    before[0] = total - smin[1:].sum()
    a0 = accessibility(cost, pop, before, d0=d0)
    a1 = accessibility(cost, pop, supplies(model), d0=d0)
    ev0 = evaluate(cost, pop, before, d0=d0, supply_total=total)
    ev1 = evaluate(cost, pop, supplies(model), d0=d0, supply_total=total)
    assert ev1.variance < ev0.variance
    assert pop @ a1.access == pytest.approx(pop @ a0.access)  # same total, same mean


def test_qp_scale_does_not_change_the_optimum(qp_case) -> None:
    cost, pop, d0, total, smin, model, _ = qp_case
    other = build_capacity_qp(cost, pop, smin, total, d0=d0, scale=1000.0)
    res = solve(other, OPTS)
    assert res.is_optimal
    assert pyo.value(other.scale) == 1000.0
    np.testing.assert_allclose(supplies(other), supplies(model), rtol=1e-4, atol=1e-4)
    assert unscaled(other, res.objective) == pytest.approx(
        _variance(_m_2sfca(cost, pop, d0), pop, supplies(other)), rel=1e-6
    )


@pytest.mark.parametrize(
    ("method", "kw"),
    [("e2sfca", {"steps": [(2.0, 1.0), (4.0, 0.4)]}), ("g2sfca", {}), ("3sfca", {})],
)
def test_qp_other_methods_rechecked(method, kw) -> None:
    cost, pop = _case(5, 40, 5)
    model = build_capacity_qp(cost, pop, 1.0, 60.0, d0=5.0, method=method, **kw)
    res = solve(model, OPTS)
    assert res.is_optimal
    s = supplies(model)
    ev = evaluate(cost, pop, s, d0=5.0, method=method, supply_total=60.0, supply_min=1.0, **kw)
    assert ev.feasible(1e-6)
    assert ev.objective("access_variance", pyo.value(model.scale)) == pytest.approx(
        res.objective, rel=1e-6
    )
    # no feasible perturbation that moves supply between two sites does better
    rng = np.random.default_rng(0)
    for _ in range(20):
        j, k = rng.choice(5, 2, replace=False)
        step = min(0.5, s[j] - 1.0)
        if step <= 0:
            continue
        t = s.copy()
        t[j] -= step
        t[k] += step
        assert evaluate(cost, pop, t, d0=5.0, method=method, **kw).variance >= ev.variance * (
            1 - 1e-7
        )


def test_qp_rejects_infeasible_minimum() -> None:
    cost, pop = _case(1, 5, 3)
    with pytest.raises(ValueError, match="supply_min adds up to 30 > supply_total 20"):
        build_capacity_qp(cost, pop, 10.0, 20.0, d0=5.0)
    with pytest.raises(TypeError, match="unknown accessibility parameter"):
        build_capacity_qp(cost, pop, 0.0, 20.0, d0=5.0, gamma=2)


# --------------------------------------------------------------------------------------------
# Siting MAD MILP vs brute force over open sets
# --------------------------------------------------------------------------------------------


def _best_mad_for(open_set, m_, pop, total, smax, smin):
    """min sum_i p_i |A_i - A_bar| over supplies on ``open_set`` (an LP, scipy's HiGHS)."""
    n, m = m_.shape
    p = pop / pop.sum()
    k = len(open_set)
    mo = m_[:, open_set]
    mt = mo - p @ mo  # A_i - A_bar as a linear map of the open supplies
    # variables [S_open (k), u (n)]: min p'u, u >= +-(mt S), sum S = total, smin <= S <= smax
    c = np.concatenate([np.zeros(k), p])
    a_ub = np.block([[mt, -np.eye(n)], [-mt, -np.eye(n)]])
    b_ub = np.zeros(2 * n)
    a_eq = np.concatenate([np.ones(k), np.zeros(n)])[None, :]
    bounds = [(smin[j], smax[j]) for j in open_set] + [(0, None)] * n
    res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=[total], bounds=bounds, method="highs")
    return res.fun if res.status == 0 else np.inf


@pytest.mark.parametrize(
    ("p", "budget", "fixed", "smax_v", "smin_v"),
    [
        (2, None, None, 40.0, 0.0),
        (3, None, [0], 30.0, 5.0),  # site 0 fixed open, open sites need >= 5
        (None, 2.5, None, 60.0, 0.0),  # budget on fixed costs instead of a count
    ],
)
def test_mad_milp_matches_brute_force(p, budget, fixed, smax_v, smin_v) -> None:
    cost, pop = _case(21, 14, 6)
    d0, total = 4.5, 60.0
    m = cost.shape[1]
    smax, smin = np.full(m, smax_v), np.full(m, smin_v)
    fcost = np.array([1.0, 1.0, 0.5, 1.5, 1.0, 0.5])
    must = np.zeros(m, bool)
    if fixed:
        must[fixed] = True
    model = build_siting_mad(
        cost,
        pop,
        total,
        d0=d0,
        supply_max=smax,
        supply_min=smin,
        p=p,
        budget=budget,
        fixed_cost=fcost if budget is not None else None,
        fixed_open=must,
    )
    res = solve(model, SolveOptions(time_limit=60, mip_rel_gap=0.0))
    assert res.is_optimal

    m_ = _m_2sfca(cost, pop, d0)
    best, best_set = np.inf, None
    for r in range(1, m + 1):
        for combo in itertools.combinations(range(m), r):
            if p is not None and r != p:
                continue
            if budget is not None and fcost[list(combo)].sum() > budget + 1e-9:
                continue
            if not set(np.flatnonzero(must)) <= set(combo):
                continue
            val = _best_mad_for(list(combo), m_, pop, total, smax, smin)
            if val < best - 1e-12:
                best, best_set = val, combo
    assert best_set is not None
    assert unscaled(model, res.objective) == pytest.approx(best, rel=1e-6, abs=1e-12)

    # the returned plan, rechecked without Pyomo
    s, y = supplies(model), open_sites(model)
    ev = evaluate(
        cost,
        pop,
        s,
        d0=d0,
        supply_total=total,
        supply_min=smin,
        supply_max=smax,
        open_sites=y,
        p=p,
        budget=budget,
        fixed_cost=fcost,
        fixed_open=must,
    )
    assert ev.feasible(1e-6), ev.slacks
    assert s.sum() == pytest.approx(total, rel=1e-9)
    assert ev.mad == pytest.approx(best, rel=1e-6, abs=1e-12)
    assert ev.objective("access_mad", pyo.value(model.scale)) == pytest.approx(
        res.objective, rel=1e-6
    )


def test_mad_milp_rejections() -> None:
    cost, pop = _case(2, 6, 4)
    with pytest.raises(ValueError, match="3SFCA selection weights depend"):
        build_siting_mad(cost, pop, 10.0, d0=5.0, method="3sfca")
    with pytest.raises(ValueError, match="p must be between 2"):
        build_siting_mad(cost, pop, 10.0, d0=5.0, p=1, fixed_open=[True, True, False, False])
    with pytest.raises(ValueError, match="can hold at most 6 .* < supply_total 10"):
        build_siting_mad(cost, pop, 10.0, d0=5.0, p=2, supply_max=3.0)
    with pytest.raises(ValueError, match="supply_min 4 > supply_max 3"):
        build_siting_mad(cost, pop, 10.0, d0=5.0, supply_max=3.0, supply_min=4.0)
    with pytest.raises(ValueError, match="cost 2 > budget 1"):
        build_siting_mad(cost, pop, 10.0, d0=5.0, budget=1.0, fixed_open=[True, True, False, False])


def test_evaluator_flags_violations() -> None:
    cost, pop = _case(2, 6, 4)
    ev = evaluate(
        cost,
        pop,
        [5.0, 5.0, 1.0, 0.0],
        d0=5.0,
        supply_total=10.0,
        supply_max=4.0,
        open_sites=[True, True, False, False],
        p=2,
    )
    assert not ev.feasible()
    assert ev.slacks["total_supply"] == pytest.approx(-1.0)
    assert ev.slacks["supply_upper"] == pytest.approx(-1.0)  # 5 > 4, and closed site 2 holds 1
    assert ev.slacks["open_count"] == 0
