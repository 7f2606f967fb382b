"""``optmodels report`` and ``--report`` without a browser: what each kind's page holds, that it
loads nothing by URL, bad folders and a missing extra (exit 2, nothing written), the record of
written files, and how siting points are put on the map. The browser tests
(test_report_browser.py) check that the pages render."""

from __future__ import annotations

import html
import json
import os
import re
import stat
import sys

import numpy as np
import pandas as pd
import pytest
from _report_cases import KINDS, big_siting_folder

from optmodels.cli import main
from optmodels.htmlreport import geomap, render
from optmodels.htmlreport.folder import read_folder
from optmodels.htmlreport.page import check_offline


def _report(folder) -> str:
    return (folder / "report.html").read_text(encoding="utf-8")


def _map_document(text: str) -> str:
    match = re.search(r"<iframe class=\"map\"[^>]*srcdoc='([^']*)'", text)
    assert match, "no map frame"
    return html.unescape(match.group(1))


# -- siting folders carry what a map needs ------------------------------------------------------


def test_siting_tables_end_with_the_points_coordinates(report_folders, instances_dir):
    doc = json.loads((instances_dir / "siting" / "small" / "small_mclp.json").read_text())
    sites = pd.read_csv(report_folders["siting"] / "sites.csv")
    demand = pd.read_csv(report_folders["siting"] / "demand.csv")
    # the columns written before stay first, in their order; the coordinates follow
    assert list(sites.columns) == ["site_id", "existing", "open", "fixed_cost", "capacity", "supply",
                                   "population_served", "x", "y"]
    assert sites["x"].to_numpy() == pytest.approx([s["x"] for s in doc["sites"]], abs=1e-12)
    assert demand["demand_id"].tolist() == [d["id"] for d in doc["demand"]]
    assert demand["y"].to_numpy() == pytest.approx([d["y"] for d in doc["demand"]], abs=1e-12)
    assign = pd.read_csv(report_folders["siting"] / "assignments.csv")
    merged = demand.merge(assign, on=["demand_id", "site_id"], suffixes=("", "_a"))
    assert merged["distance"].to_numpy() == pytest.approx(merged["distance_a"].to_numpy(), rel=1e-12)
    lonlat = pd.read_csv(report_folders["siting_lonlat"] / "demand.csv", dtype={"demand_id": str})
    assert {"lon", "lat"} <= set(lonlat.columns)
    assert lonlat["lon"].between(-123, -122).all()


def test_siting_result_json_says_radius_distance_unit_and_crs(report_folders):
    result = json.loads((report_folders["siting_lonlat"] / "result.json").read_text())
    assert result["parameters"]["radius"] == pytest.approx(5000.0, abs=1e-9)
    assert result["distance"] == {"kind": "matrix", "unit": "m"}
    assert "crs" not in result  # lon/lat need none; x/y carry theirs (below)


# -- every kind: one self-contained page --------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_is_one_page_that_loads_nothing(report_folders, kind):
    folder = report_folders[kind]
    text = _report(folder)
    check_offline(text)  # no script, stylesheet, image or frame by URL
    assert not re.search(r"<(script|link)\b[^>]*\b(src|href)=", text)
    if "<iframe" in text:
        check_offline(_map_document(text))
    # every CSV is a table, every PNG an inline image
    for csv in folder.glob("*.csv"):
        assert f'data-name="{csv.stem}"' in text, csv.name
    assert text.count("data:image/png;base64,") >= len(list(folder.glob("*.png")))


def test_result_page_has_the_verdict_objective_and_a_map_only_with_coordinates(report_folders):
    siting = _report(report_folders["siting"])
    assert 'id="verdict">optimal<' in siting
    assert "coverage (max) = 571" in siting
    assert "map-frame" in siting
    assert "Leaflet" in _map_document(siting)
    equipment = _report(report_folders["equipment"])
    assert "equipment: tiny-cost" in equipment
    assert "map-frame" not in equipment
    assert "plotly" not in equipment.lower()  # no 4.6 MB of plotly.js where no chart is drawn


def test_front_page_has_one_chart_point_per_front_point(report_folders):
    text = _report(report_folders["front"])
    front = pd.read_csv(report_folders["front"] / "front.csv")
    match = re.search(r'Plotly\.newPlot\(\s*"front-chart",\s*(\[.*?\])\s*,\s*\{', text, re.S)
    assert match, "no plotly figure"
    traces = json.loads(match.group(1))
    assert len(traces) == 1
    assert traces[0]["x"] == pytest.approx(front["profit"].tolist(), rel=1e-12)
    decisions = [row[0] for row in traces[0]["customdata"]]
    assert decisions[0] == html.escape(front["decision"][0])


