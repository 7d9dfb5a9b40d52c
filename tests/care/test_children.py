"""Children and contact logs: who sees them, consent rules, withdrawal, follow-ups, erasure."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from cbpar.audit import AuditEvent
from cbpar.care.models import Child, ContactLog
from cbpar.db import db
from tests.helpers import as_user, csrf_token_from, project_today

TODAY = project_today()  # the test project's day (Asia/Shanghai), not the machine's
CHILD = {
    "birth_year": str(TODAY.year - 6),
    "birth_month": "3",
    "sex": "girl",
    "school": "Shuanghe kindergarten",
    "grade": "Middle class",
    "parents_away": "both",
    "away_since": "",
    "home_visits": "spring_festival",
    "caregiver": "grandparents",
    "session_name": "Xiaohong-canary",
    "consent_on": (TODAY - timedelta(days=3)).isoformat(),
    "consent_given_by": "grandmother (guardian)",
    "assent_on": "",
}
CONTACT = {
    "kind": "video_call",
    "on": TODAY.isoformat(),
    "minutes": "15",
    "with_whom": "mother",
    "summary": "She cried after the call; summary-canary.",
    "issues": "conflict during the call",
    "follow_up_on": "",
}


@pytest.fixture
def household(app, team, add_household):
    return add_household(team["project"])


def add_child(c, household, **fields):
    data = {**CHILD, "household_code": household.code, **fields}
    response = c.post("/projects/p1/children/new", data=data)
    if response.status_code != 303:
        return response
    return int(re.search(r"/children/(\d+)$", response.headers["Location"]).group(1))


def log_contact(c, child_id, **fields):
    return c.post(f"/projects/p1/children/{child_id}/contacts/new", data={**CONTACT, **fields})


def test_the_field_team_records_a_child_with_a_code_from_the_household(app, team, household):
    c = as_user(app, "field_worker")
    child_id = add_child(c, household)
    assert isinstance(child_id, int)
    page = c.get(f"/projects/p1/children/{child_id}").get_data(as_text=True)
    assert f"{household.code}-1" in page and "Xiaohong-canary" in page
    second = add_child(c, household, sex="boy")
    with app.app_context():
        assert db.session.get(Child, second).code == f"{household.code}-2"


@pytest.mark.parametrize("role", ["committee", "observer"])
def test_committee_members_and_observers_never_see_a_child(app, team, household, role):
    child_id = add_child(as_user(app, "field_worker"), household)
    c = as_user(app, role)
    for url in (
        "/projects/p1/children",
        f"/projects/p1/children/{child_id}",
        "/projects/p1/children.csv",
        "/projects/p1/follow-ups",
        "/api/v1/projects/p1/children",
        f"/api/v1/children/{child_id}",
        f"/api/v1/children/{child_id}/contacts",
    ):
        response = c.get(url)
        assert response.status_code in (403, 404), url
        assert b"Xiaohong-canary" not in response.data


def test_another_projects_member_gets_404(app, team, household, make_user, make_project):
    from cbpar.security import Role

    child_id = add_child(as_user(app, "field_worker"), household)
    stranger = make_user("stranger")
    make_project("p2", members={stranger: Role.COORDINATOR})
    c = as_user(app, "stranger")
    assert c.get(f"/projects/p2/children/{child_id}").status_code == 404
    assert c.get(f"/api/v1/children/{child_id}").status_code == 404


def test_consent_is_required_and_assent_from_age_eight(app, team, household):
    c = as_user(app, "field_worker")
    response = add_child(c, household, consent_on="")
    assert response.status_code == 422
    assert "consent for services" in response.get_data(as_text=True)
    older = add_child(c, household, birth_year=str(TODAY.year - 10))
    assert older.status_code == 422 and "From age 8" in older.get_data(as_text=True)
    ok = add_child(c, household, birth_year=str(TODAY.year - 10), assent_on=CHILD["consent_on"])
    assert isinstance(ok, int)
    with app.app_context():
        assert db.session.scalar(select(func.count(Child.id))) == 1


def test_bad_input_changes_nothing_and_says_why(app, team, household):
    c = as_user(app, "field_worker")
    for fields, message in (
        ({"birth_year": str(TODAY.year + 1)}, "future"),
        ({"birth_year": str(TODAY.year - 30)}, "18 years"),
        ({"household_code": "XX-999"}, "No household has this code"),
        ({"consent_on": (TODAY + timedelta(days=2)).isoformat()}, "future"),
        ({"birth_year": "99999999999999999999"}, ""),
    ):
        response = add_child(c, household, **fields)
        assert response.status_code == 422, fields
        assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Child.id))) == 0


def test_contacts_and_overdue_follow_ups(app, team, household):
    c = as_user(app, "field_worker")
    child_id = add_child(c, household)
    late = (TODAY - timedelta(days=3)).isoformat()
    assert log_contact(c, child_id, on=late, follow_up_on=late).status_code == 303
    assert (
        log_contact(c, child_id, follow_up_on=(TODAY - timedelta(days=5)).isoformat()).status_code
        == 422
    )
    page = c.get("/projects/p1/follow-ups").get_data(as_text=True)
    assert f"{household.code}-1" in page and "3 days overdue" in page
    with app.app_context():
        contact_id = db.session.scalar(select(ContactLog.id))
    token = csrf_token_from(page)
    done = c.post(
        f"/projects/p1/contacts/{contact_id}/done", data={"csrf_token": token, "next": "follow-ups"}
    )
    assert done.status_code == 303
    assert "days overdue" not in c.get("/projects/p1/follow-ups").get_data(as_text=True)


def test_withdrawal_asks_first_then_wipes_names_and_words(app, team, household):
    c = as_user(app, "field_worker")
    child_id = add_child(c, household)
    assert log_contact(c, child_id).status_code == 303
    ask = c.get(f"/projects/p1/children/{child_id}/withdraw")
    assert ask.status_code == 200 and "cannot be undone" in ask.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Child, child_id).withdrawn_at is None
    token = csrf_token_from(ask.get_data(as_text=True))
    assert (
        c.post(f"/projects/p1/children/{child_id}/withdraw", data={"csrf_token": token}).status_code
        == 303
    )
    page = c.get(f"/projects/p1/children/{child_id}").get_data(as_text=True)
    assert "Xiaohong-canary" not in page and "summary-canary" not in page
    assert log_contact(c, child_id).status_code == 409
    assert c.get(f"/projects/p1/children/{child_id}/edit").status_code == 409
    with app.app_context():
        contact = db.session.scalar(select(ContactLog))
        assert contact.summary == "" and contact.kind.value == "video_call"
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "child_consent_withdrawn")
        )
        assert event is not None and "canary" not in json.dumps(event.details)


def test_erasing_the_household_erases_its_children_and_contacts(app, team, household):
    c = as_user(app, "field_worker")
    child_id = add_child(c, household)
    assert log_contact(c, child_id).status_code == 303
    coordinator = as_user(app, "coordinator")
    url = f"/projects/p1/households/{household.id}/erase"
    token = csrf_token_from(
        coordinator.get(f"/projects/p1/households/{household.id}").get_data(as_text=True)
    )
    response = coordinator.post(url, data={"csrf_token": token, "confirm_code": household.code})
    assert response.status_code in (302, 303)
    with app.app_context():
        assert db.session.scalar(select(func.count(Child.id))) == 0
        assert db.session.scalar(select(func.count(ContactLog.id))) == 0
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "household_erased"))
        assert event.details["children"] == 1 and event.details["contacts"] == 1


def test_the_csv_leaves_out_the_name_used_in_sessions(app, team, household):
    c = as_user(app, "field_worker")
    add_child(c, household)
    response = c.get("/projects/p1/children.csv")
    text = response.data.decode("utf-8-sig")
    assert response.status_code == 200 and f"{household.code}-1" in text
    assert "Xiaohong-canary" not in text


def test_an_edit_based_on_an_old_version_is_refused(app, team, household):
    c = as_user(app, "field_worker")
    child_id = add_child(c, household)
    edit_url = f"/projects/p1/children/{child_id}/edit"
    form = {**CHILD, "household_code": household.code, "version": "1", "grade": "Big class"}
    assert c.post(edit_url, data=form).status_code == 303
    stale = c.post(edit_url, data={**form, "grade": "Grade 1"})
    assert stale.status_code == 409
    with app.app_context():
        assert db.session.get(Child, child_id).grade == "Big class"
