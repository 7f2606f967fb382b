"""Generated cases say what shaped their answers: units the equity models read as the schema
states them, no budget unless one is asked for (and every constraint listed in the notes), and
before/after figures by area only where the instance has areas."""

from __future__ import annotations

import json

import numpy as np
import pytest

from optmodels.siting.data.instance import load
from optmodels.siting.family import FAMILY


def _generated(**params):
    return FAMILY.from_document(FAMILY.generate(**params), None)


def test_generated_equity_case_reads_supply_bounds_in_doctors():
    """``capacity`` (people) no longer bounds the doctors a site gets: ``supply_max`` does, and
    hospitals keep at least half of today's doctors."""
    doc = FAMILY.generate(demand=500, sites=50, seed=3, model="equity_siting")
    inst = FAMILY.from_document(doc, None)
    solution = FAMILY.solve(inst)
    supply, ex = solution.decision.supply, inst.existing()
    assert solution.evaluation.feasible
    assert supply.sum() == pytest.approx(inst.supplies()[ex].sum())  # the doctors there are today
    assert (supply[ex] >= inst.supply_mins()[ex] - 1e-6).all()
    assert (inst.supply_mins()[ex] > 0).all()  # every hospital keeps doctors
    assert (supply <= inst.supply_maxima() + 1e-6).all()
    assert supply.max() < 0.5 * supply.sum()  # no single site takes most of the city's doctors
    # the people a site can serve do not enter the equity model: any capacity, the same answer
    for site in doc["sites"]:
        site["capacity"] = 1.0
    same = FAMILY.solve(FAMILY.from_document(doc, None))
    assert same.result.objective == pytest.approx(solution.result.objective, rel=1e-6)


def test_generated_case_has_no_hidden_budget():
    """--demand 300 --sites 30 --seed 1: the p-median optimum without a budget is 1,932,819;
    a budget appears only when asked for, and then in the notes (optimum 1,943,547)."""
    inst = _generated(demand=300, sites=30, seed=1)
    assert inst.parameters.budget is None
    free = FAMILY.solve(inst)
    assert free.result.objective == pytest.approx(1_932_819.03, rel=1e-8)
    assert not any("budget" in note for note in free.notes)
    budget = FAMILY.solve(_generated(demand=300, sites=30, seed=1, budget=6.009))
    assert budget.result.objective == pytest.approx(1_943_547.42, rel=1e-8)
    assert any("budget on site cost 6.009" in note for note in budget.notes)


def test_without_areas_only_population_weighted_figures(instances_dir, tmp_path):
    """small_p_median has no ``area``: no per-point 'largest area change' headline."""
    path = instances_dir / "siting" / "small" / "small_p_median.json"
    solution = FAMILY.solve(load(path))
    assert "accessibility_before_after" not in solution.tables
    assert "access_max_area_change_pct" not in solution.metrics
    assert "population-weighted figures only" in solution.summary()
    assert "largest area change" not in solution.summary()
    assert solution.metrics["access_mean_change_pct"] > 0  # the population-weighted figure stays
    # the same points grouped into two areas: the table and its largest change are back
    doc = json.loads(path.read_text())
    for k, d in enumerate(doc["demand"]):
        d["area"] = "north" if k % 2 else "south"
    grouped = FAMILY.solve(FAMILY.from_document(doc, path))
    table = grouped.tables["accessibility_before_after"]
    assert table["area"].tolist() == ["north", "south", "overall"]
    pop = np.array([d.get("population", 1.0) for d in doc["demand"]])
    ba = np.column_stack([grouped.evaluation.access.before, grouped.evaluation.access.after])
    north = np.arange(len(pop)) % 2 == 1
    expect = pop[north] @ ba[north] / pop[north].sum()
    assert table.iloc[0][["access_before", "access_after"]].to_numpy(float) == pytest.approx(expect)
    assert grouped.metrics["access_max_area_change_pct"] == pytest.approx(table["change_pct"][:2].max())
