"""NSGA-II says, before it runs, when an exact method is cheaper (issue 24: 109 s on
tiny_cost.toml for the two points the weighted sum finds in 8 s)."""

from __future__ import annotations

import numpy as np

from optmodels.cli import main
from optmodels.pareto_cli import seeds_advice, space_advice


class _Problem:
    def __init__(self, n_var, vtype, xl=0, xu=1):
        self.n_var, self.vtype = n_var, vtype
        self.xl, self.xu = np.full(n_var, xl, float), np.full(n_var, xu, float)


def test_a_small_binary_space_is_cheaper_to_solve_exactly():
    text = space_advice(_Problem(12, bool), 100 * 200)
    assert "4,096 decisions" in text
    assert "--method epsilon" in text
    assert space_advice(_Problem(600, bool), 100 * 200) is None


def test_integer_spaces_are_counted_and_continuous_ones_never_advised():
    assert "3,125 decisions" in space_advice(_Problem(5, int, 0, 4), 20_000)
    assert space_advice(_Problem(5, int, 0, 20), 20_000) is None
    assert space_advice(_Problem(2, float, 0, 2), 20_000) is None


def test_seeds_that_find_two_points_suggest_the_exact_methods():
    assert "found only 2 distinct point(s)" in seeds_advice(2, 5, 0.7)
    assert seeds_advice(4, 5, 0.7) is None


def test_pareto_nsga2_on_tiny_cost_says_so_before_it_runs(instances_dir, capsys, monkeypatch):
    import solvers.moea

    def not_run(*args, **kwargs):  # the advice must come before NSGA-II's 20,000 evaluations
        raise RuntimeError("NSGA-II was not meant to run in this test")

    monkeypatch.setattr(solvers.moea, "nsga2_front", not_run)
    code = main(["pareto", str(instances_dir / "equipment" / "tiny_cost.toml"), "--method", "nsga2",
                 "--seed-milp", "0", "--no-progress"])
    assert code == 1  # the stub stopped it
    err = capsys.readouterr().err
    assert "4,096 decisions" in err
    assert "20,000 evaluations" in err
    assert "--method epsilon" in err
    assert err.index("4,096 decisions") < err.index("NSGA-II was not meant to run")
