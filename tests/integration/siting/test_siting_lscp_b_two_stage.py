"""LSCP-B without p (spopt's lexicographic order): stage 1 finds the fewest sites covering every
demand point, stage 2 maximises the population covered twice with that many. Checked against
enumeration of every open set."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from optmodels.cli import main
from optmodels.siting.evaluate import evaluate
from optmodels.siting.instance import load


def _enumerate(inst) -> tuple[int, float]:
    m = inst.n_sites
    must = inst.fixed_open()
    plans = []
    for bits in itertools.product((False, True), repeat=m):
        y = np.array(bits)
        if (must & ~y).any():
            continue
        ev = evaluate(inst, y, model="lscp_b")
        if (ev.slacks["demand_coverage"] >= 0).all():  # everyone covered at least once
            plans.append((int(y.sum()), ev.objectives["backup_coverage"]))
    p_star = min(p for p, _ in plans)
    return p_star, max(b for p, b in plans if p == p_star)


@pytest.mark.parametrize("radius", [5.6, 6.5])
def test_two_stage_lscp_b_matches_enumeration(radius, instances_dir, tmp_path, capsys):
    doc = json.loads((instances_dir / "siting" / "small" / "small_lscp_b.json").read_text())
    doc["parameters"] = {"radius": radius}  # no p: the CLI runs LSCP first
    path = tmp_path / "lscp_b.json"
    path.write_text(json.dumps(doc))
    p_star, best = _enumerate(load(path))
    out = tmp_path / "out"
    assert main(["solve", str(path), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert f"stage 1     LSCP: {p_star} facilities cover every demand point" in text
    result = json.loads((out / "result.json").read_text())
    assert result["objective"] == pytest.approx(best, rel=1e-9)
    assert len(result["open_sites"]) == p_star
    inst = load(path).with_changes(p=p_star)
    ev = evaluate(inst, np.isin(inst.site_ids, result["open_sites"]), model="lscp_b")
    assert ev.feasible, ev.violations
    assert ev.objectives["backup_coverage"] == pytest.approx(best)
