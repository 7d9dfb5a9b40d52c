"""Memo speed targets: a list page and search over 10,000 memos (called by tests/bench)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select

N_MEMOS = 10_000
WORDS = [
    "guardianship",
    "grandparents",
    "kindergarten",
    "distance",
    "road",
    "winter",
    "bus",
    "migrant",
    "parents",
    "homework",
    "留守儿童",
    "幼儿园",
    "祖父母",
    "照料",
    "距离",
    "村委会",
    "学校",
    "作业",
    "外出务工",
]


def add_memos(app: Any, n: int = N_MEMOS) -> int:
    """Insert n synthetic memos (bulk, no revisions) into the demo project; one rare word."""
    from cbpar.auth.models import User
    from cbpar.db import db, utcnow
    from cbpar.memos.models import Memo
    from cbpar.projects.models import Project

    rng = random.Random(4)
    with app.app_context():
        project_id = db.session.scalar(select(Project.id).where(Project.slug == "demo"))
        authors = list(db.session.scalars(select(User.id).limit(3)))
        now = utcnow()
        rows = []
        rare = n // 2 - (n // 2) % 3  # a team memo (visibility cycles every 3)
        for i in range(n):
            body = " ".join(rng.choice(WORDS) for _ in range(120))
            if i == rare:
                body += " 独一无二的词"  # found by the rare-term search: a full scan
            rows.append(
                {
                    "project_id": project_id,
                    "author_id": authors[i % len(authors)],
                    "kind": ("research_memo", "reflection_note", "field_note")[i % 3],
                    "visibility": ("team", "community", "private")[i % 3],
                    "title": f"Synthetic memo {i} {rng.choice(WORDS)}",
                    "body": body,
                    "html": f"<p>{body}</p>",
                    "created_at": now - timedelta(minutes=i),
                    "updated_at": now - timedelta(minutes=i),
                    "version": 1,
                }
            )
        db.session.execute(insert(Memo), rows)
        db.session.commit()
        return n


def run(
    app: Any,
    client: Any,
    report: Any,
    median_seconds: Callable[..., tuple[float, Any]],
    count_queries: Callable[..., int],
) -> None:
    print(f"Memos ({add_memos(app):,} synthetic memos added)")

    def get(url: str):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    seconds, _ = median_seconds(lambda: get("/projects/demo/memos"))
    report.target("memo list, first page", seconds * 1000, 100, "ms")
    seconds, _ = median_seconds(lambda: get("/projects/demo/memos?page=150"))
    report.target("memo list, page 150", seconds * 1000, 100, "ms")
    report.info("SQL statements", str(count_queries(app, lambda: get("/projects/demo/memos"))))
    seconds, _ = median_seconds(lambda: get("/projects/demo/search?q=幼儿园"))
    report.target("search, common Chinese term (50 hits)", seconds * 1000, 300, "ms")
    seconds, response = median_seconds(lambda: get("/projects/demo/search?q=独一无二"))
    report.target("search, rare term (scans every memo)", seconds * 1000, 300, "ms")
    assert "<mark>独一无二</mark>" in response.get_data(as_text=True)
    seconds, _ = median_seconds(lambda: get("/projects/demo/search?q=grandparents+distance"))
    report.target("search, two English terms", seconds * 1000, 300, "ms")
