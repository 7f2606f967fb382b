"""Siting on a Dask cluster: the pair generation, the grouping passes and the plan's evaluation
run on the workers in partitions of demand points; the model stays here. Same answers as here."""

from __future__ import annotations

import numpy as np
import pytest

from optmodels.siting import SitingInstance, solve_siting
from optmodels.siting.coverage import groups as cg
from optmodels.siting.data import costs as tc

distributed = pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as c:
        yield c


@pytest.fixture
def small_chunks(monkeypatch):
    # many partitions on a small case: every chunk boundary crosses groups
    monkeypatch.setattr(tc, "CHUNK", 211)
    monkeypatch.setattr(cg, "CHUNK", 211)


def _instance(model: str, n: int = 3000, m: int = 60, seed: int = 5, **parameters) -> SitingInstance:
    rng = np.random.default_rng(seed)
    doc = {
        "family": "siting", "model": model,
        "demand": [{"id": f"d{i}", "x": float(rng.integers(0, 40)), "y": float(rng.integers(0, 40)),
                    "population": float(rng.integers(1, 90))} for i in range(n)],
        "sites": [{"id": f"s{j}", "x": float(rng.integers(0, 40)), "y": float(rng.integers(0, 40)),
                   "fixed_cost": float(rng.integers(1, 4)), "existing": j < 3} for j in range(m)],
        "parameters": {"radius": 8.0, **parameters},
    }
    from optmodels.io import validate

    return validate(SitingInstance, doc, file=None)


def test_groups_on_the_cluster_equal_the_groups_here(client, small_chunks):
    inst = _instance("mclp", p=10)
    here = cg.cover_groups(inst.costs, 8.0, inst.populations())
    there = cg.cover_groups(inst.costs, 8.0, inst.populations(), scheduler=client)
    assert np.array_equal(here.of_point, there.of_point)
    assert (here.sites != there.sites).nnz == 0
    np.testing.assert_allclose(here.weight, there.weight, rtol=1e-12)


def test_evaluation_on_the_cluster_equals_here(client, small_chunks):
    inst = _instance("mclp", p=10)
    open_sites = np.arange(0, 60, 7)
    d0, s0 = inst.costs.nearest_open(open_sites)
    d1, s1 = inst.costs.nearest_open(open_sites, scheduler=client)
    np.testing.assert_array_equal(d0, d1)
    np.testing.assert_array_equal(s0, s1)
    np.testing.assert_array_equal(inst.costs.count_within(open_sites, 8.0),
                                  inst.costs.count_within(open_sites, 8.0, scheduler=client))


@pytest.mark.parametrize(("model", "parameters"), [("mclp", {"p": 10}), ("lscp", {"radius": 12.0})])
def test_a_solve_with_a_scheduler_gives_the_same_plan_value(client, small_chunks, model, parameters):
    inst = _instance(model, **parameters)
    here = solve_siting(inst)
    there = solve_siting(inst, scheduler=client)
    assert here.verdict == there.verdict == "optimal"
    assert there.result.objective == pytest.approx(here.result.objective, rel=1e-9)
    assert any("cluster" in n for n in there.notes)


def test_an_unreachable_scheduler_is_exit_2_naming_it(tmp_path):
    import subprocess
    import sys

    from optmodels.siting.data.generate import generate

    path = tmp_path / "c.json"
    generate(200, 20, seed=1, model="mclp", p=4, path=path)
    done = subprocess.run([sys.executable, "-m", "optmodels", "solve", str(path), "--scheduler", "tcp://127.0.0.1:9"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "tcp://127.0.0.1:9" in done.stderr
    assert "Traceback" not in done.stderr
