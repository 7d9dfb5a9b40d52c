"""What comments contribute to shared features: comment search, and the thread helpers every
record page's templates/comments/_thread.html uses."""

from __future__ import annotations

from typing import Any

from flask import Flask, g

from cbpar import links, search
from cbpar.comments import services


def comment_thread(record: Any) -> list[services.Entry] | None:
    """For templates: the comments on `record` (empty if the member may not read them)."""
    if not services.can_read(g.membership, record):
        return None
    return services.thread(record)


def comment_target_name(record: Any) -> str:
    return links.type_of(record).name


def init_app(app: Flask) -> None:
    search.register(app, "comment", services.search_comments)
    app.add_template_global(comment_thread, "comment_thread")
    app.add_template_global(comment_target_name, "comment_target_name")
