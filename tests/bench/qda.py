"""Qualitative coding at scale (issue 18): a code's passages at 100,000 codings over 2,000
sources under 200 ms, the co-occurrence table under 500 ms, a .qdpx export under 10 s.

    .venv/bin/python -m tests.bench.qda [--codings 100000 --sources 2000] [--database-url URL]

Builds a temporary SQLite database (or, with --database-url, fills an empty PostgreSQL
database of your own: its tables are dropped and created again) with the demo project, 2,000
synthetic team memos (Chinese and English, about 1,500 characters each) and 100,000 codings
spread over 20 codes (two levels), then times the pages through the Flask test client (server
time) and the export alone.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, select, text

from tests.bench.__main__ import Report, median_seconds

WORDS = ["幼儿园", "太远了", "祖父母", "照料", "kindergarten", "distance", "grandmother", "路"]


def seed(app, n_sources: int, n_codings: int) -> int:
    from cbpar.auth.models import User
    from cbpar.db import db, utcnow
    from cbpar.memos.models import Memo
    from cbpar.projects.models import Project
    from cbpar.qda.models import Code, Coding

    rng = random.Random(18)
    with app.app_context():
        project_id = db.session.scalar(select(Project.id).where(Project.slug == "demo"))
        author = db.session.scalar(select(User.id).where(User.username == "researcher"))
        now = utcnow()
        db.session.execute(
            insert(Memo),
            [
                {
                    "project_id": project_id, "author_id": author, "kind": "research_memo",
                    "visibility": "team", "title": f"Synthetic memo {i}",
                    "body": " ".join(rng.choice(WORDS) for _ in range(300)), "html": "",
                    "created_at": now, "updated_at": now, "version": 1,
                }
                for i in range(n_sources)
            ],
        )  # fmt: skip
        memo_ids = list(
            db.session.scalars(select(Memo.id).where(Memo.title.like("Synthetic memo %")))
        )
        parents = []
        for i in range(4):
            code = Code(project_id=project_id, name=f"bench theme {i}", color="#4a90d9")
            db.session.add(code)
            db.session.flush()
            parents.append(code.id)
        code_ids = list(parents)
        for i in range(16):
            child = Code(project_id=project_id, name=f"bench code {i}", parent_id=parents[i % 4])
            db.session.add(child)
            db.session.flush()
            code_ids.append(child.id)
        bodies = {i: b for i, b in db.session.execute(select(Memo.id, Memo.body))}
        rows = []
        for i in range(n_codings):
            memo_id = memo_ids[i % len(memo_ids)]
            body = bodies[memo_id]
            start = rng.randrange(0, len(body) - 40)
            end = start + rng.randrange(5, 40)
            rows.append(
                {
                    "project_id": project_id, "code_id": rng.choice(code_ids),
                    "source_type": "memo", "source_id": memo_id, "start": start, "end": end,
                    "text": body[start:end], "note": "", "changed": False, "blind": False,
                    "coder_id": author, "created_at": now,
                }
            )  # fmt: skip
        for chunk in range(0, len(rows), 10_000):
            db.session.execute(insert(Coding), rows[chunk : chunk + 10_000])
        db.session.commit()
        return parents[0]


def build_app(folder: Path, url: str = ""):
    """The demo on a SQLite file or the given database (loaded inside a request context: some
    demo steps build URLs)."""
    from cbpar import create_app, demo
    from cbpar.db import Base, db

    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(folder / "instance"),
            "DATABASE_URL": url or f"sqlite:///{folder / 'bench.sqlite3'}",
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
            "WTF_CSRF_ENABLED": False,
            "LOGIN_RATE_LIMIT_ENABLED": False,
            "PROPAGATE_EXCEPTIONS": True,
        }
    )
    with app.test_request_context():
        if url:
            Base.metadata.drop_all(db.engine)
        Base.metadata.create_all(db.engine)
        demo.load()
        db.session.commit()
    return app


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codings", type=int, default=100_000)
    parser.add_argument("--sources", type=int, default=2_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    from cbpar.db import db

    report = Report()
    with tempfile.TemporaryDirectory(prefix="cbpar-bench-qda-") as tmp:
        app = build_app(Path(tmp), args.database_url)
        start = time.perf_counter()
        theme = seed(app, args.sources, args.codings)
        with app.app_context():
            dialect = db.engine.dialect.name
            if dialect == "postgresql":
                db.session.execute(text("ANALYZE"))
                db.session.commit()
        print(f"{args.codings:,} codings over {args.sources:,} sources in "
              f"{time.perf_counter() - start:.1f} s ({dialect})\n")  # fmt: skip
        client = app.test_client()
        login = client.post("/login", data={"username": "researcher", "password": "demo-password"})
        assert login.status_code == 302, "bench log-in failed"

        def passages() -> None:
            response = client.get(f"/projects/demo/qda/codes/{theme}")
            assert response.status_code == 200

        seconds, _ = median_seconds(passages)
        report.target("a code's passages (a theme and its 4 children), page 1", seconds * 1000,
                      200, "ms")  # fmt: skip

        def segments() -> None:
            assert client.get(f"/api/v1/projects/demo/codes/{theme}/segments").status_code == 200

        seconds, _ = median_seconds(segments)
        report.target("the same through the API", seconds * 1000, 200, "ms")

        def analysis() -> None:
            assert client.get("/projects/demo/qda/analysis").status_code == 200

        seconds, _ = median_seconds(analysis, runs=3)
        report.target("co-occurrence table and counts (the analysis page)", seconds * 1000,
                      500, "ms")  # fmt: skip

        def export() -> None:
            response = client.get("/projects/demo/qda/export.qdpx")
            assert response.status_code == 200
            return len(response.data)

        seconds, size = median_seconds(export, runs=1)
        report.target(f"a .qdpx export ({size / 1e6:.1f} MB)", seconds, 10, "s")
        with app.app_context():
            db.engine.dispose()
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
