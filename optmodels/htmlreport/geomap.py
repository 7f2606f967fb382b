"""The interactive map of a siting result: Leaflet through folium, inlined, no tiles.

Drawn from the folder's ``sites.csv`` and ``demand.csv`` when both end with coordinates (``x, y``
or ``lon, lat``, as :mod:`optmodels.siting.report` writes them) and ``sites.csv`` says which
sites are ``open``; ``result.json`` gives the coverage radius (``parameters.radius``), the
distance's kind and unit, and the ``crs`` of x/y.

Design choices:

- **Where the points go.** lon/lat are drawn on Leaflet's usual Web-Mercator map. x/y with a
  known ``crs`` are reprojected to lon/lat with pyproj (which geopandas, the ``geo`` extra,
  brings); x/y without one (the shipped small cases, generated cities) -- or when pyproj is
  missing or does not know the CRS -- are drawn as they are on Leaflet's plain ``Simple``
  CRS (1 unit = 1 unit, north up), which the page says. Never guessed: a planar grid is not
  pretended to be somewhere on Earth.
- **No background map.** Tiles come from a server, and the report must open offline; points,
  circles and distances stay to scale on the grey background.
- **Offline.** folium's templates load Leaflet, jQuery, Bootstrap and Font Awesome from CDNs.
  The map uses vector layers only (circle markers, circles), which need Leaflet alone: the Map's
  ``default_js`` / ``default_css`` are emptied and Leaflet 1.9.4, vendored under ``vendor/``
  (BSD-2, its README records the source and checksums), is inlined instead; the rendered map
  is checked to load nothing from anywhere (:func:`check_offline`) before it is used. The map
  is its own small document in an ``<iframe srcdoc>`` (as folium's notebook display does), so
  folium's full-page styles do not reach the report's page.
- **Light for big results.** At most :data:`MAX_DEMAND_MARKERS` demand markers: beyond that,
  demand points are aggregated on a square grid (one marker per non-empty cell at its
  population-weighted centre, coloured by the population-weighted mean), and the page says so.
  Closed candidate sites beyond :data:`MAX_SITE_MARKERS` are thinned evenly; open sites are
  always all drawn.
- **Colour** is the distance to the main site when the model assigns demand, else the
  accessibility after the plan (equity models); demand the model counts as not covered gets a
  red ring. A legend below the map gives the range.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from optmodels.htmlreport.folder import Folder
from optmodels.htmlreport.page import check_offline, esc, fmt

LEAFLET_VERSION = "1.9.4"
MAX_DEMAND_MARKERS = 2000
MAX_SITE_MARKERS = 2000

_METRES = {"m": 1.0, "metre": 1.0, "metres": 1.0, "meter": 1.0, "meters": 1.0,
           "km": 1000.0, "kilometre": 1000.0, "kilometres": 1000.0, "kilometer": 1000.0,
           "kilometers": 1000.0, "mi": 1609.344, "mile": 1609.344, "miles": 1609.344}

SITE_STYLES = {  # kind -> (label, stroke colour, fill colour or None for a ring, radius px)
    "opened": ("opened", "#7a0b0b", "#d62728", 8),
    "existing_open": ("existing, open", "#0b4d1a", "#2ca02c", 8),
    "existing_closed": ("existing, closed", "#2ca02c", None, 8),
    "closed": ("candidate, not opened", "#555555", "#bbbbbb", 4),
}


@dataclass(frozen=True)
class Placed:
    """Points in the map's coordinates: ``lat``/``lng`` (Simple CRS: y/x)."""

    demand_lat: np.ndarray
    demand_lng: np.ndarray
    site_lat: np.ndarray
    site_lng: np.ndarray
    crs: str  # folium's crs name: "EPSG3857" or "Simple"
    circle_factor: float | None  # coverage radius -> circle radius (metres, or Simple units)
    notes: tuple[str, ...]


def coordinate_columns(frame: pd.DataFrame) -> tuple[str, str] | None:
    for pair in (("x", "y"), ("lon", "lat")):
        if set(pair) <= set(frame.columns) and frame[list(pair)].notna().all().all():
            return pair
    return None


def can_map(folder: Folder) -> bool:
    sites, demand = folder.tables.get("sites"), folder.tables.get("demand")
    if sites is None or demand is None or "open" not in sites.columns or sites.empty or demand.empty:
        return False
    pair = coordinate_columns(sites)
    return pair is not None and pair == coordinate_columns(demand)


