"""API endpoints about the caller."""

from flask import jsonify, url_for
from flask_login import current_user

from cbpar.access import require_login
from cbpar.api import bp
from cbpar.projects.services import projects_for_user


@bp.route("/me")
@require_login
def me():
    projects = [
        {
            "slug": project.slug,
            "name": project.name,
            "role": membership.role.value,
            "url": url_for("projects.home", slug=project.slug, _external=True),
        }
        for project, membership in projects_for_user(current_user)
    ]
    response = jsonify(
        username=current_user.username,
        display_name=current_user.display_name,
        is_admin=current_user.is_admin,
        locale=current_user.locale,
        projects=projects,
    )
    response.headers["Cache-Control"] = "no-store"
    return response
