"""Known optima: every tiny instance against brute-force enumeration, re-checked by the evaluator."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from optmodels.equipment import EquipmentInstance, evaluate, plan_from_model, solve_instance
from optmodels.equipment.formulation import build
from solvers import solve

TINY = ["tiny_cost.toml", "tiny_utilisation.toml", "tiny_equity.toml", "tiny_gini_lower.toml"]


def brute_force(instance: EquipmentInstance, objective: str) -> tuple[float, int]:
    """Best objective over every 0/1 plan that the evaluator finds feasible (and their count)."""
    d = instance.data
    best, count = np.inf, 0
    for bits in itertools.product((0, 1), repeat=d.n_hospitals * d.n_years):
        ev = evaluate(instance, np.array(bits, dtype=float).reshape(d.n_hospitals, d.n_years))
        if ev.feasible:
            count += 1
            best = min(best, ev.objective(objective))
    return best, count


@pytest.fixture(scope="module")
def manifest(instances_dir):
    data = json.loads((instances_dir / "equipment" / "manifest.json").read_text())
    return {e["file"]: e for e in data["instances"]}


@pytest.mark.parametrize("name", TINY)
def test_tiny_optimum_equals_brute_force(name, instances_dir, manifest):
    inst = EquipmentInstance.from_file(instances_dir / "equipment" / name)
    best, count = brute_force(inst, inst.objective)
    assert count > 0
    sol = solve_instance(inst)
    assert sol.result.is_optimal
    assert sol.result.objective == pytest.approx(best, rel=1e-7, abs=1e-9)
    assert sol.result.objective == pytest.approx(manifest[name]["optimum"], rel=manifest[name]["tolerance"])
    # Independent check: the evaluator finds the plan feasible and recomputes the objective.
    assert sol.evaluation.feasible, sol.evaluation.violations
    assert sol.evaluation.objective(inst.objective) == pytest.approx(sol.result.objective, rel=1e-7, abs=1e-9)


@pytest.mark.parametrize("mode", ["mean", "each_year"])
@pytest.mark.parametrize("lo", [0.08, 0.12])
def test_gini_lower_bound_binds_in_both_modes(instances_dir, mode, lo):
    raw = EquipmentInstance.from_file(instances_dir / "equipment" / "tiny_cost.toml").model_dump()
    raw["gini"] = {"lo": lo, "hi": 0.3, "mode": mode}
    inst = EquipmentInstance.model_validate(raw)
    best, _ = brute_force(inst, "cost")
    unconstrained = solve_instance(EquipmentInstance.model_validate({**raw, "gini": {"lo": None, "hi": 0.3, "mode": mode}}))
    assert best > unconstrained.result.objective + 1e-6  # the lower bound really binds
    for strategy in ("lazy", "full", "tight"):
        sol = solve_instance(inst, strategy=strategy)
        assert sol.result.objective == pytest.approx(best, rel=1e-7)
        assert sol.evaluation.feasible
        gini = sol.evaluation.gini
        if mode == "each_year":
            assert (gini >= lo - 1e-9).all()
        else:
            assert gini.mean() >= lo - 1e-9


def test_relaxation_bounds_the_milp(instances_dir):
    inst = EquipmentInstance.from_file(instances_dir / "equipment" / "tiny_gini_lower.toml")
    lp = solve(build(inst, relax=True))
    milp = solve_instance(inst, strategy="full")
    assert lp.is_optimal
    assert milp.result.is_optimal
    assert lp.objective <= milp.result.objective + 1e-7


def test_secant_epigraph_is_exact_at_integer_counts(instances_dir):
    """The MILP's waiting cost equals the exact Erlang-C waiting cost of its own plan."""
    inst = EquipmentInstance.from_file(instances_dir / "equipment" / "tiny_cost.toml")
    sol = solve_instance(inst)
    d = inst.data
    w = sol.result.values("w")
    milp_waiting = d.b * d.hours * float(w.sum())
    assert milp_waiting == pytest.approx(float(sol.evaluation.waiting.sum()), rel=1e-7)


def test_provincial_instance_solves_to_its_known_optimum(instances_dir, manifest):
    entry = manifest["provincial.json"]
    inst = EquipmentInstance.from_file(instances_dir / "equipment" / "provincial.json")
    sol = solve_instance(inst)
    assert sol.result.is_optimal
    assert sol.result.objective == pytest.approx(entry["optimum"], rel=entry["tolerance"])
    assert sol.evaluation.feasible
    assert sol.evaluation.cost == pytest.approx(sol.result.objective, rel=1e-7)
    d = inst.data
    assert d.gini_lo <= sol.evaluation.mean_gini <= d.gini_hi


