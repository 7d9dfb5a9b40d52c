"""Trigram indexes behind search (cbpar/search.py): they narrow, the LIKE match still decides.

A table declares its searched columns with `declare(table, columns)` (memos do, in their
models). The index lives outside the models' metadata, made by migration 0017 and, for schemas
made by `create_all` (tests, benchmarks), by the DDL events below:

- **SQLite**: an FTS5 table `<table>_search` with the trigram tokenizer, contentless (the text
  stays in the table only), kept in sync by triggers on insert, delete and update of the
  columns, so ORM writes, Core bulk inserts (the demo, imports), archive import, cascading
  deletes and raw SQL alike keep it right. Each column is indexed with two U+0001 characters
  appended, so every character of the text starts a trigram, and `<table>_search_terms`
  (fts5vocab) lists the trigrams: a 1- or 2-character term is looked up as the trigrams that
  start with it.
- **PostgreSQL**: a `pg_trgm` GIN index on the columns (the extension needs to be created by
  a role allowed to: see docs/deployment.md). ILIKE uses it by itself, even where it is slow
  (a term under 3 characters, a common term), so `postgresql_plan` measures the terms on the
  newest rows and says how to write each one for the planner to choose well. pg_trgm finds
  no trigram in a 1- or 2-character term, and Chinese words are often two characters, so a
  second GIN index, `ix_<table>_grams`, holds each column's distinct characters and pairs of
  characters, lower-cased (`cbpar_grams(text)`, a PL/pgSQL function: no extension needed);
  a short term is looked up there (`array @> ARRAY[term]`) and then matched with ILIKE.

`candidates(columns, terms)` asks the SQLite index which rows can match: their ids when there
are few (a rare term: the query reads those rows only), None when there are many (a common
term: reading the newest rows in order finds a page of matches sooner) or when the index
cannot tell (a 1-character Latin letter, a column set without an index). Results never depend
on it: the ids are a superset of the rows the LIKE match keeps (FTS5 folds case over all of
Unicode, SQLite's LIKE over ASCII only), and the LIKE match runs on them as before.

Careful with later migrations: on SQLite, `batch_alter_table` on an indexed table rebuilds it
and drops its triggers; run `sqlite_statements(...)` triggers again in that migration
(tests/core/test_search_index.py checks the head revision has them).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, event, func, or_, select, text

from cbpar.db import Base

# More candidates than this: a common term, found faster by reading the newest rows in order.
CANDIDATE_CAP = 2000
# A short term starting more distinct trigrams than this is too common to narrow anything.
MAX_EXPANSION = 60
# PostgreSQL: how many of the newest rows a term is looked for in, and in how many of them it
# must be to count as common (then the newest rows are read in order, not the GIN index).
SAMPLE = 300
COMMON_IN_SAMPLE = 6
PAD = "char(1, 1)"  # appended to every indexed value: the last characters start trigrams too
INFO_KEY = "search_index"


def declare(table: Table, columns: Sequence[str]) -> None:
    """Index `columns` of `table` (its primary key must be the integer column `id`)."""
    table.info[INFO_KEY] = tuple(columns)
    event.listen(table, "after_create", _create)
    event.listen(table, "before_drop", _drop)


def fts_name(table: str) -> str:
    return f"{table}_search"


def sqlite_statements(table: str, columns: Sequence[str]) -> list[str]:
    """The FTS5 table, its vocabulary, and the triggers that keep it in sync (in that order)."""
    fts = fts_name(table)
    names = ", ".join(columns)

    def padded(row: str) -> str:
        return ", ".join(f"{row}.{c} || {PAD}" for c in columns)

    insert = f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {padded('new')});"
    delete = f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {padded('old')});"
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, content='', tokenize='trigram')",
        f"CREATE VIRTUAL TABLE {fts}_terms USING fts5vocab({fts}, 'row')",
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {insert} END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {delete} END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF id, {names} ON {table} "
        f"BEGIN {delete} {insert} END",
    ]


def sqlite_fill(table: str, columns: Sequence[str]) -> str:
    """Index the rows already there (a migration on an existing database)."""
    names = ", ".join(columns)
    values = ", ".join(f"{c} || {PAD}" for c in columns)
    return f"INSERT INTO {fts_name(table)}(rowid, {names}) SELECT id, {values} FROM {table}"


def sqlite_drop(table: str) -> list[str]:
    fts = fts_name(table)
    return [
        *(f"DROP TRIGGER IF EXISTS {fts}_{t}" for t in ("insert", "delete", "update")),
        f"DROP TABLE IF EXISTS {fts}_terms",
        f"DROP TABLE IF EXISTS {fts}",
    ]


def postgresql_index(table: str, columns: Sequence[str]) -> str:
    ops = ", ".join(f"{c} gin_trgm_ops" for c in columns)
    return f"CREATE INDEX IF NOT EXISTS ix_{table}_search ON {table} USING gin ({ops})"


# Every character and pair of characters of the lower-cased text: what a 1- or 2-character
# term is looked up by (GIN keeps each key once per row, so repeats cost nothing there).
# IMMUTABLE, so an index can be made on it (lower() follows the database's collation, as
# ILIKE does). One pass over the characters: substr() on multibyte text would make it
# quadratic, and a set-based SQL version took 8x longer to build the index.
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


def postgresql_grams_index(table: str, columns: Sequence[str]) -> str:
    grams = ", ".join(f"cbpar_grams({c})" for c in columns)
    return f"CREATE INDEX IF NOT EXISTS ix_{table}_grams ON {table} USING gin ({grams})"


def _create(table: Table, connection: Any, **_kw: Any) -> None:
    columns = table.info[INFO_KEY]
    if connection.dialect.name == "sqlite":
        for statement in sqlite_statements(table.name, columns):
            connection.exec_driver_sql(statement)
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        connection.exec_driver_sql(postgresql_index(table.name, columns))
        connection.exec_driver_sql(GRAMS_FUNCTION)
        connection.exec_driver_sql(postgresql_grams_index(table.name, columns))


def _drop(table: Table, connection: Any, **_kw: Any) -> None:
    if connection.dialect.name == "sqlite":
        for statement in sqlite_drop(table.name):
            connection.exec_driver_sql(statement)


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """For Alembic's autogenerate: the indexes' own tables are not drift from the models."""
    return not (reflected and compare_to is None and name in _outside_models())


def _outside_models() -> set[str]:
    names: set[str] = set()
    for table in Base.metadata.tables.values():
        if INFO_KEY in table.info:
            fts = fts_name(table.name)
            names |= {fts, f"{fts}_terms", f"ix_{table.name}_search", f"ix_{table.name}_grams"}
            names |= {f"{fts}_{shadow}" for shadow in ("data", "idx", "docsize", "config")}
    return names


def indexed(columns: Sequence[Any]) -> bool:
    """Whether one table's index covers all these columns."""
    if not columns:
        return False
    table = columns[0].table
    names = getattr(table, "info", {}).get(INFO_KEY)
    return bool(names) and all(c.table is table and c.name in names for c in columns)


