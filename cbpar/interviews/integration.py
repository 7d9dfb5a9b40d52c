"""What interviews contribute to shared features: interviews as linkable records (never
commented on: their content is confidential), interview search, and their attachments."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from cbpar import links, search
from cbpar.attachments import services as attachment_services
from cbpar.comments import services as comment_services
from cbpar.interviews import services
from cbpar.interviews.models import Interview


def init_app(app: Flask) -> None:
    links.register(
        app,
        links.RecordType(
            "interview",
            Interview,
            lambda i: i.label,
            "interviews.view",
            "interview_id",
            services.can_see,
            lambda: str(_l("Interview")),
        ),
    )
    search.register(app, "interview", services.search_interviews)
    comment_services.exclude(app, "interview")
    attachment_services.register_target(
        app,
        "interview",
        services.content_visible,
        lambda m, i: services.content_visible(m, i) and i.erased_at is None,
        services.media_problem,
    )
