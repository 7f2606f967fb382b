"""The siting family's one Python call: every shipped instance through ``solve_siting`` (known
optimum from the manifest, the plan re-checked by the numpy evaluator), the LSCP-B stages, the
p-median formulations, time limits, objectives the model cannot take, and what a Solution writes."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from optmodels.errors import InstanceError, UsageError
from optmodels.siting.data.instance import load
from optmodels.siting.evaluate import SitingDecision, evaluate
from optmodels.siting.family import FAMILY
from optmodels.siting.solve import solve_siting
from solvers import SolveOptions


def _manifest(instances_dir):
    return json.loads((instances_dir / "siting" / "manifest.json").read_text())["instances"]


def _entries():
    from pathlib import Path

    root = Path(__file__).resolve().parents[3] / "instances" / "siting" / "manifest.json"
    out = []
    for e in json.loads(root.read_text())["instances"]:
        slow = e["file"] == "sf/sf_p_center.json"  # ~10 s to prove
        label = e["file"] + ("" if "parameters" not in e else f" {e['parameters']}")
        out.append(pytest.param(e, id=label, marks=[pytest.mark.slow] if slow else []))
    return out


@pytest.mark.parametrize("entry", _entries())
def test_every_shipped_instance_reaches_its_known_optimum(entry, instances_dir):
    instance = load(instances_dir / "siting" / entry["file"])
    if "parameters" in entry:
        instance = instance.with_changes(**entry["parameters"])
    solution = solve_siting(instance, SolveOptions(time_limit=120))
    assert solution.result.is_optimal
    assert solution.objective_name == entry["objective"]
    tol = max(entry["tolerance"], 1e-9)
    assert solution.result.objective == pytest.approx(entry["known_optimum"], rel=tol, abs=tol)
    # the plan, re-checked by the numpy evaluator (an independent path), holds and has that value
    ev = FAMILY.evaluate(instance, solution.decision)
    assert ev.feasible, ev.violations
    assert ev.objective(entry["objective"]) == pytest.approx(solution.result.objective, rel=1e-9)
    if "open_sites" in entry and "tolerance" in entry and entry["model"] != "equity_siting":
        assert sorted(solution.extra["open_sites"]) == sorted(entry["open_sites"])
    if "before_after" in entry:
        exp, m = entry["before_after"], solution.metrics
        assert m["access_gini_before"] == pytest.approx(exp["gini_before"], rel=1e-6)
        assert m["access_gini"] == pytest.approx(exp["gini_after"], rel=1e-3)
        assert m["access_share_below_before"] == pytest.approx(exp["share_below_before"], rel=1e-6)
        assert m["access_max_area_change_pct"] == pytest.approx(exp["max_area_change_pct"], rel=1e-3)
        assert "accessibility_before_after" in solution.tables


def _enumerate_lscp_b(inst) -> tuple[int, float]:
    """(fewest sites covering everyone, most population covered twice with that many)."""
    must = inst.fixed_open()
    plans = []
    for bits in itertools.product((False, True), repeat=inst.n_sites):
        y = np.array(bits)
        if (must & ~y).any():
            continue
        ev = evaluate(inst, y, model="lscp_b")
        if (ev.slacks["demand_coverage"] >= 0).all():
            plans.append((int(y.sum()), ev.objectives["backup_coverage"]))
    p_star = min(p for p, _ in plans)
    return p_star, max(b for p, b in plans if p == p_star)


@pytest.mark.parametrize("radius", [5.6, 6.5])
def test_two_stage_lscp_b_matches_enumeration(radius, instances_dir):
    doc = json.loads((instances_dir / "siting" / "small" / "small_lscp_b.json").read_text())
    doc["parameters"] = {"radius": radius}  # no p: LSCP first
    inst = FAMILY.from_document(doc, instances_dir / "siting" / "small" / "x.json")
    p_star, best = _enumerate_lscp_b(inst)
    solution = FAMILY.solve(inst)
    assert solution.result.objective == pytest.approx(best, rel=1e-9)
    assert solution.metrics["n_open"] == p_star
    assert any(f"{p_star} facilities cover every demand point" in n for n in solution.notes)
    assert solution.evaluation.feasible


def test_model_switched_to_lscp_b_ignores_the_other_models_p(instances_dir, solve_flags, tmp_path):
    """A p chosen for the p-median is not LSCP-B's: switching runs stage 1 unless --p is given."""
    doc = json.loads((instances_dir / "siting" / "small" / "small_lscp_b.json").read_text())
    doc["model"], doc["parameters"] = "p_median", {"radius": 5.6, "p": 5}
    path = tmp_path / "pmed.json"
    path.write_text(json.dumps(doc))
    inst = load(path)
    p_star, best = _enumerate_lscp_b(inst.with_changes("lscp_b", p=None))
    assert p_star != 5
    solution = solve_flags(path, ["--model", "lscp_b"])
    assert solution.metrics["n_open"] == p_star
    assert solution.result.objective == pytest.approx(best)
    # an explicit --p is the user's choice and is kept
    assert solve_flags(path, ["--model", "lscp_b", "--p", "5"]).metrics["n_open"] == 5


