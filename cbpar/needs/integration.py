"""How needs plug into shared features: links, search and the project home page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, url_for
from flask_babel import lazy_gettext as _l

from cbpar import events, links, search
from cbpar.batch import Batch
from cbpar.db import db
from cbpar.needs import ballots, notices, services, vote_rounds
from cbpar.needs.models import Need, VoteRound
from cbpar.projects.services import register_home_panel
from cbpar.security import Cap, membership_can
from cbpar.text import plain_text

HOME_POSITION = 20  # after meetings


def _need_visible(membership: Any, need: Need) -> bool:
    if services.can_see_all_needs(membership):
        return True
    return membership_can(membership, Cap.VIEW_PROJECT) and need.status in services.PUBLIC_STATUSES


def home_panel(project: Any, membership: Any, batch: Batch) -> Callable[[], Any] | None:
    """Open votes, flagged for the member when they may still vote."""
    if not membership_can(membership, Cap.VIEW_PROJECT):
        return None
    took_sheet = vote_rounds.took_sheet_clause(membership.user_id).label("took_sheet")
    shown = (VoteRound.id, VoteRound.title, VoteRound.closes_at, VoteRound.eligible_roles)
    found = batch.rows(vote_rounds.open_rounds_query(project).with_only_columns(*shown, took_sheet))

    def content() -> tuple[str, dict[str, Any]] | None:
        if not found.value:
            return None
        rounds = [
            (VoteRound(**{k: v for k, v in row.items() if k != "took_sheet"}), row["took_sheet"])
            for row in found.value
        ]
        eligible = [r for r, _sheet in rounds if vote_rounds.can_vote(membership, r)]
        # Who took a paper sheet votes on paper; the others' online ballots in one statement.
        online = ballots.rounds_voted(
            [r.id for r, sheet in rounds if r in eligible and not sheet], membership.user
        )
        items = [
            {
                "round": r,
                "can_vote": r in eligible,
                "voted": r in eligible and (sheet or r.id in online),
            }
            for r, sheet in rounds
        ]
        # An open round the member may still vote in puts this panel first on the overview.
        awaited = any(item["can_vote"] and not item["voted"] for item in items)
        return "needs/_home_panel.html", {"items": items, "first": awaited, "now": "vote"}

    return content


def search_needs(project: Any, membership: Any, terms: list[str], limit: int) -> list[search.Hit]:
    query = services.needs_query(project, membership).where(
        search.matches([Need.title, Need.description], terms)
    )
    hits = []
    for need in db.session.scalars(query.limit(limit)):
        hits.append(
            search.Hit(
                "need",
                need.id,
                need.title,
                url_for("needs.need", slug=project.slug, need_id=need.id),
                search.snippet(plain_text(need.description) or need.title, terms),
                need.updated_at,
            )
        )
    return hits


def init_app(app: Flask) -> None:
    links.register(
        app,
        links.RecordType(
            "need", Need, lambda n: n.title, "needs.need", "need_id", _need_visible,
            lambda: str(_l("Need")),
        ),
        links.RecordType(
            "vote_round", VoteRound, lambda r: r.title, "needs.vote", "round_id",
            links.needs(Cap.VIEW_PROJECT), lambda: str(_l("Vote")),
        ),
    )  # fmt: skip
    search.register(app, "need", search_needs)
    register_home_panel(app, home_panel, HOME_POSITION)
    events.register_reminders(app, notices.reminders)
