"""Interviews: consent rules, who sees them, withdrawal hides content, coordinators erase."""

from __future__ import annotations

import re

from cbpar.audit import AuditEvent
from cbpar.db import db
from tests.helpers import as_user
from tests.memos.test_links_and_search import about, make_household

BASE = {
    "kind": "key_informant",
    "held_on": "2020-05-01",
    "interviewee_role": "village director",
    "language": "Mandarin",
    "household_code": "",
    "consent_method": "written",
    "consent_given_by": "person",
    "child_assent": "not_applicable",
    "consent_on": "2020-05-01",
    "covers_notes": "y",
    "notes": "The kindergarten is 10 km away. 幼儿园太远。",
}


def record(c, **fields):
    response = c.post("/projects/p1/interviews/new", data={**BASE, **fields})
    if response.status_code != 303:
        return response
    return int(re.search(r"/interviews/(\d+)$", response.headers["Location"]).group(1))


def test_only_the_field_team_sees_interviews(app, client, team):
    interview_id = record(as_user(app, "field_worker"))
    assert isinstance(interview_id, int)
    for role in ("coordinator", "researcher", "field_worker"):
        page = as_user(app, role).get(f"/projects/p1/interviews/{interview_id}")
        assert page.status_code == 200 and "10 km away" in page.get_data(as_text=True)
    for role in ("committee", "observer"):
        c = as_user(app, role)
        assert c.get(f"/projects/p1/interviews/{interview_id}").status_code == 403
        assert c.get("/projects/p1/interviews").status_code == 403
    hits = as_user(app, "committee").get("/api/v1/projects/p1/search?q=幼儿园").get_json()["hits"]
    assert hits == []


def test_notes_about_a_minor_need_guardian_consent(app, client, team):
    c = as_user(app, "field_worker")
    refused = record(c, involves_minor="y", consent_given_by="person", child_assent="given")
    assert refused.status_code == 422
    assert "guardian" in refused.get_data(as_text=True)
    no_assent = record(c, involves_minor="y", consent_given_by="guardian")
    assert no_assent.status_code == 422
    assert isinstance(
        record(c, involves_minor="y", consent_given_by="guardian", child_assent="given"), int
    )
    not_covered = record(c, covers_notes="")
    assert not_covered.status_code == 422
    assert (
        as_user(app, "coordinator")
        .get("/projects/p1/interviews")
        .get_data(as_text=True)
        .count("/projects/p1/interviews/")
        - 1
        == 1
    )  # one saved (plus the "new" link)


def test_family_interview_links_to_its_household(app, client, team):
    household_id = make_household(app, "SH-001")
    c = as_user(app, "researcher")
    assert record(c, kind="family").status_code == 422  # no household given
    assert record(c, kind="family", household_code="SH-404").status_code == 422
    interview_id = record(c, kind="family", household_code="sh-001", interviewee_role="grandmother")
    page = c.get(f"/projects/p1/interviews/{interview_id}").get_data(as_text=True)
    assert f"/projects/p1/households/{household_id}" in page
    assert "grandmother" in about(app, "field_worker", household_id)


def test_withdrawal_hides_content_everywhere_and_coordinator_erases(app, client, team):
    fw = as_user(app, "field_worker")
    interview_id = record(fw, notes="secret words 秘密")
    assert fw.get("/api/v1/projects/p1/search?q=秘密").get_json()["hits"]
    assert fw.post(f"/projects/p1/interviews/{interview_id}/withdraw").status_code == 303
    coordinator = as_user(app, "coordinator")
    page = coordinator.get(f"/projects/p1/interviews/{interview_id}").get_data(as_text=True)
    assert "secret words" not in page and "Consent was withdrawn" in page
    assert coordinator.get("/api/v1/projects/p1/search?q=秘密").get_json()["hits"] == []
    assert coordinator.get(f"/projects/p1/interviews/{interview_id}/edit").status_code == 409
    assert fw.post(f"/projects/p1/interviews/{interview_id}/erase").status_code == 403
    assert coordinator.post(f"/projects/p1/interviews/{interview_id}/erase").status_code == 303
    from cbpar.interviews.models import Interview

    with app.app_context():
        interview = db.session.get(Interview, interview_id)
        assert interview.notes == "" and interview.erased_at is not None
        actions = {
            e.action
            for e in db.session.query(AuditEvent).filter_by(
                target_id=interview_id, target_type="interview"
            )
        }
    assert {"interview_consent_withdrawn", "interview_erased"} <= actions


def test_erase_needs_withdrawal_first(app, client, team):
    interview_id = record(as_user(app, "field_worker"))
    coordinator = as_user(app, "coordinator")
    assert coordinator.post(f"/projects/p1/interviews/{interview_id}/erase").status_code == 409


def test_interviews_take_no_comments(app, client, team):
    interview_id = record(as_user(app, "field_worker"))
    response = as_user(app, "researcher").post(
        f"/projects/p1/comments/interview/{interview_id}", data={"body": "x"}
    )
    assert response.status_code == 404
