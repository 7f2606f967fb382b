"""The pymoo Problem: F and G agree with the evaluator (maximisation negated, G = -U <= 0)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from optmodels.pricing.evaluate import evaluate, fee_lattice
from optmodels.pricing.instance import from_file
from optmodels.pricing.problem import PricingProblem


def test_continuous_problem_matches_evaluator(instances_dir: Path) -> None:
    inst = from_file(instances_dir / "pricing" / "seed_model3.yaml")
    problem = PricingProblem(inst, ("profit", "patient_burden", "participation"))
    rng = np.random.default_rng(0)
    X = problem.xl + rng.random((7, problem.n_var)) * (problem.xu - problem.xl)
    F, G = problem.evaluate(X, return_values_of=["F", "G"])
    ev = evaluate(inst, X[:, 0], X[:, 1], X[:, 2], X[:, 3])
    assert F[:, 0] == pytest.approx(-ev.U)
    assert F[:, 1] == pytest.approx(X[:, 0] + X[:, 2])
    assert F[:, 2] == pytest.approx(-(ev.EM + ev.EN))
    assert G[:, 0] == pytest.approx(-ev.U)


def test_lattice_problem_decodes_indices(instances_dir: Path) -> None:
    inst = from_file(instances_dir / "pricing" / "elastic_model2.yaml")
    problem = PricingProblem(inst, ("profit",))
    levels = fee_lattice(inst, "f")
    assert problem.xu[0] == len(levels) - 1
    fees = problem.decode(np.array([[29.4, 95.6, 1.0]]))
    assert fees["f"][0] == pytest.approx(levels[29])
    assert fees["f"][0] == pytest.approx(1.25)
    F = problem.evaluate(np.array([[29.0, 95.0, 1.0]]), return_values_of=["F"])
    assert F[0, 0] == pytest.approx(-254.42001709512795, rel=1e-9)  # the manifest's lattice optimum


def test_unknown_objective_rejected(instances_dir: Path) -> None:
    inst = from_file(instances_dir / "pricing" / "seed_model1.yaml")
    with pytest.raises(ValueError, match="unknown objectives"):
        PricingProblem(inst, ("profit", "fairness"))
