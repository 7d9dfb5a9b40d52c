"""search trigram index: FTS5 (trigram) on SQLite, pg_trgm GIN on PostgreSQL, for memos

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29 13:30:00

The statements are written out here, not taken from cbpar/search_index.py, so this revision
keeps doing what it did when that module changes (tests/core/test_search_index.py checks that
both make the same schema today).
"""

import logging
from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

INSERT = "INSERT INTO memo_search(rowid, title, body) VALUES (new.id, new.title || char(1, 1), new.body || char(1, 1));"  # noqa: E501
DELETE = "INSERT INTO memo_search(memo_search, rowid, title, body) VALUES ('delete', old.id, old.title || char(1, 1), old.body || char(1, 1));"  # noqa: E501
SQLITE = [
    "CREATE VIRTUAL TABLE memo_search USING fts5(title, body, content='', tokenize='trigram')",
    "CREATE VIRTUAL TABLE memo_search_terms USING fts5vocab(memo_search, 'row')",
    f"CREATE TRIGGER memo_search_insert AFTER INSERT ON memo BEGIN {INSERT} END",
    f"CREATE TRIGGER memo_search_delete AFTER DELETE ON memo BEGIN {DELETE} END",
    f"CREATE TRIGGER memo_search_update AFTER UPDATE OF id, title, body ON memo "
    f"BEGIN {DELETE} {INSERT} END",
    "INSERT INTO memo_search(rowid, title, body) "
    "SELECT id, title || char(1, 1), body || char(1, 1) FROM memo",
]


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE:
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        have = bind.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").first()
        if have is None:
            try:
                with bind.begin_nested():
                    bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            except Exception as exc:  # search works without the index, only slower
                log.warning(
                    "pg_trgm could not be created (%s): memo search works but reads every memo. "
                    "As a superuser: CREATE EXTENSION pg_trgm; then as the app's role: "
                    "CREATE INDEX ix_memo_search ON memo USING gin "
                    "(title gin_trgm_ops, body gin_trgm_ops); (docs/deployment.md)",
                    str(exc).splitlines()[0],
                )
                return
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_memo_search ON memo "
            "USING gin (title gin_trgm_ops, body gin_trgm_ops)"
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS memo_search_{name}")
        op.execute("DROP TABLE IF EXISTS memo_search_terms")
        op.execute("DROP TABLE IF EXISTS memo_search")
    elif bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_memo_search")
