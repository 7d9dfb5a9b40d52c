"""The project navigation: links grouped by what people do, the groups in the order that fits
the member's role, only the links their capabilities allow, and which one is the current
section (for aria-current). Templates call project_nav() (registered by the integration)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, request, url_for
from flask_babel import lazy_gettext as _l

from cbpar.security import Cap, Role, membership_can


@dataclass(frozen=True)
class NavLink:
    key: str
    label: object
    endpoint: str
    cap: Cap


@dataclass(frozen=True)
class NavGroup:
    key: str
    heading: object
    links: tuple[NavLink, ...]


GROUPS = {
    "decide": NavGroup(
        "decide",
        _l("Decide together"),
        (
            NavLink("meetings", _l("Meetings"), "meetings.index", Cap.READ_MEETINGS),
            NavLink("needs", _l("Needs"), "needs.index", Cap.VIEW_PROJECT),
            NavLink("votes", _l("Votes"), "needs.votes", Cap.VIEW_PROJECT),
            NavLink("decisions", _l("Decisions"), "meetings.decisions", Cap.READ_MEETINGS),
        ),
    ),
    "field": NavGroup(
        "field",
        _l("Field work"),
        (
            NavLink("map", _l("Map"), "mapping.map_page", Cap.SEE_VILLAGE_TOTALS),
            NavLink("households", _l("Households"), "mapping.households", Cap.SEE_VILLAGE_TOTALS),
            NavLink("interviews", _l("Interviews"), "interviews.index", Cap.EDIT_FIELD_RECORDS),
            NavLink("field-app", _l("Field app"), "field.home", Cap.EDIT_FIELD_RECORDS),
            NavLink("facilities", _l("Facilities"), "mapping.facilities", Cap.VIEW_PROJECT),
            NavLink("analysis", _l("Analysis"), "mapping.analysis_page", Cap.SEE_VILLAGE_TOTALS),
            NavLink("openrosa", _l("ODK Collect"), "openrosa.index", Cap.EDIT_FIELD_RECORDS),
        ),
    ),
    "research": NavGroup(
        "research",
        _l("Research"),
        (
            NavLink("memos", _l("Memos"), "memos.index", Cap.SEE_COMMUNITY_MEMOS),
            NavLink("search", _l("Search"), "memos.search_page", Cap.SEE_COMMUNITY_MEMOS),
            NavLink("codebook", _l("Code book"), "qda.codebook", Cap.SEE_COMMUNITY_MEMOS),
        ),
    ),
    "act": NavGroup(
        "act",
        _l("Initiatives and results"),
        (
            NavLink("initiatives", _l("Initiatives"), "initiatives.index", Cap.READ_INITIATIVES),
            NavLink(
                "transparency", _l("Transparency"), "initiatives.transparency", Cap.READ_INITIATIVES
            ),
            NavLink("report", _l("Report"), "transfer.report_page", Cap.VIEW_PROJECT),
        ),
    ),
    "care": NavGroup(
        "care",
        _l("Services and care"),
        (
            NavLink("services", _l("Services delivered"), "care.dashboard", Cap.VIEW_PROJECT),
            NavLink("children", _l("Children"), "care.index", Cap.SEE_CHILDREN),
            NavLink("programmes", _l("Programmes"), "care.programmes_index", Cap.SEE_CHILDREN),
            NavLink("follow-ups", _l("Follow-ups due"), "care.follow_ups", Cap.SEE_CHILDREN),
            NavLink("volunteers", _l("Volunteers"), "care.volunteers_index", Cap.SEE_CHILDREN),
        ),
    ),
    "project": NavGroup(
        "project",
        _l("Project"),
        (
            NavLink("transfer", _l("Import / export"), "transfer.index", Cap.VIEW_PROJECT),
            NavLink("members", _l("Members"), "projects.members", Cap.MANAGE_PROJECT),
            NavLink("settings", _l("Settings"), "projects.settings", Cap.MANAGE_PROJECT),
        ),
    ),
}

# Committee members come to meet, rank needs and vote; field roles to map and interview;
# observers to follow initiatives; coordinators see every group in the order of the cycle.
_FIELD_FIRST = ("field", "care", "research", "decide", "act", "project")
ORDER: dict[Role, tuple[str, ...]] = {
    Role.COORDINATOR: _FIELD_FIRST,
    Role.RESEARCHER: _FIELD_FIRST,
    Role.FIELD_WORKER: _FIELD_FIRST,
    Role.COMMITTEE: ("decide", "act", "care", "field", "research", "project"),
    Role.OBSERVER: ("act", "care", "field", "decide", "research", "project"),
}

# The section each page belongs to: a few endpoints by name, then by blueprint.
_SECTION_OF_ENDPOINT = {
    "projects.home": "overview",
    "projects.new_village": "overview",
    "projects.edit_village": "overview",
    "projects.delete_village": "overview",
    "projects.settings": "settings",
    "meetings.decisions": "decisions",
    "initiatives.transparency": "transparency",
    "memos.search_page": "search",
    "transfer.report_page": "report",
    "transfer.report_markdown": "report",
    "mapping.map_page": "map",
    "mapping.analysis_page": "analysis",
    "mapping.saved_analysis": "analysis",
    "mapping.save_analysis": "analysis",
    "mapping.nearest_csv": "analysis",
    "needs.index": "needs",
    "needs.need": "needs",
    "needs.new_need": "needs",
    "needs.edit_need": "needs",
    "needs.need_status": "needs",
    "needs.add_evidence": "needs",
    "needs.remove_evidence": "needs",
    "care.dashboard": "services",
    "care.follow_ups": "follow-ups",
    "care.programmes_index": "programmes",
    "care.programme": "programmes",
    "care.programme_new": "programmes",
    "care.programme_edit": "programmes",
    "care.blank_sheet": "programmes",
    "care.contact_sheet": "programmes",
    "care.session_new": "programmes",
    "care.session": "programmes",
    "care.session_sheet": "programmes",
    "care.volunteers_index": "volunteers",
    "care.volunteer": "volunteers",
    "care.volunteer_new": "volunteers",
    "care.diary_new": "volunteers",
    "care.certificate": "volunteers",
}
_SECTION_OF_BLUEPRINT = {
    "projects": "members",
    "meetings": "meetings",
    "needs": "votes",
    "initiatives": "initiatives",
    "memos": "memos",
    "interviews": "interviews",
    "transfer": "transfer",
    "care": "children",
    "qda": "codebook",
    "openrosa": "openrosa",
    "field": "field-app",
}


@dataclass(frozen=True)
class ShownLink:
    label: object
    url: str
    current: bool


@dataclass(frozen=True)
class ShownGroup:
    key: str
    heading: object
    links: list[ShownLink]


def section_of(endpoint: str | None) -> str | None:
    """The navigation section a page belongs to, e.g. "households" for a household's page."""
    if not endpoint:
        return None
    if endpoint in _SECTION_OF_ENDPOINT:
        return _SECTION_OF_ENDPOINT[endpoint]
    blueprint, _dot, name = endpoint.partition(".")
    if blueprint == "mapping":
        return "facilities" if "facilit" in name else "households"
    return _SECTION_OF_BLUEPRINT.get(blueprint)


def project_nav() -> list[ShownGroup]:
    """The groups of links for the current member, in their role's order; empty groups left
    out."""
    membership = g.get("membership")
    project = g.get("project")
    if membership is None or project is None:
        return []
    current = section_of(request.endpoint)
    groups = []
    for key in ORDER[membership.role]:
        group = GROUPS[key]
        links = [
            ShownLink(
                link.label,
                url_for(link.endpoint, slug=project.slug),
                link.key == current,
            )
            for link in group.links
            if membership_can(membership, link.cap)
        ]
        if links:
            groups.append(ShownGroup(group.key, group.heading, links))
    return groups


def overview_is_current() -> bool:
    return section_of(request.endpoint) == "overview"
