"""Needs register and vote pages: propose, evidence, rounds, ballots, paper, results, exports."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from cbpar import audit, csvout
from cbpar.auth.forms import EmptyForm
from cbpar.auth.models import User
from cbpar.db import db, writes
from cbpar.meetings import services as meetings
from cbpar.meetings.models import Meeting
from cbpar.needs import bp, services
from cbpar.needs.forms import (
    EvidenceForm,
    GuestSheetsForm,
    NeedForm,
    PaperSheetForm,
    RoundForm,
    StatusForm,
)
from cbpar.needs.labels import (
    CATEGORY_LABELS,
    METHOD_HELP,
    METHOD_LABELS,
    STATE_LABELS,
    STATUS_LABELS,
)
from cbpar.needs.models import Need, NeedCategory, NeedStatus, VoteMethod, VoteRound, letter
from cbpar.projects.models import Membership, Project
from cbpar.security import Cap, membership_can, require
from cbpar.web import invalid, no_store, page_number, paginate

PER_PAGE = 50


@bp.app_context_processor
def needs_labels() -> dict[str, Any]:
    return {
        "NL": {
            "category": CATEGORY_LABELS,
            "status": STATUS_LABELS,
            "method": METHOD_LABELS,
            "method_help": METHOD_HELP,
            "state": STATE_LABELS,
        }
    }


def _check_button() -> None:
    if not EmptyForm().validate_on_submit():
        abort(400)


def _need(project: Project, need_id: int) -> Need:
    return services.get_need(project, need_id, g.membership) or abort(404)


def _round(project: Project, round_id: int) -> VoteRound:
    return services.get_round(project, round_id) or abort(404)


# --- needs -----------------------------------------------------------------------------------


@bp.route("/projects/<slug>/needs")
@require(Cap.VIEW_PROJECT)
def index(project: Project):
    status = request.args.get("status", "")
    category = request.args.get("category", "")
    status_value = NeedStatus(status) if status in NeedStatus._value2member_map_ else None
    category_value = NeedCategory(category) if category in NeedCategory._value2member_map_ else None
    query = services.needs_query(project, g.membership, status_value, category_value)
    page = paginate(query, page_number(request.args.get("page")), PER_PAGE)
    return no_store(
        render_template(
            "needs/index.html",
            project=project,
            page=page,
            status=status_value,
            category=category_value,
            sees_all=services.sees_all_needs(g.membership),
        )
    )


def _village_choices(form: NeedForm, project: Project) -> None:
    form.village_ids.choices = [SelectChoice(v.id, v.name) for v in project.villages]


@bp.route("/projects/<slug>/needs/new", methods=["GET", "POST"])
@require(Cap.PROPOSE_NEEDS)
def new_need(project: Project):
    form = NeedForm()
    _village_choices(form, project)
    if form.validate_on_submit():
        need = services.create_need(project, form.data, current_user)
        flash(_("Need proposed."), "success")
        return redirect(url_for("needs.need", slug=project.slug, need_id=need.id))
    if form.is_submitted():
        return invalid("needs/need_form.html", project=project, form=form, need=None)
    return render_template("needs/need_form.html", project=project, form=form, need=None)


@bp.route("/projects/<slug>/needs/<int:need_id>")
@require(Cap.VIEW_PROJECT)
def need(project: Project, need_id: int):
    item = _need(project, need_id)
    sees_all = services.sees_all_needs(g.membership)
    evidence_form = None
    if membership_can(g.membership, Cap.PROPOSE_NEEDS):
        evidence_form = EvidenceForm()
        evidence_form.record.choices = _evidence_choices(project)
    status_form = StatusForm(status=item.status.value) if can_manage() else None
    return no_store(
        render_template(
            "needs/need.html",
            project=project,
            need=item,
            sees_all=sees_all,
            evidence=services.evidence(item, g.membership),
            linked_from=services.linked_from(item, g.membership),
            rounds=services.rounds_of_need(item),
            evidence_form=evidence_form,
            status_form=status_form,
            may_edit=services.may_edit_need(item, g.membership, current_user),
            proposer=db.session.get(User, item.proposed_by_id)
            if sees_all and item.proposed_by_id
            else None,
        )
    )


def _evidence_choices(project: Project) -> list[SelectChoice]:
    return [
        SelectChoice(value, label, optgroup=group)
        for group, options in services.evidence_choices(project, g.membership)
        for value, label in options
    ]


def can_manage() -> bool:
    return membership_can(g.get("membership"), Cap.MANAGE_VOTES)


@bp.route("/projects/<slug>/needs/<int:need_id>/edit", methods=["GET", "POST"])
@require(Cap.PROPOSE_NEEDS)
def edit_need(project: Project, need_id: int):
    item = _need(project, need_id)
    if not services.may_edit_need(item, g.membership, current_user):
        abort(403)
    form = NeedForm(obj=item)
    _village_choices(form, project)
    if not form.is_submitted():
        form.village_ids.data = [v.id for v in item.villages]
        form.category.data = item.category.value
    if form.validate_on_submit():
        services.update_need(item, form.data)
        flash(_("Need saved."), "success")
        return redirect(url_for("needs.need", slug=project.slug, need_id=item.id))
    if form.is_submitted():
        return invalid("needs/need_form.html", project=project, form=form, need=item)
    return render_template("needs/need_form.html", project=project, form=form, need=item)


@bp.route("/projects/<slug>/needs/<int:need_id>/status", methods=["POST"])
@require(Cap.MANAGE_VOTES)
def need_status(project: Project, need_id: int):
    item = _need(project, need_id)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    status = NeedStatus(form.status.data)
    reason = (form.reason.data or "").strip()
    if status == NeedStatus.DECLINED and not reason:
        flash(_("Say why the need is declined."), "error")
        return redirect(url_for("needs.need", slug=project.slug, need_id=item.id), 303)
    if services.set_status(item, status, reason):
        flash(_("Status changed."), "success")
    return redirect(url_for("needs.need", slug=project.slug, need_id=item.id))


@bp.route("/projects/<slug>/needs/<int:need_id>/evidence", methods=["POST"])
@require(Cap.PROPOSE_NEEDS)
def add_evidence(project: Project, need_id: int):
    item = _need(project, need_id)
    form = EvidenceForm()
    form.record.choices = _evidence_choices(project)
    record = services.resolve_evidence(project, g.membership, request.form.get("record", ""))
    if not form.validate_on_submit() or record is None:
        flash(_("Choose a record to add as evidence."), "error")
    else:
        services.add_evidence(item, record, current_user)
        flash(_("Evidence added."), "success")
    return redirect(url_for("needs.need", slug=project.slug, need_id=item.id) + "#evidence")


@bp.route("/projects/<slug>/needs/<int:need_id>/evidence/remove", methods=["POST"])
@require(Cap.PROPOSE_NEEDS)
def remove_evidence(project: Project, need_id: int):
    item = _need(project, need_id)
    _check_button()
    if not services.may_edit_need(item, g.membership, current_user):
        abort(403)
    record = services.resolve_evidence(project, g.membership, request.form.get("record", ""))
    if record is not None and services.remove_evidence(item, record):
        flash(_("Evidence removed."), "success")
    return redirect(url_for("needs.need", slug=project.slug, need_id=item.id) + "#evidence")


# --- vote rounds -----------------------------------------------------------------------------


@bp.route("/projects/<slug>/votes")
@require(Cap.VIEW_PROJECT)
def votes(project: Project):
    page = paginate(services.rounds_query(project), page_number(request.args.get("page")), 30)
    return no_store(
        render_template("needs/votes.html", project=project, page=page, state=services.state)
    )


def _round_form(project: Project) -> RoundForm:
    form = RoundForm()
    needs = db.session.scalars(
        select(Need)
        .where(Need.project_id == project.id, Need.status != NeedStatus.DECLINED)
        .order_by(Need.title)
    )
    form.need_ids.choices = [SelectChoice(n.id, n.title) for n in needs]
    recent = db.session.scalars(
        meetings.meetings_query(project).order_by(None).order_by(Meeting.starts_at.desc()).limit(50)
    )
    form.meeting_id.choices = [SelectChoice(0, _("None"))] + [
        SelectChoice(m.id, m.title) for m in recent
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
            vote = services.create_round(project, data, current_user)
        except services.RoundError as exc:
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
    may_vote = services.may_vote(vote, g.membership)
    took_sheet = may_vote and services.took_sheet(vote, current_user.id)
    if may_vote:
        ballot = services.my_ballot(vote, current_user)
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
        "state": services.state(vote),
        "may_vote": may_vote,
        "took_sheet": took_sheet,
        "mine": mine,
        "ranks": ranks,
        "sorted_options": sorted_options,
        "ballots_cast": services.ballots_cast(vote),
        "eligible": services.eligible_count(vote),
        "meeting": db.session.get(Meeting, vote.meeting_id) if vote.meeting_id else None,
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
    _check_button()
    if services.state(item) != "open":
        return no_store(
            render_template(
                "needs/vote.html", **_vote_page(project, item, error=_("This vote is not open."))
            ),
            409,
        )
    if not services.may_vote(item, g.membership):
        abort(403)
    choices, error = parse_ballot(item, request.form)
    if error is None:
        try:
            receipt = services.cast_ballot(item, g.membership, choices)
        except services.RoundNotOpen:
            error = _("This vote is not open.")
        except services.BallotError as exc:
            error = str(exc)
        else:
            return no_store(
                render_template("needs/receipt.html", project=project, vote=item, receipt=receipt)
            )
    return invalid("needs/vote.html", **_vote_page(project, item, error=error))


@bp.route("/projects/<slug>/votes/<int:round_id>/close", methods=["POST"])
@require(Cap.MANAGE_VOTES)
def close(project: Project, round_id: int):
    item = _round(project, round_id)
    _check_button()
    if services.close_round(item, current_user):
        flash(_("The vote is closed and counted."), "success")
    return redirect(url_for("needs.results", slug=project.slug, round_id=item.id))


def _titles(vote: VoteRound) -> dict[int, str]:
    return {o.need_id: o.need.title for o in vote.options}


@bp.route("/projects/<slug>/votes/<int:round_id>/results")
@require(Cap.VIEW_PROJECT)
def results(project: Project, round_id: int):
    item = _round(project, round_id)
    result = services.result_of(item)
    if result is None:
        return no_store(
            render_template("needs/vote.html", **_vote_page(project, item, hidden=True)), 409
        )
    return render_template(
        "needs/results.html",
        project=project,
        vote=item,
        result=result,
        titles=_titles(item),
        letters=services.option_letters(item),
        meeting=db.session.get(Meeting, item.meeting_id) if item.meeting_id else None,
        turnout=services.turnout(item),
    )


@bp.route("/projects/<slug>/votes/<int:round_id>/receipts")
@require(Cap.VIEW_PROJECT)
def receipts(project: Project, round_id: int):
    item = _round(project, round_id)
    if not services.is_closed(item):
        abort(409)
    return render_template(
        "needs/receipts.html", project=project, vote=item, receipts=services.receipts(item)
    )


@bp.route("/projects/<slug>/votes/<int:round_id>/ballots.<fmt>")
@writes
@require(Cap.VIEW_PROJECT)
def ballots_download(project: Project, round_id: int, fmt: str):
    item = _round(project, round_id)
    if not services.is_closed(item):
        abort(409)
    name = f"{project.slug}-vote-{item.id}"
    if fmt == "csv":
        body = services.ballots_csv(item)
    elif fmt in ("soi", "toi"):
        kind, body = services.ballots_preflib(item, project)
        if kind != fmt:
            return redirect(
                url_for("needs.ballots_download", slug=project.slug, round_id=item.id, fmt=kind)
            )
    else:
        abort(404)
    # Which round and format, never who downloaded what they voted.
    audit.record_export(
        project, f"ballots of vote round {item.id}", fmt, services.ballots_cast(item)
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
    _check_button()
    ids = [int(x) for x in request.form.getlist("need_id") if x.isdigit()]
    try:
        done = services.confirm_top(item, ids, current_user)
    except services.RoundError as exc:
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
                services.enter_paper_ballot(item, form.sheet_number.data, choices)
            except services.RoundNotOpen:
                error = _("This vote is not open.")
            except services.BallotError as exc:
                error = str(exc)
            else:
                flash(_("Sheet %(n)d entered.", n=form.sheet_number.data), "success")
                return redirect(url_for("needs.paper", slug=project.slug, round_id=item.id))
    context = {
        "project": project,
        "vote": item,
        "form": form,
        "error": error,
        "state": services.state(item),
        "turnout": services.turnout(item),
    }
    if form.is_submitted():
        return invalid("needs/paper.html", **context)
    return no_store(render_template("needs/paper.html", **context))


@bp.route("/projects/<slug>/votes/<int:round_id>/print/<sheet>")
@require(Cap.MANAGE_VOTES)
def print_sheet(project: Project, round_id: int, sheet: str):
    item = _round(project, round_id)
    if sheet not in ("ballot", "tally", "signin"):
        abort(404)
    members = services.eligible_members(item) if sheet == "signin" else []
    return no_store(
        render_template(
            f"needs/print_{sheet}.html",
            project=project,
            vote=item,
            rows=range(1, 41),
            members=members,
            meeting=db.session.get(Meeting, item.meeting_id) if item.meeting_id else None,
        )
    )


# --- the sign-in list: who took a paper sheet ------------------------------------------------


def _sheets_page(project: Project, vote: VoteRound, status: int = 200, **extra: Any):
    context = {
        "project": project,
        "vote": vote,
        "state": services.state(vote),
        "rows": services.sign_in_list(vote),
        "turnout": services.turnout(vote),
        "guest_form": extra.pop("guest_form", None) or GuestSheetsForm(formdata=None),
        "error": None,
        **extra,
    }
    return no_store(render_template("needs/sheets.html", **context), status)


def _member(project: Project) -> Membership:
    raw = request.form.get("membership_id", "")
    member = db.session.get(Membership, int(raw)) if raw.isdigit() else None
    if member is None or member.project_id != project.id:
        abort(404)
    return member


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
    _check_button()
    member = _member(project)
    try:
        services.issue_sheet(item, member, current_user)
    except services.RoundNotOpen:
        return _sheets_page(project, item, 409, error=_("This vote is not open."))
    except services.SheetError as exc:
        return _sheets_page(project, item, 422, error=str(exc))
    flash(_("%(name)s took a paper sheet.", name=member.user.name), "success")
    return redirect(url_for("needs.sheets", slug=project.slug, round_id=item.id))


@bp.route("/projects/<slug>/votes/<int:round_id>/sheets/return", methods=["POST"])
@require(Cap.MANAGE_VOTES)
def return_sheet(project: Project, round_id: int):
    item = _round(project, round_id)
    _check_button()
    member = _member(project)
    try:
        returned = services.return_sheet(item, member, current_user)
    except services.RoundNotOpen:
        return _sheets_page(project, item, 409, error=_("This vote is not open."))
    except services.SheetError as exc:
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
        services.issue_guest_sheets(item, form.number.data, current_user)
    except services.RoundNotOpen:
        return _sheets_page(project, item, 409, error=_("This vote is not open."))
    except services.SheetError as exc:
        return _sheets_page(project, item, 422, guest_form=form, error=str(exc))
    flash(
        ngettext(
            "%(num)d sheet handed to guests.", "%(num)d sheets handed to guests.", form.number.data
        ),
        "success",
    )
    return redirect(url_for("needs.sheets", slug=project.slug, round_id=item.id))
