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
                 "--no-progress", "--pop-size", "20", "--generations", "15", "--seed-milp", "2",
                 "--workers", "1"])
    assert code == 0
    text = capsys.readouterr().out
    table = pd.read_csv(out / "front.csv")
    found = {tuple(round(v) for v in r) for r in table[["obj[1]", "obj[2]"]].to_numpy()}
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


def test_process_pool_is_the_default_and_gives_the_serial_front(tmp_path, monkeypatch):
    """No --workers: the local pool of default_workers() processes (2 here, whatever the host)."""
    import optmodels.pareto_cli as cli

    path, front = _user_model(tmp_path)
    monkeypatch.setattr(cli, "default_workers", lambda: 2)
    out = tmp_path / "pool"
    assert main(["pareto", "--model", f"{path}:build", "--method", "epsilon", "--no-progress",
                 "--out", str(out)]) == 0
    payload = json.loads((out / "pareto.json").read_text())
    assert payload["settings"]["workers"] == 2
    assert payload["settings"]["blocks"] > 1
    table = pd.read_csv(out / "front.csv")
    assert {tuple(round(v) for v in r) for r in table[["obj[1]", "obj[2]"]].to_numpy()} == front


def test_dask_scheduler_from_the_cli_gives_the_serial_front(tmp_path):
    """--scheduler ADDRESS: an in-process LocalCluster stands in for a remote one."""
    distributed = pytest.importorskip("dask.distributed")
    path, front = _user_model(tmp_path)
    with distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=2,
                                  dashboard_address=None) as cluster:
        for method in ("epsilon", "weighted"):
            out = tmp_path / method
            assert main(["pareto", "--model", f"{path}:build", "--method", method, "--points", "5",
                         "--no-progress", "--scheduler", cluster.scheduler_address,
                         "--out", str(out)]) == 0
            payload = json.loads((out / "pareto.json").read_text())
            assert payload["settings"]["scheduler"] is not None
            found = {tuple(int(v) for v in r)
                     for r in pd.read_csv(out / "front.csv")[["obj[1]", "obj[2]"]].to_numpy()}
            if method == "epsilon":
                assert payload["settings"]["blocks"] > 1
                assert found == front
            else:
                assert found <= front


def test_workers_with_a_scheduler_is_the_block_count(tmp_path):
    """--scheduler with --workers N: the epsilon grid is split into N blocks (not a fixed count),
    and the front is still the serial one."""
    distributed = pytest.importorskip("dask.distributed")
    path, front = _user_model(tmp_path)
    with distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        out = tmp_path / "blocks"
        assert main(["pareto", "--model", f"{path}:build", "--method", "epsilon", "--no-progress",
                     "--scheduler", cluster.scheduler_address, "--workers", "3", "--out", str(out)]) == 0
    payload = json.loads((out / "pareto.json").read_text())
    assert payload["settings"]["blocks"] == 3
    found = {tuple(int(v) for v in r) for r in pd.read_csv(out / "front.csv")[["obj[1]", "obj[2]"]].to_numpy()}
    assert found == front


@pytest.mark.parametrize(
    ("option", "message"),
    [("presolve", "expected KEY=VALUE"), ("no_such_option=1", "does not accept"),
     ("mip_rel_gap=abc", "does not accept")],
)
def test_bad_solver_option_exits_2(tmp_path, capsys, option, message):
    path, _ = _user_model(tmp_path)
    assert main(["pareto", "--model", f"{path}:build", "--solver-option", option]) == 2
    assert message in capsys.readouterr().err


def test_solver_options_reach_highs(tmp_path, monkeypatch):
    """--solver-option values reach every solve's SolveOptions (and the front is unchanged)."""
    from solvers.highs import StandardFormModel

    path, front = _user_model(tmp_path)
    seen = []
    original = StandardFormModel.run

    def spy(self, options=None, *args, **kwargs):
        seen.append(dict(options.solver_options) if options is not None else {})
        return original(self, options, *args, **kwargs)

    monkeypatch.setattr(StandardFormModel, "run", spy)
    out = tmp_path / "opt"
    assert main(["pareto", "--model", f"{path}:build", "--workers", "1", "--no-progress",
                 "--solver-option", "presolve=off", "--solver-option", "mip_rel_gap=0",
                 "--out", str(out)]) == 0
    assert seen
    assert all(s == {"presolve": "off", "mip_rel_gap": "0"} for s in seen)
    table = pd.read_csv(out / "front.csv")
    assert {tuple(round(v) for v in r) for r in table[["obj[1]", "obj[2]"]].to_numpy()} == front


# --------------------------------------------------------------------------------------------
# every family's shipped multi-objective instance, by each method, through the CLI
# --------------------------------------------------------------------------------------------


def _dominates(a: np.ndarray, b: np.ndarray, senses: list[str]) -> bool:
    sign = np.where(np.array(senses) == "max", -1.0, 1.0)
    a, b = a * sign, b * sign
    return bool(np.all(a <= b + 1e-9 * (1 + np.abs(b))) and np.any(a < b - 1e-7 * (1 + np.abs(b))))


@pytest.mark.parametrize("family", ["equipment", "pricing", "siting"])
def test_family_shipped_instance_three_methods(tmp_path, family, repo_dir):
    from optmodels.registry import family as lookup

    shipped = repo_dir / lookup(family).fronts.shipped
    fronts = {}
    for method in ("epsilon", "weighted", "nsga2"):
        out = tmp_path / method
        code = main(["pareto", str(shipped), "--method", method, "--points", "7",
                     "--pop-size", "16", "--generations", "8", "--seed-milp", "2", "--seed", "1",
                     "--workers", "1", "--no-progress", "--out", str(out)])
        assert code == 0
        payload = json.loads((out / "pareto.json").read_text())
        table = pd.read_csv(out / "front.csv")
        names = [o["name"] for o in payload["objectives"]]
        senses = [o["sense"] for o in payload["objectives"]]
        assert payload["method"] == {"weighted": "weighted_sum"}.get(method, method)
        assert payload["n_points"] == len(table) >= 2
        assert table["decision"].astype(str).str.len().min() > 0
        assert (out / "front.png").stat().st_size > 5000
        points = table[names].to_numpy(dtype=float)
        assert not any(_dominates(a, b, senses) for a in points for b in points)
        fronts[method] = points
    # MILP points (epsilon, weighted sum) are Pareto optimal: no point of any method beats them
    for method, points in fronts.items():
        for other in ("epsilon", "weighted"):
            if other != method:
                assert not any(_dominates(a, b, senses) for a in points for b in fronts[other])
    if family == "siting":  # exact here (n_facilities is integer): the 5 enumerated points
        assert len(fronts["epsilon"]) == 5
