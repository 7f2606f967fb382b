"""A siting sweep session's state (optmodels.siting.coverage.state, optmodels.siting.warm): what
does not depend on p is computed once, each solve starts from its neighbour, and the answers stay
the brute-force optima -- and nothing is reused once another field changes."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.sparse as sp

from optmodels.registry import family
from optmodels.siting.bruteforce import brute_force
from optmodels.siting.coverage.state import CoverageState, share_costs
from optmodels.siting.solve import solve_siting
from optmodels.sweep import sweep

#: HiGHS's default relative MIP gap: warm (bracketed) and cold answers agree to it
GAP = 1e-4


@pytest.fixture(scope="module")
def small(instances_dir):
    return instances_dir / "siting" / "small"


def _load(path, **changes):
    inst = family("siting").load(path)
    return inst.with_changes(**changes) if changes else inst


@pytest.mark.parametrize(("name", "ps"), [("small_mclp.json", (2, 3, 4, 5)), ("small_lscp_b.json", (3, 4, 5))])
def test_a_state_serves_every_p_and_each_answer_is_the_brute_force_optimum(small, name, ps):
    """Groups, the fixed site's split and the reductions are made once (s1 is an existing site
    kept open); each p's answer is still brute force's, started from the last plan or not."""
    state = CoverageState()
    last = None
    for p in ps:
        inst = _load(small / name, p=p)
        start = None if last is None else last.decision.open.copy()
        if start is not None:  # the last plan with one site more: what a carried plan is
            start[np.flatnonzero(~start)[0]] = True
        sol = solve_siting(inst, state=state, start=start)
        best, _ = brute_force(inst)
        assert sol.result.is_optimal
        assert sol.objective == pytest.approx(best, rel=GAP)
        assert sol.evaluation.feasible
        last = sol
    assert (state.misses, state.hits) == (1, len(ps) - 1)


def test_a_state_is_not_served_once_another_field_changes(small, tmp_path):
    """small_mclp at p = 2 with d05's population 1, then p = 3 with 3000: the second solve must
    not take the first one's groups (their weights are the old ones) and finds brute
    force's optimum for the changed instance."""
    doc = json.loads((small / "small_mclp.json").read_text())
    doc["parameters"]["p"] = 2
    heavy = next(d for d in doc["demand"] if d["id"] == "d05")
    heavy["population"] = 1.0
    base = tmp_path / "base.json"
    base.write_text(json.dumps(doc))
    doc["parameters"]["p"] = 3
    heavy["population"] = 3000.0
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(doc))
    state = CoverageState()
    solve_siting(_load(base), state=state)
    inst = _load(changed)
    cold, _ = brute_force(inst)
    sol = solve_siting(inst, state=state)
    assert sol.objective == pytest.approx(cold, rel=GAP)
    assert state.misses == 2


def test_costs_are_shared_only_between_instances_that_differ_in_p_or_the_radius(small):
    a = _load(small / "small_mclp.json", p=2)
    b = _load(small / "small_mclp.json", p=4, radius=4.0)
    a.cost_matrix()
    assert share_costs(b, a)
    assert b.costs is a.costs
    c = _load(small / "small_mclp.json", p=2, budget=5.0)
    assert not share_costs(c, a)
    assert c.costs is not a.costs


def test_the_accessibility_of_todays_sites_is_handed_on_only_for_its_own_catchment(small, tmp_path):
    """Without access.d0 the catchment is the radius: a scenario with another radius must not
    take the 'before' accessibility of the first (it would, keyed by the costs alone)."""
    from optmodels.siting.evaluate import SitingDecision, evaluate_decision

    doc = json.loads((small / "small_mclp.json").read_text())
    doc["access"].pop("d0")
    path = tmp_path / "no_d0.json"
    path.write_text(json.dumps(doc))
    a, b = _load(path, radius=3.0), _load(path, radius=6.0)
    y = np.zeros(a.n_sites, bool)
    y[:3] = True
    evaluate_decision(a, SitingDecision(open=y))
    assert share_costs(b, a)
    shared = evaluate_decision(b, SitingDecision(open=y)).access.before
    fresh = evaluate_decision(_load(path, radius=6.0), SitingDecision(open=y)).access.before
    assert shared == pytest.approx(fresh, rel=1e-12)
    assert not np.allclose(shared, evaluate_decision(a, SitingDecision(open=y)).access.before)


