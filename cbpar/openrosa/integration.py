"""What the OpenRosa server contributes to shared features: households and facilities take
the photos sent with their submissions as attachments (unless their own feature registered
that already), and the submission statuses for templates."""

from __future__ import annotations

from flask import Flask

from cbpar import links
from cbpar.attachments import services as attachment_services
from cbpar.openrosa.models import SubmissionStatus
from cbpar.security import Cap


def init_app(app: Flask) -> None:
    targets = attachment_services.targets(app)
    if "household" not in targets:
        attachment_services.register_target(
            app,
            "household",
            links.needs(Cap.SEE_HOUSEHOLD_DETAILS),
            links.needs(Cap.EDIT_FIELD_RECORDS),
        )
    if "facility" not in targets:
        attachment_services.register_target(
            app, "facility", links.needs(Cap.VIEW_PROJECT), links.needs(Cap.EDIT_FIELD_RECORDS)
        )
    app.add_template_global(SubmissionStatus, "SubmissionStatus")
