"""The map data version: one number per project that changes with every write to its households,
facilities or villages, kept by database triggers so every app process sees every change.

The map's bodies (households GeoJSON, the compact points, the analysis points) are cached per
process under this version (cbpar/mapping/mapdata.py). Triggers, not Python hooks, keep it: they
fire for ORM flushes, Core `insert()`/`update()` executemany (imports, the demo loader), archive
import, erasure, raw SQL and a `psql` session alike, in the writing transaction, on any server.

- A project gets its row, with a random starting number, when it is created (a trigger on
  `project`); the migration gives existing projects theirs. A random start means a number
  never names two different states, even when a deleted project's id comes back (SQLite) or
  one process serves several databases (tests).
- SQLite: a row trigger adds 1 (a tiny page already in cache: microseconds per row).
- PostgreSQL: a row trigger adds 1 at most once per transaction (`last_xact`), so a 50,000-row
  import updates the version row once, not 50,000 times. It holds that row's lock until the
  writing transaction ends, so writers of one project's map data take turns (SQLite always
  has one writer at a time anyway).

The table has no `project_id` column on purpose: project archives carry every table with one
(cbpar/transfer/archive.py), and this number belongs to the database, not to the project's data.

Careful with later migrations: on SQLite, `batch_alter_table` on household, facility or village
rebuilds the table and drops its triggers; call `create_triggers` again in that migration
(tests/mapping/test_mapdata_version.py checks that the head revision has them).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Connection, Integer, event, func, select
from sqlalchemy.orm import Mapped, mapped_column

from cbpar.db import Base, db

TRACKED_TABLES = ("household", "facility", "village")


class MapDataVersion(Base):
    """A project's map data version (rows are written by triggers only)."""

    __tablename__ = "map_data_version"

    project: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)
    # PostgreSQL: the transaction that last bumped it (one bump per transaction).
    last_xact: Mapped[int | None] = mapped_column(BigInteger)


def _sqlite_ddl() -> list[str]:
    start = "abs(random() % 1000000000000000)"
    statements = [
        "CREATE TRIGGER IF NOT EXISTS project_map_data_insert AFTER INSERT ON project BEGIN "
        "INSERT OR REPLACE INTO map_data_version (project, version, last_xact) "
        f"VALUES (NEW.id, {start}, NULL); END",
        "CREATE TRIGGER IF NOT EXISTS project_map_data_delete AFTER DELETE ON project BEGIN "
        "DELETE FROM map_data_version WHERE project = OLD.id; END",
    ]
    bump = "UPDATE map_data_version SET version = version + 1 WHERE project"
    for table in TRACKED_TABLES:
        statements += [
            f"CREATE TRIGGER IF NOT EXISTS {table}_map_data_insert AFTER INSERT ON {table} "
            f"BEGIN {bump} = NEW.project_id; END",
            f"CREATE TRIGGER IF NOT EXISTS {table}_map_data_update AFTER UPDATE ON {table} "
            f"BEGIN {bump} IN (OLD.project_id, NEW.project_id); END",
            f"CREATE TRIGGER IF NOT EXISTS {table}_map_data_delete AFTER DELETE ON {table} "
            f"BEGIN {bump} = OLD.project_id; END",
        ]
    return statements


_PG_BUMP = """
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

_PG_PROJECT = """
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


def _postgresql_ddl() -> list[str]:
    statements = [
        _PG_BUMP,
        _PG_PROJECT,
        "CREATE OR REPLACE TRIGGER project_map_data AFTER INSERT OR DELETE ON project "
        "FOR EACH ROW EXECUTE FUNCTION cbpar_map_data_project()",
    ]
    statements += [
        f"CREATE OR REPLACE TRIGGER {table}_map_data AFTER INSERT OR UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION cbpar_map_data_changed()"
        for table in TRACKED_TABLES
    ]
    return statements


def trigger_statements(dialect: str) -> list[str]:
    """The DDL that keeps map_data_version current, for this database."""
    return _postgresql_ddl() if dialect == "postgresql" else _sqlite_ddl()


def create_triggers(connection: Connection) -> None:
    for statement in trigger_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)


def give_every_project_a_version(connection: Connection) -> None:
    """Rows for projects that have none (those created before the triggers)."""
    start = (
        "floor(random() * 1e15)::bigint"
        if connection.dialect.name == "postgresql"
        else "abs(random() % 1000000000000000)"
    )
    connection.exec_driver_sql(
        f"INSERT INTO map_data_version (project, version) SELECT id, {start} FROM project "
        "WHERE id NOT IN (SELECT project FROM map_data_version)"
    )


@event.listens_for(Base.metadata, "after_create")
def _after_create(_metadata: Any, connection: Connection, **_kw: Any) -> None:
    # Schemas made by create_all (tests, benchmarks) get the triggers migrations add.
    create_triggers(connection)
    give_every_project_a_version(connection)


def current(project_id: int) -> int | None:
    """The project's map data version in the session's transaction, or None when it cannot
    name the data this transaction sees: no row, or (PostgreSQL) this very transaction has
    changed the map data and may change more under the same number (bumps are once per
    transaction there), as tests do inside one outer transaction.

    Read it before the rows it labels: under READ COMMITTED (PostgreSQL) later statements can
    only see newer data, so a body is never older than the version it is cached under.
    """
    if db.engine.dialect.name != "postgresql":
        return db.session.execute(
            select(MapDataVersion.version).where(MapDataVersion.project == project_id)
        ).scalar()
    row = db.session.execute(
        select(
            MapDataVersion.version,
            MapDataVersion.last_xact == func.txid_current_if_assigned(),
        ).where(MapDataVersion.project == project_id)
    ).first()
    if row is None or row[1]:
        return None
    return row[0]
