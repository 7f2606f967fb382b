"""The family's one call, solve_pricing / FAMILY.solve: manifest optima, every returned fee re-checked
by the numpy evaluator, the no-viable-fee verdict, the Family's flags and files, the doc example."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from scipy import stats

from optmodels.errors import UsageError
from optmodels.pricing.evaluate import brute_force, evaluate
from optmodels.pricing.family import FAMILY
from optmodels.pricing.instance import OBJECTIVES, from_file
from optmodels.pricing.solve import NO_VIABLE_FEE, solve_pricing
from solvers import SolveOptions


@pytest.fixture(scope="module")
def manifest(instances_dir: Path) -> dict:
    return json.loads((instances_dir / "pricing" / "manifest.json").read_text())


def _check_fees(instance, solution) -> None:
    """The returned fees, independently: inside every bound exactly (the strict ones as
    ``>= bound + epsilon``), viable, and the evaluator's objective equals the reported one."""
    fees = solution.decision
    assert set(fees) == set(instance.fees)
    lower, upper = instance.lower_bounds(), instance.upper_bounds()
    for fee, value in fees.items():
        assert lower[fee] <= value <= upper[fee], (fee, value)
    ev = evaluate(instance, **fees)
    assert bool(ev.feasible)
    assert float(ev.U) >= -1e-9
    assert float(ev.objective(solution.objective_name)) == pytest.approx(solution.objective_value, rel=1e-7, abs=1e-7)


@pytest.mark.parametrize("entry", [0, 1, 2, 3, 5])
def test_manifest_optimum_through_the_python_api(instances_dir: Path, manifest: dict, entry: int) -> None:
    item = manifest["instances"][entry]
    instance = from_file(instances_dir / "pricing" / item["file"])
    solution = solve_pricing(instance)
    assert solution.result.is_optimal
    assert solution.has_solution
    assert solution.objective_name == "profit"
    assert solution.sense == "max"
    assert solution.objective_value == pytest.approx(item["known_optimum"], abs=item["tolerance"])
    assert solution.decision == pytest.approx(item["fees"], abs=1e-7)
    _check_fees(instance, solution)
    assert solution.metrics["expected_profit"] == pytest.approx(item["known_optimum"], abs=1e-6)
    assert solution.metrics["viable"] is True
    assert solution.tables["stages"]["contribution"].sum() == pytest.approx(item["known_optimum"], abs=1e-6)
    assert list(solution.tables["fees"]["fee"]) == list(instance.fees)


@pytest.mark.parametrize("method", ["enumerate", "milp"])
@pytest.mark.parametrize("objective", list(OBJECTIVES))
@pytest.mark.parametrize("variant", ["model1", "model2", "model3"])
def test_every_objective_and_variant_equals_enumeration(instances_dir: Path, objective: str, variant: str,
                                                        method: str) -> None:
    instance = from_file(instances_dir / "pricing" / "elastic_model2.yaml").with_model(variant)
    solution = FAMILY.solve(instance, FAMILY.tuned(instance, None), objective=objective, lattice_step=0.05,
                            method=method)
    assert solution.result.is_optimal
    assert solution.extra["method"] == method
    bf = brute_force(instance, objective, step=0.05)
    assert solution.objective_value == pytest.approx(bf["objective"], rel=1e-7, abs=1e-7)
    assert solution.sense == OBJECTIVES[objective].sense
    _check_fees(instance, solution)


def test_no_viable_fee_verdict(instances_dir: Path, manifest: dict) -> None:
    item = manifest["instances"][4]
    instance = from_file(instances_dir / "pricing" / "no_viable_model1.yaml")
    solution = solve_pricing(instance)
    assert not solution.has_solution
    assert solution.verdict.startswith(NO_VIABLE_FEE)
    assert "-420.919" in solution.verdict
    assert solution.extra["verdict_code"] == "no_viable_fee"
    assert solution.extra["best_profit"] == pytest.approx(item["best_profit"], abs=item["tolerance"])
    best = solution.extra["best_fees"]
    assert best == pytest.approx({"f": 2.0, "e": 2.0})
    assert float(evaluate(instance, **best).U) == pytest.approx(item["best_profit"], abs=1e-6)
    payload = solution.payload()
    assert payload["verdict"] == "no_viable_fee"
    assert payload["best_profit"] == pytest.approx(item["best_profit"], abs=1e-6)
    assert solution.metrics == {}
    assert solution.tables == {}


