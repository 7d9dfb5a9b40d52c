"""Only the services-and-care bench (tests/bench/care.py), on SQLite or PostgreSQL.

    .venv/bin/python -m tests.bench.care_alone [--households 6000] [--database-url URL]

`make bench` runs the same figures after the map's; this builds a smaller demo (the bench
needs 5,000 households for its 5,000 children) so that the services figures can be measured
alone, and on PostgreSQL: pass an empty database of your own (its tables are dropped and
created again; never a shared one).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from tests.bench import __main__ as bench
from tests.bench import care as care_bench


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=6_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    from cbpar import create_app, demo
    from cbpar.db import Base, db

    report = bench.Report()
    with tempfile.TemporaryDirectory(prefix="cbpar-care-bench-") as tmp:
        folder = Path(tmp)
        url = args.database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
        app = create_app(
            {
                "TESTING": True,
                "INSTANCE_PATH": str(folder / "instance"),
                "DATABASE_URL": url,
                "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
                "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
                "WTF_CSRF_ENABLED": False,
                "LOGIN_RATE_LIMIT_ENABLED": False,
                "PROPAGATE_EXCEPTIONS": True,
            }
        )
        start = time.perf_counter()
        with app.test_request_context():  # the demo's notifications build links
            if args.database_url:
                Base.metadata.drop_all(db.engine)
            Base.metadata.create_all(db.engine)
            print(demo.load(households=args.households))
            db.session.commit()
            dialect = db.engine.dialect.name
        added = care_bench.add_children_and_contacts(app)
        if dialect == "postgresql":
            with app.app_context():
                db.session.execute(text("ANALYZE"))
                db.session.commit()
        print(f"Loaded in {time.perf_counter() - start:.1f} s ({dialect})\n")
        care_bench.add_children_and_contacts = lambda _app: added  # already added
        client = app.test_client()
        login = client.post("/login", data={"username": "coordinator", "password": "demo-password"})
        assert login.status_code == 302, "bench log-in failed"
        care_bench.run(app, client, report, bench.median_seconds, bench.count_queries)
        with app.app_context():
            db.engine.dispose()
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
