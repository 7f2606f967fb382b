"""2SFCA family: hand-computed cases, PySAL access's published algorithm re-derived, reports."""

from __future__ import annotations

import math
from fractions import Fraction as F

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from optmodels.analysis import gini
from optmodels.siting.access.measures import (
    access_matrix,
    accessibility,
    before_after,
    distance_weights,
    summary,
)

INF = np.inf
# 3 demand points x 2 sites; point 1 cannot reach site 1 at all.
COST = np.array([[1.0, 5.0], [2.0, INF], [6.0, 3.0]])
POP = np.array([100.0, 200.0, 300.0])
SUPPLY = np.array([10.0, 20.0])


def _close(values, fractions):
    np.testing.assert_allclose(values, [float(f) for f in fractions], rtol=1e-12, atol=0)


# --------------------------------------------------------------------------------------------
# Hand-computed cases (exact fractions)
# --------------------------------------------------------------------------------------------


def test_2sfca_hand_case() -> None:
    # d0 = 5, closed catchment (d <= d0):
    # site 0 reaches points 0 (d=1), 1 (d=2); point 2 (d=6) is out -> D0 = 100 + 200 = 300
    # site 1 reaches points 0 (d=5, on the boundary: in) and 2 (d=3)  -> D1 = 100 + 300 = 400
    r0, r1 = F(10, 300), F(20, 400)
    res = accessibility(COST, POP, SUPPLY, method="2sfca", d0=5)
    _close(res.catchment_demand, [300, 400])
    _close(res.ratio, [r0, r1])
    _close(res.access, [r0 + r1, r0, r1])  # A0 = R0 + R1, A1 = R0, A2 = R1


def test_2sfca_boundary_is_closed_and_unreachable_is_out() -> None:
    # With d0 = 4.999, point 0 loses site 1: D1 = 300, A0 = R0 only.
    res = accessibility(COST, POP, SUPPLY, method="2sfca", d0=4.999)
    _close(res.access, [F(10, 300), F(10, 300), F(20, 300)])


def test_e2sfca_hand_case() -> None:
    # steps (<=2: 1.0, <=4: 0.5), nothing beyond 4 -- PySAL step_fn's "x <= k" rule.
    # f(1)=1, f(5)=0, f(2)=1, f(6)=0, f(3)=0.5
    # D0 = 100*1 + 200*1 = 300; D1 = 100*0 + 300*0.5 = 150
    r0, r1 = F(10, 300), F(20, 150)
    res = accessibility(COST, POP, SUPPLY, method="e2sfca", d0=5, steps=[(2, 1.0), (4, 0.5)])
    _close(res.ratio, [r0, r1])
    _close(res.access, [1 * r0 + 0 * r1, 1 * r0, F(1, 2) * r1])


def test_e2sfca_step_edges() -> None:
    w = distance_weights(
        np.array([[0.0, 2.0, 2.0001, 4.0, 4.0001, INF]]),
        method="e2sfca",
        d0=10,
        steps=[(2, 1.0), (4, 0.5)],
    )
    np.testing.assert_array_equal(w, [[1.0, 1.0, 0.5, 0.5, 0.0, 0.0]])


def test_g2sfca_dai_hand_case() -> None:
    # Dai (2010): f(d) = (exp(-(d/d0)^2/2) - exp(-1/2)) / (1 - exp(-1/2)), d <= d0 = 5.
    e = math.exp(-0.5)

    def f(d):
        return (math.exp(-0.5 * (d / 5) ** 2) - e) / (1 - e)

    f1, f2, f3, f5 = f(1), f(2), f(3), f(5)
    assert f5 == pytest.approx(0.0, abs=1e-15)  # the boundary weighs nothing
    d0_ = 100 * f1 + 200 * f2  # point 2 (d=6) outside
    d1_ = 100 * f5 + 300 * f3
    r0, r1 = 10 / d0_, 20 / d1_
    res = accessibility(COST, POP, SUPPLY, method="g2sfca", d0=5)
    np.testing.assert_allclose(res.ratio, [r0, r1], rtol=1e-12)
    np.testing.assert_allclose(res.access, [f1 * r0 + f5 * r1, f2 * r0, f3 * r1], rtol=1e-12)


def test_g2sfca_pysal_gaussian_hand_case() -> None:
    # beta = sigma: PySAL weights.gaussian, f(d) = exp(-d^2 / (2 sigma^2)), cut at d0 = 5.
    def f(d):
        return math.exp(-d * d / (2 * 3.0**2))

    d0_ = 100 * f(1) + 200 * f(2)
    d1_ = 100 * f(5) + 300 * f(3)
    r0, r1 = 10 / d0_, 20 / d1_
    res = accessibility(COST, POP, SUPPLY, method="g2sfca", d0=5, beta=3.0)
    np.testing.assert_allclose(
        res.access, [f(1) * r0 + f(5) * r1, f(2) * r0, f(3) * r1], rtol=1e-12
    )


