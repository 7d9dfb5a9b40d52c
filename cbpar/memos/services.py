"""Memos: who sees which, saving with revisions and a version check, tags, links, search."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any

from flask import url_for
from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from cbpar import audit, links, search
from cbpar.attachments import services as attachment_services
from cbpar.comments import services as comment_services
from cbpar.db import db, utcnow
from cbpar.memos.models import Memo, MemoKind, MemoRevision, Tag, Visibility, memo_tag
from cbpar.security import Cap, membership_can
from cbpar.text import plain_text, render_markdown

MAX_TAG = 80


class StaleMemo(Exception):
    """The memo was saved by someone else since this edit began."""

    def __init__(self, memo: Memo) -> None:
        super().__init__(f"memo {memo.id} is at version {memo.version}")
        self.memo = memo


# --- who may see and do what ---------------------------------------------------------------


def visible_levels(membership: Any) -> list[Visibility]:
    levels = []
    if membership_can(membership, Cap.SEE_TEAM_MEMOS):
        levels.append(Visibility.TEAM)
    if membership_can(membership, Cap.SEE_COMMUNITY_MEMOS):
        levels.append(Visibility.COMMUNITY)
    return levels


def visible_clause(membership: Any) -> ColumnElement[bool]:
    """SQL: the memos this member may read (observers: none; private: the author only)."""
    if membership is None or not membership_can(membership, Cap.SEE_COMMUNITY_MEMOS):
        return false()
    own = and_(Memo.visibility == Visibility.PRIVATE, Memo.author_id == membership.user_id)
    if not membership_can(membership, Cap.WRITE_MEMOS):
        own = false()
    return and_(
        Memo.project_id == membership.project_id,
        or_(Memo.visibility.in_(visible_levels(membership)), own),
    )


def can_see(membership: Any, memo: Memo) -> bool:
    if membership is None or memo.project_id != membership.project_id:
        return False
    if memo.visibility == Visibility.PRIVATE:
        return memo.author_id == membership.user_id and membership_can(membership, Cap.WRITE_MEMOS)
    return memo.visibility in visible_levels(membership)


def can_edit(membership: Any, memo: Memo) -> bool:
    return membership_can(membership, Cap.WRITE_MEMOS) and can_see(membership, memo)


def can_manage(membership: Any, memo: Memo) -> bool:
    """Change who sees it, or delete it: the author, or a coordinator."""
    return can_edit(membership, memo) and (
        memo.author_id == membership.user_id or membership_can(membership, Cap.MANAGE_PROJECT)
    )


# --- reading -------------------------------------------------------------------------------


def list_query(project: Any, membership: Any, *, tag: str = "", kind: str = "", q: str = "") -> Any:
    query = (
        select(Memo)
        .where(Memo.project_id == project.id, visible_clause(membership))
        .options(joinedload(Memo.author), selectinload(Memo.tags))
        .order_by(Memo.updated_at.desc(), Memo.id.desc())
    )
    if tag:
        query = query.where(Memo.tags.any(Tag.name == tag))
    if kind in {k.value for k in MemoKind}:
        query = query.where(Memo.kind == MemoKind(kind))
    terms = search.terms_of(q)
    if terms:
        query = query.where(search.matches([Memo.title, Memo.body], terms))
    return query


def get_memo(project: Any, memo_id: int, membership: Any) -> Memo | None:
    memo = db.session.get(Memo, memo_id)
    if memo is None or memo.project_id != project.id or not can_see(membership, memo):
        return None
    return memo


def recent(project: Any, membership: Any, n: int = 5) -> list[Memo]:
    return list(db.session.scalars(list_query(project, membership).limit(n)))


# --- writing -------------------------------------------------------------------------------


def normalise_tags(raw: str | list[str]) -> list[str]:
    """Comma-separated (also the Chinese comma and 、) to clean, unique names, order kept."""
    parts = raw if isinstance(raw, list) else re.split(r"[,，、;；\n]", raw or "")
    seen: dict[str, str] = {}
    for part in parts:
        name = " ".join(str(part).split())[:MAX_TAG]
        if name and name.lower() not in seen:
            seen[name.lower()] = name
    return list(seen.values())


def _tags(project_id: int, names: list[str]) -> list[Tag]:
    if not names:
        return []
    existing = {
        t.name.lower(): t
        for t in db.session.scalars(
            select(Tag).where(
                Tag.project_id == project_id, func.lower(Tag.name).in_([n.lower() for n in names])
            )
        )
    }
    tags = []
    for name in names:
        tag = existing.get(name.lower())
        if tag is None:
            tag = Tag(project_id=project_id, name=name)
            db.session.add(tag)
            existing[name.lower()] = tag
        tags.append(tag)
    return tags


def _revise(memo: Memo, editor: Any, note: str = "") -> MemoRevision:
    number = (
        db.session.scalar(
            select(func.max(MemoRevision.number)).where(MemoRevision.memo_id == memo.id)
        )
        or 0
    ) + 1
    revision = MemoRevision(
        memo_id=memo.id,
        number=number,
        title=memo.title,
        body=memo.body,
        editor_id=getattr(editor, "id", None),
        note=note,
    )
    db.session.add(revision)
    return revision


def create_memo(project: Any, author: Any, data: dict[str, Any]) -> Memo:
    memo = Memo(
        project_id=project.id,
        author_id=author.id,
        updated_by_id=author.id,
        kind=MemoKind(data.get("kind") or MemoKind.RESEARCH_MEMO),
        visibility=Visibility(data.get("visibility") or Visibility.TEAM),
        title=data["title"].strip(),
        body=data.get("body") or "",
    )
    memo.html = render_markdown(memo.body)
    memo.tags = _tags(project.id, normalise_tags(data.get("tags") or []))
    db.session.add(memo)
    db.session.flush()
    _revise(memo, author)
    audit.record(
        "memo_created", memo, project=project.id, details={"visibility": memo.visibility.value}
    )
    return memo


def update_memo(
    memo: Memo, data: dict[str, Any], version: int | None, editor: Any, *, manage: bool
) -> list[str]:
    """Save an edit made on `version`; StaleMemo if someone saved in between."""
    if version is None or int(version) != memo.version:
        raise StaleMemo(memo)
    fields = []
    title, body = data["title"].strip(), data.get("body") or ""
    text_changed = title != memo.title or body != memo.body
    if text_changed:
        memo.title, memo.body, memo.html = title, body, render_markdown(body)
        fields.append("text")
    if data.get("kind") and MemoKind(data["kind"]) != memo.kind:
        memo.kind = MemoKind(data["kind"])
        fields.append("kind")
    if manage and data.get("visibility") and Visibility(data["visibility"]) != memo.visibility:
        memo.visibility = Visibility(data["visibility"])
        fields.append("visibility")
    if "tags" in data:
        names = normalise_tags(data["tags"])
        if [t.name for t in memo.tags] != names:
            memo.tags = _tags(memo.project_id, names)
            fields.append("tags")
    if not fields:
        return fields
    memo.updated_at = utcnow()
    memo.updated_by_id = editor.id
    try:
        db.session.flush()  # the UPDATE checks the version too: a race between two saves
    except StaleDataError as exc:
        db.session.rollback()
        raise StaleMemo(db.session.get(Memo, memo.id)) from exc
    if text_changed:
        _revise(memo, editor)
    audit.record("memo_updated", memo, project=memo.project_id, details={"fields": fields})
    return fields


def revisions(memo: Memo) -> list[MemoRevision]:
    return list(
        db.session.scalars(
            select(MemoRevision)
            .where(MemoRevision.memo_id == memo.id)
            .options(joinedload(MemoRevision.editor))
            .order_by(MemoRevision.number.desc())
        )
    )


def revision(memo: Memo, number: int) -> MemoRevision | None:
    return db.session.scalar(
        select(MemoRevision).where(MemoRevision.memo_id == memo.id, MemoRevision.number == number)
    )


def restore(memo: Memo, old: MemoRevision, editor: Any) -> MemoRevision:
    memo.title, memo.body, memo.html = old.title, old.body, render_markdown(old.body)
    memo.updated_at = utcnow()
    memo.updated_by_id = editor.id
    db.session.flush()
    new = _revise(memo, editor, note=f"restored revision {old.number}")
    audit.record("memo_restored", memo, project=memo.project_id, details={"from": old.number})
    return new


def delete_memo(memo: Memo) -> None:
    audit.record("memo_deleted", memo, project=memo.project_id)
    comment_services.delete_all_for(memo)
    attachment_services.delete_all_for(memo)
    links.remove_all(memo)
    db.session.delete(memo)


# --- tags ----------------------------------------------------------------------------------


@dataclass
class TagUse:
    tag: Tag
    memos: list[Memo]


def tag_uses(project: Any, membership: Any) -> list[TagUse]:
    """Every tag with the memos (this member may read) that carry it; two queries."""
    tags = list(
        db.session.scalars(
            select(Tag).where(Tag.project_id == project.id).order_by(func.lower(Tag.name))
        )
    )
    rows = db.session.execute(
        select(memo_tag.c.tag_id, Memo)
        .join(Memo, Memo.id == memo_tag.c.memo_id)
        .where(visible_clause(membership))
        .order_by(Memo.updated_at.desc())
    )
    by_tag: dict[int, list[Memo]] = {}
    for tag_id, memo in rows:
        by_tag.setdefault(tag_id, []).append(memo)
    return [TagUse(tag, by_tag.get(tag.id, [])) for tag in tags]


def rename_tag(project: Any, tag: Tag, new_name: str) -> Tag:
    """Rename a tag; if another tag has that name already, merge this one into it."""
    new_name = normalise_tags([new_name])[0]
    other = db.session.scalar(
        select(Tag).where(
            Tag.project_id == project.id,
            func.lower(Tag.name) == new_name.lower(),
            Tag.id != tag.id,
        )
    )
    if other is None:
        old = tag.name
        tag.name = new_name
        audit.record("tag_renamed", tag, project=project.id, details={"from": old, "to": new_name})
        return tag
    # Merge: memos that carry both keep one; the others move over.
    both = select(memo_tag.c.memo_id).where(memo_tag.c.tag_id == other.id)
    db.session.execute(
        memo_tag.delete().where(memo_tag.c.tag_id == tag.id, memo_tag.c.memo_id.in_(both))
    )
    db.session.execute(memo_tag.update().where(memo_tag.c.tag_id == tag.id).values(tag_id=other.id))
    audit.record(
        "tag_merged", other, project=project.id, details={"from": tag.name, "into": other.name}
    )
    db.session.delete(tag)
    db.session.flush()
    db.session.expire_all()
    return other


# --- links ---------------------------------------------------------------------------------

# Which column a member types to name a record of each kind (else its number).
LOOKUP = {
    "household": "code",
    "facility": "name",
    "village": "code",
    "saved_analysis": "name",
    "meeting": "title",
    "need": "title",
}


def linkable_types(membership: Any) -> list[links.RecordType]:
    """Record types a memo may be linked to; only those this member could see."""
    shown = []
    for record_type in links.record_types().values():
        if record_type.name in {"memo", "interview"}:
            continue
        probe = record_type.visible
        try:
            allowed = probe(membership, None)
        except Exception:  # rules that look at the record itself: decided per record
            allowed = True
        if allowed:
            shown.append(record_type)
    return shown


def find_record(project: Any, type_name: str, ref: str) -> Any | None:
    record_type = links.record_types().get(type_name)
    ref = (ref or "").strip()
    if record_type is None or not ref:
        return None
    model = record_type.model
    column = getattr(model, LOOKUP.get(type_name, ""), None)
    if column is not None:
        found = db.session.scalar(
            select(model)
            .where(model.project_id == project.id, func.lower(column) == ref.lower())
            .limit(1)
        )
        if found is not None:
            return found
    number = ref.lstrip("#")
    return links.resolve(project.id, type_name, int(number)) if number.isdigit() else None


def link(memo: Memo, record: Any, by: Any) -> None:
    links.add(memo, record, "about", by=by)


def unlink(memo: Memo, record: Any) -> bool:
    return links.remove(memo, record, "about")


def memos_about(record: Any, membership: Any) -> list[links.Linked]:
    return [
        linked
        for linked in links.sources_of(record, membership)
        if linked.type.name in {"memo", "interview"}
    ]


# --- search, export, registration ----------------------------------------------------------


def search_memos(project: Any, membership: Any, terms: list[str], limit: int) -> list[search.Hit]:
    memos = db.session.scalars(
        select(Memo)
        .where(
            Memo.project_id == project.id,
            visible_clause(membership),
            search.matches([Memo.title, Memo.body], terms),
        )
        .order_by(Memo.updated_at.desc())
        .limit(limit)
    )
    return [
        search.Hit(
            type="memo",
            id=memo.id,
            title=memo.title,
            url=url_for("memos.view", slug=project.slug, memo_id=memo.id),
            # the stored HTML's text: rendering 50 memos' Markdown again took most of the time
            snippet=search.snippet(
                search.html_text(memo.html) if memo.html else plain_text(memo.body), terms
            ),
            when=memo.updated_at,
            extra={"kind": memo.kind.value},
        )
        for memo in memos
    ]


EXPORT_SCHEMA = 1


def _yaml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def to_markdown(memo: Memo) -> str:
    """The memo as a Markdown file with a small front matter (schema revision included)."""
    tags = ", ".join(_yaml_str(t.name) for t in memo.tags)
    lines = [
        "---",
        f"cbpar_export: memo/{EXPORT_SCHEMA}",
        f"id: {memo.id}",
        f"title: {_yaml_str(memo.title)}",
        f"kind: {memo.kind.value}",
        f"visibility: {memo.visibility.value}",
        f"author: {_yaml_str(memo.author.name if memo.author else '')}",
        f"created: {memo.created_at.isoformat()}",
        f"updated: {memo.updated_at.isoformat()}",
        f"version: {memo.version}",
        f"tags: [{tags}]",
        "---",
        "",
        f"# {memo.title}",
        "",
        memo.body.rstrip(),
        "",
    ]
    return "\n".join(lines)


def export_name(memo: Memo) -> str:
    slug = re.sub(r"[^\w\-]+", "-", memo.title, flags=re.UNICODE).strip("-")[:60] or "memo"
    return f"{memo.id}-{slug}.md"


def zip_of(memos: list[Memo]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for memo in memos:
            archive.writestr(export_name(memo), to_markdown(memo))
    return buffer.getvalue()


def listed(project: Any, membership: Any, *, tag: str = "", limit: int | None = None) -> list[Memo]:
    """The memos `list_query` gives (the member may see them), at most `limit`."""
    query = list_query(project, membership, tag=tag)
    return list(db.session.scalars(query if limit is None else query.limit(limit)))


def get_tag(project: Any, tag_id: int) -> Tag | None:
    tag = db.session.get(Tag, tag_id)
    return tag if tag is not None and tag.project_id == project.id else None
