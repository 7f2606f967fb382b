"""Malformed files of every kind reach the CLI: exit 2, a message naming the file, no traceback.

Hypothesis mutates a valid equipment instance -- wrong types, missing fields, negative
populations, unknown keys -- and writes it as JSON, YAML or TOML; explicit cases cover truncated
CSV tables, wrong encodings and broken syntax. Each case runs ``optmodels validate`` and
``optmodels solve`` in-process (``main``), which is what the console script calls.
"""

from __future__ import annotations

import copy
import json
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
        ("truncated", (CSV_HEADER + GOOD_ROWS)[:-25].encode(), "arrival_rate"),
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
