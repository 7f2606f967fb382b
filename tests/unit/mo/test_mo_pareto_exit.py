"""``optmodels pareto`` exit codes around the executor: a solve that raises is exit 70 naming the
exception (never a front reported as found), and a scheduler that does not answer is exit 2
naming its address within seconds (was: 30 s, then exit 70 on a bare OSError)."""

from __future__ import annotations

import socket
import time

import pytest

from optmodels.cli import main


@pytest.fixture(scope="module")
def tiny(instances_dir):
    return str(instances_dir / "equipment" / "tiny_cost.toml")


def test_a_front_whose_solve_raises_exits_70_naming_the_error(tiny, tmp_path, monkeypatch, capsys):
    from solvers import weighted_sum

    def crash(self, *args, **kwargs):
        raise TypeError("'NoneType' object is not callable")

    monkeypatch.setattr(weighted_sum.MultiObjectiveModel, "maximise", crash)
    out = tmp_path / "front"
    code = main(["pareto", tiny, "--method", "weighted", "--workers", "1", "--no-progress", "--out", str(out)])
    assert code == 70
    assert "TypeError: 'NoneType' object is not callable" in capsys.readouterr().err
    assert not out.exists()


def test_an_unreachable_scheduler_is_exit_2_naming_it(tiny, capsys):
    pytest.importorskip("dask.distributed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{s.getsockname()[1]}"  # nobody listens once closed
    t0 = time.monotonic()
    code = main(["pareto", tiny, "--method", "epsilon", "--scheduler", address, "--no-progress"])
    assert code == 2
    assert f"--scheduler {address}: no Dask scheduler answered" in capsys.readouterr().err
    assert time.monotonic() - t0 < 30
