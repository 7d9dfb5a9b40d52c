"""Map data figures (issue 14): warm households.geojson, 304, first-view bytes, peak memory.

Part of `make bench` (tests/bench/__main__.py calls `run`), or alone, comparable between two
checkouts (the same script runs against older code, which has no compact endpoint):

    .venv/bin/python tests/bench/mapdata.py --households 50000 [--rss-households 200000]
    cd /tmp/before && PYTHONPATH=/tmp/before /work/main/.venv/bin/python \\
        /work/main/tests/bench/mapdata.py --households 50000

Server time is the Flask test client's (no network), median of several runs; the machine may
be shared, so read the figures as medians of noisy runs. Peak memory (ru_maxrss) is measured
in a fresh process that opens the database, logs in and builds every map body once.
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

GEOJSON = "/api/v1/projects/demo/households.geojson"
POINTS = "/api/v1/projects/demo/households.points.json"
VILLAGES = "/api/v1/projects/demo/villages.geojson"
FACILITIES = "/api/v1/projects/demo/facilities.geojson"
PASSWORD = "demo-password"


def _gzipped_size(response: Any) -> int:
    data = response.data
    if response.headers.get("Content-Encoding") != "gzip":
        data = gzip.compress(data)
    return len(data)


def first_view_bytes(client: Any) -> dict[str, int]:
    """What the map page downloads for its data (gzipped), by URL; 0 for an absent endpoint."""
    sizes = {}
    for url in (VILLAGES, FACILITIES, POINTS, GEOJSON):
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        sizes[url] = _gzipped_size(response) if response.status_code == 200 else 0
    return sizes


RUNS = 9


def timed(fn: Any, runs: int = RUNS) -> tuple[float, float, Any]:
    """Median wall-clock and median CPU (this process) milliseconds of `fn`, and its result.

    CPU time is what the issue measured, and it is far less disturbed by other programs on a
    shared machine than wall time.
    """
    fn()
    walls, cpus, result = [], [], None
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        cpus.append((time.process_time() - cpu) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
    return statistics.median(walls), statistics.median(cpus), result


def figures(
    app: Any, median_seconds: Any = None, username: str = "coordinator"
) -> dict[str, float]:
    client = app.test_client()
    login = client.post("/login", data={"username": username, "password": PASSWORD})
    assert login.status_code == 302, "bench log-in failed"
    zipped = {"Accept-Encoding": "gzip"}

    wall, cpu = time.perf_counter(), time.process_time()
    cold = client.get(GEOJSON, headers=zipped)
    cold_cpu = (time.process_time() - cpu) * 1000
    cold_ms = (time.perf_counter() - wall) * 1000
    assert cold.status_code == 200
    warm_wall, warm_cpu, response = timed(lambda: client.get(GEOJSON, headers=zipped))
    etag = response.headers["ETag"]
    nm_wall, nm_cpu, answer = timed(
        lambda: client.get(GEOJSON, headers={**zipped, "If-None-Match": etag})
    )
    assert answer.status_code == 304, answer.status_code
    # The floor: the same address refused right after log-in and access checks (a bad bbox).
    floor_wall, floor_cpu, _ = timed(lambda: client.get(GEOJSON + "?bbox=x"))
    sizes = first_view_bytes(client)
    out = {
        "geojson_cold_ms": cold_ms,
        "geojson_cold_cpu_ms": cold_cpu,
        "geojson_warm_ms": warm_wall,
        "geojson_warm_cpu_ms": warm_cpu,
        "geojson_304_ms": nm_wall,
        "geojson_304_cpu_ms": nm_cpu,
        "floor_ms": floor_wall,
        "floor_cpu_ms": floor_cpu,
        "geojson_gzip_kb": sizes[GEOJSON] / 1000,
        "points_gzip_kb": sizes[POINTS] / 1000,
        "villages_facilities_gzip_kb": (sizes[VILLAGES] + sizes[FACILITIES]) / 1000,
    }
    data = sizes[POINTS] or sizes[GEOJSON]  # what the map page loads for households
    out["first_view_kb"] = (sizes[VILLAGES] + sizes[FACILITIES] + data) / 1000
    if sizes[POINTS]:
        out["points_warm_ms"], out["points_warm_cpu_ms"], _ = timed(
            lambda: client.get(POINTS, headers=zipped)
        )
    return out


def show(report: Any, got: dict[str, float], households: int) -> None:
    label = f"{households:,} households"
    report.info(
        f"households.geojson cold (first build), {label}",
        f"{got['geojson_cold_cpu_ms']:,.0f} ms CPU ({got['geojson_cold_ms']:,.0f} ms wall)",
    )
    report.target("households.geojson warm, server CPU time", got["geojson_warm_cpu_ms"], 20, "ms")
    report.info("  (wall clock, median)", f"{got['geojson_warm_ms']:,.1f} ms")
    report.target("households.geojson 304, server CPU time", got["geojson_304_cpu_ms"], 5, "ms")
    report.info("  (wall clock, median)", f"{got['geojson_304_ms']:,.1f} ms")
    report.info(
        "  floor: same address, refused after log-in checks",
        f"{got['floor_cpu_ms']:,.1f} ms CPU ({got['floor_ms']:,.1f} ms wall)",
    )
    report.info("households.geojson gzipped", f"{got['geojson_gzip_kb']:,.0f} KB")
    if got.get("points_gzip_kb"):
        report.info("households.points.json gzipped", f"{got['points_gzip_kb']:,.0f} KB")
        report.info(
            "households.points.json warm",
            f"{got['points_warm_cpu_ms']:,.1f} ms CPU ({got['points_warm_ms']:,.1f} ms wall)",
        )
    report.target("map first view, data downloaded (gzipped)", got["first_view_kb"], 1000, "KB")


def run(app: Any, client: Any, report: Any, median_seconds: Any, count_queries: Any) -> None:
    """The `make bench` part, on its 50,000-household database."""
    from cbpar.db import db
    from cbpar.mapping.models import Household

    with app.app_context():
        n = db.session.query(Household).count()
    print("Map data (issue 14): built once per change")
    show(report, figures(app, median_seconds), n)
    report.info(
        "SQL statements of a 304",
        str(
            count_queries(
                app,
                lambda: client.get(GEOJSON, headers={"If-None-Match": 'W/"x"'}),
            )
        ),
    )


# --- standalone: before/after comparison and peak memory ---------------------------------------


def _build_database(folder: Path, households: int) -> None:
    from tests.bench.__main__ import build_app

    app = build_app(folder, households, 500)
    from cbpar.db import db

    with app.app_context():
        db.engine.dispose()


def _open_app(folder: Path):
    from cbpar import create_app

    return create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(folder / "instance"),
            "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
            "WTF_CSRF_ENABLED": False,
            "LOGIN_RATE_LIMIT_ENABLED": False,
            "PROPAGATE_EXCEPTIONS": True,
        }
    )


def high_water_mb() -> float:
    """This process's peak RSS (Linux VmHWM). Unlike ru_maxrss it starts afresh at exec: a
    child forked from the large benchmark process inherits that one's ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_rss(folder: Path) -> dict[str, float]:
    """In this (fresh) process: RSS after start and log-in, then peak after building bodies."""
    app = _open_app(folder)
    client = app.test_client()
    assert (
        client.post("/login", data={"username": "coordinator", "password": PASSWORD}).status_code
        == 302
    )
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    hwm_start = high_water_mb()
    sizes = {}
    for url in (GEOJSON, POINTS):
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        sizes[url] = _gzipped_size(response) if response.status_code == 200 else 0
        del response
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "rss_after_start_mb": base,
        "rss_peak_mb": peak,
        "hwm_after_start_mb": hwm_start,
        "hwm_peak_mb": high_water_mb(),
        "geojson_gzip_kb": sizes[GEOJSON] / 1000,
        "points_gzip_kb": sizes[POINTS] / 1000,
    }


