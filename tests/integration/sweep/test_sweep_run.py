"""Sweeps on the tiny equipment instances: known optima per scenario, invalid rows, warm = cold,
resume by hash, the tables on disk."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from optmodels.registry import family
from optmodels.sweep import sweep

TINY_COST = 63.75654517954058  # brute force (instances/equipment/manifest.json)
TINY_GINI_LOWER = 66.97083076095578  # the same instance with the Gini band's lower side at 0.1


@pytest.fixture(scope="module")
def tiny(instances_dir):
    return instances_dir / "equipment" / "tiny_cost.toml"


def test_each_scenario_is_the_changed_instance(tiny):
    """tiny_cost with gini.lo 0.05 is tiny_cost, with 0.1 it is tiny_gini_lower: both brute-force
    optima; budget 6 is below the cheapest stable plan and becomes an invalid row."""
    frame = sweep(tiny, {"gini.lo": [0.05, 0.1], "budget": "6,16.5"})
    assert frame["scenario"].tolist() == [0, 1, 2, 3]
    assert frame["status"].tolist() == ["invalid", "optimal", "invalid", "optimal"]
    assert frame.loc[1, "objective"] == pytest.approx(TINY_COST, rel=1e-6)
    assert frame.loc[3, "objective"] == pytest.approx(TINY_GINI_LOWER, rel=1e-6)
    assert "field 'budget'" in frame.loc[0, "message"]
    # the family's key metrics, flat, and consistent with the scenario
    assert frame.loc[3, "metric.gini_mean"] >= 0.1 - 1e-9
    assert frame.loc[1, "metric.budget_used"] <= 16.5
    assert frame.loc[1, "metric.cost"] == pytest.approx(frame.loc[1, "objective"], rel=1e-9)
    assert frame["hash"].is_unique


def test_a_factor_on_one_number_records_the_number(tiny):
    frame = sweep(tiny, {"budget": "x1,2"})
    assert frame["budget"].tolist() == [16.5, 33.0]
    assert frame["objective"].tolist() == pytest.approx([TINY_COST, TINY_COST], rel=1e-6)


def test_warm_session_gives_the_cold_answers_and_rebuilds_on_structure(tiny):
    vary = {"budget": "16:22:2", "costs.waiting_per_hour": "x0.5,1,3"}
    warm = sweep(tiny, vary, warm=True)
    cold = sweep(tiny, vary, warm=False)
    assert warm["status"].tolist() == cold["status"].tolist()
    assert warm["objective"].tolist() == pytest.approx(cold["objective"].tolist(), rel=1e-9)
    assert warm["warm"].tolist() == [False] + [True] * (len(warm) - 1)
    assert not cold["warm"].any()
    # a capacity change reshapes the model: every scenario is built afresh
    shaped = sweep(tiny, {"hospitals[*].capacity": "x1,1.2"}, warm=True)
    assert not shaped["warm"].any()
    # ... and each row matches a direct solve of the changed instance
    fam = family("equipment")
    doc = fam.load(tiny).model_dump(mode="json", exclude_none=True)
    for h in doc["hospitals"]:
        h["capacity"] *= 1.2
    direct = fam.solve(fam.from_document(doc, tiny))
    assert shaped.loc[1, "objective"] == pytest.approx(direct.result.objective, rel=1e-9)


def test_out_folder_rows_tables_and_resume(tiny, tmp_path):
    out = tmp_path / "out"
    first = sweep(tiny, {"budget": "16.5,20"}, out=out)
    assert first.attrs["solved"] == 2
    assert first.attrs["skipped"] == 0
    rows = sorted((out / "rows").glob("*.json"))
    assert len(rows) == 2
    stamps = {p.name: p.stat().st_mtime_ns for p in rows}
    # the same sweep again: nothing solved, the rows untouched
    again = sweep(tiny, {"budget": "16.5,20"}, out=out)
    assert again.attrs["solved"] == 0
    assert again.attrs["skipped"] == 2
    assert {p.name: p.stat().st_mtime_ns for p in (out / "rows").glob("*.json")} == stamps
    # a wider sweep into the same folder solves only the new scenario
    wider = sweep(tiny, {"budget": "16.5,20,24"}, out=out)
    assert wider.attrs["solved"] == 1
    assert wider.attrs["skipped"] == 2
    csv = pd.read_csv(out / "sweep.csv")
    parquet = pd.read_parquet(out / "sweep.parquet")
    assert csv["budget"].tolist() == [16.5, 20, 24]
    assert parquet["hash"].tolist() == csv["hash"].tolist() == wider["hash"].tolist()
    spec = json.loads((out / "sweep.json").read_text())
    assert [s["hash"] for s in spec["scenarios"]] == csv["hash"].tolist()
    # a value inserted in front: the finished rows take their place in this sweep's order
    shifted = sweep(tiny, {"budget": "12,16.5,20,24"}, out=out)
    assert shifted.attrs["solved"] == 1
    assert shifted["scenario"].tolist() == [0, 1, 2, 3]
    assert shifted["budget"].tolist() == [12, 16.5, 20, 24]
    assert pd.read_csv(out / "sweep.csv")["budget"].tolist() == [12, 16.5, 20, 24]
    # other solve options are other scenarios
    from solvers import SolveOptions

    other = sweep(tiny, {"budget": "16.5"}, out=out, options=SolveOptions(mip_rel_gap=0.0))
    assert other.attrs["solved"] == 1


def test_unknown_objective_and_bad_path_fail_before_solving(tiny):
    from optmodels.errors import UsageError

    with pytest.raises(UsageError, match="expected one of cost"):
        sweep(tiny, {"budget": "20"}, objective="profit")
    with pytest.raises(UsageError, match="North, South, East"):
        sweep(tiny, {"regions[West].population": "x2"})


def test_family_choices_reach_the_solve(tiny):
    """strategy=full (the equipment solve flag) solves the band directly: the same brute-force
    optimum, and no warm session (that covers the lazy strategy only)."""
    frame = sweep(tiny, {"gini.lo": "0.1,0.1001"}, choices={"strategy": "full"})
    assert frame.loc[0, "objective"] == pytest.approx(TINY_GINI_LOWER, rel=1e-6)
    assert not frame["warm"].any()
