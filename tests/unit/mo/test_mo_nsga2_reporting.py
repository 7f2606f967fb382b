"""NSGA-II says when pymoo stopped early; scores against a reference front use the reference's scale."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pyomo.environ as pyo
import pytest

from solvers.moea import linear_model_problem, nsga2_front
from solvers.pareto import hypervolume, igd_plus, merge, reference_scores


def _three_items() -> pyo.ConcreteModel:
    """8 possible packings: a population of 20 soon has no new offspring to breed."""
    model = pyo.ConcreteModel()
    model.x = pyo.Var(range(3), domain=pyo.Binary)
    model.cap = pyo.Constraint(expr=2 * model.x[0] + 3 * model.x[1] + 4 * model.x[2] <= 6)
    model.obj = pyo.ObjectiveList()
    model.obj.add(expr=3 * model.x[0] + 1 * model.x[1] + 2 * model.x[2], sense=pyo.maximize)
    model.obj.add(expr=1 * model.x[0] + 4 * model.x[1] + 2 * model.x[2], sense=pyo.maximize)
    model.obj.deactivate()
    return model


def test_early_stop_is_reported_not_complete():
    res = nsga2_front(linear_model_problem(_three_items()), pop_size=20, generations=50, seed=0)
    assert res.settings["generations_run"] < 50
    assert res.settings["stopped_early"]
    assert not res.complete
    assert any("stopped early" in n for n in res.notes)
    # what it found is still right: the feasible packings' front, by enumeration
    X = np.array(list(itertools.product([0, 1], repeat=3)))
    F = np.column_stack([X @ [3, 1, 2], X @ [1, 4, 2]])[X @ [2, 3, 4] <= 6]
    assert {tuple(p) for p in res.points.astype(int)} <= {tuple(f) for f in F}


def test_a_full_run_is_complete_without_the_note():
    model = pyo.ConcreteModel()
    model.x = pyo.Var(range(12), domain=pyo.Binary)
    w = [4, 3, 5, 2, 6, 3, 5, 4, 7, 2, 3, 6]
    model.cap = pyo.Constraint(expr=sum(w[i] * model.x[i] for i in range(12)) <= 20)
    model.obj = pyo.ObjectiveList()
    model.obj.add(expr=sum((i % 5 + 1) * model.x[i] for i in range(12)), sense=pyo.maximize)
    model.obj.add(expr=sum((7 - i % 4) * model.x[i] for i in range(12)), sense=pyo.maximize)
    model.obj.deactivate()
    res = nsga2_front(linear_model_problem(model), pop_size=16, generations=6, seed=0)
    assert res.settings["generations_run"] == 6
    assert res.complete
    assert not res.settings["stopped_early"]
    assert not any("stopped early" in n for n in res.notes)


def test_reference_scores_use_the_reference_front_scale():
    senses = ("min", "min")
    reference = np.array([[0.0, 1.0], [1.0, 0.0]])
    points = np.array([[0.0, 1.0]])
    scores = reference_scores(points, senses, reference)
    # by hand: normalised = raw (ideal 0, nadir 1); reference point 1.1
    assert scores["reference_hypervolume"] == pytest.approx(0.21)
    assert scores["hypervolume"] == pytest.approx(0.11)
    assert scores["hypervolume_ratio"] == pytest.approx(0.11 / 0.21)
    assert scores["igd_plus"] == pytest.approx(0.5)  # (0 + distance 1 to (1, 0)) / 2
    # two results with the same points but different normalisations (seeded: payoff table;
    # unseeded: the front's own extremes) score the same
    seeded = merge("nsga2", ["a", "b"], senses, points, [], [], ideal=np.array([0.0, 0.0]),
                   nadir=np.array([2.0, 3.0]))
    unseeded = dataclasses.replace(seeded, ideal=np.array([0.0, 1.0]), nadir=np.array([0.0, 1.0]))
    a, b = seeded.reference_scores(reference), unseeded.reference_scores(reference)
    for key in ("igd_plus", "hypervolume", "hypervolume_ratio"):
        assert a[key] == pytest.approx(b[key])
        assert a[key] == pytest.approx(scores[key])
    # the per-result scale gave different numbers for the same points
    old = [hypervolume(points, senses, r.ideal, r.nadir) / hypervolume(reference, senses, r.ideal, r.nadir)
           for r in (seeded, unseeded)]
    assert old[0] != pytest.approx(old[1])
    assert igd_plus(points, reference, senses, seeded.ideal, seeded.nadir) != pytest.approx(0.5)
