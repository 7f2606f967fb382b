"""The siting Family object: every flag reaches the instance field it names, generate flags are
the generator's keywords, objectives and model specs agree, and listing the family is light."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from optmodels.errors import InstanceError
from optmodels.siting.family import FAMILY
from optmodels.siting.models import EQUITY_OBJECTIVES, MODEL_SPECS, OBJECTIVES

#: a value for each instance flag and where it must land
SAMPLES = {
    "model": (["--model", "p_center"], lambda i: i.model, "p_center"),
    "p": (["--p", "2"], lambda i: i.parameters.p, 2),
    "radius": (["--radius", "7.5"], lambda i: i.parameters.radius, 7.5),
    "budget": (["--budget", "4"], lambda i: i.parameters.budget, 4.0),
    "cutoff": (["--cutoff", "9"], lambda i: i.parameters.cutoff, 9.0),
    "capacitated": (["--no-capacitated"], lambda i: i.parameters.capacitated, False),
    "assignment": (["--assignment", "single"], lambda i: i.parameters.assignment, "single"),
    "cost_per_distance": (["--cost-per-distance", "0.5"], lambda i: i.parameters.cost_per_distance, 0.5),
    "access_d0": (["--d0", "3"], lambda i: i.access.d0, 3.0),
    "access_method": (["--access-method", "g2sfca"], lambda i: i.access.method, "g2sfca"),
}


def _parse(flags, argv):
    parser = argparse.ArgumentParser(exit_on_error=False)
    for flag in flags:
        flag.add_to(parser)
    return parser.parse_args(argv)


def test_every_instance_flag_is_sampled():
    assert {f.key for f in FAMILY.flags if f.target == "instance"} == set(SAMPLES)
    assert {f.key for f in FAMILY.flags if f.target == "solve"} == {"formulation", "scheduler"}


@pytest.mark.parametrize("key", sorted(SAMPLES))
def test_instance_flag_lands_on_its_field(key, instances_dir):
    argv, read, want = SAMPLES[key]
    base = FAMILY.load(instances_dir / "siting" / "small" / "small_p_median_capacitated_multi.json")
    args = _parse(FAMILY.flags, argv)
    changes = {f.key: getattr(args, f.key) for f in FAMILY.flags
               if f.target == "instance" and getattr(args, f.key) is not None}
    assert read(FAMILY.override(base, changes)) == want
    assert read(base) != want  # the sample changes something


def test_override_clears_with_none_and_revalidates(instances_dir):
    base = FAMILY.load(instances_dir / "siting" / "small" / "small_mclp_budget.json")
    assert base.parameters.budget is not None
    cleared = FAMILY.override(base, {"budget": "none", "p": 2})
    assert (cleared.parameters.budget, cleared.parameters.p) == (None, 2)
    with pytest.raises(InstanceError, match="parameters.p"):
        FAMILY.override(base, {"p": 99})


def test_generate_flags_are_the_generators_keywords(tmp_path):
    args = _parse(FAMILY.generate_flags, ["--demand", "40", "--sites", "6", "--seed", "2", "--budget", "3"])
    doc = FAMILY.generate(**{f.key: getattr(args, f.key) for f in FAMILY.generate_flags})
    inst = FAMILY.from_document(doc, tmp_path / "g.json")
    assert (inst.n_demand, inst.n_sites, inst.parameters.budget) == (40, 6, 3.0)
    # same arguments, same document
    assert FAMILY.generate(**{f.key: getattr(args, f.key) for f in FAMILY.generate_flags}) == doc


def test_objectives_and_model_specs_agree():
    for name, spec in MODEL_SPECS.items():
        assert spec.native in OBJECTIVES, name
        assert (spec.native in EQUITY_OBJECTIVES) == spec.equity
    assert all(o.sense in ("min", "max") and o.label for o in OBJECTIVES.values())


def test_default_objective_is_the_models_own(instances_dir):
    inst = FAMILY.load(instances_dir / "siting" / "small" / "small_mclp.json")
    assert FAMILY.default_objective(inst) == "coverage"
    assert FAMILY.objective(None, inst).sense == "max"


def test_listing_the_family_does_not_import_pyomo():
    code = "import sys, optmodels.siting.family; print('pyomo' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
