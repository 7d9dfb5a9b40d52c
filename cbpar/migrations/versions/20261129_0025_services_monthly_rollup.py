"""services: monthly roll-up of attendance and contacts, kept by triggers

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-29 16:30:00

A table `service_reach_month` (per project, month and child: attendance rows, those present,
contacts), the triggers on contact_log, session_attendance and programme_session that keep it,
and its rows built from the data already there; an index on session_attendance (session,
status, child) for the days at a period's ends. A whole year's services figures read it
instead of every attendance and contact row (cbpar/care/figures.py).

The triggers' DDL is copied here as it is today (cbpar/care/rollup.py holds the current text),
so this revision keeps meaning what it meant.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE = [
    (
        "CREATE TRIGGER IF NOT EXISTS contact_log_reach_insert AFTER INSERT ON contact_log BEGIN IN"
        "SERT INTO service_reach_month (project, month, child, present, listed, contacts) SELECT NE"
        'W.project_id, substr(NEW."on", 1, 7), NEW.child_id, 0, 0, 1 WHERE true ON CONFLICT (projec'
        "t, month, child) DO UPDATE SET present = present + excluded.present, listed = listed + exc"
        "luded.listed, contacts = contacts + excluded.contacts; END"
    ),
    (
        "CREATE TRIGGER IF NOT EXISTS contact_log_reach_delete AFTER DELETE ON contact_log BEGIN UP"
        "DATE service_reach_month SET contacts = contacts - 1 WHERE project = OLD.project_id AND mo"
        'nth = substr(OLD."on", 1, 7) AND child = OLD.child_id; DELETE FROM service_reach_month WHE'
        "RE project = OLD.project_id AND child = OLD.child_id AND present = 0 AND listed = 0 AND co"
        "ntacts = 0; END"
    ),
    (
        'CREATE TRIGGER IF NOT EXISTS contact_log_reach_update AFTER UPDATE OF "on", child_id, proj'
        "ect_id ON contact_log BEGIN UPDATE service_reach_month SET contacts = contacts - 1 WHERE p"
        'roject = OLD.project_id AND month = substr(OLD."on", 1, 7) AND child = OLD.child_id; DELET'
        "E FROM service_reach_month WHERE project = OLD.project_id AND child = OLD.child_id AND pre"
        "sent = 0 AND listed = 0 AND contacts = 0; INSERT INTO service_reach_month (project, month,"
        ' child, present, listed, contacts) SELECT NEW.project_id, substr(NEW."on", 1, 7), NEW.chil'
        "d_id, 0, 0, 1 WHERE true ON CONFLICT (project, month, child) DO UPDATE SET present = prese"
        "nt + excluded.present, listed = listed + excluded.listed, contacts = contacts + excluded.c"
        "ontacts; END"
    ),
    (
        "CREATE TRIGGER IF NOT EXISTS session_attendance_reach_insert AFTER INSERT ON session_atten"
        "dance BEGIN INSERT INTO service_reach_month (project, month, child, present, listed, conta"
        "cts) SELECT s.project_id, substr(s.starts_at, 1, 7), NEW.child_id, (NEW.status = 'present'"
        "), 1, 0 FROM programme_session s WHERE s.id = NEW.session_id ON CONFLICT (project, month, "
        "child) DO UPDATE SET present = present + excluded.present, listed = listed + excluded.list"
        "ed, contacts = contacts + excluded.contacts; END"
    ),
    (
        "CREATE TRIGGER IF NOT EXISTS session_attendance_reach_delete AFTER DELETE ON session_atten"
        "dance BEGIN UPDATE service_reach_month SET present = present - (OLD.status = 'present'), l"
        "isted = listed - 1 WHERE child = OLD.child_id AND (project, month) IN (SELECT s.project_id"
        ", substr(s.starts_at, 1, 7) FROM programme_session s WHERE s.id = OLD.session_id); DELETE "
        "FROM service_reach_month WHERE child = OLD.child_id AND present = 0 AND listed = 0 AND con"
        "tacts = 0; END"
    ),
    (
        "CREATE TRIGGER IF NOT EXISTS session_attendance_reach_update AFTER UPDATE OF status, child"
        "_id, session_id ON session_attendance BEGIN UPDATE service_reach_month SET present = prese"
        "nt - (OLD.status = 'present'), listed = listed - 1 WHERE child = OLD.child_id AND (project"
        ", month) IN (SELECT s.project_id, substr(s.starts_at, 1, 7) FROM programme_session s WHERE"
        " s.id = OLD.session_id); DELETE FROM service_reach_month WHERE child = OLD.child_id AND pr"
        "esent = 0 AND listed = 0 AND contacts = 0; INSERT INTO service_reach_month (project, month"
        ", child, present, listed, contacts) SELECT s.project_id, substr(s.starts_at, 1, 7), NEW.ch"
        "ild_id, (NEW.status = 'present'), 1, 0 FROM programme_session s WHERE s.id = NEW.session_i"
        "d ON CONFLICT (project, month, child) DO UPDATE SET present = present + excluded.present, "
        "listed = listed + excluded.listed, contacts = contacts + excluded.contacts; END"
    ),
    (
        "CREATE TRIGGER IF NOT EXISTS programme_session_reach_delete BEFORE DELETE ON programme_ses"
        "sion BEGIN UPDATE service_reach_month SET present = present - (SELECT count(*) FROM sessio"
        "n_attendance a WHERE a.session_id = OLD.id AND a.child_id = service_reach_month.child AND "
        "a.status = 'present'), listed = listed - (SELECT count(*) FROM session_attendance a WHERE "
        "a.session_id = OLD.id AND a.child_id = service_reach_month.child) WHERE project = OLD.proj"
        "ect_id AND month = substr(OLD.starts_at, 1, 7) AND child IN (SELECT child_id FROM session_"
        "attendance WHERE session_id = OLD.id); DELETE FROM service_reach_month WHERE project = OLD"
        ".project_id AND month = substr(OLD.starts_at, 1, 7) AND present = 0 AND listed = 0 AND con"
        "tacts = 0; END"
    ),
    (
        "CREATE TRIGGER IF NOT EXISTS programme_session_reach_update AFTER UPDATE OF starts_at, pro"
        "ject_id ON programme_session FOR EACH ROW WHEN substr(OLD.starts_at, 1, 7) IS NOT substr(N"
        "EW.starts_at, 1, 7) OR OLD.project_id IS NOT NEW.project_id BEGIN UPDATE service_reach_mon"
        "th SET present = present - (SELECT count(*) FROM session_attendance a WHERE a.session_id ="
        " OLD.id AND a.child_id = service_reach_month.child AND a.status = 'present'), listed = lis"
        "ted - (SELECT count(*) FROM session_attendance a WHERE a.session_id = OLD.id AND a.child_i"
        "d = service_reach_month.child) WHERE project = OLD.project_id AND month = substr(OLD.start"
        "s_at, 1, 7) AND child IN (SELECT child_id FROM session_attendance WHERE session_id = OLD.i"
        "d); DELETE FROM service_reach_month WHERE project = OLD.project_id AND month = substr(OLD."
        "starts_at, 1, 7) AND present = 0 AND listed = 0 AND contacts = 0; INSERT INTO service_reac"
        "h_month (project, month, child, present, listed, contacts) SELECT NEW.project_id, substr(N"
        "EW.starts_at, 1, 7), a.child_id, (a.status = 'present'), 1, 0 FROM session_attendance a WH"
        "ERE a.session_id = NEW.id ON CONFLICT (project, month, child) DO UPDATE SET present = pres"
        "ent + excluded.present, listed = listed + excluded.listed, contacts = contacts + excluded."
        "contacts; END"
    ),
]

POSTGRESQL = [
    """CREATE OR REPLACE FUNCTION cbpar_reach_add(
    p integer, m text, c integer, pr integer, li integer, co integer
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF pr = 0 AND li = 0 AND co = 0 THEN RETURN; END IF;
    INSERT INTO service_reach_month AS r (project, month, child, present, listed, contacts)
    VALUES (p, m, c, pr, li, co)
    ON CONFLICT (project, month, child) DO UPDATE SET present = r.present + pr,
        listed = r.listed + li, contacts = r.contacts + co;
    IF pr < 0 OR li < 0 OR co < 0 THEN
        DELETE FROM service_reach_month WHERE project = p AND month = m AND child = c
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
""",
    (
        'CREATE OR REPLACE TRIGGER contact_log_reach AFTER INSERT OR DELETE OR UPDATE OF "on", chil'
        "d_id, project_id ON contact_log FOR EACH ROW EXECUTE FUNCTION cbpar_reach_contact()"
    ),
    (
        "CREATE OR REPLACE TRIGGER session_attendance_reach AFTER INSERT OR DELETE OR UPDATE OF sta"
        "tus, child_id, session_id ON session_attendance FOR EACH ROW EXECUTE FUNCTION cbpar_reach_"
        "attendance()"
    ),
    (
        "CREATE OR REPLACE TRIGGER programme_session_reach_delete BEFORE DELETE ON programme_sessio"
        "n FOR EACH ROW EXECUTE FUNCTION cbpar_reach_session()"
    ),
    (
        "CREATE OR REPLACE TRIGGER programme_session_reach_update AFTER UPDATE OF starts_at, projec"
        "t_id ON programme_session FOR EACH ROW EXECUTE FUNCTION cbpar_reach_session()"
    ),
]

SQLITE_TRIGGERS = [
    "contact_log_reach_insert", "contact_log_reach_delete", "contact_log_reach_update",
    "session_attendance_reach_insert", "session_attendance_reach_delete",
    "session_attendance_reach_update", "programme_session_reach_delete",
    "programme_session_reach_update",
]  # fmt: skip
POSTGRESQL_TRIGGERS = [
    ("contact_log_reach", "contact_log"),
    ("session_attendance_reach", "session_attendance"),
    ("programme_session_reach_delete", "programme_session"),
    ("programme_session_reach_update", "programme_session"),
]


def _rebuild(postgresql: bool) -> str:
    if postgresql:
        c_month = "to_char(\"on\", 'YYYY-MM')"
        s_month = "to_char(s.starts_at AT TIME ZONE 'UTC', 'YYYY-MM')"
        present = "(a.status = 'present')::int"
    else:
        c_month = 'substr("on", 1, 7)'
        s_month = "substr(s.starts_at, 1, 7)"
        present = "(a.status = 'present')"
    return (
        "INSERT INTO service_reach_month (project, month, child, present, listed, contacts) "
        "SELECT project, month, child, sum(present), sum(listed), sum(contacts) FROM ("
        f"SELECT s.project_id AS project, {s_month} AS month, a.child_id AS child, "
        f"{present} AS present, 1 AS listed, 0 AS contacts FROM session_attendance a "
        "JOIN programme_session s ON s.id = a.session_id "
        f"UNION ALL SELECT project_id, {c_month}, child_id, 0, 0, 1 FROM contact_log"
        ") AS parts GROUP BY project, month, child"
    )


def upgrade() -> None:
    op.create_table(
        "service_reach_month",
        sa.Column("project", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("child", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("present", sa.Integer(), nullable=False),
        sa.Column("listed", sa.Integer(), nullable=False),
        sa.Column("contacts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("project", "month", "child", name=op.f("pk_service_reach_month")),
    )
    op.create_index(
        "ix_session_attendance_session_id_status",
        "session_attendance",
        ["session_id", "status", "child_id"],
    )
    connection = op.get_bind()
    postgresql = connection.dialect.name == "postgresql"
    for statement in POSTGRESQL if postgresql else SQLITE:
        connection.exec_driver_sql(statement)
    connection.exec_driver_sql(_rebuild(postgresql))


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        for name, table in POSTGRESQL_TRIGGERS:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for function in ("contact", "attendance", "session"):
            connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS cbpar_reach_{function}()")
        connection.exec_driver_sql(
            "DROP FUNCTION IF EXISTS cbpar_reach_add(integer, text, integer, integer, integer, "
            "integer)"
        )
    else:
        for name in SQLITE_TRIGGERS:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("service_reach_month")
    op.drop_index("ix_session_attendance_session_id_status", table_name="session_attendance")
