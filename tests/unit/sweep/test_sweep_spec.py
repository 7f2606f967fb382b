"""Sweep specifications: values, paths into documents (lists by id, globs, table files), scenarios."""

from __future__ import annotations

import pandas as pd
import pytest

from optmodels.errors import UsageError
from optmodels.sweep.spec import (
    Vary,
    apply_changes,
    check_paths,
    parse_percent,
    parse_values,
    parse_vary,
    scenarios,
)


def _doc() -> dict:
    return {
        "family": "equipment",
        "budget": 10.0,
        "gini": {"lo": 0.1, "hi": 0.3},
        "regions": [{"id": "North", "population": [100.0, 200.0]}, {"id": "South", "population": [50.0, 60.0]}],
        "hospitals": [
            {"id": "N1", "arrival_rate": [1.0, 2.0], "capacity": 10},
            {"id": "S1", "arrival_rate": [3.0, 4.0], "capacity": 20},
        ],
    }


def test_range_includes_stop_and_keeps_integers():
    assert parse_values("budget", "200:260:20").values == (200, 220, 240, 260)
    assert parse_values("gini.hi", "0.2:0.3:0.05").values == (0.2, 0.25, 0.3)  # no 0.30000000000000004


def test_list_values_are_typed():
    v = parse_values("x", "1, 2.5, mean, true, null")
    assert v.values == (1, 2.5, "mean", True, None)
    assert v.op == "set"


@pytest.mark.parametrize("text", ["x0.8:1.2:0.2", "×0.8,1,1.2"])
def test_factors_relative_to_the_file(text):
    v = parse_values("budget", text)
    assert v.op == "scale"
    assert v.values == (0.8, 1.0, 1.2) or v.values == (0.8, 1, 1.2)


@pytest.mark.parametrize(
    ("text", "match"),
    [("1:2:0", "range"), ("5:1:1", "range"), ("a:1:1", "three numbers"), ("", "values"), ("xa,b", "factors")],
)
def test_bad_values_are_usage_errors(text, match):
    with pytest.raises(UsageError, match=match):
        parse_values("budget", text)


def test_vary_needs_values_outside_one_at_a_time():
    with pytest.raises(UsageError, match="PATH=VALUES"):
        parse_vary("budget")
    assert parse_vary("budget", values_optional=True).values == ()


@pytest.mark.parametrize(("text", "share"), [("±10%", 0.1), ("+-5%", 0.05), ("0.2", 0.2)])
def test_percent(text, share):
    assert parse_percent(text) == pytest.approx(share)


def test_set_scale_and_select_by_id():
    base = _doc()
    doc = apply_changes(
        base,
        [("budget", "set", 12), ("gini.hi", "set", 0.25), ("regions[North].population", "scale", 1.5),
         ("hospitals[*].arrival_rate*", "scale", 2)],
        base=None, scratch=None,
    )
    assert doc["budget"] == 12
    assert doc["gini"]["hi"] == 0.25
    assert doc["regions"][0]["population"] == [150.0, 300.0]
    assert doc["regions"][1]["population"] == [50.0, 60.0]  # South untouched
    assert [h["arrival_rate"] for h in doc["hospitals"]] == [[2.0, 4.0], [6.0, 8.0]]
    assert base["budget"] == 10.0
    assert base["regions"][0]["population"] == [100.0, 200.0]


def test_position_when_no_id_matches_and_missing_fields_are_created_by_set():
    doc = apply_changes(_doc(), [("hospitals[1].capacity", "set", 5), ("yearly_budget", "set", [4, 4])],
                        base=None, scratch=None)
    assert doc["hospitals"][1]["capacity"] == 5
    assert doc["yearly_budget"] == [4, 4]


@pytest.mark.parametrize(
    ("path", "match"),
    [("regions[West].population", "North, South"), ("gini.mid", "no field 'mid'"),
     ("budget.x", "inside a float"), ("gini.hi[0]", "needs a list")],
)
def test_unresolvable_paths_name_what_exists(path, match):
    with pytest.raises(UsageError, match=match):
        check_paths(_doc(), [Vary(path, (1.0,), "scale")], base=None)


