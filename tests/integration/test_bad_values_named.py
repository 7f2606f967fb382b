"""Each kind of bad value the audit found (internal errors, accepted NaN/inf, values that crashed
or misled at solve) is rejected by ``optmodels validate``: exit 2, the file and field named.

Every case edits a shipped instance (written back as JSON, which keeps NaN and Infinity) and names
the field the message must carry. Boundary cases at the documented limits stay valid.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from optmodels.cli import main
from optmodels.io import read_document

INSTANCES = Path(__file__).resolve().parents[2] / "instances"
NAN, INF = float("nan"), float("inf")
BELOW_INFINITY = "a number of magnitude below 1e+20 (HiGHS reads 1e+20 and beyond as infinite)"

TINY = "equipment/tiny_cost.toml"
SEED1 = "pricing/seed_model1.yaml"
SEED3 = "pricing/seed_model3.yaml"
SF = "siting/sf/sf_p_median.json"
ACCESS = "siting/access_siting.yaml"
DISP = "siting/small/small_p_dispersion.json"
CFLP = "siting/small/small_cflp_multi.json"


def _set(path: str, value: Any) -> Callable[[dict], None]:
    def edit(doc: dict) -> None:
        keys = [int(k) if k.isdigit() else k for k in path.split(".")]
        target = doc
        for k in keys[:-1]:
            target = target[k]
        target[keys[-1]] = value

    return edit


def _both(*edits: Callable[[dict], None]) -> Callable[[dict], None]:
    def edit(doc: dict) -> None:
        for one in edits:
            one(doc)

    return edit


def _nb(r: float) -> Callable[[dict], None]:
    return _set("dist_M", {"kind": "negative_binomial", "dispersion": r})


def _delphi(doc: dict) -> None:
    doc["delphi"] = {"indicators": [{"name": "beds", "counts": [1, 2, 3, 4]}], "scores": {"N1": [INF]}}


def _site_matrix(value: float) -> Callable[[dict], None]:
    def edit(doc: dict) -> None:
        m = len(doc["sites"])
        matrix = [[0.0 if a == b else 1.0 + a + b for b in range(m)] for a in range(m)]
        matrix[1][2] = value
        doc["distance"]["site_matrix"] = matrix

    return edit


def _inline_matrix(value: float) -> Callable[[dict], None]:
    def edit(doc: dict) -> None:
        n, m = len(doc["demand"]), len(doc["sites"])
        matrix = [[1.0 + i + j for j in range(m)] for i in range(n)]
        matrix[0][1] = value
        doc["distance"] = {"kind": "matrix", "matrix": matrix}

    return edit


def _tables(**files: str) -> Callable[[dict], dict[str, str]]:
    return lambda _doc: files


def _regions_table(doc: dict) -> dict[str, str]:
    rows = ["id,population_1,population_2,population_3"]
    rows += [",".join(map(str, [r["id"], *r["population"]])) for r in doc["regions"]]
    doc["regions"] = "regions.csv"
    rows[2] = rows[2].split(",")[0] + ",inf,1,1"  # the second region's first year
    return {"regions.csv": "\n".join(rows) + "\n"}


def _pmf_table(text: str) -> Callable[[dict], dict[str, str]]:
    def edit(doc: dict) -> dict[str, str]:
        doc.pop("lam_M")
        doc["dist_M"] = {"kind": "pmf", "table": "pmf.csv"}
        return {"pmf.csv": text}

    return edit


def _dense_matrix_repeating_a_row(doc: dict) -> dict[str, str]:
    doc["demand"] = doc["demand"][:3]
    ids = [d["id"] for d in doc["demand"]]
    sites = [s["id"] for s in doc["sites"]]
    rows = ["demand_id," + ",".join(sites)]
    rows += [f"{i}," + ",".join("1.0" for _ in sites) for i in [*ids, ids[0]]]
    doc["distance"] = {"kind": "matrix", "format": "dense", "matrix": "dense.csv"}
    return {"dense.csv": "\n".join(rows) + "\n"}


def _sf_table_line(name: str, edit_lines: Callable[[list[str]], None]) -> Callable[[dict], dict[str, str]]:
    def edit(_doc: dict) -> dict[str, str]:
        lines = (INSTANCES / "siting" / "sf" / name).read_text().splitlines()
        edit_lines(lines)
        return {name: "\n".join(lines) + "\n"}

    return edit


def _access_demand_blank_id(_doc: dict) -> dict[str, str]:
    lines = (INSTANCES / "siting" / "access_demand.csv").read_text().splitlines()
    lines[3] = "," + lines[3].split(",", 1)[1]
    return {"access_demand.csv": "\n".join(lines) + "\n"}


# (case id, instance, edit of the document, edit returning replaced tables, text the error names)
CASES = [
    # -- internal errors before (exit 70) ------------------------------------------------------
    ("family mapping", TINY, _set("family", {"name": "equipment"}), None, "field 'family'"),
    ("family list", SF, _set("family", ["siting"]), None, "field 'family'"),
    ("column name a mapping", SF, _set("demand.columns.id", {"k": 1}), None, "demand.columns.id"),
    ("column name a list", SF, _set("distance.matrix.columns.cost", ["distance"]), None, "distance.matrix.columns.cost"),
    ("repeated demand row", SF, None,
     _sf_table_line("SF_demand_205_centroid_uniform_weight.csv", lambda ls: ls.append(ls[5])), "demand[205].id"),
    ("repeated site row", SF, None,
     _sf_table_line("SF_store_site_16_longlat.csv", lambda ls: ls.append(ls[2])), "sites[16].id"),
    ("dense matrix repeating a demand row", CFLP, None, _dense_matrix_repeating_a_row, "appears twice"),
    ("text in a pmf count", SEED1, None, _pmf_table("count,probability\n0,0.5\nabc,0.5\n"),
     "case.json -> pmf.csv: field 'dist_M.table.count row 2'"),
    ("fraction in a pmf count", SEED1, None, _pmf_table("count,probability\n0,0.5\n1.5,0.5\n"), "dist_M.table.count row 2"),
    ("inf in a pmf probability", SEED1, None, _pmf_table("count,probability\n0,inf\n1,0.5\n"),
     "dist_M.table.probability row 1"),
    ("inf in an equipment table", TINY, None, _regions_table, "regions.population_1 row 2"),
    ("blank id in a siting table", ACCESS, None, _access_demand_blank_id, "demand row 3"),
    ("lone surrogate in a region id", TINY, _set("regions.0.id", "\ud800North"), None, "regions[0].id"),
    # a free-text field took it and the solve summary then failed to print it (exit 70)
    ("lone surrogate in the name", CFLP, _set("name", "\ud800x"), None, "field 'name'"),
    ("lone surrogate in a key", DISP, _set("demand.2.\udc80k", 1), None, "field 'demand[2]'"),
    # -- NaN / inf accepted before (exit 0) ----------------------------------------------------
    ("price NaN", TINY, _set("price.1", NAN), None, "price"),
    ("capacity inf", TINY, _set("hospitals.0.capacity", INF), None, "hospitals[0].capacity"),
    ("service rate inf", TINY, _set("hospitals.1.service_rate", INF), None, "hospitals[1].service_rate"),
    ("waiting cost inf", TINY, _set("costs.waiting_per_hour", INF), None, "costs.waiting_per_hour"),
    ("Delphi score inf", TINY, _delphi, None, "delphi.scores.N1"),
    ("gini hi NaN", TINY, _set("gini.hi", NAN), None, "gini.hi"),
    ("lambda inf", SEED1, _set("lam_M", INF), None, "lam_M"),
    ("alpha inf", SEED1, _set("alpha_N", INF), None, "alpha_N"),
    ("theta NaN", SEED3, _set("theta", NAN), None, "theta"),
    ("cap inf", SEED1, _set("f0", INF), None, "f0"),
    ("site y inf", DISP, _set("sites.2.y", -INF), None, "sites[2].y"),
    ("cost per distance inf", CFLP, _set("parameters.cost_per_distance", INF), None, "parameters.cost_per_distance"),
    ("e2sfca step inf", CFLP, _set("access", {"method": "e2sfca", "d0": 4.0, "steps": [[2.0, 1.0], [INF, 0.5]]}),
     None, "access.steps"),
    ("site matrix NaN", DISP, _site_matrix(NAN), None, "distance.site_matrix"),
    ("inline matrix -inf", CFLP, _inline_matrix(-INF), None, "distance.matrix"),
    ("inline matrix NaN", CFLP, _inline_matrix(NAN), None, "distance.matrix"),
    # -- passed validation, then nonsense or a crash at solve -------------------------------------
    ("access scale inf", ACCESS, _set("access.scale", INF), None, "access.scale"),
    ("one site x NaN", DISP, _set("sites.0.x", NAN), None, "sites[0].x"),
    ("N0 2**70", SEED1, _set("N0", 2**70), None, "N0"),
    ("M0 2**53 + 1", SEED1, _set("M0", 2**53 + 1), None, "M0"),
    ("NB dispersion 1e-300", SEED1, _nb(1e-300), None, "dist_M.dispersion"),
    ("price nan (scalar)", TINY, _set("price", NAN), None, "price"),
    ("yearly budget NaN", TINY, _set("yearly_budget", [6.0, NAN, 6.0]), None, "yearly_budget"),
    ("F inf", SEED1, _set("F", INF), None, "'F'"),
    ("R inf", SEED1, _set("R", INF), None, "'R'"),
    ("w inf", SEED3, _set("w", INF), None, "'w'"),
    ("oM inf", SEED3, _set("oM", INF), None, "'oM'"),
    # -- magnitudes HiGHS reads as infinite (1e20 and beyond): validated, then "unbounded" ------
    ("fee cap 1e21", SEED1, _set("f0", 1e21), None, f"field 'f0': expected {BELOW_INFINITY}, found 1e+21"),
    ("lambda 1e20", SEED1, _set("lam_N", 1e20), None, f"field 'lam_N': expected {BELOW_INFINITY}"),
    ("pmf count 10**21", SEED1, _set("dist_M", {"kind": "pmf", "counts": [0, 10**21], "probabilities": [0.5, 0.5]}),
     None, "field 'dist_M.counts[1]'"),
    ("budget 1e20", TINY, _set("budget", 1e20), None, f"field 'budget': expected {BELOW_INFINITY}"),
    ("population 1e21", TINY, _set("regions.1.population.2", 1e21), None, "field 'regions[1].population[2]'"),
    ("capacity 1e25", TINY, _set("hospitals.0.capacity", 1e25), None, "field 'hospitals[0].capacity'"),
    ("yearly price 1e20", TINY, _set("price", [3.0, 1e20, 3.2]), None, "field 'price[1]'"),
    ("existing sets 10**21", TINY, _set("hospitals.2.existing", 10**21), None, "field 'hospitals[2].existing'"),
    ("demand population 1e20", CFLP, _set("demand.3.population", 1e20), None, "field 'demand[3].population'"),
    ("site capacity 1e21", CFLP, _set("sites.1.capacity", 1e21), None, "field 'sites[1].capacity'"),
    ("cost per distance 1e20", CFLP, _set("parameters.cost_per_distance", 1e20), None, "parameters.cost_per_distance"),
    ("travel cost 1e20", CFLP, _inline_matrix(1e20), None, "expected a travel cost below 1e+20"),
    ("coordinates 1.8e20 apart", CFLP, _both(_set("sites.0.x", -9e19), _set("demand.0.x", 9e19)), None,
     "computed from the euclidean coordinates"),
    ("site matrix 1e20", DISP, _site_matrix(1e20), None, "field 'distance.site_matrix'"),
]


def _write_case(tmp_path: Path, source: str, edit_doc, edit_tables) -> Path:
    src = INSTANCES / source
    for table in src.parent.glob("*.csv"):
        shutil.copy(table, tmp_path / table.name)
    doc = copy.deepcopy(read_document(src))
    if edit_doc is not None:
        edit_doc(doc)
    if edit_tables is not None:
        for name, text in edit_tables(doc).items():
            (tmp_path / name).write_text(text, encoding="utf-8")
    path = tmp_path / "case.json"
    path.write_text(json.dumps(doc, allow_nan=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(("source", "edit_doc", "edit_tables", "named"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_value_is_exit_2_naming_the_field(tmp_path, capsys, source, edit_doc, edit_tables, named):
    path = _write_case(tmp_path, source, edit_doc, edit_tables)
    code = main(["validate", str(path)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert str(path) in err
    assert named in err, err
    assert "internal error" not in err
    err.encode("utf-8")  # the message itself is printable


@pytest.mark.parametrize(
    ("source", "edit_doc"),
    [
        (SEED1, _set("N0", 2**53)),
        (SEED1, _set("M0", 2**53)),
        (SEED1, _nb(1e-6)),
        (SF, _sf_table_line("SF_network_distance_candidateStore_16_censusTract_205_new.csv",
                            lambda ls: ls.__setitem__(7, "inf," + ls[7].split(",", 1)[1]))),
        (CFLP, _inline_matrix(INF)),
        (CFLP, _set("demand.0.id", "診療所-é\u202e")),
        (CFLP, _set("name", "clinics \U0001f600")),  # JSON writes it as a surrogate *pair*: one character
        (SEED1, _set("f0", 9.99e19)),
        (CFLP, _inline_matrix(9.99e19)),
    ],
    ids=["N0 = 2**53", "M0 = 2**53", "dispersion = 1e-6", "inf cost in a matrix table = unreachable",
         "inf inline cost = unreachable", "unicode id", "emoji in the name", "cap just below 1e20",
         "travel cost just below 1e20"],
)
def test_documented_limits_stay_valid(tmp_path, capsys, source, edit_doc):
    if source == SF:
        path = _write_case(tmp_path, source, None, edit_doc)
    else:
        path = _write_case(tmp_path, source, edit_doc, None)
    assert main(["validate", str(path)]) == 0, capsys.readouterr().err


def test_a_cap_highs_reads_as_infinite_is_refused_before_the_solve(tmp_path, capsys):
    """The audit's case: f0 = 1e21 passed validation and the solve said "unbounded" (exit 1)."""
    path = _write_case(tmp_path, SEED1, _set("f0", 1e21), None)
    code = main(["solve", str(path)])
    captured = capsys.readouterr()
    assert code == 2, captured.err
    assert f"field 'f0': expected {BELOW_INFINITY}" in captured.err
    assert "unbounded" not in captured.out + captured.err
