"""`optmodels solve` takes its flags from the file's family (read before parsing)."""

from __future__ import annotations

import pytest

from optmodels.cli import main


def test_help_lists_the_files_family_objectives_and_flags(instances_dir, capsys):
    with pytest.raises(SystemExit) as done:
        main(["solve", str(instances_dir / "siting" / "small" / "small_lscp.json"), "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "--radius" in text
    assert "max_distance" in text
    assert "--gini-strategy" not in text  # another family's flag


def test_family_flag_that_contradicts_the_file_is_a_usage_error(instances_dir, capsys):
    assert main(["solve", str(instances_dir / "equipment" / "tiny_cost.toml"), "--family", "pricing"]) == 2
    err = capsys.readouterr().err
    assert "--family pricing" in err
    assert "equipment family" in err
    assert "Traceback" not in err


def test_another_familys_flag_is_refused(instances_dir, capsys):
    with pytest.raises(SystemExit) as done:
        main(["solve", str(instances_dir / "equipment" / "tiny_cost.toml"), "--radius", "5"])
    assert done.value.code == 2
    assert "--radius" in capsys.readouterr().err
