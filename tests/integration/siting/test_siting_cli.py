"""The siting CLI: solve (model from the file or --model), --out files, bad input, time limits,
generate (deterministic per seed) and convert orlib-pmed."""

from __future__ import annotations

import json

import pytest

from optmodels.cli import main


def test_solve_small_writes_everything(instances_dir, tmp_path, capsys):
    manifest = json.loads((instances_dir / "siting" / "manifest.json").read_text())
    entry = next(e for e in manifest["instances"] if e["file"] == "small/small_p_median_capacitated_multi.json")
    out = tmp_path / "out"
    rc = main(["solve", str(instances_dir / "siting" / entry["file"]), "--out", str(out)])
    text = capsys.readouterr().out
    assert rc == 0
    assert "status      optimal" in text
    assert "all constraints hold" in text
    assert "access      2SFCA d0=4" in text
    assert "before      existing sites only" in text
    result = json.loads((out / "result.json").read_text())
    assert result["objective"] == pytest.approx(entry["known_optimum"], rel=1e-6)
    assert result["model"] == "p_median"
    assert result["violations"] == []
    for name in ("sites.csv", "assignments.csv", "accessibility.csv", "map.png"):
        assert (out / name).stat().st_size > 0, name


def test_model_override_matches_the_other_file(instances_dir, capsys):
    rc = main(["solve", str(instances_dir / "siting" / "small" / "small_p_median.json"), "--model", "p_center"])
    text = capsys.readouterr().out
    manifest = json.loads((instances_dir / "siting" / "manifest.json").read_text())
    known = next(e for e in manifest["instances"] if e["file"] == "small/small_p_center.json")["known_optimum"]
    assert rc == 0
    assert f"max_distance (min) = {known:.10g}" in text


def test_bad_input_exits_2_without_traceback(tmp_path, instances_dir, capsys):
    doc = json.loads((instances_dir / "siting" / "small" / "small_p_median.json").read_text())
    doc["parameters"]["p"] = 99
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    assert main(["solve", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "parameters.p" in err
    assert "Traceback" not in err
    assert main(["solve", str(instances_dir / "siting" / "small" / "small_p_median.json"), "--model", "nope"]) == 2
    assert main(["solve", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert not (tmp_path / "o").exists()


def test_time_limit_reports_incumbent_and_bound(instances_dir, capsys):
    # SF p-center needs seconds to prove: at 0.3 s we get an honest time_limit, not "optimal"
    rc = main(["solve", str(instances_dir / "siting" / "sf" / "sf_p_center.json"), "--time-limit", "0.3"])
    text = capsys.readouterr().out
    if "status      optimal" in text:
        pytest.skip("solved to optimality within 0.3 s on this machine")
    assert "termination time_limit" in text
    assert rc in (0, 1)
    if rc == 0:
        assert "solution feasible" in text
        assert "bound" in text


def test_generate_is_deterministic_and_city_scale(tmp_path, capsys):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    for path in (a, b):
        assert main(["generate", "siting", "--demand", "2000", "--sites", "200", "--seed", "7", "--existing", "12", "-o", str(path)]) == 0
    assert a.read_bytes() == b.read_bytes()
    assert main(["validate", str(a)]) == 0
    text = capsys.readouterr().out
    assert "2000 demand points x 200 sites" in text
    assert "12 existing" in text
    c = tmp_path / "c.json"
    main(["generate", "siting", "--demand", "2000", "--sites", "200", "--seed", "8", "-o", str(c)])
    assert c.read_bytes() != a.read_bytes()


def test_convert_orlib_then_solve(pmed_dir, tmp_path, capsys):
    out = tmp_path / "pmed4.json"
    assert main(["convert", "orlib-pmed", str(pmed_dir / "pmed4.txt"), "-o", str(out)]) == 0
    assert main(["solve", str(out)]) == 0
    assert "distance (min) = 3034" in capsys.readouterr().out


def test_p_median_formulations_agree(instances_dir, tmp_path, capsys):
    """The default p-median path (radius formulation, row generation) and ``--formulation
    assignment`` reach the same optimum on the SF case; radius is refused where it is not exact."""
    path = str(instances_dir / "siting" / "sf" / "sf_p_median.json")
    values = {}
    for form in ("auto", "assignment"):
        out = tmp_path / form
        assert main(["solve", path, "--formulation", form, "--out", str(out)]) == 0
        text = capsys.readouterr().out
        assert ("radius formulation" in text) == (form == "auto")
        result = json.loads((out / "result.json").read_text())
        assert result["violations"] == []
        values[form] = result["objective"]
    assert values["auto"] == pytest.approx(2_848_268_129.71, rel=1e-9)
    assert values["auto"] == pytest.approx(values["assignment"], rel=1e-9)
    assert main(["solve", path, "--model", "p_center", "--formulation", "radius"]) == 2
    assert "only for the uncapacitated p-median" in capsys.readouterr().err
