"""map data version: one number per project, kept by triggers on household, facility, village

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29 13:30:00

The triggers' DDL is copied here as it is today (cbpar/mapping/data_version.py holds the
current text), so this revision keeps meaning what it meant.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("household", "facility", "village")

SQLITE_START = "abs(random() % 1000000000000000)"
SQLITE_BUMP = "UPDATE map_data_version SET version = version + 1 WHERE project"

PG_BUMP = """
CREATE OR REPLACE FUNCTION cbpar_map_data_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE map_data_version SET version = version + 1, last_xact = txid_current()
        WHERE project = OLD.project_id AND last_xact IS DISTINCT FROM txid_current();
    END IF;
    IF TG_OP <> 'DELETE' THEN
        UPDATE map_data_version SET version = version + 1, last_xact = txid_current()
        WHERE project = NEW.project_id AND last_xact IS DISTINCT FROM txid_current();
    END IF;
    RETURN NULL;
END $$
"""

PG_PROJECT = """
CREATE OR REPLACE FUNCTION cbpar_map_data_project() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM map_data_version WHERE project = OLD.id;
    ELSE
        INSERT INTO map_data_version (project, version, last_xact)
        VALUES (NEW.id, floor(random() * 1e15)::bigint, NULL)
        ON CONFLICT (project) DO UPDATE SET version = EXCLUDED.version, last_xact = NULL;
    END IF;
    RETURN NULL;
END $$
"""


def _sqlite() -> list[str]:
    statements = [
        "CREATE TRIGGER IF NOT EXISTS project_map_data_insert AFTER INSERT ON project BEGIN "
        "INSERT OR REPLACE INTO map_data_version (project, version, last_xact) "
        f"VALUES (NEW.id, {SQLITE_START}, NULL); END",
        "CREATE TRIGGER IF NOT EXISTS project_map_data_delete AFTER DELETE ON project BEGIN "
        "DELETE FROM map_data_version WHERE project = OLD.id; END",
    ]
    for table in TABLES:
        statements += [
            f"CREATE TRIGGER IF NOT EXISTS {table}_map_data_insert AFTER INSERT ON {table} "
            f"BEGIN {SQLITE_BUMP} = NEW.project_id; END",
            f"CREATE TRIGGER IF NOT EXISTS {table}_map_data_update AFTER UPDATE ON {table} "
            f"BEGIN {SQLITE_BUMP} IN (OLD.project_id, NEW.project_id); END",
            f"CREATE TRIGGER IF NOT EXISTS {table}_map_data_delete AFTER DELETE ON {table} "
            f"BEGIN {SQLITE_BUMP} = OLD.project_id; END",
        ]
    return statements


def _postgresql() -> list[str]:
    return [
        PG_BUMP,
        PG_PROJECT,
        "CREATE OR REPLACE TRIGGER project_map_data AFTER INSERT OR DELETE ON project "
        "FOR EACH ROW EXECUTE FUNCTION cbpar_map_data_project()",
        *(
            f"CREATE OR REPLACE TRIGGER {table}_map_data AFTER INSERT OR UPDATE OR DELETE "
            f"ON {table} FOR EACH ROW EXECUTE FUNCTION cbpar_map_data_changed()"
            for table in TABLES
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "map_data_version",
        sa.Column("project", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("last_xact", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("project", name=op.f("pk_map_data_version")),
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in _postgresql() if postgresql else _sqlite():
        op.execute(statement)
    start = "floor(random() * 1e15)::bigint" if postgresql else SQLITE_START
    op.execute(f"INSERT INTO map_data_version (project, version) SELECT id, {start} FROM project")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("project", *TABLES):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_map_data ON {table}")
        op.execute("DROP FUNCTION IF EXISTS cbpar_map_data_changed()")
        op.execute("DROP FUNCTION IF EXISTS cbpar_map_data_project()")
    else:
        for table in ("project", *TABLES):
            for when in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_map_data_{when}")
    op.drop_table("map_data_version")
