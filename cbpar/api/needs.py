"""Needs and vote endpoints of the JSON API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort, g, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from cbpar.access import require, require_login
from cbpar.api import bp, idempotency, writing
from cbpar.api.responses import error, json_response
from cbpar.db import db
from cbpar.needs import ballots, services, vote_rounds
from cbpar.needs.forms import NeedForm
from cbpar.needs.models import Need, NeedCategory, VoteMethod, VoteRound
from cbpar.projects.models import Project
from cbpar.projects.services import load_for_member
from cbpar.security import Cap, membership_can


def round_json(vote: VoteRound, project: Project) -> dict[str, Any]:
    """A round and its turnout in numbers; never a ballot (those only after the close, from
    the results and the shuffled downloads)."""
    turnout = vote_rounds.turnout(vote)
    return {
        "id": vote.id,
        "title": vote.title,
        "method": vote.method.value,
        "state": vote_rounds.state(vote),
        "opens_at": vote.opens_at.isoformat(),
        "closes_at": vote.closes_at.isoformat(),
        "closed_at": vote.closed_at.isoformat() if vote.closed_at else None,
        "eligible_roles": list(vote.eligible_roles or []),
        "paper_ballots": vote.paper_ballots,
        "guest_sheets": vote.guest_sheets,
        "approval_limit": vote.approval_limit,
        "meeting_id": vote.meeting_id,
        "options": [
            {"id": o.need_id, "letter": o.letter, "title": o.need.title} for o in vote.options
        ],
        "ballots_cast": turnout.ballots,
        "turnout": {
            "online": turnout.online,
            "paper": turnout.paper,
            "sheets_to_members": turnout.member_sheets,
            "sheets_to_guests": turnout.guest_sheets,
            "eligible": turnout.eligible,
            "guests_allowed": turnout.guests_allowed,
        },
        "url": url_for("needs.vote", slug=project.slug, round_id=vote.id, _external=True),
    }


def need_json(need: Need, project: Project) -> dict[str, Any]:
    return {
        "id": need.id,
        "title": need.title,
        "description": need.description,
        "status": need.status.value,
        "category": need.category.value,
        "villages": [v.name for v in need.villages],
        "village_ids": [v.id for v in need.villages],
        "url": url_for("needs.need", slug=project.slug, need_id=need.id, _external=True),
    }


NEED_FIELDS = ("title", "description", "category", "village_ids")


def _propose(project: Project):
    """Propose a need (NeedForm's checks; committee members may propose), once per client_id."""
    body = writing.json_body()
    client_id = idempotency.client_id_of(body)
    found = idempotency.existing(project, "need", client_id)
    created = False
    if found is None:
        writing.check_fields(body, NEED_FIELDS, ("id", "status", "villages", "url"))
        values = {"category": NeedCategory.OTHER.value, **body}
        form = writing.bind(NeedForm, values)
        form.village_ids.choices = [SelectChoice(v.id, v.name) for v in project.villages]
        writing.add_errors(form, {}, form.validate())
        found, created = idempotency.create_once(
            project,
            "need",
            client_id,
            lambda: services.create_need(project, form.data, current_user),
        )
    need = services.get_need(project, found, g.membership) or abort(404)
    return writing.answer(
        need_json(need, project),
        201 if created else 200,
        url_for("needs.need", slug=project.slug, need_id=need.id, _external=True),
    )


@bp.route("/projects/<slug>/needs", methods=["GET", "POST"])
@require(Cap.VIEW_PROJECT, write=Cap.PROPOSE_NEEDS)
def needs_list(project: Project):
    if request.method == "POST":
        return _propose(project)
    items = [
        {
            "id": n.id,
            "title": n.title,
            "status": n.status.value,
            "category": n.category.value,
            "villages": [v.name for v in n.villages],
            "url": url_for("needs.need", slug=project.slug, need_id=n.id, _external=True),
        }
        for n in db.session.scalars(services.needs_query(project, g.membership).limit(1000))
    ]
    return json_response({"needs": items, "count": len(items)}, request)


def _time(body: dict[str, Any], name: str) -> datetime:
    raw = body.get(name)
    if not isinstance(raw, str):
        raise ValueError(name)
    value = datetime.fromisoformat(raw)
    if value.tzinfo is None:
        raise ValueError(name)
    return value


@bp.route("/projects/<slug>/votes", methods=["GET", "POST"])
@require(Cap.VIEW_PROJECT, write=Cap.MANAGE_VOTES)
def votes_list(project: Project):
    if request.method == "POST":
        if not membership_can(g.membership, Cap.MANAGE_VOTES):
            return error(None, "only coordinators and researchers create vote rounds", 403)
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return error(None, "send a JSON object")
        if not isinstance(body.get("title"), str) or not body["title"].strip():
            return error("title", "a title is required")
        if body.get("method") not in {m.value for m in VoteMethod}:
            return error("method", "method is one of borda, schulze, irv, approval")
        options = body.get("options")
        if not isinstance(options, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in options
        ):
            return error("options", "options is a list of need ids")
        try:
            opens_at, closes_at = _time(body, "opens_at"), _time(body, "closes_at")
        except ValueError as exc:
            return error(str(exc).split(":")[0] or None, "times are ISO 8601 with a time zone")
        data = {
            "title": body["title"],
            "description": body.get("description") or "",
            "method": body["method"],
            "need_ids": options,
            "eligible_roles": body.get("eligible_roles") or [],
            "paper_ballots": bool(body.get("paper_ballots")),
            "guest_sheets": body.get("guest_sheets") or 0,
            "approval_limit": body.get("approval_limit"),
            "meeting_id": body.get("meeting_id"),
            "opens_at": opens_at,
            "closes_at": closes_at,
        }
        try:
            vote = vote_rounds.create_round(project, data, current_user)
        except vote_rounds.RoundError as exc:
            return error(None, str(exc))
        response = json_response(round_json(vote, project), request, status=201)
        response.headers["Location"] = url_for("api.vote_round", round_id=vote.id, _external=True)
        return response
    items = [
        {"id": r.id, "title": r.title, "method": r.method.value, "state": vote_rounds.state(r)}
        for r in db.session.scalars(vote_rounds.rounds_query(project).limit(1000))
    ]
    return json_response({"votes": items, "count": len(items)}, request)


def _load(round_id: int) -> tuple[VoteRound, Project]:
    """The round, if the caller is a member of its project; 404 otherwise (no leaks)."""
    vote = db.session.get(VoteRound, round_id) or abort(404)
    project = db.session.get(Project, vote.project_id)
    project, membership = load_for_member(project.slug, current_user)
    if project is None or not membership_can(membership, Cap.VIEW_PROJECT):
        abort(404)
    g.project, g.membership = project, membership
    return vote, project


@bp.route("/votes/<int:round_id>")
@require_login
def vote_round(round_id: int):
    vote, project = _load(round_id)
    return json_response(round_json(vote, project), request, cache_control="no-store")


@bp.route("/votes/<int:round_id>/close", methods=["POST"])
@require_login
def vote_close(round_id: int):
    vote, project = _load(round_id)
    if not membership_can(g.membership, Cap.MANAGE_VOTES):
        return error(None, "only coordinators and researchers close vote rounds", 403)
    vote_rounds.close_round(vote, current_user)
    return json_response(round_json(vote, project), request, cache_control="no-store")


@bp.route("/votes/<int:round_id>/ballot", methods=["POST"])
@require_login
def vote_ballot(round_id: int):
    vote, _project = _load(round_id)
    if not vote_rounds.can_vote(g.membership, vote):
        return error(None, "you may not vote in this round", 403)
    if vote_rounds.state(vote) != "open":
        return error(None, "this round is not open", 409)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error(None, "send a JSON object")
    key = "approve" if vote.method == VoteMethod.APPROVAL else "ranking"
    if key not in body:
        return error(key, f"send {{{key!r}: [need ids]}}")
    choices = body[key]
    if not isinstance(choices, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in choices
    ):
        return error(key, "a list of need ids")
    try:
        receipt = ballots.cast_ballot(vote, g.membership, choices)
    except vote_rounds.TookPaperSheet as exc:
        return error(None, str(exc), 409)
    except vote_rounds.BallotError as exc:
        return error(key, str(exc))
    except vote_rounds.RoundNotOpen:
        return error(None, "this round is not open", 409)
    except vote_rounds.NotEligible:
        return error(None, "you may not vote in this round", 403)
    return json_response({"receipt": receipt, "round": vote.id}, request, status=201,
                         cache_control="no-store")  # fmt: skip


@bp.route("/votes/<int:round_id>/results")
@require_login
def vote_results(round_id: int):
    vote, _project = _load(round_id)
    result = vote_rounds.result_of(vote)
    if result is None:
        return error(None, "results are published when the round closes", 409)
    body = {
        "method": result["method"],
        "ranking": result["ranking"],
        "ballots_cast": result["ballots_cast"],
        "details": result["details"],
        "by_method": result["by_method"],
    }
    return json_response(body, request)
