"""The CLI as a process: usage errors caught before any work, a clean stdout, output folders
reused across families, and an infeasibility note that says only what was established."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from optmodels.cli import main

REPO = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def _cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "optmodels", *args],
        capture_output=True, text=True, env=_env(), timeout=timeout, cwd=REPO,
    )


# -- usage errors: exit 2, before anything is solved --------------------------------------------


def test_out_under_a_file_is_refused_before_solving(instances_dir, tmp_path, capsys, monkeypatch):
    import optmodels.registry as registry

    loaded = []
    monkeypatch.setattr(registry, "load_instance", lambda *a, **k: loaded.append(a) or pytest.fail("solved"))
    (tmp_path / "taken").write_text("a file")
    code = main(["solve", str(instances_dir / "equipment" / "tiny_cost.toml"), "--out", str(tmp_path / "taken" / "res")])
    err = capsys.readouterr().err
    assert code == 2
    assert "taken is a file" in err
    assert loaded == []


def test_generate_into_an_existing_folder_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "case.json").mkdir()
    code = main(["generate", "equipment", "--regions", "2", "--hospitals", "3", "--years", "2",
                 "-o", str(tmp_path / "case.json")])
    assert code == 2
    assert "is a folder" in capsys.readouterr().err


@pytest.mark.parametrize("rate", ["inf", "nan", "1e300"])
def test_queue_refuses_non_finite_and_huge_rates(rate, capsys):
    try:
        code = main(["analyse", "queue", "--arrival-rate", rate, "--service-rate", "1"])
    except SystemExit as exc:  # argparse's own usage error
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2
    assert "internal error" not in err
    assert "--arrival-rate" in err


def test_queue_at_the_load_bound_still_answers(capsys):
    # lambda/mu = 20: the smallest stable count is 21 sets, and M/M/c with c = 21 is stable.
    assert main(["analyse", "queue", "--arrival-rate", "20", "--service-rate", "1"]) == 0
    assert "stable from c = 21" in capsys.readouterr().out


def test_threads_beyond_the_bound_are_refused_by_the_parser(instances_dir, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["solve", str(instances_dir / "equipment" / "tiny_cost.toml"), "--threads", "100000"])
    assert exit_info.value.code == 2
    assert "--threads" in capsys.readouterr().err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_validate_a_fifo_exits_2_instead_of_blocking(tmp_path):
    fifo = tmp_path / "case.json"
    os.mkfifo(fifo)
    run = _cli("validate", str(fifo), timeout=120)
    assert run.returncode == 2
    assert "FIFO" in run.stderr


# -- stdout belongs to the suite ----------------------------------------------------------------


@pytest.fixture(scope="module")
def highs_banner() -> list[str]:
    """What HiGHS itself prints when a process makes its first Highs object (no wording assumed)."""
    run = subprocess.run([sys.executable, "-c", "import highspy; highspy.Highs()"],
                         capture_output=True, text=True, timeout=300)
    lines = [line for line in run.stdout.splitlines() if line.strip()]
    if not lines:
        pytest.skip("this HiGHS prints no banner")
    return lines


@pytest.mark.parametrize(
    "args",
    [
        ("solve", "instances/pricing/seed_model1.yaml"),  # LP
        ("solve", "instances/equipment/tiny_cost.toml"),  # MILP
        ("solve", "instances/siting/access_siting.yaml", "--model", "equity_capacity"),  # QP
        ("pareto", "instances/equipment/tiny_cost.toml", "--points", "3", "--no-progress", "--workers", "1"),
    ],
    ids=["lp", "milp", "qp", "pareto"],
)
def test_no_highs_banner_on_stdout(args, highs_banner):
    run = _cli(*args)
    assert run.returncode == 0, run.stderr
    leaked = [line for line in run.stdout.splitlines() if line in highs_banner]
    assert leaked == []


# -- one output folder, several runs ------------------------------------------------------------


def test_reused_out_folder_holds_only_the_last_runs_files(instances_dir, tmp_path, capsys):
    out = tmp_path / "res"
    assert main(["solve", str(instances_dir / "equipment" / "tiny_cost.toml"), "--out", str(out)]) == 0
    assert (out / "plan.csv").exists()
    (out / "notes.txt").write_text("mine")
    assert main(["solve", str(instances_dir / "pricing" / "seed_model1.yaml"), "--out", str(out)]) == 0
    files = {p.name for p in out.iterdir() if not p.name.startswith(".")}
    assert "plan.csv" not in files
    assert "lorenz.png" not in files
    assert {"result.json", "fees.csv", "notes.txt"} <= files
    assert (out / "notes.txt").read_text() == "mine"
    assert json.loads((out / "result.json").read_text())["termination"] == "optimal"
    capsys.readouterr()


# -- what an infeasibility note may claim -------------------------------------------------------


def test_lp_infeasible_equipment_case_names_the_conflict_not_integrality(instances_dir, tmp_path, capsys):
    text = (instances_dir / "equipment" / "tiny_cost.toml").read_text()
    case = tmp_path / "no_new_sets.toml"
    # No set may be added in any year while demand grows past the existing sets: infeasible even
    # with fractional purchases (the LP relaxation), so integrality is not the reason.
    case.write_text(text.replace("budget = 16.5\n", "budget = 16.5\nmax_new_per_year = 0\n"))
    code = main(["solve", str(case)])
    out = capsys.readouterr().out
    assert code == 1
    status = next(line for line in out.splitlines() if line.strip().startswith("verdict"))
    assert "integrality" not in status
    assert "max_new" in status