def test_no_viable_fee_for_other_objectives_too(instances_dir: Path) -> None:
    instance = from_file(instances_dir / "pricing" / "no_viable_model1.yaml")
    solution = solve_pricing(instance, objective="patient_burden")
    assert solution.extra["verdict_code"] == "no_viable_fee"
    assert solution.objective_name == "patient_burden"


def test_bad_choices_are_usage_errors(instances_dir: Path) -> None:
    instance = from_file(instances_dir / "pricing" / "elastic_model2.yaml")
    with pytest.raises(UsageError, match="objective='welfare' .*expected one of profit, patient_burden, participation"):
        solve_pricing(instance, objective="welfare")
    for bad in (0.0, -0.1, float("nan"), float("inf")):
        with pytest.raises(UsageError, match=r"\(--lattice-step\): expected a finite number > 0"):
            solve_pricing(instance, lattice_step=bad)


def test_tune_turns_presolve_off_only_for_the_lattice(instances_dir: Path) -> None:
    lp = from_file(instances_dir / "pricing" / "seed_model1.yaml")
    milp = from_file(instances_dir / "pricing" / "elastic_model2.yaml")
    assert FAMILY.tuned(lp, None).solver_options == {}
    assert FAMILY.tuned(milp, None).solver_options == {"presolve": "off"}
    kept = FAMILY.tuned(milp, SolveOptions(solver_options={"presolve": "on"}))
    assert kept.solver_options == {"presolve": "on"}


def test_model_flag_overrides_the_variant(instances_dir: Path) -> None:
    instance = FAMILY.load(instances_dir / "pricing" / "seed_model1.yaml")
    assert FAMILY.override(instance, {}) is instance
    model3 = FAMILY.override(instance, {"model": "model3"})
    assert model3.fees == ("f", "e", "t", "g")
    solution = FAMILY.solve(model3)
    assert solution.objective_value == pytest.approx(404.27810464748643, abs=1e-6)
    flags = {flag.key: flag for flag in FAMILY.flags}
    assert flags["model"].target == "instance"
    assert flags["lattice_step"].target == "solve"


def test_family_tables_and_objectives(instances_dir: Path, tmp_path: Path) -> None:
    assert list(FAMILY.objectives) == ["profit", "patient_burden", "participation"]
    assert FAMILY.objective(None, object()).name == "profit"
    instance = FAMILY.load(instances_dir / "pricing" / "seed_model2.yaml")
    assert "model2, fees f, e, t" in FAMILY.describe(instance)
    solution = FAMILY.solve(instance)
    ev = FAMILY.evaluate(instance, solution.decision)
    assert float(ev.U) == pytest.approx(solution.objective_value, rel=1e-12)
    written = solution.to_files(tmp_path / "out")
    assert sorted(written) == ["fees.csv", "result.json", "stages.csv"]
    payload = json.loads((tmp_path / "out" / "result.json").read_text())
    assert payload["verdict"] == "optimal"
    assert payload["metrics"]["t"] == pytest.approx(1.0)
    assert payload["fees"] == pytest.approx({"f": 2.0, "e": 2.0, "t": 1.0})
    assert [c.path for c in FAMILY.commands] == [("pricing", "surface"), ("pricing", "breakeven")]


def test_doc_example_runs(repo_dir: Path, monkeypatch) -> None:
    """The first Python block of docs/pricing.md runs as written (from the repository root)."""
    text = (repo_dir / "docs" / "pricing.md").read_text()
    block = re.search(r"```python\n(.*?)```", text, re.S)
    assert block is not None, "docs/pricing.md must open with a ```python example"
    monkeypatch.chdir(repo_dir)
    namespace: dict = {}
    exec(compile(block.group(1), "docs/pricing.md", "exec"), namespace)  # noqa: S102
    solution = namespace["solution"]
    assert solution.has_solution
    assert solution.objective_value == pytest.approx(306.1226712959035, abs=1e-6)


def _variant(instances_dir: Path, name: str, **changes):
    from optmodels.pricing.instance import from_dict

    return from_dict({**from_file(instances_dir / "pricing" / name).model_dump(), **changes})


_NO_MASS_ABOVE_50 = {"kind": "pmf", "counts": [40, 50], "probabilities": [0.5, 0.5]}