def test_sweep_page_says_what_varied_and_how_scenarios_ended(report_folders):
    text = _report(report_folders["sweep"])
    assert "parameters.p = 1, 2, 3, 4" in text
    assert "optimal 4" in text


def test_big_siting_map_is_aggregated_and_says_so(report_folders):
    folder = report_folders["siting_big"]
    text = _report(folder)
    frame = _map_document(text)
    markers = frame.count("L.circleMarker(")
    assert markers <= geomap.MAX_DEMAND_MARKERS + geomap.MAX_SITE_MARKERS + 12
    assert "demand points aggregated on a 44 x 44 grid" in text
    assert "candidate sites not opened: one in 2 is drawn" in text
    assert "The first 2,000 of 4,500 rows" in text
    assert "big &lt;city&gt;" in text  # the instance name is text, not markup


def test_aggregation_keeps_the_population():
    rng = np.random.default_rng(3)
    n = 5000
    lat, lng, pop = rng.uniform(0, 1, n), rng.uniform(0, 2, n), rng.uniform(0, 100, n)
    value = rng.uniform(0, 9, n)
    frame = pd.DataFrame({"covered": rng.uniform(size=n) < 0.7})
    cells, g = geomap._aggregate(lat, lng, pop, frame, value, 2000)
    assert g * g <= 2000
    assert len(cells) <= g * g
    assert cells["population"].sum() == pytest.approx(pop.sum(), rel=1e-12)
    assert cells["points"].sum() == n
    uncovered = (pop * ~frame["covered"].to_numpy()).sum()
    assert cells["uncovered_population"].sum() == pytest.approx(uncovered, rel=1e-12)
    # a cell's value is its population-weighted mean, within the points' range
    assert cells["value"].between(value.min(), value.max()).all()


def test_a_map_element_that_would_load_from_a_cdn_is_refused():
    folium = pytest.importorskip("folium")
    from folium.plugins import MarkerCluster

    m = folium.Map(tiles=None)
    MarkerCluster().add_to(m)  # brings its own script and stylesheets from a CDN
    with pytest.raises(RuntimeError, match="from outside the page"):
        geomap.render_offline(m)
    plain = folium.Map(tiles=None)
    folium.CircleMarker([0.0, 0.0], radius=3).add_to(plain)
    check_offline(geomap.render_offline(plain))  # vector layers need Leaflet alone, inlined


# -- where points go -----------------------------------------------------------------------------


def test_planar_points_without_crs_are_drawn_on_a_plain_grid(report_folders):
    placed = geomap.place(read_folder(report_folders["siting"]))
    demand = pd.read_csv(report_folders["siting"] / "demand.csv")
    assert placed.crs == "Simple"
    assert placed.circle_factor == pytest.approx(1.0, abs=0)
    assert placed.demand_lat == pytest.approx(demand["y"].to_numpy(), abs=0)
    assert placed.demand_lng == pytest.approx(demand["x"].to_numpy(), abs=0)


def test_lonlat_points_and_a_metre_radius(report_folders):
    placed = geomap.place(read_folder(report_folders["siting_lonlat"]))
    assert placed.crs == "EPSG3857"
    assert placed.circle_factor == pytest.approx(1.0, abs=0)
    assert np.all((placed.demand_lat > 37.6) & (placed.demand_lat < 37.9))


def test_projected_points_are_reprojected_to_lonlat(tmp_path):
    gpd = pytest.importorskip("geopandas")
    pyproj = pytest.importorskip("pyproj")
    from shapely.geometry import Point

    from optmodels.siting import SitingInstance
    from optmodels.siting.family import FAMILY

    # UTM zone 10N metres around San Francisco
    xs, ys = [551000.0, 553000.0, 549500.0, 552500.0], [4180000.0, 4182500.0, 4179000.0, 4177500.0]
    demand = gpd.GeoDataFrame({"id": list("abcd"), "pop": [10, 20, 30, 40]},
                              geometry=[Point(x, y) for x, y in zip(xs, ys, strict=True)], crs="EPSG:32610")
    sites = gpd.GeoDataFrame({"name": ["s1", "s2"]}, geometry=[Point(551500, 4180500), Point(552000, 4178000)],
                             crs="EPSG:32610")
    inst = SitingInstance.from_geodataframes(demand, sites, population="pop", id_column="id",
                                             site_id_column="name", model="mclp", p=1, radius=2500.0)
    out = tmp_path / "utm"
    FAMILY.solve(inst).to_files(out)
    assert json.loads((out / "result.json").read_text())["crs"] == "EPSG:32610"
    placed = geomap.place(read_folder(out))
    lon, lat = pyproj.Transformer.from_crs("EPSG:32610", "EPSG:4326", always_xy=True).transform(xs, ys)
    assert placed.crs == "EPSG3857"
    assert placed.demand_lat == pytest.approx(lat, abs=1e-9)
    assert placed.demand_lng == pytest.approx(lon, abs=1e-9)
    assert placed.circle_factor == pytest.approx(1.0, abs=0)  # UTM metres
    assert "reprojected to lon/lat" in render(read_folder(out))