def test_the_evaluators_nearest_assignment_matches_the_whole_matrix_pass(small):
    """The evaluator reads only the open sites' columns without an assignment; given the nearest
    assignment of the whole matrix explicitly it takes its general path: the same figures,
    with unreachable points (a cut-off) included."""
    from optmodels.siting.evaluate import evaluate, nearest_assignment

    for name, changes in [("small_mclp.json", {}), ("small_p_median.json", {"cutoff": 6.0}),
                          ("small_lscp_b.json", {})]:
        inst = _load(small / name, **changes)
        rng = np.random.default_rng(7)
        for _ in range(5):
            y = rng.random(inst.n_sites) < 0.5
            y[inst.fixed_open()] = True
            quick = evaluate(inst, y)
            full = evaluate(inst, y, nearest_assignment(inst.cost_matrix(), y))
            dense = quick.assignment.toarray() if sp.issparse(quick.assignment) else quick.assignment
            assert np.array_equal(dense, full.assignment)
            assert quick.assigned_distance == pytest.approx(full.assigned_distance, rel=1e-12)
            assert quick.covered == pytest.approx(full.covered)
            for key, value in full.objectives.items():
                assert quick.objectives[key] == pytest.approx(value, rel=1e-12), key


def test_a_p_sweep_starts_from_neighbours_and_gives_the_cold_answers(small):
    """The warm session's solves start from the carried plan (source 'neighbour') and settle every
    scenario at the cold optimum; rows that are not inferred were evaluated in full."""
    path = small / "small_mclp.json"
    vary = {"parameters.p": "1:6:1"}
    warm, cold = sweep(path, vary, warm=True), sweep(path, vary, warm=False)
    assert warm["status"].tolist() == cold["status"].tolist()
    assert warm["objective"].tolist() == pytest.approx(cold["objective"].tolist(), rel=GAP)
    assert (warm["source"] == "neighbour").sum() >= 1
    assert (warm["metric.n_open"] == warm["parameters.p"]).all()


def test_a_zip_sweep_moving_a_population_with_p_reuses_no_state(small, tmp_path):
    """p and one point's population change together: no scenario relaxes the last, each is solved
    in order with the session, and each answer is brute force's for its own populations."""
    path = small / "small_mclp.json"
    vary = {"parameters.p": "2,3,4", "demand[d05].population": "1,3000,1"}
    warm = sweep(path, vary, mode="zip", warm=True)
    for p, pop, value in zip(warm["parameters.p"], warm["demand[d05].population"], warm["objective"], strict=True):
        doc = json.loads(path.read_text())
        doc["parameters"]["p"] = int(p)
        next(d for d in doc["demand"] if d["id"] == "d05")["population"] = float(pop)
        one = tmp_path / f"p{p}.json"
        one.write_text(json.dumps(doc))
        best, _ = brute_force(_load(one))
        assert value == pytest.approx(best, rel=GAP)


@pytest.mark.parametrize("measure", [{"method": "2sfca", "d0": 4.0}, {"method": "g2sfca", "d0": 5.0},
                                     {"method": "e2sfca", "d0": 5.0, "steps": [[2.0, 1.0], [5.0, 0.4]]},
                                     {"method": "3sfca", "d0": 5.0}])
def test_accessibility_from_the_supplied_columns_matches_the_whole_matrix(small, tmp_path, measure):
    """The report's accessibility (kept catchment demands, the supplied sites' columns) against
    the measure's own pass over the whole matrix, before and after, for random plans."""
    from optmodels.siting.access.measures import accessibility
    from optmodels.siting.evaluate import SitingDecision, access_params, evaluate_decision

    doc = json.loads((small / "small_mclp.json").read_text())
    doc["access"] = {**{k: v for k, v in doc["access"].items() if k == "threshold"}, **measure}
    path = tmp_path / "measure.json"
    path.write_text(json.dumps(doc))
    inst = _load(path)
    rng = np.random.default_rng(3)
    for _ in range(4):
        y = rng.random(inst.n_sites) < 0.5
        report = evaluate_decision(inst, SitingDecision(open=y)).access
        params = access_params(inst)
        pop, s = inst.populations(), inst.supplies()
        after = accessibility(inst.cost_matrix(), pop, np.where(y, s, 0.0), **params)
        before = accessibility(inst.cost_matrix(), pop, np.where(inst.existing(), s, 0.0), **params)
        assert report.after == pytest.approx(after.access, rel=1e-12, abs=1e-15)
        assert report.before == pytest.approx(before.access, rel=1e-12, abs=1e-15)
