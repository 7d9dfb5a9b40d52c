"""Comments: list a record's thread, add, edit or delete one's own, hide (coordinators).

Any record type in the links registry can carry comments: its `visible` rule decides who
reads them, and the COMMENT capability who writes. A feature whose records must not be
discussed calls `exclude(app, name)` from its integration.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from cbpar import audit, events, links, registry, search
from cbpar.auth.models import User
from cbpar.comments.models import Comment
from cbpar.db import db, utcnow
from cbpar.projects.models import Membership, Project
from cbpar.text import plain_text, render_markdown


class CommentError(ValueError):
    """A comment that may not be written (e.g. a reply to a reply)."""


def excluded(app: Flask | None = None) -> set[str]:
    """The record types that take no comments in this app."""
    return registry.slot("comment_exclusions", set, app)


def exclude(app: Flask, type_name: str) -> None:
    """Records of this type take no comments (e.g. interviews: their content is confidential)."""
    excluded(app).add(type_name)


def target_name(record: Any) -> str:
    return links.type_of(record).name


def can_read(membership: Any, record: Any) -> bool:
    record_type = links.type_of(record)
    return record_type.name not in excluded() and record_type.visible(membership, record)


def resolve_target(project: Any, type_name: str, target_id: int) -> Any | None:
    if type_name in excluded():
        return None
    return links.resolve(project.id, type_name, target_id)


@dataclass
class Entry:
    comment: Comment
    replies: list[Comment] = field(default_factory=list)


def thread(record: Any) -> list[Entry]:
    """Top-level comments, oldest first, each with its replies; one query."""
    comments = list(
        db.session.scalars(
            select(Comment)
            .where(
                Comment.project_id == record.project_id,
                Comment.target_type == target_name(record),
                Comment.target_id == record.id,
            )
            .options(joinedload(Comment.author))
            .order_by(Comment.created_at, Comment.id)
        )
    )
    entries: dict[int, Entry] = {}
    orphans: dict[int, list[Comment]] = defaultdict(list)
    for comment in comments:
        if comment.parent_id is None:
            entries[comment.id] = Entry(comment)
        else:
            orphans[comment.parent_id].append(comment)
    for parent_id, replies in orphans.items():
        if parent_id in entries:
            entries[parent_id].replies = replies
    # A deleted comment with no replies has nothing left to show.
    return [e for e in entries.values() if not (e.comment.deleted and not e.replies)]


def get_comment(project: Any, comment_id: int) -> Comment | None:
    return db.session.scalar(
        select(Comment).where(Comment.id == comment_id, Comment.project_id == project.id)
    )


def target_of(comment: Comment) -> Any | None:
    return links.resolve(comment.project_id, comment.target_type, comment.target_id)


def add_comment(record: Any, author: Any, body: str, parent_id: int | None = None) -> Comment:
    if parent_id is not None:
        parent = db.session.get(Comment, parent_id)
        if (
            parent is None
            or parent.target_type != target_name(record)
            or parent.target_id != record.id
            or parent.deleted
        ):
            raise CommentError("no such comment to reply to")
        # Replies stay one level deep: answering a reply answers its top-level comment.
        parent_id = parent.parent_id or parent.id
    comment = Comment(
        project_id=record.project_id,
        target_type=target_name(record),
        target_id=record.id,
        parent_id=parent_id,
        author_id=author.id,
        body=body,
        html=render_markdown(body),
    )
    db.session.add(comment)
    db.session.flush()
    audit.record(
        "comment_added",
        comment,
        project=record.project_id,
        details={"target": comment.target_type, "target_id": record.id},
    )
    if parent_id is not None:
        _tell_parent_author(record, comment, db.session.get(Comment, parent_id))
    return comment


def _tell_parent_author(record: Any, reply: Comment, parent: Comment | None) -> None:
    """comment_reply to the author of the comment answered, if they may still read the thread
    (an active member the record's rule lets see it); never to oneself."""
    author_id = parent.author_id if parent is not None else None
    if author_id is None or author_id == reply.author_id:
        return
    membership = db.session.scalar(
        select(Membership)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.project_id == record.project_id,
            Membership.user_id == author_id,
            User.active.is_(True),
        )
    )
    if membership is None or not can_read(membership, record):
        return
    slug = db.session.get(Project, record.project_id).slug
    record_type = links.type_of(record)
    # path_for, not url_for: comments are also written outside a request (the demo, imports).
    path = events.path_for(record_type.endpoint, slug=slug, **{record_type.id_arg: record.id})
    events.emit(
        events.Event(
            "comment_reply",
            record.project_id,
            (author_id,),
            {"record_type": reply.target_type},
            f"{path}#comment-{reply.id}",
            dedupe=f"comment_reply:{reply.id}",
            actor_id=reply.author_id,
        )
    )


def can_edit(user: Any, comment: Comment) -> bool:
    return not comment.deleted and comment.author_id == getattr(user, "id", None)


def edit(comment: Comment, body: str) -> None:
    comment.body = body
    comment.html = render_markdown(body)
    comment.edited_at = utcnow()
    audit.record("comment_edited", comment, project=comment.project_id)


def delete_comment(comment: Comment) -> None:
    """Soft delete: replies under it stay readable; the text is gone."""
    comment.deleted = True
    comment.body = ""
    comment.html = ""
    audit.record("comment_deleted", comment, project=comment.project_id)


def set_hidden(comment: Comment, hidden: bool, by: Any) -> None:
    comment.hidden = hidden
    comment.hidden_by_id = by.id if hidden else None
    audit.record(
        "comment_hidden" if hidden else "comment_shown", comment, project=comment.project_id
    )


def delete_all_for(record: Any) -> None:
    """Forget the comments of a record that is being deleted."""
    for comment in db.session.scalars(
        select(Comment).where(
            Comment.target_type == target_name(record), Comment.target_id == record.id
        )
    ):
        db.session.delete(comment)


def search_comments(project: Any, membership: Any, terms: list[str], limit: int) -> list[Any]:
    """Search provider: comments whose record the member may read."""
    rows = list(
        db.session.scalars(
            select(Comment)
            .where(
                Comment.project_id == project.id,
                Comment.deleted.is_(False),
                Comment.hidden.is_(False),
                Comment.target_type.not_in(excluded() or {""}),
                search.matches([Comment.body], terms),
            )
            .order_by(Comment.created_at.desc())
            .limit(limit * 3)
        )
    )
    # Load the commented records with one query per type, keeping those the member may read.
    by_type: dict[str, set[int]] = defaultdict(set)
    for comment in rows:
        by_type[comment.target_type].add(comment.target_id)
    readable: dict[tuple[str, int], Any] = {}
    for type_name, ids in by_type.items():
        record_type = links.record_types().get(type_name)
        if record_type is None:
            continue
        model = record_type.model
        for record in db.session.scalars(select(model).where(model.id.in_(ids))):
            if record.project_id == project.id and record_type.visible(membership, record):
                readable[(type_name, record.id)] = record
    hits = []
    for comment in rows:
        record = readable.get((comment.target_type, comment.target_id))
        if record is None:
            continue
        record_type = links.record_types()[comment.target_type]
        hits.append(
            search.Hit(
                type="comment",
                id=comment.id,
                title=record_type.label(record),
                url=record_type.url(record, project.slug) + f"#comment-{comment.id}",
                snippet=search.snippet(plain_text(comment.body), terms),
                when=comment.created_at,
                extra={"on": record_type.name},
            )
        )
        if len(hits) >= limit:
            break
    return hits
