"""The pricing family through the CLI: exit codes, the files written, one smoke line each. The
numbers themselves are tested through the Python API (tests/unit/pricing/test_pricing_solve.py)."""

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


def test_solve_lp_exit_0_and_smoke_line(pricing_dir: Path, capsys) -> None:
    assert main(["solve", str(pricing_dir / "seed_model2.yaml")]) == 0
    assert "expected profit U = 306.122671" in capsys.readouterr().out


def test_solve_elastic_with_family_flags_writes_files(pricing_dir: Path, tmp_path: Path, capsys) -> None:
    out_dir = tmp_path / "res"
    code = main(["solve", str(pricing_dir / "elastic_model2.yaml"), "--lattice-step", "0.05",
                 "--model", "model3", "--objective", "patient_burden", "--out", str(out_dir)])
    assert code == 0
    assert "step 0.05" in capsys.readouterr().out
    assert sorted(p.name for p in out_dir.iterdir()) == ["fees.csv", "result.json", "stages.csv"]
    payload = json.loads((out_dir / "result.json").read_text())
    assert payload["verdict"] == "optimal"
    assert payload["objective_name"] == "patient_burden"
    assert payload["lattice_step"] == 0.05
    assert list(pd.read_csv(out_dir / "fees.csv")["fee"]) == ["f", "e", "t", "g"]
    assert pd.read_csv(out_dir / "stages.csv")["probability"].sum() == pytest.approx(1.0)


def test_bad_flag_values_exit_2(pricing_dir: Path, capsys) -> None:
    file = str(pricing_dir / "elastic_model2.yaml")
    assert main(["solve", file, "--objective", "welfare"]) == 2
    assert "welfare" in capsys.readouterr().err
    for bad in ("0", "-1", "nan", "inf", "x"):
        with pytest.raises(SystemExit) as exit_:
            main(["solve", file, "--lattice-step", bad])
        assert exit_.value.code == 2
    with pytest.raises(SystemExit) as exit_:
        main(["solve", file, "--model", "model9"])
    assert exit_.value.code == 2


def test_no_viable_fee_exit_1_and_verdict_file(pricing_dir: Path, tmp_path: Path, capsys) -> None:
    code = main(["solve", str(pricing_dir / "no_viable_model1.yaml"), "--out", str(tmp_path / "o")])
    assert code == 1
    assert "no fee makes expected profit non-negative" in capsys.readouterr().err
    payload = json.loads((tmp_path / "o" / "result.json").read_text())
    assert payload["verdict"] == "no_viable_fee"
    assert payload["best_profit"] == pytest.approx(-420.91946965549332, abs=1e-6)


def test_bad_instance_exit_2_nothing_written(pricing_dir: Path, tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text((pricing_dir / "seed_model2.yaml").read_text().replace("oM: 0.95", "oM: 0.5"))
    assert main(["solve", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "field 'oM': expected oM > cM" in capsys.readouterr().err
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
    with pytest.raises(SystemExit) as exit_:
        main(["pricing", "surface", str(pricing_dir / "seed_model1.yaml"), "--out", str(out_dir), "--points", "2"])
    assert exit_.value.code == 2


def test_breakeven_exit_0_and_files(pricing_dir: Path, tmp_path: Path, capsys) -> None:
    assert main(["pricing", "breakeven", str(pricing_dir / "seed_model1.yaml"), "--out", str(tmp_path / "b")]) == 0
    assert "2.2417" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["breakeven.json", "breakeven.png"]


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
