"""The map page: vendored assets only, nonce'd inline scripts, small HTML, what each role gets."""

from __future__ import annotations

import json
import re

import pytest

from cbpar.security import Role
from tests.helpers import without_random_material
from tests.mapping.accessibility_data import seed

URL = "/projects/p1/map"


@pytest.fixture
def data(app, team):
    return seed(app, team["project"])


def page_config(html: str) -> dict:
    match = re.search(
        r'<script type="application/json" id="map-config"[^>]*>(.*?)</script>', html, re.S
    )
    assert match, "no map configuration in the page"
    return json.loads(match.group(1))


def test_assets_are_local_and_no_cdn(client, login, team, data):
    login(team["users"][Role.RESEARCHER])
    response = client.get(URL)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    unhashed = re.compile(r"\.[0-9a-f]{12}(?=\.\w+$)")  # url_for adds the file's fingerprint
    sources = [unhashed.sub("", u) for u in re.findall(r'<script[^>]*\ssrc="([^"]+)"', html)]
    links = [unhashed.sub("", u) for u in re.findall(r'<link[^>]*\shref="([^"]+)"', html)]
    assert "/static/vendor/leaflet/leaflet.js" in sources
    assert "/static/vendor/leaflet.markercluster/leaflet.markercluster.js" in sources
    assert "/static/js/map.js" in sources
    assert "/static/vendor/leaflet/leaflet.css" in links
    for url in sources + links:
        assert url.startswith("/") and not url.startswith("//"), url
    for cdn in (
        "jquery",
        "bootstrap",
        "fontawesome",
        "awesome-markers",
        "cdn.",
        "cdnjs",
        "jsdelivr",
    ):
        assert cdn not in html.lower(), cdn


def test_vendored_files_and_licences_are_served(client, login, team):
    login(team["users"][Role.RESEARCHER])
    for path in (
        "vendor/leaflet/leaflet.js",
        "vendor/leaflet/leaflet.css",
        "vendor/leaflet/LICENSE",
        "vendor/leaflet/images/layers.png",
        "vendor/leaflet.markercluster/leaflet.markercluster.js",
        "vendor/leaflet.markercluster/MarkerCluster.css",
        "vendor/leaflet.markercluster/MarkerCluster.Default.css",
        "vendor/leaflet.markercluster/LICENSE",
        "js/map.js",
        "js/analysis.js",
        "js/map-offline.js",
        "css/map.css",
    ):
        response = client.get(f"/static/{path}")
        assert response.status_code == 200, path
        response.close()


def test_every_inline_script_carries_the_csp_nonce(client, login, team, data):
    login(team["users"][Role.COORDINATOR])
    response = client.get(URL)
    csp = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    html = response.get_data(as_text=True)
    inline = [tag for tag in re.findall(r"<script[^>]*>", html) if " src=" not in tag]
    assert len(inline) >= 2  # folium's map script and the configuration
    for tag in inline:
        assert f'nonce="{nonce}"' in tag, tag
    # Folium's script builds the map in the element it names.
    name = re.search(r'data-map="(map_[0-9a-f]+)"', html).group(1)
    assert f'id="{name}"' in html
    assert f"var {name} = L.map(" in html


def test_page_is_small_and_embeds_no_households(client, login, team, data):
    login(team["users"][Role.COORDINATOR])
    html = client.get(URL).get_data(as_text=True)
    assert len(html.encode()) < 60_000
    assert "SH-001" not in html and "LS-004" not in html
    # Facilities come from the API too (the nonce and tokens are random: "K1" can be in them).
    assert "K1" not in without_random_material(html)


@pytest.mark.parametrize(
    ("role", "points", "details"),
    [
        (Role.COORDINATOR, True, True),
        (Role.RESEARCHER, True, True),
        (Role.FIELD_WORKER, True, True),
        (Role.COMMITTEE, True, False),
        (Role.OBSERVER, False, False),
    ],
)
def test_each_role_gets_its_layers(client, login, team, data, role, points, details):
    login(team["users"][role])
    response = client.get(URL)
    assert response.status_code == 200
    config = page_config(response.get_data(as_text=True))
    assert config["facilitiesUrl"] == "/api/v1/projects/p1/facilities.geojson"
    assert config["villagesUrl"] == "/api/v1/projects/p1/villages.geojson"
    if points:
        assert config["householdsUrl"] == "/api/v1/projects/p1/households.geojson"
    else:
        assert config["householdsUrl"] is None
    assert (config["householdUrl"] == "/projects/p1/households/{id}") is details
    if not details:
        assert config["householdUrl"] is None
    assert config["kinds"]["kindergarten"]


def test_outsider_and_anonymous(client, login, team):
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(team["outsider"])
    assert client.get(URL).status_code == 404


def test_nav_links_to_map_and_analysis(client, login, team):
    login(team["users"][Role.OBSERVER])
    html = client.get("/projects/p1/").get_data(as_text=True)
    assert 'href="/projects/p1/map"' in html
    assert 'href="/projects/p1/analysis"' in html