# -- the command ---------------------------------------------------------------------------------


def test_report_command_writes_where_told(report_folders, tmp_path, capsys):
    target = tmp_path / "elsewhere" / "front.html"
    assert main(["report", str(report_folders["front"]), "-o", str(target)]) == 0
    assert str(target) in capsys.readouterr().out
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask  # a new file's, not 0600
    # written elsewhere: the folder's record of what the suite wrote is left alone
    manifest = json.loads((report_folders["front"] / ".optmodels-output.json").read_text())
    assert "front.html" not in manifest["files"]


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (lambda d: None, "no such folder"),
        (lambda d: d.mkdir(), "expected a folder written by optmodels"),
        (lambda d: d.write_text("x"), "expected a result folder, found a file"),
        (lambda d: (d.mkdir(), (d / "result.json").write_text("{oops")), "result.json: expected JSON"),
        (lambda d: (d.mkdir(), (d / "pareto.json").write_text("{}")), "front.csv is missing"),
        (lambda d: (d.mkdir(), (d / "sweep.json").write_text("[1]")), "expected a JSON object"),
    ],
    ids=["missing", "empty", "file", "bad-json", "front-without-csv", "sweep-not-object"],
)
def test_not_a_result_folder_exits_2_naming_it(tmp_path, capsys, setup, expected):
    target = tmp_path / "dir"
    setup(target)
    assert main(["report", str(target)]) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err
    assert not list(tmp_path.rglob("report.html"))


def test_report_over_a_folder_is_refused(report_folders, tmp_path, capsys):
    assert main(["report", str(report_folders["pricing"]), "-o", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_missing_extra_exits_2_before_any_solve(instances_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "folium", None)  # import folium -> ImportError
    out = tmp_path / "out"
    path = str(instances_dir / "equipment" / "tiny_cost.toml")
    assert main(["solve", path, "--out", str(out), "--report"]) == 2
    err = capsys.readouterr().err
    assert 'pip install "optmodels[report]"' in err
    assert "folium" in err
    assert not out.exists()  # refused before solving, nothing written
    assert main(["report", str(tmp_path)]) == 2
    assert 'pip install "optmodels[report]"' in capsys.readouterr().err


def test_a_run_without_a_solution_still_reports_its_verdict(instances_dir, tmp_path):
    out = tmp_path / "none"
    path = str(instances_dir / "pricing" / "no_viable_model1.yaml")
    assert main(["solve", path, "--out", str(out), "--report"]) == 1  # no fee is viable
    text = _report(out)
    verdict = json.loads((out / "result.json").read_text())["verdict"]
    assert f'id="verdict">{verdict}<' in text
    assert 'id="tables"' not in text  # no solution, no tables


def test_report_flag_needs_out(instances_dir, capsys):
    path = str(instances_dir / "equipment" / "tiny_cost.toml")
    assert main(["solve", path, "--report"]) == 2
    assert "--out" in capsys.readouterr().err


def test_a_report_in_the_folder_leaves_with_the_run_it_describes(instances_dir, tmp_path):
    out = tmp_path / "out"
    path = str(instances_dir / "equipment" / "tiny_cost.toml")
    assert main(["solve", path, "--out", str(out), "--report"]) == 0
    manifest = json.loads((out / ".optmodels-output.json").read_text())
    assert "report.html" in manifest["files"]
    # a new run into the folder without --report: no report of the old run stays beside it
    assert main(["solve", path, "--out", str(out), "--objective", "equity"]) == 0
    assert not (out / "report.html").exists()
    # `optmodels report DIR` joins the record the same way
    assert main(["report", str(out)]) == 0
    assert "report.html" in json.loads((out / ".optmodels-output.json").read_text())["files"]


def test_a_report_of_a_folder_without_a_record_still_reads_its_files(tmp_path):
    folder = big_siting_folder(tmp_path / "plain", n_demand=30, n_sites=20)
    text = render(read_folder(folder))
    assert 'data-name="demand"' in text
    assert 'data-name="sites"' in text
    assert "aggregated" not in text  # 30 points are drawn one by one
