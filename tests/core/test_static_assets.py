"""Static files: fingerprinted URLs cached for a year, compressed by the app, and nginx agrees."""

from __future__ import annotations

import gzip
import re
import shutil
from pathlib import Path
from urllib.parse import urljoin

import pytest
from flask import url_for

from cbpar import create_app, static_assets
from tests.helpers import config_for_tests

ROOT = Path(__file__).resolve().parents[2]
FINGERPRINTED_CSS = re.compile(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"')


def static_url(app, filename: str) -> str:
    with app.test_request_context():
        return url_for("static", filename=filename)


def test_pages_link_fingerprinted_files_served_for_a_year_and_gzipped(client):
    page = client.get("/login").get_data(as_text=True)
    found = FINGERPRINTED_CSS.search(page)
    assert found, "the page links css/app.css without its fingerprint"
    response = client.get(found[1], headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert gzip.decompress(response.data) == (ROOT / "static/css/app.css").read_bytes()


def test_the_map_script_is_sent_compressed(app, client):
    url = static_url(app, "vendor/leaflet/leaflet.js")
    raw = (ROOT / "static/vendor/leaflet/leaflet.js").read_bytes()
    response = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert len(response.data) < len(raw) / 2
    assert gzip.decompress(response.data) == raw
    plain = client.get(url)  # no Accept-Encoding: the bytes as they are
    assert "Content-Encoding" not in plain.headers and plain.data == raw


@pytest.mark.skipif(static_assets.brotli is None, reason="the brotli module is not installed")
def test_brotli_when_the_browser_takes_it(app, client):
    response = client.get(static_url(app, "js/map.js"), headers={"Accept-Encoding": "gzip, br"})
    assert response.headers["Content-Encoding"] == "br"
    assert (
        static_assets.brotli.decompress(response.data) == (ROOT / "static/js/map.js").read_bytes()
    )


def test_not_modified_for_the_same_etag(app, client):
    url = static_url(app, "css/app.css")
    first = client.get(url, headers={"Accept-Encoding": "gzip"})
    again = client.get(
        url, headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert "immutable" in again.headers["Cache-Control"]
    # The uncompressed bytes are another representation, with another ETag.
    plain = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert plain.status_code == 200 and plain.headers["ETag"] != first.headers["ETag"]


def test_names_without_fingerprint_still_work_with_a_short_cache(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert client.get("/static/img/favicon.svg").status_code == 200


def test_leaflet_css_images_load_from_the_fingerprinted_stylesheet(app, client):
    url = static_url(app, "vendor/leaflet/leaflet.css")
    assert re.search(r"leaflet\.[0-9a-f]{12}\.css$", url), url
    css = client.get(url).get_data(as_text=True)
    images = set(re.findall(r"url\(([^)]+\.png)\)", css))
    assert {"images/layers.png", "images/marker-icon.png"} <= images
    for image in images:
        response = client.get(urljoin(url, image))  # as the browser resolves it
        assert response.status_code == 200, image
        assert response.mimetype == "image/png"


def test_the_fingerprint_follows_the_content(tmp_path):
    folder = tmp_path / "static"
    shutil.copytree(ROOT / "static" / "css", folder / "css")
    app = create_app(config_for_tests(tmp_path))
    app.static_folder = str(folder)
    client = app.test_client()
    before = static_url(app, "css/app.css")
    assert static_url(app, "css/app.css") == before  # stable while the file is unchanged
    (folder / "css" / "app.css").write_text("body { color: red; }\n" * 100)
    after = static_url(app, "css/app.css")
    assert after != before and re.search(r"app\.[0-9a-f]{12}\.css$", after)
    new = client.get(after)
    assert new.headers["Cache-Control"].endswith("immutable")
    assert new.get_data(as_text=True).startswith("body { color: red; }")
    # An old page's URL gets today's file, but not for a year.
    old = client.get(before)
    assert old.status_code == 200 and old.data == new.data
    assert old.headers["Cache-Control"] == "public, max-age=3600"


@pytest.mark.parametrize(
    "path",
    [
        "/static/../pyproject.toml",
        "/static/..%2fpyproject.toml",
        "/static/%2e%2e/%2e%2e/pyproject.toml",
        "/static/css/..%2f..%2fpyproject.toml",
        "/static/..%2f..%2fpyproject.0123456789ab.toml",
        "/static/css/..%5c..%5cpyproject.toml",
        "/static/css/nothing-here.0123456789ab.css",
    ],
)
def test_nothing_outside_the_static_folder(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert b"[build-system]" not in response.data and b"root:" not in response.data


def test_nginx_resolves_the_names_the_app_writes(app):
    """deploy/nginx/cbpar.conf serves /static/ itself: its rewrite must undo our fingerprint."""
    conf = (ROOT / "deploy/nginx/cbpar.conf").read_text()
    rewrite = re.search(r'rewrite "([^"]+)" (/static-fingerprinted/)\$1\$2 last;', conf)
    assert rewrite, "no rewrite of fingerprinted names in the nginx site file"
    year = re.search(r"location /static-fingerprinted/ \{[^}]*\}", conf)
    assert year and "internal;" in year[0]
    assert 'add_header Cache-Control "public, max-age=31536000, immutable";' in year[0]
    assert "/cbpar/static/;" in year[0]  # the same folder as /static/
    pattern = re.compile(rewrite[1])
    for filename in ("css/app.css", "js/map.js", "vendor/leaflet/leaflet.css"):
        url = static_url(app, filename)
        match = pattern.match(url)
        assert match and f"{match[1]}{match[2]}" == filename, url
    assert not pattern.match("/static/css/app.css")
    assert not pattern.match("/static/vendor/leaflet/images/layers.png")
