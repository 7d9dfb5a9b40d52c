"""The notification settings page: address (pending until confirmed), frequency, kinds."""

from __future__ import annotations

import re

from sqlalchemy import select

from cbpar.db import db
from cbpar.notify.models import EventKind, NotificationSettings
from cbpar.security import Role

ALL_KINDS = [kind.value for kind in EventKind]


def stored(app, user) -> NotificationSettings | None:
    with app.app_context():
        found = db.session.get(NotificationSettings, user.id)
        if found is not None:
            db.session.expunge(found)
        return found


def outbox_to(app, address: str) -> list:
    from cbpar.notify.delivery_models import OutboxMessage

    with app.app_context():
        return list(
            db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == address))
        )


def test_the_page_shows_the_defaults_without_writing(app, client, team, login):
    me = team["users"][Role.RESEARCHER]
    login(me)
    response = client.get("/me/notifications/settings")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert stored(app, me) is None  # a GET makes no row
    assert re.search(r'<input checked[^>]*value="immediate"', html)
    for kind in ALL_KINDS:  # every kind e-mailed by default
        assert f'value="{kind}"' in html
    assert html.count('name="emailed"') == len(ALL_KINDS)
    assert html.count("checked") == len(ALL_KINDS) + 1
    assert "Votes" in html and "Meetings and minutes" in html  # grouped
    assert 'href="/profile"' in html  # the language is the profile's


def test_saving_frequency_and_kinds(app, client, team, login):
    me = team["users"][Role.RESEARCHER]
    login(me)
    emailed = [k for k in ALL_KINDS if k not in ("milestone_reached", "vote_results")]
    response = client.post(
        "/me/notifications/settings",
        data={"email": "", "email_frequency": "weekly", "emailed": emailed},
    )
    assert response.status_code == 302
    row = stored(app, me)
    assert row.email_frequency == "weekly"
    assert sorted(row.muted_kinds) == ["milestone_reached", "vote_results"]
    html = client.get("/me/notifications/settings").get_data(as_text=True)
    assert html.count("checked") == len(emailed) + 1


def test_a_new_address_waits_for_its_confirmation(app, client, team, login):
    me = team["users"][Role.RESEARCHER]
    login(me)
    data = {"email": " li@example.com ", "email_frequency": "daily", "emailed": ALL_KINDS}
    assert client.post("/me/notifications/settings", data=data).status_code == 302
    row = stored(app, me)
    assert row.email is None  # not used before the link is opened
    assert row.pending_email == "li@example.com"
    assert row.confirm_token_hash
    assert len(outbox_to(app, "li@example.com")) == 1  # the confirmation e-mail
    html = client.get("/me/notifications/settings").get_data(as_text=True)
    assert "waiting for confirmation" in html
    assert "li@example.com" in html
    # Saving again with the same pending address sends no second link.
    client.post("/me/notifications/settings", data=data)
    assert len(outbox_to(app, "li@example.com")) == 1


def test_the_verified_address_stays_until_a_new_one_is_confirmed(app, client, team, login):
    me = team["users"][Role.RESEARCHER]
    with app.app_context():
        db.session.add(
            NotificationSettings(
                user_id=me.id, email="old@example.com", email_frequency="immediate", muted_kinds=[]
            )
        )
        db.session.commit()
    login(me)
    data = {"email": "new@example.org", "email_frequency": "immediate", "emailed": ALL_KINDS}
    client.post("/me/notifications/settings", data=data)
    row = stored(app, me)
    assert (row.email, row.pending_email) == ("old@example.com", "new@example.org")
    html = client.get("/me/notifications/settings").get_data(as_text=True)
    assert "E-mail goes to: old@example.com" in html
    assert "waiting for confirmation" in html
    # Back to the verified address: the pending one is forgotten.
    client.post("/me/notifications/settings", data={**data, "email": "old@example.com"})
    row = stored(app, me)
    assert (row.email, row.pending_email) == ("old@example.com", None)
    # Empty: no e-mail at all.
    client.post("/me/notifications/settings", data={**data, "email": ""})
    row = stored(app, me)
    assert (row.email, row.pending_email) == (None, None)


def test_bad_input_is_shown_and_nothing_saved(app, client, team, login):
    me = team["users"][Role.RESEARCHER]
    login(me)
    for bad in (
        {"email": "not an address", "email_frequency": "daily"},
        {"email": "a@b", "email_frequency": "daily"},
        {"email": "x" * 250 + "@example.com", "email_frequency": "daily"},
        {"email": "", "email_frequency": "hourly"},
        {"email": "", "email_frequency": "daily", "emailed": ["vote_opened", "no_such_kind"]},
    ):
        response = client.post("/me/notifications/settings", data=bad)
        assert response.status_code == 422, bad
        assert "Please correct the marked fields" in response.get_data(as_text=True)
    assert stored(app, me) is None
    html = client.post(
        "/me/notifications/settings", data={"email": "nope", "email_frequency": "daily"}
    ).get_data(as_text=True)
    assert "does not look like an e-mail address" in html


def test_the_profile_and_inbox_link_to_the_settings(client, team, login):
    login(team["users"][Role.OBSERVER])
    for path in ("/profile", "/me/notifications"):
        assert 'href="/me/notifications/settings"' in client.get(path).get_data(as_text=True)
