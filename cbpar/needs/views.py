"""Needs register pages: list, propose, edit, status, evidence. Vote pages are in `vote_views`."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from cbpar.access import require
from cbpar.forms import check_button
from cbpar.needs import bp, lookups, services
from cbpar.needs.forms import (
    EvidenceForm,
    NeedForm,
    StatusForm,
)
from cbpar.needs.models import Need, NeedCategory, NeedStatus
from cbpar.projects.models import Project
from cbpar.security import Cap, membership_can
from cbpar.web import form_page, no_store, page_number, paginate

PER_PAGE = 50


def _need(project: Project, need_id: int) -> Need:
    return services.get_need(project, need_id, g.membership) or abort(404)


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
            statuses=NeedStatus,
            sees_all=services.can_see_all_needs(g.membership),
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
    return form_page("needs/need_form.html", project=project, form=form, need=None)


@bp.route("/projects/<slug>/needs/<int:need_id>")
@require(Cap.VIEW_PROJECT)
def need(project: Project, need_id: int):
    item = _need(project, need_id)
    sees_all = services.can_see_all_needs(g.membership)
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
            can_edit=services.can_edit_need(g.membership, item, current_user),
            proposer=lookups.proposer_of(item) if sees_all else None,
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
    if not services.can_edit_need(g.membership, item, current_user):
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
    return form_page("needs/need_form.html", project=project, form=form, need=item)


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
    if (
        status == NeedStatus.CONFIRMED
        and item.status != status
        and request.form.get("confirm") != "yes"
    ):
        # Confirming shows the need to observers and lets initiatives answer it: ask first.
        # This answer changes nothing; the page's button posts again with confirm=yes.
        return no_store(
            render_template("needs/status_confirm.html", project=project, need=item, form=form)
        )
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
    check_button()
    if not services.can_edit_need(g.membership, item, current_user):
        abort(403)
    record = services.resolve_evidence(project, g.membership, request.form.get("record", ""))
    if record is not None and services.remove_evidence(item, record):
        flash(_("Evidence removed."), "success")
    return redirect(url_for("needs.need", slug=project.slug, need_id=item.id) + "#evidence")
