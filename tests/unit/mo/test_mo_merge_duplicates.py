"""Points with the same decision are one point, even when their objective values differ by a solver tolerance."""

from __future__ import annotations

import numpy as np

from solvers.pareto import merge

SENSES = ("max", "min")  # profit, patient burden


def test_same_fees_found_twice_are_one_point():
    # the audit's pricing front: the same fees, objective values apart by the solver's tolerance
    points = [(254.1200659, 2.2), (254.1200417, 2.19999993), (250.0, 1.5)]
    decisions = [{"fee[f]": 2.2, "fee[e]": 0.8}, {"fee[f]": 2.19999993, "fee[e]": 0.8},
                 {"fee[f]": 1.5, "fee[e]": 0.8}]
    res = merge("epsilon", ["profit", "burden"], SENSES, points, decisions, ["a", "b", "c"])
    assert len(res) == 2
    np.testing.assert_allclose(res.points, [(254.1200659, 2.2), (250.0, 1.5)])
    assert res.summaries == ("a", "c")
    assert any("merged" in n for n in res.notes)


def test_distinct_decisions_are_kept_and_vectors_compare_too():
    points = [(10.0, 5.0), (9.0, 4.0), (9.0000001, 4.0000001)]
    decisions = [np.array([1, 0, 1]), np.array([0, 1, 1]), np.array([0, 1, 1e-9])]
    res = merge("nsga2", ["f1", "f2"], SENSES, points, decisions, ["", "", ""])
    # rows 2 and 3 have different decisions (last value 1 vs 0): both stay
    assert len(res) == 3
    assert not any("merged" in n for n in res.notes)
    same = [np.array([0.0, 1.0, 1.0]), np.array([0.0, 1.0 - 1e-8, 1.0])]
    res = merge("nsga2", ["f1", "f2"], SENSES, [(9.0, 4.0), (9.00001, 4.00001)], same, ["", ""])
    assert len(res) == 1
    assert res.points[0, 0] == 9.00001  # the first of the front's order (best first objective)
