"""Search at 100,000 memos: rare and common, Chinese and English, 1-, 2- and 3+-character terms,
LIKE alone (before issue 14) against the trigram index (after), on SQLite and PostgreSQL.

`make bench` runs it on its SQLite database (`run`). Alone, for both databases and a report:

    .venv/bin/python -m tests.bench.search_index [--memos 100000]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/h_search] [--out FILE.md]

(the PostgreSQL database is emptied first; `--reuse` keeps a database built before, and
`--index-only` measures with the index only, skipping the LIKE-alone pass that drops and
rebuilds it). Every query's hits are compared between LIKE alone
and the index: they must be the same.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

N_MEMOS = 100_000
TARGET_MS = 50
RUNS = 7

COMMON = [
    "guardianship", "grandparents", "kindergarten", "distance", "road", "winter", "bus",
    "migrant", "parents", "homework", "留守儿童", "幼儿园", "祖父母", "照料", "距离", "村委会",
    "学校", "作业", "外出务工",
]  # fmt: skip
# (word, how many memos have it)
SPRINKLED = [
    ("独一无二", 1),
    ("鹦鹉", 3),
    ("xylophone", 3),
    ("qz", 3),
    ("拖拉机", 1000),
    ("tractor", 1000),
]
# (label, query): what the report shows
QUERIES = [
    ("rare Chinese, 4 characters (1 memo)", "独一无二"),
    ("rare Chinese, 2 characters (3 memos)", "鹦鹉"),
    ("rare Chinese, 1 character", "鹉"),
    ("rare English, 9 letters (3 memos)", "xylophone"),
    ("rare English, 2 letters (3 memos)", "qz"),
    ("medium Chinese, 3 characters (1% of memos)", "拖拉机"),
    ("medium English (1% of memos)", "tractor"),
    ("common Chinese, 3 characters", "幼儿园"),
    ("common Chinese, 2 characters", "儿童"),
    ("common Chinese, 1 character", "园"),
    ("common English", "grandparents"),
    ("two common English terms", "grandparents distance"),
    ("common and rare together", "幼儿园 鹦鹉"),
    ("phrase of common words, rare as a phrase", '"winter homework bus"'),
    ("nowhere at all", "没有这个词"),
]


def _filler(rng: random.Random) -> str:
    """Varied text: the common words, random Chinese characters and made-up Latin words."""
    words = [rng.choice(COMMON) for _ in range(70)]
    words += ["".join(chr(0x4E00 + rng.randrange(3000)) for _ in range(rng.randint(2, 4)))]
    words += [
        "".join(rng.choice("bcdfghjklmnprstvw") + rng.choice("aeiou") for _ in range(3))
        for _ in range(25)
    ]
    words += ["".join(chr(0x4E00 + rng.randrange(3000)) for _ in range(2)) for _ in range(25)]
    rng.shuffle(words)
    return " ".join(words)


def add_memos(app: Any, n: int, seed: int = 14) -> int:
    """Bring the demo project to n memos (bulk insert, no revisions); returns how many added."""
    from cbpar.auth.models import User
    from cbpar.db import db, utcnow
    from cbpar.memos.models import Memo
    from cbpar.projects.models import Project

    rng = random.Random(seed)
    with app.app_context():
        project_id = db.session.scalar(select(Project.id).where(Project.slug == "demo"))
        have = db.session.scalar(select(func.count()).select_from(Memo))
        authors = list(db.session.scalars(select(User.id).limit(3)))
        todo = max(0, n - have)
        marked: dict[int, list[str]] = {}
        team = range(0, todo, 3)  # visibility cycles every 3: the coordinator sees these
        for word, count in SPRINKLED:
            for i in rng.sample(team, min(count, len(team))):
                marked.setdefault(i, []).append(word)
        now = utcnow()
        batch: list[dict[str, Any]] = []
        for i in range(todo):
            body = _filler(rng)
            for word in marked.get(i, []):
                cut = rng.randrange(len(body))
                body = body[:cut] + word + body[cut:]  # inside the text, no spaces around
            batch.append(
                {
                    "project_id": project_id,
                    "author_id": authors[i % len(authors)],
                    "kind": ("research_memo", "reflection_note", "field_note")[i % 3],
                    "visibility": ("team", "community", "private")[i % 3],
                    "title": f"Memo {i} {rng.choice(COMMON)}",
                    "body": body,
                    "html": f"<p>{body}</p>",  # the rendered cache, as the services keep it
                    "created_at": now - timedelta(minutes=i),
                    "updated_at": now - timedelta(minutes=i),
                    "version": 1,
                }
            )
            if len(batch) == 5000:
                db.session.execute(insert(Memo), batch)
                batch = []
        if batch:
            db.session.execute(insert(Memo), batch)
        db.session.commit()
        return todo


def _median_ms(fn: Callable[[], Any], runs: int = RUNS) -> tuple[float, Any]:
    fn()
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, result


@contextmanager
def like_alone(app: Any) -> Iterator[None]:
    """Search as before issue 14: no candidates from the index (and, on PostgreSQL, no index)."""
    from cbpar import search_index
    from cbpar.db import db

    original = search_index.candidates
    search_index.candidates = lambda *_a, **_k: None
    postgres = False
    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
        if postgres:
            with db.engine.begin() as connection:
                connection.exec_driver_sql("DROP INDEX IF EXISTS ix_memo_search")
                connection.exec_driver_sql("DROP INDEX IF EXISTS ix_memo_grams")
                connection.exec_driver_sql("ANALYZE memo")
    try:
        yield
    finally:
        search_index.candidates = original
        if postgres:
            with app.app_context(), db.engine.begin() as connection:
                columns = ("title", "body")
                connection.exec_driver_sql(search_index.postgresql_index("memo", columns))
                connection.exec_driver_sql(search_index.postgresql_grams_index("memo", columns))
                connection.exec_driver_sql("ANALYZE memo")


def measure(app: Any, client: Any, runs: int = RUNS) -> dict[str, dict[str, Any]]:
    """Per query: the search page (server time) and the memo provider alone, and its hits."""
    from flask import g

    from cbpar.auth.models import User
    from cbpar.db import db
    from cbpar.memos import services
    from cbpar.projects.models import Membership, Project

    out: dict[str, dict[str, Any]] = {}
    with app.test_request_context():
        project = db.session.scalar(select(Project).where(Project.slug == "demo"))
        user = db.session.scalar(select(User).where(User.username == "coordinator"))
        membership = db.session.scalar(
            select(Membership).where(
                Membership.project_id == project.id, Membership.user_id == user.id
            )
        )
        g.membership = membership
        from cbpar.search import terms_of

        for label, query in QUERIES:
            terms = terms_of(query)
            ms, hits = _median_ms(
                lambda t=terms: services.search_memos(project, membership, t, 50), runs
            )
            out[label] = {"query": query, "provider_ms": ms, "hits": [h.id for h in hits]}
        db.session.rollback()
    for label, query in QUERIES:

        def page(q: str = query) -> Any:
            response = client.get("/projects/demo/search", query_string={"q": q})
            assert response.status_code == 200, response.status_code
            return response

        out[label]["page_ms"] = _median_ms(page, runs)[0]
    return out


def compare(app: Any, client: Any, runs: int = RUNS) -> tuple[dict, dict]:
    after = measure(app, client, runs)
    with like_alone(app):
        before = measure(app, client, runs)
    for label in after:
        if after[label]["hits"] != before[label]["hits"]:
            raise AssertionError(f"{label}: the index changed the results")
    return before, after


def table(name: str, before: dict, after: dict) -> str:
    lines = [
        f"### {name}",
        "",
        "| query | hits | LIKE alone: provider / page (ms) | index: provider / page (ms) |",
        "| --- | ---: | ---: | ---: |",
    ]
    for label in after:
        b, a = before[label], after[label]
        flag = "" if a["page_ms"] < TARGET_MS else " (over 50)"
        lines.append(
            f"| {label}: `{a['query']}` | {len(a['hits'])} | "
            f"{b['provider_ms']:.1f} / {b['page_ms']:.1f} | "
            f"{a['provider_ms']:.1f} / {a['page_ms']:.1f}{flag} |"
        )
    return "\n".join(lines) + "\n"


def run(
    app: Any,
    client: Any,
    report: Any,
    median_seconds: Callable[..., tuple[float, Any]],
    count_queries: Callable[..., int],
) -> None:
    """`make bench`: bring its SQLite database to 100,000 memos; the memo search < 50 ms."""
    print(f"Search by index ({add_memos(app, N_MEMOS):,} memos added, {N_MEMOS:,} in all)")
    before, after = compare(app, client, runs=3)
    for label in after:
        report.target(f"{label[:44]}: memo search", after[label]["provider_ms"], TARGET_MS, "ms")
        report.info(
            "  page; LIKE alone (before): memo search, page",
            f"{after[label]['page_ms']:,.0f} ms; "
            f"{before[label]['provider_ms']:,.0f} ms, {before[label]['page_ms']:,.0f} ms",
        )


def reopen(folder: Path, url: str, _n: int) -> Any:
    return _app(folder, url)


def _app(folder: Path, url: str) -> Any:
    from cbpar import create_app

    return create_app(
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


def build(folder: Path, url: str, n: int) -> Any:
    from cbpar import demo
    from cbpar.db import Base, db

    app = _app(folder, url)
    start = time.perf_counter()
    with app.app_context():
        Base.metadata.drop_all(db.engine)
        Base.metadata.create_all(db.engine)
        demo.load()
        db.session.commit()
        postgres = db.engine.dialect.name == "postgresql"
        if postgres:  # loading is faster without the index; made once at the end
            with db.engine.begin() as connection:
                connection.exec_driver_sql("DROP INDEX IF EXISTS ix_memo_search")
                connection.exec_driver_sql("DROP INDEX IF EXISTS ix_memo_grams")
    add_memos(app, n)
    with app.app_context(), db.engine.begin() as connection:
        if postgres:
            from cbpar import search_index

            columns = ("title", "body")
            connection.exec_driver_sql(search_index.postgresql_index("memo", columns))
            connection.exec_driver_sql(search_index.postgresql_grams_index("memo", columns))
        connection.exec_driver_sql("ANALYZE")
    print(f"  {n:,} memos loaded in {time.perf_counter() - start:.0f} s")
    return app


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memos", type=int, default=N_MEMOS)
    parser.add_argument("--postgres", default="")
    parser.add_argument("--out", default="")
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--sqlite", default="", help="keep the SQLite database in this file")
    parser.add_argument("--reuse", action="store_true", help="the databases are already built")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument(
        "--index-only",
        action="store_true",
        help="measure with the index only (no LIKE-alone pass, which drops and rebuilds it)",
    )
    args = parser.parse_args()
    sections = []
    with tempfile.TemporaryDirectory(prefix="cbpar-search-") as tmp:
        targets = [("SQLite", f"sqlite:///{args.sqlite or Path(tmp) / 'search.sqlite3'}")]
        if args.no_sqlite:
            targets = []
        if args.postgres:
            targets.append(("PostgreSQL", args.postgres))
        for name, url in targets:
            print(f"{name}: building {args.memos:,} memos")
            app = (reopen if args.reuse else build)(Path(tmp) / name, url, args.memos)
            client = app.test_client()
            login = client.post(
                "/login", data={"username": "coordinator", "password": "demo-password"}
            )
            assert login.status_code == 302, "bench log-in failed"
            if args.index_only:
                after = measure(app, client, args.runs)
                before = {
                    label: {**row, "provider_ms": 0.0, "page_ms": 0.0}
                    for label, row in after.items()
                }
            else:
                before, after = compare(app, client, args.runs)
            section = table(f"{name}, {args.memos:,} memos (coordinator)", before, after)
            print(section)
            sections.append(section)
            from cbpar.db import db

            with app.app_context():
                db.engine.dispose()
    if args.out:
        Path(args.out).write_text("\n".join(sections))
    return 0


if __name__ == "__main__":
    sys.exit(main())
