"""The memo search index: the same results as LIKE alone, kept in sync, made by migration 0017."""

from __future__ import annotations

import random
from typing import Any

import pytest
from sqlalchemy import create_engine, delete, select, text, update

from cbpar import migrate, search, search_index
from cbpar.auth.models import User
from cbpar.db import db, make_engine
from cbpar.memos import services
from cbpar.memos.models import Memo, Visibility
from cbpar.projects.models import Membership, Project
from tests.core.test_migrations import POSTGRES_URL, _diff
from tests.helpers import fresh_app, run

COLUMNS = [Memo.title, Memo.body]
# Chinese from a small set, so 1- and 2-character terms match often; case in and out of ASCII;
# LIKE's wildcards and escape; FTS5's quote and operators.
ALPHABET = list("留守儿童幼园村委会学校作业距离远近") + list("abcXYZ éÉßK") + list('%_\\"*-:() \n.')


def random_text(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(n))


def random_terms(rng: random.Random, texts: list[str]) -> list[str]:
    """1 to 3 terms: pieces of the texts (case changed at times), or made up."""
    terms = []
    for _ in range(rng.randint(1, 3)):
        if rng.random() < 0.7:
            source = rng.choice(texts)
            start = rng.randrange(max(1, len(source)))
            term = source[start : start + rng.randint(1, 6)]
        else:
            term = random_text(rng, rng.randint(1, 4))
        if rng.random() < 0.3:
            term = term.swapcase()
        terms.extend(search.terms_of(term) or [])
    return terms[: search.MAX_TERMS]


def ids(statement: Any) -> list[int]:
    return sorted(db.session.scalars(statement))


@pytest.fixture
def demo(tmp_path):
    app = fresh_app(tmp_path, demo=True)
    with app.app_context():
        yield app
        db.session.rollback()
        db.engine.dispose()


def add_random_memos(rng: random.Random, n: int) -> list[str]:
    project = db.session.scalar(select(Project).where(Project.slug == "demo"))
    authors = list(db.session.scalars(select(User.id)))
    texts = []
    for i in range(n):
        title, body = random_text(rng, rng.randint(0, 12)), random_text(rng, rng.randint(0, 80))
        texts += [title, body]
        db.session.add(
            Memo(
                project_id=project.id,
                author_id=rng.choice(authors),
                visibility=list(Visibility)[i % 3],
                title=title,
                body=body,
            )
        )
    db.session.flush()
    return texts + list(db.session.scalars(select(Memo.body)))


@pytest.mark.parametrize("cap", [search_index.CANDIDATE_CAP, 3])
def test_the_index_finds_exactly_what_like_finds(demo, monkeypatch, cap):
    """On the demo plus random text; with a tiny cap, common terms take the LIKE-only path."""
    monkeypatch.setattr(search_index, "CANDIDATE_CAP", cap)
    rng = random.Random(14 + cap)
    texts = add_random_memos(rng, 150)
    narrowed = 0
    for _ in range(300):
        terms = random_terms(rng, texts)
        if not terms:
            continue
        expected = ids(select(Memo.id).where(search.like_matches(COLUMNS, terms)))
        assert ids(select(Memo.id).where(search.matches(COLUMNS, terms))) == expected, terms
        narrowed += search_index.candidates(db.session, COLUMNS, terms) is not None
        for column in COLUMNS:  # one column of two: FTS5's column filter
            expected = ids(select(Memo.id).where(search.like_matches([column], terms)))
            assert ids(select(Memo.id).where(search.matches([column], terms))) == expected
    assert narrowed > 50, "the index was hardly used"


@pytest.mark.parametrize("common_in_sample", [1, 10_000])
def test_the_same_on_the_test_database(ctx, make_project, monkeypatch, common_in_sample):
    """On SQLite or, with CBPAR_TEST_DATABASE_URL, PostgreSQL (each way to write a term)."""
    monkeypatch.setattr(search_index, "COMMON_IN_SAMPLE", common_in_sample)
    monkeypatch.setattr(search_index, "SAMPLE", 20)
    project = make_project()
    rng = random.Random(common_in_sample)
    texts = []
    for _ in range(80):
        title, body = random_text(rng, rng.randint(0, 12)), random_text(rng, rng.randint(0, 60))
        texts += [title, body]
        db.session.add(Memo(project_id=project.id, title=title, body=body))
    db.session.flush()
    for _ in range(120):
        terms = random_terms(rng, texts)
        if terms:
            expected = ids(select(Memo.id).where(search.like_matches(COLUMNS, terms)))
            assert ids(select(Memo.id).where(search.matches(COLUMNS, terms))) == expected, terms


