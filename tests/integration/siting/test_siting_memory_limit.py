"""Never killed by the OS: a case that cannot fit stops with exit 2 and the estimate; a case that
fits only on pairs takes the pairs.

The child runs under an address-space limit (``resource.setrlimit(RLIMIT_AS)``), so allocations
beyond it fail inside the process instead of the OS killing it; the suite's estimate must stop
it first, with a message naming the estimate and what to change.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
LIMIT = 3 * 2**30  # 3 GiB of address space: the interpreter and its libraries take ~0.6


def _run(args: list[str], *, env_extra: dict[str, str] | None = None, timeout: float = 300):
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))

    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""), **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "optmodels", *args], capture_output=True, text=True,
                          timeout=timeout, preexec_fn=limit, env=env, cwd=REPO)


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    path = tmp_path_factory.mktemp("mem") / "city.json"
    subprocess.run([sys.executable, "-m", "optmodels", "generate", "siting", "--demand", "30000", "--sites", "1000",
                    "--seed", "3", "-o", str(path)], check=True, capture_output=True, cwd=REPO,
                   env=dict(os.environ, PYTHONPATH=str(REPO)))
    return path


def test_a_model_that_cannot_fit_exits_2_with_its_estimate(city):
    # the capacitated facility location model has a variable per demand-site pair: 30 M of them
    done = _run(["solve", str(city), "--model", "cflp"])
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])  # not -9: no kill
    assert "not enough memory" in done.stderr
    assert "GiB" in done.stderr  # the estimate and what this process may use
    assert "--cutoff" in done.stderr  # what to change
    assert "Traceback" not in done.stderr


def test_the_same_instance_with_a_cutoff_fits(city):
    done = _run(["validate", str(city)])
    assert done.returncode == 0, done.stderr


def test_a_dense_array_that_does_not_fit_sends_the_solve_to_the_pairs(tmp_path):
    """5,000 x 800 is a dense case by size; under a 100 MB cap the dense array and its copies do
    not fit, so the coverage model runs on pairs and is evaluated from the open sites alone --
    with the same optimum as the run that held the dense array."""
    path = tmp_path / "c.json"
    subprocess.run([sys.executable, "-m", "optmodels", "generate", "siting", "--demand", "5000", "--sites", "800",
                    "--seed", "2", "--model", "mclp", "--p", "120", "-o", str(path)], check=True,
                   capture_output=True, cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)))
    free = _run(["solve", str(path), "--out", str(tmp_path / "free")])
    capped = _run(["solve", str(path), "--out", str(tmp_path / "capped")],
                  env_extra={"OPTMODELS_MEMORY_LIMIT": str(100 * 2**20)})
    assert free.returncode == capped.returncode == 0, capped.stderr
    a = json.loads((tmp_path / "free" / "result.json").read_text())
    b = json.loads((tmp_path / "capped" / "result.json").read_text())
    assert a["verdict"] == b["verdict"] == "optimal"
    assert b["objective"] == pytest.approx(a["objective"], rel=1e-9)
    assert not any(n.startswith("travel costs: pairs only") for n in a["notes"])
    assert any(n.startswith("travel costs: pairs only") for n in b["notes"])
