"""The equipment CLI end to end: solve, outputs, exit codes, generate, analysis tools."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from optmodels.cli import main
from optmodels.equipment import EquipmentInstance, evaluate


def test_solve_prints_status_gini_and_writes_outputs(instances_dir, tmp_path, capsys):
    out = tmp_path / "res"
    code = main(["solve", str(instances_dir / "equipment" / "tiny_gini_lower.toml"), "--out", str(out)])
    text = capsys.readouterr().out
    assert code == 0
    assert "verdict     optimal" in text
    assert "66.97083076" in text
    assert "mean: " in text
    assert "inside band" in text
    assert "OUTSIDE" not in text
    payload = json.loads((out / "result.json").read_text())
    assert payload["termination"] == "optimal"
    assert payload["objective"] == pytest.approx(66.97083076095578)
    assert set(payload["timings"]) >= {"build", "handoff", "solve", "extract", "total"}
    assert payload["metrics"]["feasible_by_evaluator"] is True
    for name in ("plan.csv", "hospitals.csv", "regions.csv", "years.csv", "lorenz.png"):
        assert (out / name).stat().st_size > 0
    # The written plan, re-read and re-evaluated, reproduces the objective.
    inst = EquipmentInstance.from_file(instances_dir / "equipment" / "tiny_gini_lower.toml")
    plan = pd.read_csv(out / "plan.csv")
    d = inst.data
    x = pd.DataFrame(0.0, index=d.hospitals, columns=d.years)
    for row in plan.itertuples():
        x.loc[row.hospital, row.year] = 1.0
    assert evaluate(inst, x.to_numpy()).cost == pytest.approx(payload["objective"])
    years = pd.read_csv(out / "years.csv")
    assert years["gini"].mean() >= 0.1 - 1e-9


@pytest.mark.parametrize(("objective", "value"), [("utilisation", 35200.0), ("equity", 0.05215848965848966)])
def test_objective_override(instances_dir, capsys, objective, value):
    code = main(["solve", str(instances_dir / "equipment" / "tiny_cost.toml"), "--objective", objective])
    assert code == 0
    assert f"{value:.10g}"[:8] in capsys.readouterr().out


def test_infeasible_exits_1_with_a_verdict(tmp_path, instances_dir, capsys):
    text = (instances_dir / "equipment" / "tiny_cost.toml").read_text()
    # A band no plan can reach: every reachable plan has a mean Gini below 0.25.
    bad = tmp_path / "band.toml"
    bad.write_text(text.replace('gini = { lo = 0.05, hi = 0.3, mode = "mean" }', 'gini = { lo = 0.29, hi = 0.3, mode = "mean" }'))
    out = tmp_path / "res"
    code = main(["solve", str(bad), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 1
    assert "no solution: the model is infeasible" in captured.err
    assert json.loads((out / "result.json").read_text())["termination"] == "infeasible"


def test_bad_input_exits_2_and_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"family": "equipment", "years": [2026], "regions": []}))
    out = tmp_path / "res"
    assert main(["solve", str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "bad.json" in err
    assert "regions" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_usage_errors_exit_2(instances_dir, capsys):
    with pytest.raises(SystemExit) as info:
        main(["solve", str(instances_dir / "equipment" / "tiny_cost.toml"), "--time-limit", "-3"])
    assert info.value.code == 2
    assert main(["solve", str(instances_dir / "equipment" / "tiny_cost.toml"), "--objective", "happiness"]) == 2
    assert "happiness" in capsys.readouterr().err


def test_generate_is_deterministic_and_valid(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert main(["generate", "equipment", "--regions", "31", "--hospitals", "300", "--years", "5", "--seed", "7", "-o", str(a)]) == 0
    assert main(["generate", "equipment", "--regions", "31", "--hospitals", "300", "--years", "5", "--seed", "7", "-o", str(b)]) == 0
    assert a.read_text() == b.read_text()
    inst = EquipmentInstance.from_file(a)
    assert (inst.data.n_regions, inst.data.n_hospitals, inst.data.n_years) == (31, 300, 5)
    assert main(["validate", str(a)]) == 0


def test_analysis_commands(tmp_path, capsys):
    table = tmp_path / "alloc.csv"
    table.write_text("region,sets,population\nA,1,5\nB,3,5\n")
    assert main(["analyse", "gini", str(table)]) == 0
    out = capsys.readouterr().out
    assert "pairwise" in out
    assert "0.2500" in out
    assert main(["analyse", "queue", "--arrival-rate", "2", "--service-rate", "1", "--running-cost", "1", "--waiting-cost", "5"]) == 0
    out = capsys.readouterr().out
    assert "c* = 4" in out
    assert "0.4444" in out
    survey = tmp_path / "survey.csv"
    survey.write_text("indicator,count_1,count_2,count_3,count_4\nbeds,0,1,3,6\nstaff,2,4,4,0\n")
    assert main(["analyse", "weights", str(survey)]) == 0
    assert f"{3.5 / 5.7:.4f}" in capsys.readouterr().out


def test_console_script_no_traceback(tmp_path, instances_dir):
    """The installed entry point: exit codes and clean stderr for good and bad input."""
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"family = 'equipment'\nyears = [\n")
    run = lambda *a: subprocess.run([sys.executable, "-m", "optmodels", *a], capture_output=True, text=True)  # noqa: E731
    done = run("validate", str(instances_dir / "equipment" / "tiny_cost.toml"))
    assert done.returncode == 0
    assert "valid equipment instance" in done.stdout
    broken = run("solve", str(bad))
    assert broken.returncode == 2
    assert "invalid TOML" in broken.stderr
    assert "Traceback" not in broken.stderr
