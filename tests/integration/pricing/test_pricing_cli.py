"""The pricing commands end to end: solve (LP, elastic MILP, no viable fee, bad input), --out
files, the figures and the break-even printout; one real subprocess of the console script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from optmodels.cli import main


@pytest.fixture(scope="module")
def pricing_dir(instances_dir: Path) -> Path:
    return instances_dir / "pricing"


@pytest.mark.parametrize(
    ("name", "profit", "fees"),
    [
        ("seed_model1.yaml", 78.58053034450668, ["f = 2 ", "e = 2 "]),
        ("seed_model2.yaml", 306.1226712959035, ["f = 2 ", "e = 2 ", "t = 1 "]),
        ("seed_model3.yaml", 404.27810464748643, ["f = 2 ", "e = 2 ", "t = 1 ", "g = 2 "]),
    ],
)
def test_solve_prints_fees_stages_and_binding(pricing_dir: Path, capsys, name, profit, fees) -> None:
    code = main(["solve", str(pricing_dir / name)])
    out = capsys.readouterr().out
    assert code == 0
    assert f"expected profit U = {profit:.6f}" in out
    for text in fees:
        assert text in out
    for stage in ("s1", "s2", "s3", "s4"):
        assert f"  {stage} " in out
    assert "upper  cap f0 = 2 binds" in out
    assert "epsilon     1e-06" in out
    assert "viability U >= 0: slack" in out


def test_solve_elastic_with_out_files(pricing_dir: Path, tmp_path: Path, capsys) -> None:
    out_dir = tmp_path / "res"
    code = main(["solve", str(pricing_dir / "elastic_model2.yaml"), "--lattice-step", "0.05",
                 "--out", str(out_dir)])
    text = capsys.readouterr().out
    assert code == 0
    assert "MILP exact on the fee lattice, step 0.05" in text
    assert "interior lattice level" in text
    payload = json.loads((out_dir / "result.json").read_text())
    stages = pd.read_csv(out_dir / "stages.csv")
    fees = pd.read_csv(out_dir / "fees.csv")
    assert payload["termination"] == "optimal"
    assert payload["lattice_step"] == 0.05
    assert payload["expected_profit"] == pytest.approx(payload["objective"], rel=1e-9)
    assert stages["contribution"].sum() == pytest.approx(payload["expected_profit"], rel=1e-9)
    assert stages["probability"].sum() == pytest.approx(1.0)
    assert list(fees["fee"]) == ["f", "e", "t"]
    assert fees.set_index("fee").loc["t", "binding"] == "upper"


def test_solve_other_objective_and_variant(pricing_dir: Path, capsys) -> None:
    code = main(["solve", str(pricing_dir / "seed_model1.yaml"), "--objective", "patient_burden",
                 "--model", "model2"])
    out = capsys.readouterr().out
    assert code == 0
    assert "pricing model2: patient_burden (min)" in out
    assert "viability U >= 0: binds" in out
    assert main(["solve", str(pricing_dir / "seed_model1.yaml"), "--objective", "welfare"]) == 2
    assert "unknown pricing objective 'welfare'" in capsys.readouterr().err


def test_no_viable_fee_verdict(pricing_dir: Path, tmp_path: Path, capsys) -> None:
    code = main(["solve", str(pricing_dir / "no_viable_model1.yaml"), "--out", str(tmp_path / "o")])
    captured = capsys.readouterr()
    assert code == 1
    assert "no fee makes expected profit non-negative" in captured.err
    assert "best achievable expected profit -420.919" in captured.err
    payload = json.loads((tmp_path / "o" / "result.json").read_text())
    assert payload["best_profit"] == pytest.approx(-420.91946965549332, abs=1e-6)


def test_bad_instance_exit_2_nothing_written(pricing_dir: Path, tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text((pricing_dir / "seed_model2.yaml").read_text().replace("oM: 0.95", "oM: 0.5"))
    code = main(["solve", str(bad), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2
    assert "field 'oM': expected oM > cM" in err
    assert "found oM = 0.5, cM = 0.8" in err
    assert not (tmp_path / "o").exists()


def test_surface_writes_six_surfaces_and_comparison(pricing_dir: Path, tmp_path: Path, capsys) -> None:
    out_dir = tmp_path / "fig"
    assert main(["pricing", "surface", str(pricing_dir / "seed_model1.yaml"), "--out", str(out_dir),
                 "--points", "9"]) == 0
    names = sorted(p.name for p in out_dir.iterdir())
    expected = sorted([f"model{k}_{s}_surface.png" for k in (1, 2, 3) for s in ("mid", "late")]
                      + ["late_stage_comparison.png", "surfaces.csv"])
    assert names == expected
    for name in names:
        if name.endswith(".png"):
            assert (out_dir / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    grid = pd.read_csv(out_dir / "surfaces.csv")
    late1 = grid[(grid.model == "model1") & (grid.stage == "late") & (grid.f == 2) & (grid.e == 2)]
    assert float(late1["profit"].iloc[0]) == pytest.approx(240 - 134.5)  # 60*2 + 60*2 - 134.5


def test_breakeven_prints_both_numbers(pricing_dir: Path, tmp_path: Path, capsys) -> None:
    assert main(["pricing", "breakeven", str(pricing_dir / "seed_model1.yaml"), "--out", str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert "f + e > 2.2417   <- the suite's value" in out
    assert "2.3868" in out
    assert "why they differ" in out
    info = json.loads((tmp_path / "b" / "breakeven.json").read_text())
    assert info["late_stage_f_plus_e"] == pytest.approx(134.5 / 60)


def _console_script() -> list[str]:
    exe = Path(sys.executable).with_name("optmodels")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("optmodels")
    return [found] if found else [sys.executable, "-m", "optmodels"]


def test_console_script_exit_codes(pricing_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text((pricing_dir / "seed_model1.yaml").read_text().replace("f0: 2.0", "f0: 0.5"))
    cases = [(pricing_dir / "seed_model1.yaml", 0), (pricing_dir / "no_viable_model1.yaml", 1), (bad, 2)]
    for path, expected in cases:
        run = subprocess.run([*_console_script(), "solve", str(path)], capture_output=True, text=True, timeout=120)
        assert run.returncode == expected, run.stderr
        assert "Traceback" not in run.stderr
    assert "field 'f0': expected the cap f0 >= cM + epsilon" in run.stderr
