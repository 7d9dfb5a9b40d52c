"""The project overview: villages, members, every feature's home panel, the research cycle
(the journey stepper) and first-run hints, read in one SQL statement (cbpar.batch) after the
log-in and the membership, plus at most one per panel that must look up something it learns
from that statement (the member's ballots in the open votes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import func, select

from cbpar import links
from cbpar.auth.models import User
from cbpar.batch import Batch
from cbpar.projects.models import Membership, Project, Village
from cbpar.projects.services import registered_home_panels
from cbpar.security import Cap, Role, membership_can

MEMBERS_SHOWN = 200


@dataclass(frozen=True)
class Step:
    """A step of the research cycle: done once any record of `kinds` (links' record types)
    exists in the project; its page is the first of `pages` (endpoint, capability) the member
    may open."""

    key: str
    label: Any
    kinds: tuple[str, ...]
    pages: tuple[tuple[str, Cap], ...]


STEPS = (
    Step(
        "map",
        _l("Map"),
        ("household", "facility"),
        (("mapping.map_page", Cap.SEE_VILLAGE_TOTALS),),
    ),
    Step(
        "research",
        _l("Memos and interviews"),
        ("memo", "interview"),
        (("memos.index", Cap.SEE_COMMUNITY_MEMOS), ("interviews.index", Cap.EDIT_FIELD_RECORDS)),
    ),
    Step("meetings", _l("Meetings"), ("meeting",), (("meetings.index", Cap.READ_MEETINGS),)),
    Step("needs", _l("Needs"), ("need",), (("needs.index", Cap.VIEW_PROJECT),)),
    Step("vote", _l("Vote"), ("vote_round",), (("needs.votes", Cap.VIEW_PROJECT),)),
    Step(
        "initiatives",
        _l("Initiatives"),
        ("initiative",),
        (("initiatives.index", Cap.READ_INITIATIVES),),
    ),
    Step(
        "services",
        lazy_pgettext("journey step", "Services"),
        ("programme",),
        (("care.dashboard", Cap.VIEW_PROJECT),),
    ),
    Step("results", _l("Results"), ("milestone",), (("initiatives.impact", Cap.READ_INITIATIVES),)),
)


@dataclass
class JourneyStep:
    key: str
    label: Any
    done: bool
    current: bool
    endpoint: str | None  # None: the member may not open it


@dataclass(frozen=True)
class Hint:
    key: str  # remembered per project in the browser once dismissed
    text: Any
    endpoint: str | None = None
    link_text: Any = None


@dataclass
class Overview:
    villages: list[Any]
    members: list[Any]
    counts: dict[Role, int]
    panels: list[tuple[str, SimpleNamespace]]
    journey: list[JourneyStep]
    hints: list[Hint] = field(default_factory=list)


def _journey(done: dict[str, bool], membership: Membership, now: str | None) -> list[JourneyStep]:
    """Each step done or not; the current one is the step under way (a vote open now), else
    the furthest one done (the first when none is)."""
    reached = [s.key for s in STEPS if done[s.key]]
    current = now or (reached[-1] if reached else STEPS[0].key)
    return [
        JourneyStep(
            s.key,
            s.label,
            done[s.key],
            s.key == current,
            next((ep for ep, cap in s.pages if membership_can(membership, cap)), None),
        )
        for s in STEPS
    ]


def _hints(
    membership: Membership, done: dict[str, bool], villages: int, members: int, now: str | None
) -> list[Hint]:
    """Short first-run hints for this member's role and the project's state (at most one)."""
    role = membership.role
    if membership_can(membership, Cap.MANAGE_PROJECT):
        if not villages:
            return [
                Hint(
                    "add-villages",
                    _l("Start by adding your villages, then map their households on the map."),
                    "projects.new_village",
                    _l("Add village"),
                )
            ]
        if members <= 1:
            return [
                Hint(
                    "invite-team",
                    _l("Invite your team: add members and give each one a role."),
                    "projects.members",
                    _l("Manage members"),
                )
            ]
    if membership_can(membership, Cap.EDIT_FIELD_RECORDS) and not done["map"]:
        return [
            Hint(
                "map-households",
                _l("Start by recording households and facilities on the map."),
                "mapping.map_page",
                _l("Map"),
            )
        ]
    if role == Role.COMMITTEE and now == "vote":
        return [
            Hint(
                "committee-menu",
                _l(
                    "The menu at the top has the meetings, the needs and the votes. You can"
                    " change your ballot until the vote closes."
                ),
            )
        ]
    if role == Role.COMMITTEE:
        return [
            Hint(
                "committee-votes",
                _l(
                    "When a vote opens you will see it here. Meanwhile you can read the meetings"
                    " and propose needs."
                ),
                "needs.index",
                _l("Needs"),
            )
        ]
    if role == Role.OBSERVER:
        return [
            Hint(
                "observer-results",
                _l("Initiatives, their funding and their results appear here as they happen."),
                "initiatives.transparency",
                _l("Transparency page"),
            )
        ]
    return []


def overview(project: Project, membership: Membership) -> Overview:
    """Everything the overview shows. One statement for the lot (see cbpar.batch); a panel
    may send one more once it has what the first one found."""
    batch = Batch()
    villages = batch.rows(
        select(Village.id, Village.name, Village.code)
        .where(Village.project_id == project.id)
        .order_by(Village.name)
    )
    counts = batch.rows(
        select(Membership.role, func.count().label("n"))
        .where(Membership.project_id == project.id)
        .group_by(Membership.role)
    )
    members = None
    if membership_can(membership, Cap.VIEW_MEMBERS):
        members = batch.rows(
            select(Membership.id, Membership.role, User.username, User.display_name)
            .join(User, User.id == Membership.user_id)
            .where(Membership.project_id == project.id)
            .order_by(Membership.role, func.lower(User.username))
            .limit(MEMBERS_SHOWN)
        )
    types = links.record_types()
    exists = {
        kind: batch.exists(select(model.id).where(model.project_id == project.id))
        for kind in {k for s in STEPS for k in s.kinds}
        if (model := getattr(types.get(kind), "model", None)) is not None
    }
    asked = (panel(project, membership, batch) for panel in registered_home_panels())
    pending = [finish for finish in asked if finish is not None]
    batch.fetch()

    panels = [
        (template, SimpleNamespace(**context))
        for finish in pending
        if (shown := finish())
        for template, context in [shown]
    ]
    # A panel asking for the member's action now (e.g. a vote they may still cast) comes first.
    panels.sort(key=lambda item: not getattr(item[1], "first", False))
    now = next((p.now for _t, p in panels if getattr(p, "now", None)), None)
    done = {s.key: any(exists[k].value for k in s.kinds if k in exists) for s in STEPS}
    by_role = {Role(row["role"]): int(row["n"]) for row in counts.value}
    rows = members.value if members is not None else []
    return Overview(
        villages=villages.value,
        members=[
            SimpleNamespace(
                id=row["id"],
                role=row["role"],
                user=SimpleNamespace(name=row["display_name"] or row["username"]),
            )
            for row in rows
        ],
        counts=by_role,
        panels=panels,
        journey=_journey(done, membership, now),
        hints=_hints(membership, done, len(villages.value), sum(by_role.values()), now),
    )
