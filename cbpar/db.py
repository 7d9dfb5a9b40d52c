"""Database engine and per-request session, the declarative base, and column helpers."""

from __future__ import annotations

import contextvars
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from flask import Flask, current_app, g, request
from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    Enum,
    ForeignKey,
    MetaData,
    create_engine,
    event,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    declared_attr,
    mapped_column,
    sessionmaker,
)
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Whether the current unit of work intends to write. On SQLite a writing transaction starts
# with BEGIN IMMEDIATE, so it takes the write lock up front (waiting up to busy_timeout)
# instead of failing with "database is locked" when a read later upgrades to a write.
write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=True)


def writes(view: Any) -> Any:
    """Mark a GET view that writes (e.g. audits a download), so it starts a write transaction."""
    view.writes = True
    return view


def reads_first(view: Any) -> Any:
    """Mark a POST view that does slow reading work (a password hash) before it writes: it
    starts in a read transaction and calls `begin_writing()` once it knows what to write, so
    SQLite's write lock is not held through the slow part (other writers would wait on it)."""
    view.reads_first = True
    return view


def begin_writing() -> None:
    """End the request's read transaction; the next statement starts a write transaction
    (BEGIN IMMEDIATE on SQLite). Records read before must be read again in it."""
    db.session.rollback()
    write_intent.set(True)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned time-zone aware, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; pass an aware one (UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


def str_enum(cls: type[StrEnum], length: int = 24) -> Enum:
    """A Python StrEnum stored as its values in a VARCHAR, the same on SQLite and PostgreSQL."""
    return Enum(
        cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )


class CreatedMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# Column mixins: a model lists what it is (scoped to a project, versioned, authored) among its
# bases instead of repeating the columns. Each gives exactly the columns the models declared
# before, so the schema (and Alembic autogenerate) is unchanged. Mixin columns come after the
# model's own in the table.


class ProjectScoped:
    """A record of one project, deleted with it; project_id has an index of its own."""

    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )


class ProjectScopedNoIndex:
    """As ProjectScoped, for tables whose composite index or unique constraint starts with
    project_id (declared in the model's __table_args__), which serves as its index."""

    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))


class Versioned:
    """Optimistic locking: `version` is bumped on every UPDATE, and an edit based on an older
    version is refused rather than overwriting (see cbpar/editing.py). `updated_at` follows
    every UPDATE; a model that sets it itself redeclares it without onupdate (Memo)."""

    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class Authored:
    """Who created the record; kept when that account is deleted (the link becomes NULL)."""

    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event, not the driver, decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")


log = logging.getLogger(__name__)
CHECKPOINT_ATTEMPTS = 3


def checkpoint_truncate(engine: Engine, attempts: int = CHECKPOINT_ATTEMPTS) -> bool:
    """Copy the SQLite write-ahead log into the database file and truncate it to zero bytes.

    Waits for readers and writers (busy_timeout each time), a few times; True once done.
    Backups use a PASSIVE checkpoint instead, which never holds writers back.
    """
    if engine.dialect.name != "sqlite":
        return True
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for attempt in range(attempts):
            busy = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            if not busy:
                return True
            time.sleep(0.2 * (attempt + 1))
        return False
    finally:
        raw.close()


_SCRUB = "cbpar_scrub_after_commit"


def scrub_after_commit(session: Session) -> None:
    """For erasures: deleted or overwritten values must survive in no file once committed.

    On SQLite, freed space is overwritten with zeros (`secure_delete`) in this transaction, and
    once the transaction really commits the write-ahead log, which still holds the old page
    versions, is checkpointed and truncated. On PostgreSQL old row versions and the server's
    WAL are the server's to clean (VACUUM, WAL recycling): nothing to do here.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    session.connection().exec_driver_sql("PRAGMA secure_delete=ON")
    session.info[_SCRUB] = True


@event.listens_for(Session, "after_commit")
def _scrub_committed(session: Session) -> None:
    if not session.info.pop(_SCRUB, False):
        return
    bind = session.get_bind()
    if isinstance(bind, Connection):
        if bind.in_transaction():
            return  # bound inside an outer transaction (tests): nothing reached the file yet
        bind = bind.engine
    if not checkpoint_truncate(bind):
        log.warning("An erasure committed, but the SQLite WAL could not be truncated yet.")


@event.listens_for(Session, "after_rollback")
def _scrub_rolled_back(session: Session) -> None:
    session.info.pop(_SCRUB, None)


def make_engine(url: str, echo: bool = False) -> Engine:
    kwargs: dict[str, Any] = {"echo": echo}
    if url.startswith("postgresql"):
        kwargs.update(pool_pre_ping=True, pool_size=5, max_overflow=10)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


@dataclass
class _State:
    engine: Engine
    factory: sessionmaker[Session]


class Database:
    """The app's engine and its request-scoped session (``db.session``)."""

    def init_app(self, app: Flask) -> None:
        engine = make_engine(app.config["DATABASE_URL"], echo=app.config.get("SQL_ECHO", False))
        app.extensions["cbpar_db"] = _State(engine, sessionmaker(engine, expire_on_commit=False))

        @app.before_request
        def declare_intent() -> None:
            view = app.view_functions.get(request.endpoint or "")
            unsafe = request.method not in {"GET", "HEAD", "OPTIONS"}
            unsafe = unsafe and not getattr(view, "reads_first", False)
            write_intent.set(unsafe or getattr(view, "writes", False))

        @app.after_request
        def commit_on_success(response: Any) -> Any:
            # One transaction per request: commit once if the view succeeded.
            session: Session | None = g.pop("_db_session", None)
            if session is not None:
                try:
                    if response.status_code < 400:
                        session.commit()
                    else:
                        session.rollback()
                finally:
                    session.close()
            return response

        @app.teardown_appcontext
        def close_session(_exc: BaseException | None) -> None:
            session: Session | None = g.pop("_db_session", None)
            if session is not None:
                session.rollback()
                session.close()

    @property
    def state(self) -> _State:
        return current_app.extensions["cbpar_db"]

    @property
    def engine(self) -> Engine:
        return self.state.engine

    @property
    def session(self) -> Session:
        if "_db_session" not in g:
            g._db_session = self.state.factory()
        return g._db_session

    def bind_sessions(self, app: Flask, **kwargs: Any) -> None:
        """Point new sessions elsewhere (tests: at one connection, rolled back after each test)."""
        state: _State = app.extensions["cbpar_db"]
        state.factory = sessionmaker(expire_on_commit=False, **kwargs)


db = Database()
