"""The scale profile's independent objective check (benchmarks/scale_check.py).

Each definition is held to a brute-force evaluation on the dense distance array of a small
instance written by hand -- with demand points exactly at the radius (3-4-5 triangles), where
coverage is decided by ``<=`` -- and a wrong objective, a closed site that must stay open, a
wrong number of sites and an uncovered point are each caught.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks.scale import Outcome, _fill
from benchmarks.scale_check import read_tables, recompute

RADIUS = 5.0


def _instance(tmp_path, model="mclp", p=3, seed=0, n=60, m=12):
    rng = np.random.default_rng(seed)
    sites = rng.uniform(0, 20, size=(m, 2)).round(1)
    pts = rng.uniform(0, 20, size=(n, 2)).round(1)
    # ties at the radius: points exactly 5 away from site 0 (3-4-5) and from site 1 (0-5)
    pts[:3] = sites[0] + np.array([[3.0, 4.0], [-4.0, 3.0], [5.0, 0.0]])
    pts[3] = sites[1] + np.array([0.0, 5.0])
    pop = rng.integers(1, 100, size=n).astype(float)
    doc = {
        "family": "siting", "model": model, "parameters": {"radius": RADIUS, **({"p": p} if p else {})},
        "distance": {"kind": "euclidean", "unit": "km"},
        "demand": [{"id": f"D{i}", "x": float(x), "y": float(y), "population": float(w)}
                   for i, ((x, y), w) in enumerate(zip(pts, pop, strict=True))],
        "sites": [{"id": f"S{j}", "x": float(x), "y": float(y), "fixed_cost": 1.0 + j, "existing": j == 0}
                  for j, (x, y) in enumerate(sites)],
    }
    path = tmp_path / f"{model}.json"
    path.write_text(json.dumps(doc))
    return path, pts, sites, pop


def _dense(pts, sites):
    return np.hypot(pts[:, None, 0] - sites[None, :, 0], pts[:, None, 1] - sites[None, :, 1])


def test_every_definition_matches_brute_force_with_ties_at_the_radius(tmp_path):
    path, pts, sites, pop = _instance(tmp_path)
    tables = read_tables(path)
    d = _dense(pts, sites)
    assert (d[:3, 0] == RADIUS).all()
    assert d[3, 1] == RADIUS
    for plan in ([0, 1, 5], [0, 2, 7], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11][:3]):
        ids = [f"S{j}" for j in plan]
        near = d[:, plan]
        count = (near <= RADIUS).sum(axis=1)
        expect = {
            "coverage": pop[count >= 1].sum(),
            "backup_coverage": pop[count >= 2].sum(),
            "distance": float(pop @ near.min(axis=1)),
            "max_distance": near.min(axis=1).max(),
            "n_facilities": 3.0,
            "cost": sum(1.0 + j for j in plan if j != 0),
        }
        for definition, value in expect.items():
            check = recompute(tables, ids, definition, p=3)
            assert check.objective == pytest.approx(value, rel=1e-12), definition
            assert check.verdict(value)[0] == "ok", definition
    # the tied points are covered by site 0 (at exactly the radius)
    tied = recompute(tables, ["S0", "S2", "S7"], "coverage", p=3)
    assert tied.borderline >= 3


def test_spopt_backup_points_counts_points_with_one_site_in_reach(tmp_path):
    """spopt's LSCP-B leaves U_i free where fewer than two sites are in reach: its objective
    counts those points as covered twice, and the definition reproduces it."""
    path, pts, sites, _ = _instance(tmp_path, model="lscp", p=None)
    tables = read_tables(path)
    d = _dense(pts, sites)
    plan = list(range(12))
    reach = (d <= RADIUS).sum(axis=1)
    check = recompute(tables, [f"S{j}" for j in plan], "backup_points", model="lscp_b")
    assert check.objective == pytest.approx(float((reach >= 2).sum() + (reach < 2).sum()))
    if (reach < 2).any():
        assert check.remarks


def test_a_wrong_objective_or_a_broken_constraint_fails(tmp_path):
    path, pts, sites, pop = _instance(tmp_path)
    tables = read_tables(path)
    good = recompute(tables, ["S0", "S1", "S5"], "coverage")
    assert good.verdict(good.objective)[0] == "ok"
    verdict, diff = good.verdict(good.objective * (1 + 1e-5))
    assert verdict == "FAIL"
    assert diff == pytest.approx(1e-5, rel=1e-3)
    closed_existing = recompute(tables, ["S1", "S2", "S5"], "coverage")
    assert closed_existing.verdict(closed_existing.objective)[0] == "FAIL"
    assert "must stay open" in closed_existing.violations[0]
    too_many = recompute(tables, ["S0", "S1", "S5", "S6"], "coverage")
    assert any("p = 3" in v for v in too_many.violations)
    lscp_path, *_ = _instance(tmp_path, model="lscp", p=None)
    uncovered = recompute(read_tables(lscp_path), ["S0"], "cost")
    assert any("not covered" in v for v in uncovered.violations)
    with pytest.raises(ValueError, match="not in the instance"):
        recompute(tables, ["S0", "nope"], "coverage")


def test_province_tables_are_read_from_parquet_beside_the_file(tmp_path):
    """The province layout writes Parquet tables beside a YAML file; the reader finds them."""
    import subprocess
    import sys

    out = tmp_path / "prov.yaml"
    subprocess.run([sys.executable, "-m", "optmodels", "generate", "siting", "--layout", "province",
                    "--demand", "500", "--sites", "60", "--seed", "3", "-o", str(out)], check=True,
                   capture_output=True)
    tables = read_tables(out)
    assert tables.demand_xy.shape == (500, 2)
    assert len(tables.site_ids) == 60
    assert tables.model == "mclp"
    assert tables.radius == pytest.approx(5.0)
    assert tables.fixed_open.sum() == 3  # 60 // 20 existing hospitals stay open


def test_a_run_that_died_without_a_record_says_memory_when_its_log_does(tmp_path):
    log = tmp_path / "run.log"
    log.write_text("Traceback (most recent call last):\n  ...\nMemoryError: Unable to allocate 3.7 GiB\n")
    row = {"runner": "spopt+cbc", "memory_cap_gib": 1.0}
    _fill(row, {}, Outcome(wall=1.0, cpu=0.5, peak_rss_mib=100.0, peak_rss_tree_mib=100.0, exit=1), log)
    assert (row["status"], row["stop"]) == ("memory", "memory")
    log.write_text("Segmentation fault\n")
    row = {"runner": "spopt+cbc", "memory_cap_gib": 1.0}
    _fill(row, {}, Outcome(wall=1.0, cpu=0.5, peak_rss_mib=100.0, peak_rss_tree_mib=100.0, exit=-11), log)
    assert (row["status"], row["stop"]) == ("crashed", "error")
