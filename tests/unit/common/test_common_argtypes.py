"""Command-line number types and the console entry point's handling of Ctrl-C."""

from __future__ import annotations

import argparse

import pytest

from optmodels import argtypes, cli


@pytest.mark.parametrize(
    "parse", [argtypes.positive_float, argtypes.nonnegative_float], ids=["positive", "nonnegative"]
)
@pytest.mark.parametrize("text", ["inf", "-inf", "nan", "1e309", "Infinity"])
def test_float_types_refuse_non_finite_values(parse, text):
    with pytest.raises(argparse.ArgumentTypeError, match="finite"):
        parse(text)


def test_float_types_keep_their_bounds_and_accept_big_finite_numbers():
    assert argtypes.positive_float("1e300") == 1e300
    assert argtypes.nonnegative_float("0") == 0.0
    with pytest.raises(argparse.ArgumentTypeError, match="> 0"):
        argtypes.positive_float("0")
    with pytest.raises(argparse.ArgumentTypeError, match="expected a number"):
        argtypes.positive_float("ten")


def test_int_types():
    assert argtypes.positive_int("3") == 3
    assert argtypes.nonnegative_int("0") == 0
    for text in ("0", "-1", "1.5", "1e3", "9" * 5000):
        with pytest.raises(argparse.ArgumentTypeError):
            argtypes.positive_int(text)


def test_thread_count_is_bounded():
    assert argtypes.thread_count("1") == 1
    assert argtypes.thread_count(str(argtypes.MAX_THREADS)) == argtypes.MAX_THREADS
    for text in ("0", str(argtypes.MAX_THREADS + 1), "100000"):
        with pytest.raises(argparse.ArgumentTypeError, match=f"between 1 and {argtypes.MAX_THREADS}"):
            argtypes.thread_count(text)


def test_solve_parser_refuses_a_huge_thread_count(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.build_parser().parse_args(["solve", "x.json", "--threads", "100000"])
    assert exit_info.value.code == 2
    assert "--threads" in capsys.readouterr().err


def test_ctrl_c_while_the_parser_is_built_exits_130_without_a_traceback(monkeypatch, capsys):
    def interrupted(*args):
        raise KeyboardInterrupt  # as Ctrl-C while the families are imported

    monkeypatch.setattr(cli, "build_parser", interrupted)
    with pytest.raises(SystemExit) as exit_info:
        cli.run()
    assert exit_info.value.code == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip().startswith("optmodels: interrupted")
    assert len(err.strip().splitlines()) == 1
