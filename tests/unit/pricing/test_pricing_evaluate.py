"""The evaluator: stage probabilities against scipy, expected profit against hand-derived
closed forms (written out here, not computed by the evaluator), vectorisation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from optmodels.pricing.evaluate import evaluate, fee_lattice
from optmodels.pricing.instance import from_dict, from_file


@pytest.fixture
def seeds(instances_dir: Path) -> dict:
    return {m: from_file(instances_dir / "pricing" / f"seed_{m}.yaml") for m in ("model1", "model2", "model3")}


def test_stage_probabilities_match_scipy_poisson(seeds: dict) -> None:
    ev = evaluate(seeds["model1"], 1.5, 1.2)
    a = stats.poisson.cdf(50, 60)
    expected = [a * a, a * (1 - a), (1 - a) * a, (1 - a) ** 2]
    assert ev.p.ravel() == pytest.approx(expected, rel=1e-12)
    assert ev.p.sum() == pytest.approx(1.0)
    assert a == pytest.approx(0.10767787862, rel=1e-9)  # P(Poisson(60) <= 50)


def test_elastic_probabilities_follow_the_scaled_mean(instances_dir: Path) -> None:
    inst = from_file(instances_dir / "pricing" / "elastic_model2.yaml")
    f = np.array([0.96, 1.25, 2.0])
    e = np.array([0.81, 1.76, 2.0])
    ev = evaluate(inst, f, e, 1.0)
    lam_m, lam_n = 80 * np.exp(-0.2 * f), 80 * np.exp(-0.2 * e)
    a, b = stats.poisson.cdf(50, lam_m), stats.poisson.cdf(50, lam_n)
    assert ev.EM == pytest.approx(lam_m)
    assert ev.EN == pytest.approx(lam_n)
    assert ev.p[3] == pytest.approx((1 - a) * (1 - b), rel=1e-12)
    assert ev.p[0] == pytest.approx(a * b, rel=1e-12)


def test_negative_binomial_and_pmf_probabilities(seeds: dict) -> None:
    base = seeds["model1"].model_dump()
    nb = from_dict({**base, "dist_M": {"kind": "negative_binomial", "dispersion": 20}})
    r, mu = 20.0, 60.0
    assert evaluate(nb, 1.0, 1.0).P_M_low == pytest.approx(stats.nbinom.cdf(50, r, r / (r + mu)))
    base.pop("lam_N")
    table = from_dict({**base, "dist_N": {"kind": "pmf", "counts": [30, 50, 51, 90],
                                          "probabilities": [0.1, 0.2, 0.3, 0.4]}})
    ev = evaluate(table, 1.0, 1.0)
    assert ev.P_N_low == pytest.approx(0.3)
    assert ev.EN == pytest.approx(3 + 10 + 15.3 + 36)


def test_expected_profit_model1_closed_form(seeds: dict) -> None:
    # f = 1.5, e = 1.2, E[M] = E[N] = 60, by hand from seed eq. (9):
    # s1 = -(0.8+1)60 - 0.6*60 - 0.5 = -144.5
    # s2 = 60*1.2 - 144.5 = -72.5
    # s3 = 60*1.5 - 0.8*60 - 1*50 - 0.6*60 - 0.5 = -44.5
    # s4 = 60*1.5 + 60*1.2 - 134.5 = 27.5
    a = stats.poisson.cdf(50, 60)
    U = a * a * -144.5 + a * (1 - a) * -72.5 + (1 - a) * a * -44.5 + (1 - a) ** 2 * 27.5
    ev = evaluate(seeds["model1"], 1.5, 1.2)
    assert ev.s.ravel() == pytest.approx([-144.5, -72.5, -44.5, 27.5])
    assert float(ev.U) == pytest.approx(U, rel=1e-12)


def test_expected_profit_model2_closed_form(seeds: dict) -> None:
    # t = 0.4: stages with M > 50 add 0.4*45*8 - 0.95*60 - 0.8*60 = 144 - 57 - 48 = 39
    a = stats.poisson.cdf(50, 60)
    U = a * a * -144.5 + a * (1 - a) * -72.5 + (1 - a) * a * -5.5 + (1 - a) ** 2 * 66.5
    ev = evaluate(seeds["model2"], 1.5, 1.2, 0.4)
    assert ev.s.ravel() == pytest.approx([-144.5, -72.5, -5.5, 66.5])
    assert float(ev.U) == pytest.approx(U, rel=1e-12)


def test_expected_profit_model3_closed_form(seeds: dict) -> None:
    # g = 1.5: stages with N > 50 add 0.1*1.5*50*20 - 1.5*60 = 150 - 90 = 60
    a = stats.poisson.cdf(50, 60)
    U = a * a * -144.5 + a * (1 - a) * -12.5 + (1 - a) * a * -5.5 + (1 - a) ** 2 * 126.5
    ev = evaluate(seeds["model3"], 1.5, 1.2, 0.4, 1.5)
    assert ev.s.ravel() == pytest.approx([-144.5, -12.5, -5.5, 126.5])
    assert float(ev.U) == pytest.approx(U, rel=1e-12)


def test_vectorised_over_a_grid(seeds: dict) -> None:
    axis = np.linspace(0, 2, 11)
    F, E = np.meshgrid(axis, axis, indexing="ij")
    ev = evaluate(seeds["model3"], F, E, 0.5, 1.0)
    assert ev.U.shape == (11, 11)
    assert ev.contribution.sum(axis=0) == pytest.approx(ev.U)
    point = evaluate(seeds["model3"], F[3, 7], E[3, 7], 0.5, 1.0)
    assert float(point.U) == pytest.approx(ev.U[3, 7])
    # slack of every constraint is reported; fees below the lower bound are infeasible
    assert not ev.feasible[0, 0]
    assert ev.slack["f_lower"][0, 0] < 0


def test_fee_lattice_contains_cap_and_excludes_cost(seeds: dict) -> None:
    levels = fee_lattice(seeds["model2"], "f", 0.05)
    assert levels[0] == pytest.approx(1.0)
    assert levels[-1] == pytest.approx(2.0)
    assert np.all(np.diff(levels) > 0)
    assert levels[0] > 0.95
    odd = from_dict({**seeds["model1"].model_dump(), "f0": 1.234})
    assert fee_lattice(odd, "f", 0.1)[-1] == pytest.approx(1.234)
