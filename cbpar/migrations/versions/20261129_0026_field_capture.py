"""field capture: where a record was taken and how accurate the position is

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-29 16:30:00

`location_accuracy_m` (metres, from the phone's location) on household and facility; a contact
log gets its point too (lat, lon, accuracy). Nullable columns only: SQLite adds them with ALTER
TABLE ADD COLUMN (no table copy). Should a table ever be copied (batch mode on an old SQLite),
its map-data triggers would go with it, so they are re-created here with the DDL of revision
0019 (IF NOT EXISTS: a no-op when they survived).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MAP_TABLES = ("household", "facility")
SQLITE_BUMP = "UPDATE map_data_version SET version = version + 1 WHERE project"


def _sqlite_triggers() -> list[str]:
    """Revision 0019's SQLite triggers for household and facility, as written there."""
    statements = []
    for table in MAP_TABLES:
        statements += [
            f"CREATE TRIGGER IF NOT EXISTS {table}_map_data_insert AFTER INSERT ON {table} "
            f"BEGIN {SQLITE_BUMP} = NEW.project_id; END",
            f"CREATE TRIGGER IF NOT EXISTS {table}_map_data_update AFTER UPDATE ON {table} "
            f"BEGIN {SQLITE_BUMP} IN (OLD.project_id, NEW.project_id); END",
            f"CREATE TRIGGER IF NOT EXISTS {table}_map_data_delete AFTER DELETE ON {table} "
            f"BEGIN {SQLITE_BUMP} = OLD.project_id; END",
        ]
    return statements


def _restore_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in _sqlite_triggers():
            op.execute(statement)


def upgrade() -> None:
    for table in MAP_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("location_accuracy_m", sa.Double(), nullable=True))
    with op.batch_alter_table("contact_log") as batch:
        batch.add_column(sa.Column("lat", sa.Double(), nullable=True))
        batch.add_column(sa.Column("lon", sa.Double(), nullable=True))
        batch.add_column(sa.Column("location_accuracy_m", sa.Double(), nullable=True))
    _restore_triggers()


def downgrade() -> None:
    with op.batch_alter_table("contact_log") as batch:
        batch.drop_column("location_accuracy_m")
        batch.drop_column("lon")
        batch.drop_column("lat")
    for table in MAP_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("location_accuracy_m")
    _restore_triggers()
