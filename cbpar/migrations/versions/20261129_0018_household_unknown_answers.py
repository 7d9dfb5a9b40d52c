"""household unknown answers (no schema change)

"Parents working away" and "main caregiver" gain the answer `unknown` (not asked, not
answered), stored in the same columns. Both are VARCHAR(24) enums made with
`native_enum=False` and no CHECK constraint (cbpar/db.py `str_enum`), so the new value needs
no change on SQLite or PostgreSQL, and existing rows keep their answers: nothing tells which
"none" or "parents" were real answers and which were the form's old default.

This revision stays in the chain as a marker of that change. A downgrade changes nothing
either; code older than this revision cannot read a household whose answer is `unknown`, so
set those answers before running it.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29 13:30:00
"""

from collections.abc import Sequence

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """No schema change (see the module's docstring)."""


def downgrade() -> None:
    """No schema change (see the module's docstring)."""