@pytest.mark.parametrize(
    ("name", "changes", "flat"),
    [
        ("seed_model3.yaml", {"theta": 0.0}, ["g"]),  # sharing revenue theta g ENs ES = 0
        ("seed_model3.yaml", {"ENs": 0.0}, ["g"]),
        ("elastic_model2.yaml", {"model": "model3", "theta": 0.0}, ["g"]),  # the lattice MILP
        # no patient mass above M0: f and t (both paid only once M > M0) have slope 0
        ("seed_model2.yaml", {"lam_M": None, "dist_M": _NO_MASS_ABOVE_50, "R": 0.0, "EQ": 40.0}, ["f", "t"]),
    ],
)
def test_zero_slope_fee_is_reported_at_its_cap(instances_dir: Path, name: str, changes: dict, flat: list) -> None:
    instance = _variant(instances_dir, name, **changes)
    solution = solve_pricing(instance, lattice_step=0.1)
    assert solution.result.is_optimal
    for fee in flat:
        assert solution.decision[fee] == instance.upper_bounds()[fee]
        assert any(note.startswith(f"{fee} does not change expected profit") for note in solution.notes)
    _check_fees(instance, solution)
    assert "reported at its cap" in solution.summary()


@pytest.mark.parametrize(
    ("changes", "best"),
    [
        # EQ = 0: the deposit earns nothing, profit at the caps is 306.12 - 321.23 (the deposit's
        # share, t0 EQ EP P(M>M0) at EQ = 45) < 0, and t is indifferent
        ({"EQ": 0.0}, 306.1226712959035 - 45 * 8 * (1 - stats.poisson.cdf(50, 60))),
        # no mass above either threshold: U is the constant -(cM+R)E[M] - cN E[N] - F
        ({"lam_M": None, "lam_N": None, "dist_M": _NO_MASS_ABOVE_50, "dist_N": _NO_MASS_ABOVE_50,
          "EQ": 10.0, "EP": 8.0, "ENs": 10.0, "ES": 10.0}, -(0.8 + 1) * 45 - 0.6 * 45 - 0.5),
    ],
)
def test_zero_slope_without_viable_fee_gives_the_verdict(instances_dir: Path, changes: dict, best: float) -> None:
    instance = _variant(instances_dir, "seed_model2.yaml", **changes)
    for objective in OBJECTIVES:
        solution = solve_pricing(instance, objective=objective)
        assert not solution.has_solution
        assert solution.extra["verdict_code"] == "no_viable_fee"
        assert solution.extra["best_profit"] == pytest.approx(best, abs=1e-6)
        fees = solution.extra["best_fees"]
        assert fees["t"] == instance.t0
        assert float(evaluate(instance, **fees).U) == pytest.approx(best, abs=1e-6)


@pytest.mark.parametrize("method", ["milp", "enumerate"])
@pytest.mark.parametrize("step", [0.1, 0.01])
def test_strict_bound_t_positive_holds_in_returned_fees(instances_dir: Path, step: float, method: str) -> None:
    """Model 3 with a large sharing share: the patient burden is lowest with the deposit at its
    strict bound t > 0 (t >= epsilon). The MILP returned t = 0.0 (epsilon = HiGHS's tolerance)."""
    instance = _variant(instances_dir, "elastic_model2.yaml", model="model3", theta=0.5)
    solution = solve_pricing(instance, objective="patient_burden", lattice_step=step, method=method)
    assert solution.result.is_optimal
    fees = solution.decision
    assert fees["t"] == instance.epsilon
    assert solution.objective_value == fees["f"] + fees["t"]
    _check_fees(instance, solution)
    assert solution.tables["fees"].set_index("fee").loc["t", "binding"] == "lower"
    bf = brute_force(instance, "patient_burden", step=step)
    assert solution.objective_value == pytest.approx(bf["objective"], rel=1e-9)


def test_lattice_is_enumerated_by_default_and_agrees_with_the_milp(instances_dir: Path) -> None:
    """One objective on the lattice: enumeration (exact, closed-form t and g at each pair) is the
    default; the MILP gives the same optimum; the manifest's optimum and fees are reproduced."""
    instance = from_file(instances_dir / "pricing" / "elastic_model2.yaml")
    auto = solve_pricing(instance)
    assert auto.extra["method"] == "enumerate"
    assert auto.result.solver == "enumeration"
    assert auto.result.size["pairs"] == 105 * 120
    assert auto.result.is_optimal
    assert auto.objective_value == pytest.approx(254.42001709512795, abs=1e-9)
    assert auto.decision == pytest.approx({"f": 1.25, "e": 1.76, "t": 1.0})
    milp = solve_pricing(instance, method="milp")
    assert milp.extra["method"] == "milp"
    assert milp.result.size["integers"] == 105 + 120
    assert milp.objective_value == pytest.approx(auto.objective_value, rel=1e-9)
    assert solve_pricing(from_file(instances_dir / "pricing" / "seed_model1.yaml")).extra["method"] == "lp"
    with pytest.raises(UsageError, match=r"method=.* \(--lattice-method\): expected one of auto, enumerate, milp"):
        solve_pricing(instance, method="simplex")


