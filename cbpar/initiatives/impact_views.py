"""Initiative pages for everyone outside the team too: support passed on (wider impact) and
the transparency page, with its optional public link."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from cbpar import privacy
from cbpar.access import public, require
from cbpar.forms import check_button
from cbpar.initiatives import bp, funding, results, services
from cbpar.initiatives import transparency as public_link
from cbpar.initiatives.forms import SupportForm
from cbpar.mapping.models import FacilityKind
from cbpar.projects.models import Project
from cbpar.security import Cap, membership_can
from cbpar.web import no_store


def _render(template: str, http_status: int = 200, /, **context: Any) -> Response:
    # Positional-only: a template variable named `status` must not become the HTTP status.
    return no_store(render_template(template, **context), http_status)


# --- wider impact ----------------------------------------------------------------------------


@bp.route("/projects/<slug>/impact", methods=["GET", "POST"])
@require(Cap.READ_INITIATIVES, write=Cap.EDIT_INITIATIVES)
def impact(project: Project):
    editor = membership_can(g.membership, Cap.EDIT_INITIATIVES)
    initiatives = services.list_initiatives(project)
    form = SupportForm(initiatives=initiatives) if editor else None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            results.add_support(project, form.data_dict())
            flash(_("Support passed on recorded."), "success")
            return redirect(url_for("initiatives.impact", slug=project.slug), code=303)
        status = 422
    records, sites = results.wider_impact(project)
    return _render(
        "initiatives/impact.html",
        status,
        project=project,
        support=results.list_support(project),
        sites=sites,
        form=form,
        # Each initiative's indicators, baseline beside the current value.
        measured=[i for i in initiatives if i.indicators],
        values=results.indicator_values(project, initiatives),
        FacilityKind=FacilityKind,
    )


@bp.route("/projects/<slug>/impact/<int:support_id>/delete", methods=["POST"])
@require(Cap.EDIT_INITIATIVES)
def delete_support(project: Project, support_id: int):
    support = results.get_support(project, support_id) or abort(404)
    check_button()
    results.delete_support(support)
    flash(_("Record deleted."), "success")
    return redirect(url_for("initiatives.impact", slug=project.slug), code=303)


# --- transparency ----------------------------------------------------------------------------


def _transparency_context(project: Project) -> dict[str, Any]:
    money = funding.project_funding(project)
    records, sites = results.wider_impact(project)
    return {
        "project": project,
        "initiatives": money.initiatives,
        "totals": money.totals,
        # The page the public sees (and its preview for members): small numbers suppressed.
        "values": results.indicator_values(project, money.initiatives, privacy.Audience.PUBLIC),
        "raised": money.raised,
        "pledged": money.pledged,
        "in_kind": money.in_kind,
        "spent": money.spent,
        "support": results.list_support(project),
        "sites": sites,
        # Services per village, for the public: children counts from 1 to 4 suppressed.
        "services": results.village_services(project, privacy.Audience.PUBLIC),
        "FacilityKind": FacilityKind,
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
        link=public_link.active_link(project) if manager else None,
        new_link=new_link,
        **context,
    )


@bp.route("/projects/<slug>/transparency/link", methods=["POST"])
@require(Cap.MANAGE_PROJECT)
def create_link(project: Project):
    check_button()
    raw = public_link.create_link(project, current_user)
    # Shown once on the next page, then forgotten: only its hash is stored.
    session["transparency_link"] = url_for("initiatives.public_page", token=raw, _external=True)
    flash(_("Public link created. Anyone with it can see this page."), "success")
    return redirect(url_for("initiatives.transparency", slug=project.slug), code=303)


@bp.route("/projects/<slug>/transparency/link/revoke", methods=["POST"])
@require(Cap.MANAGE_PROJECT)
def revoke_link(project: Project):
    check_button()
    if public_link.revoke_link(project, current_user):
        flash(_("Public link revoked: it no longer works."), "success")
    return redirect(url_for("initiatives.transparency", slug=project.slug), code=303)


@bp.route("/t/<token>")
@public
def public_page(token: str):
    """The transparency page for anyone holding the project's secret link; nothing personal."""
    project = public_link.project_for_token(token) or abort(404)
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