def test_factor_on_text_is_a_usage_error():
    doc = {**_doc(), "gini": {"mode": "mean"}}
    with pytest.raises(UsageError, match="numbers"):
        check_paths(doc, [Vary("gini.mode", (1.1,), "scale")], base=None)


def test_one_number_paths_record_the_resulting_value():
    (v,) = check_paths(_doc(), [Vary("budget", (0.5, 2.0), "scale")], base=None)
    assert v.column == "budget"
    assert v.label(0.5) == 5.0
    (w,) = check_paths(_doc(), [Vary("regions[North].population", (2.0,), "scale")], base=None)
    assert w.column == "regions[North].population (factor)"
    assert w.label(2.0) == 2.0


def test_table_column_scaled_through_a_scratch_copy(tmp_path):
    pd.DataFrame({"id": ["C1", "C2"], "population": [100, 300]}).to_csv(tmp_path / "demand.csv", index=False)
    doc = {"family": "siting", "demand": "demand.csv", "sites": {"table": "demand.csv", "columns": {"id": "id"}}}
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    out = apply_changes(doc, [("demand[*].population", "scale", 1.5), ("sites[C2].population", "set", 7)],
                        base=tmp_path, scratch=scratch)
    changed = pd.read_csv(out["demand"])
    assert changed["population"].tolist() == [150.0, 450.0]
    assert pd.read_csv(out["sites"]["table"])["population"].tolist() == [100, 7]
    assert out["sites"]["columns"] == {"id": "id"}  # the family's keys beside the table are kept
    assert pd.read_csv(tmp_path / "demand.csv")["population"].tolist() == [100, 300]  # base untouched
    # TABLE.column is the same as TABLE[*].column
    again = apply_changes(doc, [("demand.population", "scale", 1.5)], base=tmp_path, scratch=scratch)
    assert pd.read_csv(again["demand"])["population"].tolist() == [150.0, 450.0]


def test_grid_zip_and_one_at_a_time():
    a, b = Vary("budget", (1, 2, 3)), Vary("gini.hi", (0.2, 0.3))
    grid = scenarios([a, b], "grid")
    assert len(grid) == 6
    assert grid[1].labels == {"budget": 1, "gini.hi": 0.3}
    with pytest.raises(UsageError, match="same number"):
        scenarios([a, b], "zip")
    assert [s.labels for s in scenarios([Vary("budget", (1, 2)), b], "zip")] == [
        {"budget": 1, "gini.hi": 0.2}, {"budget": 2, "gini.hi": 0.3}]
    (va, vb) = check_paths(_doc(), [Vary("budget", (), "scale"), Vary("gini.hi", (), "scale")], base=None)
    oat = scenarios([va, vb], "grid", oat=0.1)
    assert [s.parameter for s in oat] == [None, "budget", "budget", "gini.hi", "gini.hi"]
    assert oat[0].changes == ()
    assert oat[1].labels == {"budget": 9.0}
    assert oat[4].labels == {"gini.hi": 0.33}


def test_untouched_table_columns_are_written_back_as_read(tmp_path):
    """Ids that look like numbers (census tract '060816029.00') must survive a changed column,
    or they stop matching the distance table that names them."""
    (tmp_path / "d.csv").write_text('NAME,POP\n"060816029.00",4135\n"060816028.00",4831\n')
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    out = apply_changes({"demand": {"table": "d.csv"}}, [("demand[*].POP", "scale", 2)], base=tmp_path,
                        scratch=scratch)
    changed = pd.read_csv(out["demand"]["table"], dtype=str)
    assert changed["NAME"].tolist() == ["060816029.00", "060816028.00"]
    assert changed["POP"].astype(float).tolist() == [8270.0, 9662.0]
