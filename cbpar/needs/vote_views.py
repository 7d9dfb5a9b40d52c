"""Vote pages: rounds, ballots, paper ballots and the sign-in list, results and exports."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from cbpar import audit, csvout
from cbpar.access import require
from cbpar.db import writes
from cbpar.forms import check_button
from cbpar.meetings import services as meetings
from cbpar.needs import ballot_exports, ballots, bp, lookups, paper_ballots, vote_rounds
from cbpar.needs.forms import (
    GuestSheetsForm,
    PaperSheetForm,
    RoundForm,
)
from cbpar.needs.models import VoteMethod, VoteRound, letter
from cbpar.needs.results import results_tables
from cbpar.projects.models import Membership, Project
from cbpar.security import Cap
from cbpar.web import form_page, invalid, no_store, page_number, paginate


def _round(project: Project, round_id: int) -> VoteRound:
    return vote_rounds.get_round(project, round_id) or abort(404)


# --- vote rounds -----------------------------------------------------------------------------


@bp.route("/projects/<slug>/votes")
@require(Cap.VIEW_PROJECT)
def votes(project: Project):
    page = paginate(vote_rounds.rounds_query(project), page_number(request.args.get("page")), 30)
    return no_store(
        render_template("needs/votes.html", project=project, page=page, state=vote_rounds.state)
    )


def _round_form(project: Project) -> RoundForm:
    form = RoundForm()
    form.need_ids.choices = [SelectChoice(n.id, n.title) for n in lookups.round_needs(project)]
    form.meeting_id.choices = [SelectChoice(0, _("None"))] + [
        SelectChoice(m.id, m.title) for m in lookups.recent_meetings(project)
    ]
    return form


@bp.route("/projects/<slug>/votes/new", methods=["GET", "POST"])
@require(Cap.MANAGE_VOTES)
def new_vote(project: Project):
    form = _round_form(project)
    error = None
    if form.validate_on_submit():
        data = dict(form.data)
        data["opens_at"] = meetings.to_utc(form.opens_at.data, project)
        data["closes_at"] = meetings.to_utc(form.closes_at.data, project)
        try:
            vote = vote_rounds.create_round(project, data, current_user)
        except vote_rounds.RoundError as exc:
            error = str(exc)
        else:
            flash(_("Vote round created."), "success")
            return redirect(url_for("needs.vote", slug=project.slug, round_id=vote.id))
    if form.is_submitted():
        return invalid("needs/vote_form.html", project=project, form=form, error=error)
    return render_template("needs/vote_form.html", project=project, form=form, error=None)


def parse_ballot(vote: VoteRound, form: Any) -> tuple[list[int] | None, str | None]:
    """The ballot from the form: approvals, or one rank select per need ("" = not ranked)."""
    if vote.method == VoteMethod.APPROVAL:
        return [int(x) for x in form.getlist("approve") if x.isdigit()], None
    ranks: dict[int, int] = {}
    for option in vote.options:
        raw = (form.get(f"rank_{option.need_id}") or "").strip()
        if not raw:
            continue
        if not raw.isdigit() or not 1 <= int(raw) <= len(vote.options):
            return None, _("Ranks are numbers from 1 to %(n)d.", n=len(vote.options))
        if int(raw) in ranks.values():
            return None, _("Two needs have rank %(rank)s: give each a different rank.", rank=raw)
        ranks[option.need_id] = int(raw)
    return sorted(ranks, key=ranks.__getitem__), None


def _vote_page(project: Project, vote: VoteRound, **extra: Any) -> dict[str, Any]:
    mine = None
    can_vote = vote_rounds.can_vote(g.membership, vote)
    took_sheet = can_vote and vote_rounds.took_sheet(vote, current_user.id)
    if can_vote:
        ballot = ballots.my_ballot(vote, current_user)
        mine = ballot.choices if ballot is not None else None
    ranks = {need_id: i + 1 for i, need_id in enumerate(mine or [])}
    if vote.method == VoteMethod.APPROVAL:
        ranks = {}
    sorted_options = sorted(
        vote.options, key=lambda o: (ranks.get(o.need_id, len(ranks) + 1), o.position)
    )
    return {
        "project": project,
        "vote": vote,
        "state": vote_rounds.state(vote),
        "can_vote": can_vote,
        "took_sheet": took_sheet,
        "mine": mine,
        "ranks": ranks,
        "sorted_options": sorted_options,
        "ballots_cast": vote_rounds.ballots_cast(vote),
        "eligible": vote_rounds.eligible_count(vote),
        "meeting": lookups.meeting_of(vote),
        "letter": letter,
        **extra,
    }


@bp.route("/projects/<slug>/votes/<int:round_id>")
@require(Cap.VIEW_PROJECT)
def vote(project: Project, round_id: int):
    item = _round(project, round_id)
    return no_store(render_template("needs/vote.html", **_vote_page(project, item)))


@bp.route("/projects/<slug>/votes/<int:round_id>/ballot", methods=["POST"])
@require(Cap.VOTE)
def cast(project: Project, round_id: int):
    item = _round(project, round_id)
    check_button()
    if vote_rounds.state(item) != "open":
        return no_store(
            render_template(
                "needs/vote.html", **_vote_page(project, item, error=_("This vote is not open."))
            ),
            409,
        )
    if not vote_rounds.can_vote(g.membership, item):
        abort(403)
    choices, error = parse_ballot(item, request.form)
    if error is None:
        try:
            receipt = ballots.cast_ballot(item, g.membership, choices)
        except vote_rounds.RoundNotOpen:
            error = _("This vote is not open.")
        except vote_rounds.BallotError as exc:
            error = str(exc)
        else:
            # Post/redirect/get: the receipt is the voter's secret, so it rides in their
            # session (never in the URL) and survives a reload or a language switch.
            session[_receipt_key(item)] = receipt
            return redirect(url_for("needs.receipt", slug=project.slug, round_id=item.id), code=303)
    return invalid("needs/vote.html", **_vote_page(project, item, error=error))


def _receipt_key(vote: VoteRound) -> str:
    return f"receipt:{vote.id}"


@bp.route("/projects/<slug>/votes/<int:round_id>/receipt")
@require(Cap.VOTE)
def receipt(project: Project, round_id: int):
    item = _round(project, round_id)
    code = session.get(_receipt_key(item))
    if not code:
        return redirect(url_for("needs.vote", slug=project.slug, round_id=item.id))
    return no_store(render_template("needs/receipt.html", project=project, vote=item, receipt=code))


@bp.route("/projects/<slug>/votes/<int:round_id>/close", methods=["POST"])
@require(Cap.MANAGE_VOTES)
def close(project: Project, round_id: int):
    item = _round(project, round_id)
    check_button()
    if vote_rounds.close_round(item, current_user):
        flash(_("The vote is closed and counted."), "success")
    return redirect(url_for("needs.results", slug=project.slug, round_id=item.id))


def _titles(vote: VoteRound) -> dict[int, str]:
    return {o.need_id: o.need.title for o in vote.options}


@bp.route("/projects/<slug>/votes/<int:round_id>/results")
@require(Cap.VIEW_PROJECT)
def results(project: Project, round_id: int):
    item = _round(project, round_id)
    result = vote_rounds.result_of(item)
    if result is None:
        return no_store(
            render_template("needs/vote.html", **_vote_page(project, item, hidden=True)), 409
        )
    return render_template(
        "needs/results.html",
        project=project,
        vote=item,
        result=result,
        tables=results_tables(result, VoteMethod),
        methods=VoteMethod,
        titles=_titles(item),
        letters=vote_rounds.option_letters(item),
        meeting=lookups.meeting_of(item),
        turnout=vote_rounds.turnout(item),
    )


@bp.route("/projects/<slug>/votes/<int:round_id>/receipts")
@require(Cap.VIEW_PROJECT)
def receipts(project: Project, round_id: int):
    item = _round(project, round_id)
    if not vote_rounds.is_closed(item):
        abort(409)
    return render_template(
        "needs/receipts.html", project=project, vote=item, receipts=ballot_exports.receipts(item)
    )


@bp.route("/projects/<slug>/votes/<int:round_id>/ballots.<fmt>")
@writes
@require(Cap.VIEW_PROJECT)
def ballots_download(project: Project, round_id: int, fmt: str):
    item = _round(project, round_id)
    if not vote_rounds.is_closed(item):
        abort(409)
    name = f"{project.slug}-vote-{item.id}"
    if fmt == "csv":
        body = ballot_exports.ballots_csv(item)
    elif fmt in ("soi", "toi"):
        kind, body = ballot_exports.ballots_preflib(item, project)
        if kind != fmt:
            return redirect(
                url_for("needs.ballots_download", slug=project.slug, round_id=item.id, fmt=kind)
            )
    else:
        abort(404)
    # Which round and format, never who downloaded what they voted.
    audit.record_export(
        project, f"ballots of vote round {item.id}", fmt, vote_rounds.ballots_cast(item)
    )
    if fmt == "csv":
        return csvout.response(body, f"{name}.csv")
    return Response(
        body,
        mimetype="text/plain",
        headers={
            "Content-Disposition": f'attachment; filename="{name}.{fmt}"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/projects/<slug>/votes/<int:round_id>/confirm", methods=["POST"])
@require(Cap.MANAGE_VOTES)
def confirm(project: Project, round_id: int):
    item = _round(project, round_id)
    check_button()
    ids = [int(x) for x in request.form.getlist("need_id") if x.isdigit()]
    try:
        done = vote_rounds.confirm_top(item, ids, current_user)
    except vote_rounds.RoundError as exc:
        flash(str(exc), "error")
    else:
        flash(
            _("%(n)d needs confirmed.", n=len(done.needs))
            + (" " + _("Recorded as a decision of the meeting.") if done.decision else ""),
            "success",
        )
    return redirect(url_for("needs.results", slug=project.slug, round_id=item.id))


# --- paper ballots ---------------------------------------------------------------------------


@bp.route("/projects/<slug>/votes/<int:round_id>/paper", methods=["GET", "POST"])
@require(Cap.MANAGE_VOTES)
def paper(project: Project, round_id: int):
    item = _round(project, round_id)
    form = PaperSheetForm()
    error = None
    if form.validate_on_submit():
        choices, error = parse_ballot(item, request.form)
        if error is None:
            try:
                paper_ballots.enter_paper_ballot(item, form.sheet_number.data, choices)
            except vote_rounds.RoundNotOpen:
                error = _("This vote is not open.")
            except vote_rounds.BallotError as exc:
                error = str(exc)
            else:
                flash(_("Sheet %(n)d entered.", n=form.sheet_number.data), "success")
                return redirect(url_for("needs.paper", slug=project.slug, round_id=item.id))
    context = {
        "project": project,
        "vote": item,
        "form": form,
        "error": error,
        "state": vote_rounds.state(item),
        "turnout": vote_rounds.turnout(item),
    }
    return form_page("needs/paper.html", **context)


@bp.route("/projects/<slug>/votes/<int:round_id>/print/<sheet>")
@require(Cap.MANAGE_VOTES)
def print_sheet(project: Project, round_id: int, sheet: str):
    item = _round(project, round_id)
    if sheet not in ("ballot", "tally", "signin"):
        abort(404)
    members = vote_rounds.eligible_members(item) if sheet == "signin" else []
    return no_store(
        render_template(
            f"needs/print_{sheet}.html",
            project=project,
            vote=item,
            rows=range(1, 41),
            members=members,
            meeting=lookups.meeting_of(item),
        )
    )


# --- the sign-in list: who took a paper sheet ------------------------------------------------


def _sheets_page(project: Project, vote: VoteRound, status: int = 200, **extra: Any):
    context = {
        "project": project,
        "vote": vote,
        "state": vote_rounds.state(vote),
        "rows": paper_ballots.sign_in_list(vote),
        "turnout": vote_rounds.turnout(vote),
        "guest_form": extra.pop("guest_form", None) or GuestSheetsForm(formdata=None),
        "error": None,
        **extra,
    }
    return no_store(render_template("needs/sheets.html", **context), status)


def _member(project: Project) -> Membership:
    raw = request.form.get("membership_id", "")
    return lookups.project_member(project, raw) or abort(404)


@bp.route("/projects/<slug>/votes/<int:round_id>/sheets")
@require(Cap.MANAGE_VOTES)
def sheets(project: Project, round_id: int):
    item = _round(project, round_id)
    if not item.paper_ballots:
        abort(404)
    return _sheets_page(project, item)


@bp.route("/projects/<slug>/votes/<int:round_id>/sheets/issue", methods=["POST"])
@require(Cap.MANAGE_VOTES)
def issue_sheet(project: Project, round_id: int):
    item = _round(project, round_id)
    check_button()
    member = _member(project)
    try:
        paper_ballots.issue_sheet(item, member, current_user)
    except vote_rounds.RoundNotOpen:
        return _sheets_page(project, item, 409, error=_("This vote is not open."))
    except vote_rounds.SheetError as exc:
        return _sheets_page(project, item, 422, error=str(exc))
    flash(_("%(name)s took a paper sheet.", name=member.user.name), "success")
    return redirect(url_for("needs.sheets", slug=project.slug, round_id=item.id))


@bp.route("/projects/<slug>/votes/<int:round_id>/sheets/return", methods=["POST"])
@require(Cap.MANAGE_VOTES)
def return_sheet(project: Project, round_id: int):
    item = _round(project, round_id)
    check_button()
    member = _member(project)
    try:
        returned = paper_ballots.return_sheet(item, member, current_user)
    except vote_rounds.RoundNotOpen:
        return _sheets_page(project, item, 409, error=_("This vote is not open."))
    except vote_rounds.SheetError as exc:
        return _sheets_page(project, item, 422, error=str(exc))
    if returned:
        flash(_("The sheet of %(name)s is taken back.", name=member.user.name), "success")
    return redirect(url_for("needs.sheets", slug=project.slug, round_id=item.id))


@bp.route("/projects/<slug>/votes/<int:round_id>/sheets/guests", methods=["POST"])
@require(Cap.MANAGE_VOTES)
def guest_sheets(project: Project, round_id: int):
    item = _round(project, round_id)
    form = GuestSheetsForm()
    if not form.validate_on_submit():
        return _sheets_page(project, item, 422, guest_form=form)
    try:
        paper_ballots.issue_guest_sheets(item, form.number.data, current_user)
    except vote_rounds.RoundNotOpen:
        return _sheets_page(project, item, 409, error=_("This vote is not open."))
    except vote_rounds.SheetError as exc:
        return _sheets_page(project, item, 422, guest_form=form, error=str(exc))
    flash(
        ngettext(
            "%(num)d sheet handed to guests.", "%(num)d sheets handed to guests.", form.number.data
        ),
        "success",
    )
    return redirect(url_for("needs.sheets", slug=project.slug, round_id=item.id))
