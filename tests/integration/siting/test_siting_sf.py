"""San Francisco (205 tracts x 16 stores, spopt test data): p-median, MCLP, p-center and LSCP
reproduce spopt + CBC's reference answers (instances/siting/manifest.json)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from optmodels.siting.data.instance import load
from optmodels.siting.evaluate import evaluate
from optmodels.siting.formulation import NATIVE, build, decode
from solvers import solve


def _sf_entries():
    from pathlib import Path

    doc = json.loads((Path(__file__).resolve().parents[3] / "instances" / "siting" / "manifest.json").read_text())
    return [e for e in doc["instances"] if e["file"].startswith("sf/")]


@pytest.mark.parametrize("entry", _sf_entries(), ids=lambda e: f"{e['model']}-{e.get('parameters', {})}")
def test_sf_matches_spopt(entry, instances_dir):
    inst = load(instances_dir / "siting" / entry["file"])
    if entry.get("parameters"):
        inst = inst.with_changes(**entry["parameters"])
    mdl = build(inst)
    res = solve(mdl)
    assert res.is_optimal, res.verdict
    assert res.objective == pytest.approx(entry["known_optimum"], rel=max(entry["tolerance"], 1e-9))
    y, a = decode(mdl)
    ev = evaluate(inst, y, a)
    assert ev.feasible, ev.violations
    assert ev.objectives[NATIVE[inst.model]] == pytest.approx(res.objective, rel=1e-9)
    if "open_sites" in entry:
        assert sorted(np.asarray(inst.site_ids)[y]) == sorted(entry["open_sites"])


def test_sf_smallest_feasible_radius_is_the_nearest_store_maximum(instances_dir):
    inst = load(instances_dir / "siting" / "sf" / "sf_lscp.json")
    r = float(inst.cost_matrix().min(axis=1).max())
    assert r == pytest.approx(4644.8, abs=0.05)
    from optmodels.errors import InstanceError

    with pytest.raises(InstanceError, match="no site within radius"):
        inst.with_changes(radius=r - 0.01)
