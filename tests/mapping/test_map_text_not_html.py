"""Issue 11, item 12: names reach the map as text, never as HTML, and images load only from
the app, data: URLs and the configured tile host."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cbpar.core.hooks import tile_host_source
from cbpar.security import Role

JS = Path(__file__).resolve().parents[2] / "static" / "js"
# Leaflet parses a string given to these as HTML; an HTMLElement is used as it is.
HTML_SINKS = re.compile(r"\.(bindTooltip|bindPopup|setContent|setTooltipContent|setPopupContent)\(")
RAW_HTML = re.compile(r"\.innerHTML\s*=|insertAdjacentHTML|outerHTML\s*=|document\.write")


def _calls(source: str):
    """Each call of an HTML sink with the text of its first argument (balanced brackets)."""
    for match in HTML_SINKS.finditer(source):
        depth, start = 0, match.end()
        for i in range(start, len(source)):
            if source[i] in "([{":
                depth += 1
            elif source[i] in ")]}":
                if depth == 0:
                    yield match.group(1), source[start:i].strip()
                    break
                depth -= 1
            elif source[i] == "," and depth == 0:
                yield match.group(1), source[start:i].strip()
                break


def test_popups_and_tooltips_get_dom_nodes_not_strings():
    offending = []
    for path in sorted(JS.glob("*.js")):
        for sink, argument in _calls(path.read_text(encoding="utf-8")):
            # A DOM node (el(...), textNode(...), popupFor(...)) or a function returning one.
            built = re.match(r"(el|textNode|popupFor)\(|function\s*\(", argument)
            if not built or '"<' in argument or "+" in argument.split("(", 1)[0]:
                offending.append(f"{path.name}: {sink}({argument[:60]})")
    assert offending == []


def test_scripts_never_write_raw_html_from_data():
    allowed = {"memo-preview.js"}  # sets server-sanitised Markdown (cbpar/text.py, nh3)
    offending = [
        f"{path.name}: {m.group(0)}"
        for path in sorted(JS.glob("*.js"))
        if path.name not in allowed
        for m in RAW_HTML.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offending == []
    # Leaflet's divIcon `html` option is parsed as HTML too: only fixed markup there.
    for path in sorted(JS.glob("*.js")):
        for value in re.findall(r"\bhtml:\s*([^,}]+)", path.read_text(encoding="utf-8")):
            assert re.fullmatch(r'"[^"+]*"', value.strip()), f"{path.name}: html: {value}"


# --- the Content-Security-Policy --------------------------------------------------------------


def img_src(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    [directive] = [d.strip() for d in policy.split(";") if d.strip().startswith("img-src")]
    return directive


@pytest.mark.parametrize(
    ("tiles", "expected"),
    [
        ("openstreetmap", "img-src 'self' data: https://tile.openstreetmap.org"),
        ("none", "img-src 'self' data:"),
        ("https://tiles.example.org/{z}/{x}/{y}.png", "img-src 'self' data: https://tiles.example.org"),
        ("https://{s}.tiles.example.org/{z}/{x}/{y}.png", "img-src 'self' data: https://*.tiles.example.org"),
    ],
)  # fmt: skip
def test_csp_allows_images_from_the_tile_host_only(
    app, client, login, team, monkeypatch, tiles, expected
):
    monkeypatch.setitem(app.config, "TILES", tiles)
    login(team["users"][Role.RESEARCHER])
    for url in ("/login", "/projects/p1/map"):
        response = client.get(url)
        assert img_src(response) == expected
        assert "https:" not in expected or " https: " not in img_src(response) + " "


def test_tile_host_source():
    assert tile_host_source("https://tile.openstreetmap.org/{z}/{x}/{y}.png") == (
        "https://tile.openstreetmap.org"
    )
    assert tile_host_source("https://webrd0{s}.is.autonavi.com/tile?x={x}") == (
        "https://*.is.autonavi.com"
    )
    assert tile_host_source("http://10.0.0.5:8080/{z}/{x}/{y}.png") == "http://10.0.0.5:8080"
    assert tile_host_source("/tiles/{z}/{x}/{y}.png") is None  # the app's own: 'self'
    assert tile_host_source(None) is None
    assert tile_host_source("https://a b;script-src */{z}") is None  # nothing to inject
