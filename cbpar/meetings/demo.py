"""Demo meetings for the fictional project: the seed study's meetings, step by step.

Group meetings where memos were discussed, key meetings with the two village committees,
and a final community meeting that confirmed the most pressing needs; plus one planned, one
held whose minutes wait for approval, and one cancelled, so every state can be seen.
Safe to load again: a meeting is added only if no meeting of that title exists.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from cbpar import links
from cbpar.auth.models import User
from cbpar.db import db
from cbpar.meetings import minutes as minutes_services
from cbpar.meetings import services
from cbpar.meetings.models import (
    ActionStatus,
    AgeGroup,
    Gender,
    GuestRole,
    Meeting,
    MeetingKind,
    MeetingStatus,
)
from cbpar.projects.models import Membership, Project

V, P, G, T, C = (
    GuestRole.VILLAGER,
    GuestRole.PARENT,
    GuestRole.GRANDPARENT_CAREGIVER,
    GuestRole.TEACHER,
    GuestRole.COMMITTEE_MEMBER,
)
W, M, X = Gender.WOMAN, Gender.MAN, Gender.OTHER
U18, Y, MID, OLD = (
    AgeGroup.UNDER_18,
    AgeGroup.FROM_18_TO_35,
    AgeGroup.FROM_36_TO_59,
    AgeGroup.OVER_60,
)

MEETINGS: list[dict[str, Any]] = [
    {
        "title": "Group meeting: first field memos",
        "kind": MeetingKind.RESEARCH_TEAM,
        "start": (2019, 10, 12, 14, 0),
        "hours": 2,
        "place": "Social-work station, Xinhui town",
        "village": None,
        "agenda": "1. Field memos from the first household visits\n"
        "2. Emerging questions: who cares for the youngest children?\n3. Next visits",
        "attendees": ["coordinator", "researcher", "fieldworker"],
        "guests": [],
        "minutes": "## Memos discussed\n\n"
        "- Several grandmothers care for children under six alone; some walk 10 km to the "
        "town kindergarten, most keep the children at home.\n"
        "- Weekly phone calls with migrant parents are short and irregular.\n\n"
        "## Emerging questions\n\n"
        "How many households with children under six live more than 5 km from a kindergarten?",
        "decisions": ["Map every household's distance to the nearest kindergarten."],
        "actions": [("Finish mapping Liangshui households", "fieldworker", 2019, 10, 30, "done")],
        "discuss": 2,
    },
    {
        "title": "Group meeting: reflection notes and the distance finding",
        "kind": MeetingKind.RESEARCH_TEAM,
        "start": (2019, 11, 9, 14, 0),
        "hours": 2,
        "place": "Social-work station, Xinhui town",
        "village": None,
        "agenda": "1. Reflection notes\n2. The map: distance to the nearest kindergarten\n"
        "3. Preparing the village committee meetings",
        "attendees": ["coordinator", "researcher", "fieldworker"],
        "guests": [],
        "minutes": "The map confirms it: **the nearest kindergarten is about 10 km** from "
        "Shuanghe. Reflection notes show caregivers' fatigue and children's loneliness.\n\n"
        "We will bring the map to both village committees.",
        "decisions": ["Present the distance map to both village committees in December."],
        "actions": [
            ("Print the map for the committee meetings", "researcher", 2019, 12, 1, "done")
        ],
        "discuss": 2,
    },
    {
        "title": "Key meeting with the Shuanghe village committee",
        "kind": MeetingKind.VILLAGE_COMMITTEE,
        "start": (2019, 12, 5, 9, 30),
        "hours": 2,
        "place": "Shuanghe village committee office",
        "village": "SH",
        "agenda": "1. What the mapping found\n2. The committee's view of the children's needs\n"
        "3. A final community meeting",
        "attendees": ["coordinator", "researcher", "committee1", "committee2"],
        "guests": [("Director Zhao", C, M, MID), ("", C, W, MID), ("", T, W, Y)],
        "minutes": "The director confirmed the distance problem and added that the primary "
        "school has no one to support children whose parents are away.\n\n"
        "The committee agreed to invite parents and grandparents to a community meeting.",
        "decisions": [
            "Hold a community meeting in January to confirm the most pressing needs.",
        ],
        "actions": [
            ("Invite caregivers to the community meeting", "committee1", 2020, 1, 5, "done"),
            ("Ask the school head about a social-work room", None, 2020, 1, 5, "open"),
        ],
        "discuss": 1,
    },
    {
        "title": "Key meeting with the Liangshui village committee",
        "kind": MeetingKind.VILLAGE_COMMITTEE,
        "start": (2019, 12, 12, 9, 30),
        "hours": 2,
        "place": "Liangshui village committee office",
        "village": "LS",
        "agenda": "1. What the mapping found\n2. After-school care\n3. The community meeting",
        "attendees": ["coordinator", "committee3", "committee4"],
        "guests": [("", C, M, OLD), ("", T, M, MID)],
        "minutes": "The committee asked for after-school tutoring (a '4:30 classroom') and "
        "will send representatives to the community meeting.",
        "decisions": ["Liangshui joins the January community meeting."],
        "actions": [("Find a room for after-school tutoring", "committee3", 2020, 3, 1, "open")],
        "discuss": 0,
    },
    {
        "title": "Community meeting: confirming the most pressing needs",
        "kind": MeetingKind.COMMUNITY,
        "start": (2020, 1, 11, 10, 0),
        "hours": 3,
        "place": "Shuanghe primary school hall",
        "village": "SH",
        "agenda": "1. What we found, with the map\n2. Needs raised by families\n"
        "3. Confirming the most pressing needs\n4. Who does what next",
        "attendees": ["coordinator", "researcher", "fieldworker", "committee1", "committee3"],
        "guests": [
            ("", G, W, OLD),
            ("", G, W, OLD),
            ("", G, M, OLD),
            ("Wang Li", P, W, Y),
            ("", P, W, Y),
            ("", P, M, MID),
            ("", V, W, MID),
            ("", V, M, MID),
            ("", V, X, U18),
            ("", T, W, Y),
            ("", C, M, MID),
        ],  # fmt: skip
        "minutes": "## Needs confirmed\n\n"
        "1. A kindergarten within reach of Shuanghe (the nearest is about 10 km away).\n"
        "2. Social-work services in the primary school for left-behind children.\n\n"
        "Grandparent caregivers spoke first; parents home for the New Year joined.\n\n"
        "## Next steps\n\nThe community will hire a teacher; the agency and the university "
        "will raise funds and equipment.",
        "decisions": [
            "Confirmed need: a kindergarten within walking distance of Shuanghe.",
            "Confirmed need: social-work services in the primary school.",
            "The community hires a teacher; the agency and university raise funds.",
        ],
        "actions": [
            ("Draw up the kindergarten plan", "coordinator", 2020, 6, 30, "done"),
            ("Apply to the youth federation for funds", "researcher", 2020, 4, 30, "open"),
            ("Recruit a kindergarten teacher", "Village committee of Shuanghe", 2020, 9, 1, "open"),
        ],
        "discuss": 2,
    },
]


def _users() -> dict[str, User]:
    return {u.username: u for u in db.session.scalars(select(User))}


def _local(project: Project, parts: tuple[int, ...]) -> datetime:
    return datetime(*parts, tzinfo=ZoneInfo(project.timezone)).astimezone(ZoneInfo("UTC"))


def _discussable(project: Project, count: int) -> list[Any]:
    """Some of the demo's memos, if the memos feature has registered its records."""
    record_type = links.record_types().get("memo")
    if record_type is None or count == 0:
        return []
    model = record_type.model
    query = select(model).where(model.project_id == project.id).order_by(model.id).limit(count)
    return list(db.session.scalars(query))


