"""Per family: a small instance whose front is proven by enumerating every decision.

Each test enumerates the decisions of a shipped instance with the family's vectorised pymoo
Problem (the numpy evaluator's numbers), keeps the feasible non-dominated objective vectors, and
checks the MILP fronts (epsilon, weighted sum) against them point by point, then NSGA-II's
hypervolume against the enumerated front's with the same normalisation (the front's ideal and
nadir, reference point 1.1 per axis). Stated tolerances: NSGA-II within 2 % (equipment, siting,
pricing) of the exact hypervolume.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest

from solvers import SolveOptions
from solvers.epsilon import epsilon_front
from solvers.moea import nsga2_front
from solvers.pareto import hypervolume, ideal_nadir, nondominated
from solvers.weighted_sum import weighted_sum_front


def _shipped(family: str) -> Path:
    """The family's shipped multi-objective instance (its contract's ``fronts.shipped``)."""
    from optmodels.registry import family as lookup

    return Path(__file__).resolve().parents[3] / lookup(family).fronts.shipped


def _on_front(points: np.ndarray, front: np.ndarray, rtol: float = 1e-6) -> bool:
    return all(np.any(np.all(np.isclose(front, p, rtol=rtol, atol=1e-9), axis=1)) for p in points)


def _brute_front(problem, X):
    """Feasible non-dominated objective vectors (own senses) of the decisions X."""
    out: dict = {}
    problem._evaluate(X, out)
    sign = np.where(np.array(problem.senses) == "max", -1.0, 1.0)
    F = out["F"] * sign
    feasible = np.all(out["G"] <= 1e-9, axis=1)
    F = F[feasible]
    return np.unique(F[nondominated(F, problem.senses)], axis=0)


def _hv_ratio(points, front, senses) -> float:
    ideal, nadir = ideal_nadir(front, senses)
    return hypervolume(points, senses, ideal, nadir) / hypervolume(front, senses, ideal, nadir)


def _open_sets(m: int, size: int | None = None) -> np.ndarray:
    if size is None:
        return np.array(list(itertools.product([0, 1], repeat=m)), dtype=bool)
    combos = np.array(list(itertools.combinations(range(m), size)))
    X = np.zeros((len(combos), m), dtype=bool)
    X[np.arange(len(combos))[:, None], combos] = True
    return X


# --------------------------------------------------------------------------------------------
# equipment: tiny (3 regions x 4 hospitals x 3 years), every one of the 2^12 plans
# --------------------------------------------------------------------------------------------


def test_equipment_tiny_exact_front_equals_enumeration(instances_dir):
    from optmodels.equipment import pareto as adapter
    from optmodels.equipment.evaluate import evaluate
    from optmodels.equipment.instance import EquipmentInstance
    from optmodels.equipment.problem import BudgetRepair, EquipmentProblem

    instance = EquipmentInstance.from_file(instances_dir / "equipment" / "tiny_cost.toml")
    names = ["cost", "utilisation"]
    problem = adapter.problem(instance, names)
    assert isinstance(problem, EquipmentProblem)
    assert isinstance(problem.repair, BudgetRepair)
    X = np.array(list(itertools.product([0, 1], repeat=problem.n_var)), dtype=bool)  # 2^12 plans
    front = _brute_front(problem, X)
    res = epsilon_front(adapter.build_model(instance, names), names,
                        summary=adapter.decision_summary,
                        decision=lambda m: adapter.decision_vector(instance, m))
    assert res.exact
    assert len(res) == len(front) == 6
    assert _on_front(res.points, front)
    # each MILP plan re-checked by the numpy evaluator: feasible, and it gives its point
    for point, x in zip(res.points, res.decisions, strict=True):
        ev = evaluate(instance, np.asarray(x, dtype=float).reshape(problem.shape))
        assert all(np.all(s >= -1e-6) for s in ev.slacks.values())
        assert [ev.objective(o) for o in names] == pytest.approx(list(point), rel=1e-6)
    ws = weighted_sum_front(adapter.build_model(instance, names), names, points=5,
                            options=SolveOptions(mip_rel_gap=0.0))
    assert _on_front(ws.points, front)
    # NSGA-II with the family's BudgetRepair, seeded with weighted-sum plans: within 2 % of the
    # exact hypervolume, and never beyond the exact front
    seeds = weighted_sum_front(adapter.build_model(instance, names), names, points=3,
                               decision=lambda m: adapter.decision_vector(instance, m))
    ga = nsga2_front(problem, pop_size=20, generations=10, seed=1, initial=list(seeds.decisions))
    assert ga.settings["repair"] == "BudgetRepair"
    assert _hv_ratio(ga.points, front, problem.senses) >= 0.98
    assert all(any(np.all(f <= p + 1e-9) for f in front) for p in ga.points)


# --------------------------------------------------------------------------------------------
# siting: small_lscp (12 demand points x 6 sites, no fixed p), every one of the 64 open sets
# --------------------------------------------------------------------------------------------


def test_siting_small_front_equals_enumeration():
    from optmodels.siting import pareto as adapter
    from optmodels.siting.data.instance import load

    instance = load(_shipped("siting"))
    names = list(adapter.default_objectives(instance))
    assert names == ["distance", "n_facilities"]
    problem = adapter.problem(instance, names)
    front = _brute_front(problem, _open_sets(instance.n_sites))
    assert len(front) == 5  # 2..6 open sites, each with its best distance
    res = epsilon_front(adapter.build_model(instance, names), names,
                        summary=adapter.decision_summary,
                        decision=lambda m: adapter.decision_vector(instance, m))
    assert res.exact
    assert len(res) == len(front)
    assert _on_front(res.points, front)
    # the open sets the MILP returns give their points under the vectorised evaluator
    out: dict = {}
    problem._evaluate(np.array(res.decisions, dtype=bool), out)
    assert np.all(out["G"] <= 1e-9)
    assert out["F"] == pytest.approx(res.points, rel=1e-6)
    ws = weighted_sum_front(adapter.build_model(instance, names), names, points=7,
                            options=SolveOptions(mip_rel_gap=0.0))
    assert _on_front(ws.points, front)
    ga = nsga2_front(problem, pop_size=12, generations=8, seed=2)
    assert _hv_ratio(ga.points, front, problem.senses) >= 0.98


@pytest.mark.slow
def test_siting_sf_front_equals_enumeration():
    """SF p-median (205 x 16, p = 4): distance vs worst distance over the 1,820 open sets."""
    from optmodels.siting import pareto as adapter
    from optmodels.siting.data.instance import load

    instance = load(_shipped("siting").parents[1] / "sf" / "sf_p_median.json")
    names = list(adapter.default_objectives(instance))
    problem = adapter.problem(instance, names)
    front = _brute_front(problem, _open_sets(instance.n_sites, instance.parameters.p))
    res = epsilon_front(adapter.build_model(instance, names), names, points=6)
    assert _on_front(res.points, front)
    assert len(res) == len(front)
    ga = nsga2_front(problem, pop_size=30, generations=20, seed=2)
    assert _hv_ratio(ga.points, front, problem.senses) >= 0.95


# --------------------------------------------------------------------------------------------
# pricing: the elastic lattice (11 x 12 fee pairs), every pair; profit vs participation
# --------------------------------------------------------------------------------------------


def _pricing_lattice_front(instance, problem):
    """Every (f, e) lattice pair with the deposit at its cap t0: for profit vs participation that
    is the whole decision space, since U rises with t and participation does not depend on t."""
    assert problem.fees == ("f", "e", "t")
    fi, ej = np.meshgrid(np.arange(problem.xu[0] + 1), np.arange(problem.xu[1] + 1), indexing="ij")
    X = np.column_stack([fi.ravel(), ej.ravel(), np.full(fi.size, instance.upper_bounds()["t"])])
    return _brute_front(problem, X)


def test_pricing_lattice_front_equals_enumeration():
    from optmodels.pricing import pareto as adapter
    from optmodels.pricing.evaluate import evaluate
    from optmodels.pricing.family import FAMILY
    from optmodels.pricing.instance import from_file as load

    instance = load(_shipped("pricing"))
    names = ["profit", "participation"]
    problem = adapter.problem(instance, names)
    front = _pricing_lattice_front(instance, problem)
    assert len(front) == 16
    options = FAMILY.tuned(instance, SolveOptions(mip_rel_gap=0.0))
    # participation is not integer-valued: a sampled grid, fine enough (step < the smallest gap
    # between neighbouring front values, 0.026) to meet every point; the bypass keeps it cheap
    res = epsilon_front(adapter.build_model(instance, names), names, points=600, options=options,
                        summary=adapter.decision_summary,
                        decision=lambda m: adapter.decision_vector(instance, m))
    assert not res.exact
    assert res.solves < 40
    assert len(res) == len(front)
    assert _on_front(res.points, front, rtol=1e-7)
    # the fees of each MILP point, re-evaluated: viable, and they give the point
    for point, x in zip(res.points, res.decisions, strict=True):
        fees = {k: float(v[0]) for k, v in problem.decode(x).items()}
        ev = evaluate(instance, **fees)
        assert bool(ev.feasible)
        assert [float(ev.objective(o)) for o in names] == pytest.approx(list(point), rel=1e-7)
    ws = weighted_sum_front(adapter.build_model(instance, names), names, points=6, options=options)
    assert _on_front(ws.points, front, rtol=1e-7)
    seeds = weighted_sum_front(adapter.build_model(instance, names), names, points=3, options=options,
                               decision=lambda m: adapter.decision_vector(instance, m))
    ga = nsga2_front(problem, pop_size=30, generations=25, seed=3, initial=list(seeds.decisions))
    assert _hv_ratio(ga.points, front, problem.senses) >= 0.98


def test_pricing_default_front_is_profit_vs_burden_on_the_lattice():
    """Default objectives (profit vs patient burden, t continuous): every sampled epsilon point
    is the lattice's best profit at its burden, found by enumeration of (f, e) with the smallest
    deposit t = burden - f (U rises with t, so the largest t the burden allows is best)."""
    from optmodels.pricing import pareto as adapter
    from optmodels.pricing.evaluate import evaluate, fee_lattice
    from optmodels.pricing.family import FAMILY
    from optmodels.pricing.instance import from_file as load

    instance = load(_shipped("pricing"))
    names = list(adapter.DEFAULT_OBJECTIVES)
    options = FAMILY.tuned(instance, SolveOptions(mip_rel_gap=0.0))
    res = epsilon_front(adapter.build_model(instance, names), names, points=9, options=options,
                        summary=adapter.decision_summary)
    assert len(res) >= 5
    f_axis, e_axis = fee_lattice(instance, "f"), fee_lattice(instance, "e")
    lo, hi = instance.lower_bounds()["t"], instance.upper_bounds()["t"]
    for (profit, burden), text in zip(res.points, res.summaries, strict=True):
        assert re.search(r"f=[\d.]+ e=[\d.]+ t=[\d.e-]+", text)
        f, e = np.meshgrid(f_axis, e_axis, indexing="ij")
        t = np.clip(burden - f, lo, hi)
        ok = (f + lo <= burden + 1e-9)
        ev = evaluate(instance, f, e, t)
        best = float(np.max(np.where(ok & ev.feasible, ev.U, -np.inf)))
        assert profit == pytest.approx(best, rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("family", ["equipment", "pricing", "siting"])
def test_family_fronts_contract(family, repo_dir):
    """Each family's front-end declarations hold together: the default objectives are among the
    ones a front may use, every one is in the family's objectives table, and the shipped
    multi-objective instance exists and loads."""
    from optmodels.registry import family as lookup

    fam = lookup(family)
    fronts = fam.fronts
    usable = fronts.objectives or tuple(fam.objectives)
    assert set(usable) <= set(fam.objectives)
    assert {fam.objectives[n].sense for n in usable} <= {"min", "max"}
    instance = fam.load(repo_dir / fronts.shipped)
    assert set(fronts.default_objectives(instance)) <= set(usable)
