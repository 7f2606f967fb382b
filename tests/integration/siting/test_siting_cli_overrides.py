"""CLI parameter overrides (--budget, --cutoff, --capacitated, --assignment, --cost-per-distance,
--d0, --p, --radius): each solve from the command line matches brute force on the instance
changed the same way in Python, and an override that breaks the instance exits 2."""

from __future__ import annotations

import json

import numpy as np
import pytest

from optmodels.cli import main
from optmodels.siting.bruteforce import brute_force
from optmodels.siting.evaluate import evaluate
from optmodels.siting.instance import load

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
def test_override_matches_brute_force(file, flags, changes, instances_dir, tmp_path, capsys):
    path = instances_dir / "siting" / "small" / file
    base = load(path)
    changed = base.with_changes(**changes)
    known, _ = brute_force(changed)
    original, _ = brute_force(base)
    out = tmp_path / "out"
    assert main(["solve", str(path), *flags, "--out", str(out)]) == 0
    capsys.readouterr()
    result = json.loads((out / "result.json").read_text())
    assert result["objective"] == pytest.approx(known, rel=1e-6)
    # the override changed the answer (or the test could not tell it was applied) ...
    assert not np.isclose(known, original, rtol=1e-9), "pick an override that changes the optimum"
    # ... and the returned plan is feasible for the changed instance, by the numpy evaluator
    y = np.isin(changed.site_ids, result["open_sites"])
    ev = evaluate(changed, y) if not (changed.parameters.capacitated or changed.model == "cflp") else None
    if ev is not None:
        assert ev.feasible, ev.violations


def test_d0_and_access_method_override_the_accessibility_line(instances_dir, capsys):
    path = instances_dir / "siting" / "small" / "small_p_median.json"
    assert main(["solve", str(path), "--d0", "6", "--access-method", "g2sfca"]) == 0
    assert "access      G2SFCA d0=6" in capsys.readouterr().out


def _exit_code(argv: list[str]) -> int:
    """``main``'s return code, or argparse's exit code for a malformed flag."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--cutoff", "0.5"], "cut-off"),  # a demand point then has no site at all
        (["--budget", "-1"], "--budget"),
        (["--cutoff", "zero"], "--cutoff"),
        (["--assignment", "both"], "--assignment"),
        (["--p", "0"], "parameters.p"),
        (["--model", "lscp", "--radius", "0.1"], "radius"),
    ],
)
def test_bad_override_exits_2_without_traceback(flags, message, instances_dir, tmp_path, capsys):
    path = instances_dir / "siting" / "small" / "small_p_median.json"
    assert _exit_code(["solve", str(path), *flags, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_capacitated_without_capacities_is_a_clear_error(instances_dir, capsys):
    assert main(["solve", str(instances_dir / "siting" / "sf" / "sf_p_median.json"), "--capacitated"]) == 2
    err = capsys.readouterr().err
    assert "capacity" in err
    assert "Traceback" not in err