class _Report:
    def info(self, label: str, value: str) -> None:
        print(f"  {label:<58} {value}")

    def target(self, label: str, value: float, limit: float, unit: str) -> None:
        verdict = "PASS" if value < limit else "FAIL"
        print(f"  {label:<58} {value:,.1f} {unit} (target < {limit:,.0f} {unit}) {verdict}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=50_000)
    parser.add_argument("--rss-households", type=int, default=0, help="also peak RSS at N")
    parser.add_argument("--json", help="write the figures to this file as JSON")
    parser.add_argument("--keep", help="build (or reuse) the databases in this folder")
    parser.add_argument("--rss-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        print(json.dumps(peak_rss(Path(args.rss_child))))
        return 0

    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="cbpar-mapdata-") as tmp:
        root = Path(args.keep or tmp)
        folder = root / f"h{args.households}"
        folder.mkdir(parents=True, exist_ok=True)
        if not (folder / "bench.sqlite3").exists():
            _build_database(folder, args.households)
        app = _open_app(folder)
        got = figures(app)
        print(f"Map data at {args.households:,} households")
        show(_Report(), got, args.households)
        committee = figures(app, username="committee1")
        _Report().info(
            "committee: map first view (gzipped)", f"{committee['first_view_kb']:,.0f} KB"
        )
        results[str(args.households)] = {"coordinator": got, "committee": committee}
        if args.rss_households:
            big = root / f"h{args.rss_households}"
            big.mkdir(parents=True, exist_ok=True)
            if not (big / "bench.sqlite3").exists():
                _build_database(big, args.rss_households)
            child = subprocess.run(
                [sys.executable, __file__, "--rss-child", str(big)],
                capture_output=True,
                text=True,
                check=True,
            )
            rss = json.loads(child.stdout.strip().splitlines()[-1])
            print(f"Peak memory building the map bodies at {args.rss_households:,} households")
            _Report().info(
                "RSS after start and log-in (VmHWM)", f"{rss['hwm_after_start_mb']:,.0f} MB"
            )
            _Report().target("peak RSS after building (VmHWM)", rss["hwm_peak_mb"], 300, "MB")
            _Report().info(
                "  (ru_maxrss, inherited from the forking parent)", f"{rss['rss_peak_mb']:,.0f} MB"
            )
            _Report().info("households.geojson gzipped", f"{rss['geojson_gzip_kb']:,.0f} KB")
            _Report().info("households.points.json gzipped", f"{rss['points_gzip_kb']:,.0f} KB")
            results[f"rss_{args.rss_households}"] = rss
            app2 = _open_app(big)
            big_got = figures(app2)
            show(_Report(), big_got, args.rss_households)
            results[str(args.rss_households)] = {"coordinator": big_got}
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    if __package__ in (None, ""):  # run as a file: the checkout in PYTHONPATH/cwd is the app
        sys.path[0] = str(Path.cwd())
    sys.exit(main())