def test_3sfca_hand_case() -> None:
    # steps (<=2: 1, <=6: 1/2), d0 = 6.  W: p0 (1, 1/2); p1 (1, -); p2 (1/2, 1/2)
    # selection weights G = W / row sum: p0 (2/3, 1/3); p1 (1, -); p2 (1/2, 1/2)
    # kernel K = G W:                    p0 (2/3, 1/6); p1 (1, -); p2 (1/4, 1/4)
    # D0 = 100*2/3 + 200*1 + 300/4 = 1025/3;  D1 = 100/6 + 300/4 = 275/3
    r0, r1 = F(10) / F(1025, 3), F(20) / F(275, 3)
    res = accessibility(COST, POP, SUPPLY, method="3sfca", d0=6, steps=[(2, 1.0), (6, 0.5)])
    _close(res.catchment_demand, [F(1025, 3), F(275, 3)])
    _close(res.ratio, [r0, r1])
    _close(res.access, [F(2, 3) * r0 + F(1, 6) * r1, r0, F(1, 4) * (r0 + r1)])


def test_unreachable_site_gets_zero_ratio() -> None:
    cost = np.array([[1.0, INF], [2.0, INF]])
    res = accessibility(cost, [1.0, 1.0], [4.0, 7.0], d0=3)
    _close(res.ratio, [2, 0])
    _close(res.access, [2, 2])


# --------------------------------------------------------------------------------------------
# PySAL access's published algorithm, re-derived here on long tables (fca.py, weights.py)
# --------------------------------------------------------------------------------------------


def _pysal_step_fn(step_dict):
    def helper(x):
        for k, v in sorted(step_dict.items()):
            if x <= k:
                return v
        return 0

    return helper


def _pysal_gaussian(sigma):
    return lambda x: np.exp(-x * x / (2 * sigma**2))


def _pysal_fca(cost, pop, supply, max_cost, weight_fn=None, three_stage=False):
    """PySAL ``fca.two_stage_fca`` / ``three_stage_fca`` on a long (origin, dest, cost) table."""
    n, m = cost.shape
    oi, dj = np.nonzero(np.isfinite(cost))
    cost_df = pd.DataFrame({"origin": oi, "dest": dj, "cost": cost[oi, dj]})
    if three_stage:
        cost_df["W3"] = cost_df["cost"].apply(weight_fn)
        w3sum = cost_df.groupby("origin")["W3"].sum().rename("W3sum").reset_index()
        cost_df = cost_df.merge(w3sum)
        cost_df["G"] = cost_df.W3 / cost_df.W3sum
    demand_df = pd.DataFrame({"geoid": np.arange(n), "demand": pop})
    temp = cost_df.merge(demand_df, left_on="origin", right_on="geoid")
    temp = temp[temp["cost"] < max_cost].copy()
    if weight_fn is not None:
        temp["demand"] = temp["demand"] * (
            temp.W3 * temp.G if three_stage else temp["cost"].apply(weight_fn)
        )
    total_demand = temp.groupby("dest")["demand"].sum()
    ratio = pd.Series(supply, index=np.arange(m)).reindex(total_demand.index) / total_demand
    temp = cost_df.merge(ratio.rename("Rl"), left_on="dest", right_index=True)
    temp = temp[temp["cost"] < max_cost].copy()
    if weight_fn is not None:
        temp["Rl"] = temp["Rl"] * (
            temp.W3 * temp.G if three_stage else temp["cost"].apply(weight_fn)
        )
    access = temp.groupby("origin")["Rl"].sum()
    return access.reindex(np.arange(n)).fillna(0.0).to_numpy()


@pytest.fixture(scope="module")
def random_case():
    rng = np.random.default_rng(7)
    n, m = 40, 9
    dem, sit = rng.uniform(0, 50, (n, 2)), rng.uniform(0, 50, (m, 2))
    cost = np.hypot(*(dem[:, None, :] - sit[None, :, :]).transpose(2, 0, 1))
    cost[rng.random((n, m)) < 0.1] = INF  # some pairs not connected at all
    pop = rng.integers(100, 5000, n).astype(float)
    supply = rng.integers(1, 40, m).astype(float)
    return cost, pop, supply