@pytest.mark.parametrize(
    "extra",
    # Unconstrained, the cheapest plan buys all four sets in the first year (63.757): each cap
    # below forces a dearer plan, which brute force must confirm.
    [{"max_new_per_year": 2}, {"max_new_per_year": 3}, {"yearly_budget": [9.5, 3.5, 6.5]},
     {"max_new_per_year": 2, "yearly_budget": [9.5, 6.5, 9.9]}, {"max_new_per_year": 1}],
)
def test_optional_caps_match_brute_force(instances_dir, extra):
    raw = EquipmentInstance.from_file(instances_dir / "equipment" / "tiny_cost.toml").model_dump()
    raw.update(extra)
    inst = EquipmentInstance.model_validate(raw)
    best, count = brute_force(inst, "cost")
    sol = solve_instance(inst)
    if count == 0:  # one set a year cannot stabilise the queues in time: both must agree
        assert sol.result.termination.value == "infeasible"
        return
    assert sol.result.objective == pytest.approx(best, rel=1e-7)
    assert best > 63.75654517954058 + 1e-6  # the cap binds
    assert sol.evaluation.feasible
    if "max_new_per_year" in extra:
        assert sol.evaluation.x.sum(axis=0).max() <= extra["max_new_per_year"]


def test_band_binding_instance_solves_to_its_known_optimum(instances_dir, manifest):
    """district_band.json: the band-free optimum lies below the band, so the lower side binds."""
    entry = manifest["district_band.json"]
    inst = EquipmentInstance.from_file(instances_dir / "equipment" / "district_band.json")
    free = build(inst, gini="none")
    assert solve(free).objective < entry["optimum"] - 1e-3
    assert "gini_mean_lower" in evaluate(inst, plan_from_model(free)).violations
    sol = solve_instance(inst)
    assert sol.result.is_optimal
    assert sol.result.objective == pytest.approx(entry["optimum"], rel=entry["tolerance"])
    assert sol.evaluation.feasible
    assert sol.evaluation.mean_gini >= inst.data.gini_lo - 1e-9


def test_regional_band_instance_has_the_lower_side_binding(instances_dir, manifest):
    """regional_band.json (8 x 60 x 5): the band-free optimum lies below the manifest's optimum
    and outside the band, so the proof has to deal with the lower side."""
    entry = manifest["regional_band.json"]
    inst = EquipmentInstance.from_file(instances_dir / "equipment" / "regional_band.json")
    free = build(inst, gini="none")
    assert solve(free).objective < entry["optimum"] - 1.0
    assert "gini_mean_lower" in evaluate(inst, plan_from_model(free)).violations


@pytest.mark.slow
@pytest.mark.parametrize("gap", [None, 0.0])
def test_regional_band_instance_solves_to_its_known_optimum(instances_dir, manifest, gap):
    """The default solve (HiGHS's relative gap 1e-4) proves a plan within that gap of the optimum;
    with a zero gap it proves the optimum itself (each about a minute on 2 cores)."""
    from solvers import SolveOptions

    entry = manifest["regional_band.json"]
    inst = EquipmentInstance.from_file(instances_dir / "equipment" / "regional_band.json")
    sol = solve_instance(inst, options=SolveOptions(mip_rel_gap=gap))
    r = sol.result
    assert r.is_optimal
    assert sol.evaluation.feasible
    assert r.objective >= entry["optimum"] - 1e-6  # never below the proven optimum
    assert r.bound <= entry["optimum"] + 1e-6  # the bound is valid
    if gap == 0.0:
        assert r.objective == pytest.approx(entry["optimum"], rel=entry["tolerance"])
    else:
        assert r.objective <= entry["optimum"] * (1 + 1e-4) + 1e-9


def _shipped_plan(inst: EquipmentInstance, path) -> np.ndarray:
    """A plan table (one row per set added, as ``solution.to_files`` writes it) as x[k, j]."""
    import pandas as pd

    d = inst.data
    frame = pd.read_csv(path)
    row = {h: k for k, h in enumerate(d.hospitals)}
    col = {str(y): j for j, y in enumerate(d.years)}
    x = np.zeros((d.n_hospitals, d.n_years))
    x[[row[h] for h in frame["hospital"]], [col[str(y)] for y in frame["year"]]] = 1.0
    return x


