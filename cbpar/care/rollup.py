"""Monthly roll-up of services: per project, month and child, how many attendance rows (and how
many of them "present") and how many contacts, kept by database triggers.

A whole year's figures (children reached per month and per village, the attendance rate) read
this table for the months that lie wholly inside the period and the base tables only for the
days at its two ends (cbpar/care/figures.py), instead of every attendance and contact row of
the year. Triggers, not Python hooks, keep it, as for the map data version
(cbpar/mapping/data_version.py): they fire for ORM flushes, Core `insert()` executemany (the
demo, the bench), archive import, erasure, cascades and raw SQL alike.

Months are those of the contact's date and of the session's start in UTC, as the figures count
them. A row whose three counts fall to 0 is deleted.

Deliberately no `project_id` column and no foreign key: project archives carry every table
that has one or that points at a project's rows (cbpar/transfer/archive.py), and these rows
are derived; the triggers rebuild them as the archive's own rows are imported.

Careful with later migrations: on SQLite, `batch_alter_table` on contact_log,
session_attendance or programme_session rebuilds the table and drops its triggers; call
`create_triggers` again in that migration.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from cbpar.db import Base

TABLE = "service_reach_month"


class ServiceReachMonth(Base):
    """One child's services in one month (rows are written by triggers only)."""

    __tablename__ = TABLE

    project: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    child: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    present: Mapped[int] = mapped_column(Integer, default=0)  # attendance rows "present"
    listed: Mapped[int] = mapped_column(Integer, default=0)  # attendance rows, any status
    contacts: Mapped[int] = mapped_column(Integer, default=0)


# --- SQLite ------------------------------------------------------------------------------------

_S_CONTACT = 'substr({row}."on", 1, 7)'
_S_SESSION = "substr({row}.starts_at, 1, 7)"
_S_ADD = (
    f"INSERT INTO {TABLE} (project, month, child, present, listed, contacts) {{select}} "
    "ON CONFLICT (project, month, child) DO UPDATE SET present = present + excluded.present, "
    "listed = listed + excluded.listed, contacts = contacts + excluded.contacts;"
)
_S_CLEAN = (
    f"DELETE FROM {TABLE} WHERE project = {{project}} AND child = {{child}} "
    "AND present = 0 AND listed = 0 AND contacts = 0;"
)


def _s_contact(row: str, sign: str) -> str:
    month = _S_CONTACT.format(row=row)
    if sign == "+":
        values = f"SELECT {row}.project_id, {month}, {row}.child_id, 0, 0, 1 WHERE true"
        return _S_ADD.format(select=values)
    return (
        f"UPDATE {TABLE} SET contacts = contacts - 1 WHERE project = {row}.project_id "
        f"AND month = {month} AND child = {row}.child_id; "
        + _S_CLEAN.format(project=f"{row}.project_id", child=f"{row}.child_id")
    )


def _s_attendance(row: str, sign: str) -> str:
    """One attendance row added (+) or taken away (-), through its session's month."""
    present = f"({row}.status = 'present')"
    session = f"SELECT s.project_id, {_S_SESSION.format(row='s')} FROM programme_session s"
    if sign == "+":
        values = (
            f"SELECT s.project_id, {_S_SESSION.format(row='s')}, {row}.child_id, {present}, 1, 0 "
            f"FROM programme_session s WHERE s.id = {row}.session_id"
        )
        return _S_ADD.format(select=values)
    # A session already deleted (a cascade) took its attendance away itself (_s_session_gone).
    return (
        f"UPDATE {TABLE} SET present = present - {present}, listed = listed - 1 "
        f"WHERE child = {row}.child_id AND (project, month) IN "
        f"({session} WHERE s.id = {row}.session_id); "
        f"DELETE FROM {TABLE} WHERE child = {row}.child_id "
        "AND present = 0 AND listed = 0 AND contacts = 0;"
    )


def _s_session(row: str, sign: str) -> str:
    """All attendance of a session added to (+) or taken from (-) its month."""
    month = _S_SESSION.format(row=row)
    if sign == "+":
        values = (
            f"SELECT {row}.project_id, {month}, a.child_id, (a.status = 'present'), 1, 0 "
            f"FROM session_attendance a WHERE a.session_id = {row}.id"
        )
        return _S_ADD.format(select=values)
    return (
        f"UPDATE {TABLE} SET "
        "present = present - (SELECT count(*) FROM session_attendance a "
        f"WHERE a.session_id = {row}.id AND a.child_id = {TABLE}.child "
        "AND a.status = 'present'), "
        "listed = listed - (SELECT count(*) FROM session_attendance a "
        f"WHERE a.session_id = {row}.id AND a.child_id = {TABLE}.child) "
        f"WHERE project = {row}.project_id AND month = {month} "
        f"AND child IN (SELECT child_id FROM session_attendance WHERE session_id = {row}.id); "
        f"DELETE FROM {TABLE} WHERE project = {row}.project_id AND month = {month} "
        "AND present = 0 AND listed = 0 AND contacts = 0;"
    )


