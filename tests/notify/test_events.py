"""Issue 19: every feature emits the contract's events, to the right people, with only the
contract's params; the reminder sources (votes closing, actions due, care overdue) find what is
due now and nothing else. A capturing handler records each event as the features emit it;
after every test each captured event is checked against the contract (params keys exactly,
no household code in any value)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from cbpar import events
from cbpar.auth.models import User
from cbpar.care import programmes, reminders
from cbpar.care.models import (
    Child,
    ChildSex,
    ContactKind,
    ContactLog,
    ContactTarget,
    Enrolment,
    Programme,
    ProgrammeKind,
    TargetKind,
    Volunteer,
    VolunteerKind,
)
from cbpar.comments import services as comments
from cbpar.db import db, utcnow
from cbpar.initiatives import services as initiatives
from cbpar.mapping import services as mapping_services
from cbpar.mapping.models import Caregiver, Household, MigrantParents
from cbpar.meetings import minutes, notices
from cbpar.meetings import services as meetings
from cbpar.meetings.models import ActionStatus, ApprovalMode, Meeting, MeetingKind
from cbpar.needs import ballots, vote_rounds
from cbpar.needs import notices as vote_notices
from cbpar.needs import services as needs
from cbpar.needs.models import Need, NeedCategory, NeedStatus, PaperSheetIssue, VoteRound
from cbpar.notify.models import Notification
from cbpar.projects import services as projects
from cbpar.projects.models import Membership, Project, Village
from cbpar.security import Role
from tests.helpers import csv_bytes, fresh_app, full_initiative, household_row, run

# The params of each kind, as the notifications contract lists them (cbpar.notify EventKind).
KEYS: dict[str, set[str]] = {
    "vote_opened": {"question", "closes"},
    "vote_closing": {"question", "closes"},
    "vote_results": {"question"},
    "meeting_planned": {"title", "starts", "meeting_id"},
    "meeting_changed": {"title", "starts", "meeting_id"},
    "meeting_cancelled": {"title", "starts", "meeting_id"},
    "minutes_to_approve": {"title"},
    "minutes_approved": {"title"},
    "action_assigned": {"meeting", "due"},
    "action_due": {"meeting", "due"},
    "action_overdue": {"meeting", "due"},
    "comment_reply": {"record_type"},
    "need_status": {"need", "status"},
    "contacts_overdue": {"programme", "count"},
    "followups_due": {"count"},
    "reflection_waiting": {"programme", "date"},
    "invitation_accepted": {"role"},
    "import_finished": {"what", "rows"},
    "import_failed": {"what"},
    "backup_failed": set(),
    "milestone_reached": {"initiative", "milestone"},
}
ANNOUNCED = {
    "vote_opened",
    "vote_results",
    "meeting_planned",
    "meeting_changed",
    "meeting_cancelled",
    "milestone_reached",
}
CODES = ("SH-001", "SH-002")  # the project's households (the `world` fixture)


def check_contract(event: events.Event) -> None:
    assert set(event.params) == KEYS[event.kind], event
    assert event.announce == (event.kind in ANNOUNCED), event
    assert event.url.startswith("/") and "://" not in event.url, event
    assert event.actor_id not in event.recipients, event
    for value in event.params.values():
        assert value is None or isinstance(value, str | int | float), event
        for code in CODES:
            assert code not in str(value), event
    for code in CODES:
        assert code not in event.url and code not in (event.dedupe or ""), event


@pytest.fixture
def captured(app, database) -> Iterator[list[events.Event]]:
    """Events as the features emit them (the handler runs in their transaction)."""
    got: list[events.Event] = []
    events.register_handler(app, got.append)
    try:
        yield got
    finally:
        app.extensions["cbpar_registry"]["event_handlers"].remove(got.append)
    for event in got:
        check_contract(event)


@pytest.fixture
def world(app, team, make_user) -> dict[str, Any]:
    """The team project with two households, and a disabled committee member."""
    project = team["project"]
    sleeper = make_user("sleeper", active=False)
    with app.app_context():
        village = project_village(project.id)
        for number, code in enumerate(CODES, start=1):
            db.session.add(
                Household(
                    project_id=project.id,
                    village_id=village,
                    number=number,
                    code=code,
                    lat=42.36,
                    lon=119.83,
                    members=4,
                    children_under_6=1,
                    migrant_parents=MigrantParents.BOTH,
                    caregiver=Caregiver.GRANDPARENTS,
                )
            )
        db.session.add(Membership(project_id=project.id, user_id=sleeper.id, role=Role.COMMITTEE))
        db.session.commit()
    ids = {role: user.id for role, user in team["users"].items()}
    return {"project_id": project.id, "ids": ids, "sleeper": sleeper.id, **team}


def project_village(project_id: int) -> int:
    return db.session.scalar(select(Village.id).where(Village.project_id == project_id))


def of(captured: list[events.Event], kind: str) -> list[events.Event]:
    return [e for e in captured if e.kind == kind]


def project(world) -> Project:
    return db.session.get(Project, world["project_id"])


def user(world, role: Role) -> User:
    return db.session.get(User, world["ids"][role])


def membership(world, role: Role) -> Membership:
    return db.session.scalar(
        select(Membership).where(
            Membership.project_id == world["project_id"],
            Membership.user_id == world["ids"][role],
        )
    )


def ids(world, *roles: Role) -> set[int]:
    return {world["ids"][r] for r in roles}


EVERY_MEMBER = tuple(Role)
READERS = (Role.COORDINATOR, Role.RESEARCHER, Role.FIELD_WORKER, Role.COMMITTEE)


# --- needs and votes -------------------------------------------------------------------------


def new_needs(world, n: int = 2, by: Role = Role.COMMITTEE) -> list[int]:
    items = [
        Need(
            project_id=world["project_id"],
            title=f"Need {i}",
            category=NeedCategory.CHILDCARE,
            proposed_by_id=world["ids"][by],
        )
        for i in range(n)
    ]
    db.session.add_all(items)
    db.session.flush()
    return [n.id for n in items]


def new_round(world, roles: list[str], by: Role = Role.COORDINATOR, **times: Any) -> VoteRound:
    now = utcnow()
    data = {
        "title": "Which need first?",
        "method": "borda",
        "need_ids": new_needs(world),
        "eligible_roles": roles,
        "opens_at": times.get("opens_at", now - timedelta(minutes=1)),
        "closes_at": times.get("closes_at", now + timedelta(days=2)),
    }
    return vote_rounds.create_round(project(world), data, user(world, by))


def test_a_vote_opened_reaches_its_eligible_voters_only(app, world, captured):
    with app.test_request_context():
        vote = new_round(world, ["coordinator", "committee"])
        (opened,) = of(captured, "vote_opened")
        # Eligible: coordinator (the actor, left out) and committee; never the disabled one.
        assert set(opened.recipients) == ids(world, Role.COMMITTEE)
        assert world["sleeper"] not in opened.recipients
        assert opened.actor_id == world["ids"][Role.COORDINATOR]
        assert opened.params["question"] == "Which need first?"
        assert datetime.fromisoformat(opened.params["closes"]) == vote.closes_at
        assert opened.url == f"/projects/p1/votes/{vote.id}"
        assert opened.dedupe == f"vote_opened:{vote.id}"
        # The proposer hears the needs were shortlisted (the actor is the coordinator).
        shortlisted = of(captured, "need_status")
        assert len(shortlisted) == 2
        assert all(e.recipients == (world["ids"][Role.COMMITTEE],) for e in shortlisted)
        assert {e.params["status"] for e in shortlisted} == {"shortlisted"}


def test_a_scheduled_round_is_announced_by_the_reminder_once_it_opens(app, world, captured):
    with app.test_request_context():
        now = utcnow()
        vote = new_round(world, ["committee"], opens_at=now + timedelta(hours=2))
        db.session.flush()
        assert of(captured, "vote_opened") == []
        assert vote_notices.opened_reminders(now) == []
        (due,) = vote_notices.opened_reminders(now + timedelta(hours=3))
        assert due.kind == "vote_opened" and due.dedupe == f"vote_opened:{vote.id}"
        assert set(due.recipients) == ids(world, Role.COMMITTEE)
        captured.append(due)


def test_vote_closing_reaches_only_those_who_have_not_voted(app, world, captured):
    with app.test_request_context():
        now = utcnow()
        vote = new_round(world, ["committee", "field_worker", "researcher"])
        vote.closes_at = now + timedelta(hours=20)
        db.session.flush()
        later = now + timedelta(minutes=5)
        # Nobody has voted: every eligible active member is reminded.
        (first,) = vote_notices.closing_reminders(later)
        assert set(first.recipients) == ids(
            world, Role.COMMITTEE, Role.FIELD_WORKER, Role.RESEARCHER
        )
        assert first.dedupe == f"vote_closing:{vote.id}" and not first.announce
        # One votes online, one takes a paper sheet: only the third is reminded.
        need_ids = vote_rounds.option_ids(vote)
        ballots.cast_ballot(vote, membership(world, Role.COMMITTEE), need_ids)
        db.session.add(PaperSheetIssue(round_id=vote.id, user_id=world["ids"][Role.RESEARCHER]))
        db.session.flush()
        (second,) = vote_notices.closing_reminders(later)
        assert second.recipients == (world["ids"][Role.FIELD_WORKER],)
        captured.extend([first, second])
        # Everyone voted: no reminder at all.
        ballots.cast_ballot(vote, membership(world, Role.FIELD_WORKER), need_ids[::-1])
        assert vote_notices.closing_reminders(later) == []


def test_no_closing_reminder_more_than_a_day_ahead_or_after_closing(app, world, captured):
    with app.test_request_context():
        now = utcnow()
        vote = new_round(world, ["committee"], closes_at=now + timedelta(hours=30))
        db.session.flush()
        assert vote_notices.closing_reminders(now) == []
        assert len(vote_notices.closing_reminders(now + timedelta(hours=7))) == 1
        assert vote_notices.closing_reminders(vote.closes_at + timedelta(minutes=1)) == []


def test_results_of_a_round_closed_by_hand_and_of_one_whose_time_ran_out(app, world, captured):
    with app.test_request_context():
        vote = new_round(world, ["committee"])
        assert vote_rounds.close_round(vote, user(world, Role.RESEARCHER))
        (results,) = of(captured, "vote_results")
        everyone_but_actor = set(world["ids"].values()) - ids(world, Role.RESEARCHER)
        assert set(results.recipients) == everyone_but_actor  # observers too: they see results
        assert results.url == f"/projects/p1/votes/{vote.id}/results"
        assert results.announce
        later = utcnow() + timedelta(days=3)
        assert vote_notices.results_reminders(later) == []  # told already, when closed
        ran_out = new_round(world, ["committee"])
        (due,) = vote_notices.results_reminders(later)
        assert due.dedupe == f"vote_results:{ran_out.id}"
        assert vote_notices.results_reminders(later + timedelta(days=5)) == []


def test_need_status_goes_to_its_proposer(app, world, captured):
    with app.test_request_context():
        (need_id,) = new_needs(world, 1, by=Role.COMMITTEE)
        need = db.session.get(Need, need_id)
        needs.set_status(need, NeedStatus.DECLINED, "too far", by=user(world, Role.COORDINATOR))
        (told,) = of(captured, "need_status")
        assert told.recipients == (world["ids"][Role.COMMITTEE],)
        assert told.params == {"need": "Need 0", "status": "declined"}
        assert told.url == f"/projects/p1/needs/{need_id}"
        # The proposer changing it themselves is not told.
        needs.set_status(need, NeedStatus.PROPOSED, by=user(world, Role.COMMITTEE))
        assert of(captured, "need_status")[-1].recipients == ()


# --- meetings --------------------------------------------------------------------------------


def new_meeting(world, starts: datetime, by: Role = Role.RESEARCHER) -> Meeting:
    data = {
        "kind": MeetingKind.COMMUNITY,
        "title": "Village meeting",
        "starts_at": starts,
        "place": "School hall",
    }
    return meetings.create_meeting(project(world), data, user(world, by))


def test_meetings_planned_changed_and_cancelled_reach_those_who_read_meetings(app, world, captured):
    with app.test_request_context():
        past = new_meeting(world, utcnow() - timedelta(days=3))
        assert captured == []  # a meeting recorded after it took place is not announced
        meeting = new_meeting(world, utcnow() + timedelta(days=3))
        (planned,) = of(captured, "meeting_planned")
        assert set(planned.recipients) == ids(world, *READERS) - ids(world, Role.RESEARCHER)
        assert planned.params["meeting_id"] == meeting.id and planned.params["title"] == (
            "Village meeting"
        )
        assert datetime.fromisoformat(planned.params["starts"]) == meeting.starts_at
        assert planned.url == f"/projects/p1/meetings/{meeting.id}"
        meetings.update_meeting(meeting, {"title": "Village meeting (2)"}, meeting.version)
        assert of(captured, "meeting_changed") == []  # a new title is not a change of plan
        new_start = meeting.starts_at + timedelta(hours=2)
        meetings.update_meeting(meeting, {"starts_at": new_start}, meeting.version)
        (changed,) = of(captured, "meeting_changed")
        assert datetime.fromisoformat(changed.params["starts"]) == new_start
        meetings.update_meeting(meeting, {"place": "Clinic"}, meeting.version)
        assert len(of(captured, "meeting_changed")) == 2
        assert len({e.dedupe for e in of(captured, "meeting_changed")}) == 2
        meetings.change_status(meeting, "cancel")
        (cancelled,) = of(captured, "meeting_cancelled")
        assert set(cancelled.recipients) == ids(world, *READERS)
        meetings.change_status(past, "hold")
        assert of(captured, "minutes_to_approve") == []  # no minutes yet


def test_minutes_waiting_for_approval_and_approved(app, world, captured):
    with app.test_request_context():
        meeting = new_meeting(world, utcnow() - timedelta(hours=3))
        minutes.save_minutes(meeting, "Draft", None, user(world, Role.RESEARCHER))
        assert of(captured, "minutes_to_approve") == []  # the meeting is not marked held yet
        meetings.change_status(meeting, "hold")
        (waiting,) = of(captured, "minutes_to_approve")
        assert waiting.recipients == (world["ids"][Role.COORDINATOR],)  # coordinator mode
        assert waiting.params == {"title": "Village meeting"}
        assert waiting.dedupe == f"minutes_to_approve:{meeting.id}"
        coordinator = user(world, Role.COORDINATOR)
        assert minutes.approve_minutes(meeting, membership(world, Role.COORDINATOR), coordinator)
        (approved,) = of(captured, "minutes_approved")
        assert set(approved.recipients) == ids(world, *READERS) - ids(world, Role.COORDINATOR)


def test_in_attendees_mode_the_attending_members_are_asked_to_approve(app, world, captured):
    with app.test_request_context():
        meetings.set_approval_mode(project(world), ApprovalMode.ATTENDEES)
        meeting = new_meeting(world, utcnow() - timedelta(hours=3))
        meetings.set_attendance(meeting, ids(world, Role.COMMITTEE, Role.FIELD_WORKER))
        meetings.change_status(meeting, "hold")
        minutes.save_minutes(meeting, "What we said", None, user(world, Role.RESEARCHER))
        (waiting,) = of(captured, "minutes_to_approve")
        assert set(waiting.recipients) == ids(world, Role.COMMITTEE, Role.FIELD_WORKER)
        assert not minutes.approve_minutes(
            meeting, membership(world, Role.COMMITTEE), user(world, Role.COMMITTEE)
        )
        assert of(captured, "minutes_approved") == []  # one attendee still to approve
        assert notices.approver_ids(meeting) == (world["ids"][Role.FIELD_WORKER],)


def test_action_assigned_due_tomorrow_and_overdue_in_the_projects_time(app, world, captured):
    with app.test_request_context():
        meeting = new_meeting(world, utcnow() - timedelta(days=1))
        field_worker = world["ids"][Role.FIELD_WORKER]
        now = datetime(2026, 3, 9, 17, 0, tzinfo=UTC)  # 01:00 on 10 March in Shanghai
        local_today = date(2026, 3, 10)
        item = meetings.add_action_item(
            meeting,
            {"what": "Ask the school SH-001", "assignee_id": field_worker, "due_on": local_today
             + timedelta(days=1)},
            user(world, Role.RESEARCHER),
        )  # fmt: skip
        (assigned,) = of(captured, "action_assigned")
        assert assigned.recipients == (field_worker,)
        assert assigned.params == {"meeting": "Village meeting", "due": "2026-03-11"}
        assert "Ask the school" not in str(assigned)
        meetings.add_action_item(
            meeting,
            {"what": "Tell the doctor", "assignee_name": "Dr Li"},
            user(world, Role.RESEARCHER),
        )
        assert len(of(captured, "action_assigned")) == 1  # no account, nobody to tell
        (due,) = notices.action_reminders(now)
        assert due.kind == "action_due" and due.recipients == (field_worker,)
        assert due.dedupe == f"action_due:{item.id}:2026-03-11"
        # In UTC it is still the 9th: the item is due in two days there, but not in Shanghai.
        assert local_today == notices.project_today(project(world), now)
        (overdue,) = notices.action_reminders(now + timedelta(days=2))
        assert overdue.kind == "action_overdue"
        assert overdue.dedupe == f"action_overdue:{item.id}:2026-03-11"
        # A new due date is told again; a done item never.
        item.due_on = date(2026, 3, 20)
        db.session.flush()
        assert notices.action_reminders(now + timedelta(days=2)) == []
        (again,) = notices.action_reminders(datetime(2026, 3, 19, 1, 0, tzinfo=UTC))
        assert again.dedupe == f"action_due:{item.id}:2026-03-20"
        meetings.set_action_status(item, ActionStatus.DONE)
        assert notices.action_reminders(datetime(2026, 3, 25, 1, 0, tzinfo=UTC)) == []
        captured.extend([due, overdue, again])


# --- comments, initiatives, invitations ------------------------------------------------------


def test_a_reply_goes_to_the_parent_comments_author_not_to_oneself(app, world, captured):
    with app.test_request_context():
        meeting = new_meeting(world, utcnow() - timedelta(days=3))
        top = comments.add_comment(meeting, user(world, Role.COMMITTEE), "What about SH-001?")
        assert captured == []
        reply = comments.add_comment(meeting, user(world, Role.FIELD_WORKER), "Visited.", top.id)
        (told,) = of(captured, "comment_reply")
        assert told.recipients == (world["ids"][Role.COMMITTEE],)
        assert told.params == {"record_type": "meeting"}
        assert told.url == f"/projects/p1/meetings/{meeting.id}#comment-{reply.id}"
        comments.add_comment(meeting, user(world, Role.COMMITTEE), "Thanks", top.id)
        assert len(of(captured, "comment_reply")) == 1


def test_a_milestone_reached_is_announced_to_those_who_read_initiatives(app, world, captured):
    with app.test_request_context():
        initiative = full_initiative(project(world), "Kindergarten")
        milestone = initiative.milestones[0]
        initiatives.update_milestone(milestone, {"note": "still planning"})
        assert captured == []
        initiatives.update_milestone(milestone, {"done_on": date(2020, 6, 3)})
        (reached,) = of(captured, "milestone_reached")
        assert set(reached.recipients) == set(world["ids"].values())  # observers read them
        assert reached.params == {"initiative": "Kindergarten", "milestone": "Kindergarten: plan"}
        assert reached.announce
        initiatives.update_milestone(milestone, {"done_on": date(2020, 6, 4)})
        assert len(of(captured, "milestone_reached")) == 1


def test_an_accepted_invitation_is_told_to_the_coordinators(app, world, captured, make_user):
    newcomer = make_user("newcomer")
    with app.test_request_context():
        invitation, _token = projects.invite_member(
            project(world), "newcomer", "", Role.FIELD_WORKER, user(world, Role.COORDINATOR)
        )
        projects.accept_invitation(invitation, db.session.get(User, newcomer.id))
        (accepted,) = of(captured, "invitation_accepted")
        assert accepted.recipients == (world["ids"][Role.COORDINATOR],)
        assert accepted.params == {"role": "field_worker"}
        assert accepted.actor_id == newcomer.id
        assert accepted.url == "/projects/p1/members"


# --- care ------------------------------------------------------------------------------------


def care_world(world) -> dict[str, Any]:
    """A programme with a weekly family call, two enrolled children (one called on time), a
    follow-up due, and a volunteer with an account (the field worker)."""
    household = db.session.scalar(select(Household).where(Household.code == CODES[0]))
    children = []
    for number in (1, 2):
        child = Child(
            project_id=world["project_id"],
            household_id=household.id,
            number=number,
            code=f"{household.code}-{number}",
            birth_year=2015,
            sex=ChildSex.GIRL,
            parents_away=MigrantParents.BOTH,
            caregiver=Caregiver.GRANDPARENTS,
        )
        db.session.add(child)
        children.append(child)
    programme = Programme(
        project_id=world["project_id"], name="Weekly calls", kind=ProgrammeKind.FAMILY_CALLS
    )
    programme.targets = [ContactTarget(kind=TargetKind.FAMILY_CALL, every_days=7)]
    db.session.add(programme)
    db.session.flush()
    today = date(2026, 3, 10)
    for child in children:
        db.session.add(
            Enrolment(
                project_id=world["project_id"],
                programme_id=programme.id,
                child_id=child.id,
                starts_on=today - timedelta(days=30),
            )
        )
    db.session.add(
        ContactLog(
            project_id=world["project_id"],
            child_id=children[1].id,
            kind=ContactKind.VIDEO_CALL,
            on=today - timedelta(days=2),
            summary="Grandmother worries",
            follow_up_on=today,
        )
    )
    volunteer = Volunteer(
        project_id=world["project_id"],
        display_name="Wang Fang",
        kind=VolunteerKind.VOLUNTEER_MOTHER,
        user_id=world["ids"][Role.FIELD_WORKER],
    )
    stranger = Volunteer(
        project_id=world["project_id"], display_name="Li", kind=VolunteerKind.VOLUNTEER_MOTHER
    )
    db.session.add_all([volunteer, stranger])
    db.session.flush()
    return {"programme": programme, "children": children, "today": today,
            "volunteers": (volunteer, stranger)}  # fmt: skip


FIELD_TEAM = (Role.COORDINATOR, Role.RESEARCHER, Role.FIELD_WORKER)  # members with record_care


def test_contacts_overdue_and_followups_due_once_a_day_to_the_field_team(app, world, captured):
    with app.test_request_context():
        care = care_world(world)
        morning = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
        overdue, followups = reminders.reminders(morning)
        assert overdue.kind == "contacts_overdue"
        assert set(overdue.recipients) == ids(world, *FIELD_TEAM)
        assert overdue.params == {"programme": "Weekly calls", "count": 1}
        assert overdue.dedupe == f"contacts_overdue:{care['programme'].id}:2026-03-10"
        assert overdue.url == f"/projects/p1/programmes/{care['programme'].id}"
        assert followups.kind == "followups_due" and followups.params == {"count": 1}
        assert followups.dedupe == f"followups_due:{world['project_id']}:2026-03-10"
        assert set(followups.recipients) == ids(world, *FIELD_TEAM)
        # Not in the night; the next day has a key of its own.
        assert reminders.reminders(datetime(2026, 3, 9, 20, 0, tzinfo=UTC)) == []
        next_day = reminders.reminders(morning + timedelta(days=1))
        assert {e.dedupe for e in next_day} & {overdue.dedupe, followups.dedupe} == set()
        # Everyone called and the follow-up done: nothing to tell.
        for child in care["children"]:
            db.session.add(
                ContactLog(
                    project_id=world["project_id"],
                    child_id=child.id,
                    kind=ContactKind.PHONE_CALL,
                    on=care["today"],
                )
            )
        for log in db.session.scalars(select(ContactLog)):
            log.follow_up_done_on = care["today"]
        db.session.flush()
        assert reminders.reminders(morning) == []
        captured.extend([overdue, followups, *next_day])


def test_a_recorded_session_asks_its_volunteers_with_an_account_for_a_reflection(
    app, world, captured
):
    with app.test_request_context():
        care = care_world(world)
        volunteer, stranger = care["volunteers"]
        day = care["today"]
        starts = datetime(2026, 3, 10, 16, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
        session = programmes.record_session(
            care["programme"],
            {"starts_at": starts, "notes": "SH-001-1 cried"},
            {},
            user(world, Role.RESEARCHER),
            day,
            volunteers={volunteer.id: "2", stranger.id: "1.5"},
        )
        (waiting,) = of(captured, "reflection_waiting")
        assert waiting.recipients == (world["ids"][Role.FIELD_WORKER],)
        assert waiting.params == {"programme": "Weekly calls", "date": "2026-03-10"}
        assert waiting.url == (f"/projects/p1/volunteers/{volunteer.id}/diary?session={session.id}")
        assert "Wang" not in str(waiting)


# --- transfer --------------------------------------------------------------------------------


def test_an_import_finished_or_failed_is_told_to_who_ran_it(
    app, world, captured, client, login, monkeypatch
):
    fields = ("village", "lat", "lon", "members", "children_under_6", "children_6_17",
              "left_behind_children")  # fmt: skip
    form = {f"map-{f}": f for f in fields}
    login(world["users"][Role.FIELD_WORKER])

    def upload() -> str:
        response = client.post(
            "/projects/p1/import/households",
            data={"file": (io.BytesIO(csv_bytes([household_row(), household_row()])), "s.csv")},
            content_type="multipart/form-data",
        )
        return response.headers["Location"]

    assert '"done": true' in client.post(f"{upload()}/run", data=form).get_data(as_text=True)
    (finished,) = of(captured, "import_finished")
    assert finished.recipients == (world["ids"][Role.FIELD_WORKER],)
    assert finished.params == {"what": "households", "rows": 2}
    assert finished.url.startswith("/projects/p1/import/households/done/")
    # The page without JavaScript too.
    assert client.post(upload(), data={**form, "action": "commit"}).status_code == 200
    assert len(of(captured, "import_finished")) == 2

    def fail(model, rows):
        raise RuntimeError("disk full")

    monkeypatch.setattr(mapping_services, "bulk_insert", fail)
    assert "error" in client.post(f"{upload()}/run", data=form).get_data(as_text=True)
    (failed,) = of(captured, "import_failed")
    assert failed.recipients == (world["ids"][Role.FIELD_WORKER],)
    assert failed.params == {"what": "households"}
    # The notice was committed on its own, after the import was rolled back.
    with app.app_context():
        kinds = db.session.scalars(
            select(Notification.kind).where(Notification.user_id == world["ids"][Role.FIELD_WORKER])
        )
        assert "import_failed" in list(kinds)


def test_a_failed_backup_tells_the_site_admins_and_the_notice_survives(tmp_path):
    app = fresh_app(tmp_path)
    got: list[events.Event] = []
    events.register_handler(app, got.append)
    with app.app_context():
        admin = User(username="admin", is_admin=True)
        retired = User(username="retired", is_admin=True, active=False)
        db.session.add_all([admin, retired, User(username="plain")])
        db.session.commit()
        admin_id = admin.id
        database = db.engine.url.database
    result = run(app, "backup", "-o", database)  # the database itself: refused
    assert result.exit_code != 0
    (failed,) = got
    assert failed.kind == "backup_failed" and failed.recipients == (admin_id,)
    assert failed.project_id is None and failed.params == {}
    check_contract(failed)
    with app.app_context():
        stored = db.session.scalar(
            select(func.count()).select_from(Notification).where(Notification.user_id == admin_id)
        )
        assert stored == 1
        db.engine.dispose()


# --- one transaction -------------------------------------------------------------------------


def test_a_rolled_back_change_leaves_no_notification(app, world, captured):
    with app.test_request_context():
        meeting = new_meeting(world, utcnow() + timedelta(days=2))
        assert len(of(captured, "meeting_planned")) == 1
        db.session.flush()
        written = db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.dedupe == f"meeting_planned:{meeting.id}:1")
        )
        assert written == len(ids(world, *READERS)) - 1  # in the same transaction
        db.session.rollback()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Notification)) == 0
        assert db.session.scalar(select(func.count()).select_from(Meeting)) == 0


def test_every_reminder_source_is_registered(app):
    with app.app_context():
        sources = app.extensions["cbpar_registry"]["reminder_sources"]
    assert vote_notices.reminders in sources
    assert notices.action_reminders in sources
    assert reminders.reminders in sources