def test_search_keeps_who_sees_what(demo, monkeypatch):
    """Private memos of others and team memos stay hidden, index or not."""
    texts = add_random_memos(random.Random(3), 60)
    project = db.session.scalar(select(Project).where(Project.slug == "demo"))
    members = list(
        db.session.scalars(select(Membership).where(Membership.project_id == project.id))
    )
    rng = random.Random(4)
    queries = [random_terms(rng, texts) for _ in range(40)] + [["留守"], ["幼儿园"], ["园"]]
    with_index = {
        (m.id, tuple(q)): [h.id for h in services.search_memos(project, m, q, 50)]
        for m in members
        for q in queries
        if q
    }
    monkeypatch.setattr(search_index, "candidates", lambda *_a: None)
    for (member_id, query), found in with_index.items():
        member = db.session.get(Membership, member_id)
        assert [h.id for h in services.search_memos(project, member, list(query), 50)] == found


def indexed_ids() -> list[int]:
    return sorted(db.session.scalars(text("SELECT id FROM memo_search_docsize")))


def memo_ids() -> list[int]:
    return sorted(db.session.scalars(select(Memo.id)))


def fts(term: str) -> list[int]:
    query = text("SELECT rowid FROM memo_search WHERE memo_search MATCH :q ORDER BY rowid")
    return list(db.session.scalars(query, {"q": f'"{term}"'}))


def test_triggers_keep_the_index_in_sync(demo):
    project = db.session.scalar(select(Project).where(Project.slug == "demo"))
    memo = Memo(project_id=project.id, title="拖拉机 tractor", body="鹦鹉 in the village")
    db.session.add(memo)
    db.session.flush()
    assert fts("拖拉机") == [memo.id] and fts("鹦鹉 in") == [memo.id]
    db.session.execute(update(Memo).where(Memo.id == memo.id).values(body="独一无二"))
    assert fts("鹦鹉 in") == [] and fts("独一无二") == [memo.id]
    db.session.execute(update(Memo).where(Memo.id == memo.id).values(visibility="community"))
    assert fts("独一无二") == [memo.id]  # an update of other columns leaves it alone
    db.session.execute(delete(Memo).where(Memo.id == memo.id))
    assert fts("拖拉机") == [] and indexed_ids() == memo_ids()
    # Deleting the project cascades to its memos, and the triggers follow.
    db.session.execute(delete(Project).where(Project.id == project.id))
    assert memo_ids() == [] and indexed_ids() == []


def test_an_imported_archive_is_searchable(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    source = fresh_app(tmp_path / "a", demo=True)
    out = tmp_path / "demo.zip"
    assert run(source, "export", "project", "demo", "-o", str(out)).exit_code == 0
    target = fresh_app(tmp_path / "b", demo=True)
    result = run(target, "import", "project", str(out), "--slug", "copy")
    assert result.exit_code == 0, result.output[-300:]
    with target.app_context():
        assert indexed_ids() == memo_ids()
        copy = db.session.scalar(select(Project.id).where(Project.slug == "copy"))
        title = db.session.scalar(select(Memo.title).where(Memo.project_id == copy).limit(1))
        found = db.session.scalars(
            select(Memo.id).where(Memo.project_id == copy, search.matches(COLUMNS, [title[:3]]))
        ).all()
        assert found and search_index.candidates(db.session, COLUMNS, [title[:3]]) is not None
        db.engine.dispose()
    with source.app_context():
        db.engine.dispose()


def _search_objects(engine) -> set[tuple[str, str]]:
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT type, name, sql FROM sqlite_master WHERE name LIKE 'memo_search%'"
        )
        return {(name, " ".join((sql or "").split())) for _type, name, sql in rows}


def test_migration_and_create_all_make_the_same_index(tmp_path):
    migrated = make_engine(f"sqlite:///{tmp_path / 'migrated.sqlite3'}")
    migrate.upgrade(migrated)
    created = make_engine(f"sqlite:///{tmp_path / 'created.sqlite3'}")
    from cbpar.models import Base

    Base.metadata.create_all(created)
    objects = _search_objects(migrated)
    names = {name for name, _sql in objects}
    assert {"memo_search", "memo_search_terms"} <= names
    assert {f"memo_search_{t}" for t in ("insert", "delete", "update")} <= names
    assert objects == _search_objects(created)
    migrated.dispose()
    created.dispose()