def _length_factor(unit: Any) -> float | None:
    return _METRES.get(str(unit).strip().lower()) if unit else None


def place(folder: Folder) -> Placed:
    """Put demand and sites on the map (see the module docstring) with what the page must say."""
    doc = folder.document
    sites, demand = folder.tables["sites"], folder.tables["demand"]
    a, b = coordinate_columns(sites)  # type: ignore[misc]
    dx, dy = demand[a].to_numpy(float), demand[b].to_numpy(float)
    sx, sy = sites[a].to_numpy(float), sites[b].to_numpy(float)
    distance = doc.get("distance") if isinstance(doc.get("distance"), dict) else {}
    kind, unit = distance.get("kind"), distance.get("unit")
    if (a, b) == ("lon", "lat"):
        # great-circle costs are in km; a matrix's or network's are in its stated unit
        factor = 1000.0 if kind == "great_circle" else _length_factor(unit)
        return Placed(dy, dx, sy, sx, "EPSG3857", factor, ("lon/lat (WGS 84), no background map.",))
    crs = doc.get("crs")
    if crs:
        try:
            import pyproj

            source = pyproj.CRS.from_user_input(crs)
            to_lonlat = pyproj.Transformer.from_crs(source, "EPSG:4326", always_xy=True)
            dlon, dlat = to_lonlat.transform(dx, dy)
            slon, slat = to_lonlat.transform(sx, sy)
            axis = source.axis_info[0] if source.axis_info else None
            crs_unit = axis.unit_conversion_factor if axis is not None else None
        except ImportError:
            why = "pyproj is not installed (pip install \"optmodels[geo]\")"
        except Exception as exc:  # noqa: BLE001 - pyproj's CRSError/ProjError: say it, draw planar
            why = f"pyproj cannot use it ({type(exc).__name__})"
        else:
            if np.isfinite(dlon).all() and np.isfinite(slon).all():
                factor = crs_unit if kind == "euclidean" else _length_factor(unit)
                return Placed(np.asarray(dlat), np.asarray(dlon), np.asarray(slat), np.asarray(slon),
                              "EPSG3857", factor, (f"x/y in {crs}, reprojected to lon/lat; no background map.",))
            why = "some points fall outside it"
        simple_note = f"x/y in {crs} drawn as a plain grid: {why}."
    else:
        simple_note = "x/y without a coordinate reference system: drawn as a plain grid (north up, to scale)."
    factor = 1.0 if kind == "euclidean" else None
    return Placed(dy, dx, sy, sx, "Simple", factor, (simple_note,))


def _tip(text: str) -> str:
    """Tooltip HTML made safe for folium's template, which puts it in a JavaScript template
    literal: a backtick, ``${`` or backslash in an id would end or change that literal."""
    return text.replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")


