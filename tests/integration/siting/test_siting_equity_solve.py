"""The shipped equity cases through the family's solve: known optimum, the before/after table by
district (the manifest's figures), and the clinics' gain."""

from __future__ import annotations

import json

import pytest

from optmodels.siting.family import FAMILY


def _entry(instances_dir, name):
    doc = json.loads((instances_dir / "siting" / "manifest.json").read_text())
    return next(e for e in doc["instances"] if e["file"] == name)


def test_capacity_case_before_after_by_district(instances_dir) -> None:
    entry = _entry(instances_dir, "access_capacity.json")
    solution = FAMILY.solve(FAMILY.load(instances_dir / "siting" / "access_capacity.json"))
    assert solution.result.is_optimal
    assert solution.result.objective == pytest.approx(entry["known_optimum"], rel=1e-6)
    assert solution.metrics["total_supply"] == pytest.approx(1200.0)
    table = solution.tables["accessibility_before_after"].set_index("area")
    assert set(table.index) == {"centre", "east", "north", "south", "west", "overall"}
    exp = entry["before_after"]
    assert table.loc["south", "change_pct"] == pytest.approx(exp["max_area_change_pct"], rel=1e-4)
    assert table.loc["overall", "gini_before"] == pytest.approx(exp["gini_before"], rel=1e-6)
    assert table.loc["overall", "gini_after"] == pytest.approx(exp["gini_after"], rel=1e-4)
    assert table.loc["overall", "change_pct"] == pytest.approx(0.0, abs=1e-6)  # same doctors


@pytest.mark.parametrize("name", ["access_siting.yaml", "access_siting_budget.toml"])
def test_siting_case_gain(instances_dir, name) -> None:
    entry = _entry(instances_dir, name)
    solution = FAMILY.solve(FAMILY.load(instances_dir / "siting" / name))
    assert solution.result.objective == pytest.approx(entry["known_optimum"], rel=entry["tolerance"])
    assert solution.evaluation.feasible
    table = solution.tables["accessibility_before_after"].set_index("area")
    assert table.loc["west", "change_pct"] > 200.0  # the worst-served district more than triples
    assert solution.metrics["access_gini"] < entry["before_after"]["gini_before"] / 2
