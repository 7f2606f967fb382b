"""Bad data in any shipped instance is exit 2 naming the place -- never an internal error (70),
never accepted (0).

Hypothesis mutates every instance under ``instances/equipment``, ``instances/pricing`` and
``instances/siting`` (their JSON/YAML/TOML documents and the CSV tables beside them), plus two
built from them so that the equipment and pricing table readers are reached too (hospitals and
regions as CSV, a participation pmf as CSV). Each mutation is invalid *by construction*, by the
schema's documented rules:

* a number replaced by a mapping, a list, text, NaN, +-inf or +-1e21 (numbers are finite and
  below HiGHS's infinity, 1e20, in every schema; ``+inf`` means "unreachable" only in
  travel-cost matrices, which are tables here);
* text (an id, a name, a model, a table reference, a column name, ``family``) or a boolean
  replaced by a mapping, a list, a number or a string holding a lone surrogate (not text);
* a table row repeated (a repeated id, pmf count or demand/site pair);
* a row deleted where something refers to it (a region with hospitals, a demand point or site
  named by the distance table, pmf mass);
* text, ``inf``, ``-inf``, ``1e400`` or ``1e21`` in a numeric column the schema reads (``-inf``,
  ``1e21`` and text only in a travel-cost column, where ``inf`` is allowed);
* an empty id cell;
* a row with one cell more or one fewer than the header.

so exit 0 is a failure. The one family of mutations expected to stay valid is a unicode id
(accents, a right-to-left override, CJK, format characters) where nothing refers to it: exit 0.
A lone surrogate (JSON ``"\\ud800"``) is not text: exit 2, and printing the message must not fail. The file is written in its own format (JSON with ``NaN``/
``Infinity``, YAML ``.nan``/``.inf``, TOML ``nan``/``inf``) and validated in-process by the
CLI's ``main``, which is what the console script runs.
"""

from __future__ import annotations

import copy
import csv
import json
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from optmodels.cli import main
from optmodels.io import _to_toml, read_document

REPO = Path(__file__).resolve().parents[2]
INSTANCES = REPO / "instances"


@dataclass
class Table:
    """A CSV beside an instance and what its columns mean to the schema."""

    name: str
    text: str
    id_column: str | None = None
    #: numeric columns the schema reads; +inf allowed (travel costs) or not
    numeric: tuple[str, ...] = ()
    inf_ok: bool = False
    #: deleting any row leaves something referring to it
    rows_referenced: bool = False


@dataclass
class Base:
    name: str
    suffix: str
    doc: dict[str, Any]
    tables: list[Table] = field(default_factory=list)


SITING_TABLES = {
    "access_demand.csv": dict(id_column="id", numeric=("x", "y", "population")),
    "access_sites.csv": dict(id_column="id", numeric=("x", "y", "supply", "supply_min", "supply_max", "fixed_cost")),
    "SF_demand_205_centroid_uniform_weight.csv": dict(
        id_column="NAME", numeric=("POP2000", "long", "lat"), rows_referenced=True
    ),
    "SF_store_site_16_longlat.csv": dict(id_column="NAME", numeric=("long", "lat"), rows_referenced=True),
    "SF_network_distance_candidateStore_16_censusTract_205_new.csv": dict(numeric=("distance",), inf_ok=True),
}


def _referenced_tables(folder: Path, doc: dict[str, Any]) -> list[Table]:
    text = json.dumps(doc)
    out = []
    for table in sorted(folder.glob("*.csv")):
        if table.name in text:
            spec = SITING_TABLES[table.name]
            header = next(csv.reader(StringIO(table.read_text())))
            # a column renamed in the instances must be renamed here too: fail at collection,
            # not only when hypothesis happens to draw the stale name
            missing = [c for c in (spec.get("id_column"), *spec.get("numeric", ())) if c and c not in header]
            assert not missing, f"{table.name} has no column {missing}; update SITING_TABLES"
            out.append(Table(table.name, table.read_text(), **spec))
    return out


def _shipped() -> list[Base]:
    bases = []
    for family in ("equipment", "pricing", "siting"):
        for path in sorted((INSTANCES / family).rglob("*")):
            if path.suffix in (".json", ".yaml", ".toml") and path.name != "manifest.json":
                doc = read_document(path)
                bases.append(Base(path.name, path.suffix, doc, _referenced_tables(path.parent, doc)))
    return bases


