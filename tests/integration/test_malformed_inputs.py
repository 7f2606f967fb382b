"""Malformed files of every kind reach the CLI: exit 2, a message naming the file, no traceback.

Hypothesis mutates a valid equipment instance -- wrong types, missing fields, negative
populations, unknown keys -- and writes it as JSON, YAML or TOML; explicit cases cover truncated
CSV tables, wrong encodings and broken syntax. Each case runs ``optmodels validate`` and
``optmodels solve`` in-process (``main``), which is what the console script calls.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optmodels.cli import main
from optmodels.io import dump_instance, read_document

REPO = Path(__file__).resolve().parents[2]
BASE = read_document(REPO / "instances" / "equipment" / "tiny_cost.toml")

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10**6, -1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.lists(st.integers(-3, 3), max_size=3),
    st.dictionaries(st.text(min_size=1, max_size=4), st.integers(), max_size=2),
)


def _paths(doc, prefix=()):
    """Every (path) into the nested instance dict."""
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, (*prefix, i))


PATHS = [p for p in _paths(BASE) if p and p != ("family",)]


@st.composite
def mutations(draw):
    doc = copy.deepcopy(BASE)
    kind = draw(st.sampled_from(["replace", "delete", "unknown_key", "negative_population"]))
    path = draw(st.sampled_from(PATHS))
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if kind == "replace":
        parent[last] = draw(JUNK)
    elif kind == "delete":
        if isinstance(parent, dict):
            del parent[last]
        else:
            parent.pop(last)
    elif kind == "unknown_key":
        target = parent if isinstance(parent, dict) else doc
        target[draw(st.sampled_from(["colour", "budgett", "Regions", "x_ijk"]))] = 1
    else:
        region = draw(st.integers(0, len(doc["regions"]) - 1))
        doc["regions"][region]["population"][0] = -draw(st.floats(1, 1e6))
    return kind, doc


def _run(path: Path, capsys) -> tuple[int, str]:
    codes = []
    for argv in (["validate", str(path)], ["solve", str(path), "--out", str(path.parent / "out")]):
        try:
            codes.append(main(argv))
        except SystemExit as exc:  # argparse usage errors
            codes.append(exc.code)
    err = capsys.readouterr().err
    return codes, err


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=mutations(), fmt=st.sampled_from([".json", ".yaml", ".toml"]))
def test_mutated_instances_exit_2_without_traceback(case, fmt, tmp_path_factory, capsys):
    kind, doc = case
    folder = tmp_path_factory.mktemp("bad")
    path = folder / f"instance{fmt}"
    try:
        dump_instance(doc, path)
    except (ValueError, TypeError):
        # TOML cannot hold null/NaN/mixed arrays: write the same document as JSON instead.
        path = folder / "instance.json"
        path.write_text(json.dumps(doc, allow_nan=True))
    codes, err = _run(path, capsys)
    assert "Traceback" not in err, err
    assert "internal error" not in err, err
    if codes[0] == 0:
        # Some mutations leave a valid instance (e.g. a junk value in an optional field that
        # accepts it, or deleting an optional key). Then solving must not fail on input --
        # except a number the schema accepts but HiGHS cannot take (1e15 prices), which
        # only the built model reveals: exit 2 naming the row, nothing written.
        if codes[1] == 2:
            assert "HiGHS's limit" in err, (kind, err)
            assert str(path) in err, (kind, err)
            assert not (folder / "out").exists()
        else:
            assert codes[1] in (0, 1), (kind, err)
    else:
        assert codes == [2, 2], (kind, codes, err)
        assert str(path) in err or path.name in err
        assert not (folder / "out").exists()


CSV_HEADER = "id,region,existing,capacity,service_rate,arrival_rate_1,arrival_rate_2,arrival_rate_3\n"
GOOD_ROWS = "N1,North,1,6000,2.5,1.9,2.6,3.1\nN2,North,0,6000,2.5,0.8,1.0,1.2\nS1,South,1,5000,2.0,1.5,1.7,1.8\nE1,East,1,6000,2.5,2.0,2.4,2.6\n"


@pytest.mark.parametrize(
    ("name", "content", "expect"),
    [
        ("truncated", (CSV_HEADER + GOOD_ROWS)[:-25].encode(), "row 4 (line 5) has 2 cell(s), the header 8"),
        ("header only", CSV_HEADER.encode(), "no rows"),
        ("empty", b"", "cannot read table"),
        ("latin-1", (CSV_HEADER + GOOD_ROWS.replace("North", "Nörth")).encode("latin-1"), "UTF-8"),
        ("text in numbers", (CSV_HEADER + GOOD_ROWS.replace("6000", "six thousand", 1)).encode(), "capacity"),
        ("utf-16", (CSV_HEADER + GOOD_ROWS).encode("utf-16"), "UTF-8"),
    ],
)
def test_bad_tables(tmp_path, capsys, name, content, expect):
    (tmp_path / "hospitals.csv").write_bytes(content)
    doc = copy.deepcopy(BASE)
    doc["hospitals"] = {"table": "hospitals.csv"}
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(doc))
    codes, err = _run(path, capsys)
    assert codes == [2, 2], err
    assert expect in err
    assert "instance.json" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("suffix", "content"),
    [
        (".json", b'{"family": "equipment", "years": [2026,'),
        (".yaml", b"family: equipment\nyears: [2026\n  - broken: : :"),
        (".toml", b"family = 'equipment'\nyears = ["),
        (".json", "{\"family\": \"equipment\"}".encode("utf-16")),
        (".json", b"[1, 2, 3]"),
        (".json", b'{"years": [2026]}'),
        (".json", b'{"family": "spaceships"}'),
        (".txt", b"family = 'equipment'"),
    ],
)
def test_broken_files(tmp_path, capsys, suffix, content):
    path = tmp_path / f"instance{suffix}"
    path.write_bytes(content)
    codes, err = _run(path, capsys)
    assert codes == [2, 2], err
    assert "instance" in err
    assert "Traceback" not in err


def test_missing_file(tmp_path, capsys):
    codes, err = _run(tmp_path / "nope.json", capsys)
    assert codes == [2, 2]
    assert "file not found" in err


def test_numbers_beyond_highs_range_exit_2_naming_the_row(tmp_path, capsys):
    """Found by the property test above: a price of 1e15 passes the schema (positive) but puts
    a coefficient at HiGHS's limit into the budget row. Exit 2, the row named, nothing written."""
    doc = copy.deepcopy(BASE)
    doc["price"] = [1e15, 3.1, 3.2]
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(doc))
    assert main(["solve", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "constraint budget" in err
    assert "1e+15" in err
    assert str(path) in err
    assert "internal error" not in err
    assert not (tmp_path / "out").exists()


# -- the audit's four messages (issue 22, item 14) -------------------------------------------


def _validate(path: Path, capsys) -> tuple[int, str]:
    code = main(["validate", str(path)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


@pytest.mark.parametrize(
    ("name", "rows", "said"),
    [
        # one cell too many in the first data row: pandas took the first column as row labels
        # and every column shifted by one (the audit's 144 problems about wrong columns)
        ("long first row", [GOOD_ROWS.splitlines()[0] + ",9.9", *GOOD_ROWS.splitlines()[1:]],
         "row 1 (line 2) has 9 cell(s), the header 8"),
        # later: pandas' tokenizer error in its own words
        ("long later row", [*GOOD_ROWS.splitlines()[:2], GOOD_ROWS.splitlines()[2] + ",9.9,1"],
         "row 3 (line 4) has 10 cell(s), the header 8"),
        # short: silently filled with missing values before
        ("short row", [*GOOD_ROWS.splitlines()[:3], "E1,East,1,6000"], "row 4 (line 5) has 4 cell(s), the header 8"),
        # blank lines are skipped, as pandas skips them: the row count is the data rows'
        ("after a blank line", [GOOD_ROWS.splitlines()[0], "", GOOD_ROWS.splitlines()[1] + ","],
         "row 2 (line 4) has 9 cell(s), the header 8"),
    ],
)
def test_a_ragged_csv_row_is_named_with_its_cell_count(tmp_path, capsys, name, rows, said):
    (tmp_path / "hospitals.csv").write_text(CSV_HEADER + "\n".join(rows) + "\n")
    doc = copy.deepcopy(BASE)
    doc["hospitals"] = {"table": "hospitals.csv"}
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(doc))
    code, err = _validate(path, capsys)
    assert code == 2, err
    assert f"{path} -> hospitals.csv: field 'hospitals': {said}" in err
    assert len(err.strip().splitlines()) == 1, err  # one problem, not one per shifted column


def test_a_ragged_siting_table_row_is_one_problem(tmp_path, capsys):
    """The audit's case: access_demand.csv with a sixth cell in its first row gave 72 problems."""
    for name in ("access_siting.yaml", "access_sites.csv"):
        shutil.copy(REPO / "instances" / "siting" / name, tmp_path / name)
    lines = (REPO / "instances" / "siting" / "access_demand.csv").read_text().splitlines()
    lines[1] += ",extra"
    (tmp_path / "access_demand.csv").write_text("\n".join(lines) + "\n")
    code, err = _validate(tmp_path / "access_siting.yaml", capsys)
    assert code == 2, err
    assert "access_demand.csv: field 'demand': row 1 (line 2) has 6 cell(s), the header 5" in err
    assert "problem(s)" not in err


@pytest.mark.parametrize(
    ("suffix", "text"),
    [
        (".json", '{"family": "pricing", "notes": ' + "[" * 5000 + "]" * 5000 + "}"),
        (".yaml", "family: pricing\nnotes: " + "[" * 5000 + "]" * 5000 + "\n"),
        (".toml", 'family = "pricing"\nnotes = ' + "[" * 5000 + "]" * 5000 + "\n"),
    ],
)
def test_deep_nesting_is_named_as_such(tmp_path, capsys, suffix, text):
    path = tmp_path / f"deep{suffix}"
    path.write_text(text)
    code, err = _validate(path, capsys)
    assert code == 2, err
    assert f"{path}: {suffix[1:].upper()} nested too deeply to read" in err
    assert "recursion" not in err  # Python's word for it, not the reader's


@pytest.mark.parametrize("family", ["equipment", "pricing", "siting"])
def test_a_deep_document_built_in_memory_is_an_instance_error(family):
    """No file is parsed, so no parser stops the depth: validation must still say what is wrong
    (it raised RecursionError while showing the value)."""
    from optmodels import registry
    from optmodels.errors import InstanceError

    deep: list = []
    inner = deep
    for _ in range(5000):
        inner.append([])
        inner = inner[0]
    field = {"equipment": "regions", "pricing": "notes", "siting": "demand"}[family]
    with pytest.raises(InstanceError, match=rf"(?s)doc\.json: .*field '{field}"):
        registry.family(family).from_document({"family": family, field: deep}, "doc.json")


def test_a_cross_field_problem_is_listed_once(tmp_path, capsys):
    """Equipment's cross-field checks raised an InstanceError inside pydantic, which printed it
    as one line of another: "1 problem(s) in the instance: - 1 problem(s) in the instance: ..."."""
    doc = copy.deepcopy(BASE)
    doc["years"] = [2026, 2026, 2027]
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(doc))
    code, err = _validate(path, capsys)
    assert code == 2, err
    assert err.count("problem(s) in the instance") == 1, err
    assert f"{path}: 1 problem(s) in the instance:\n  - field 'years': expected distinct years" in err


@pytest.mark.parametrize(("price", "field"), [(float("nan"), "price"), ([3.0, float("nan"), 3.2], "price[1]")])
def test_a_nan_price_is_one_problem(tmp_path, capsys, price, field):
    """The price is a number or one per year; pydantic tried both readings of a NaN and
    reported each (``price.float`` beside ``price.list[float][1]``)."""
    doc = copy.deepcopy(BASE)
    doc["price"] = price
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(doc, allow_nan=True))
    code, err = _validate(path, capsys)
    assert code == 2, err
    assert f"field '{field}': expected a finite number, found nan" in err
    assert err.count("'price") == 1, err  # one field path names the price
    assert "float" not in err