def test_provincial_band_optimal_plan_is_feasible_at_the_optimum(instances_dir, manifest):
    """provincial_band.json (16 x 120 x 5): the proven optimal plan, shipped beside it, passes the
    evaluator at the manifest's cost and lies in the band where the band-free optimum does not,
    so the lower side binds. (The proof itself takes about 50 minutes: manifest, docs.)"""
    entry = manifest["provincial_band.json"]
    inst = EquipmentInstance.from_file(instances_dir / "equipment" / "provincial_band.json")
    ev = evaluate(inst, _shipped_plan(inst, instances_dir / "equipment" / entry["optimal_plan"]))
    assert ev.feasible
    assert ev.objective("cost") == pytest.approx(entry["optimum"], rel=entry["tolerance"])
    assert ev.mean_gini >= inst.data.gini_lo
    free = build(inst, gini="none")
    assert solve(free).objective < entry["optimum"] - 1.0
    assert "gini_mean_lower" in evaluate(inst, plan_from_model(free)).violations


def _assert_same_document(made, shipped, where: str = "") -> None:
    """``made`` equals ``shipped`` key for key and item for item, floats to a relative 1e-12.

    Not ``==`` on floats: the generator computes populations with the C library's ``pow``, whose
    last bit may differ between C libraries (glibc, macOS, musl); 1e-12 is four orders of
    magnitude above such a difference and far below anything a Gini to 1e-9 can see. Everything
    else (ids, counts, the band, the description) must match exactly.
    """
    if isinstance(shipped, float) and isinstance(made, float):
        assert made == pytest.approx(shipped, rel=1e-12, abs=0.0), where
    elif isinstance(shipped, dict) and isinstance(made, dict):
        assert made.keys() == shipped.keys(), where
        for key in shipped:
            _assert_same_document(made[key], shipped[key], f"{where}.{key}")
    elif isinstance(shipped, list) and isinstance(made, list):
        assert len(made) == len(shipped), where
        for k, (a, b) in enumerate(zip(made, shipped, strict=True)):
            _assert_same_document(a, b, f"{where}[{k}]")
    else:
        assert (type(made), made) == (type(shipped), shipped), where


@pytest.mark.parametrize(
    ("name", "args", "binding"),
    [("provincial.json", (16, 120, 5, 1), None), ("district_band.json", (6, 24, 3, 0), "lower"),
     ("regional_band.json", (8, 60, 5, 0), "lower"), ("provincial_band.json", (16, 120, 5, 1), "lower")],
)
def test_shipped_instances_are_what_the_generator_writes(instances_dir, name, args, binding):
    """The manifest gives each of these files as the output of ``optmodels generate``; a seed
    must keep reproducing it (the benchmark reads the shipped files, whose optima are proven)."""
    from optmodels.equipment.generate import generate

    shipped = json.loads((instances_dir / "equipment" / name).read_text())
    _assert_same_document(generate(*args, band_binding=binding), shipped)


def _avx512_features() -> list[str]:
    """The AVX-512 kernels this numpy may dispatch to (names differ between numpy 1.x and 2.x)."""
    try:
        from numpy._core import _multiarray_umath as umath
    except ImportError:  # numpy 1.x
        from numpy.core import _multiarray_umath as umath
    return [f for f in umath.__cpu_dispatch__ if f.startswith("AVX512") or f == "X86_V4"]


def test_generated_file_does_not_depend_on_numpy_simd_kernels():
    """The same seed writes the same file with numpy's AVX-512 kernels on and off (they differ
    from the C library's ``pow`` in the last bit; the generator's growth uses ``math.pow``).
    The files are compared as the JSON text ``optmodels generate`` writes: identity is the
    property, not closeness. On a CPU without AVX-512 both runs take the same kernels."""
    import os
    import subprocess
    import sys

    code = ("import json; from optmodels.equipment.generate import generate; "
            "print(json.dumps(generate(16, 120, 5, 1)))")
    runs = []
    for disabled in ([], _avx512_features()):
        env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": " ".join(disabled)}
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        runs.append(done.stdout)
    assert runs[0] == runs[1]


@pytest.mark.slow
def test_provincial_band_solve_is_consistent_with_the_optimum(instances_dir, manifest):
    """Two minutes of the default strategy: its plan passes the evaluator and is never below the
    proven optimum; its bound never exceeds it (either would be a bug)."""
    from solvers import SolveOptions

    entry = manifest["provincial_band.json"]
    inst = EquipmentInstance.from_file(instances_dir / "equipment" / "provincial_band.json")
    sol = solve_instance(inst, options=SolveOptions(time_limit=120))
    r = sol.result
    assert r.has_solution
    assert sol.evaluation.feasible
    assert r.objective >= entry["optimum"] - 1e-6
    assert r.bound <= entry["optimum"] + 1e-6
