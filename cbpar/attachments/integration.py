"""What attachments contribute to shared features: the helpers every record page's
attachment list uses. Features declare which records take attachments in their own
integration, with `services.register_target`."""

from __future__ import annotations

from typing import Any

from flask import Flask, g

from cbpar import links
from cbpar.attachments import services
from cbpar.attachments.models import Attachment


def attachments_of(record: Any) -> list[Attachment] | None:
    """For templates: the attachments of `record`, or None if the member may not see them."""
    if not services.can_view(g.membership, record):
        return None
    return services.list_for(record)


def attachment_target_name(record: Any) -> str:
    return links.type_of(record).name


def init_app(app: Flask) -> None:
    app.add_template_global(attachments_of, "attachments_of")
    app.add_template_global(attachment_target_name, "attachment_target_name")
