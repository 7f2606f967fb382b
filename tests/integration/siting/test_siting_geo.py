"""The ``geo`` extra: instances from GeoDataFrames, and ``--out`` writing a GeoPackage whose
layers agree with the CSVs (open flags, assignments, accessibility) and carry the right CRS."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from optmodels.errors import InstanceError
from optmodels.siting.data.instance import SitingInstance
from optmodels.siting.family import FAMILY

gpd = pytest.importorskip("geopandas")
shapely_geometry = pytest.importorskip("shapely.geometry")
Point, Polygon = shapely_geometry.Point, shapely_geometry.Polygon


def test_solve_out_writes_geopackage_matching_the_csvs(instances_dir, tmp_path):
    out = tmp_path / "out"
    path = instances_dir / "siting" / "small" / "small_p_median.json"
    assert "siting.gpkg" in FAMILY.solve(FAMILY.load(path)).to_files(out)
    sites = gpd.read_file(out / "siting.gpkg", layer="sites")
    demand = gpd.read_file(out / "siting.gpkg", layer="demand")
    sites_csv = pd.read_csv(out / "sites.csv")
    result = json.loads((out / "result.json").read_text())
    assert sites["site_id"].tolist() == sites_csv["site_id"].tolist()
    assert sites.loc[sites["open"].astype(bool), "site_id"].tolist() == result["open_sites"]
    assert sites.crs is None  # planar x/y without a declared CRS stay undefined
    doc = json.loads((instances_dir / "siting" / "small" / "small_p_median.json").read_text())
    assert sites.geometry.x.tolist() == [s["x"] for s in doc["sites"]]
    assert demand.geometry.y.tolist() == [d["y"] for d in doc["demand"]]
    # every demand point's main site is open, and its distance is the CSV assignment's
    assign = pd.read_csv(out / "assignments.csv")
    assert set(demand["site_id"]) <= set(result["open_sites"])
    merged = demand.merge(assign, on=["demand_id", "site_id"], suffixes=("", "_csv"))
    assert len(merged) == len(demand)
    assert merged["distance"].to_numpy() == pytest.approx(merged["distance_csv"].to_numpy())
    acc = pd.read_csv(out / "accessibility.csv")
    assert demand["access_after"].to_numpy() == pytest.approx(acc["access_after"].to_numpy())
    pop = demand["population"].to_numpy()
    assert (pop * demand["distance"]).sum() == pytest.approx(result["objective"], rel=1e-9)


def test_sf_geopackage_is_lon_lat(instances_dir, tmp_path):
    out = tmp_path / "sf"
    FAMILY.solve(FAMILY.load(instances_dir / "siting" / "sf" / "sf_mclp.json")).to_files(out)
    demand = gpd.read_file(out / "siting.gpkg", layer="demand")
    assert demand.crs.to_epsg() == 4326
    assert demand.geometry.x.between(-123, -122).all()
    assert demand["covered"].dtype == bool or set(demand["covered"].unique()) <= {0, 1}


def test_equity_out_writes_supply_layer(instances_dir, tmp_path):
    out = tmp_path / "eq"
    FAMILY.solve(FAMILY.load(instances_dir / "siting" / "access_capacity.json")).to_files(out)
    sites = gpd.read_file(out / "siting.gpkg", layer="sites")
    csv = pd.read_csv(out / "sites.csv")
    assert sites["supply_after"].to_numpy() == pytest.approx(csv["supply_after"].to_numpy())
    demand = gpd.read_file(out / "siting.gpkg", layer="demand")
    assert {"access_before", "access_after", "area"} <= set(demand.columns)


def test_from_geodataframes_projected_polygons_and_site_columns():
    squares = [Polygon([(x, 0), (x + 2, 0), (x + 2, 2), (x, 2)]) for x in (0, 10)]
    d = gpd.GeoDataFrame({"tract": ["t1", "t2"], "pop": [100, 300]}, geometry=squares, crs="EPSG:32610")
    s = gpd.GeoDataFrame(
        {"name": ["a", "b"], "capacity": [500.0, 50.0], "existing": [True, False], "fixed_cost": [0.0, 7.0]},
        geometry=[Point(1, 1), Point(11, 4)],
        crs="EPSG:32610",
    )
    inst = SitingInstance.from_geodataframes(d, s, population="pop", id_column="tract", site_id_column="name", p=2)
    # polygons become their centroids (1, 1) and (11, 1)
    assert inst.cost_matrix() == pytest.approx(np.array([[0.0, np.hypot(10, 3)], [10.0, 3.0]]))
    assert inst.populations().tolist() == [100.0, 300.0]
    assert inst.capacities().tolist() == [500.0, 50.0]
    assert inst.existing().tolist() == [True, False]
    assert inst.fixed_costs().tolist() == [0.0, 7.0]
    assert inst.crs == "EPSG:32610"
    assert inst.distance.kind == "euclidean"


def test_from_geodataframes_geographic_and_reprojected_sites():
    d = gpd.GeoDataFrame({"pop": [1.0, 2.0]}, geometry=[Point(0, 0), Point(0, 1)], crs="EPSG:4326")
    # the site given in Web Mercator is reprojected to lon/lat before distances are computed
    s = gpd.GeoDataFrame(geometry=[Point(0, 0.5)], crs="EPSG:4326").to_crs("EPSG:3857")
    inst = SitingInstance.from_geodataframes(d, s, population="pop", p=1)
    assert inst.distance.kind == "great_circle"
    assert inst.demand_ids == ["0", "1"]
    assert inst.cost_matrix()[:, 0] == pytest.approx([55.5975, 55.5975], rel=1e-4)
    with pytest.raises(InstanceError, match="distance"):
        SitingInstance.from_geodataframes(d, s, population="pop", p=1, distance="network")
