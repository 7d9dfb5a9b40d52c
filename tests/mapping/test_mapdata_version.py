"""The map data version's triggers, as the migrations leave them at head (SQLite; PostgreSQL
too when CBPAR_TEST_DATABASE_URL is set): a later migration that rebuilds household, facility
or village in batch mode drops their triggers, and this test says so."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from cbpar import migrate
from cbpar.db import make_engine

POSTGRES_URL = os.environ.get("CBPAR_TEST_DATABASE_URL", "")

PROJECT = (
    "INSERT INTO project (id, slug, name, region, description, timezone, map_center_lat,"
    " map_center_lon, map_zoom, is_demo, updated_at, created_at) VALUES (:id, :slug, 'P', '',"
    " '', 'Asia/Shanghai', 0, 0, 10, false, '2026-01-01', '2026-01-01')"
)
VILLAGE = (
    "INSERT INTO village (id, project_id, name, code, aliases, created_at)"
    " VALUES (:id, :project, 'V', 'V', '', '2026-01-01')"
)


def _version(connection, project: int):
    query = text("SELECT version FROM map_data_version WHERE project = :p")
    return connection.execute(query, {"p": project}).scalar()


def _check(engine) -> None:
    migrate.upgrade(engine, "0018")
    with engine.begin() as connection:  # a project from before the map data version
        connection.execute(text(PROJECT), {"id": 1, "slug": "old"})
    migrate.upgrade(engine)
    with engine.begin() as connection:
        assert _version(connection, 1) is not None, "the migration gave old projects a row"
        connection.execute(text(PROJECT), {"id": 2, "slug": "new"})
        first = _version(connection, 2)
        assert first is not None, "a new project has no map data version"
    with engine.begin() as connection:
        connection.execute(text(VILLAGE), {"id": 1, "project": 2})
    with engine.begin() as connection:
        after_insert = _version(connection, 2)
        assert after_insert != first
        connection.execute(text("UPDATE village SET name = 'W' WHERE id = 1"))
    with engine.begin() as connection:
        after_update = _version(connection, 2)
        assert after_update != after_insert
        assert _version(connection, 1) is not None
        connection.execute(text("DELETE FROM village WHERE id = 1"))
    with engine.begin() as connection:
        assert _version(connection, 2) != after_update
        connection.execute(text("DELETE FROM project WHERE id = 2"))
        assert _version(connection, 2) is None


def test_sqlite_head_keeps_the_version_with_triggers(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'migrate.sqlite3'}")
    try:
        _check(engine)
    finally:
        engine.dispose()


def test_postgresql_head_keeps_the_version_with_triggers():
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not configured: set CBPAR_TEST_DATABASE_URL to run this")
    name = f"cbpar_mapdata_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(POSTGRES_URL).set(database=name).render_as_string(False))
    try:
        _check(engine)
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