def _sqlite_ddl() -> list[str]:
    def trigger(name: str, when: str, body: str) -> str:
        return f"CREATE TRIGGER IF NOT EXISTS {name} {when} BEGIN {body} END"

    moved = (
        "WHEN substr(OLD.starts_at, 1, 7) IS NOT substr(NEW.starts_at, 1, 7) "
        "OR OLD.project_id IS NOT NEW.project_id"
    )
    return [
        trigger("contact_log_reach_insert", "AFTER INSERT ON contact_log", _s_contact("NEW", "+")),
        trigger("contact_log_reach_delete", "AFTER DELETE ON contact_log", _s_contact("OLD", "-")),
        trigger(
            "contact_log_reach_update",
            'AFTER UPDATE OF "on", child_id, project_id ON contact_log',
            _s_contact("OLD", "-") + " " + _s_contact("NEW", "+"),
        ),
        trigger(
            "session_attendance_reach_insert",
            "AFTER INSERT ON session_attendance",
            _s_attendance("NEW", "+"),
        ),
        trigger(
            "session_attendance_reach_delete",
            "AFTER DELETE ON session_attendance",
            _s_attendance("OLD", "-"),
        ),
        trigger(
            "session_attendance_reach_update",
            "AFTER UPDATE OF status, child_id, session_id ON session_attendance",
            _s_attendance("OLD", "-") + " " + _s_attendance("NEW", "+"),
        ),
        # Before the row goes: its attendance rows still find it (a cascade deletes them after).
        trigger(
            "programme_session_reach_delete",
            "BEFORE DELETE ON programme_session",
            _s_session("OLD", "-"),
        ),
        trigger(
            "programme_session_reach_update",
            f"AFTER UPDATE OF starts_at, project_id ON programme_session FOR EACH ROW {moved}",
            _s_session("OLD", "-") + " " + _s_session("NEW", "+"),
        ),
    ]


# --- PostgreSQL --------------------------------------------------------------------------------

