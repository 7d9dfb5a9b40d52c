"""memos, interviews, comments, attachments

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 03:08:07.328039
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cbpar.db

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", cbpar.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_attachment_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["user.id"],
            name=op.f("fk_attachment_uploaded_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_attachment_stored_name")),
    )
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachment_project_id"), ["project_id"], unique=False)
        batch_op.create_index("ix_attachment_target", ["target_type", "target_id"], unique=False)
    op.create_table(
        "comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("edited_at", cbpar.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("hidden_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", cbpar.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user.id"], name=op.f("fk_comment_author_id_user"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["hidden_by_id"],
            ["user.id"],
            name=op.f("fk_comment_hidden_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["comment.id"],
            name=op.f("fk_comment_parent_id_comment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_comment_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment")),
    )
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_comment_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_comment_project_id"), ["project_id"], unique=False)
        batch_op.create_index(
            "ix_comment_target", ["target_type", "target_id", "created_at"], unique=False
        )
    op.create_table(
        "memo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "research_memo",
                "reflection_note",
                "field_note",
                name="memokind",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "visibility",
            sa.Enum(
                "private", "team", "community", name="visibility", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("updated_at", cbpar.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", cbpar.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user.id"], name=op.f("fk_memo_author_id_user"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_memo_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user.id"],
            name=op.f("fk_memo_updated_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memo")),
    )
    with op.batch_alter_table("memo", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_memo_author_id"), ["author_id"], unique=False)
        batch_op.create_index(
            "ix_memo_project_id_updated_at", ["project_id", "updated_at"], unique=False
        )
    op.create_table(
        "tag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_tag_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tag")),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_tag_project_id_name")),
    )
    op.create_table(
        "memo_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("memo_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("editor_id", sa.Integer(), nullable=True),
        sa.Column("saved_at", cbpar.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["editor_id"],
            ["user.id"],
            name=op.f("fk_memo_revision_editor_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["memo_id"], ["memo.id"], name=op.f("fk_memo_revision_memo_id_memo"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memo_revision")),
        sa.UniqueConstraint("memo_id", "number", name=op.f("uq_memo_revision_memo_id_number")),
    )
    op.create_table(
        "memo_tag",
        sa.Column("memo_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["memo_id"], ["memo.id"], name=op.f("fk_memo_tag_memo_id_memo"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tag.id"], name=op.f("fk_memo_tag_tag_id_tag"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("memo_id", "tag_id", name=op.f("pk_memo_tag")),
    )
    with op.batch_alter_table("memo_tag", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_memo_tag_tag_id"), ["tag_id"], unique=False)
    op.create_table(
        "interview",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("key_informant", "family", name="interviewkind", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("interviewer_id", sa.Integer(), nullable=True),
        sa.Column("interviewee_role", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=80), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("involves_minor", sa.Boolean(), nullable=False),
        sa.Column(
            "consent_method",
            sa.Enum("written", "verbal", name="consentmethod", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column(
            "consent_given_by",
            sa.Enum("person", "guardian", name="consentgiver", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column(
            "child_assent",
            sa.Enum(
                "not_applicable",
                "given",
                "refused",
                name="childassent",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("consent_on", sa.Date(), nullable=True),
        sa.Column("covers_notes", sa.Boolean(), nullable=False),
        sa.Column("covers_audio", sa.Boolean(), nullable=False),
        sa.Column("covers_quotes", sa.Boolean(), nullable=False),
        sa.Column("covers_photos", sa.Boolean(), nullable=False),
        sa.Column("withdrawn_at", cbpar.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by_id", sa.Integer(), nullable=True),
        sa.Column("erased_at", cbpar.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", cbpar.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", cbpar.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_interview_household_id_household"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["interviewer_id"],
            ["user.id"],
            name=op.f("fk_interview_interviewer_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_interview_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by_id"],
            ["user.id"],
            name=op.f("fk_interview_withdrawn_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interview")),
    )
    with op.batch_alter_table("interview", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_interview_household_id"), ["household_id"], unique=False
        )
        batch_op.create_index(
            "ix_interview_project_id_held_on", ["project_id", "held_on"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("interview", schema=None) as batch_op:
        batch_op.drop_index("ix_interview_project_id_held_on")
        batch_op.drop_index(batch_op.f("ix_interview_household_id"))
    op.drop_table("interview")
    with op.batch_alter_table("memo_tag", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_memo_tag_tag_id"))
    op.drop_table("memo_tag")
    op.drop_table("memo_revision")
    op.drop_table("tag")
    with op.batch_alter_table("memo", schema=None) as batch_op:
        batch_op.drop_index("ix_memo_project_id_updated_at")
        batch_op.drop_index(batch_op.f("ix_memo_author_id"))
    op.drop_table("memo")
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_index("ix_comment_target")
        batch_op.drop_index(batch_op.f("ix_comment_project_id"))
        batch_op.drop_index(batch_op.f("ix_comment_parent_id"))
    op.drop_table("comment")
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_index("ix_attachment_target")
        batch_op.drop_index(batch_op.f("ix_attachment_project_id"))
    op.drop_table("attachment")
