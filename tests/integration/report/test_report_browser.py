"""Each kind of report opened in a real browser: headless Chromium, driven by Playwright.

A page fails on any console error, uncaught exception or request that leaves the file (the
browser context is offline, and every request is recorded). Then: the siting map drew its
markers and circles inside the map, a marker's tooltip names its point; the front's chart has
one point per front point and hovering one shows its decision; a table sorts on a click; every
plot image loaded.

The browser is the system's Chromium (``.ci/run`` installs it with the package manager when it is
missing); Playwright never downloads one here. Without Chromium these tests skip, saying why --
unless ``OPTMODELS_REQUIRE_BROWSER=1`` (set by ``.ci/run``), which makes a missing browser a
failure, so CI cannot pass without having run them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from _report_cases import KINDS

LAUNCH_FLAGS = [  # root, no display, no network: nothing but the page
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")


def _chromium() -> str | None:
    candidates = [os.environ.get("OPTMODELS_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser",
                  shutil.which("chromium"), shutil.which("chromium-browser"), shutil.which("google-chrome")]
    return next((c for c in candidates if c and Path(c).is_file() and os.access(c, os.X_OK)), None)


def _unavailable(reason: str) -> None:
    if os.environ.get("OPTMODELS_REQUIRE_BROWSER") == "1":
        pytest.fail(f"OPTMODELS_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable('the playwright package is not installed (pip install ".[test]")')
    executable = _chromium()
    if executable is None:
        _unavailable("no Chromium found (apt-get install chromium, or set OPTMODELS_CHROMIUM)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=LAUNCH_FLAGS, headless=True)
        yield browser
        browser.close()


class Visit:
    """One report opened in a fresh offline context, with every problem the page reported."""

    def __init__(self, browser, path: Path) -> None:
        self.context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.problems: list[str] = []
        page = self.page
        page.on("console", lambda m: m.type == "error" and self.problems.append(f"console error: {m.text}"))
        page.on("pageerror", lambda e: self.problems.append(f"uncaught: {e}"))
        page.on("request", lambda r: r.url.startswith(LOCAL_SCHEMES)
                or self.problems.append(f"request to {r.url}"))
        page.on("requestfailed", lambda r: self.problems.append(f"failed request {r.url}: {r.failure}"))
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_timeout(300)  # let the map's and the chart's first frame settle

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser):
    opened: list[Visit] = []

    def open_(path: Path) -> Visit:
        opened.append(Visit(browser, path))
        return opened[-1]

    yield open_
    for v in opened:
        v.close()


def _expected_map_shapes(folder: Path) -> int | None:
    """Markers plus circles the map draws, when no cap applies (None: capped)."""
    from optmodels.htmlreport.geomap import MAX_DEMAND_MARKERS, MAX_SITE_MARKERS

    sites, demand = pd.read_csv(folder / "sites.csv"), pd.read_csv(folder / "demand.csv")
    if len(demand) > MAX_DEMAND_MARKERS or len(sites) > MAX_SITE_MARKERS:
        return None
    import json

    radius = json.loads((folder / "result.json").read_text()).get("parameters", {}).get("radius")
    return len(demand) + len(sites) + (int(sites["open"].sum()) if radius else 0)


@pytest.mark.parametrize("kind", KINDS)
def test_report_renders_without_errors_or_requests(report_folders, visit, kind):
    folder = report_folders[kind]
    v = visit(folder / "report.html")
    page = v.page
    assert page.locator("h1").inner_text().strip()
    for i in range(page.locator("img").count()):  # each plot decoded (its data URI is whole)
        assert page.locator("img").nth(i).evaluate("img => img.complete && img.naturalWidth > 0")
    assert (page.locator("#map-frame").count() == 1) == kind.startswith("siting")
    if kind.startswith("siting"):
        frame = page.frame_locator("#map-frame")
        shapes = frame.locator(".leaflet-overlay-pane path.leaflet-interactive")
        shapes.first.wait_for(state="attached", timeout=10_000)
        expected = _expected_map_shapes(folder)
        if expected is not None:
            assert shapes.count() == expected
        else:
            assert 500 < shapes.count() <= 4100
        # the view fits the points: every shape's box meets the map's
        box = page.locator("#map-frame").bounding_box()
        assert box is not None
        inside = frame.locator("body").evaluate(
            """body => { const r = body.getBoundingClientRect();
                         return Array.from(document.querySelectorAll('.leaflet-overlay-pane path'))
                           .filter(p => { const b = p.getBoundingClientRect();
                                          return b.right > r.left && b.left < r.right
                                              && b.bottom > r.top && b.top < r.bottom; }).length; }""")
        assert inside == shapes.count()
    assert v.problems == []


def test_map_tooltip_names_the_demand_point(report_folders, visit):
    folder = report_folders["siting"]
    v = visit(folder / "report.html")
    frame = v.page.frame_locator("#map-frame")
    demand = pd.read_csv(folder / "demand.csv")
    n_circles = int(pd.read_csv(folder / "sites.csv")["open"].sum())
    # coverage circles are drawn first (underneath), then demand in the table's order, then sites
    frame.locator(".leaflet-overlay-pane path.leaflet-interactive").nth(n_circles).hover()
    tip = frame.locator(".leaflet-tooltip")
    tip.first.wait_for(timeout=5_000)
    assert f"demand_id: {demand['demand_id'][0]}" in tip.first.inner_text()
    assert v.problems == []


def test_front_chart_has_every_point_and_hover_shows_its_decision(report_folders, visit):
    folder = report_folders["front"]
    front = pd.read_csv(folder / "front.csv")
    v = visit(folder / "report.html")
    page = v.page
    points = page.locator("#front-chart .scatterlayer .point")
    points.first.wait_for(timeout=10_000)
    assert points.count() == len(front)
    # the plotted x of each point is its objective value (plotly keeps them on the graph div)
    xs = page.evaluate("() => document.getElementById('front-chart').data[0].x")
    assert xs == pytest.approx(front["profit"].tolist(), rel=1e-12)
    i = len(front) // 2
    box = points.nth(i).bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    label = page.locator("#front-chart .hoverlayer .hovertext")
    label.first.wait_for(timeout=5_000)
    text = label.first.text_content()
    assert f"decision: {front['decision'][i]}" in text
    assert f"point {i}" in text
    assert v.problems == []


def test_table_sorts_on_a_click(report_folders, visit):
    folder = report_folders["siting"]
    v = visit(folder / "report.html")
    page = v.page
    table = page.locator('table.sortable[data-name="demand"]')
    heading = table.locator("thead th", has_text="distance").first
    column = [h.strip() for h in table.locator("thead th").all_inner_texts()].index("distance") + 1
    cells = table.locator(f"tbody tr td:nth-child({column})")

    def values() -> list[float]:
        return [float(x) for x in cells.evaluate_all("cs => cs.map(c => c.getAttribute('data-v'))")]

    expected = sorted(pd.read_csv(folder / "demand.csv")["distance"].tolist())
    heading.click()
    assert values() == pytest.approx(expected, rel=1e-12)
    heading.click()
    assert values() == pytest.approx(expected[::-1], rel=1e-12)
    assert heading.get_attribute("aria-sort") == "descending"
    assert v.problems == []
