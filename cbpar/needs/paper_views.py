"""Paper ballot pages: entering sheets, printing, and the sign-in list of who took a sheet."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from cbpar.access import require
from cbpar.forms import check_button
from cbpar.needs import bp, lookups, paper_ballots, vote_rounds
from cbpar.needs.forms import GuestSheetsForm, PaperSheetForm
from cbpar.needs.models import VoteRound
from cbpar.needs.vote_views import parse_ballot, round_or_404
from cbpar.projects.models import Membership, Project
from cbpar.security import Cap
from cbpar.web import form_page, no_store

# --- paper ballots ---------------------------------------------------------------------------


@bp.route("/projects/<slug>/votes/<int:round_id>/paper", methods=["GET", "POST"])
@require(Cap.MANAGE_VOTES)
def paper(project: Project, round_id: int):
    item = round_or_404(project, round_id)
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
    item = round_or_404(project, round_id)
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
    item = round_or_404(project, round_id)
    if not item.paper_ballots:
        abort(404)
    return _sheets_page(project, item)


@bp.route("/projects/<slug>/votes/<int:round_id>/sheets/issue", methods=["POST"])
@require(Cap.MANAGE_VOTES)
def issue_sheet(project: Project, round_id: int):
    item = round_or_404(project, round_id)
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
    item = round_or_404(project, round_id)
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
    item = round_or_404(project, round_id)
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