def _colours(values: np.ndarray) -> tuple[list[str], float, float, str]:
    """Hex colours of ``values`` on viridis (missing values grey), the range, and a CSS ramp."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    cmap = colormaps["viridis"]
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    span = hi - lo if hi > lo else 1.0
    out = [to_hex(cmap((v - lo) / span)) if np.isfinite(v) else "#999999" for v in values]
    ramp = "linear-gradient(to right, " + ", ".join(to_hex(cmap(t)) for t in np.linspace(0, 1, 6)) + ")"
    return out, lo, hi, ramp


def _aggregate(lat: np.ndarray, lng: np.ndarray, weight: np.ndarray, frame: pd.DataFrame,
               value: np.ndarray, limit: int) -> tuple[pd.DataFrame, int]:
    """Demand on a g x g grid (g^2 <= limit): one row per non-empty cell, at its
    population-weighted centre with its population-weighted mean value (plain means in a cell
    whose population is 0)."""
    g = max(1, math.isqrt(limit))

    def cell(v: np.ndarray) -> np.ndarray:
        lo, hi = float(v.min()), float(v.max())
        return np.minimum(((v - lo) / (hi - lo) * g).astype(int), g - 1) if hi > lo else np.zeros(len(v), int)

    w = np.where(weight > 0, weight, 0.0)
    known = np.isfinite(value)
    v = np.where(known, value, 0.0)
    data = pd.DataFrame({
        "key": cell(lat) * g + cell(lng), "n": 1, "pop": w, "lat_w": lat * w, "lng_w": lng * w,
        "lat": lat, "lng": lng, "v_w": v * w, "vw": known * w, "v": v, "vn": known.astype(int),
    })
    if "covered" in frame.columns:
        data["uncovered"] = (~frame["covered"].astype(bool)).to_numpy() * w
    s = data.groupby("key").sum()
    weighted = s["pop"] > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame({
            "lat": np.where(weighted, s["lat_w"] / s["pop"], s["lat"] / s["n"]),
            "lng": np.where(weighted, s["lng_w"] / s["pop"], s["lng"] / s["n"]),
            "population": s["pop"], "points": s["n"],
            "value": np.where(s["vw"] > 0, s["v_w"] / s["vw"], np.where(s["vn"] > 0, s["v"] / s["vn"], np.nan)),
        })
    if "uncovered" in s.columns:
        out["uncovered_population"] = s["uncovered"]
    return out.reset_index(drop=True), g


@dataclass
class _Canvas:
    """The folium map being drawn, how positions are written on it, and what the page must say."""

    m: Any
    placed: Placed
    digits: int
    notes: list[str]

    def at(self, lat: float, lng: float) -> list[float]:
        return [round(float(lat), self.digits), round(float(lng), self.digits)]


def _canvas(placed: Placed) -> _Canvas:
    import folium

    simple = placed.crs == "Simple"
    # zoomSnap 0.25: the view fits the points closely (whole zoom levels halve the scale). The
    # zoom range is the map's own (folium's min_zoom/max_zoom go to a tile layer, and there is
    # none): a Simple CRS needs negative zooms for coordinates in metres (1 unit = 2^zoom px),
    # and a finite maximum keeps fitting a single point finite.
    zooms = {"minZoom": -30, "maxZoom": 30} if simple else {"minZoom": 0, "maxZoom": 22}
    m = folium.Map(tiles=None, crs=placed.crs, control_scale=not simple, zoom_start=0 if simple else 2,
                   zoomSnap=0.25, **zooms)
    lat = np.concatenate([placed.demand_lat, placed.site_lat])
    lng = np.concatenate([placed.demand_lng, placed.site_lng])
    m.fit_bounds([[float(lat.min()), float(lng.min())], [float(lat.max()), float(lng.max())]], padding=(24, 24))
    # positions to a millionth of the extent (a tenth of a metre in degrees): what a screen can
    # show, and a third of the digits of a float's repr in each of thousands of markers
    extent = max(float(np.ptp(lat)), float(np.ptp(lng)), 1e-12)
    digits = max(0, 6 - math.floor(math.log10(extent))) if simple else 6
    return _Canvas(m, placed, digits, list(placed.notes))


def _add_circles(c: _Canvas, sites: pd.DataFrame, doc: dict[str, Any]) -> None:
    """A dashed coverage circle around each open site, when the radius is a length on the map."""
    import folium

    params = doc.get("parameters") if isinstance(doc.get("parameters"), dict) else {}
    distance = doc.get("distance") if isinstance(doc.get("distance"), dict) else {}
    radius, unit = params.get("radius"), distance.get("unit")
    if not radius:
        return
    said = f"{fmt(radius)}{' ' + str(unit) if unit else ''}"
    if c.placed.circle_factor is None:
        c.notes.append(f"Coverage radius {said}: not drawn as circles (its unit is not a length on this "
                       "map); the red rings mark demand not covered.")
        return
    circles = folium.FeatureGroup(name="coverage circles", show=True)
    for j in np.flatnonzero(sites["open"].astype(bool).to_numpy()):
        folium.Circle(c.at(c.placed.site_lat[j], c.placed.site_lng[j]),
                      radius=float(radius) * c.placed.circle_factor, color="#d62728", weight=1,
                      dash_array="4 4", fill=True, fill_opacity=0.04).add_to(circles)
    circles.add_to(c.m)
    straight = distance.get("kind") in ("matrix", "network")
    c.notes.append(f"Coverage circles: radius {said} around each open site"
                   + (", straight-line; the model's coverage uses its distance matrix (the covered "
                      "column), so a point inside a circle may be uncovered." if straight else "."))


def _marker(c: _Canvas, lat: float, lng: float, population: float, top: float, colour: str, ring: bool,
            tip: str) -> Any:
    import folium

    return folium.CircleMarker(
        c.at(lat, lng), radius=round(3 + 9 * math.sqrt(max(population, 0) / top), 1),
        color="#d62728" if ring else "#ffffff", weight=2 if ring else 1,
        fill=True, fill_color=colour, fill_opacity=0.85, tooltip=_tip(tip),
    )


def _add_demand(c: _Canvas, demand: pd.DataFrame, unit: Any) -> str:
    """Demand markers (one per point, or per grid cell beyond the cap); returns the legend entry."""
    import folium

    label, column = "", None
    for col, text in (("distance", "distance to main site"), ("access_after", "accessibility after the plan")):
        if col in demand.columns and np.isfinite(pd.to_numeric(demand[col], errors="coerce")).any():
            column, label = col, text + (f" ({unit})" if col == "distance" and unit else "")
            break
    value = (pd.to_numeric(demand[column], errors="coerce").to_numpy(float) if column
             else np.full(len(demand), np.nan))
    pop = pd.to_numeric(demand.get("population", pd.Series(1.0, index=demand.index)),
                        errors="coerce").fillna(0).to_numpy(float)
    layer = folium.FeatureGroup(name="demand", show=True)
    if len(demand) > MAX_DEMAND_MARKERS:
        cells, g = _aggregate(c.placed.demand_lat, c.placed.demand_lng, pop, demand, value, MAX_DEMAND_MARKERS)
        colours, lo, hi, ramp = _colours(cells["value"].to_numpy(float))
        top = max(float(cells["population"].max()), 1e-12)
        has_cover = "uncovered_population" in cells.columns
        for k, row in enumerate(cells.itertuples(index=False)):
            tip = (f"{row.points:,} demand points, population {fmt(row.population)}"
                   + (f"<br>mean {esc(label)}: {fmt(row.value)}" if column else "")
                   + (f"<br>population not covered: {fmt(row.uncovered_population)}" if has_cover else ""))
            ring = has_cover and row.uncovered_population > 0
            _marker(c, row.lat, row.lng, row.population, top, colours[k], ring, tip).add_to(layer)
        c.notes.append(f"{len(demand):,} demand points aggregated on a {g} x {g} grid into {len(cells):,} "
                       f"markers (more than {MAX_DEMAND_MARKERS:,}): each marker is one cell, at its "
                       "population-weighted centre, coloured by the population-weighted mean. "
                       "demand.csv has every point.")
    else:
        colours, lo, hi, ramp = _colours(value)
        top = max(float(pop.max()), 1e-12)
        covered = demand["covered"].astype(bool).to_numpy() if "covered" in demand.columns else None
        shown = [col for col in ("demand_id", "population", "site_id", "distance", "covered",
                                 "access_before", "access_after", "area") if col in demand.columns]
        for i, record in enumerate(demand[shown].to_dict("records")):
            tip = "<br>".join(f"{esc(k)}: {esc(fmt(v))}" for k, v in record.items() if fmt(v) != "")
            ring = covered is not None and not covered[i]
            _marker(c, c.placed.demand_lat[i], c.placed.demand_lng[i], pop[i], top, colours[i], ring,
                    tip).add_to(layer)
    layer.add_to(c.m)
    if not column:
        return ""
    return (f'<span>demand, {esc(label)}: {esc(fmt(lo))}<span class="ramp" style="background:{ramp}">'
            f"</span>{esc(fmt(hi))} (size = population)</span>")


def _add_sites(c: _Canvas, sites: pd.DataFrame) -> np.ndarray:
    """Site markers by kind (closed candidates thinned beyond the cap); returns each site's kind."""
    import folium

    is_open = sites["open"].astype(bool).to_numpy()
    existing = (sites["existing"].astype(bool).to_numpy() if "existing" in sites.columns
                else np.zeros(len(sites), bool))
    kinds = np.where(is_open & ~existing, "opened", np.where(is_open, "existing_open",
                     np.where(existing, "existing_closed", "closed")))
    closed = np.flatnonzero(kinds == "closed")
    keep = np.ones(len(sites), bool)
    if closed.size > MAX_SITE_MARKERS:
        step = math.ceil(closed.size / MAX_SITE_MARKERS)
        keep[closed] = False
        keep[closed[::step]] = True
        c.notes.append(f"{closed.size:,} candidate sites not opened: one in {step} is drawn "
                       f"({int(keep[closed].sum()):,}); sites.csv has them all.")
    columns = [col for col in ("site_id", "existing", "open", "population_served", "capacity", "fixed_cost",
                               "supply_before", "supply_after") if col in sites.columns]
    records = sites[columns].to_dict("records")
    groups = {name: folium.FeatureGroup(name=f"sites: {SITE_STYLES[name][0]}", show=True) for name in SITE_STYLES}
    # closed candidates first, so open sites are drawn on top of them
    for j in sorted(np.flatnonzero(keep), key=lambda j: kinds[j] != "closed"):
        label, stroke, fill, r = SITE_STYLES[kinds[j]]
        tip = f"<b>{esc(label)}</b><br>" + "<br>".join(
            f"{esc(k)}: {esc(fmt(v))}" for k, v in records[j].items() if fmt(v) != "")
        folium.CircleMarker(c.at(c.placed.site_lat[j], c.placed.site_lng[j]), radius=r, color=stroke,
                            weight=2, fill=fill is not None, fill_color=fill or stroke, fill_opacity=0.95,
                            tooltip=_tip(tip)).add_to(groups[kinds[j]])
    for name, group in groups.items():
        if (kinds == name).any():
            group.add_to(c.m)
    return kinds


