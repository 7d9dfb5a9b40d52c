"""No lost edits on initiatives: an edit made from an older version is refused (409) and shows
what the person typed next to what is stored now; saving again then knowingly overwrites."""

from __future__ import annotations

from sqlalchemy import select

from cbpar.audit import AuditEvent
from cbpar.db import db
from cbpar.initiatives import services
from cbpar.initiatives.models import Initiative, InitiativeStatus
from tests.helpers import edit_version, full_initiative, seed

BASE = "/projects/p1"
STORED = "The committee's plan, as agreed in March."


def _form(**overrides):
    data = {
        "title": "Build a kindergarten",
        "description": STORED,
        "status": "fundraising",
        "currency": "CNY",
        "budget_target": "1000",
        "roles": "village committee: hire a kindergarten teacher",
    }
    data.update(overrides)
    return data


def _setup(app, client, login) -> tuple[int, str]:
    initiative_id = seed(
        app, lambda p: full_initiative(p, "Build a kindergarten", description=STORED).id
    )
    login("coordinator")
    return initiative_id, f"{BASE}/initiatives/{initiative_id}/edit"


def _stored(app, initiative_id: int) -> Initiative:
    with app.app_context():
        initiative = db.session.get(Initiative, initiative_id)
        db.session.expunge(initiative)
        return initiative


def _updates(app) -> int:
    with app.app_context():
        query = select(AuditEvent).where(AuditEvent.action == "initiative_updated")
        return len(list(db.session.scalars(query)))


def test_the_edit_form_carries_the_version(app, client, team, login):
    initiative_id, url = _setup(app, client, login)
    assert edit_version(client, url) == str(_stored(app, initiative_id).version)


def test_second_edit_from_the_same_version_is_refused_and_keeps_what_was_typed(
    app, client, team, login
):
    initiative_id, url = _setup(app, client, login)
    loaded = edit_version(client, url)  # both people open the form at this version
    first = client.post(url, data=_form(description="Alice's text.", version=loaded))
    assert first.status_code == 303
    assert _updates(app) == 1

    typed = "A careful rewrite by Bob, three paragraphs long."
    second = client.post(
        url, data=_form(description=typed, spent="250.50", status="planning", version=loaded)
    )
    page = second.get_data(as_text=True)
    assert second.status_code == 409
    assert "Someone else changed this record" in page
    assert typed in page  # in the form (and in the comparison): nothing typed is lost
    assert "Alice&#39;s text." in page  # what is stored now, next to it
    stored = _stored(app, initiative_id)
    assert stored.description == "Alice's text."  # the first edit stands, untouched
    assert stored.spent is None and stored.status == InitiativeStatus.FUNDRAISING
    assert f'name="version" type="hidden" value="{stored.version}"' in page
    assert stored.version == int(loaded) + 1
    assert _updates(app) == 1  # the refused edit is not audited


def test_saving_again_after_the_conflict_overwrites_knowingly(app, client, team, login):
    initiative_id, url = _setup(app, client, login)
    loaded = edit_version(client, url)
    assert client.post(url, data=_form(description="First.", version=loaded)).status_code == 303
    typed = _form(description="Second, from the old page.", version=loaded)
    conflict = client.post(url, data=typed)
    assert conflict.status_code == 409
    current = str(_stored(app, initiative_id).version)
    again = client.post(url, data={**typed, "version": current})
    assert again.status_code == 303
    assert _stored(app, initiative_id).description == "Second, from the old page."


def test_an_edit_without_a_version_is_a_bad_request(app, client, team, login):
    initiative_id, url = _setup(app, client, login)
    response = client.post(url, data=_form(description="No version here."))
    assert response.status_code == 400
    assert client.post(url, data=_form(version="x")).status_code == 400
    assert _stored(app, initiative_id).description == STORED


def test_a_change_made_elsewhere_after_loading_is_reported(app, client, team, login):
    """Other flows (here a status change, as the demo makes) move the version on: a form loaded
    before them reports a conflict instead of silently undoing them."""
    initiative_id, url = _setup(app, client, login)
    loaded = edit_version(client, url)

    def start(project):
        services.update_initiative(
            services.get_initiative(project, initiative_id), {"status": "in_progress"}
        )

    seed(app, start)  # no version needed by the other flows
    response = client.post(url, data=_form(description="Mine.", version=loaded))
    assert response.status_code == 409
    stored = _stored(app, initiative_id)
    assert stored.status == InitiativeStatus.IN_PROGRESS and stored.description == STORED


def test_changing_only_the_roles_moves_the_version_on(app, client, team, login):
    initiative_id, url = _setup(app, client, login)
    loaded = edit_version(client, url)
    roles = "agency: raise funds"
    assert client.post(url, data=_form(roles=roles, version=loaded)).status_code == 303
    stale = client.post(url, data=_form(roles="parents: build a fence", version=loaded))
    page = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert "parents: build a fence" in page and roles in page
    assert _stored(app, initiative_id).version == int(loaded) + 1
