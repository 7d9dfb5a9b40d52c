"""How qualitative coding plugs into the app: re-anchoring codings when a source's text is
saved (and removing them when it is erased), the link to a source's coding page, and codes
and passages as records a need can cite as evidence."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext, ngettext

from cbpar import links, privacy
from cbpar.care.models import ContactLog
from cbpar.db import db
from cbpar.meetings.models import Meeting
from cbpar.projects.models import Project
from cbpar.qda import coding, services, sources
from cbpar.qda.models import Code, Coding
from cbpar.security import Cap, membership_can

SOURCES = {"interview", "memo", "minutes", "contact"}


def coding_url(kind: str, source_id: int) -> str | None:
    """The coding page of a source, for the link on the source's own page: for members who
    code (the page itself still checks that they may see the source)."""
    membership = g.get("membership")
    project = g.get("project")
    if kind not in SOURCES or project is None or not membership_can(membership, Cap.WRITE_MEMOS):
        return None
    return url_for("qda.code_source", slug=project.slug, kind=kind, source_id=source_id)


def code_label(code: Code) -> str:
    """A cited code says how much supports it: "distance: 12 passages from 9 families"."""
    project = db.session.get(Project, code.project_id)
    passages, seen, families = services.support(project, code)
    # Families of interviews are as sensitive as children: 1 to 4 read "fewer than 5" for
    # everyone without household details (the committee too), as in the report.
    audience = privacy.children_audience(privacy.audience_of(g.get("membership")))
    if privacy.suppress(families, audience) is privacy.SUPPRESSED:
        return _("%(code)s: passages from fewer than 5 families", code=code.name)
    return ngettext(
        "%(code)s: %(passages)s passages in %(sources)s sources, from %(num)d family",
        "%(code)s: %(passages)s passages in %(sources)s sources, from %(num)d families",
        families,
        code=code.name,
        passages=passages,
        sources=seen,
    )


def passage_label(item: Coding) -> str:
    text = item.text if len(item.text) <= 80 else item.text[:80] + "…"
    return f"“{text}” ({item.code.name})"


def passage_visible(membership: Any, item: Coding) -> bool:
    """A cited passage shows only to members who may see its source."""
    if item.blind:
        return False
    project = db.session.get(Project, item.project_id)
    source = sources.load(project, item.source_type, item.source_id)
    return source is not None and sources.can_see(membership, source)


def _source_visible(kind: str) -> Any:
    def visible(membership: Any, record: Any) -> bool:
        project = db.session.get(Project, record.project_id)
        source = sources.load(project, kind, record.id)
        return source is not None and sources.can_see(membership, source)

    return visible


def init_app(app: Flask) -> None:
    coding.listen()
    app.add_template_global(coding_url, "qda_coding_url")
    links.register(
        app,
        # The kinds of source a coding names (memo and interview are their features' own), so
        # that a coding's (source_type, source_id) is a typed reference project archives map.
        links.RecordType(
            "minutes", Meeting, lambda m: m.title, "meetings.meeting", "meeting_id",
            _source_visible("minutes"), lambda: str(_l("Meeting minutes")),
        ),
        links.RecordType(
            "contact", ContactLog, lambda c: f"{c.child.code} · {c.on.isoformat()}",
            "qda.contact_source", "contact_id", _source_visible("contact"),
            lambda: str(_l("Contact summary")),
        ),
        links.RecordType(
            "qda_code", Code, code_label, "qda.passages", "code_id",
            links.needs(Cap.VIEW_PROJECT), lambda: str(lazy_pgettext("qualitative coding", "Code")),
        ),
        links.RecordType(
            "qda_coding", Coding, passage_label, "qda.passage", "coding_id", passage_visible,
            lambda: str(_l("Coded passage")),
        ),
    )  # fmt: skip