def _quoted(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _short_term(connection: Any, table: str, term: str) -> list[str] | None:
    """The trigrams a 1- or 2-character term starts ([]: no row has it), None if too many."""
    prefixes = {term, "".join(c.lower() if len(c.lower()) == 1 else c for c in term)}
    found: set[str] = set()
    for prefix in prefixes:
        rows = connection.execute(
            text(
                f"SELECT term FROM {fts_name(table)}_terms WHERE term >= :lo AND term < :hi "
                "LIMIT :n"
            ),
            {"lo": prefix, "hi": prefix + "\U0010ffff", "n": MAX_EXPANSION + 1},
        )
        found.update(row[0] for row in rows)
        if len(found) > MAX_EXPANSION:
            return None
    return sorted(found)


def like_pattern(term: str) -> str:
    """LIKE's pattern for a substring, with %, _ and the escape character taken literally."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def postgresql_plan(session: Any, columns: Sequence[Any], terms: Sequence[str]) -> dict[str, str]:
    """PostgreSQL: how to write each term, so its planner picks the fast way, or {}.

    - "newest": the query is common (all its terms are in COMMON_IN_SAMPLE of the newest
      SAMPLE rows): reading the newest rows in order finds a page of matches long before
      the GIN index would have listed them all.
    - "grams": a rare term under 3 characters (pg_trgm finds no trigram in it and would list
      every row): looked up in the characters-and-pairs index, `ix_<table>_grams`.
    - "scan": a term made of common pieces (the trigram index would list most rows) while the
      query is rare; matched on the rows read anyway. If no term can use an index and the
      query is in the sample at all, "newest" for all of them.
    - "index" (or absent): a rare term of 3 or more characters: the GIN index finds its rows.
    One query measures the terms on the newest rows of the table.
    """
    if not terms or not indexed(columns) or session.connection().dialect.name != "postgresql":
        return {}
    table = columns[0].table
    recent = select(*columns).order_by(table.c.id.desc()).limit(SAMPLE).subquery()
    sampled = [recent.c[c.name] for c in columns]
    unique = list(dict.fromkeys(terms))

    def having(*parts: str) -> Any:  # every part in one of the columns
        return or_(
            *[and_(*[c.ilike(like_pattern(p), escape="\\") for p in parts]) for c in sampled]
        )

    # The rows the index lists for a term hold all its trigrams, not always the term: the
    # phrase "winter homework bus" is rare, but each of its trigrams is in nearly every memo.
    listed = [func.count().filter(having(*_pieces(t))) for t in unique]
    together = func.count().filter(*[having(t) for t in unique])
    *counts, found = session.execute(select(*listed, together)).one()
    if found >= COMMON_IN_SAMPLE:
        return dict.fromkeys(unique, "newest")
    ways = {
        t: "grams" if len(t) < 3 else "scan" if n >= COMMON_IN_SAMPLE else "index"
        for t, n in zip(unique, counts, strict=True)
    }
    if found and all(way == "scan" for way in ways.values()):
        # No index can narrow it ("winter homework bus": each piece is everywhere), but the
        # query is in the sample: reading the newest rows in order meets a page of matches
        # after about SAMPLE / found rows a match, where an unordered scan reads them all.
        return dict.fromkeys(unique, "newest")
    return ways


def _pieces(term: str, most: int = 4) -> list[str]:
    """Up to `most` of the term's 3-character pieces, spread over it."""
    all_pieces = [term[i : i + 3] for i in range(max(1, len(term) - 2))]
    step = max(1, len(all_pieces) // most)
    return all_pieces[::step][:most]


def candidates(session: Any, columns: Sequence[Any], terms: Sequence[str]) -> list[int] | None:
    """Ids of the rows that may match every term (SQLite), or None: let the LIKE match scan."""
    if not terms or not indexed(columns):
        return None
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return None  # PostgreSQL: ILIKE uses the GIN index by itself
    table = columns[0].table
    fts = fts_name(table.name)
    scope = ""
    if {c.name for c in columns} != set(table.info[INFO_KEY]):  # FTS5's column filter
        scope = "{" + " ".join(c.name for c in columns) + "} : "
    parts = []
    for term in terms:
        if len(term) >= 3:
            parts.append(scope + _quoted(term))
            continue
        trigrams = _short_term(connection, table.name, term)
        if trigrams == []:
            return []  # no row has this term anywhere
        if trigrams is not None:
            parts.append(scope + "(" + " OR ".join(_quoted(t) for t in trigrams) + ")")
    if not parts:
        return None
    rows = connection.execute(
        text(f"SELECT rowid FROM {fts} WHERE {fts} MATCH :q LIMIT :n"),
        {"q": " AND ".join(parts), "n": CANDIDATE_CAP + 1},
    ).all()
    if len(rows) > CANDIDATE_CAP:
        return None
    return [row[0] for row in rows]


def among(table: Table, ids: list[int]) -> ColumnElement[bool]:
    """SQL: the row's id is one of `ids` (SQLite), as one JSON parameter, not thousands."""
    each = func.json_each(json.dumps(ids)).table_valued("value")
    return table.c.id.in_(select(each.c.value))
