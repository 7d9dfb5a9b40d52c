"""Initiative pages: list, initiative, funding, funders, milestones, indicators and the project
timeline. Wider impact and the transparency page are in `impact_views`."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from cbpar.access import require
from cbpar.editing import EditConflict, conflict_page, posted_version
from cbpar.forms import check_button
from cbpar.initiatives import bp, funding, results, services
from cbpar.initiatives.forms import (
    ContributionForm,
    FunderForm,
    IndicatorForm,
    InitiativeForm,
    MilestoneForm,
    parse_roles,
)
from cbpar.initiatives.models import FunderType, Initiative, InitiativeStatus, Milestone
from cbpar.mapping.models import FacilityKind
from cbpar.memos import services as memo_services
from cbpar.projects.models import Project
from cbpar.security import Cap, membership_can
from cbpar.web import form_page, no_store

MAX_MEMO_CHOICES = 200


# --- helpers ---------------------------------------------------------------------------------


def _initiative(project: Project, initiative_id: int) -> Initiative:
    return services.get_initiative(project, initiative_id) or abort(404)


def _render(template: str, http_status: int = 200, /, **context: Any) -> Response:
    # Positional-only: a template variable named `status` must not become the HTTP status.
    return no_store(render_template(template, **context), http_status)


def _to_initiative(project: Project, initiative: Initiative, anchor: str = "") -> Response:
    url = url_for("initiatives.initiative", slug=project.slug, initiative_id=initiative.id)
    return redirect(url + (f"#{anchor}" if anchor else ""), code=303)


def _initiative_form(project: Project, initiative: Initiative | None = None, **kw: Any):
    return InitiativeForm(
        needs=services.answerable_needs(project, initiative),
        members=services.lead_candidates(project),
        facilities=services.linkable_facilities(project),
        **kw,
    )


def _visible_memos(project: Project) -> list[Any]:
    return memo_services.listed(project, g.membership, limit=MAX_MEMO_CHOICES)


def _indicator_form(project: Project, **kw: Any) -> IndicatorForm:
    return IndicatorForm(
        villages=project.villages,
        measures=[(m.key, m.label) for m in results.service_measures().values()],
        programmes=results.service_programmes(project),
        **kw,
    )


def _page(project: Project, initiative: Initiative, status: int = 200, **forms: Any) -> Response:
    """The initiative page; `forms` replaces a blank form with one that failed validation."""
    editor = membership_can(g.membership, Cap.EDIT_INITIATIVES)
    context: dict[str, Any] = {
        "project": project,
        "initiative": initiative,
        "totals": funding.totals(initiative),
        "values": results.indicator_values(project, [initiative]),
        "evidence": services.evidence_by_milestone(initiative.milestones, g.membership),
        "editor": editor,
        "FacilityKind": FacilityKind,
        "today": services.project_today(project),
    }
    if editor:
        context["contribution_form"] = forms.get("contribution_form") or ContributionForm(
            funders=funding.list_funders(project), formdata=None
        )
        context["milestone_form"] = forms.get("milestone_form") or MilestoneForm(
            memos=_visible_memos(project), formdata=None
        )
        context["indicator_form"] = forms.get("indicator_form") or _indicator_form(
            project, formdata=None
        )
    return _render("initiatives/initiative.html", status, **context)


# --- list, create, edit ----------------------------------------------------------------------


@bp.route("/projects/<slug>/initiatives/")
@require(Cap.READ_INITIATIVES)
def index(project: Project):
    initiatives = services.list_initiatives(project)
    today = services.project_today(project)
    return _render(
        "initiatives/index.html",
        project=project,
        initiatives=initiatives,
        totals={i.id: funding.totals(i) for i in initiatives},
        today=today,
        late_milestones={
            i.id: sum(1 for m in i.milestones if m.days_overdue(today)) for i in initiatives
        },
    )


@bp.route("/projects/<slug>/initiatives/new", methods=["GET", "POST"])
@require(Cap.EDIT_INITIATIVES)
def new(project: Project):
    form = _initiative_form(project)
    if form.validate_on_submit():
        initiative = services.create_initiative(project, form.data_dict(), current_user)
        flash(_("Initiative saved."), "success")
        return _to_initiative(project, initiative)
    return form_page("initiatives/form.html", project=project, form=form, initiative=None)


@bp.route("/projects/<slug>/initiatives/<int:initiative_id>")
@require(Cap.READ_INITIATIVES)
def initiative(project: Project, initiative_id: int):
    return _page(project, _initiative(project, initiative_id))


@bp.route("/projects/<slug>/initiatives/<int:initiative_id>/edit", methods=["GET", "POST"])
@require(Cap.EDIT_INITIATIVES)
def edit(project: Project, initiative_id: int):
    record = _initiative(project, initiative_id)
    form = _initiative_form(project, record, obj=record)
    if not form.is_submitted():
        form.need_ids.data = [n.id for n in record.needs]
        form.roles.data = _roles_text(record)
    if form.validate_on_submit():
        before = record.status
        try:
            services.update_initiative(record, form.data_dict(), posted_version())
        except EditConflict:
            return _initiative_conflict(project, initiative_id, form)
        flash(_("Initiative saved."), "success")
        if record.status == InitiativeStatus.COMPLETED != before and services.unmet_needs(record):
            return redirect(
                url_for("initiatives.needs_met", slug=project.slug, initiative_id=record.id),
                code=303,
            )
        return _to_initiative(project, record)
    return form_page("initiatives/form.html", project=project, form=form, initiative=record)


def _initiative_conflict(project: Project, initiative_id: int, form: InitiativeForm) -> Response:
    """Someone saved first: nothing was saved; show what was typed next to what is stored now."""

    def roles_and_needs(current: Initiative) -> list[dict[str, Any]]:
        rows = []
        if parse_roles(form.roles.data or "") != [(r.party, r.task) for r in current.roles]:
            rows.append(_row(form.roles, form.roles.data or "", _roles_text(current)))
        if sorted(form.need_ids.data or []) != sorted(n.id for n in current.needs):
            titles = dict(form.need_ids.choices or [])
            titles.update((n.id, n.title) for n in current.needs)
            yours = ", ".join(str(titles.get(i, i)) for i in form.need_ids.data or [])
            rows.append(_row(form.need_ids, yours, ", ".join(n.title for n in current.needs)))
        return rows

    return conflict_page(
        "initiatives/form.html",
        form,
        lambda: services.get_initiative(project, initiative_id),
        services.INITIATIVE_FIELDS,
        record="initiative",
        gone=_("Someone else deleted this initiative while you were editing it."),
        more_rows=roles_and_needs,
        project=project,
        initiative=None,
    )


def _row(field: Any, yours: str, stored: str) -> dict[str, Any]:
    """A row of _conflict.html for a field conflict_rows cannot compare with a column."""
    return {"label": field.label.text, "yours": yours, "stored": stored}


def _roles_text(initiative: Initiative) -> str:
    return "\n".join(f"{r.party}: {r.task}" for r in initiative.roles)


@bp.route("/projects/<slug>/initiatives/<int:initiative_id>/needs-met", methods=["GET", "POST"])
@require(Cap.EDIT_INITIATIVES)
def needs_met(project: Project, initiative_id: int):
    """After completion: which of the needs it answered are now met? The user decides."""
    record = _initiative(project, initiative_id)
    if request.method == "POST":
        check_button()
        chosen = {int(v) for v in request.form.getlist("need_id") if v.isdigit()}
        count = services.mark_needs_met(record, chosen)
        flash(_("%(n)d needs marked as met.", n=count), "success")
        return _to_initiative(project, record)
    return _render(
        "initiatives/needs_met.html",
        project=project,
        initiative=record,
        needs=services.unmet_needs(record),
    )


@bp.route("/projects/<slug>/initiatives/<int:initiative_id>/delete", methods=["POST"])
@require(Cap.EDIT_INITIATIVES)
def delete(project: Project, initiative_id: int):
    record = _initiative(project, initiative_id)
    check_button()
    services.delete_initiative(record)
    flash(_("Initiative deleted."), "success")
    return redirect(url_for("initiatives.index", slug=project.slug), code=303)


# --- funding ---------------------------------------------------------------------------------


@bp.route("/projects/<slug>/initiatives/<int:initiative_id>/contributions", methods=["POST"])
@require(Cap.EDIT_INITIATIVES)
def add_contribution(project: Project, initiative_id: int):
    record = _initiative(project, initiative_id)
    form = ContributionForm(funders=funding.list_funders(project))
    if not form.validate_on_submit():
        return _page(project, record, 422, contribution_form=form)
    funding.add_contribution(record, form.data_dict())
    flash(_("Contribution recorded."), "success")
    return _to_initiative(project, record, "funding")


@bp.route(
    "/projects/<slug>/initiatives/<int:initiative_id>/contributions/<int:contribution_id>",
    methods=["GET", "POST"],
)
@require(Cap.EDIT_INITIATIVES)
def edit_contribution(project: Project, initiative_id: int, contribution_id: int):
    record = _initiative(project, initiative_id)
    contribution = funding.get_contribution(record, contribution_id) or abort(404)
    form = ContributionForm(funders=funding.list_funders(project), obj=contribution)
    if not form.is_submitted():
        form.kind.data, form.status.data = contribution.kind.value, contribution.status.value
    context = {"project": project, "initiative": record, "contribution": contribution}
    if form.validate_on_submit():
        funding.update_contribution(contribution, form.data_dict())
        flash(_("Contribution saved."), "success")
        return _to_initiative(project, record, "funding")
    return form_page("initiatives/contribution.html", form=form, **context)


@bp.route(
    "/projects/<slug>/initiatives/<int:initiative_id>/contributions/<int:contribution_id>/delete",
    methods=["POST"],
)
@require(Cap.EDIT_INITIATIVES)
def delete_contribution(project: Project, initiative_id: int, contribution_id: int):
    record = _initiative(project, initiative_id)
    contribution = funding.get_contribution(record, contribution_id) or abort(404)
    check_button()
    funding.delete_contribution(contribution)
    flash(_("Contribution deleted."), "success")
    return _to_initiative(project, record, "funding")


@bp.route("/projects/<slug>/funders/", methods=["GET", "POST"])
@require(Cap.READ_INITIATIVES, write=Cap.EDIT_INITIATIVES)
def funders(project: Project):
    editor = membership_can(g.membership, Cap.EDIT_INITIATIVES)
    form = FunderForm() if editor else None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            name = form.name.data.strip()
            if funding.funder_named(project, name) is None:
                funding.create_funder(project, name, FunderType(form.type.data), form.place.data)
                flash(_("Funder added."), "success")
                return redirect(url_for("initiatives.funders", slug=project.slug), code=303)
            form.name.errors = [_("A funder of this name already exists.")]
        status = 422
    rows = funding.funders_with_contributions(project)
    return _render(
        "initiatives/funders.html",
        status,
        project=project,
        rows=rows,
        form=form,
    )


@bp.route("/projects/<slug>/funders/<int:funder_id>", methods=["GET", "POST"])
@require(Cap.EDIT_INITIATIVES)
def edit_funder(project: Project, funder_id: int):
    funder = funding.get_funder(project, funder_id) or abort(404)
    form = FunderForm(obj=funder)
    if not form.is_submitted():
        form.type.data = funder.type.value
    if form.validate_on_submit():
        name = form.name.data.strip()
        other = funding.funder_named(project, name)
        if other is None or other.id == funder.id:
            data = {"name": name, "type": FunderType(form.type.data), "place": form.place.data}
            funding.update_funder(funder, data)
            flash(_("Funder saved."), "success")
            return redirect(url_for("initiatives.funders", slug=project.slug), code=303)
        form.name.errors = [_("A funder of this name already exists.")]
    return form_page("initiatives/funder.html", project=project, form=form, funder=funder)


# --- milestones ------------------------------------------------------------------------------


def _milestone(project: Project, milestone_id: int) -> Milestone:
    return services.get_milestone(project, milestone_id) or abort(404)


def _link_memo(project: Project, milestone: Milestone, memo_id: int | None) -> None:
    if memo_id is None:
        return
    memo = memo_services.get_memo(project, memo_id, g.membership)
    if memo is not None:
        services.link_evidence(milestone, memo, current_user)


@bp.route("/projects/<slug>/initiatives/<int:initiative_id>/milestones", methods=["POST"])
@require(Cap.EDIT_INITIATIVES)
def add_milestone(project: Project, initiative_id: int):
    record = _initiative(project, initiative_id)
    form = MilestoneForm(memos=_visible_memos(project))
    if not form.validate_on_submit():
        return _page(project, record, 422, milestone_form=form)
    milestone = services.add_milestone(record, form.data_dict())
    _link_memo(project, milestone, form.memo_id.data)
    flash(_("Milestone added."), "success")
    return _to_initiative(project, record, "milestones")


@bp.route("/projects/<slug>/milestones/<int:milestone_id>", methods=["GET", "POST"])
@require(Cap.READ_INITIATIVES, write=Cap.EDIT_INITIATIVES)
def milestone(project: Project, milestone_id: int):
    record = _milestone(project, milestone_id)
    editor = membership_can(g.membership, Cap.EDIT_INITIATIVES)
    form = MilestoneForm(memos=_visible_memos(project), obj=record) if editor else None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            services.update_milestone(record, form.data_dict())
            _link_memo(project, record, form.memo_id.data)
            flash(_("Milestone saved."), "success")
            return redirect(
                url_for("initiatives.milestone", slug=project.slug, milestone_id=record.id),
                code=303,
            )
        status = 422
    return _render(
        "initiatives/milestone.html",
        status,
        project=project,
        milestone=record,
        form=form,
        evidence=services.evidence_by_milestone([record], g.membership).get(record.id, []),
        can_attach=editor,
        today=services.project_today(project),
    )


@bp.route("/projects/<slug>/milestones/<int:milestone_id>/delete", methods=["POST"])
@require(Cap.EDIT_INITIATIVES)
def delete_milestone(project: Project, milestone_id: int):
    record = _milestone(project, milestone_id)
    check_button()
    initiative = record.initiative
    services.delete_milestone(record)
    flash(_("Milestone deleted."), "success")
    return _to_initiative(project, initiative, "milestones")


@bp.route("/projects/<slug>/timeline")
@require(Cap.READ_INITIATIVES)
def timeline(project: Project):
    return _render(
        "initiatives/timeline.html",
        project=project,
        milestones=services.project_timeline(project),
        today=services.project_today(project),
    )


# --- indicators ------------------------------------------------------------------------------


@bp.route("/projects/<slug>/initiatives/<int:initiative_id>/indicators", methods=["POST"])
@require(Cap.EDIT_INITIATIVES)
def add_indicator(project: Project, initiative_id: int):
    record = _initiative(project, initiative_id)
    form = _indicator_form(project)
    if not form.validate_on_submit():
        return _page(project, record, 422, indicator_form=form)
    results.add_indicator(record, form.data_dict())
    flash(_("Indicator added."), "success")
    return _to_initiative(project, record, "results")


@bp.route(
    "/projects/<slug>/initiatives/<int:initiative_id>/indicators/<int:indicator_id>",
    methods=["GET", "POST"],
)
@require(Cap.EDIT_INITIATIVES)
def edit_indicator(project: Project, initiative_id: int, indicator_id: int):
    record = _initiative(project, initiative_id)
    indicator = results.get_indicator(record, indicator_id) or abort(404)
    form = _indicator_form(project, obj=indicator)
    if not form.is_submitted():
        form.source.data = indicator.source.value
        form.measure.data = indicator.measure.value if indicator.measure else None
    context = {"project": project, "initiative": record, "indicator": indicator}
    if form.validate_on_submit():
        results.update_indicator(indicator, form.data_dict())
        flash(_("Indicator saved."), "success")
        return _to_initiative(project, record, "results")
    return form_page("initiatives/indicator.html", form=form, **context)


@bp.route(
    "/projects/<slug>/initiatives/<int:initiative_id>/indicators/<int:indicator_id>/delete",
    methods=["POST"],
)
@require(Cap.EDIT_INITIATIVES)
def delete_indicator(project: Project, initiative_id: int, indicator_id: int):
    record = _initiative(project, initiative_id)
    indicator = results.get_indicator(record, indicator_id) or abort(404)
    check_button()
    results.delete_indicator(indicator)
    flash(_("Indicator deleted."), "success")
    return _to_initiative(project, record, "results")