def test_memos_written_before_the_migration_are_indexed(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    migrate.upgrade(engine, "0016")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO project (id, slug, name, region, description, timezone,"
                " map_center_lat, map_center_lon, map_zoom, is_demo, updated_at, created_at)"
                " VALUES (1, 'p', 'P', '', '', 'Asia/Shanghai', 0, 0, 10, 0, '2026-01-01',"
                " '2026-01-01')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO memo (id, project_id, kind, visibility, title, body, html, version,"
                " updated_at, created_at) VALUES (7, 1, 'field_note', 'team', 'Old', "
                "'留守儿童 before the index', '', 1, '2026-01-01', '2026-01-01')"
            )
        )
    migrate.upgrade(engine)
    with engine.connect() as connection:
        found = connection.exec_driver_sql(
            "SELECT rowid FROM memo_search WHERE memo_search MATCH '\"留守儿童\"'"
        ).all()
        assert [row[0] for row in found] == [7]
    engine.dispose()


def test_the_comparison_still_sees_real_drift(tmp_path):
    """include_object hides the index's own tables, not a table or index nobody declared."""
    engine = make_engine(f"sqlite:///{tmp_path / 'drift.sqlite3'}")
    migrate.upgrade(engine)
    assert "memo_search" not in str(_diff(engine))
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE memo_search_extra (id INTEGER PRIMARY KEY)")
        connection.exec_driver_sql("CREATE INDEX ix_memo_title ON memo (title)")
    changes = str(_diff(engine))
    assert "memo_search_extra" in changes and "ix_memo_title" in changes, changes[:300]
    engine.dispose()


def test_postgresql_gets_a_trigram_index(app):
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not configured: set CBPAR_TEST_DATABASE_URL to run this")
    engine = create_engine(POSTGRES_URL)
    with engine.connect() as connection:
        found = connection.exec_driver_sql(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_memo_search'"
        ).scalar()
        grams = connection.exec_driver_sql(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_memo_grams'"
        ).scalar()
        pairs = connection.exec_driver_sql("SELECT cbpar_grams('鹦鹉Qz')").scalar()
    engine.dispose()
    assert found and "gin_trgm_ops" in found
    assert grams and "cbpar_grams((title)::text)" in grams and "cbpar_grams(body)" in grams
    assert set(pairs) == {"鹦", "鹉", "q", "z", "鹦鹉", "鹉q", "qz"}


def test_postgresql_finds_short_rare_terms_through_the_pairs_index(ctx, make_project):
    """A rare 2-character term is looked up in ix_memo_grams, not read from every memo."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL not configured: set CBPAR_TEST_DATABASE_URL to run this")
    project = make_project()
    rng = random.Random(24)
    for i in range(400):
        body = random_text(rng, 60) + ("鹦鹉" if i in (7, 300) else "")
        db.session.add(Memo(project_id=project.id, title=f"Memo {i}", body=body))
    db.session.flush()
    db.session.execute(text("ANALYZE memo"))
    assert search_index.postgresql_plan(db.session, COLUMNS, ["鹦鹉"]) == {"鹦鹉": "grams"}
    query = select(Memo.id).where(search.matches(COLUMNS, ["鹦鹉"]))
    assert len(ids(query)) == 2
    compiled = query.compile(db.engine)
    connection = db.session.connection()
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # few rows: as if many
    rows = connection.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params)
    plan = "\n".join(row[0] for row in rows)
    assert "ix_memo_grams" in plan, plan


def test_postgresql_reads_newest_first_a_phrase_no_index_can_narrow(ctx, make_project):
    """Every piece of "winter homework bus" is in every memo, the phrase in a few: the newest
    rows are read in order (a page of matches comes soon), not every memo."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL not configured: set CBPAR_TEST_DATABASE_URL to run this")
    project = make_project()
    for i in range(60):
        body = "winter homework bus" if i % 20 == 0 else "winter homework. homework bus"
        db.session.add(Memo(project_id=project.id, title=f"Memo {i}", body=body))
    db.session.flush()
    phrase = "winter homework bus"
    assert search_index.postgresql_plan(db.session, COLUMNS, [phrase]) == {phrase: "newest"}
    assert len(ids(select(Memo.id).where(search.matches(COLUMNS, [phrase])))) == 3
    # Not in the sample at all: nothing says reading in order would meet it soon.
    rare = "winter homework bus!"
    assert search_index.postgresql_plan(db.session, COLUMNS, [rare]) == {rare: "scan"}
