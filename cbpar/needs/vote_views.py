"""Vote pages: rounds, the ballot with its review step, closing, results and exports, confirming
the top needs. Paper ballots and the sign-in list are in `paper_views`."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from cbpar import audit, csvout
from cbpar.access import require
from cbpar.db import writes
from cbpar.forms import check_button
from cbpar.meetings import services as meetings
from cbpar.needs import ballot_exports, ballots, bp, lookups, vote_rounds
from cbpar.needs.forms import (
    RoundForm,
)
from cbpar.needs.models import METHOD_REWARDS, VoteMethod, VoteRound, letter
from cbpar.needs.results import outcome, results_csv, results_tables
from cbpar.projects.models import Project
from cbpar.security import Cap
from cbpar.web import invalid, no_store, page_number, paginate


def round_or_404(project: Project, round_id: int) -> VoteRound:
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
        return invalid(
            "needs/vote_form.html", project=project, form=form, error=error, rewards=METHOD_REWARDS
        )
    return render_template(
        "needs/vote_form.html", project=project, form=form, error=None, rewards=METHOD_REWARDS
    )


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


def _vote_page(
    project: Project, vote: VoteRound, draft: list[int] | None = None, **extra: Any
) -> dict[str, Any]:
    """The vote page's context; `draft` is a ballot being changed (shown instead of the one
    cast, so "Change" on the review step brings back what the voter chose)."""
    mine = None
    can_vote = vote_rounds.can_vote(g.membership, vote)
    took_sheet = can_vote and vote_rounds.took_sheet(vote, current_user.id)
    if can_vote:
        ballot = ballots.my_ballot(vote, current_user)
        mine = ballot.choices if ballot is not None else None
    shown = draft if draft is not None else (mine or [])
    approval = vote.method == VoteMethod.APPROVAL
    ranks = {} if approval else {need_id: i + 1 for i, need_id in enumerate(shown)}
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
        "approved": set(shown) if approval else set(),
        "sorted_options": sorted_options,
        "ballots_cast": vote_rounds.ballots_cast(vote),
        "eligible": vote_rounds.eligible_count(vote),
        "meeting": lookups.meeting_of(vote),
        "letter": letter,
        **extra,
    }


@bp.route("/projects/<slug>/votes/guide")
@require(Cap.VIEW_PROJECT)
def guide(project: Project):
    return render_template(
        "needs/voting_guide.html", project=project, methods=VoteMethod, rewards=METHOD_REWARDS
    )


@bp.route("/projects/<slug>/votes/<int:round_id>")
@require(Cap.VIEW_PROJECT)
def vote(project: Project, round_id: int):
    item = round_or_404(project, round_id)
    return no_store(render_template("needs/vote.html", **_vote_page(project, item)))


def _ballot_gate(project: Project, vote: VoteRound) -> Response | None:
    """409 unless the round is open, 403 unless this member may vote in it."""
    check_button()
    if vote_rounds.state(vote) != "open":
        page = _vote_page(project, vote, error=_("This vote is not open."))
        return no_store(render_template("needs/vote.html", **page), 409)
    if not vote_rounds.can_vote(g.membership, vote):
        abort(403)
    return None


@bp.route("/projects/<slug>/votes/<int:round_id>/review", methods=["POST"])
@require(Cap.VOTE)
def review(project: Project, round_id: int):
    """The ballot as it will be counted, before it is cast: nothing is stored yet. The choices
    ride in the review page's form, so this works without JavaScript."""
    item = round_or_404(project, round_id)
    refused = _ballot_gate(project, item)
    if refused is not None:
        return refused
    choices, error = parse_ballot(item, request.form)
    if error is None and vote_rounds.took_sheet(item, current_user.id):
        error = _(
            "You took a paper ballot sheet for this vote, so your vote is on paper: "
            "you cannot also vote online."
        )
    if error is None:
        try:
            checked = ballots.review(item, choices)
        except vote_rounds.BallotError as exc:
            error = str(exc)
        else:
            replaces = ballots.my_ballot(item, current_user) is not None
            return no_store(
                render_template(
                    "needs/review.html",
                    project=project,
                    vote=item,
                    review=checked,
                    replaces=replaces,
                )
            )
    return invalid("needs/vote.html", **_vote_page(project, item, draft=choices, error=error))


