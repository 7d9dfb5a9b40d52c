"""Links between records of a project, whatever their kind.

A memo is *about* a household, a meeting *discussed* a memo, a need rests on *evidence*.
Each feature registers its record types from its `integration.init_app(app)` (name, model,
label, URL, who may see one); links are stored in one table and loaded per type in one
query, never per row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask, url_for
from sqlalchemy import Index, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from cbpar import audit, registry
from cbpar.db import Authored, Base, CreatedMixin, ProjectScoped, db
from cbpar.security import Cap, membership_can
from cbpar.web import MAX_INT


class RecordLink(ProjectScoped, Authored, CreatedMixin, Base):
    __tablename__ = "record_link"
    __table_args__ = (
        UniqueConstraint("source_type", "source_id", "target_type", "target_id", "relation"),
        Index("ix_record_link_target", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_type: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[int]
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[int]
    relation: Mapped[str] = mapped_column(String(24))  # "about", "discussed", "evidence", ...


@dataclass(frozen=True)
class RecordType:
    """How links show and guard one kind of record."""

    name: str  # stored in record_link, e.g. "household"
    model: type
    label: Callable[[Any], str]  # e.g. lambda h: h.code
    endpoint: str  # its page; called with slug and `id_arg`
    id_arg: str
    visible: Callable[[Any, Any], bool]  # (membership, record) -> may this member see it?
    kind_label: Callable[[], str] = lambda: ""

    def url(self, record: Any, slug: str) -> str:
        return url_for(self.endpoint, slug=slug, **{self.id_arg: record.id})


def record_types(app: Flask | None = None) -> dict[str, RecordType]:
    """The record types this app's features registered, by name, in registration order."""
    return registry.slot("record_types", dict, app)


def register(app: Flask, *types: RecordType) -> None:
    for record_type in types:
        record_types(app)[record_type.name] = record_type


def type_of(record: Any) -> RecordType:
    for record_type in record_types().values():
        if isinstance(record, record_type.model):
            return record_type
    raise KeyError(f"{type(record).__name__} is not a linkable record type")


def needs(cap: Cap) -> Callable[[Any, Any], bool]:
    """A `visible` rule for records any member with this capability may see."""
    return lambda membership, _record: membership_can(membership, cap)


def resolve(project_id: int, type_name: str, record_id: int) -> Any | None:
    """The record of that type and id, if it belongs to this project."""
    record_type = record_types().get(type_name)
    if record_type is None or not 0 < record_id <= MAX_INT:  # a form's oversized id: no record
        return None
    record = db.session.get(record_type.model, record_id)
    if record is None or getattr(record, "project_id", None) != project_id:
        return None
    return record


def _key(source: Any, target: Any, relation: str) -> dict[str, Any]:
    return {
        "source_type": type_of(source).name,
        "source_id": source.id,
        "target_type": type_of(target).name,
        "target_id": target.id,
        "relation": relation,
    }


def add(source: Any, target: Any, relation: str, by: Any = None) -> RecordLink:
    """Link two records of the same project (once; adding it again changes nothing)."""
    if source.project_id != target.project_id:
        raise ValueError("records of different projects cannot be linked")
    key = _key(source, target, relation)
    existing = db.session.scalar(select(RecordLink).filter_by(**key))
    if existing is not None:
        return existing
    link = RecordLink(project_id=source.project_id, created_by_id=getattr(by, "id", None), **key)
    db.session.add(link)
    db.session.flush()
    audit.record("link_added", link, project=source.project_id, details=key)
    return link


def remove(source: Any, target: Any, relation: str) -> bool:
    key = _key(source, target, relation)
    link = db.session.scalar(select(RecordLink).filter_by(**key))
    if link is None:
        return False
    audit.record("link_removed", link, project=source.project_id, details=key)
    db.session.delete(link)
    return True


def remove_all(record: Any) -> None:
    """Forget every link to or from a record that is being deleted."""
    name = type_of(record).name
    for link in db.session.scalars(
        select(RecordLink).where(
            ((RecordLink.source_type == name) & (RecordLink.source_id == record.id))
            | ((RecordLink.target_type == name) & (RecordLink.target_id == record.id))
        )
    ):
        db.session.delete(link)


