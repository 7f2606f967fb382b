"""The solver layer on small models whose answers are known by hand."""

from __future__ import annotations

import dataclasses

import pyomo.environ as pyo
import pytest

from solvers import SolutionStatus, SolveError, SolveOptions, StandardFormModel, Termination, solve


def knapsack() -> pyo.ConcreteModel:
    model = pyo.ConcreteModel()
    model.I = pyo.RangeSet(5)
    model.x = pyo.Var(model.I, domain=pyo.Binary)
    model.y = pyo.Var(bounds=(0, 10))
    model.cap = pyo.Constraint(expr=sum(i * model.x[i] for i in model.I) + model.y <= 7.5)
    model.value = pyo.Objective(expr=sum((i + 1) * model.x[i] for i in model.I) + 0.5 * model.y, sense=pyo.maximize)
    return model


def test_milp_optimum_bound_gap_and_tables():
    # Items 1, 2, 4 (weights 7, values 2+3+5=10) plus y = 0.5 -> 10.25; checked by hand:
    # every other subset of weight <= 7.5 is worth less (e.g. {3,4}: 4+5 + 0.25 = 9.25).
    result = solve(knapsack())
    assert result.termination is Termination.OPTIMAL
    assert result.solution_status is SolutionStatus.OPTIMAL
    assert result.objective == pytest.approx(10.25)
    assert result.bound == pytest.approx(10.25)
    assert result.gap == pytest.approx(0.0, abs=1e-9)
    x = result.values("x")
    assert x.to_dict() == {1: 1.0, 2: 1.0, 3: 0.0, 4: 1.0, 5: 0.0}
    assert result.values("y").iloc[0] == pytest.approx(0.5)
    assert result.size["integers"] == 5
    assert result.timings.total >= result.timings.solve > 0
    assert dataclasses.is_dataclass(result)
    assert result.options == SolveOptions()
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.objective = 0  # type: ignore[misc]


def test_values_are_loaded_into_pyomo():
    model = knapsack()
    solve(model)
    assert pyo.value(model.value) == pytest.approx(10.25)


def test_resolve_after_bound_change_without_rebuild():
    model = knapsack()
    compiled = StandardFormModel(model)
    assert compiled.run().objective == pytest.approx(10.25)
    compiled.set_constraint_bounds(model.cap, None, 3.0)  # capacity 3: items {1,2} = 5
    assert compiled.run().objective == pytest.approx(5.0)
    compiled.set_constraint_bounds(model.cap, None, 7.5)
    assert compiled.run().objective == pytest.approx(10.25)


def test_infeasible_reports_an_iis():
    model = knapsack()
    model.too_much = pyo.Constraint(expr=model.x[1] + model.x[2] >= 3)
    result = solve(model)
    assert result.termination is Termination.INFEASIBLE
    assert not result.has_solution
    assert result.objective is None
    assert "too_much" in result.infeasibility.constraints
    assert "infeasible" in result.verdict
    assert "too_much" in result.verdict
    with pytest.raises(SolveError):
        result.raise_if_not_optimal()


def test_an_expected_no_skips_the_iis_search():
    """A decision problem's "no" (explain_infeasible=False) is infeasible without a subsystem."""
    model = knapsack()
    model.too_much = pyo.Constraint(expr=model.x[1] + model.x[2] >= 3)
    result = solve(model, SolveOptions(explain_infeasible=False))
    assert result.termination is Termination.INFEASIBLE
    assert result.infeasibility is None


def test_unbounded_verdict():
    model = pyo.ConcreteModel()
    model.x = pyo.Var()
    model.c = pyo.Constraint(expr=model.x <= 3)
    model.o = pyo.Objective(expr=model.x)
    result = solve(model)
    assert result.termination is Termination.UNBOUNDED
    assert not result.has_solution