def test_2sfca_matches_pysal_algorithm(random_case) -> None:
    cost, pop, supply = random_case
    ours = accessibility(cost, pop, supply, method="2sfca", d0=20).access
    np.testing.assert_allclose(ours, _pysal_fca(cost, pop, supply, 20.0), rtol=1e-12)


def test_e2sfca_matches_pysal_algorithm(random_case) -> None:
    cost, pop, supply = random_case
    steps = {8: 1.0, 16: 0.68, 24: 0.22}
    ours = accessibility(
        cost, pop, supply, method="e2sfca", d0=24, steps=list(steps.items())
    ).access
    ref = _pysal_fca(cost, pop, supply, 24.0, weight_fn=_pysal_step_fn(steps))
    np.testing.assert_allclose(ours, ref, rtol=1e-12)


def test_g2sfca_matches_pysal_gaussian(random_case) -> None:
    cost, pop, supply = random_case
    ours = accessibility(cost, pop, supply, method="g2sfca", d0=25, beta=10.0).access
    ref = _pysal_fca(cost, pop, supply, 25.0, weight_fn=_pysal_gaussian(10.0))
    np.testing.assert_allclose(ours, ref, rtol=1e-12)


def test_3sfca_matches_pysal_algorithm(random_case) -> None:
    cost, pop, supply = random_case
    # PySAL's default 3SFCA weights (Wan et al. 2012), scaled to our distances; max_cost beyond
    # the last step, where PySAL's all-rows selection sum equals Wan et al.'s catchment sum.
    steps = {5: 0.962, 10: 0.704, 15: 0.377, 30: 0.042}
    ours = accessibility(cost, pop, supply, method="3sfca", d0=30, steps=list(steps.items())).access
    ref = _pysal_fca(
        cost, pop, supply, 30.0 + 1e-9, weight_fn=_pysal_step_fn(steps), three_stage=True
    )
    np.testing.assert_allclose(ours, ref, rtol=1e-12)


@pytest.mark.parametrize(
    ("method", "kw"),
    [
        ("2sfca", {}),
        ("e2sfca", {"steps": [(8, 1.0), (16, 0.6)]}),
        ("g2sfca", {}),
        ("3sfca", {"beta": 9.0}),
    ],
)
def test_sparse_equals_dense_and_linear_in_supply(random_case, method, kw) -> None:
    cost, pop, supply = random_case
    dense = accessibility(cost, pop, supply, method=method, d0=20, **kw)
    # sparse: only pairs within 20 stored, and an explicitly stored 0 is a distance of 0
    cost0 = cost.copy()
    cost0[0, 0] = 0.0
    dense0 = accessibility(cost0, pop, supply, method=method, d0=20, **kw)
    rows, cols = np.nonzero(cost0 <= 20)
    sparse = sp.csr_matrix((cost0[rows, cols], (rows, cols)), shape=cost.shape)
    np.testing.assert_allclose(
        accessibility(sparse, pop, supply, method=method, d0=20, **kw).access, dense0.access
    )
    # A = M S, and total supply is conserved: sum_i P_i A_i = sum_j S_j over reachable sites
    m_, demand = access_matrix(cost, pop, method=method, d0=20, **kw)
    np.testing.assert_allclose(m_ @ supply, dense.access, rtol=1e-12)
    assert pop @ dense.access == pytest.approx(supply[demand > 0].sum(), rel=1e-12)


def test_population_weighted_mean_is_supply_per_person(random_case) -> None:
    cost, pop, supply = random_case
    res = accessibility(cost, pop, supply, d0=1e9)  # everyone reaches every connected site
    reach = np.isfinite(cost).any(axis=0)
    assert summary(res, pop)["weighted_mean"] == pytest.approx(supply[reach].sum() / pop.sum())


# --------------------------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------------------------


def test_summary_hand_case() -> None:
    a = np.array([1 / 12, 1 / 30, 1 / 20])  # the 2SFCA hand case
    s = summary(a, POP, threshold=0.05)
    shares = POP / POP.sum()  # 1/6, 1/3, 1/2
    assert s["weighted_mean"] == pytest.approx(1 / 6 / 12 + 1 / 3 / 30 + 1 / 2 / 20)  # = 0.05
    assert s["weighted_mean"] == pytest.approx(0.05)
    # Gini = sum_ij p_i p_j |A_i - A_j| / (2 mean): pairs (0,1) .05, (0,2) 1/30, (1,2) 1/60
    g = 2 * (1 / 18 * 0.05 + 1 / 12 * (1 / 30) + 1 / 6 * (1 / 60)) / (2 * 0.05)
    assert s["gini"] == pytest.approx(g)
    assert s["gini"] == pytest.approx(1 / 6)
    assert s["gini"] == pytest.approx(gini(a * POP, POP))
    assert s["share_below"] == pytest.approx(1 / 3)  # only point 1 (1/30 < 0.05); 0.05 is not below
    assert s["variance"] == pytest.approx(shares @ (a - 0.05) ** 2)
    assert s["mad"] == pytest.approx(shares @ np.abs(a - 0.05))
    assert summary(a, POP)["share_below"] is None


