"""The time budget of a multi-stage solve (``solvers.options.Budget``): one object holds the start
and the limit; each stage asks it for its options, the seconds left, or whether the time is spent.

Budgets are made with a start in the past instead of sleeping, so the tests take no time; the
tolerances allow for the microseconds between making a budget and asking it.
"""

from __future__ import annotations

import dataclasses
import math
import time

import pytest

from solvers import SolveOptions
from solvers.options import MIN_STAGE_SECONDS, Budget

#: seconds a test may take between making a budget and reading it
SLACK = 1.0


def _spent(seconds: float, limit: float | None, **kwargs) -> Budget:
    """A budget whose solve began ``seconds`` ago."""
    return SolveOptions(time_limit=limit, **kwargs).budget(time.perf_counter() - seconds)


def test_a_fresh_budget_has_its_whole_limit():
    budget = SolveOptions(time_limit=100.0).budget()
    assert not budget.expired()
    assert budget.seconds_left() == pytest.approx(100.0, abs=SLACK)
    assert budget.seconds_left() <= 100.0
    assert budget.time_left().time_limit == pytest.approx(100.0, abs=SLACK)


def test_budget_starts_now_unless_told():
    before = time.perf_counter()
    budget = SolveOptions(time_limit=10.0).budget()
    assert before <= budget.started <= time.perf_counter()
    assert SolveOptions(time_limit=10.0).budget(12.5).started == pytest.approx(12.5, abs=0.0)
    assert Budget(SolveOptions()).started >= before  # the dataclass default: now as well


def test_part_spent_budget_counts_down():
    budget = _spent(30.0, 100.0)
    assert not budget.expired()
    assert budget.seconds_left() == pytest.approx(70.0, abs=SLACK)
    assert budget.time_left().time_limit == pytest.approx(70.0, abs=SLACK)


@pytest.mark.parametrize("share", [1.0, 0.5, 1 / 3, 0.25])
def test_share_of_what_is_left(share):
    budget = _spent(20.0, 100.0)
    assert budget.time_left(share).time_limit == pytest.approx(80.0 * share, abs=SLACK)


def test_time_left_keeps_every_other_option():
    options = SolveOptions(time_limit=60.0, mip_rel_gap=0.01, threads=2, seed=7, tee=True,
                           solver_options={"presolve": "off"}, explain_infeasible=False)
    stage = options.budget().time_left(0.5)
    assert dataclasses.replace(stage, time_limit=options.time_limit) == options


@pytest.mark.parametrize("share", [1.0, 0.5, 1 / 3])
def test_spent_budget_is_expired_and_hands_out_the_floor(share):
    budget = _spent(10.0, 5.0)
    assert budget.expired()
    assert budget.seconds_left() == pytest.approx(0.0, abs=0.0)  # never negative
    # SolveOptions refuses a limit <= 0: a stage started after the end gets the floor
    assert budget.time_left(share).time_limit == pytest.approx(MIN_STAGE_SECONDS, abs=1e-12)


def test_limit_exactly_reached_is_expired():
    budget = _spent(5.0, 5.0)  # the clock has moved on since: at or past the limit
    assert budget.expired()
    assert budget.seconds_left() == pytest.approx(0.0, abs=0.0)


def test_a_small_share_of_little_time_is_never_below_the_floor():
    budget = _spent(9.2, 10.0)  # 0.8 s left; a quarter of it would be 0.2 s
    assert not budget.expired()
    assert budget.time_left(0.25).time_limit == pytest.approx(MIN_STAGE_SECONDS, abs=1e-12)
    assert budget.time_left(1.0).time_limit >= MIN_STAGE_SECONDS


def test_without_a_limit_nothing_expires():
    options = SolveOptions(mip_rel_gap=0.01)
    budget = options.budget(time.perf_counter() - 1e6)
    assert not budget.expired()
    assert math.isinf(budget.seconds_left())
    assert budget.time_left() is options
    assert budget.time_left(0.25) is options


@pytest.mark.parametrize("share", [0.0, -0.5, 1.5, math.nan])
def test_a_share_outside_zero_to_one_is_refused(share):
    with pytest.raises(ValueError, match=r"share must be in \(0, 1\]"):
        SolveOptions(time_limit=10.0).budget().time_left(share)


def test_budget_is_frozen():
    budget = SolveOptions(time_limit=10.0).budget()
    with pytest.raises(dataclasses.FrozenInstanceError):
        budget.started = 0.0  # type: ignore[misc]


def test_solve_options_spellings_give_the_budgets_answers():
    options = SolveOptions(time_limit=5.0)
    past, now = time.perf_counter() - 10.0, time.perf_counter()
    assert options.expired(past)
    assert not options.expired(now)
    assert options.time_left(past, 0.5).time_limit == pytest.approx(MIN_STAGE_SECONDS, abs=1e-12)
    assert options.time_left(now, 0.5).time_limit == pytest.approx(2.5, abs=SLACK)
    assert not SolveOptions().expired(past)
