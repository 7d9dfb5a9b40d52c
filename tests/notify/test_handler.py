"""The event handler: one notification per recipient, in the change's transaction."""

from __future__ import annotations

from sqlalchemy import select

from cbpar import events
from cbpar.db import db
from cbpar.notify import services
from cbpar.notify.models import EmailFrequency, Notification, NotificationSettings
from cbpar.projects.models import Membership
from cbpar.security import Role
from tests.notify.conftest import count

VOTE = {"question": "Which need first?", "closes": "2026-12-01T10:00:00+00:00"}


def test_one_notification_per_recipient_and_never_to_the_actor(app, team, emit):
    users, project = team["users"], team["project"]
    everyone = list(users.values())
    actor = users[Role.COORDINATOR]
    emit("vote_opened", project, everyone, params=VOTE, url="/projects/p1/votes/1",
         dedupe="vote_opened:1", actor_id=actor.id)  # fmt: skip
    for role, user in users.items():
        expected = 0 if user is actor else 1
        assert count(app, user_id=user.id) == expected, role
    with app.app_context():
        row = db.session.scalar(
            select(Notification).where(Notification.user_id == users[Role.OBSERVER].id)
        )
        assert row.kind == "vote_opened"
        assert row.project_id == project.id
        assert row.params == VOTE
        assert row.url == "/projects/p1/votes/1"
        assert row.read_at is None
        assert row.email_status == "pending"
        assert row.created_at.tzinfo is not None


def test_the_dedupe_key_holds_across_requests_and_within_one(app, team, emit):
    users, project = team["users"], team["project"]
    voter = users[Role.COMMITTEE]
    emit("vote_closing", project, [voter], params=VOTE, dedupe="vote_closing:7")
    emit("vote_closing", project, [voter], params=VOTE, dedupe="vote_closing:7")
    assert count(app, user_id=voter.id) == 1
    # Twice in the same transaction (not yet flushed) is still once.
    with app.test_request_context():
        for _ in range(2):
            events.emit(events.Event("vote_closing", project.id, (voter.id,), VOTE, "/",
                                     dedupe="vote_closing:8"))  # fmt: skip
        db.session.commit()
    assert count(app, user_id=voter.id, dedupe="vote_closing:8") == 1
    # Without a key every event is told.
    emit("vote_results", project, [voter], params={"question": "Q"})
    emit("vote_results", project, [voter], params={"question": "Q"})
    assert count(app, user_id=voter.id, kind="vote_results") == 2


def test_non_members_and_disabled_accounts_are_skipped(app, team, emit, make_user):
    users, project = team["users"], team["project"]
    outsider = team["outsider"]
    gone = users[Role.OBSERVER]
    disabled = make_user("disabled", active=False)
    with app.app_context():
        db.session.add(Membership(project_id=project.id, user_id=disabled.id,
                                  role=Role.RESEARCHER))  # fmt: skip
        # A member removed from the project: the row is gone.
        db.session.delete(
            db.session.scalar(
                select(Membership).where(
                    Membership.user_id == gone.id, Membership.project_id == project.id
                )
            )
        )
        db.session.commit()
    researcher = users[Role.RESEARCHER]
    emit("minutes_approved", project, [outsider, gone, disabled, researcher],
         params={"title": "Meeting"})  # fmt: skip
    assert count(app, user_id=outsider.id) == 0
    assert count(app, user_id=gone.id) == 0
    assert count(app, user_id=disabled.id) == 0
    assert count(app, user_id=researcher.id) == 1
    # A site-wide event (no project) reaches an account that is in no project.
    emit("backup_failed", None, [outsider])
    assert count(app, user_id=outsider.id) == 1


def test_a_rolled_back_change_takes_its_notifications_with_it(app, team):
    voter = team["users"][Role.COMMITTEE]
    with app.test_request_context():
        events.emit(events.Event("vote_opened", team["project"].id, (voter.id,), VOTE, "/"))
        db.session.flush()
        assert count(app, user_id=voter.id) == 1  # the same session sees it
        db.session.rollback()
    assert count(app, user_id=voter.id) == 0


def test_mark_read_only_touches_ones_own(app, team, emit):
    users, project = team["users"], team["project"]
    mine, theirs = users[Role.RESEARCHER], users[Role.FIELD_WORKER]
    emit("vote_results", project, [mine, theirs], params={"question": "Q"})
    emit("minutes_approved", project, [mine], params={"title": "M"})
    with app.test_request_context():
        their_id = db.session.scalar(
            select(Notification.id).where(Notification.user_id == theirs.id)
        )
        my_ids = list(
            db.session.scalars(select(Notification.id).where(Notification.user_id == mine.id))
        )
        assert services.unread_count(mine) == 2
        assert services.mark_read(mine, [their_id, my_ids[0]]) == 1
        assert services.mark_read(mine, []) == 0
        assert services.unread_count(mine) == 1
        assert services.unread_count(theirs) == 1
        assert services.mark_read(mine, None) == 1
        assert services.unread_count(mine) == 0
        assert services.unread_count(theirs) == 1
        db.session.commit()


def test_settings_are_made_on_first_use_with_the_defaults(app, team):
    user = team["users"][Role.RESEARCHER]
    with app.test_request_context():
        assert services.existing_settings(user) is None
        made = services.settings_for(user)
        assert made.email is None and made.pending_email is None
        assert made.email_frequency == EmailFrequency.IMMEDIATE
        assert made.muted_kinds == []
        assert services.settings_for(user) is made
        db.session.commit()
    with app.app_context():
        assert db.session.get(NotificationSettings, user.id) is not None