def test_convex_qp_goes_through_contrib_highs():
    # min x0^2 + 2 x1^2 s.t. x0 + x1 = 1: x0 = 2/3, x1 = 1/3, objective 2/3.
    model = pyo.ConcreteModel()
    model.x = pyo.Var([0, 1])
    model.c = pyo.Constraint(expr=model.x[0] + model.x[1] == 1)
    model.o = pyo.Objective(expr=model.x[0] ** 2 + 2 * model.x[1] ** 2)
    result = solve(model)
    assert result.backend == "contrib_highs"
    assert result.is_optimal
    assert result.objective == pytest.approx(2 / 3, rel=1e-6)
    assert result.values("x").to_dict() == pytest.approx({0: 2 / 3, 1: 1 / 3}, rel=1e-5)


def test_options_validate_and_reach_highs():
    with pytest.raises(ValueError, match="time_limit"):
        SolveOptions(time_limit=0)
    with pytest.raises(ValueError, match="does not accept"):
        solve(knapsack(), SolveOptions(solver_options={"no_such_option": 1}))


def test_needs_one_active_objective():
    model = knapsack()
    model.other = pyo.Objective(expr=model.y)
    with pytest.raises(ValueError, match="exactly one active objective"):
        solve(model)


def test_out_of_range_numbers_are_named_not_passed_to_highs():
    """A coefficient at HiGHS's large_matrix_value (1e15) or a cost at infinite_cost (1e20) is a
    data problem: ModelDataError names the constraint, the variable and the value."""
    from solvers import ModelDataError

    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 1))
    m.y = pyo.Var(bounds=(0, 1))
    m.cap = pyo.Constraint(expr=1e15 * m.x + m.y <= 3)
    m.obj = pyo.Objective(expr=m.x + m.y, sense=pyo.maximize)
    with pytest.raises(ModelDataError, match=r"1e\+15 of x in constraint cap"):
        solve(m)
    m.cap.deactivate()
    m.obj.deactivate()
    m.obj2 = pyo.Objective(expr=1e20 * m.x + m.y)
    with pytest.raises(ModelDataError, match=r"objective coefficient 1e\+20 of x"):
        solve(m)


def _lp_infeasible_milp() -> pyo.ConcreteModel:
    """x1, x2 integer in [0, 3]: a and b force x1 >= 2 + x2 and x1 + x2 >= 5, so x2 <= 1 (x1 <= 3),
    which c (x2 >= 1.5) contradicts -- already in the LP relaxation. Each row alone is satisfiable
    within the bounds, so a check of bounds against row activity (HiGHS's light IIS) sees nothing."""
    model = pyo.ConcreteModel()
    model.x = pyo.Var([1, 2], domain=pyo.Integers, bounds=(0, 3))
    model.a = pyo.Constraint(expr=model.x[1] + model.x[2] >= 5)
    model.b = pyo.Constraint(expr=model.x[1] - model.x[2] >= 2)
    model.c = pyo.Constraint(expr=model.x[2] >= 1.5)
    model.o = pyo.Objective(expr=model.x[1])
    return model


def _relaxation_feasible(model: pyo.ConcreteModel) -> bool:
    relaxed = model.clone()
    for var in relaxed.x.values():
        var.domain = pyo.Reals
    return solve(relaxed).termination is Termination.OPTIMAL


def test_lp_infeasible_milp_names_an_irreducible_subsystem_not_integrality():
    result = solve(_lp_infeasible_milp())
    assert result.termination is Termination.INFEASIBLE
    named = set(result.infeasibility.constraints)
    assert named
    assert named <= {"a", "b", "c"}
    assert "integrality" not in result.verdict
    # Irreducible, checked independently: the named rows (with the bounds) are infeasible even as
    # an LP, and dropping any one of them makes the LP relaxation feasible.
    model = _lp_infeasible_milp()
    for name in {"a", "b", "c"} - named:
        model.component(name).deactivate()
    assert not _relaxation_feasible(model)
    for name in named:
        model.component(name).deactivate()
        assert _relaxation_feasible(model), f"{name} is not needed for the infeasibility"
        model.component(name).activate()


