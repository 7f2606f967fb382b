"""The scenario count is known before any scenario is made; values of the wrong kind are named."""

from __future__ import annotations

import pytest

from optmodels.errors import UsageError
from optmodels.sweep.spec import Vary, check_paths, count_scenarios, parse_values, scenarios


def _doc() -> dict:
    return {
        "family": "equipment",
        "budget": 10.0,
        "gini": {"lo": 0.1, "hi": 0.3, "mode": "mean"},
        "regions": [{"id": "North", "population": [100.0, 200.0]}],
        "demand": {"table": "demand.csv"},
    }


@pytest.mark.parametrize(
    ("varies", "mode", "oat", "count", "shape"),
    [
        ([Vary("a", (1, 2, 3)), Vary("b", (1, 2))], "grid", None, 6, "3 x 2 grid"),
        ([Vary("a", (1, 2, 3)), Vary("b", (4, 5, 6))], "zip", None, 3, "zip of 2 paths x 3 values"),
        ([Vary("a", (), "scale"), Vary("b", (1, 2, 3))], "grid", 0.1, 6, "one at a time: 1 + 2 + 3"),
    ],
)
def test_the_count_matches_the_scenarios_made(varies, mode, oat, count, shape):
    assert count_scenarios(varies, mode, oat=oat) == (count, shape)
    assert len(scenarios(varies, mode, oat=oat)) == count


def test_a_huge_grid_is_counted_without_being_made():
    varies = [parse_values(f"p{k}", "1:1000:1") for k in range(4)]  # 10^12 scenarios
    assert count_scenarios(varies) == (10**12, "1000 x 1000 x 1000 x 1000 grid")


def test_the_count_refuses_what_scenarios_refuses():
    with pytest.raises(UsageError, match="same number of values"):
        count_scenarios([Vary("a", (1, 2)), Vary("b", (1,))], "zip")
    with pytest.raises(UsageError, match="each path once"):
        count_scenarios([Vary("a", (1,)), Vary("a", (2,))])
    with pytest.raises(UsageError, match="--mode"):
        count_scenarios([Vary("a", (1,))], "spiral")


def test_numbers_are_required_where_the_file_holds_numbers(tmp_path):
    (tmp_path / "demand.csv").write_text("id,population,name\nA,10,x\nB,20,y\n")
    doc = _doc()
    ok = [Vary("budget", (12, 14.5, None)), Vary("regions[North].population", (5.0, [1.0, 2.0])),
          Vary("gini.mode", ("mean", "each_year")), Vary("demand[*].population", (30,)),
          Vary("demand[*].name", ("z", 3)), Vary("yearly_budget", ("whatever",))]
    assert [v.path for v in check_paths(doc, ok, base=tmp_path)] == [v.path for v in ok]
    with pytest.raises(UsageError, match=r"--vary budget: expected numbers \(the file holds 10.0\), found 'abc'"):
        check_paths(doc, [Vary("budget", (12, "abc"))], base=tmp_path)
    with pytest.raises(UsageError, match="found False"):
        check_paths(doc, [Vary("gini.hi", (0.3, False))], base=tmp_path)
    with pytest.raises(UsageError, match=r"column 'population' holds numbers, found 'lots'"):
        check_paths(doc, [Vary("demand[*].population", ("lots",))], base=tmp_path)
