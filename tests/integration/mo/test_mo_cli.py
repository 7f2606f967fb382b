"""``optmodels pareto``: user model and family instance, files, bad input; pool and Dask executors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from optmodels.cli import main


def _user_model(tmp_path):
    path = tmp_path / "tiny_user.py"
    path.write_text(
        "import pyomo.environ as pyo\n"
        "def build():\n"
        "    m = pyo.ConcreteModel()\n"
        "    m.x = pyo.Var(range(6), domain=pyo.Binary)\n"
        "    w = [4, 3, 5, 2, 6, 3]; a = [7, 2, 6, 3, 8, 4]; b = [1, 6, 3, 5, 2, 4]\n"
        "    m.cap = pyo.Constraint(expr=sum(w[i] * m.x[i] for i in range(6)) <= 11)\n"
        "    m.obj = pyo.ObjectiveList()\n"
        "    m.obj.add(expr=sum(a[i] * m.x[i] for i in range(6)), sense=pyo.maximize)\n"
        "    m.obj.add(expr=sum(b[i] * m.x[i] for i in range(6)), sense=pyo.maximize)\n"
        "    m.obj.deactivate()\n"
        "    return m\n"
        "def not_a_model():\n"
        "    return 3\n"
    )
    # the front by enumeration of the 64 subsets
    import itertools

    from solvers.pareto import nondominated

    X = np.array(list(itertools.product([0, 1], repeat=6)))
    w, a, b = np.array([4, 3, 5, 2, 6, 3]), np.array([7, 2, 6, 3, 8, 4]), np.array([1, 6, 3, 5, 2, 4])
    F = np.column_stack([X @ a, X @ b])[X @ w <= 11]
    return path, {tuple(r) for r in F[nondominated(F, ["max", "max"])]}


@pytest.mark.parametrize("method", ["epsilon", "weighted", "nsga2"])
def test_user_model_front_and_files(tmp_path, capsys, method):
    path, front = _user_model(tmp_path)
    out = tmp_path / "out"
    code = main(["pareto", "--model", f"{path}:build", "--method", method, "--out", str(out),
                 "--no-progress", "--pop-size", "20", "--generations", "15", "--seed-milp", "2"])
    assert code == 0
    text = capsys.readouterr().out
    table = pd.read_csv(out / "front.csv")
    found = {tuple(int(v) for v in r) for r in table[["obj[1]", "obj[2]"]].to_numpy()}
    if method == "epsilon":
        assert found == front
        assert "exact" in text
    else:
        assert found <= front if method == "weighted" else all(
            any(f[0] >= p[0] and f[1] >= p[1] for f in front) for p in found)
    payload = json.loads((out / "pareto.json").read_text())
    assert payload["n_points"] == len(table)
    assert payload["hypervolume"] > 0
    assert payload["hypervolume_normalisation"]["reference_point_normalised"] == 1.1
    assert (out / "front.png").stat().st_size > 5000
    if method == "weighted":
        assert "supported points only" in text


def test_family_instance_front(tmp_path, instances_dir, capsys):
    out = tmp_path / "eq"
    code = main(["pareto", str(instances_dir / "equipment" / "tiny_cost.toml"), "--objectives",
                 "cost,utilisation", "--method", "epsilon", "--out", str(out), "--no-progress"])
    assert code == 0
    table = pd.read_csv(out / "front.csv")
    assert len(table) == 6  # proven by enumeration in test_mo_families
    assert table["decision"].str.startswith("adds").all()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["pareto", "--model", "nope.py:build"], "file not found"),
        (["pareto", "--model", "{path}:missing"], "no function 'missing'"),
        (["pareto", "--model", "{path}:not_a_model"], "not a Pyomo model"),
        (["pareto", "--model", "{path}:build", "--objectives", "obj[1],zzz"], "unknown zzz"),
        (["pareto", "--model", "{path}:build", "--nadir", "1,2,3"], "expected 2 values"),
        (["pareto"], "exactly one"),
    ],
)
def test_bad_input_exits_2_without_writing(tmp_path, capsys, argv, message):
    path, _ = _user_model(tmp_path)
    out = tmp_path / "out"
    code = main([a.replace("{path}", str(path)) for a in argv] + ["--out", str(out)])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_process_pool_gives_the_serial_front(tmp_path):
    path, front = _user_model(tmp_path)
    from optmodels.pareto_cli import load_user_function
    from solvers.epsilon import epsilon_front

    model = load_user_function(f"{path}:build")()
    res = epsilon_front(model, workers=2)
    assert res.settings["blocks"] > 1
    assert {tuple(int(v) for v in p) for p in res.points} == front


def test_dask_local_cluster_gives_the_serial_front(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    path, front = _user_model(tmp_path)
    from optmodels.pareto_cli import load_user_function
    from solvers.epsilon import epsilon_front
    from solvers.weighted_sum import weighted_sum_front

    model = load_user_function(f"{path}:build")()
    with distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=2,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        res = epsilon_front(model, scheduler=client)
        ws = weighted_sum_front(model, points=5, scheduler=client)
    assert {tuple(int(v) for v in p) for p in res.points} == front
    assert res.settings["blocks"] > 1
    assert {tuple(int(v) for v in p) for p in ws.points} <= front
