"""The family's parameter flags (--budget, --cutoff, --capacitated, --assignment,
--cost-per-distance, --d0, --p, --radius): each solve with the flags matches brute force on the
instance changed the same way in Python, and a flag that breaks the instance is an input error."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from optmodels.errors import InstanceError, UsageError
from optmodels.siting.bruteforce import brute_force
from optmodels.siting.data.instance import load
from optmodels.siting.evaluate import evaluate

CASES = [
    # file, flags, the same change in Python
    ("small_mclp_budget.json", ["--budget", "2.5"], {"budget": 2.5}),
    ("small_mclp_budget.json", ["--budget", "none", "--p", "2"], {"budget": None, "p": 2}),
    ("small_mclp_budget.json", ["--radius", "2.5"], {"radius": 2.5}),
    ("small_p_median.json", ["--capacitated"], {"capacitated": True}),
    ("small_p_median_capacitated_multi.json", ["--cutoff", "5.75"], {"cutoff": 5.75}),
    ("small_p_median_capacitated_multi.json", ["--assignment", "single"], {"assignment": "single"}),
    ("small_p_median_capacitated_multi.json", ["--no-capacitated"], {"capacitated": False}),
    ("small_p_center.json", ["--p", "1"], {"p": 1}),  # only the existing hospital
    ("small_cflp_multi.json", ["--cost-per-distance", "0.05"], {"cost_per_distance": 0.05}),
]


@pytest.mark.parametrize(("file", "flags", "changes"), CASES, ids=[" ".join([c[0], *c[1]]) for c in CASES])
def test_override_matches_brute_force(file, flags, changes, instances_dir, solve_flags):
    path = instances_dir / "siting" / "small" / file
    base = load(path)
    changed = base.with_changes(**changes)
    known, _ = brute_force(changed)
    original, _ = brute_force(base)
    solution = solve_flags(path, flags)
    assert solution.result.objective == pytest.approx(known, rel=1e-6)
    # the override changed the answer (or the test could not tell it was applied) ...
    assert not np.isclose(known, original, rtol=1e-9), "pick an override that changes the optimum"
    # ... and the returned plan is feasible for the changed instance, by the numpy evaluator
    assert solution.instance.parameters == changed.parameters
    assert solution.evaluation.feasible, solution.evaluation.violations
    if not (changed.parameters.capacitated or changed.model == "cflp"):  # nearest-open plan
        ev = evaluate(changed, solution.decision.open)
        assert ev.feasible, ev.violations


def test_d0_and_access_method_override_the_accessibility(instances_dir, solve_flags):
    path = instances_dir / "siting" / "small" / "small_p_median.json"
    solution = solve_flags(path, ["--d0", "6", "--access-method", "g2sfca"])
    assert solution.metrics["access_measure"] == "G2SFCA d0=6"


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--cutoff", "0.5"], "cut-off"),  # a demand point then has no site at all
        (["--budget", "-1"], "--budget"),
        (["--cutoff", "zero"], "--cutoff"),
        (["--assignment", "both"], "--assignment"),
        (["--p", "0"], ">= 1"),
        (["--p", "7"], "parameters.p"),  # more than the 6 sites
        (["--model", "lscp", "--radius", "0.1"], "radius"),
    ],
)
def test_bad_override_is_an_input_error(flags, message, instances_dir, solve_flags):
    """Malformed values are refused by the flag's type (argparse: exit 2), values that make the
    instance invalid by its validation (InstanceError: exit 2), never later."""
    path = instances_dir / "siting" / "small" / "small_p_median.json"
    with pytest.raises((argparse.ArgumentError, InstanceError, UsageError)) as err:
        solve_flags(path, flags)
    assert message in str(err.value)


def test_capacitated_without_capacities_is_a_clear_error(instances_dir, solve_flags):
    with pytest.raises(InstanceError, match="capacity"):
        solve_flags(instances_dir / "siting" / "sf" / "sf_p_median.json", ["--capacitated"])
