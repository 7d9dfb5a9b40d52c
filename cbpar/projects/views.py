"""Project pages: the list, the home page, settings, villages, members; user administration."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from cbpar.access import require, require_admin, require_login
from cbpar.forms import EmptyForm, check_button
from cbpar.projects import bp, overview, services
from cbpar.projects.forms import MemberForm, ProjectForm, RoleForm, VillageForm
from cbpar.projects.models import Project
from cbpar.security import Cap, Role
from cbpar.web import form_page, no_store, page_number, paginate


@bp.route("/")
@require_login
def index():
    rows = services.projects_for_user(current_user)
    return render_template("projects/index.html", rows=rows)


@bp.route("/projects/new", methods=["GET", "POST"])
@require_admin
def new_project():
    form = ProjectForm()
    if form.validate_on_submit():
        project = services.create_project(form.data_dict(), current_user)
        flash(_("Project created. You are its coordinator."), "success")
        return redirect(url_for("projects.home", slug=project.slug))
    return form_page("projects/edit.html", form=form, project=None)


@bp.route("/projects/<slug>/")
@require(Cap.VIEW_PROJECT)
def home(project: Project):
    found = overview.overview(project, g.membership)
    page = render_template(
        "projects/home.html",
        project=project,
        members=found.members,
        counts=found.counts,
        villages=found.villages,
        panels=found.panels,
        journey=found.journey,
        hints=found.hints,
    )
    return no_store(page)  # member names are personal data


@bp.route("/projects/<slug>/settings", methods=["GET", "POST"])
@require(Cap.MANAGE_PROJECT)
def settings(project: Project):
    form = ProjectForm(obj=project)
    form._project = project
    if form.validate_on_submit():
        services.update_project(project, form.data_dict())
        flash(_("Project settings saved."), "success")
        return redirect(url_for("projects.settings", slug=project.slug))
    return form_page("projects/edit.html", form=form, project=project)


# --- villages --------------------------------------------------------------------------------


def _check_village_unique(form: VillageForm, project: Project, village=None) -> bool:
    ok = True
    for field in ("name", "code"):
        value = getattr(form, field).data or ""
        if value and services.village_name_taken(project, field, value, village):
            getattr(form, field).errors.append(_("Another village in this project uses this."))
            ok = False
    return ok


@bp.route("/projects/<slug>/villages/new", methods=["GET", "POST"])
@require(Cap.MANAGE_PROJECT)
def new_village(project: Project):
    form = VillageForm()
    if form.validate_on_submit() and _check_village_unique(form, project):
        services.create_village(project, form.data_dict())
        flash(_("Village added."), "success")
        return redirect(url_for("projects.home", slug=project.slug))
    return form_page("projects/village.html", form=form, project=project, village=None)


@bp.route("/projects/<slug>/villages/<int:village_id>/edit", methods=["GET", "POST"])
@require(Cap.MANAGE_PROJECT)
def edit_village(project: Project, village_id: int):
    village = services.get_village(project, village_id) or abort(404)
    form = VillageForm(obj=village)
    if form.validate_on_submit() and _check_village_unique(form, project, village):
        services.update_village(village, form.data_dict())
        flash(_("Village saved."), "success")
        return redirect(url_for("projects.home", slug=project.slug))
    context = {"form": form, "project": project, "village": village, "delete_form": EmptyForm()}
    return form_page("projects/village.html", **context)


@bp.route("/projects/<slug>/villages/<int:village_id>/delete", methods=["POST"])
@require(Cap.MANAGE_PROJECT)
def delete_village(project: Project, village_id: int):
    village = services.get_village(project, village_id) or abort(404)
    check_button()
    services.delete_village(village)
    flash(_("Village deleted."), "success")
    return redirect(url_for("projects.home", slug=project.slug))


# --- members ---------------------------------------------------------------------------------


def _members_page(project: Project, status: int = 200, **extra):
    page = paginate(services.members_query(project), page_number(request.args.get("page")), 50)
    context = {
        "project": project,
        "page": page,
        "invitations": services.pending_invitations(project),
        "form": extra.pop("form", None) or MemberForm(formdata=None),
        "role_form": RoleForm(formdata=None),
        "button_form": EmptyForm(),
        **extra,
    }
    return no_store(render_template("projects/members.html", **context), status)


def _with_link(project: Project, invitation, token: str):
    """The members page with the one-time link (to copy, or to scan as a QR code), the same
    for a new or an existing account. Only this answer ever shows it: the token is not kept."""
    if not services.is_pending(invitation):
        return _members_page(project)
    invite_url = url_for("auth.accept_invitation", token=token, _external=True)
    title = _("Invitation link for %(username)s", username=invitation.username)
    return _members_page(
        project,
        invited=invitation,
        invite_url=invite_url,
        invite_qr=services.invitation_qr(invite_url, title),
    )


@bp.route("/projects/<slug>/members")
@require(Cap.MANAGE_PROJECT)
def members(project: Project):
    return _members_page(project)


@bp.route("/projects/<slug>/members", methods=["POST"])
@require(Cap.MANAGE_PROJECT)
def add_member(project: Project):
    form = MemberForm()
    valid = form.validate_on_submit()
    if valid and services.is_member(project, form.username.data):
        form.username.errors.append(_("This person is already a member."))
        valid = False
    if not valid:
        return _members_page(project, 422, form=form)
    invitation, token = services.invite_member(
        project,
        form.username.data,
        form.display_name.data or "",
        Role(form.role.data),
        current_user,
    )
    return _with_link(project, invitation, token)


@bp.route("/projects/<slug>/invitations/<int:invitation_id>/reissue", methods=["POST"])
@require(Cap.MANAGE_PROJECT)
def reissue_invitation(project: Project, invitation_id: int):
    invitation = services.get_invitation(project, invitation_id) or abort(404)
    check_button()
    new, token = services.reissue_invitation(invitation, current_user)
    return _with_link(project, new, token)


@bp.route("/projects/<slug>/invitations/<int:invitation_id>/cancel", methods=["POST"])
@require(Cap.MANAGE_PROJECT)
def cancel_invitation(project: Project, invitation_id: int):
    invitation = services.get_invitation(project, invitation_id) or abort(404)
    check_button()
    services.cancel_invitation(invitation, current_user)
    flash(_("Invitation cancelled: its link no longer works."), "success")
    return redirect(url_for("projects.members", slug=project.slug))


@bp.route("/projects/<slug>/members/<int:membership_id>/role", methods=["POST"])
@require(Cap.MANAGE_PROJECT)
def change_role(project: Project, membership_id: int):
    membership = services.get_membership(project, membership_id) or abort(404)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.change_role(membership, Role(form.role.data))
    except services.LastCoordinatorError:
        flash(_("A project needs at least one coordinator."), "error")
        return _members_page(project, 409)
    flash(_("Role changed."), "success")
    return redirect(url_for("projects.members", slug=project.slug))


@bp.route("/projects/<slug>/members/<int:membership_id>/remove", methods=["POST"])
@require(Cap.MANAGE_PROJECT)
def remove_member(project: Project, membership_id: int):
    membership = services.get_membership(project, membership_id) or abort(404)
    check_button()
    try:
        services.remove_member(membership)
    except services.LastCoordinatorError:
        flash(_("A project needs at least one coordinator."), "error")
        return _members_page(project, 409)
    flash(_("Member removed from the project."), "success")
    return redirect(url_for("projects.members", slug=project.slug))


@bp.route("/projects/<slug>/members/<int:membership_id>/invite", methods=["POST"])
@require(Cap.MANAGE_PROJECT)
def reinvite(project: Project, membership_id: int):
    """A link for a member who has never set a password (added before invitations changed)."""
    membership = services.get_membership(project, membership_id) or abort(404)
    check_button()
    if membership.user.password_hash:
        abort(409)  # they log in with their own password; nobody else may set one
    invitation, token = services.reinvite(membership, current_user)
    return _with_link(project, invitation, token)


# --- site administration -----------------------------------------------------------------------


@bp.route("/admin/users")
@require_admin
def users():
    page = paginate(services.users_query(), page_number(request.args.get("page")), 50)
    return no_store(render_template("projects/users.html", page=page, button_form=EmptyForm()))


@bp.route("/admin/users/<int:user_id>/active", methods=["POST"])
@require_admin
def set_user_active(user_id: int):
    user = services.get_user(user_id) or abort(404)
    check_button()
    active = request.form.get("active") == "1"
    if user.id == current_user.id and not active:
        flash(_("You cannot disable your own account."), "error")
    else:
        services.set_user_active(user, active)
        flash(
            _("Account enabled.") if active else _("Account disabled; its sessions ended."),
            "success",
        )
    return redirect(url_for("projects.users"))
