"""Initiative pages: list, initiative, funding, funders, milestones, indicators, wider impact,
the project timeline, and the transparency page (with its optional public link)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from cbpar import privacy
from cbpar.auth.forms import EmptyForm
from cbpar.db import db
from cbpar.editing import EditConflict, conflict_rows, posted_version
from cbpar.initiatives import bp, labels, services
from cbpar.initiatives.forms import (
    ContributionForm,
    FunderForm,
    IndicatorForm,
    InitiativeForm,
    MilestoneForm,
    SupportForm,
    parse_roles,
)
from cbpar.initiatives.models import FunderType, Initiative, InitiativeStatus, Milestone
from cbpar.mapping.labels import KIND_LABELS as FACILITY_KIND_LABELS
from cbpar.mapping.labels import STATUS_LABELS as FACILITY_STATUS_LABELS
from cbpar.memos import services as memo_services
from cbpar.projects.models import Project
from cbpar.projects.services import register_home_panel
from cbpar.security import Cap, membership_can, public, require
from cbpar.web import invalid, no_store

MAX_MEMO_CHOICES = 200


# --- template helpers ------------------------------------------------------------------------


@bp.app_template_filter("money")
def money(amount: Decimal | None, currency: str = "") -> str:
    """An exact amount with its currency code, e.g. "CNY 120,000.00"."""
    if amount is None:
        return "—"
    text = format_decimal(amount, format="#,##0.00")
    return f"{currency} {text}".strip()


@bp.app_template_filter("figure")
def figure(value: Decimal | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, privacy.Hidden):  # a small number suppressed: "fewer than 5"
        return value
    return format_decimal(value.normalize() if value == value.to_integral() else value)


@bp.app_template_global()
def initiative_label(value: Any) -> str:
    return labels.label(value)


@bp.app_template_global()
def initiatives_answering(need: Any) -> list[Initiative]:
    """For the need page (templates/initiatives/_answering.html)."""
    if not membership_can(g.get("membership"), Cap.READ_INITIATIVES):
        return []
    return services.initiatives_for_need(need)


def _home_panel(project: Project, membership: Any) -> tuple[str, dict[str, Any]] | None:
    if not membership_can(membership, Cap.READ_INITIATIVES):
        return None
    return "initiatives/_home_panel.html", {"chain": services.chain(project)}


register_home_panel(_home_panel)


# --- helpers ---------------------------------------------------------------------------------


def _initiative(project: Project, initiative_id: int) -> Initiative:
    return services.get(project, initiative_id) or abort(404)


def _check_button() -> None:
    if not EmptyForm().validate_on_submit():
        abort(400)


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
    query = memo_services.list_query(project, g.membership).limit(MAX_MEMO_CHOICES)
    return list(db.session.scalars(query))


def _indicator_form(**kw: Any) -> IndicatorForm:
    return IndicatorForm(kind_labels=FACILITY_KIND_LABELS, **kw)


def _page(project: Project, initiative: Initiative, status: int = 200, **forms: Any) -> Response:
    """The initiative page; `forms` replaces a blank form with one that failed validation."""
    editor = membership_can(g.membership, Cap.EDIT_INITIATIVES)
    context: dict[str, Any] = {
        "project": project,
        "initiative": initiative,
        "totals": services.totals(initiative),
        "values": services.indicator_values(project, [initiative]),
        "evidence": services.evidence_by_milestone(initiative.milestones, g.membership),
        "editor": editor,
        "see_lead": membership_can(g.membership, Cap.VIEW_MEMBERS),
        "facility_status_labels": FACILITY_STATUS_LABELS,
    }
    if editor:
        context["contribution_form"] = forms.get("contribution_form") or ContributionForm(
            funders=services.list_funders(project), formdata=None
        )
        context["milestone_form"] = forms.get("milestone_form") or MilestoneForm(
            memos=_visible_memos(project), formdata=None
        )
        context["indicator_form"] = forms.get("indicator_form") or _indicator_form(formdata=None)
    return _render("initiatives/initiative.html", status, **context)


# --- list, create, edit ----------------------------------------------------------------------


@bp.route("/projects/<slug>/initiatives/")
@require(Cap.READ_INITIATIVES)
def index(project: Project):
    initiatives = services.list_initiatives(project)
    return _render(
        "initiatives/index.html",
        project=project,
        initiatives=initiatives,
        totals={i.id: services.totals(i) for i in initiatives},
    )


@bp.route("/projects/<slug>/initiatives/new", methods=["GET", "POST"])
@require(Cap.EDIT_INITIATIVES)
def new(project: Project):
    form = _initiative_form(project)
    if form.validate_on_submit():
        initiative = services.create(project, form.data_dict(), current_user)
        flash(_("Initiative saved."), "success")
        return _to_initiative(project, initiative)
    if form.is_submitted():
        return invalid("initiatives/form.html", project=project, form=form, initiative=None)
    return _render("initiatives/form.html", project=project, form=form, initiative=None)


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
            services.update(record, form.data_dict(), posted_version())
        except EditConflict:
            return _initiative_conflict(project, initiative_id, form)
        flash(_("Initiative saved."), "success")
        if record.status == InitiativeStatus.COMPLETED != before and services.unmet_needs(record):
            return redirect(
                url_for("initiatives.needs_met", slug=project.slug, initiative_id=record.id),
                code=303,
            )
        return _to_initiative(project, record)
    if form.is_submitted():
        return invalid("initiatives/form.html", project=project, form=form, initiative=record)
    return _render("initiatives/form.html", project=project, form=form, initiative=record)


def _initiative_conflict(project: Project, initiative_id: int, form: InitiativeForm) -> Response:
    """Someone saved first: nothing was saved; show what was typed next to what is stored now."""
    db.session.rollback()
    current = services.get(project, initiative_id)
    if current is None:
        flash(_("Someone else deleted this initiative while you were editing it."), "error")
        return _render("initiatives/form.html", 409, project=project, form=form, initiative=None)
    conflict = conflict_rows(form, current, services.INITIATIVE_FIELDS)
    if parse_roles(form.roles.data or "") != [(r.party, r.task) for r in current.roles]:
        conflict.append(_row(form.roles, form.roles.data or "", _roles_text(current)))
    if sorted(form.need_ids.data or []) != sorted(n.id for n in current.needs):
        titles = dict(form.need_ids.choices or [])
        titles.update((n.id, n.title) for n in current.needs)
        yours = ", ".join(str(titles.get(i, i)) for i in form.need_ids.data or [])
        conflict.append(_row(form.need_ids, yours, ", ".join(n.title for n in current.needs)))
    form.version.data = str(current.version)  # saving again now overwrites, knowingly
    return _render(
        "initiatives/form.html",
        409,
        project=project,
        form=form,
        initiative=current,
        conflict=conflict,
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
        _check_button()
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
    _check_button()
    services.delete(record)
    flash(_("Initiative deleted."), "success")
    return redirect(url_for("initiatives.index", slug=project.slug), code=303)


# --- funding ---------------------------------------------------------------------------------


@bp.route("/projects/<slug>/initiatives/<int:initiative_id>/contributions", methods=["POST"])
@require(Cap.EDIT_INITIATIVES)
def add_contribution(project: Project, initiative_id: int):
    record = _initiative(project, initiative_id)
    form = ContributionForm(funders=services.list_funders(project))
    if not form.validate_on_submit():
        return _page(project, record, 422, contribution_form=form)
    services.add_contribution(record, form.data_dict())
    flash(_("Contribution recorded."), "success")
    return _to_initiative(project, record, "funding")


@bp.route(
    "/projects/<slug>/initiatives/<int:initiative_id>/contributions/<int:contribution_id>",
    methods=["GET", "POST"],
)
@require(Cap.EDIT_INITIATIVES)
def edit_contribution(project: Project, initiative_id: int, contribution_id: int):
    record = _initiative(project, initiative_id)
    contribution = services.get_contribution(record, contribution_id) or abort(404)
    form = ContributionForm(funders=services.list_funders(project), obj=contribution)
    if not form.is_submitted():
        form.kind.data, form.status.data = contribution.kind.value, contribution.status.value
    context = {"project": project, "initiative": record, "contribution": contribution}
    if form.validate_on_submit():
        services.update_contribution(contribution, form.data_dict())
        flash(_("Contribution saved."), "success")
        return _to_initiative(project, record, "funding")
    if form.is_submitted():
        return invalid("initiatives/contribution.html", form=form, **context)
    return _render("initiatives/contribution.html", form=form, **context)


@bp.route(
    "/projects/<slug>/initiatives/<int:initiative_id>/contributions/<int:contribution_id>/delete",
    methods=["POST"],
)
@require(Cap.EDIT_INITIATIVES)
def delete_contribution(project: Project, initiative_id: int, contribution_id: int):
    record = _initiative(project, initiative_id)
    contribution = services.get_contribution(record, contribution_id) or abort(404)
    _check_button()
    services.delete_contribution(contribution)
    flash(_("Contribution deleted."), "success")
    return _to_initiative(project, record, "funding")


@bp.route("/projects/<slug>/funders/", methods=["GET", "POST"])
@require(Cap.READ_INITIATIVES)
def funders(project: Project):
    editor = membership_can(g.membership, Cap.EDIT_INITIATIVES)
    form = FunderForm() if editor else None
    status = 200
    if request.method == "POST":
        if not editor:
            abort(403)
        if form.validate_on_submit():
            name = form.name.data.strip()
            if services.funder_named(project, name) is None:
                services.create_funder(project, name, FunderType(form.type.data), form.place.data)
                flash(_("Funder added."), "success")
                return redirect(url_for("initiatives.funders", slug=project.slug), code=303)
            form.name.errors = [_("A funder of this name already exists.")]
        status = 422
    rows = services.funders_with_contributions(project)
    return _render(
        "initiatives/funders.html",
        status,
        project=project,
        rows=rows,
        form=form,
        see_individuals=membership_can(g.membership, Cap.VIEW_MEMBERS),
    )


@bp.route("/projects/<slug>/funders/<int:funder_id>", methods=["GET", "POST"])
@require(Cap.EDIT_INITIATIVES)
def edit_funder(project: Project, funder_id: int):
    funder = services.get_funder(project, funder_id) or abort(404)
    form = FunderForm(obj=funder)
    if not form.is_submitted():
        form.type.data = funder.type.value
    if form.validate_on_submit():
        name = form.name.data.strip()
        other = services.funder_named(project, name)
        if other is None or other.id == funder.id:
            data = {"name": name, "type": FunderType(form.type.data), "place": form.place.data}
            services.update_funder(funder, data)
            flash(_("Funder saved."), "success")
            return redirect(url_for("initiatives.funders", slug=project.slug), code=303)
        form.name.errors = [_("A funder of this name already exists.")]
    if form.is_submitted():
        return invalid("initiatives/funder.html", project=project, form=form, funder=funder)
    return _render("initiatives/funder.html", project=project, form=form, funder=funder)


# --- milestones ------------------------------------------------------------------------------


def _milestone(project: Project, milestone_id: int) -> Milestone:
    return services.get_milestone(project, milestone_id) or abort(404)


def _link_memo(project: Project, milestone: Milestone, memo_id: int | None) -> None:
    if memo_id is None:
        return
    memo = memo_services.get(project, memo_id, g.membership)
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
@require(Cap.READ_INITIATIVES)
def milestone(project: Project, milestone_id: int):
    record = _milestone(project, milestone_id)
    editor = membership_can(g.membership, Cap.EDIT_INITIATIVES)
    form = MilestoneForm(memos=_visible_memos(project), obj=record) if editor else None
    status = 200
    if request.method == "POST":
        if not editor:
            abort(403)
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
    )


@bp.route("/projects/<slug>/milestones/<int:milestone_id>/delete", methods=["POST"])
@require(Cap.EDIT_INITIATIVES)
def delete_milestone(project: Project, milestone_id: int):
    record = _milestone(project, milestone_id)
    _check_button()
    initiative = record.initiative
    services.delete_milestone(record)
    flash(_("Milestone deleted."), "success")
    return _to_initiative(project, initiative, "milestones")


@bp.route("/projects/<slug>/timeline")
@require(Cap.READ_INITIATIVES)
def timeline(project: Project):
    return _render(
        "initiatives/timeline.html", project=project, milestones=services.project_timeline(project)
    )


# --- indicators ------------------------------------------------------------------------------


@bp.route("/projects/<slug>/initiatives/<int:initiative_id>/indicators", methods=["POST"])
@require(Cap.EDIT_INITIATIVES)
def add_indicator(project: Project, initiative_id: int):
    record = _initiative(project, initiative_id)
    form = _indicator_form()
    if not form.validate_on_submit():
        return _page(project, record, 422, indicator_form=form)
    services.add_indicator(record, form.data_dict())
    flash(_("Indicator added."), "success")
    return _to_initiative(project, record, "results")


@bp.route(
    "/projects/<slug>/initiatives/<int:initiative_id>/indicators/<int:indicator_id>",
    methods=["GET", "POST"],
)
@require(Cap.EDIT_INITIATIVES)
def edit_indicator(project: Project, initiative_id: int, indicator_id: int):
    record = _initiative(project, initiative_id)
    indicator = services.get_indicator(record, indicator_id) or abort(404)
    form = _indicator_form(obj=indicator)
    if not form.is_submitted():
        form.source.data = indicator.source.value
        form.measure.data = indicator.measure.value if indicator.measure else None
    context = {"project": project, "initiative": record, "indicator": indicator}
    if form.validate_on_submit():
        services.update_indicator(indicator, form.data_dict())
        flash(_("Indicator saved."), "success")
        return _to_initiative(project, record, "results")
    if form.is_submitted():
        return invalid("initiatives/indicator.html", form=form, **context)
    return _render("initiatives/indicator.html", form=form, **context)


@bp.route(
    "/projects/<slug>/initiatives/<int:initiative_id>/indicators/<int:indicator_id>/delete",
    methods=["POST"],
)
@require(Cap.EDIT_INITIATIVES)
def delete_indicator(project: Project, initiative_id: int, indicator_id: int):
    record = _initiative(project, initiative_id)
    indicator = services.get_indicator(record, indicator_id) or abort(404)
    _check_button()
    services.delete_indicator(indicator)
    flash(_("Indicator deleted."), "success")
    return _to_initiative(project, record, "results")


# --- wider impact ----------------------------------------------------------------------------


@bp.route("/projects/<slug>/impact", methods=["GET", "POST"])
@require(Cap.READ_INITIATIVES)
def impact(project: Project):
    editor = membership_can(g.membership, Cap.EDIT_INITIATIVES)
    form = SupportForm(initiatives=services.list_initiatives(project)) if editor else None
    status = 200
    if request.method == "POST":
        if not editor:
            abort(403)
        if form.validate_on_submit():
            services.add_support(project, form.data_dict())
            flash(_("Support passed on recorded."), "success")
            return redirect(url_for("initiatives.impact", slug=project.slug), code=303)
        status = 422
    records, sites = services.wider_impact(project)
    return _render(
        "initiatives/impact.html",
        status,
        project=project,
        support=services.list_support(project),
        sites=sites,
        form=form,
    )


@bp.route("/projects/<slug>/impact/<int:support_id>/delete", methods=["POST"])
@require(Cap.EDIT_INITIATIVES)
def delete_support(project: Project, support_id: int):
    support = services.get_support(project, support_id) or abort(404)
    _check_button()
    services.delete_support(support)
    flash(_("Record deleted."), "success")
    return redirect(url_for("initiatives.impact", slug=project.slug), code=303)


# --- transparency ----------------------------------------------------------------------------


def _transparency_context(project: Project) -> dict[str, Any]:
    initiatives = [
        i for i in services.list_initiatives(project) if i.status != InitiativeStatus.CANCELLED
    ]
    totals = {i.id: services.totals(i) for i in initiatives}
    records, sites = services.wider_impact(project)
    return {
        "project": project,
        "initiatives": initiatives,
        "totals": totals,
        # The page the public sees (and its preview for members): small numbers suppressed.
        "values": services.indicator_values(project, initiatives, privacy.Audience.PUBLIC),
        "raised": services.sum_tables([t.received for t in totals.values()]),
        "pledged": services.sum_tables([t.pledged for t in totals.values()]),
        "in_kind": services.sum_tables([t.in_kind for t in totals.values()]),
        "spent": services.sum_tables(
            [{i.currency: i.spent} for i in initiatives if i.spent is not None]
        ),
        "support": services.list_support(project),
        "sites": sites,
        "INDIVIDUAL": FunderType.INDIVIDUAL,
    }


@bp.route("/projects/<slug>/transparency")
@require(Cap.READ_INITIATIVES)
def transparency(project: Project):
    manager = membership_can(g.membership, Cap.MANAGE_PROJECT)
    context = _transparency_context(project)
    new_link = session.pop("transparency_link", None) if manager else None
    return _render(
        "initiatives/transparency.html",
        public=False,
        manager=manager,
        link=services.active_link(project) if manager else None,
        new_link=new_link,
        **context,
    )


@bp.route("/projects/<slug>/transparency/link", methods=["POST"])
@require(Cap.MANAGE_PROJECT)
def create_link(project: Project):
    _check_button()
    raw = services.create_link(project, current_user)
    # Shown once on the next page, then forgotten: only its hash is stored.
    session["transparency_link"] = url_for("initiatives.public_page", token=raw, _external=True)
    flash(_("Public link created. Anyone with it can see this page."), "success")
    return redirect(url_for("initiatives.transparency", slug=project.slug), code=303)


@bp.route("/projects/<slug>/transparency/link/revoke", methods=["POST"])
@require(Cap.MANAGE_PROJECT)
def revoke_link(project: Project):
    _check_button()
    if services.revoke_link(project, current_user):
        flash(_("Public link revoked: it no longer works."), "success")
    return redirect(url_for("initiatives.transparency", slug=project.slug), code=303)


@bp.route("/t/<token>")
@public
def public_page(token: str):
    """The transparency page for anyone holding the project's secret link; nothing personal."""
    project = services.project_for_token(token) or abort(404)
    response = _render(
        "initiatives/transparency.html",
        public=True,
        manager=False,
        link=None,
        new_link=None,
        **_transparency_context(project),
    )
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    response.headers["X-Robots-Tag"] = "noindex"
    return response
