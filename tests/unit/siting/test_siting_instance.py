"""Siting instances: distances, tables beside the file, and every kind of bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from optmodels.errors import InstanceError
from optmodels.siting import SitingInstance
from optmodels.siting.data import distances
from optmodels.siting.data.instance import load


def test_euclidean_and_great_circle_known_values():
    d = distances.euclidean([0, 3], [0, 4], [0], [0])
    assert d.ravel().tolist() == [0.0, 5.0]
    # one degree of latitude on the IUGG mean sphere: 2*pi*6371.0088/360 km
    g = distances.great_circle([0.0], [0.0], [0.0], [1.0])
    assert g[0, 0] == pytest.approx(2 * np.pi * 6371.0088 / 360, rel=1e-12)
    # antipodes: half the circumference
    assert distances.great_circle([0.0], [0.0], [180.0], [0.0])[0, 0] == pytest.approx(np.pi * 6371.0088)


def test_network_last_duplicate_edge_wins_and_unreachable_is_inf():
    # a-b listed twice: 1 then 5 -> 5 wins (not the minimum, not the sum); e is isolated
    d = distances.network(["a", "b", "b", "c"], ["b", "c", "a", "d"], [1, 2, 5, 1], ["a", "d"], ["b", "c", "d", "e"])
    assert d.tolist() == [[5, 7, 8, np.inf], [3, 1, 0, np.inf]]
    directed = distances.network(["a"], ["b"], [2.0], ["a", "b"], ["a", "b"], directed=True)
    assert directed.tolist() == [[0, 2], [np.inf, 0]]


def test_long_and_dense_tables():
    long = pd.DataFrame({"demand_id": ["1", "2"], "site_id": ["s", "t"], "cost": [1.0, 2.0]})
    m = distances.matrix_from_long(long, ["1", "2"], ["s", "t"])
    assert m.tolist() == [[1, np.inf], [np.inf, 2]]
    with pytest.raises(ValueError, match="row 1: site_id 'x' is not a site id"):
        distances.matrix_from_long(long.assign(site_id=["s", "x"]), ["1", "2"], ["s", "t"])
    with pytest.raises(ValueError, match="appears twice"):
        distances.matrix_from_long(long.assign(site_id=["s", "s"], demand_id=["1", "1"]), ["1", "2"], ["s", "t"])
    dense = pd.DataFrame({"demand_id": ["2", "1"], "t": [4.0, None], "s": [3.0, 1.0]})
    assert distances.matrix_from_dense(dense, ["1", "2"], ["s", "t"]).tolist() == [[1, np.inf], [3, 4]]


def _write(tmp_path, doc, tables=None):
    for name, frame in (tables or {}).items():
        frame.to_csv(tmp_path / name, index=False)
    path = tmp_path / "case.json"
    path.write_text(json.dumps({"family": "siting", **doc}))
    return path


BASE = {
    "model": "p_median",
    "parameters": {"p": 1},
    "demand": [{"id": "a", "x": 0, "y": 0, "population": 2}, {"id": "b", "x": 3, "y": 4}],
    "sites": [{"id": "s", "x": 0, "y": 0}, {"id": "t", "x": 3, "y": 0}],
}


def test_tables_beside_the_file_keep_ids_as_text(tmp_path):
    demand = pd.DataFrame({"NAME": ["060750101.00", "060750102.00"], "POP": [10, 20], "X": [0, 1], "Y": [0, 1], "other": ["u", "v"]})
    long = pd.DataFrame({"dest": ["060750101.00", "060750102.00"], "site": ["s", "s"], "metres": [5, 7]})
    doc = {
        "model": "p_median",
        "parameters": {"p": 1},
        "demand": {"table": "demand.csv", "columns": {"id": "NAME", "population": "POP", "x": "X", "y": "Y"}},
        "sites": [{"id": "s"}],
        "distance": {"kind": "matrix", "format": "long", "matrix": {"table": "d.csv", "columns": {"demand_id": "dest", "site_id": "site", "cost": "metres"}}},
    }
    inst = load(_write(tmp_path, doc, {"demand.csv": demand, "d.csv": long}))
    assert inst.demand_ids == ["060750101.00", "060750102.00"]
    assert inst.populations().tolist() == [10, 20]
    assert inst.cost_matrix().tolist() == [[5], [7]]


def test_network_file(tmp_path):
    edges = pd.DataFrame({"from": [1, 2, 1], "to": [2, 3, 2], "cost": [1.0, 1.0, 4.0]})
    doc = {"model": "p_median", "parameters": {"p": 1}, "demand": [{"id": "1"}, {"id": "3"}], "sites": [{"id": "2"}],
           "distance": {"kind": "network", "edges": "e.csv"}}
    inst = load(_write(tmp_path, doc, {"e.csv": edges}))
    assert inst.cost_matrix().tolist() == [[4.0], [1.0]]


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d["demand"].append({"id": "a", "x": 1, "y": 1}), r"demand\[2\]\.id.*repeats row 0"),
        (lambda d: d["demand"][1].update(population=-1), r"demand\[1\]\.population"),
        (lambda d: d["parameters"].update(p=3), r"parameters\.p.*between 0 .* and 2"),
        (lambda d: d["sites"][0].update(closable=True), r"closable=true needs existing=true"),
        (lambda d: d["sites"][1].pop("x"), r"sites\[1\].*needs x and y"),
        (lambda d: d.update(model="lscp", parameters={"radius": 1.0}), r"'b' \(row 1\) has no site within radius 1"),
        (lambda d: d.update(model="mclp", parameters={"radius": 1.0}), r"mclp needs p"),
        (lambda d: d["parameters"].update(cutoff=2.0), r"demand\[1\].*no site within the cut-off 2"),
        (lambda d: d.update(parameters={"p": 1, "capacitated": True}), r"capacity"),
        (lambda d: d["sites"][0].update(capcity=3), r"unknown field"),
    ],
)
def test_bad_input_names_field_and_row(tmp_path, change, match):
    doc = json.loads(json.dumps(BASE))
    change(doc)
    with pytest.raises(InstanceError, match=match) as err:
        load(_write(tmp_path, doc))
    assert "case.json" in str(err.value)


def test_capacity_below_demand_and_missing_table(tmp_path):
    doc = json.loads(json.dumps(BASE))
    doc["parameters"]["capacitated"] = True
    for s in doc["sites"]:
        s["capacity"] = 1.0
    with pytest.raises(InstanceError, match=r"total capacity 2 is below total demand 3"):
        load(_write(tmp_path, doc))
    doc = {**BASE, "demand": "nowhere.csv"}
    with pytest.raises(InstanceError, match="referenced table not found"):
        load(_write(tmp_path, doc))


def test_from_arrays_dataframes_and_with_changes():
    cost = np.array([[1.0, 4.0], [3.0, 1.0], [2.0, 2.0]])
    inst = SitingInstance.from_arrays(cost, [1, 2, 3], site_ids=["A", "B"], model="mclp", p=1, radius=2.0, access_d0=3.0)
    assert inst.site_ids == ["A", "B"]
    assert inst.access.d0 == 3.0
    assert inst.with_changes("p_center").model == "p_center"
    with pytest.raises(InstanceError, match="parameters.p"):
        inst.with_changes(p=5)
    demand = pd.DataFrame({"id": [1, 2], "lon": [0.0, 0.0], "lat": [0.0, 1.0], "pop": [5, 6]})
    sites = pd.DataFrame({"id": ["h"], "lon": [0.0], "lat": [0.5]})
    gc = SitingInstance.from_dataframes(demand, sites, distance="great_circle", demand_columns={"population": "pop"}, p=1)
    assert gc.cost_matrix()[:, 0] == pytest.approx([55.5975, 55.5975], rel=1e-4)
    assert gc.demand_ids == ["1", "2"]


def test_from_geodataframes_when_geopandas_is_installed():
    gpd = pytest.importorskip("geopandas")
    from shapely.geometry import Point

    d = gpd.GeoDataFrame({"name": ["a", "b"], "pop": [1, 2]}, geometry=[Point(0, 0), Point(3, 4)], crs="EPSG:3857")
    s = gpd.GeoDataFrame({"name": ["s"]}, geometry=[Point(0, 0)], crs="EPSG:3857")
    inst = SitingInstance.from_geodataframes(d, s, population="pop", id_column="name", site_id_column="name", p=1)
    assert inst.cost_matrix().ravel().tolist() == [0.0, 5.0]
