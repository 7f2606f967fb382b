"""Every location model on the shipped 12 x 6 instances: MILP = manifest = brute force, and the
returned solution re-checked by the numpy evaluator."""

from __future__ import annotations

import json

import numpy as np
import pyomo.environ as pyo
import pytest

from optmodels.siting.bruteforce import brute_force
from optmodels.siting.data.instance import SitingInstance, load
from optmodels.siting.evaluate import evaluate
from optmodels.siting.formulation import NATIVE, OBJECTIVES, build, decode, nearest_useful_pairs
from solvers import solve


def _small_entries(instances_dir):
    doc = json.loads((instances_dir / "siting" / "manifest.json").read_text())
    return [e for e in doc["instances"] if e["file"].startswith("small/")]


def _cases():
    from pathlib import Path

    root = Path(__file__).resolve().parents[3] / "instances"
    return [pytest.param(e, id=e["file"].split("/")[-1][:-5]) for e in _small_entries(root)]


@pytest.mark.parametrize("entry", _cases())
def test_small_instance_matches_manifest_and_brute_force(entry, instances_dir):
    inst = load(instances_dir / "siting" / entry["file"])
    mdl = build(inst)
    res = solve(mdl)
    assert res.is_optimal, res.verdict
    known = entry["known_optimum"]
    assert res.objective == pytest.approx(known, rel=1e-6, abs=1e-6)
    # independent path 1: enumeration over all open sets
    bf, _ = brute_force(inst)
    assert bf == pytest.approx(known, rel=1e-6, abs=1e-6)
    # independent path 2: the numpy evaluator on the returned decision
    y, a = decode(mdl)
    ev = evaluate(inst, y, a)
    assert ev.feasible, ev.violations
    native = NATIVE[inst.model]
    if native == "total_cost":
        assert ev.objectives["total_cost"] == pytest.approx(res.objective, rel=1e-6)
    elif native in ev.objectives:
        assert ev.objectives[native] == pytest.approx(res.objective, rel=1e-6, abs=1e-6)
    assert y[inst.fixed_open()].all()


def test_relaxation_bounds_the_milp(instances_dir):
    inst = load(instances_dir / "siting" / "small" / "small_p_median_capacitated_single.json")
    mip = solve(build(inst))
    lp = solve(build(inst, relax=True))
    assert lp.is_optimal
    assert mip.is_optimal
    assert lp.objective <= mip.objective + 1e-9
    # and capacity matters: the uncapacitated optimum is strictly better
    free = solve(build(inst.with_changes(capacitated=False)))
    assert free.objective < mip.objective - 1e-6


def test_named_objectives_only_selected_active(instances_dir):
    inst = load(instances_dir / "siting" / "small" / "small_p_median.json").with_changes(radius=3.0)
    mdl = build(inst, objective="max_distance", objectives=["distance", "coverage", "cost", "n_facilities"])
    active = [o.name for o in mdl.component_data_objects(pyo.Objective, active=True)]
    assert active == ["max_distance"]
    names = {o.name for o in mdl.component_objects(pyo.Objective)}
    assert {"distance", "max_distance", "coverage", "cost", "n_facilities"} <= names
    for name in names:
        want = pyo.minimize if OBJECTIVES[name] == "min" else pyo.maximize
        assert getattr(mdl, name).sense == want
    # the extra blocks do not restrict: max_distance on the p-median model = p-center optimum
    res = solve(mdl)
    center = load(instances_dir / "siting" / "small" / "small_p_center.json")
    assert res.objective == pytest.approx(solve(build(center)).objective, rel=1e-9)