def _equipment_with_tables() -> Base:
    """tiny_cost.toml with its hospitals and regions moved into CSV tables (io.read_table)."""
    doc = read_document(INSTANCES / "equipment" / "tiny_cost.toml")
    n = len(doc["years"])
    rate_cols = [f"arrival_rate_{j + 1}" for j in range(n)]
    pop_cols = [f"population_{j + 1}" for j in range(n)]
    hosp = ["id,region,existing,capacity,service_rate," + ",".join(rate_cols)]
    for h in doc["hospitals"]:
        cells = [h["id"], h["region"], h["existing"], h["capacity"], h["service_rate"], *h["arrival_rate"]]
        hosp.append(",".join(map(str, cells)))
    regions = ["id," + ",".join(pop_cols)]
    regions += [",".join(map(str, [r["id"], *r["population"]])) for r in doc["regions"]]
    doc["hospitals"] = {"table": "hospitals.csv"}
    doc["regions"] = "regions.csv"
    return Base(
        "tiny_cost_tables.json",
        ".json",
        doc,
        [
            Table("hospitals.csv", "\n".join(hosp) + "\n", "id", ("existing", "capacity", "service_rate", *rate_cols)),
            # every region of tiny_cost has a hospital: deleting one leaves a dangling reference
            Table("regions.csv", "\n".join(regions) + "\n", "id", tuple(pop_cols), rows_referenced=True),
        ],
    )


def _pricing_with_pmf_table() -> Base:
    """seed_model1.yaml with the patients' Poisson(60) given as a pmf table (its bulk, renormalised)."""
    doc = read_document(INSTANCES / "pricing" / "seed_model1.yaml")
    counts = np.arange(0, 200)
    counts = counts[stats.poisson.pmf(counts, 60.0) > 1e-4]
    probs = stats.poisson.pmf(counts, 60.0)
    probs /= probs.sum()
    lines = ["count,probability"] + [f"{c},{float(p)!r}" for c, p in zip(counts, probs, strict=True)]
    doc.pop("lam_M")
    doc["dist_M"] = {"kind": "pmf", "table": "pmf_M.csv"}
    # every probability here is > 1e-6 (the tolerance of "sums to 1"): deleting a row is invalid
    assert probs.min() > 1e-5
    return Base("seed_model1_pmf.yaml", ".yaml", doc, [Table("pmf_M.csv", "\n".join(lines) + "\n", "count",
                                                             ("count", "probability"), rows_referenced=True)])


BASES = [*_shipped(), _equipment_with_tables(), _pricing_with_pmf_table()]

NUMBER_JUNK = [{"k": [1]}, ["x", {}], "abc", "é✓", float("nan"), float("inf"), float("-inf"), 1e21, -1e21]
TEXT_JUNK = [{"k": [1]}, ["x", {}], 7, 2.5, float("nan"), float("inf"), "\ud800x"]
BOOL_JUNK = [{"k": [1]}, ["x", {}], "abc"]
UNICODE_IDS = ["Zürich-é", "\u202eevil", "診療所", "{0}%s\\n", "\ud800x"]


def _leaves(doc: Any, prefix: tuple = ()):
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _leaves(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc[:4]):  # the first few entries: the rules are the same for the rest
            yield from _leaves(v, (*prefix, i))
    else:
        yield prefix, doc


def _mutable_leaves(doc: dict[str, Any]) -> list[tuple[tuple, Any]]:
    # ``years`` are labels (a number or text is valid either way)
    return [(p, v) for p, v in _leaves(doc) if p[0] != "years"]


def _set(doc: dict[str, Any], path: tuple, value: Any) -> None:
    for key in path[:-1]:
        doc = doc[key]
    doc[path[-1]] = value


def _write(doc: dict[str, Any], folder: Path, name: str, suffix: str) -> Path:
    text = json.dumps(doc, allow_nan=True)
    if "\\ud8" in text or suffix == ".json":  # lone surrogates: JSON only (YAML/TOML cannot hold them)
        path = folder / (Path(name).stem + ".json")
        path.write_text(text, encoding="utf-8")
        return path
    path = folder / name
    if suffix == ".yaml":
        path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    else:
        # The suite's own TOML writer (the standard library only reads TOML); floats are written
        # with repr, so NaN and inf come out as TOML's nan and inf.
        path.write_text(_to_toml(doc), encoding="utf-8")
    return path


