"""What memos contribute to shared features: memos as linkable records with attachments,
memo search, the home page's recent memos, and the template helpers record pages use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, g
from flask_babel import lazy_gettext as _l

from cbpar import links, search
from cbpar.attachments import services as attachment_services
from cbpar.batch import Batch
from cbpar.memos import services
from cbpar.memos.models import Memo
from cbpar.projects.services import register_home_panel
from cbpar.security import Cap, membership_can

HOME_POSITION = 30  # after meetings and needs, before initiatives


def memos_about(record: Any) -> list[Any]:
    """For any record page: the memos (and interviews) linked to it that this member may see."""
    return services.memos_about(record, g.get("membership"))


def home_panel(project: Any, membership: Any, batch: Batch) -> Callable[[], Any] | None:
    if not membership_can(membership, Cap.SEE_COMMUNITY_MEMOS):
        return None
    recent = services.list_query(project, membership).limit(5)
    shown = (Memo.id, Memo.title, Memo.kind, Memo.updated_at)
    memos = batch.rows(recent.with_only_columns(*shown), Memo)
    return lambda: ("memos/_home_panel.html", {"memos": memos.value})


def init_app(app: Flask) -> None:
    links.register(
        app,
        links.RecordType(
            "memo",
            Memo,
            lambda m: m.title,
            "memos.view",
            "memo_id",
            lambda membership, memo: memo is not None and services.can_see(membership, memo),
            lambda: str(_l("Memo")),
        ),
    )
    search.register(app, "memo", services.search_memos)
    attachment_services.register_target(app, "memo", services.can_see, services.can_edit)
    register_home_panel(app, home_panel, HOME_POSITION)
    app.add_template_global(memos_about, "memos_about")
    app.add_template_global(search.highlight, "search_highlight")
