"""Bracketing along monotone sweeps (optmodels.sweep.bracket): the same answers as cold solves,
inferred scenarios' plans feasible and re-checked, and solving in order where nothing nests."""

from __future__ import annotations

import pytest

from optmodels.registry import family
from optmodels.sweep import sweep

#: HiGHS's default relative MIP gap: warm (bracketed) and cold answers agree to it
GAP = 1e-4


def _same_answers(warm, cold) -> None:
    assert warm["status"].tolist() == cold["status"].tolist()
    solved = cold["objective"].notna()
    assert warm.loc[solved, "objective"].tolist() == pytest.approx(cold.loc[solved, "objective"].tolist(), rel=GAP)


@pytest.fixture(scope="module")
def tiny(instances_dir):
    return instances_dir / "equipment" / "tiny_cost.toml"


def test_a_budget_sweep_infers_its_plateau_with_the_cold_answers(tiny):
    """tiny_cost's optimum (63.757, brute force) holds from budget 16.5 up: two solves settle the
    ends, the rest is inferred -- each row's plan within its budget and band, as its metrics say."""
    vary = {"budget": "16.5:30:1.5"}
    warm, cold = sweep(tiny, vary, warm=True), sweep(tiny, vary, warm=False)
    _same_answers(warm, cold)
    assert set(cold["source"]) == {"solved"}
    inferred = warm[warm["source"] == "inferred"]
    assert len(inferred) == len(warm) - 2
    assert (inferred["status"] == "optimal").all()
    assert (inferred["metric.budget_used"] <= inferred["budget"] + 1e-9).all()
    assert inferred["metric.gini_mean"].between(0.05 - 1e-9, 0.3 + 1e-9).all()
    assert inferred["metric.cost"].tolist() == pytest.approx(inferred["objective"].tolist(), rel=1e-9)
    # the relaxed end started from the restricted end's plan (feasible there: a larger budget)
    assert warm["source"].iloc[-1] == "neighbour"


def test_a_descending_sweep_is_bracketed_from_its_restricted_end(tiny):
    vary = {"budget": "30:16.5:-1.5"}
    warm, cold = sweep(tiny, vary, warm=True), sweep(tiny, vary, warm=False)
    _same_answers(warm, cold)
    assert warm["source"].iloc[-1] == "solved"
    assert warm["source"].iloc[0] == "neighbour"
    assert (warm["source"] == "inferred").sum() == len(warm) - 2


def test_where_the_optimum_moves_bisection_solves_and_agrees_with_cold(tiny):
    """The band's lower side raised step by step restricts (a descending run): the optimum rises,
    so inference only covers the stretches where it does not."""
    vary = {"gini.lo": "0.05:0.15:0.025"}
    warm, cold = sweep(tiny, vary, warm=True), sweep(tiny, vary, warm=False)
    _same_answers(warm, cold)
    assert (warm["source"] != "inferred").sum() >= 3  # the ends and at least one rise


def test_a_change_that_is_no_relaxation_is_solved_in_order(tiny):
    """Waiting costs move the objective: no scenario relaxes another, none is inferred."""
    vary = {"costs.waiting_per_hour": "x0.5,0.75,1,1.5,3"}
    warm, cold = sweep(tiny, vary, warm=True), sweep(tiny, vary, warm=False)
    _same_answers(warm, cold)
    assert set(warm["source"]) == {"solved"}
    assert warm["warm"].tolist() == [False] + [True] * 4


def test_a_carried_plan_that_fails_the_check_falls_back_to_solving(tiny, monkeypatch):
    from optmodels.equipment.warm import WarmEquipment

    monkeypatch.setattr(WarmEquipment, "carry", lambda self, instance, donor, bound, options: None)
    vary = {"budget": "16.5:22.5:1.5"}
    warm, cold = sweep(tiny, vary, warm=True), sweep(tiny, vary, warm=False)
    _same_answers(warm, cold)
    assert set(warm["source"]) == {"solved"}


