"""The pymoo Problem agrees with the numpy evaluator; maximised objectives are negated."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from optmodels.siting.data.instance import load
from optmodels.siting.evaluate import evaluate
from optmodels.siting.problem import SitingProblem


def test_problem_matches_evaluator_on_every_open_set(instances_dir):
    inst = load(instances_dir / "siting" / "small" / "small_mclp.json")
    objs = ("distance", "max_distance", "coverage", "backup_coverage", "cost", "n_facilities")
    prob = SitingProblem(inst, objs, chunk_elements=100)  # small chunks: exercises the chunking
    X = np.array(list(itertools.product((False, True), repeat=inst.n_sites)))
    out = prob.evaluate(X, return_values_of=["F", "G"])
    F, G = out
    values = prob.values(F)
    assert (F[:, 2] <= 0).all()
    assert (values[:, 2] >= 0).all()
    for row, y in enumerate(X):
        if not y.any():
            assert G[row, prob.constraint_names.index("reachable")] > 0
            continue
        ev = evaluate(inst, y)
        for c, name in enumerate(objs):
            assert values[row, c] == pytest.approx(ev.objectives[name], rel=1e-12), name
        feasible = (G[row] <= 0).all()
        assert feasible == ev.feasible


def test_problem_optimum_equals_the_milp_optimum(instances_dir):
    import json

    inst = load(instances_dir / "siting" / "small" / "small_p_median.json")
    prob = SitingProblem(inst, ("distance",))
    X = np.array(list(itertools.product((False, True), repeat=inst.n_sites)))
    F, G = prob.evaluate(X, return_values_of=["F", "G"])
    best = F[(G <= 0).all(axis=1), 0].min()
    manifest = json.loads((instances_dir / "siting" / "manifest.json").read_text())
    known = next(e for e in manifest["instances"] if e["file"] == "small/small_p_median.json")["known_optimum"]
    assert best == pytest.approx(known, rel=1e-9)


def test_problem_rejects_unknown_objective(instances_dir):
    inst = load(instances_dir / "siting" / "small" / "small_p_median.json")
    with pytest.raises(ValueError, match="unknown objective"):
        SitingProblem(inst, ("happiness",))
    with pytest.raises(ValueError, match="radius"):
        SitingProblem(inst, ("coverage",))