def test_before_after_per_area_and_overall() -> None:
    before = accessibility(COST, POP, SUPPLY, d0=5)  # A = 1/12, 1/30, 1/20
    after = accessibility(COST, POP, SUPPLY[::-1], d0=5)  # supplies swapped: A = 11/120, 1/15, 1/40
    np.testing.assert_allclose(after.access, [20 / 300 + 10 / 400, 20 / 300, 10 / 400])
    df = before_after(before, after, POP, area_ids=["a", "a", "b"], threshold=0.05)
    assert list(df["area"]) == ["a", "b", "overall"]
    # area a: pop 300, before (100/12 + 200/30)/300 = 0.05, after (100*11/120 + 200/15)/300
    a_before, a_after = (100 / 12 + 200 / 30) / 300, (100 * 11 / 120 + 200 / 15) / 300
    np.testing.assert_allclose(df["access_before"], [a_before, 1 / 20, 0.05])
    np.testing.assert_allclose(df["access_after"], [a_after, 1 / 40, 0.05])  # same total supply
    np.testing.assert_allclose(df["change_pct"], [100 * (a_after / a_before - 1), -50.0, 0.0])
    assert df.attrs["measure"] == "2SFCA accessibility (d0=5)"
    assert df.attrs["max_change_pct"] == pytest.approx(100 * (a_after / a_before - 1))
    assert df["share_below_after"].iloc[-1] == pytest.approx(0.5)  # point 2 (1/40)
    assert np.isnan(df["gini_before"].iloc[1])  # area b is one point
    assert df["gini_before"].iloc[-1] == pytest.approx(1 / 6)


def test_before_after_from_zero_access() -> None:
    df = before_after([0.0, 1.0, 0.0], [2.0, 1.5, 0.0], [1.0, 1.0, 1.0])
    np.testing.assert_allclose(df["change_pct"].to_numpy()[:3], [np.inf, 50.0, 0.0], rtol=1e-12)
    assert df.attrs["max_change_pct"] == pytest.approx(50.0, rel=1e-12)  # the largest finite change


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"method": "4sfca", "d0": 5}, "unknown accessibility method"),
        ({"d0": 0}, "d0 must be > 0"),
        ({"method": "e2sfca", "d0": 5}, "needs steps"),
        ({"method": "e2sfca", "d0": 5, "steps": [(4, 1), (2, 0.5)]}, "strictly increasing"),
        ({"method": "e2sfca", "d0": 5, "steps": [(2, -1)]}, "weights must be >= 0"),
        ({"method": "2sfca", "d0": 5, "beta": 2.0}, "beta applies"),
        ({"method": "g2sfca", "d0": 5, "beta": 0.0}, "beta"),
    ],
)
def test_bad_parameters(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        accessibility(COST, POP, SUPPLY, **kwargs)


def test_bad_arrays() -> None:
    with pytest.raises(ValueError, match="population must have shape"):
        accessibility(COST, POP[:2], SUPPLY, d0=5)
    with pytest.raises(ValueError, match="supply must be finite and >= 0"):
        accessibility(COST, POP, [-1.0, 2.0], d0=5)
    with pytest.raises(ValueError, match="NaN or < 0"):
        accessibility(np.array([[np.nan, 1.0]]), [1.0], SUPPLY, d0=5)
    with pytest.raises(ValueError, match="2-D"):
        accessibility(np.ones(3), POP, SUPPLY, d0=5)


def test_before_after_text_names_measure_and_truncates() -> None:
    from optmodels.siting.access.measures import before_after_text

    before = accessibility(COST, POP, SUPPLY, d0=5)
    after = accessibility(COST, POP, SUPPLY[::-1], d0=5)
    text = before_after_text(before_after(before, after, POP), max_rows=1)
    lines = text.splitlines()
    assert lines[0] == "  before/after by area: 2SFCA accessibility (d0=5), per 1000 people"
    # only the largest change (point 1: 1/30 -> 1/15, +100%) and the overall row are shown
    assert [line.split()[0] for line in lines[2:4]] == ["1", "overall"]
    assert lines[2].split()[4] == "+100.0"
    assert lines[-1] == "  largest area change +100.0% (area 1); overall +0.0%"
