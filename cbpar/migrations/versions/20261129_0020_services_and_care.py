"""services and care: children, contacts, programmes, sessions, volunteers and diaries

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-29 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cbpar.db import UTCDateTime

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=24)


def upgrade() -> None:
    op.create_table(
        "child",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("birth_year", sa.Integer(), nullable=False),
        sa.Column("birth_month", sa.Integer(), nullable=True),
        sa.Column("sex", _enum("childsex", "girl", "boy"), nullable=False),
        sa.Column("school", sa.String(length=200), nullable=False),
        sa.Column("grade", sa.String(length=40), nullable=False),
        sa.Column(
            "parents_away",
            _enum("migrantparents", "none", "father", "mother", "both"),
            nullable=False,
        ),
        sa.Column("away_since", sa.Date(), nullable=True),
        sa.Column(
            "home_visits",
            _enum(
                "homevisits",
                "unknown",
                "weekly",
                "monthly",
                "few_times_a_year",
                "spring_festival",
                "rarely",
                "not_away",
            ),
            nullable=False,
        ),
        sa.Column(
            "caregiver",
            _enum("caregiver", "parents", "grandparents", "other_relatives", "other"),
            nullable=False,
        ),
        sa.Column("session_name", sa.String(length=80), nullable=False),
        sa.Column("consent_on", sa.Date(), nullable=True),
        sa.Column("consent_given_by", sa.String(length=120), nullable=False),
        sa.Column("assent_on", sa.Date(), nullable=True),
        sa.Column("withdrawn_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by_id", sa.Integer(), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_child_household_id_household"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_child_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by_id"],
            ["user.id"],
            name=op.f("fk_child_withdrawn_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_child")),
        sa.UniqueConstraint("project_id", "code", name=op.f("uq_child_project_id_code")),
    )
    op.create_index(
        "ix_child_household_id_number", "child", ["household_id", "number"], unique=True
    )
    op.create_table(
        "contact_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            _enum("contactkind", "video_call", "phone_call", "home_visit", "teacher_visit", "talk"),
            nullable=False,
        ),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("with_whom", sa.String(length=120), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("issues", sa.String(length=300), nullable=False),
        sa.Column("follow_up_on", sa.Date(), nullable=True),
        sa.Column("follow_up_done_on", sa.Date(), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_id"], ["user.id"], name=op.f("fk_contact_log_by_id_user"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["child.id"],
            name=op.f("fk_contact_log_child_id_child"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_contact_log_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_log")),
    )
    op.create_index("ix_contact_log_child_id_kind_on", "contact_log", ["child_id", "kind", "on"])
    op.create_index("ix_contact_log_project_id_on", "contact_log", ["project_id", "on", "child_id"])
    op.create_index(
        "ix_contact_log_open_follow_ups",
        "contact_log",
        ["project_id", "follow_up_done_on", "follow_up_on"],
    )

    op.create_table(
        "programme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            _enum(
                "programmekind",
                "after_school",
                "parenting",
                "peer_support",
                "casework",
                "family_calls",
                "home_visits",
                "activity",
            ),
            nullable=False,
        ),
        sa.Column("village_id", sa.Integer(), nullable=True),
        sa.Column("facility_id", sa.Integer(), nullable=True),
        sa.Column("initiative_id", sa.Integer(), nullable=True),
        sa.Column("schedule", sa.String(length=200), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["facility.id"],
            name=op.f("fk_programme_facility_id_facility"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["initiative_id"],
            ["initiative.id"],
            name=op.f("fk_programme_initiative_id_initiative"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_programme_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["village_id"],
            ["village.id"],
            name=op.f("fk_programme_village_id_village"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme")),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_programme_project_id_name")),
    )
    op.create_table(
        "contact_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            _enum("targetkind", "family_call", "home_visit", "teacher_visit", "talk"),
            nullable=False,
        ),
        sa.Column("every_days", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_contact_target_programme_id_programme"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_target")),
        sa.UniqueConstraint(
            "programme_id", "kind", name=op.f("uq_contact_target_programme_id_kind")
        ),
    )
    op.create_table(
        "enrolment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"], ["child.id"], name=op.f("fk_enrolment_child_id_child"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_enrolment_programme_id_programme"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_enrolment_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolment")),
    )
    op.create_index("ix_enrolment_child_id", "enrolment", ["child_id"])
    op.create_index(
        "ix_enrolment_project_id_programme_id", "enrolment", ["project_id", "programme_id"]
    )
    op.create_table(
        "programme_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("facilitators", sa.String(length=200), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("materials", sa.String(length=300), nullable=False),
        sa.Column("guardians", sa.Integer(), nullable=False),
        sa.Column("sheet_number", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_programme_session_created_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_programme_session_programme_id_programme"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_programme_session_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_session")),
        sa.UniqueConstraint(
            "project_id", "sheet_number", name=op.f("uq_programme_session_project_id_sheet_number")
        ),
    )
    op.create_index("ix_programme_session_programme_id", "programme_session", ["programme_id"])
    op.create_index(
        "ix_programme_session_project_id_starts_at",
        "programme_session",
        ["project_id", "starts_at"],
    )
    op.create_table(
        "session_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column(
            "status", _enum("attendancestatus", "present", "absent", "excused"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["child.id"],
            name=op.f("fk_session_attendance_child_id_child"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["programme_session.id"],
            name=op.f("fk_session_attendance_session_id_programme_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_attendance")),
        sa.UniqueConstraint(
            "session_id", "child_id", name=op.f("uq_session_attendance_session_id_child_id")
        ),
    )
    op.create_index("ix_session_attendance_child_id", "session_attendance", ["child_id"])

    op.create_table(
        "volunteer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column(
            "kind",
            _enum("volunteerkind", "volunteer_mother", "student_tutor", "teacher", "other"),
            nullable=False,
        ),
        sa.Column("village_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("active_from", sa.Date(), nullable=True),
        sa.Column("active_to", sa.Date(), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_volunteer_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_volunteer_user_id_user"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["village_id"],
            ["village.id"],
            name=op.f("fk_volunteer_village_id_village"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer")),
        sa.UniqueConstraint(
            "project_id", "display_name", name=op.f("uq_volunteer_project_id_display_name")
        ),
    )
    op.create_table(
        "volunteer_training",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("course", sa.String(length=200), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("hours", sa.Numeric(precision=6, scale=1), nullable=False),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteer.id"],
            name=op.f("fk_volunteer_training_volunteer_id_volunteer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_training")),
    )
    op.create_index(
        op.f("ix_volunteer_training_volunteer_id"), "volunteer_training", ["volunteer_id"]
    )
    op.create_table(
        "session_volunteer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Numeric(precision=5, scale=1), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["programme_session.id"],
            name=op.f("fk_session_volunteer_session_id_programme_session"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteer.id"],
            name=op.f("fk_session_volunteer_volunteer_id_volunteer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_volunteer")),
        sa.UniqueConstraint(
            "session_id", "volunteer_id", name=op.f("uq_session_volunteer_session_id_volunteer_id")
        ),
    )
    op.create_index("ix_session_volunteer_volunteer_id", "session_volunteer", ["volunteer_id"])
    op.create_table(
        "diary_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("services", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Numeric(precision=5, scale=1), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("memo_id", sa.Integer(), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["memo_id"], ["memo.id"], name=op.f("fk_diary_entry_memo_id_memo"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_diary_entry_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["programme_session.id"],
            name=op.f("fk_diary_entry_session_id_programme_session"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteer.id"],
            name=op.f("fk_diary_entry_volunteer_id_volunteer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_diary_entry")),
    )
    op.create_index("ix_diary_entry_project_id_on", "diary_entry", ["project_id", "on"])
    op.create_index("ix_diary_entry_volunteer_id_on", "diary_entry", ["volunteer_id", "on"])


def downgrade() -> None:
    op.drop_table("diary_entry")
    op.drop_table("session_volunteer")
    op.drop_table("volunteer_training")
    op.drop_table("volunteer")
    op.drop_table("session_attendance")
    op.drop_table("programme_session")
    op.drop_table("enrolment")
    op.drop_table("contact_target")
    op.drop_table("programme")
    op.drop_index("ix_contact_log_open_follow_ups", table_name="contact_log")
    op.drop_index("ix_contact_log_project_id_on", table_name="contact_log")
    op.drop_index("ix_contact_log_child_id_kind_on", table_name="contact_log")
    op.drop_table("contact_log")
    op.drop_index("ix_child_household_id_number", table_name="child")
    op.drop_table("child")