def _add(project: Project, spec: dict[str, Any], users: dict[str, User], index: int) -> None:
    coordinator = users["coordinator"]
    village = next((v for v in project.villages if v.code == spec["village"]), None)
    start = _local(project, spec["start"])
    meeting = services.create_meeting(
        project,
        {
            "kind": spec["kind"],
            "title": spec["title"],
            "starts_at": start,
            "ends_at": start + timedelta(hours=spec["hours"]),
            "place": spec["place"],
            "village_id": village.id if village else None,
            "agenda": spec["agenda"],
        },
        coordinator,
    )
    services.set_attendance(meeting, {users[name].id for name in spec["attendees"]})
    for name, role, gender, age in spec["guests"]:
        services.add_guest(
            meeting, {"name": name, "role": role, "gender": gender, "age_group": age}
        )
    meeting.status = MeetingStatus.HELD
    minutes_services.save_minutes(meeting, spec["minutes"], None, users["researcher"])
    membership = db.session.scalar(
        select(Membership).where(
            Membership.project_id == project.id, Membership.user_id == coordinator.id
        )
    )
    minutes_services.approve_minutes(meeting, membership, coordinator)
    for text in spec["decisions"]:
        services.add_decision(meeting, text, coordinator)
    for what, who, year, month, day, status in spec["actions"]:
        member = users.get(who) if who else None
        item = services.add_action_item(
            meeting,
            {
                "what": what,
                "assignee_id": member.id if member else None,
                "assignee_name": "" if member else (who or "School head"),
                "due_on": date(year, month, day),
            },
            coordinator,
        )
        item.status = ActionStatus(status)