def map_section(folder: Folder) -> str:
    """The map's HTML (iframe, legend, notes); call only when :func:`can_map` holds.

    Layers in drawing order: coverage circles (underneath, so markers stay hoverable), demand,
    closed candidates, open sites.
    """
    import folium

    sites, demand, doc = folder.tables["sites"], folder.tables["demand"], folder.document
    c = _canvas(place(folder))
    _add_circles(c, sites, doc)
    unit = doc["distance"].get("unit") if isinstance(doc.get("distance"), dict) else None
    demand_legend = _add_demand(c, demand, unit)
    kinds = _add_sites(c, sites)
    folium.LayerControl(collapsed=False).add_to(c.m)
    frame_html = render_offline(c.m)
    legend = "".join(
        f'<span><span class="sw" style="background:{fill or "transparent"};border-color:{stroke}"></span>{esc(label)}</span>'
        for name, (label, stroke, fill, _) in SITE_STYLES.items() if (kinds == name).any()
    ) + demand_legend
    if "covered" in demand.columns:
        legend += '<span><span class="sw" style="border-color:#d62728"></span>demand not covered</span>'
    return (f'<iframe class="map" id="map-frame" title="map of sites and demand" '
            # single-quoted: inside it only & and ' need escaping (HTML attribute rules), where a
            # double-quoted srcdoc would turn each of the map's JSON quotes into &quot;
            f"srcdoc='{frame_html.replace('&', '&amp;').replace(chr(39), '&#39;')}'></iframe>"
            f'<div class="legend">{legend}</div>'
            + "".join(f'<p class="note">{esc(n)}</p>' for n in c.notes))