_P_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION cbpar_reach_add(
    p integer, m text, c integer, pr integer, li integer, co integer
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF pr = 0 AND li = 0 AND co = 0 THEN RETURN; END IF;
    INSERT INTO {TABLE} AS r (project, month, child, present, listed, contacts)
    VALUES (p, m, c, pr, li, co)
    ON CONFLICT (project, month, child) DO UPDATE SET present = r.present + pr,
        listed = r.listed + li, contacts = r.contacts + co;
    IF pr < 0 OR li < 0 OR co < 0 THEN
        DELETE FROM {TABLE} WHERE project = p AND month = m AND child = c
            AND present = 0 AND listed = 0 AND contacts = 0;
    END IF;
END $$;

CREATE OR REPLACE FUNCTION cbpar_reach_contact() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM cbpar_reach_add(OLD.project_id, to_char(OLD."on", 'YYYY-MM'), OLD.child_id,
                                0, 0, -1);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM cbpar_reach_add(NEW.project_id, to_char(NEW."on", 'YYYY-MM'), NEW.child_id,
                                0, 0, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION cbpar_reach_attendance() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE s record;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        -- A session already deleted (a cascade) took its attendance away itself.
        SELECT project_id, to_char(starts_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month INTO s
            FROM programme_session WHERE id = OLD.session_id;
        IF FOUND THEN
            PERFORM cbpar_reach_add(s.project_id, s.month, OLD.child_id,
                                    -(OLD.status = 'present')::int, -1, 0);
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        SELECT project_id, to_char(starts_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month INTO s
            FROM programme_session WHERE id = NEW.session_id;
        IF FOUND THEN
            PERFORM cbpar_reach_add(s.project_id, s.month, NEW.child_id,
                                    (NEW.status = 'present')::int, 1, 0);
        END IF;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION cbpar_reach_session() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE a record;
BEGIN
    IF TG_OP = 'UPDATE' AND to_char(OLD.starts_at AT TIME ZONE 'UTC', 'YYYY-MM')
            = to_char(NEW.starts_at AT TIME ZONE 'UTC', 'YYYY-MM')
            AND OLD.project_id = NEW.project_id THEN
        RETURN NULL;
    END IF;
    FOR a IN SELECT child_id, status FROM session_attendance WHERE session_id = OLD.id LOOP
        PERFORM cbpar_reach_add(OLD.project_id, to_char(OLD.starts_at AT TIME ZONE 'UTC',
                                'YYYY-MM'), a.child_id, -(a.status = 'present')::int, -1, 0);
        IF TG_OP = 'UPDATE' THEN
            PERFORM cbpar_reach_add(NEW.project_id, to_char(NEW.starts_at AT TIME ZONE 'UTC',
                                    'YYYY-MM'), a.child_id, (a.status = 'present')::int, 1, 0);
        END IF;
    END LOOP;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NULL;
END $$;
"""


def _postgresql_ddl() -> list[str]:
    return [
        _P_FUNCTIONS,
        "CREATE OR REPLACE TRIGGER contact_log_reach AFTER INSERT OR DELETE "
        'OR UPDATE OF "on", child_id, project_id ON contact_log '
        "FOR EACH ROW EXECUTE FUNCTION cbpar_reach_contact()",
        "CREATE OR REPLACE TRIGGER session_attendance_reach AFTER INSERT OR DELETE "
        "OR UPDATE OF status, child_id, session_id ON session_attendance "
        "FOR EACH ROW EXECUTE FUNCTION cbpar_reach_attendance()",
        # Before the row goes: its attendance rows still find it (a cascade deletes them after).
        "CREATE OR REPLACE TRIGGER programme_session_reach_delete BEFORE DELETE "
        "ON programme_session FOR EACH ROW EXECUTE FUNCTION cbpar_reach_session()",
        "CREATE OR REPLACE TRIGGER programme_session_reach_update AFTER UPDATE "
        "OF starts_at, project_id ON programme_session "
        "FOR EACH ROW EXECUTE FUNCTION cbpar_reach_session()",
    ]


def trigger_statements(dialect: str) -> list[str]:
    return _postgresql_ddl() if dialect == "postgresql" else _sqlite_ddl()


def create_triggers(connection: Connection) -> None:
    for statement in trigger_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)


def drop_triggers(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        for name, table in (
            ("contact_log_reach", "contact_log"),
            ("session_attendance_reach", "session_attendance"),
            ("programme_session_reach_delete", "programme_session"),
            ("programme_session_reach_update", "programme_session"),
        ):
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for function in ("contact", "attendance", "session"):
            connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS cbpar_reach_{function}()")
        connection.exec_driver_sql(
            "DROP FUNCTION IF EXISTS cbpar_reach_add(integer, text, integer, integer, integer, "
            "integer)"
        )
        return
    for table, ops in (
        ("contact_log", ("insert", "delete", "update")),
        ("session_attendance", ("insert", "delete", "update")),
        ("programme_session", ("delete", "update")),
    ):
        for op in ops:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_reach_{op}")


def rebuild(connection: Connection) -> None:
    """The roll-up made again from the base tables (the migration; a repair)."""
    if connection.dialect.name == "postgresql":
        c_month = "to_char(\"on\", 'YYYY-MM')"
        s_month = "to_char(s.starts_at AT TIME ZONE 'UTC', 'YYYY-MM')"
        present = "(a.status = 'present')::int"
    else:
        c_month = 'substr("on", 1, 7)'
        s_month = "substr(s.starts_at, 1, 7)"
        present = "(a.status = 'present')"
    connection.exec_driver_sql(f"DELETE FROM {TABLE}")
    connection.exec_driver_sql(
        f"INSERT INTO {TABLE} (project, month, child, present, listed, contacts) "
        "SELECT project, month, child, sum(present), sum(listed), sum(contacts) FROM ("
        f"SELECT s.project_id AS project, {s_month} AS month, a.child_id AS child, "
        f"{present} AS present, 1 AS listed, 0 AS contacts FROM session_attendance a "
        "JOIN programme_session s ON s.id = a.session_id "
        f"UNION ALL SELECT project_id, {c_month}, child_id, 0, 0, 1 FROM contact_log"
        ") AS parts GROUP BY project, month, child"
    )


@event.listens_for(Base.metadata, "after_create")
def _after_create(_metadata: Any, connection: Connection, **_kw: Any) -> None:
    # Schemas made by create_all (tests, benchmarks) get the triggers migration 0025 adds.
    if connection.dialect.has_table(connection, TABLE):
        create_triggers(connection)