def test_p_median_formulations_agree_and_radius_is_refused_elsewhere(instances_dir):
    inst = load(instances_dir / "siting" / "sf" / "sf_p_median.json")
    auto = solve_siting(inst)
    assign = solve_siting(inst, formulation="assignment")
    assert auto.extra["formulation"] == "radius"
    assert assign.extra["formulation"] == "assignment"
    assert auto.result.objective == pytest.approx(2_848_268_129.71, rel=1e-9)
    assert assign.result.objective == pytest.approx(auto.result.objective, rel=1e-9)
    assert auto.evaluation.feasible
    assert assign.evaluation.feasible
    with pytest.raises(UsageError, match="only for the uncapacitated p-median"):
        solve_siting(inst.with_changes("p_center"), formulation="radius")
    with pytest.raises(UsageError, match="--formulation"):
        solve_siting(inst, formulation="fast")


def test_objectives_a_model_cannot_take_are_usage_errors(instances_dir):
    inst = load(instances_dir / "siting" / "small" / "small_p_median.json")
    with pytest.raises(UsageError, match="expected one of"):
        solve_siting(inst, objective="happiness")
    with pytest.raises(UsageError, match="equity models"):
        solve_siting(inst, objective="access_mad")
    equity = load(instances_dir / "siting" / "access_capacity.json")
    with pytest.raises(UsageError, match="access_variance only"):
        solve_siting(equity, objective="distance")


def test_another_objective_on_the_files_model(instances_dir):
    """--objective max_distance on the p-median file is the p-center optimum (same p)."""
    known = next(e for e in _manifest(instances_dir) if e["file"] == "small/small_p_center.json")
    inst = load(instances_dir / "siting" / "small" / "small_p_median.json")
    solution = solve_siting(inst, objective="max_distance")
    assert solution.sense == "min"
    assert solution.result.objective == pytest.approx(known["known_optimum"], rel=1e-6)


@pytest.mark.parametrize(("file", "model", "what"), [
    ("small/small_p_center.json", None, "max_distance"),
    ("sf/sf_p_median.json", "p_dispersion", "separation"),
])
def test_reported_objective_is_the_plans_true_distance(file, model, what, instances_dir):
    """p-center / p-dispersion: the reported value is a distance of the plan, exactly (the
    solver's value is only within its feasibility tolerance of one)."""
    inst = load(instances_dir / "siting" / file)
    if model:
        inst = inst.with_changes(model)
    solution = solve_siting(inst)
    y = solution.decision.open
    if what == "max_distance":
        cost = inst.cost_matrix()
        true = max(cost[i, np.asarray(solution.decision.assignment)[i] > 0.5].max() for i in range(inst.n_demand))
    else:
        from optmodels.siting.formulation import site_distances

        dss = site_distances(inst)
        opened = np.flatnonzero(y)
        true = min(dss[a, b] for a, b in itertools.combinations(opened, 2))
    assert solution.result.objective == pytest.approx(true, rel=1e-9)


def test_time_limit_returns_the_incumbent_with_a_bound(instances_dir):
    inst = load(instances_dir / "siting" / "sf" / "sf_p_center.json")
    solution = solve_siting(inst, SolveOptions(time_limit=0.3))
    if solution.result.is_optimal:
        pytest.skip("solved to optimality within 0.3 s on this machine")
    assert solution.result.termination.value == "time_limit"
    if solution.has_solution:
        assert solution.evaluation.feasible
        assert solution.result.bound is not None


def test_solution_writes_its_files(instances_dir, tmp_path):
    inst = load(instances_dir / "siting" / "small" / "small_p_median_capacitated_multi.json")
    solution = solve_siting(inst)
    written = solution.to_files(tmp_path / "out")
    for name in ("result.json", "sites.csv", "assignments.csv", "accessibility.csv", "map.png"):
        assert name in written
        assert (tmp_path / "out" / name).stat().st_size > 0
    result = json.loads((tmp_path / "out" / "result.json").read_text())
    assert result["verdict"] == "optimal"
    assert result["family"] == "siting"
    assert result["metrics"]["violations"] == []
    assert result["objective"] == pytest.approx(2092.702562284, rel=1e-6)
    assert len(result["open_sites"]) == inst.parameters.p


def test_equity_solution_writes_supply_and_before_after(instances_dir, tmp_path):
    import pandas as pd

    inst = load(instances_dir / "siting" / "access_capacity.json")
    solution = solve_siting(inst)
    solution.to_files(tmp_path / "out")
    sites = pd.read_csv(tmp_path / "out" / "sites.csv")
    assert sites["supply_after"].sum() == pytest.approx(sites["supply_before"].sum())
    table = pd.read_csv(tmp_path / "out" / "accessibility_before_after.csv")
    assert table["area"].tolist()[-1] == "overall"
    assert "largest area change +95.1% (area south)" in solution.summary()


def test_evaluate_rechecks_any_decision(instances_dir):
    """FAMILY.evaluate on a hand-made plan: the constraints it breaks are named."""
    inst = load(instances_dir / "siting" / "small" / "small_p_median.json")
    y = np.ones(inst.n_sites, bool)  # every site open: breaks sum y = p
    ev = FAMILY.evaluate(inst, SitingDecision(open=y))
    assert "facility_count" in ev.violations
    assert not ev.feasible


def test_budget_on_a_model_without_one_is_an_input_error(instances_dir, solve_flags):
    path = instances_dir / "siting" / "small" / "small_mclp_budget.json"
    with pytest.raises(InstanceError, match="parameters.budget"):
        solve_flags(path, ["--model", "lscp"])
    # dropping it makes the switch valid
    assert solve_flags(path, ["--model", "lscp", "--budget", "none", "--radius", "6"]).result.is_optimal
