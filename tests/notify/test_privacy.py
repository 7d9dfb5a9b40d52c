# ruff: noqa: F401, F811  (pytest fixtures imported from delivery_support)
"""No message that leaves the app (e-mail parts and attachments, chat posts) contains a
household code or a child's code: one event of every kind on the demo project, checked
against every code in the database."""

from __future__ import annotations

from email.message import EmailMessage

from sqlalchemy import func, select

from cbpar.auth.models import User
from cbpar.care.models import Child, Programme
from cbpar.db import db
from cbpar.initiatives.models import Initiative, Milestone
from cbpar.mapping.models import Household
from cbpar.meetings.models import Meeting
from cbpar.needs.models import Need, VoteRound
from cbpar.notify import delivery
from cbpar.notify.delivery_models import OutboxMessage
from cbpar.notify.models import EventKind, Notification, NotificationSettings
from cbpar.projects.models import Project
from tests.notify.delivery_support import emit, fresh_catalogs, make_app, send, smtp_server, webhook


def _events(project: Project) -> list[tuple[str, dict, bool]]:
    """One event of every kind with the params a feature would give, from the demo's data."""
    meeting = db.session.scalar(select(Meeting).where(Meeting.project_id == project.id))
    vote = db.session.scalar(select(VoteRound).where(VoteRound.project_id == project.id))
    need = db.session.scalar(select(Need).where(Need.project_id == project.id))
    initiative = db.session.scalar(select(Initiative).where(Initiative.project_id == project.id))
    milestone = db.session.scalar(select(Milestone))
    programme = db.session.scalar(select(Programme).where(Programme.project_id == project.id))
    starts = meeting.starts_at.isoformat()
    meet = {"title": meeting.title, "starts": starts, "meeting_id": meeting.id}
    question = {"question": vote.title, "closes": "2026-12-03T10:00:00+00:00"}
    programme_name = programme.name if programme else "After-school classroom"
    params = {
        "vote_opened": (question, True),
        "vote_closing": (question, False),
        "vote_results": ({"question": vote.title}, True),
        "meeting_planned": (meet, True),
        "meeting_changed": (meet, True),
        "meeting_cancelled": (meet, True),
        "minutes_to_approve": ({"title": meeting.title}, False),
        "minutes_approved": ({"title": meeting.title}, False),
        "action_assigned": ({"meeting": meeting.title, "due": "2026-12-05"}, False),
        "action_due": ({"meeting": meeting.title, "due": "2026-12-05"}, False),
        "action_overdue": ({"meeting": meeting.title, "due": "2026-11-20"}, False),
        "comment_reply": ({"record_type": "household"}, False),
        "need_status": ({"need": need.title, "status": "confirmed"}, False),
        "contacts_overdue": ({"programme": programme_name, "count": 3}, False),
        "followups_due": ({"count": 2}, False),
        "reflection_waiting": ({"programme": programme_name, "date": "2026-11-28"}, False),
        "invitation_accepted": ({"role": "committee"}, False),
        "import_finished": ({"what": "households", "rows": 120}, False),
        "import_failed": ({"what": "children"}, False),
        "backup_failed": ({}, False),
        "milestone_reached": (
            {"initiative": initiative.title, "milestone": milestone.title},
            True,
        ),
    }
    assert set(params) == {k.value for k in EventKind}, "a kind is missing from this test"
    return [(kind, p, announce) for kind, (p, announce) in params.items()]


def _parts(message: EmailMessage) -> list[str]:
    texts = [str(message["Subject"])]
    for part in message.walk():
        if not part.is_multipart():
            texts.append(str(part.get_content()))
    return texts


def test_no_outgoing_message_contains_a_household_or_child_code(tmp_path, smtp_server, webhook):
    app = make_app(tmp_path, smtp_server, demo=True)
    with app.app_context():
        project = db.session.scalar(select(Project))
        users = list(db.session.scalars(select(User)))
        for index, user in enumerate(users[:3]):  # three readers: English, Chinese, default
            user.locale = ("en", "zh_Hans", None)[index]
            address = f"{user.username}@example.org"
            db.session.merge(NotificationSettings(user_id=user.id, email=address))
        for locale in ("en", "zh_Hans"):
            delivery.add_channel(project, webhook.url(f"/{locale}"), locale=locale)
        db.session.commit()
        codes = set(db.session.scalars(select(Household.code)))
        codes |= set(db.session.scalars(select(Child.code)))
        events = _events(project)
        project_id, slug = project.id, project.slug
        user_ids = [u.id for u in users]
    assert len(codes) > 20  # the demo's households and children

    for number, (kind, params, announce) in enumerate(events):
        emit(app, kind, project_id, user_ids, params=params, announce=announce,
             url=f"/projects/{slug}/", dedupe=f"{kind}:{number}")  # fmt: skip
    summary = send(app)  # also the demo's own events and reminders (overdue contacts...)
    assert summary.failed == 0 and summary.dead == 0, summary.errors

    bodies: list[str] = []
    for message in smtp_server.mailbox.messages:
        bodies.extend(_parts(message))
    for post in webhook.posts:
        bodies.append(str(post["body"]))
    with app.app_context():
        for row in db.session.scalars(select(OutboxMessage)):
            bodies += [row.subject, row.text_body, row.html_body or ""]
            bodies += [a["text"] for a in row.attachments or []]
        told = db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.email_status == "queued")
        )
    # Every notification became an e-mail (all immediate), each group got every announcement.
    assert told > len(events) * 2
    assert len(smtp_server.mailbox.messages) == told
    announced = sum(1 for _kind, _params, announce in events if announce)
    assert len(webhook.posts) == 2 * announced
    # The meeting e-mails carry the calendar entry.
    calendars = [b for b in bodies if b.startswith("BEGIN:VCALENDAR")]
    assert calendars
    for body in bodies:
        for code in codes:
            assert code not in body, f"{code} in an outgoing message"