def test_enumeration_stops_at_the_time_limit_with_its_incumbent(instances_dir: Path) -> None:
    instance = from_file(instances_dir / "pricing" / "elastic_model2.yaml")
    solution = solve_pricing(instance, SolveOptions(time_limit=1e-3), lattice_step=0.0005)  # 5M pairs
    assert solution.result.termination.value == "time_limit"
    assert solution.has_solution
    assert not solution.result.is_optimal
    assert solution.result.bound is None
    assert solution.result.size["enumerated"] < solution.result.size["pairs"] == 2100 * 2400
    _check_fees(instance, solution)


def test_no_viable_fee_on_the_lattice(instances_dir: Path) -> None:
    instance = _variant(instances_dir, "elastic_model2.yaml", F=500.0)
    bf = brute_force(instance, step=0.05, viability=False)
    for method in ("enumerate", "milp"):
        solution = solve_pricing(instance, lattice_step=0.05, method=method)
        assert solution.extra["verdict_code"] == "no_viable_fee"
        assert solution.extra["best_profit"] == pytest.approx(bf["U"], rel=1e-9)


def test_lattice_size_is_bounded_before_building(instances_dir: Path, tmp_path: Path) -> None:
    """A step of 1e-9 would mean ~1e9 levels per fee (8 GB for one axis): refused at validation
    with the size it would have, and as a solve choice before any array is built."""
    from optmodels.errors import InstanceError
    from optmodels.pricing.instance import LATTICE_MAX_PAIRS, MILP_MAX_PAIRS

    text = (instances_dir / "pricing" / "elastic_model2.yaml").read_text()
    bad = tmp_path / "fine.yaml"
    bad.write_text(text.replace("lattice_step: 0.01", "lattice_step: 1.0e-9"))
    with pytest.raises(InstanceError, match=r"fine.yaml.*'lattice_step'.*1,049,999,\d{3} levels of f x 1,199,999,\d{3} of e = 1.26e\+18"):
        FAMILY.load(bad)
    # without elasticity there is no lattice, and the step is not used
    flat = text.replace("lattice_step: 0.01", "lattice_step: 1.0e-9").replace("alpha_M: 0.2", "alpha_M: 0")
    (tmp_path / "flat.yaml").write_text(flat.replace("alpha_N: 0.2", "alpha_N: 0"))
    assert not FAMILY.load(tmp_path / "flat.yaml").elastic
    instance = from_file(instances_dir / "pricing" / "elastic_model2.yaml")
    with pytest.raises(UsageError, match=r"lattice_step=1e-07 \(--lattice-step\): step 1e-07 gives .* fee pairs; the fee lattice takes at most"):
        solve_pricing(instance, lattice_step=1e-7)
    assert instance.lattice_pairs(0.0005) <= LATTICE_MAX_PAIRS
    with pytest.raises(UsageError, match=r"the lattice MILP \(one column per pair\) takes at most 200,000"):
        solve_pricing(instance, lattice_step=0.0005, method="milp")
    assert MILP_MAX_PAIRS == 200_000
    # the suggested step fits
    with pytest.raises(UsageError) as err:
        solve_pricing(instance, lattice_step=1e-5)
    smallest = float(re.search(r"a step of at least ([0-9.e-]+)", str(err.value)).group(1))
    assert instance.lattice_pairs(smallest) <= LATTICE_MAX_PAIRS


def test_volumes_are_checked_at_the_solution(instances_dir: Path) -> None:
    """EQ = 70 <= E[M] = 80 at fee 0 passes validation, but the optimum f* = 1.1 has
    E[M](f*) = 80 exp(-0.22) = 64.2 < EQ: reported in a note and a metric, not hidden."""
    import math

    instance = _variant(instances_dir, "elastic_model2.yaml", EQ=70.0)
    solution = solve_pricing(instance)
    f = solution.decision["f"]
    em = 80 * math.exp(-0.2 * f)
    assert em < 70
    assert solution.metrics["volumes_within_participation"] is False
    assert any(f"EQ = 70 > E[M](f) = {em:.6g}" in note for note in solution.notes)
    shipped = solve_pricing(from_file(instances_dir / "pricing" / "elastic_model2.yaml"))
    assert shipped.metrics["volumes_within_participation"] is True
    assert not any("volumes exceed" in note for note in shipped.notes)