def test_integer_infeasible_milp_says_the_relaxation_is_feasible():
    # 2x = 1 with x integer: no integer point, while x = 0.5 satisfies the LP relaxation.
    model = pyo.ConcreteModel()
    model.x = pyo.Var(domain=pyo.Integers, bounds=(0, 3))
    model.half = pyo.Constraint(expr=2 * model.x == 1)
    model.o = pyo.Objective(expr=model.x)
    result = solve(model)
    assert result.termination is Termination.INFEASIBLE
    assert _relaxation_feasible(model)
    assert result.infeasibility.constraints == ()
    assert "LP relaxation is feasible" in result.infeasibility.note
    assert "integrality" in result.verdict


def _cover(seed: int = 5, n: int = 18, m: int = 4) -> tuple[pyo.ConcreteModel, float]:
    """min c.x s.t. A x >= b, x binary, with its optimum by enumeration of all 2^n plans."""
    import itertools

    import numpy as np

    rng = np.random.default_rng(seed)
    a = rng.integers(1, 30, size=(m, n))
    c = rng.integers(10, 40, size=n)
    b = a.sum(axis=1) // 2
    model = pyo.ConcreteModel()
    model.x = pyo.Var(range(n), domain=pyo.Binary)
    model.r = pyo.Constraint(range(m), rule=lambda mdl, i: sum(int(a[i, j]) * mdl.x[j] for j in range(n)) >= int(b[i]))
    model.o = pyo.Objective(expr=sum(int(c[j]) * model.x[j] for j in range(n)))
    plans = np.array(list(itertools.product([0, 1], repeat=n)))
    feasible = (plans @ a.T >= b).all(axis=1)
    return model, float((plans[feasible] @ c).min())


def test_root_bound_lies_between_the_lp_relaxation_and_the_optimum():
    # This cover needs branching: HiGHS's root (cuts included) stops several units below the
    # optimum, so a root bound equal to the final bound would mean the final one was copied.
    model, optimum = _cover()
    relaxed = _cover()[0]
    pyo.TransformationFactory("core.relax_integer_vars").apply_to(relaxed)
    lp = solve(relaxed)
    assert lp.root_bound is None  # an LP has no root node
    result = solve(model)
    assert result.is_optimal
    assert result.objective == pytest.approx(optimum)
    assert result.root_bound is not None
    assert lp.objective - 1e-6 <= result.root_bound <= result.bound + 1e-6
    assert result.root_bound < optimum - 1.0
    assert result.to_dict()["root_bound"] == result.root_bound


def test_root_bound_is_none_without_callbacks_not_an_error():
    from solvers.highs import _RootBound

    with _RootBound(object()) as root:  # a Highs-like object with no callback interface
        pass
    assert root.value(True, 3.0) is None


def test_a_model_handed_over_as_highs_arrays_runs_like_a_compiled_one():
    """StandardFormModel.from_lp: the knapsack above as HiGHS arrays, no Pyomo model behind it;
    same optimum, the values read in the arrays' column order, no variable tables."""
    import highspy
    import numpy as np

    sf_pyomo = StandardFormModel(knapsack())
    lp = sf_pyomo.highs.getLp()
    sf = StandardFormModel.from_lp(lp, "knapsack_arrays")
    assert sf.is_mip
    assert sf.size["integers"] == 5
    result = sf.run()
    assert result.termination is Termination.OPTIMAL
    assert result.objective == pytest.approx(10.25)
    x = sf.column_values()
    assert np.allclose(x[:5], [1, 1, 0, 1, 0])  # items 1, 2, 4 (the compiled column order)
    assert x[5] == pytest.approx(0.5)
    assert dict(result.variables) == {}  # no Pyomo variables to name the values by
    assert lp.integrality_[0] == highspy.HighsVarType.kInteger