@dataclass(frozen=True)
class Linked:
    """A record at the other end of a link, ready to show."""

    type: RecordType
    record: Any
    relation: str

    def label(self) -> str:
        return self.type.label(self.record)

    def url(self, slug: str) -> str:
        return self.type.url(self.record, slug)


def _load(pairs: Iterable[tuple[str, int, str]], membership: Any) -> list[Linked]:
    """Load (type, id, relation) triples with one query per type; keep what the member may see."""
    types = record_types()
    by_type: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for type_name, record_id, relation in pairs:
        if type_name in types:
            by_type[type_name].append((record_id, relation))
    found: list[Linked] = []
    for type_name, items in by_type.items():
        record_type = types[type_name]
        ids = {record_id for record_id, _ in items}
        records = {
            r.id: r
            for r in db.session.scalars(
                select(record_type.model).where(record_type.model.id.in_(ids))
            )
        }
        for record_id, relation in items:
            record = records.get(record_id)
            if record is not None and record_type.visible(membership, record):
                found.append(Linked(record_type, record, relation))
    return found


def targets_of(source: Any, membership: Any, relation: str | None = None) -> list[Linked]:
    """What this record links to (e.g. the households a memo is about)."""
    query = select(RecordLink.target_type, RecordLink.target_id, RecordLink.relation).where(
        RecordLink.source_type == type_of(source).name, RecordLink.source_id == source.id
    )
    if relation is not None:
        query = query.where(RecordLink.relation == relation)
    return _load(db.session.execute(query.order_by(RecordLink.id)), membership)


def sources_of(target: Any, membership: Any, relation: str | None = None) -> list[Linked]:
    """What links to this record (e.g. the memos about a household), as this member may see."""
    query = select(RecordLink.source_type, RecordLink.source_id, RecordLink.relation).where(
        RecordLink.target_type == type_of(target).name, RecordLink.target_id == target.id
    )
    if relation is not None:
        query = query.where(RecordLink.relation == relation)
    return _load(db.session.execute(query.order_by(RecordLink.id)), membership)


def sources_of_many(
    targets: list[Any], membership: Any, relation: str | None = None
) -> dict[int, list[Linked]]:
    """What links to each of several records of one type, keyed by their ids (no query per row)."""
    if not targets:
        return {}
    query = select(
        RecordLink.source_type, RecordLink.source_id, RecordLink.relation, RecordLink.target_id
    ).where(
        RecordLink.target_type == type_of(targets[0]).name,
        RecordLink.target_id.in_([t.id for t in targets]),
    )
    if relation is not None:
        query = query.where(RecordLink.relation == relation)
    rows = db.session.execute(query.order_by(RecordLink.id)).all()
    found = _load([(t, sid, rel) for t, sid, rel, _target in rows], membership)
    by_source = {(f.type.name, f.record.id): f for f in found}
    out: dict[int, list[Linked]] = defaultdict(list)
    for source_type, source_id, _rel, target_id in rows:
        linked = by_source.get((source_type, source_id))
        if linked is not None:
            out[target_id].append(linked)
    return out


def choices(
    project_id: int, membership: Any, type_names: Iterable[str], limit: int
) -> list[tuple[str, list[tuple[str, str]]]]:
    """Records a member may pick to link, grouped by kind: [(kind label, [("type:id", label)])].

    The newest `limit` of each type; each choice's value is what `resolve_choice` reads back.
    """
    groups = []
    for name in type_names:
        record_type = record_types().get(name)
        if record_type is None or not hasattr(record_type.model, "project_id"):
            continue
        model = record_type.model
        records = db.session.scalars(
            select(model)
            .where(model.project_id == project_id)
            .order_by(model.id.desc())
            .limit(limit)
        )
        options = [
            (f"{name}:{r.id}", record_type.label(r))
            for r in records
            if record_type.visible(membership, r)
        ]
        if options:
            groups.append((record_type.kind_label(), options))
    return groups


def resolve_choice(
    project_id: int, membership: Any, type_names: Iterable[str], value: str
) -> Any | None:
    """The record a "type:id" choice names, if it is of an allowed type and the member sees it."""
    type_name, _sep, raw_id = (value or "").partition(":")
    if type_name not in type_names or not raw_id.isdigit():
        return None
    record = resolve(project_id, type_name, int(raw_id))
    if record is None or not record_types()[type_name].visible(membership, record):
        return None
    return record
