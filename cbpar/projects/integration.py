"""What projects contribute to shared features: how @require finds a project and the
user's membership of it, villages as linkable records, and the project navigation."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from cbpar import access, links
from cbpar.projects import navigation, services
from cbpar.projects.models import Village
from cbpar.security import Cap


def init_app(app: Flask) -> None:
    access.project_loader(app, services.load_for_member)
    app.add_template_global(navigation.project_nav, "project_nav")
    app.add_template_global(navigation.overview_is_current, "overview_is_current")
    links.register(
        app,
        links.RecordType(
            "village", Village, lambda v: v.name, "projects.home", "village_id",
            links.needs(Cap.VIEW_PROJECT), lambda: str(_l("Village")),
        ),
    )  # fmt: skip