def _table_mutation(draw, table: Table) -> tuple[str, str]:
    rows = list(csv.reader(StringIO(table.text)))
    header = rows[0]
    kinds = ["duplicate row", "ragged row"]
    if table.numeric:
        kinds.append("bad number")
    if table.rows_referenced:
        kinds.append("delete row")
    if table.id_column and table.id_column != "count":
        kinds.append("empty id")
    kind = draw(st.sampled_from(kinds))
    r = draw(st.integers(1, len(rows) - 1))
    if kind == "duplicate row":
        rows.append(list(rows[r]))
    elif kind == "delete row":
        del rows[r]
    elif kind == "empty id":
        rows[r][header.index(table.id_column)] = ""
    elif kind == "ragged row":
        if draw(st.booleans()):
            rows[r].append("1")
        else:
            rows[r].pop()
    else:
        column = draw(st.sampled_from(table.numeric))
        bad = ["abc", "12abc", "-inf", "1e21"] + ([] if table.inf_ok else ["inf", "1e400"])
        rows[r][header.index(column)] = draw(st.sampled_from(bad))
        kind = f"{column}={rows[r][header.index(column)]}"
    out = StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return f"{table.name}: {kind} (row {r})", out.getvalue()


@st.composite
def bad_cases(draw):
    """(label, base, mutated doc, replaced tables, expected exit code)."""
    base = draw(st.sampled_from(BASES))
    doc = copy.deepcopy(base.doc)
    tables: dict[str, str] = {}
    choices = ["leaf", "leaf"] + (["table"] if base.tables else [])
    inline_ids = base.doc.get("distance", {}).get("kind", "euclidean") == "euclidean" and isinstance(
        base.doc.get("demand"), list
    )
    if inline_ids:
        choices.append("unicode id")
    if isinstance(base.doc.get("regions"), list):
        choices.append("unicode region")
    choice = draw(st.sampled_from(choices))
    expect = 2
    if choice == "leaf":
        path, value = draw(st.sampled_from(_mutable_leaves(doc)))
        junk = BOOL_JUNK if isinstance(value, bool) else NUMBER_JUNK if isinstance(value, (int, float)) else TEXT_JUNK
        new = draw(st.sampled_from(junk))
        _set(doc, path, copy.deepcopy(new))
        label = f"{'.'.join(map(str, path))}: {value!r} -> {new!r}"
    elif choice == "table":
        table = draw(st.sampled_from(base.tables))
        label, text = _table_mutation(draw, table)
        tables[table.name] = text
    elif choice == "unicode id":
        # nothing refers to a demand point's id under Euclidean distances: still valid data
        row = draw(st.integers(0, len(doc["demand"]) - 1))
        new = draw(st.sampled_from(UNICODE_IDS))
        doc["demand"][row]["id"] = new
        # a lone surrogate is not text (no UTF-8 encoding exists): rejected, and said printably
        label, expect = f"demand[{row}].id -> {new!r}", 2 if "\ud800" in new else 0
    else:
        # hospitals still name the old region: a dangling reference, reported with the new id
        row = draw(st.integers(0, len(doc["regions"]) - 1))
        new = draw(st.sampled_from(UNICODE_IDS))
        doc["regions"][row]["id"] = new
        label = f"regions[{row}].id -> {new!r}"
    return label, base, doc, tables, expect


def _validate(path: Path, capsys) -> tuple[int, str, str]:
    try:
        code = main(["validate", str(path)])
    except SystemExit as exc:  # pragma: no cover - argparse; not expected here
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def _materialise(base: Base, doc: dict[str, Any], tables: dict[str, str], folder: Path) -> Path:
    for table in base.tables:
        (folder / table.name).write_text(tables.get(table.name, table.text), encoding="utf-8")
    return _write(doc, folder, base.name, base.suffix)


@pytest.mark.parametrize("base", BASES, ids=[b.name for b in BASES])
def test_every_base_is_valid(base, tmp_path, capsys):
    """The unmutated documents, written the way the property test writes them, validate: so an
    exit 2 below comes from the mutation, not from the writer."""
    path = _materialise(base, copy.deepcopy(base.doc), {}, tmp_path)
    code, _, err = _validate(path, capsys)
    assert code == 0, err


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=bad_cases())
def test_bad_input_exits_2_naming_the_place(case, tmp_path_factory, capsys):
    label, base, doc, tables, expect = case
    folder = tmp_path_factory.mktemp("bad")
    path = _materialise(base, doc, tables, folder)
    code, out, err = _validate(path, capsys)
    assert code != 70, (label, err)
    assert "internal error" not in err, (label, err)
    assert code == expect, (label, code, out, err)
    if expect == 2:
        assert path.name in err, (label, err)
        assert "field '" in err or " row " in err, (label, err)
        # the document itself was written correctly: the error is about the data, not the syntax
        for syntax in ("invalid JSON", "invalid YAML", "invalid TOML"):
            assert syntax not in err, (label, err)
        err.encode("utf-8")  # printable as it is

