"""Issue 11, item 12, in Chromium: facility and village names show as literal text in the map's
tooltips and popups; no element of theirs is ever created.

The names are written into a demo of this module's own (not the shared live server's), so
the other browser tests see the usual demo.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from cbpar import create_app
from cbpar.db import Base, db
from tests.browser.conftest import CHROMIUM_ARGS, PHONE, log_in  # noqa: F401
from tests.helpers import config_for_tests

pytestmark = pytest.mark.browser

FACILITY = '<b>bold</b><img src="x" id="xss-facility" onerror="window.xss=1">'
VILLAGE = '<img src="x" id="xss-village" onerror="window.xss=1"><b>v</b>'


@pytest.fixture(scope="module")
def xss_server(tmp_path_factory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("xss")
    app = create_app(
        config_for_tests(
            folder,
            DATABASE_URL=f"sqlite:///{folder / 'xss.sqlite3'}",
            SERVER_NAME=None,
            TILES="none",
        )
    )
    with app.app_context():
        from cbpar import demo
        from cbpar.mapping.models import Facility, FacilityKind, FacilityStatus
        from cbpar.projects.models import Project, Village

        Base.metadata.create_all(db.engine)
        demo.load()
        project = db.session.scalar(select(Project).where(Project.slug == "demo"))
        village = db.session.scalar(
            select(Village).where(Village.project_id == project.id, Village.center_lat.is_not(None))
        )
        village.name = VILLAGE
        db.session.add(
            Facility(
                project_id=project.id,
                name=FACILITY,
                kind=FacilityKind.KINDERGARTEN,
                status=FacilityStatus.OPERATING,
                lat=village.center_lat,
                lon=village.center_lon,
            )
        )
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def xss_page(browser, xss_server):
    context = browser.new_context(base_url=xss_server, viewport=PHONE, locale="en-US")
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(xss_server) else route.abort()
        ),
    )
    page = context.new_page()
    yield page
    context.close()


OPEN_ALL = """() => {
  const map = window[document.getElementById("map-page").dataset.map];
  const texts = [];
  map.eachLayer((layer) => {
    if (layer.getTooltip && layer.getTooltip()) {
      layer.openTooltip();
      texts.push(layer.getTooltip().getElement().textContent);
    }
  });
  return texts;
}"""

OPEN_POPUPS = """() => {
  const map = window[document.getElementById("map-page").dataset.map];
  const texts = [];
  map.eachLayer((layer) => {
    if (layer.getPopup && layer.getPopup()) {
      layer.openPopup();
      const el = layer.getPopup().getElement();
      texts.push(el ? el.textContent : "");
      el && el.querySelectorAll("img, b").length && texts.push("ELEMENT");
    }
  });
  return texts;
}"""


def no_injected_elements(page) -> None:
    assert page.locator("#xss-facility, #xss-village").count() == 0
    assert page.locator(".leaflet-tooltip img, .leaflet-tooltip b").count() == 0
    assert page.locator(".leaflet-popup img, .leaflet-popup b").count() == 0
    assert page.evaluate("window.xss") is None


def open_map(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#map-page[data-ready]", timeout=15_000)
    assert page.get_attribute("#map-page", "data-ready") == "true"


def test_village_tooltip_and_popup_show_the_name_as_text(xss_page):
    log_in(xss_page, "observer")  # observers see the village layer
    open_map(xss_page, "/projects/demo/map")
    tooltips = xss_page.evaluate(OPEN_ALL)
    assert any(t.startswith(VILLAGE + ": ") for t in tooltips)
    popups = xss_page.evaluate(OPEN_POPUPS)
    assert "ELEMENT" not in popups
    assert any(FACILITY in p for p in popups) and any(VILLAGE in p for p in popups)
    no_injected_elements(xss_page)


def test_analysis_facility_tooltip_shows_the_name_as_text(xss_page):
    log_in(xss_page, "researcher")
    open_map(xss_page, "/projects/demo/analysis?kind=kindergarten&within_km=5")
    tooltips = xss_page.evaluate(OPEN_ALL)
    assert FACILITY in tooltips
    no_injected_elements(xss_page)
