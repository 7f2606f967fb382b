"""``optmodels`` on siting files, as contract.md describes the CLI: exit codes, files written and
one smoke line. What the answers are is tested on objects (test_siting_solve_api.py)."""

from __future__ import annotations

import json

import pytest

from optmodels.cli import main


def test_solve_writes_its_files_and_prints_the_status(instances_dir, tmp_path, capsys):
    out = tmp_path / "out"
    path = instances_dir / "siting" / "small" / "small_p_median_capacitated_multi.json"
    assert main(["solve", str(path), "--out", str(out)]) == 0
    assert "verdict     optimal" in capsys.readouterr().out
    for name in ("result.json", "sites.csv", "assignments.csv", "accessibility.csv", "map.png"):
        assert (out / name).stat().st_size > 0, name
    assert json.loads((out / "result.json").read_text())["verdict"] == "optimal"


def test_family_flags_reach_the_solve(instances_dir, tmp_path):
    path = instances_dir / "siting" / "small" / "small_p_median.json"
    out = tmp_path / "o"
    assert main(["solve", str(path), "--model", "p_center", "--formulation", "assignment",
                 "--budget", "none", "--out", str(out)]) == 0
    result = json.loads((out / "result.json").read_text())
    assert result["objective_name"] == "max_distance"
    assert result["model"] == "p_center"


def test_bad_input_exits_2_and_writes_nothing(tmp_path, instances_dir, capsys):
    doc = json.loads((instances_dir / "siting" / "small" / "small_p_median.json").read_text())
    doc["parameters"]["p"] = 99
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    assert main(["solve", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "parameters.p" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
    good = str(instances_dir / "siting" / "small" / "small_p_median.json")
    assert main(["solve", good, "--formulation", "radius", "--model", "p_center"]) == 2


def test_infeasible_exits_1(instances_dir, tmp_path, capsys):
    doc = json.loads((instances_dir / "siting" / "small" / "small_mclp_budget.json").read_text())
    doc["parameters"].update(budget=0.0, p=6)  # every site open costs more than nothing
    path = tmp_path / "inf.json"
    path.write_text(json.dumps(doc))
    assert main(["solve", str(path), "--out", str(tmp_path / "o")]) == 1
    assert json.loads((tmp_path / "o" / "result.json").read_text())["verdict"] == "infeasible"


def test_generate_then_validate(tmp_path, capsys):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    for path in (a, b):
        assert main(["generate", "siting", "--demand", "300", "--sites", "30", "--seed", "7",
                     "--existing", "3", "-o", str(path)]) == 0
    assert a.read_bytes() == b.read_bytes()
    assert main(["validate", str(a)]) == 0
    assert "300 demand points x 30 sites" in capsys.readouterr().out


def test_convert_orlib_then_solve(pmed_dir, tmp_path):
    out = tmp_path / "pmed4.json"
    assert main(["convert", "orlib-pmed", str(pmed_dir / "pmed4.txt"), "-o", str(out)]) == 0
    assert main(["solve", str(out), "--out", str(tmp_path / "o")]) == 0
    assert json.loads((tmp_path / "o" / "result.json").read_text())["objective"] == pytest.approx(3034, rel=1e-9)


@pytest.mark.parametrize("layout", ["province"])  # a city's radius leaves its outskirts uncovered
def test_a_generated_backup_coverage_file_finds_its_own_p(tmp_path, capsys, layout):
    """LSCP-B's p is the LSCP optimum: the generator leaves it out unless asked (a default p --
    existing + sites // 20 in a province -- was fewer sites than covering everyone takes, and the
    file an infeasible model), so the solve runs stage 1 for it."""
    import yaml

    path = tmp_path / "backup.yaml"
    assert main(["generate", "siting", "--layout", layout, "--demand", "400", "--sites", "60", "--model", "lscp_b",
                 "--seed", "1", "-o", str(path)]) == 0
    assert "p" not in yaml.safe_load(path.read_text())["parameters"]
    capsys.readouterr()
    assert main(["solve", str(path)]) == 0
    out = capsys.readouterr().out
    assert "stage 1: LSCP" in out
    assert "check       numpy re-evaluation: all constraints hold" in out
    assert main(["generate", "siting", "--layout", layout, "--demand", "400", "--sites", "60", "--model", "lscp_b",
                 "--p", "20", "-o", str(tmp_path / "given.yaml")]) == 0
    assert yaml.safe_load((tmp_path / "given.yaml").read_text())["parameters"]["p"] == 20
