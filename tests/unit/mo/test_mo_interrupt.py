"""Ctrl-C keeps the points found so far: a KeyboardInterrupt raised inside each front-end's loop."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pyomo.environ as pyo
import pytest

from solvers.epsilon import epsilon_front
from solvers.highs import StandardFormModel
from solvers.moea import linear_model_problem, nsga2_front
from solvers.pareto import nondominated
from solvers.weighted_sum import weighted_sum_front

W = np.array([4, 3, 5, 2, 6, 3, 5, 4])
A = np.array([7, 2, 6, 3, 8, 4, 5, 1])
B = np.array([1, 6, 3, 5, 2, 4, 2, 7])
CAP = 14


def _model() -> pyo.ConcreteModel:
    model = pyo.ConcreteModel()
    model.x = pyo.Var(range(len(W)), domain=pyo.Binary)
    model.cap = pyo.Constraint(expr=sum(int(W[i]) * model.x[i] for i in range(len(W))) <= CAP)
    model.obj = pyo.ObjectiveList()
    model.obj.add(expr=sum(int(A[i]) * model.x[i] for i in range(len(W))), sense=pyo.maximize)
    model.obj.add(expr=sum(int(B[i]) * model.x[i] for i in range(len(W))), sense=pyo.maximize)
    model.obj.deactivate()
    return model


def _front() -> set[tuple[int, int]]:
    X = np.array(list(itertools.product([0, 1], repeat=len(W))))
    F = np.column_stack([X @ A, X @ B])[X @ W <= CAP]
    return {tuple(int(v) for v in r) for r in F[nondominated(F, ["max", "max"])]}


def _interrupt_solves_after(monkeypatch, n: int) -> list[int]:
    """Make the (n+1)-th MILP solve raise KeyboardInterrupt, as Ctrl-C during it would."""
    calls = [0]
    original = StandardFormModel.run

    def run(self, *args, **kwargs):
        calls[0] += 1
        if calls[0] > n:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(StandardFormModel, "run", run)
    return calls


def test_epsilon_keeps_the_points_found_before_ctrl_c(monkeypatch):
    full = epsilon_front(_model())
    assert {tuple(int(v) for v in p) for p in full.points} == _front()
    assert len(full) > 4
    _interrupt_solves_after(monkeypatch, 4 + 2)  # the payoff table (4 solves), then 2 grid points
    res = epsilon_front(_model())
    found = {tuple(int(v) for v in p) for p in res.points}
    assert not res.complete
    assert not res.exact
    assert any("interrupted" in note for note in res.notes)
    assert found < _front()  # a proper subset: real points, not all of them
    assert len(found) >= 2


def test_weighted_sum_keeps_the_points_found_before_ctrl_c(monkeypatch):
    _interrupt_solves_after(monkeypatch, 4 + 2)  # the payoff table (4 solves), then 2 weights
    res = weighted_sum_front(_model(), points=9)
    assert not res.complete
    assert any("interrupted" in note for note in res.notes)
    assert 1 <= len(res) < 9
    assert {tuple(int(v) for v in p) for p in res.points} <= _front()


def test_nsga2_keeps_the_front_of_the_generations_run(monkeypatch):
    problem = linear_model_problem(_model())
    original = type(problem)._evaluate
    calls = [0]

    def evaluate(self, X, out, *args, **kwargs):
        calls[0] += 1
        if calls[0] > 4:  # the initial population and 3 generations
            raise KeyboardInterrupt
        return original(self, X, out, *args, **kwargs)

    monkeypatch.setattr(type(problem), "_evaluate", evaluate)
    res = nsga2_front(problem, pop_size=16, generations=50, seed=0)
    assert not res.complete
    assert res.settings["generations_run"] < 50
    assert any("interrupted" in note for note in res.notes)
    assert len(res) >= 1
    front = _front()
    # feasible packings only, none beyond the exact front
    assert all(any(f[0] >= p[0] and f[1] >= p[1] for f in front) for p in res.points)


def test_cli_writes_the_partial_front_on_ctrl_c(tmp_path, monkeypatch, capsys):
    from optmodels.cli import main

    path = tmp_path / "knap.py"
    path.write_text(
        "import pyomo.environ as pyo\n"
        f"W, A, B, CAP = {W.tolist()}, {A.tolist()}, {B.tolist()}, {CAP}\n"
        "def build():\n"
        "    m = pyo.ConcreteModel()\n"
        "    m.x = pyo.Var(range(len(W)), domain=pyo.Binary)\n"
        "    m.cap = pyo.Constraint(expr=sum(W[i] * m.x[i] for i in range(len(W))) <= CAP)\n"
        "    m.obj = pyo.ObjectiveList()\n"
        "    m.obj.add(expr=sum(A[i] * m.x[i] for i in range(len(W))), sense=pyo.maximize)\n"
        "    m.obj.add(expr=sum(B[i] * m.x[i] for i in range(len(W))), sense=pyo.maximize)\n"
        "    m.obj.deactivate()\n"
        "    return m\n"
    )
    _interrupt_solves_after(monkeypatch, 4 + 2)
    out = tmp_path / "out"
    code = main(["pareto", "--model", f"{path}:build", "--workers", "1", "--no-progress",
                 "--out", str(out)])
    assert code == 130  # interrupted, as the README's exit codes say; the partial front is written
    payload = json.loads((out / "pareto.json").read_text())
    assert payload["complete"] is False
    assert 2 <= payload["n_points"] < len(_front())
    assert "interrupted" in capsys.readouterr().out


@pytest.mark.parametrize("method", ["epsilon", "weighted", "nsga2"])
def test_progress_bar_is_drawn(monkeypatch, capsys, method):
    """A tqdm bar on stderr (grid points, weights or generations) unless --no-progress."""
    model = _model()
    if method == "epsilon":
        epsilon_front(model, progress=True)
    elif method == "weighted":
        weighted_sum_front(model, points=3, progress=True)
    else:
        nsga2_front(linear_model_problem(model), pop_size=8, generations=3, progress=True)
    err = capsys.readouterr().err
    assert {"epsilon": "grid points", "weighted": "weights", "nsga2": "NSGA-II generations"}[method] in err