def test_equipment_relaxation_rules(tiny):
    fam = family("equipment")
    base = fam.load(tiny)
    session = fam.warm()

    def changed(**fields):
        return base.model_copy(update=fields)

    band = base.gini
    assert session.relaxes(base, changed(budget=20.0))
    assert not session.relaxes(changed(budget=20.0), base)
    assert session.relaxes(base, changed(gini=band.model_copy(update={"hi": 0.4})))
    assert session.relaxes(base, changed(gini=band.model_copy(update={"lo": None})))
    assert not session.relaxes(base, changed(gini=band.model_copy(update={"lo": 0.1})))
    assert not session.relaxes(base, changed(gini=band.model_copy(update={"mode": "each_year"})))
    assert not session.relaxes(base, changed(costs=base.costs.model_copy(update={"waiting_per_hour": 1.0})))
    assert session.relaxes(base, changed(name="other", description="renamed"))
    # the instance's own objective is solved when the session names none: another one is no relaxation
    assert not session.relaxes(base, changed(objective="utilisation"))
    assert family("equipment").warm(objective="cost").relaxes(base, changed(objective="utilisation"))


# --------------------------------------------------------------------------------------------
# siting
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "vary"), [
    ("small_p_center.json", {"parameters.p": "1:6:1"}),
    ("small_mclp.json", {"parameters.p": "1:6:1"}),
    ("small_p_median.json", {"parameters.p": "1:6:1"}),
    ("small_lscp.json", {"parameters.radius": "5.6:9:0.4"}),
])
def test_siting_sweeps_bracketed_give_the_cold_answers(instances_dir, name, vary):
    """p and the coverage radius on the 12 x 6 instances (brute-force checked in the manifest):
    every inferred row is the carried plan re-checked by the evaluator and equals the cold optimum."""
    path = instances_dir / "siting" / "small" / name
    warm, cold = sweep(path, vary, warm=True), sweep(path, vary, warm=False)
    _same_answers(warm, cold)
    inferred = warm[warm["source"] == "inferred"]
    assert (inferred["status"] == "optimal").all()


def test_siting_p_center_plateau_is_inferred(instances_dir):
    """The p-center's optimum is flat from p = 2 to 6 on small_p_center: the plan of p = 1 with
    sites added (farthest point first) is within the gap of p = 6's bound."""
    path = instances_dir / "siting" / "small" / "small_p_center.json"
    warm = sweep(path, {"parameters.p": "1:6:1"}, warm=True)
    assert (warm["source"] == "inferred").sum() == 4
    assert (warm["metric.n_open"] == warm["parameters.p"]).all()


def test_siting_relaxation_rules(instances_dir):
    fam = family("siting")
    small = instances_dir / "siting" / "small"
    center = fam.load(small / "small_p_center.json")
    session = fam.warm()
    assert session.relaxes(center, center.with_changes(p=4))
    assert not session.relaxes(center, center.with_changes(p=2))
    assert not session.relaxes(center, center.with_changes(p=4, capacitated=True))
    mclp = fam.load(small / "small_mclp.json")
    assert session.relaxes(mclp, mclp.with_changes(radius=4.0))
    assert not session.relaxes(mclp, mclp.with_changes(radius=2.0))
    dispersion = fam.load(small / "small_p_dispersion.json")
    assert not session.relaxes(dispersion, dispersion.with_changes(p=dispersion.parameters.p + 1))
    assert not fam.warm(objective="n_facilities").relaxes(mclp, mclp.with_changes(p=4))


def test_a_bound_hint_is_an_exact_cut_on_the_mclp(instances_dir):
    """A valid upper bound given to the MCLP (the optimum itself, or more) leaves the optimum
    where brute force puts it (571, manifest) and says it was used."""
    from optmodels.siting.solve import solve_siting

    fam = family("siting")
    mclp = fam.load(instances_dir / "siting" / "small" / "small_mclp.json")
    plain = solve_siting(mclp)
    assert "bound_cut" not in plain.extra
    for hint in (571.0, 600.0):
        cut = solve_siting(mclp, bound_hint=hint)
        assert cut.result.is_optimal
        assert cut.objective == pytest.approx(571.0, rel=1e-9)
        assert cut.evaluation.feasible
        assert cut.extra["bound_cut"] is True

