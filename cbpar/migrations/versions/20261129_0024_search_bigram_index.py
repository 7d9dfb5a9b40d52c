"""search: an index of characters and pairs of characters for short terms on PostgreSQL

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-29 16:30:00

pg_trgm (revision 0017) finds no trigram in a 1- or 2-character term, so such a search read
every memo (1 to 2 s at 100,000 memos); Chinese words are often two characters. This adds
`cbpar_grams(text)` (each character and pair of characters, lower-cased; PL/pgSQL, no
extension) and a GIN index on it for the memo's title and body. SQLite needs nothing: its
FTS5 trigram index already answers short terms. The statements are written out here, not
taken from cbpar/search_index.py, so this revision keeps meaning what it meant.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GRAMS_FUNCTION = """
CREATE OR REPLACE FUNCTION cbpar_grams(value text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    chars text[] := string_to_array(lower(value), NULL);
    grams text[] := '{}';
    previous text;
    ch text;
BEGIN
    IF chars IS NULL THEN
        RETURN grams;
    END IF;
    FOREACH ch IN ARRAY chars LOOP
        grams := grams || ch;
        IF previous IS NOT NULL THEN
            grams := grams || (previous || ch);
        END IF;
        previous := ch;
    END LOOP;
    RETURN grams;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(GRAMS_FUNCTION)
    # Building the index computes the pairs of every memo (a few minutes per 100,000 memos on
    # 2 cores; docs/deployment.md); more memory for the build makes it faster.
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_memo_grams ON memo "
        "USING gin (cbpar_grams(title), cbpar_grams(body))"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_memo_grams")
    op.execute("DROP FUNCTION IF EXISTS cbpar_grams(text)")
