"""Migrations: one head, upgrade from empty on SQLite and PostgreSQL, no drift from the models."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from cbpar import migrate
from cbpar.db import make_engine
from cbpar.models import Base
from cbpar.search_index import include_object

POSTGRES_URL = os.environ.get("CBPAR_TEST_DATABASE_URL", "")


def _diff(engine) -> list:
    with engine.connect() as connection:
        opts = {"compare_type": True, "include_object": include_object}  # as migrations/env.py
        context = MigrationContext.configure(connection, opts=opts)
        return compare_metadata(context, Base.metadata)


@pytest.fixture
def empty_sqlite(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'migrate.sqlite3'}")
    yield engine
    engine.dispose()


@pytest.fixture
def empty_postgres() -> Iterator:
    if not POSTGRES_URL:
        if os.environ.get("CI") == "true" and not os.environ.get("CBPAR_SQLITE_PASS"):
            pytest.fail("CBPAR_TEST_DATABASE_URL must be set under CI")
        pytest.skip("PostgreSQL not configured: set CBPAR_TEST_DATABASE_URL to run this")
    name = f"cbpar_migrate_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(POSTGRES_URL).set(database=name).render_as_string(False))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def test_there_is_exactly_one_head():
    assert len(migrate.heads()) == 1


def test_upgrade_from_empty_sqlite_matches_the_models(empty_sqlite):
    assert migrate.is_empty(empty_sqlite)
    migrate.upgrade(empty_sqlite)
    assert migrate.current(empty_sqlite) == migrate.heads()[0]
    assert _diff(empty_sqlite) == []


def test_upgrade_from_empty_postgresql_matches_the_models(empty_postgres):
    migrate.upgrade(empty_postgres)
    assert migrate.current(empty_postgres) == migrate.heads()[0]
    assert _diff(empty_postgres) == []


def test_downgrade_to_base_and_back(empty_sqlite):
    migrate.upgrade(empty_sqlite)
    migrate.downgrade(empty_sqlite, "base")
    assert set(inspect(empty_sqlite).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(empty_sqlite)
    assert _diff(empty_sqlite) == []


def test_upgrading_keeps_existing_rows(empty_sqlite):
    """Rows written at the first revision are still there, children included, at head."""
    migrate.upgrade(empty_sqlite, "0001")
    with empty_sqlite.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO project (id, slug, name, region, description, timezone,"
                " map_center_lat, map_center_lon, map_zoom, is_demo, updated_at, created_at)"
                " VALUES (1, 'p', 'P', '', '', 'Asia/Shanghai', 0, 0, 10, 0, '2026-01-01',"
                " '2026-01-01')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO village (id, project_id, name, code, created_at)"
                " VALUES (1, 1, 'V', 'V', '2026-01-01')"
            )
        )
    migrate.upgrade(empty_sqlite)
    with empty_sqlite.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM village")).scalar() == 1
        assert connection.execute(text("SELECT count(*) FROM project")).scalar() == 1


def test_version_counters_are_added_to_existing_rows(empty_sqlite):
    """0009 adds NOT NULL version columns: rows already there get 1 and stay."""
    migrate.upgrade(empty_sqlite, "0008")
    with empty_sqlite.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO project (id, slug, name, region, description, timezone,"
                " map_center_lat, map_center_lon, map_zoom, is_demo, updated_at, created_at)"
                " VALUES (1, 'p', 'P', '', '', 'Asia/Shanghai', 0, 0, 10, 0, '2026-01-01',"
                " '2026-01-01')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO meeting (id, project_id, kind, title, starts_at, place, agenda,"
                " status, created_at, updated_at) VALUES (1, 1, 'community', 'M',"
                " '2026-01-01 02:00:00', '', 'Agenda kept', 'planned', '2026-01-01',"
                " '2026-01-01')"
            )
        )
    migrate.upgrade(empty_sqlite)
    with empty_sqlite.connect() as connection:
        row = connection.execute(text("SELECT agenda, version FROM meeting")).one()
    assert tuple(row) == ("Agenda kept", 1)