def _vendored(name: str) -> bytes:
    return resources.files("optmodels.htmlreport").joinpath("vendor", "leaflet", name).read_bytes()


def leaflet_assets() -> tuple[str, str]:
    """Leaflet's script (without its source-map comment) and stylesheet (images as data URIs)."""
    import base64

    script = _vendored("leaflet.js").decode("utf-8")
    script = re.sub(r"//# sourceMappingURL=\S*\s*$", "", script)
    css = _vendored("leaflet.css").decode("utf-8")

    def inline(match: re.Match[str]) -> str:
        data = base64.b64encode(_vendored("images/" + match.group(1))).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    css = re.sub(r"url\(images/([\w.-]+\.png)\)", inline, css)
    if "</script" in script.lower() or "</style" in css.lower():
        raise RuntimeError("vendored Leaflet contains a closing tag; it cannot be inlined as is")
    return script, css


def render_offline(m: Any) -> str:
    """The folium map as one HTML document with Leaflet inlined and nothing loaded by URL."""
    from branca.element import Element

    m.default_js = []  # instance attributes: this map only; folium's class lists are untouched
    m.default_css = []
    figure = m.get_root()
    # placeholders, filled after rendering: branca renders an Element's text as a Jinja template
    figure.header.add_child(Element("<style>/*OPTMODELS-LEAFLET-CSS*/</style>"), name="optmodels_leaflet_css")
    figure.header.add_child(Element("<script>/*OPTMODELS-LEAFLET-JS*/</script>"), name="optmodels_leaflet_js")
    text = figure.render()
    check_offline(text)
    script, css = leaflet_assets()
    return (text.replace("/*OPTMODELS-LEAFLET-CSS*/", css, 1)
                .replace("/*OPTMODELS-LEAFLET-JS*/", script, 1))
