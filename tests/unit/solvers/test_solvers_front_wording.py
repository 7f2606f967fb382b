"""What a front says about how its run ended: no completeness claimed for a run cut short, and an
NSGA-II run that pymoo ended itself (nothing new to breed) is said as such -- exact if it is."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyomo.environ as pyo

from solvers.epsilon import epsilon_front
from solvers.highs import StandardFormModel
from solvers.moea import linear_model_problem, nsga2_front

W = [4, 3, 5, 2, 6, 3, 5, 4]
A = [7, 2, 6, 3, 8, 4, 5, 1]
B = [1, 6, 3, 5, 2, 4, 2, 7]
REPO = Path(__file__).resolve().parents[3]


def _knapsack(n: int = 8, cap: int = 14) -> pyo.ConcreteModel:
    model = pyo.ConcreteModel()
    model.x = pyo.Var(range(n), domain=pyo.Binary)
    w, a, b = (np.resize(v, n).tolist() for v in (W, A, B))
    model.cap = pyo.Constraint(expr=sum(w[i] * model.x[i] for i in range(n)) <= cap)
    model.obj = pyo.ObjectiveList()
    model.obj.add(expr=sum(a[i] * model.x[i] for i in range(n)), sense=pyo.maximize)
    model.obj.add(expr=sum(b[i] * model.x[i] for i in range(n)), sense=pyo.maximize)
    model.obj.deactivate()
    return model


def test_an_interrupted_exact_epsilon_run_does_not_claim_every_point(monkeypatch):
    full = epsilon_front(_knapsack())
    assert full.exact
    assert any("every non-dominated point is found" in n for n in full.notes)
    calls = [0]
    original = StandardFormModel.run

    def run(self, *args, **kwargs):  # Ctrl-C during the third grid solve
        calls[0] += 1
        if calls[0] > 4 + 2:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(StandardFormModel, "run", run)
    cut = epsilon_front(_knapsack())
    assert not cut.complete
    assert not any("every non-dominated point is found" in n for n in cut.notes)
    assert any("points may be missing" in n and "interrupted" in n for n in cut.notes)
    assert cut.settings["interrupted"] is True


def test_nsga2_ended_by_pymoo_on_a_small_space_is_checked_against_the_exact_front():
    # 2**8 decisions, a population of 300: everything is in it after the first generation
    res = nsga2_front(linear_model_problem(_knapsack()), pop_size=300, generations=50, seed=0)
    assert res.settings["stopped_early"]
    assert res.exact  # every decision was evaluated: the front is proven
    assert any("the front found is the exact front" in n for n in res.notes)
    exact = epsilon_front(_knapsack())
    assert {tuple(p) for p in np.round(res.points).astype(int)} == {tuple(p) for p in np.round(exact.points).astype(int)}


def test_the_front_line_says_how_the_run_ended(capsys):
    from optmodels.cli import main

    # 6 sites: 64 decisions, fewer than the population -- pymoo ends the run after a few generations
    code = main(["pareto", str(REPO / "instances/siting/small/small_cflp_multi.json"), "--method", "nsga2",
                 "--generations", "60", "--no-progress"])
    assert code == 0
    first = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("Pareto front"))
    assert "INCOMPLETE" not in first
    assert "(exact: every non-dominated point)" in first
    assert re.search(r"stopped early after \d+ of 60 generations", first)