@bp.route("/projects/<slug>/votes/<int:round_id>/ballot", methods=["POST"])
@require(Cap.VOTE)
def cast(project: Project, round_id: int):
    item = round_or_404(project, round_id)
    refused = _ballot_gate(project, item)
    if refused is not None:
        return refused
    choices, error = parse_ballot(item, request.form)
    if error is None and request.form.get("step") == "change":
        # "Change" on the review step: the ballot again, as the voter left it.
        return no_store(render_template("needs/vote.html", **_vote_page(project, item, choices)))
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
    return invalid("needs/vote.html", **_vote_page(project, item, draft=choices, error=error))


def _receipt_key(vote: VoteRound) -> str:
    return f"receipt:{vote.id}"


@bp.route("/projects/<slug>/votes/<int:round_id>/receipt")
@require(Cap.VOTE)
def receipt(project: Project, round_id: int):
    item = round_or_404(project, round_id)
    code = session.get(_receipt_key(item))
    if not code:
        return redirect(url_for("needs.vote", slug=project.slug, round_id=item.id))
    return no_store(render_template("needs/receipt.html", project=project, vote=item, receipt=code))


@bp.route("/projects/<slug>/votes/<int:round_id>/close", methods=["GET", "POST"])
@require(Cap.MANAGE_VOTES)
def close(project: Project, round_id: int):
    """GET: the question (how many members have not voted yet, a count only); POST with
    confirm=yes: close and count. A POST without it changes nothing and asks first."""
    item = round_or_404(project, round_id)
    if item.closed_at is not None:
        return redirect(url_for("needs.results", slug=project.slug, round_id=item.id))
    if request.method == "POST":
        check_button()
        if request.form.get("confirm") == "yes":
            if vote_rounds.close_round(item, current_user):
                flash(_("The vote is closed and counted."), "success")
            return redirect(url_for("needs.results", slug=project.slug, round_id=item.id))
        return redirect(url_for("needs.close", slug=project.slug, round_id=item.id), code=303)
    return no_store(
        render_template(
            "needs/close_confirm.html",
            project=project,
            vote=item,
            state=vote_rounds.state(item),
            not_voted=vote_rounds.not_voted_count(item),
            turnout=vote_rounds.turnout(item),
        )
    )


def _titles(vote: VoteRound) -> dict[int, str]:
    return {o.need_id: o.need.title for o in vote.options}


@bp.route("/projects/<slug>/votes/<int:round_id>/results")
@require(Cap.VIEW_PROJECT)
def results(project: Project, round_id: int):
    item = round_or_404(project, round_id)
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
        outcome=outcome(result, _titles(item)),
    )


@bp.route("/projects/<slug>/votes/<int:round_id>/results.csv")
@writes
@require(Cap.VIEW_PROJECT)
def results_download(project: Project, round_id: int):
    item = round_or_404(project, round_id)
    result = vote_rounds.result_of(item)
    if result is None:
        abort(409)
    body = results_csv(result, vote_rounds.option_letters(item), _titles(item))
    audit.record_export(project, "vote_results", "csv", len(item.options))
    return csvout.response(body, f"{project.slug}-vote-{item.id}-results.csv")


@bp.route("/projects/<slug>/votes/<int:round_id>/receipts")
@require(Cap.VIEW_PROJECT)
def receipts(project: Project, round_id: int):
    item = round_or_404(project, round_id)
    if not vote_rounds.is_closed(item):
        abort(409)
    return render_template(
        "needs/receipts.html", project=project, vote=item, receipts=ballot_exports.receipts(item)
    )


@bp.route("/projects/<slug>/votes/<int:round_id>/ballots.<fmt>")
@writes
@require(Cap.VIEW_PROJECT)
def ballots_download(project: Project, round_id: int, fmt: str):
    item = round_or_404(project, round_id)
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
    """Two steps: the ticked needs are shown with the question; only the answer with
    confirm=yes marks them confirmed (and records the meeting's decision)."""
    item = round_or_404(project, round_id)
    check_button()
    ids = [int(x) for x in request.form.getlist("need_id") if x.isdigit()]
    try:
        if request.form.get("confirm") != "yes":
            chosen = vote_rounds.needs_to_confirm(item, ids)
            return no_store(
                render_template(
                    "needs/confirm_needs.html",
                    project=project,
                    vote=item,
                    needs=chosen,
                    meeting=lookups.meeting_of(item),
                )
            )
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
