"""Issue 14 in Chromium: the map draws village figures first, then the households from the
compact points, in batches; household popups still carry the code and the record link."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import log_in
from tests.browser.test_map import real_errors

pytestmark = pytest.mark.browser

# The first household marker's popup, built by the page's own popup function (no clicking
# through clusters): its title, its link and whether it holds any element but the expected.
FIRST_POPUP = """async () => {
  const map = window[document.getElementById("map-page").dataset.map];
  let cluster = null;
  map.eachLayer((layer) => { if (layer.getLayers && layer.zoomToShowLayer) { cluster = layer; } });
  const marker = cluster.getLayers()[0];
  const content = marker.getPopup()._content;
  const node = typeof content === "function" ? content(marker) : content;
  for (let i = 0; i < 50 && !node.querySelector("a") && node.dataset.done !== "1"; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));  // the popup asks for its figures
  }
  const link = node.querySelector("a");
  return {
    title: node.querySelector("strong").textContent,
    text: node.textContent,
    link: link ? link.getAttribute("href") : null,
    count: cluster.getLayers().length,
  };
}"""

ORDER = """() => {
  const at = (name) => (performance.getEntriesByName(name)[0] || {}).startTime;
  return [at("cbpar:villages-drawn"), at("cbpar:households-first")];
}"""


def open_map(page, requested: list[str]) -> None:
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/projects/demo/map")
    page.wait_for_selector("#map-page[data-ready]", timeout=15_000)
    assert page.get_attribute("#map-page", "data-ready") == "true"


def test_field_map_loads_compact_points_after_the_villages(page):
    log_in(page, "researcher")
    requested: list[str] = []
    open_map(page, requested)
    assert any("households.points.json" in url for url in requested)
    assert not any("households.geojson" in url for url in requested)
    villages, households = page.evaluate(ORDER)
    assert villages is not None and households is not None and villages <= households
    first = page.evaluate(FIRST_POPUP)
    assert first["count"] == int(page.get_attribute("#map-page", "data-households")) > 0
    assert re.fullmatch(r"[A-Z]+-\d{3,}", first["title"]), first["title"]
    assert re.search(r"/projects/demo/households/\d+$", first["link"] or ""), first["link"]
    assert real_errors(page) == []  # tiles are blocked offline; nothing else may fail


def test_committee_popups_have_no_code_and_no_link(page):
    log_in(page, "committee1")
    requested: list[str] = []
    open_map(page, requested)
    first = page.evaluate(FIRST_POPUP)
    assert first["count"] > 0
    assert first["title"] == "Household" and first["link"] is None
    assert "Village" in first["text"]  # the village's name, from the compact points
    assert real_errors(page) == []  # tiles are blocked offline; nothing else may fail
