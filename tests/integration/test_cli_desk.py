"""The command line's conventions: live progress on stderr (in place on a terminal, plain lines in
a log, never a carriage return there), ``-q`` / ``-v``, ``--json``, ``--version``, shell
completion, and a start-up that does not load the solver stack."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from optmodels.cli import main

REPO = Path(__file__).resolve().parents[2]
TINY = "instances/equipment/tiny_cost.toml"
#: ~3 s of solving in several stages (relaxation, orderings, blocks, full): long enough for
#: several progress lines when they come every few tenths of a second
STAGED = "instances/equipment/district_band.json"
#: a progress line: elapsed m:ss, then the stage
LINE = re.compile(r"^optmodels: \d+:\d\d  stage \S+")


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for key in ("OPTMODELS_QUIET", "OPTMODELS_STAGES", "OPTMODELS_PROGRESS_EVERY", "_ARGCOMPLETE"):
        env.pop(key, None)
    env.update(extra)
    return env


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "optmodels", *args], capture_output=True, text=True,
                          env=_env(**env), cwd=REPO, timeout=600)


# -- live progress -------------------------------------------------------------------------------


def test_progress_in_a_log_is_plain_lines_with_the_numbers_and_no_carriage_return():
    run = _cli("solve", STAGED, OPTMODELS_PROGRESS_EVERY="0.3")
    assert run.returncode == 0, run.stderr
    lines = [line for line in run.stderr.splitlines() if LINE.match(line)]
    assert len(lines) >= 3
    assert any("incumbent" in line and "bound" in line and "gap" in line for line in lines)
    assert "\r" not in run.stderr
    assert "\r" not in run.stdout
    assert run.stdout.startswith("equipment:")  # the result, alone on stdout


def test_progress_on_a_terminal_is_redrawn_in_place_and_cleared_before_the_result():
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "optmodels", "solve", STAGED], cwd=REPO,
                            env=_env(OPTMODELS_PROGRESS_EVERY="0.3"), stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    out = proc.stdout.read().decode()
    proc.wait(timeout=600)
    os.close(master)
    assert proc.returncode == 0
    text = seen.decode()
    assert text.count("\roptmodels: ") >= 3  # redrawn in place
    assert text.endswith("\r")
    assert text.rsplit("\r", 2)[-2].strip() == ""
    assert out.startswith("equipment:")
    assert "\r" not in out


def test_quiet_shows_no_progress():
    run = _cli("-q", "solve", STAGED, OPTMODELS_PROGRESS_EVERY="0.3")
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""


def test_bars_in_a_log_are_plain_lines():
    # a front with its bar on (no --no-progress) and a sweep, stderr redirected
    front = _cli("pareto", TINY, "--points", "3", "--workers", "1", OPTMODELS_PROGRESS_EVERY="0.01")
    sweep = _cli("sweep", TINY, "--vary", "budget=6,16.5,20", OPTMODELS_PROGRESS_EVERY="0.01")
    for run in (front, sweep):
        assert run.returncode == 0, run.stderr
        assert "\r" not in run.stderr
    assert re.search(r"^optmodels: grid points: 3/3 pt \(100%\)", front.stderr, re.M)
    assert re.search(r"^optmodels: sweep: 3/3 scenario \(100%\)", sweep.stderr, re.M)


# -- --json, -v ----------------------------------------------------------------------------------


def test_json_prints_the_result_document_and_nothing_else_on_stdout(tmp_path):
    out = tmp_path / "res"
    run = _cli("solve", TINY, "--json", "--out", str(out))
    assert run.returncode == 0, run.stderr
    document = json.loads(run.stdout)
    assert document == json.loads((out / "result.json").read_text())
    assert document["verdict"] == "optimal"
    assert "equipment: tiny" in run.stderr  # the human summary, on stderr


def test_verbose_adds_the_solver_log_on_stderr_and_keeps_stdout_clean():
    plain = _cli("solve", TINY, "--json")
    verbose = _cli("solve", TINY, "--json", "-v")  # -v after the command, as before it
    for run in (plain, verbose):
        assert run.returncode == 0, run.stderr
        json.loads(run.stdout)
    assert len(verbose.stderr.splitlines()) >= len(plain.stderr.splitlines()) + 10
    assert "optmodels: stage equipment.relaxation" in verbose.stderr


def test_pareto_json_is_the_front_document_alone_on_stdout_even_with_the_solver_log(tmp_path):
    out = tmp_path / "front"
    run = _cli("pareto", TINY, "--points", "3", "--workers", "1", "--json", "-v", "--out", str(out))
    assert run.returncode == 0, run.stderr
    document = json.loads(run.stdout)  # the HiGHS log (-v) went to stderr, not into the document
    assert document == json.loads((out / "pareto.json").read_text())
    assert len(document["points"]) >= 2
    assert re.search(r": objectives \w+ \((min|max)\)", run.stderr)  # the human summary, on stderr


def test_sweep_json_is_the_table_alone_on_stdout(tmp_path):
    import pandas as pd

    out = tmp_path / "sweep"
    run = _cli("sweep", TINY, "--vary", "budget=13:15:1", "--workers", "1", "--no-plots", "--json", "-v",
               "--out", str(out))
    assert run.returncode == 0, run.stderr
    document = json.loads(run.stdout)  # the solver log (-v) and the summary went to stderr
    assert document["scenarios"] == 3
    assert document["status_counts"] == {"optimal": 3}
    table = pd.read_csv(out / "sweep.csv")
    assert [r["budget"] for r in document["rows"]] == pytest.approx(table["budget"].tolist())
    assert [r["objective"] for r in document["rows"]] == pytest.approx(table["objective"].tolist(), rel=1e-9)
    assert "3 scenarios" in run.stderr


def test_quiet_and_verbose_together_are_a_usage_error(capsys):
    assert main(["-q", "solve", TINY, "-v"]) == 2
    assert "-q and -v" in capsys.readouterr().err


def test_validate_json(tmp_path, capsys):
    assert main(["validate", TINY, "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["valid"] is True
    assert document["family"] == "equipment"
    assert document["summary"]
    bad = tmp_path / "bad.json"
    bad.write_text('{"family": "equipment", "name": "x"}')
    assert main(["validate", str(bad), "--json"]) == 2
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert document["valid"] is False
    assert "field 'budget': required but missing" in document["problems"]
    assert "budget" in captured.err


# -- --version, completion -----------------------------------------------------------------------


def test_version_names_the_package_and_the_solver_stack():
    run = _cli("--version")
    assert run.returncode == 0
    first, second = run.stdout.splitlines()
    assert first == f"optmodels {metadata.version('optmodels')}"
    assert metadata.version("highspy") in second
    assert metadata.version("pyomo") in second


def test_completion_script_is_generated_for_each_shell():
    pytest.importorskip("argcomplete")
    for shell in ("bash", "zsh", "fish"):
        run = _cli("completion", shell)
        assert run.returncode == 0, run.stderr
        assert "optmodels" in run.stdout
        assert "complete" in run.stdout


@pytest.mark.parametrize(("file", "typed", "offered"), [
    (TINY, "--gi", "--gini-strategy"),
    ("instances/siting/small/small_p_median.json", "--form", "--formulation"),
])
def test_completion_offers_the_file_s_family_flags(tmp_path, file, typed, offered):
    pytest.importorskip("argcomplete")
    answer = tmp_path / "completions"
    line = f"optmodels solve {file} {typed}"
    run = subprocess.run([sys.executable, "-m", "optmodels"], capture_output=True, text=True, cwd=REPO, timeout=120,
                         env=_env(_ARGCOMPLETE="1", _ARGCOMPLETE_SHELL="bash", COMP_LINE=line,
                                  COMP_POINT=str(len(line)), _ARGCOMPLETE_STDOUT_FILENAME=str(answer)))
    assert run.returncode == 0, run.stderr
    assert offered in [word.strip() for word in answer.read_text().split("\013")]


# -- start-up ------------------------------------------------------------------------------------

HEAVY = ("pyomo", "highspy", "pandas", "matplotlib", "scipy")


def _loaded_after(*argv: str) -> set[str]:
    code = ("import sys\nfrom optmodels.cli import main\n"
            f"try:\n    main({list(argv)!r})\nexcept SystemExit:\n    pass\n"
            f"print('loaded:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(), cwd=REPO,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    return set(filter(None, run.stdout.rsplit("loaded:", 1)[1].strip().split(",")))


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["validate", TINY],
                                  ["validate", "instances/pricing/seed_model2.yaml"]])
def test_help_version_and_validate_load_no_solver_stack(argv):
    assert _loaded_after(*argv) == set()


def test_validate_of_a_siting_file_loads_no_solver():
    # its table reader and accessibility check need pandas and SciPy, not Pyomo or HiGHS
    assert not _loaded_after("validate", "instances/siting/small/small_p_median.json") & {
        "pyomo", "highspy", "matplotlib"}


# -- a stop signal during a lazy import ------------------------------------------------------------


def test_a_stop_signal_that_interrupts_an_import_exits_as_an_interruption(monkeypatch, capsys):
    # With the solver stack imported by the command (not at start-up), Ctrl-C or SIGTERM can land
    # inside a C extension's initialisation, which reports it as "ImportError: initialization
    # failed": that is an interruption (130 / 143), not an internal error (70).
    import optmodels.cli as cli

    def interrupted_import(args):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise ImportError("initialization failed") from None  # the C layer keeps no cause

    def chained_import(args):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            raise ImportError("initialization failed") from exc

    monkeypatch.setattr(cli, "_cmd_validate", chained_import)
    assert main(["validate", TINY]) == 130
    err = capsys.readouterr().err
    assert "interrupted" in err
    assert "internal error" not in err

    monkeypatch.setattr(cli, "_cmd_validate", interrupted_import)
    monkeypatch.setattr(cli, "_terminated", [True])  # what the SIGTERM handler marks
    assert main(["validate", TINY]) == 143
    assert "terminated (SIGTERM)" in capsys.readouterr().err
