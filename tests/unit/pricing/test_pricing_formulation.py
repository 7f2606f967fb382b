"""The Pyomo formulation: LP optimum vs a fine grid of the evaluator, manifest optima re-checked by
the evaluator, the elastic MILP vs brute-force enumeration of the same lattice, named objectives,
the no-viable-fee case."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyomo.environ as pyo
import pytest

from optmodels.pricing.evaluate import brute_force, evaluate
from optmodels.pricing.formulation import OBJECTIVES, build, fee_values
from optmodels.pricing.instance import from_dict, from_file
from optmodels.pricing.solve import tune as tuned_options
from solvers import SolveOptions, Termination, solve


def _load(instances_dir: Path, name: str):
    return from_file(instances_dir / "pricing" / name)


@pytest.fixture(scope="module")
def manifest(instances_dir: Path) -> dict:
    return json.loads((instances_dir / "pricing" / "manifest.json").read_text())


@pytest.mark.parametrize("name", ["seed_model1.yaml", "seed_model2.yaml", "seed_model3.yaml"])
def test_lp_optimum_equals_grid_maximum(instances_dir: Path, name: str) -> None:
    inst = _load(instances_dir, name)
    model = build(inst)
    result = solve(model)
    assert result.is_optimal
    assert result.size["integers"] == 0
    lower, upper = inst.lower_bounds(), inst.upper_bounds()
    axes = [np.linspace(lower[fee], upper[fee], 21) for fee in inst.fees]
    grids = np.meshgrid(*axes, indexing="ij")
    ev = evaluate(inst, **dict(zip(inst.fees, grids, strict=False)))
    assert result.objective == pytest.approx(ev.U.max(), rel=1e-9)
    # and a grid point is never better than the LP
    assert ev.U.max() <= result.objective + 1e-9


@pytest.mark.parametrize("entry", range(4))
def test_manifest_optimum_and_evaluator_recheck(instances_dir: Path, manifest: dict, entry: int) -> None:
    item = manifest["instances"][entry]
    inst = _load(instances_dir, item["file"])
    step = None if not inst.elastic else 0.01
    model = build(inst, lattice_step=step)
    result = solve(model, tuned_options(inst, SolveOptions()))
    assert result.is_optimal
    assert result.objective == pytest.approx(item["known_optimum"], abs=item["tolerance"])
    fees = fee_values(model, inst)
    assert fees == pytest.approx(item["fees"], abs=1e-7)
    ev = evaluate(inst, **fees)
    assert bool(ev.feasible)
    assert float(ev.U) == pytest.approx(result.objective, rel=1e-9)


def test_lp_profit_sits_at_the_caps(instances_dir: Path) -> None:
    inst = _load(instances_dir, "seed_model3.yaml")
    model = build(inst)
    solve(model)
    assert fee_values(model, inst) == pytest.approx(inst.upper_bounds())


@pytest.mark.parametrize("variant", ["model1", "model2", "model3"])
@pytest.mark.parametrize("objective", list(OBJECTIVES))
def test_elastic_milp_equals_brute_force(instances_dir: Path, variant: str, objective: str) -> None:
    inst = _load(instances_dir, "elastic_model2.yaml").with_model(variant)
    step = 0.05
    model = build(inst, objective=objective, lattice_step=step)
    result = solve(model)
    assert result.is_optimal
    assert result.size["integers"] > 0
    bf = brute_force(inst, objective, step=step)
    assert result.objective == pytest.approx(bf["objective"], rel=1e-7, abs=1e-7)
    fees = fee_values(model, inst)
    ev = evaluate(inst, **fees)
    assert float(ev.U) >= -1e-6  # viable
    assert float(ev.objective(objective)) == pytest.approx(result.objective, rel=1e-7, abs=1e-7)
    assert float(ev.U) == pytest.approx(pyo.value(model.U), rel=1e-7, abs=1e-6)


def test_elastic_optimum_is_interior_and_lattice_relaxation_bounds(instances_dir: Path) -> None:
    inst = _load(instances_dir, "elastic_model2.yaml")
    mip = solve(build(inst, lattice_step=0.05))
    relaxed = solve(build(inst, lattice_step=0.05, relax=True))
    assert relaxed.objective >= mip.objective - 1e-7
    bf = brute_force(inst, step=0.05)
    assert inst.lower_bounds()["f"] < bf["f"] < inst.f0
    assert inst.lower_bounds()["e"] < bf["e"] < inst.e0


def test_objectives_are_named_components_only_one_active(instances_dir: Path) -> None:
    inst = _load(instances_dir, "seed_model2.yaml")
    for name in OBJECTIVES:
        model = build(inst, objective=name)
        active = [o.name for o in model.component_data_objects(pyo.Objective, active=True)]
        assert active == [name]
        assert {o.name for o in model.component_objects(pyo.Objective)} == set(OBJECTIVES)
        sense = pyo.maximize if OBJECTIVES[name].sense == "max" else pyo.minimize
        assert model.component(name).sense == sense
    with pytest.raises(ValueError, match="unknown objective"):
        build(inst, objective="welfare")


def test_patient_burden_lp_is_held_by_viability(instances_dir: Path) -> None:
    inst = _load(instances_dir, "seed_model2.yaml")
    model = build(inst, objective="patient_burden")
    result = solve(model)
    fees = fee_values(model, inst)
    ev = evaluate(inst, **fees)
    assert result.is_optimal
    assert float(ev.U) == pytest.approx(0.0, abs=1e-6)  # viability binds
    assert fees["f"] == pytest.approx(inst.lower_bounds()["f"])
    assert result.objective == pytest.approx(fees["f"] + fees["t"])


def test_participation_is_constant_without_elasticity(instances_dir: Path) -> None:
    inst = _load(instances_dir, "seed_model1.yaml")
    result = solve(build(inst, objective="participation"))
    assert result.objective == pytest.approx(120.0)


def test_no_viable_fee_is_infeasible_and_best_profit_known(instances_dir: Path, manifest: dict) -> None:
    inst = _load(instances_dir, "no_viable_model1.yaml")
    item = manifest["instances"][4]
    result = solve(build(inst))
    assert not result.has_solution
    assert result.termination is Termination.INFEASIBLE
    best = solve(build(inst, viability=False))
    assert best.objective == pytest.approx(item["best_profit"], abs=1e-6)
    assert brute_force(inst.model_copy(update={"alpha_M": 0.0}), step=0.1)["feasible"] is False


def test_viability_can_cut_the_elastic_lattice(instances_dir: Path) -> None:
    # with F raised so that only part of the lattice is viable, MILP and enumeration still agree
    base = _load(instances_dir, "elastic_model2.yaml").model_dump()
    inst = from_dict({**base, "F": 250.0})
    model = build(inst, objective="patient_burden", lattice_step=0.05)
    result = solve(model)
    bf = brute_force(inst, "patient_burden", step=0.05)
    assert result.is_optimal
    assert bf["feasible"]
    assert result.objective == pytest.approx(bf["objective"], rel=1e-7)