def _link_discussed(project: Project, users: dict[str, User]) -> None:
    """Link memos as discussed (again on each load: memos may be loaded after meetings)."""
    by_title = {
        m.title: m
        for m in db.session.scalars(select(Meeting).where(Meeting.project_id == project.id))
    }
    for index, spec in enumerate(MEETINGS):
        meeting = by_title.get(spec["title"])
        if meeting is None or not spec["discuss"]:
            continue
        offset = index % 3
        for record in _discussable(project, spec["discuss"] + offset)[offset:]:
            links.add(meeting, record, "discussed", by=users["coordinator"])


def _planned(project: Project, users: dict[str, User]) -> None:
    title = "Progress meeting with both village committees"
    if db.session.scalar(select(Meeting.id).where(Meeting.project_id == project.id,
                                                  Meeting.title == title)):  # fmt: skip
        return
    start = datetime.now(ZoneInfo(project.timezone)).replace(
        hour=9, minute=30, second=0, microsecond=0
    ) + timedelta(days=21)
    services.create_meeting(
        project,
        {
            "kind": MeetingKind.VILLAGE_COMMITTEE,
            "title": title,
            "starts_at": start.astimezone(ZoneInfo("UTC")),
            "ends_at": (start + timedelta(hours=2)).astimezone(ZoneInfo("UTC")),
            "place": "Shuanghe village committee office",
            "village_id": None,
            "agenda": "1. The kindergarten: first cohort\n2. Social-work room: schedule\n"
            "3. Open action items",
        },
        users["coordinator"],
    )


WAITING_TITLE = "Group meeting: planning the after-school classroom"
CANCELLED_TITLE = "Volunteer training in Liangshui (cancelled: snowstorm)"


def _waiting_and_cancelled(project: Project, users: dict[str, User], existing: set[str]) -> None:
    """A held meeting whose minutes wait for approval, and a cancelled one."""
    coordinator = users["coordinator"]
    if WAITING_TITLE not in existing:
        start = _local(project, (2020, 3, 14, 14, 0))
        meeting = services.create_meeting(
            project,
            {
                "kind": MeetingKind.RESEARCH_TEAM,
                "title": WAITING_TITLE,
                "starts_at": start,
                "ends_at": start + timedelta(hours=2),
                "place": "Social-work station, Xinhui town",
                "village_id": None,
                "agenda": "1. A room for the '4:30 classroom'\n2. Volunteer tutors\n3. Timetable",
            },
            coordinator,
        )
        services.set_attendance(
            meeting, {users[n].id for n in ("coordinator", "researcher", "fieldworker")}
        )
        services.change_status(meeting, "hold")
        minutes_services.save_minutes(
            meeting,
            "## Draft, waiting for approval\n\n"
            "- The primary school can lend a classroom after 16:30 on weekdays.\n"
            "- Two university students offered to tutor on Tuesdays and Thursdays.",
            None,
            users["researcher"],
        )
        services.add_decision(meeting, "Start the after-school classroom in September.",
                              coordinator)  # fmt: skip
        item = services.add_action_item(
            meeting,
            {"what": "Ask the town library for second-hand books", "assignee_id": None,
             "assignee_name": "School head", "due_on": date(2020, 4, 30)},
            coordinator,
        )  # fmt: skip
        services.set_action_status(item, ActionStatus.DROPPED)
    if CANCELLED_TITLE not in existing:
        village = next((v for v in project.villages if v.code == "LS"), None)
        start = _local(project, (2020, 2, 22, 9, 0))
        meeting = services.create_meeting(
            project,
            {
                "kind": MeetingKind.COMMUNITY,
                "title": CANCELLED_TITLE,
                "starts_at": start,
                "ends_at": start + timedelta(hours=3),
                "place": "Liangshui village committee office",
                "village_id": village.id if village else None,
                "agenda": "1. Tutoring basics\n2. Safeguarding children",
            },
            coordinator,
        )
        services.change_status(meeting, "cancel")


def load(project: Project) -> None:
    users = _users()
    if not {"coordinator", "researcher"} <= users.keys():
        return
    existing = set(
        db.session.scalars(select(Meeting.title).where(Meeting.project_id == project.id))
    )
    for index, spec in enumerate(MEETINGS):
        if spec["title"] not in existing:
            _add(project, spec, users, index)
    _planned(project, users)
    _waiting_and_cancelled(project, users, existing)
    _link_discussed(project, users)
    db.session.flush()
