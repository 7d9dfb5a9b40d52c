"""Migration 0010: open links made before it can no longer set a password they should not."""

from __future__ import annotations

from sqlalchemy import text

from cbpar import migrate
from cbpar.db import make_engine

NOW = "'2026-11-01 00:00:00'"
LATER = "'2099-01-01 00:00:00'"


def test_old_open_links_are_closed_or_bound_to_their_only_project(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    try:
        migrate.upgrade(engine, "0009")
        with engine.begin() as connection:
            run = connection.execute
            for pid, slug in ((1, "pa"), (2, "pb")):
                run(
                    text(
                        "INSERT INTO project (id, slug, name, region, description, timezone,"
                        " map_center_lat, map_center_lon, map_zoom, is_demo, updated_at,"
                        f" created_at) VALUES ({pid}, '{slug}', 'P', '', '', 'Asia/Shanghai',"
                        f" 0, 0, 10, 0, {NOW}, {NOW})"
                    )
                )
            users = (
                (1, "admin", "hash"),  # has a password: the take-over path
                (2, "pending", ""),  # no password, member of one project
                (3, "twice", ""),  # no password, member of two projects
            )
            for uid, name, password_hash in users:
                run(
                    text(
                        'INSERT INTO "user" (id, username, display_name, password_hash,'
                        " is_admin, active, session_version, created_at)"
                        f" VALUES ({uid}, '{name}', 'Name {uid}', '{password_hash}',"
                        f" {int(uid == 1)}, 1, 1, {NOW})"
                    )
                )
            for mid, uid, pid, role in ((1, 1, 2, "observer"), (2, 2, 1, "committee"),
                                        (3, 3, 1, "observer"), (4, 3, 2, "observer")):  # fmt: skip
                run(
                    text(
                        "INSERT INTO membership (id, project_id, user_id, role, created_at)"
                        f" VALUES ({mid}, {pid}, {uid}, '{role}', {NOW})"
                    )
                )
            for iid in (1, 2, 3):
                run(
                    text(
                        "INSERT INTO invitation (id, user_id, token_hash, expires_at, created_at)"
                        f" VALUES ({iid}, {iid}, 'h{iid}', {LATER}, {NOW})"
                    )
                )
        migrate.upgrade(engine)
        with engine.connect() as connection:
            rows = {
                row.id: row
                for row in connection.execute(
                    text(
                        "SELECT id, username, display_name, project_id, role, used_at"
                        " FROM invitation"
                    )
                )
            }
        assert rows[1].used_at is not None  # the administrator's link no longer works
        assert (rows[2].used_at, rows[2].project_id, rows[2].role) == (None, 1, "committee")
        assert (rows[2].username, rows[2].display_name) == ("pending", "Name 2")
        assert rows[3].used_at is not None  # which project? unknown: closed
        migrate.downgrade(engine, "0009")
    finally:
        engine.dispose()
