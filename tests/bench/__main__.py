"""Measure the community map's speed targets at 50,000 households and 500 facilities.

Run with `make bench` (or `.venv/bin/python -m tests.bench [--households N --facilities M]`).
Builds a temporary SQLite database with the demo project plus synthetic records, then times
requests through the Flask test client (server time, no network) and the distance functions
alone. Prints the median of several runs per figure and PASS/FAIL per target from the issue;
exits with status 1 if any target fails. Record the figures in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import gzip
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import event, select

RUNS = 7


def median_seconds(fn: Callable[[], Any], runs: int = RUNS) -> tuple[float, Any]:
    fn()  # warm-up: imports, template compilation, SQLite page cache
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


class Report:
    def __init__(self) -> None:
        self.failures = 0

    def info(self, label: str, value: str) -> None:
        print(f"  {label:<58} {value}")

    def target(self, label: str, value: float, limit: float, unit: str) -> None:
        ok = value < limit
        self.failures += not ok
        shown = f"{value:,.1f} {unit} (target < {limit:,.0f} {unit})"
        print(f"  {label:<58} {shown:<34} {'PASS' if ok else 'FAIL'}")


def build_app(folder: Path, households: int, facilities: int):
    from cbpar import create_app, demo
    from cbpar.db import Base, db

    app = create_app(
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
    start = time.perf_counter()
    with app.app_context():
        Base.metadata.create_all(db.engine)
        summary = demo.load(households=households, facilities=facilities)
        db.session.commit()
    print(summary)
    print(f"Loaded in {time.perf_counter() - start:.1f} s\n")
    return app


def count_queries(app, fn: Callable[[], Any]) -> int:
    from cbpar.db import db

    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def on_execute(_conn, _cursor, statement, *_rest):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    return len(seen)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=50_000)
    parser.add_argument("--facilities", type=int, default=500)
    args = parser.parse_args()

    from cbpar.db import db
    from cbpar.mapping import analysis, geo
    from cbpar.mapping.models import Facility, Household
    from cbpar.projects.models import Project

    print(f"Python {platform.python_version()} on {platform.machine()}, median of {RUNS} runs")
    report = Report()
    with tempfile.TemporaryDirectory(prefix="cbpar-bench-") as tmp:
        app = build_app(Path(tmp), args.households, args.facilities)
        client = app.test_client()
        login = client.post("/login", data={"username": "coordinator", "password": "demo-password"})
        assert login.status_code == 302, "bench log-in failed"
        with app.app_context():
            project_id = db.session.scalar(select(Project.id).where(Project.slug == "demo"))
            n_households = db.session.query(Household).filter_by(project_id=project_id).count()
            n_facilities = db.session.query(Facility).filter_by(project_id=project_id).count()
        print(f"Demo project: {n_households:,} households, {n_facilities:,} facilities\n")

        def get(url: str, **headers: str):
            response = client.get(url, headers=headers)
            assert response.status_code == 200, (url, response.status_code)
            return response

        print("Map page")
        seconds, response = median_seconds(lambda: get("/projects/demo/map"))
        report.target("HTML size", len(response.data) / 1000, 60, "KB")
        report.target("server time", seconds * 1000, 100, "ms")
        report.info("SQL statements", str(count_queries(app, lambda: get("/projects/demo/map"))))

        print("Households GeoJSON (coordinator: every property)")
        url = "/api/v1/projects/demo/households.geojson"
        seconds, response = median_seconds(lambda: get(url, **{"Accept-Encoding": "gzip"}))
        compressed = response.data
        if response.headers.get("Content-Encoding") != "gzip":
            compressed = gzip.compress(response.data)
        report.target("server time (gzip included)", seconds * 1000, 1000, "ms")
        report.target("gzipped size", len(compressed) / 1e6, 1, "MB")
        report.info("uncompressed size", f"{len(gzip.decompress(compressed)) / 1e6:.2f} MB")
        report.info("SQL statements", str(count_queries(app, lambda: get(url))))

        print(f"Nearest facility, geo.nearest alone ({n_households:,} x {n_facilities:,})")
        with app.app_context():
            rows = db.session.execute(
                select(Household.lat, Household.lon).where(Household.project_id == project_id)
            ).all()
            frows = db.session.execute(
                select(Facility.lat, Facility.lon).where(Facility.project_id == project_id)
            ).all()
        lats = np.array([r[0] for r in rows])
        lons = np.array([r[1] for r in rows])
        flats = np.array([r[0] for r in frows])
        flons = np.array([r[1] for r in frows])
        seconds, (km, _index) = median_seconds(lambda: geo.nearest(lats, lons, flats, flons))
        report.target("KD-tree on unit vectors", seconds * 1000, 150, "ms")
        sample = np.random.default_rng(1).choice(
            len(lats), size=min(2000, len(lats)), replace=False
        )
        brute_km, _ = geo.nearest_brute_force(lats[sample], lons[sample], flats, flons)
        worst = float(np.max(np.abs(brute_km - km[sample])))
        ok = worst < 1e-6
        report.failures += not ok
        print(
            f"  {'matches brute-force haversine on ' + str(len(sample)) + ' households':<58} "
            f"{'max difference ' + format(worst, '.1e') + ' km':<34} {'PASS' if ok else 'FAIL'}"
        )
        brute_seconds, _ = median_seconds(
            lambda: geo.nearest_brute_force(lats, lons, flats, flons), runs=3
        )
        report.info(
            "(for comparison: brute force, all households)", f"{brute_seconds * 1000:,.0f} ms"
        )

        print("What-if with three candidate sites")
        # Three households now beyond 5 km of a kindergarten become the candidate sites.
        with app.app_context():
            kinder = analysis.load_facilities(
                project_id, analysis.FacilityKind.KINDERGARTEN, analysis.date.today()
            )
        kinder_km, _ = geo.nearest(lats, lons, kinder.lat, kinder.lon)
        far = np.flatnonzero(kinder_km > 5.0)
        picks = np.random.default_rng(2).choice(far, size=min(3, len(far)), replace=False)
        candidates = [(round(float(lats[i]), 5), round(float(lons[i]), 5)) for i in picks]
        query = "kind=kindergarten&within_km=5&" + "&".join(
            f"candidate={lat},{lon}" for lat, lon in candidates
        )
        api = f"/api/v1/projects/demo/accessibility?{query}"
        seconds, response = median_seconds(lambda: get(api))
        report.target("accessibility API, full request", seconds * 1000, 300, "ms")
        body = response.get_json()
        report.info(
            "result",
            f"{body['households_beyond']:,} beyond 5 km; candidates bring "
            + ", ".join(str(c["households_newly_within"]) for c in body["candidates"]),
        )
        report.info("SQL statements", str(count_queries(app, lambda: get(api))))
        params = analysis.Params(
            analysis.FacilityKind.KINDERGARTEN, 5.0, analysis.date.today(), candidates
        )
        current = km
        u6 = np.ones(len(lats), dtype=np.int64)
        seconds, _ = median_seconds(
            lambda: geo.what_if(lats, lons, current, params.candidates, 5.0, u6, u6)
        )
        report.info("geo.what_if alone", f"{seconds * 1000:,.1f} ms")

        points = f"/api/v1/projects/demo/accessibility/points?{query}"
        seconds, response = median_seconds(lambda: get(points, **{"Accept-Encoding": "gzip"}))
        report.info("analysis map points (distances), server time", f"{seconds * 1000:,.0f} ms")
        report.info("analysis map points, gzipped size", f"{len(response.data) / 1e6:.2f} MB")

        print("Analysis page (server-rendered, with three candidates)")
        page = f"/projects/demo/analysis?{query}"
        seconds, response = median_seconds(lambda: get(page))
        report.info("server time", f"{seconds * 1000:,.0f} ms")
        report.info("HTML size", f"{len(response.data) / 1000:,.1f} KB")
        report.info("SQL statements", str(count_queries(app, lambda: get(page))))

        from tests.bench import overview as overview_bench

        overview_bench.run(app, client, report, median_seconds, count_queries)

        from tests.bench import care as care_bench

        care_bench.run(app, client, report, median_seconds, count_queries)

        from tests.bench import memos as memo_bench

        memo_bench.run(app, client, report, median_seconds, count_queries)

        from tests.bench import search_index as search_bench

        search_bench.run(app, client, report, median_seconds, count_queries)

        from tests.bench import importing as import_bench

        import_bench.run(app, report)

        from tests.bench import voting as voting_bench

        voting_bench.run(app, client, report, median_seconds, count_queries)

        from tests.bench import mapdata as mapdata_bench

        mapdata_bench.run(app, client, report, median_seconds, count_queries)

        with app.app_context():
            db.engine.dispose()

    print(
        f"\n{'All targets met.' if not report.failures else f'{report.failures} target(s) FAILED.'}"
    )
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
