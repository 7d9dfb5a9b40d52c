"""The team's own tiles (issue 15): an MBTiles file or an XYZ folder served at /tiles/z/x/y.png
behind the log-in, with caching headers, and the map pages pointed at them."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from cbpar import create_app
from cbpar.mapping import tiles
from cbpar.security import Role
from tests.helpers import config_for_tests

PNG = b"\x89PNG\r\n\x1a\n"
JPEG = b"\xff\xd8\xff\xe0"


def tile_bytes(label: str, signature: bytes = PNG) -> bytes:
    """Not a drawable image, but a tile as the server sees it: a signature and unique bytes."""
    return signature + label.encode()


def build_mbtiles(path: Path, rows: dict[tuple[int, int, int], bytes], **metadata: str) -> Path:
    """An MBTiles 1.3 file as QGIS or gdal writes it; `rows` are keyed by (z, x, TMS row)."""
    with closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        db.execute(
            "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER,"
            " tile_data BLOB)"
        )
        db.execute("CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)")
        db.executemany("INSERT INTO metadata VALUES (?, ?)", list(metadata.items()))
        db.executemany(
            "INSERT INTO tiles VALUES (?, ?, ?, ?)", [(*key, data) for key, data in rows.items()]
        )
        db.commit()
    return path


@pytest.fixture
def mbtiles(tmp_path, app, monkeypatch) -> Path:
    path = build_mbtiles(
        tmp_path / "villages.mbtiles",
        {
            (0, 0, 0): tile_bytes("world"),
            (1, 0, 1): tile_bytes("north-west"),  # TMS row 1 of 2: the northern half
            (1, 0, 0): tile_bytes("south-west"),
            (2, 3, 0): tile_bytes("jpeg", JPEG),
        },
        name="Two villages",
        format="png",
        attribution="Tiles by the county survey",
        maxzoom="2",
    )
    monkeypatch.setitem(app.config, "TILES", "local")
    monkeypatch.setitem(app.config, "MBTILES", str(path))
    return path


@pytest.fixture
def folder(tmp_path, app, monkeypatch) -> Path:
    root = tmp_path / "xyz"
    (root / "3" / "6").mkdir(parents=True)
    (root / "3" / "6" / "2.png").write_bytes(tile_bytes("folder"))
    (root / "3" / "6" / "5.jpg").write_bytes(tile_bytes("folder-jpeg", JPEG))
    secret = tmp_path / "secret.png"
    secret.write_bytes(tile_bytes("outside the tile folder"))
    (root / "3" / "6" / "4.png").symlink_to(secret)
    monkeypatch.setitem(app.config, "TILES", "local")
    monkeypatch.setitem(app.config, "TILES_DIR", str(root))
    return root


def test_mbtiles_rows_are_flipped_to_xyz(client, login, team, mbtiles):
    login(team["users"][Role.OBSERVER])
    north = client.get("/tiles/1/0/0.png")
    assert north.status_code == 200
    assert north.data == tile_bytes("north-west")
    assert north.mimetype == "image/png"
    assert client.get("/tiles/1/0/1.png").data == tile_bytes("south-west")
    assert client.get("/tiles/0/0/0.png").data == tile_bytes("world")
    jpeg = client.get("/tiles/2/3/3.png")
    assert jpeg.data == tile_bytes("jpeg", JPEG) and jpeg.mimetype == "image/jpeg"
    assert client.get("/tiles/1/1/0.png").status_code == 404  # not in the file


def test_tiles_are_cached_privately(client, login, team, mbtiles):
    login(team["users"][Role.RESEARCHER])
    response = client.get("/tiles/1/0/0.png")
    assert response.cache_control.private
    assert response.cache_control.max_age == tiles.CACHE_SECONDS
    etag = response.headers["ETag"]
    again = client.get("/tiles/1/0/0.png", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


def test_tiles_need_a_log_in(client, mbtiles):
    response = client.get("/tiles/1/0/0.png")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_folder_of_xyz_tiles(client, login, team, folder):
    login(team["users"][Role.FIELD_WORKER])
    response = client.get("/tiles/3/6/2.png")
    assert response.status_code == 200 and response.data == tile_bytes("folder")
    jpeg = client.get("/tiles/3/6/5.png")  # QGIS can write JPEG tiles: same address
    assert jpeg.data == tile_bytes("folder-jpeg", JPEG) and jpeg.mimetype == "image/jpeg"
    # A link that leads out of the tile folder is not followed.
    assert client.get("/tiles/3/6/4.png").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/tiles/a/0/0.png",
        "/tiles/1/0/0.5.png",
        "/tiles/-1/0/0.png",
        "/tiles/1/-0/0.png",
        "/tiles/1/0/0.PNG",
        "/tiles/1/2/0.png",  # x beyond the zoom's width
        "/tiles/1/0/2.png",
        "/tiles/25/0/0.png",
        f"/tiles/{10**30}/0/0.png",
        "/tiles/3/6/..%2F..%2F..%2Fsecret.png",
        "/tiles/3/6/../../../secret.png",
        "/tiles/3/6/%2e%2e/2.png",
        "/tiles/../../etc/passwd",
        "/tiles/3/6/2.png/..",
    ],
)
def test_refused_coordinates_and_paths(client, login, team, folder, mbtiles, path):
    login(team["users"][Role.COORDINATOR])
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 404, path


def test_map_page_uses_the_local_tiles(client, login, team, mbtiles):
    login(team["users"][Role.RESEARCHER])
    response = client.get("/projects/p1/map")
    html = response.get_data(as_text=True)
    assert '"/tiles/{z}/{x}/{y}.png"' in html
    assert "tile.openstreetmap.org" not in html
    assert "Tiles by the county survey" in html  # the file's own attribution
    assert '"maxNativeZoom": 2' in html  # deeper zooms enlarge the deepest tiles
    img_src = re.search(r"img-src ([^;]+);", response.headers["Content-Security-Policy"]).group(1)
    assert img_src.split() == ["'self'", "data:"]


def test_tiles_setting_defaults_to_the_route(tmp_path):
    path = build_mbtiles(tmp_path / "t.mbtiles", {(0, 0, 0): tile_bytes("world")})
    app = create_app(config_for_tests(tmp_path, MBTILES=str(path)))
    assert app.config["TILES"] == tiles.LOCAL
    assert any(
        rule.rule == "/tiles/<int:z>/<int:x>/<int:y>.png" for rule in app.url_map.iter_rules()
    )
    own = create_app(
        config_for_tests(
            tmp_path, TILES_DIR=str(tmp_path), TILES="https://t.example.org/{z}/{x}/{y}.png"
        )
    )
    assert own.config["TILES"] == "https://t.example.org/{z}/{x}/{y}.png"
    plain = create_app(config_for_tests(tmp_path))
    assert plain.config["TILES"] == "openstreetmap"
    with plain.test_request_context():
        assert tiles.read_tile(plain.config, 0, 0, 0) is None  # nothing configured: nothing read
