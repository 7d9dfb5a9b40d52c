"""The map and analysis pages in Chromium, with every request off 127.0.0.1 blocked."""

from __future__ import annotations

import pytest

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

# The basemap's tile requests are aborted by the offline route; Chromium logs each as this.
BLOCKED = "Failed to load resource: net::ERR_FAILED"


def watch_local_failures(page, live_server: str) -> list[str]:
    """Requests to the app that failed (a favicon cancelled by a navigation does not count)."""
    failed: list[str] = []

    def on_failed(request) -> None:
        if request.url.startswith(live_server) and "/favicon." not in request.url:
            failed.append(f"{request.url}: {request.failure}")

    page.on("requestfailed", on_failed)
    return failed


def real_errors(page) -> list[str]:
    return [e for e in page.js_errors if BLOCKED not in e]


def open_map(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#map-page[data-ready]", timeout=15_000)
    assert page.get_attribute("#map-page", "data-ready") == "true"


def test_map_draws_facilities_and_households_offline(page, live_server):
    log_in(page, "coordinator")
    failed = watch_local_failures(page, live_server)
    open_map(page, "/projects/demo/map")
    assert page.locator(".leaflet-container").count() == 1
    assert page.locator(".facility-icon").count() > 0
    assert int(page.get_attribute("#map-page", "data-households")) > 0
    clusters = page.locator(".marker-cluster").count()
    points_canvas = page.locator(".leaflet-overlay-pane canvas").count()
    assert clusters + points_canvas > 0
    # A legend entry per facility kind on the map, and the layer switch.
    assert page.locator("#legend-list .swatch.square").count() > 0
    assert page.locator(".leaflet-control-layers").count() == 1
    # A facility popup links to its record page.
    page.locator(".facility-icon").first.click()
    link = page.locator(".leaflet-popup-content a")
    link.wait_for(timeout=5_000)
    assert link.count() == 1
    assert "/projects/demo/facilities/" in link.get_attribute("href")
    # Its status is the label from the page's config, not the stored value.
    popup = page.locator(".leaflet-popup-content").inner_text()
    assert any(s in popup for s in ("Planned", "Under construction", "Operating", "Closed"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert failed == []
    assert real_errors(page) == []


def test_observer_sees_village_totals_not_households(page, live_server):
    log_in(page, "observer")
    failed = watch_local_failures(page, live_server)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    open_map(page, "/projects/demo/map")
    assert page.get_attribute("#map-page", "data-households") is None
    assert not any("households.geojson" in url for url in requested)
    assert any("villages.geojson" in url for url in requested)
    assert page.locator(".marker-cluster").count() == 0
    assert failed == []
    assert real_errors(page) == []


def test_clicking_the_analysis_map_places_a_candidate(page, live_server):
    log_in(page, "researcher")
    failed = watch_local_failures(page, live_server)
    open_map(page, "/projects/demo/analysis?kind=kindergarten&within_km=5")
    assert int(page.get_attribute("#map-page", "data-households")) > 0
    assert page.locator("[data-figure=households_beyond]").count() == 1
    page.locator(".folium-map").click(position={"x": 180, "y": 120})
    value = page.input_value("#candidate-1")
    lat, lon = (float(part) for part in value.split(","))
    assert -90 <= lat <= 90 and -180 <= lon <= 180
    assert page.locator(".candidate-icon").count() == 1
    page.get_by_role("button", name="Show").click()
    page.wait_for_selector("#candidates")
    assert value in page.url.replace("%2C", ",")
    assert failed == []
    assert real_errors(page) == []