def test_default_basemap_is_openstreetmap(client, login, team):
    login(team["users"][Role.RESEARCHER])
    html = client.get(URL).get_data(as_text=True)
    assert "L.tileLayer(" in html
    assert "tile.openstreetmap.org" in html


def test_no_basemap(client, login, team, app, monkeypatch):
    monkeypatch.setitem(app.config, "TILES", "none")
    login(team["users"][Role.RESEARCHER])
    html = client.get(URL).get_data(as_text=True)
    assert "L.tileLayer(" not in html
    assert "L.map(" in html
    # Without a tile layer the map itself must carry maxZoom, or clustering households fails.
    assert '"maxZoom": 19' in html


def test_custom_xyz_tiles_with_attribution(client, login, team, app, monkeypatch):
    monkeypatch.setitem(app.config, "TILES", "https://tiles.example.org/{z}/{x}/{y}.png")
    monkeypatch.setitem(app.config, "TILES_ATTRIBUTION", "Example Tiles Ltd")
    login(team["users"][Role.RESEARCHER])
    html = client.get(URL).get_data(as_text=True)
    assert '"https://tiles.example.org/{z}/{x}/{y}.png"' in html
    assert "Example Tiles Ltd" in html
    assert "tile.openstreetmap.org" not in html


def test_chinese_page(client, login, team):
    login(team["users"][Role.RESEARCHER])
    client.post("/language", data={"locale": "zh_Hans", "next": URL})
    response = client.get(URL, headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 200
    assert 'lang="zh-Hans"' in response.get_data(as_text=True)


# --- issue 15: the map without the internet, the phone layout, the histogram -----------------


def _sources(html: str) -> list[str]:
    return re.findall(r'<script[^>]*\ssrc="([^"]+)"', html)


@pytest.mark.parametrize("url", [URL, "/projects/p1/analysis"])
def test_offline_basemap_script_and_its_data(client, login, team, data, url):
    login(team["users"][Role.OBSERVER])
    html = client.get(url).get_data(as_text=True)
    sources = [s.split("?")[0] for s in _sources(html)]
    offline = next(i for i, s in enumerate(sources) if "/js/map-offline." in s)
    page_script = next(i for i, s in enumerate(sources) if re.search(r"/js/(map|analysis)\.", s))
    # Before the page's script, to hear its "cbpar:map-ready" event.
    assert offline < page_script
    config = page_config(html)["offline"]
    assert config["villagesUrl"] == "/api/v1/projects/p1/villages.geojson"
    assert config["text"]["legend"] == "Legend"
    assert (config["facilitiesUrl"] is not None) is (url == URL)


def test_scale_is_metric_and_attribution_prefix_neutral(client, login, team, data):
    login(team["users"][Role.RESEARCHER])
    html = client.get(URL).get_data(as_text=True)
    name = re.search(r'data-map="(map_[0-9a-f]+)"', html).group(1)
    assert f"L.control.scale({{imperial: false, maxWidth: 150}}).addTo({name});" in html
    prefix = re.search(rf"{name}\.attributionControl\.setPrefix\((.*?)\);", html)
    assert prefix, "Leaflet's own prefix (with its flag) is replaced"
    assert json.loads(prefix.group(1)) == '<a href="https://leafletjs.com">Leaflet</a>'


def test_map_comes_before_explanations(client, login, team, data):
    login(team["users"][Role.OBSERVER])
    html = client.get(URL).get_data(as_text=True)
    main = html.split('<main id="main"')[1]
    assert main.index('id="map-page"') < main.index("Your role sees totals per village")
    assert main.index('id="map-page"') < main.index('id="map-legend"')
    analysis = client.get("/projects/p1/analysis").get_data(as_text=True)
    assert analysis.index('id="map-page"') < analysis.index('id="analysis-form"')


def test_histogram_bars_are_not_the_header_bar(client, login, team, data):
    login(team["users"][Role.RESEARCHER])
    query = {"kind": "kindergarten", "within_km": "5", "as_of": "2024-01-01"}
    html = client.get("/projects/p1/analysis", query_string=query).get_data(as_text=True)
    histogram = html.split('id="histogram"')[1].split("</ul>")[0]
    # `.bar` is the page header's row (padding, centred): it drew empty bands as bars.
    assert not re.search(r'class="bar[\s"]', histogram)
    bar = r'class="histogram-bar[^"]*" style="width: ([\d.]+)%"'
    rows = re.findall(bar + r'.*?class="count">([^<]+)<', histogram, re.S)
    assert len(rows) >= 5
    counts = {count for _width, count in rows}
    assert "0" in counts and counts - {"0"}
    for width, count in rows:
        assert (float(width) == 0) is (count == "0"), (width, count)
    assert max(float(width) for width, _count in rows) == 100
