"""`optmodels solve` on the shipped equity case: known optimum, before/after table, --out files."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from optmodels.cli import main


def _entry(instances_dir, name):
    doc = json.loads((instances_dir / "siting" / "manifest.json").read_text())
    return next(e for e in doc["instances"] if e["file"] == name)


def test_capacity_case_prints_before_after_table(instances_dir, tmp_path, capsys) -> None:
    entry = _entry(instances_dir, "access_capacity.json")
    out = tmp_path / "out"
    rc = main(["solve", str(instances_dir / "siting" / "access_capacity.json"), "--out", str(out)])
    text = capsys.readouterr().out
    assert rc == 0
    assert "status      optimal" in text
    assert "total supply 1200 (fixed at 1200)" in text
    assert "before/after by area: G2SFCA accessibility (d0=6), per 1000 people" in text
    # one row per district and the overall row, with the district figures of the manifest
    rows = {line.split()[0]: line.split() for line in text.splitlines() if line.startswith("    ")}
    assert set(rows) >= {"centre", "east", "north", "south", "west", "overall"}
    exp = entry["before_after"]
    assert rows["south"][4] == f"{exp['max_area_change_pct']:+.1f}"
    assert float(rows["overall"][5]) == pytest.approx(exp["gini_before"], rel=1e-3)
    assert float(rows["overall"][6]) == pytest.approx(exp["gini_after"], rel=1e-3)
    assert "largest area change +95.1% (area south)" in text

    result = json.loads((out / "result.json").read_text())
    assert result["objective"] == pytest.approx(entry["known_optimum"], rel=1e-6)
    table = pd.read_csv(out / "accessibility_before_after.csv")
    assert table["area"].tolist()[-1] == "overall"
    sites = pd.read_csv(out / "sites.csv")
    assert sites["supply_after"].sum() == pytest.approx(sites["supply_before"].sum())


@pytest.mark.parametrize("name", ["access_siting.yaml", "access_siting_budget.toml"])
def test_siting_case_prints_gain(instances_dir, capsys, name) -> None:
    entry = _entry(instances_dir, name)
    rc = main(["solve", str(instances_dir / "siting" / name)])
    text = capsys.readouterr().out
    assert rc == 0
    objective = float(text.split("access_mad (min) = ")[1].split()[0])
    assert objective == pytest.approx(entry["known_optimum"], rel=entry["tolerance"])
    assert "before/after by area" in text
    west = next(line.split() for line in text.splitlines() if line.strip().startswith("west"))
    assert float(west[4]) > 200.0  # the worst-served district's accessibility more than triples