def test_existing_closable_site_can_close_at_a_saving():
    from optmodels.siting import SitingInstance

    cost = np.array([[1.0, 9.0], [1.0, 9.0], [9.0, 1.0]])
    base = dict(fixed_cost=[0.0, 2.0], existing=[True, False], model="lscp", radius=2.0)
    inst = SitingInstance.from_arrays(cost, [1, 1, 1], **base)
    res = solve(build(inst))
    assert res.objective == pytest.approx(2.0)
    # site 0 existing and closable, saving 3: still needed (covers points 0, 1), so cost 2
    data = inst.model_dump(exclude={"distance"})
    data["sites"][0].update(closable=True, closing_saving=3.0)
    data["distance"] = inst.distance
    from optmodels.io import validate

    closable = validate(type(inst), data, file=None)
    mdl = build(closable)
    assert solve(mdl).is_optimal
    y, _ = decode(mdl)
    assert y.all()
    # when either site alone covers everything, opening site 1 (2) and closing site 0 (-3) pays
    wide = closable.with_changes(radius=10.0)
    mdl = build(wide)
    res = solve(mdl)
    y, _ = decode(mdl)
    assert res.objective == pytest.approx(2.0 - 3.0)
    assert list(y) == [False, True]
    assert evaluate(wide, y).objectives["cost"] == pytest.approx(-1.0)


def test_cutoff_makes_pairs_sparse(instances_dir):
    # capacitated: no nearest-site pair reduction, so every pair within the cut-off is a column
    inst = load(instances_dir / "siting" / "small" / "small_p_median_capacitated_multi.json")
    full = build(inst)
    cut = inst.with_changes(cutoff=8.0)
    sparse = build(cut)
    assert len(sparse.x) < len(full.x)
    assert len(sparse.x) == int(np.isfinite(cut.cost_matrix()).sum())
    res = solve(sparse)
    bf, _ = brute_force(cut)
    assert res.objective == pytest.approx(bf, rel=1e-9)


def test_unknown_model_or_objective_rejected(instances_dir):
    inst = load(instances_dir / "siting" / "small" / "small_p_median.json")
    with pytest.raises(ValueError, match="unknown location model"):
        build(inst, model="k_means")
    with pytest.raises(ValueError, match="unknown objective"):
        build(inst, objective="happiness")


@pytest.mark.parametrize("seed", range(6))
def test_pair_reduction_is_exact_against_brute_force(seed):
    """Uncapacitated p-median / p-center drop pairs beyond a nearer always-open site and beyond
    rank m - p + 1; on random instances (ties included by rounding) the optimum is unchanged."""
    rng = np.random.default_rng(seed)
    n, m = 15, 7
    cost = np.round(rng.uniform(0, 10, size=(n, m)), 0)  # many ties
    existing = np.zeros(m, bool)
    existing[rng.choice(m, size=seed % 3, replace=False)] = True
    p = int(max(existing.sum(), 2 + seed % 3))
    inst = SitingInstance.from_arrays(cost, rng.integers(1, 9, n), existing=existing, p=p)
    for model in ("p_median", "p_center"):
        mdl = build(inst, model=model)
        i, j, d = inst.pairs()
        assert len(mdl.x) == int(nearest_useful_pairs(inst, i, j, d, p).sum()) <= len(i)
        res = solve(mdl)
        bf, _ = brute_force(inst, model)
        assert res.objective == pytest.approx(bf, rel=1e-9, abs=1e-9)
        y, a = decode(mdl)
        ev = evaluate(inst, y, a, model=model)
        assert ev.feasible, ev.violations
        assert ev.objectives[NATIVE[model]] == pytest.approx(bf, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_mclp_points_with_one_cover_set_share_a_z(seed):
    """Demand points covered by the same sites are one z with their summed population: fewer
    rows, same optimum as enumerating every open set."""
    rng = np.random.default_rng(seed)
    n, m = 24, 7
    cost = rng.uniform(0, 10, size=(n, m))
    inst = SitingInstance.from_arrays(cost, rng.integers(1, 9, n), model="mclp", p=2 + seed % 2, radius=4.0)
    mdl = build(inst)
    distinct = len({tuple(np.flatnonzero(row <= 4.0)) for row in cost})
    assert len(mdl.z) == distinct < n
    assert float(mdl._coverage_weights.sum()) == pytest.approx(inst.populations().sum())
    res = solve(mdl)
    bf, _ = brute_force(inst)
    assert res.objective == pytest.approx(bf)
    y, _ = decode(mdl)
    assert evaluate(inst, y).objectives["coverage"] == pytest.approx(bf)
