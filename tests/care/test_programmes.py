"""Programmes: contact targets and who misses them, enrolment, sessions with attendance."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from cbpar.care.models import Enrolment, ProgrammeSession, SessionAttendance
from cbpar.db import db
from tests.care.test_children import add_child, log_contact
from tests.helpers import as_user, csrf_token_from, project_today

TODAY = project_today()  # the test project's day (Asia/Shanghai), not the machine's
PROGRAMME = {
    "name": "Weekly family calls",
    "kind": "family_calls",
    "village_id": "",
    "facility_id": "",
    "initiative_id": "",
    "schedule": "Saturdays",
    "starts_on": "",
    "ends_on": "",
    "family_call_days": "7",
}


def new_programme(c, **fields):
    response = c.post("/projects/p1/programmes/new", data={**PROGRAMME, **fields})
    if response.status_code != 303:
        return response
    return int(re.search(r"/programmes/(\d+)$", response.headers["Location"]).group(1))


def enrol(c, programme_id, code, starts_on):
    page = c.get(f"/projects/p1/programmes/{programme_id}").get_data(as_text=True)
    data = {"csrf_token": csrf_token_from(page), "child_code": code, "starts_on": starts_on}
    return c.post(f"/projects/p1/programmes/{programme_id}", data=data)


def test_a_child_without_a_weekly_call_is_listed_until_one_is_logged(app, team, add_household):
    household = add_household(team["project"])
    c = as_user(app, "field_worker")
    child_id = add_child(c, household)
    programme_id = new_programme(c)
    assert isinstance(programme_id, int)
    code = f"{household.code}-1"
    assert enrol(c, programme_id, code, (TODAY - timedelta(days=20)).isoformat()).status_code == 303
    ten_days_ago = (TODAY - timedelta(days=10)).isoformat()
    assert log_contact(c, child_id, on=ten_days_ago, kind="phone_call").status_code == 303
    page = c.get(f"/projects/p1/programmes/{programme_id}").get_data(as_text=True)
    assert "Not reached as planned" in page and "last 10 days ago" in page
    assert "0 of 1 children reached" in page
    assert code in c.get("/projects/p1/follow-ups").get_data(as_text=True)
    # A home visit does not count as a call; a video call does.
    assert log_contact(c, child_id, kind="home_visit").status_code == 303
    assert "Not reached as planned" in c.get(f"/projects/p1/programmes/{programme_id}").get_data(
        as_text=True
    )
    assert log_contact(c, child_id, kind="video_call").status_code == 303
    page = c.get(f"/projects/p1/programmes/{programme_id}").get_data(as_text=True)
    assert "Not reached as planned" not in page and "1 of 1 children reached" in page


def test_a_child_enrolled_this_week_is_not_yet_overdue(app, team, add_household):
    household = add_household(team["project"])
    c = as_user(app, "field_worker")
    add_child(c, household)
    programme_id = new_programme(c)
    assert enrol(c, programme_id, f"{household.code}-1", TODAY.isoformat()).status_code == 303
    page = c.get(f"/projects/p1/programmes/{programme_id}").get_data(as_text=True)
    assert "Not reached as planned" not in page


def test_enrolment_rules(app, team, add_household):
    household = add_household(team["project"])
    c = as_user(app, "field_worker")
    add_child(c, household)
    programme_id = new_programme(c)
    code = f"{household.code}-1"
    assert enrol(c, programme_id, code, TODAY.isoformat()).status_code == 303
    twice = enrol(c, programme_id, code, TODAY.isoformat())
    assert twice.status_code == 422 and "already enrolled" in twice.get_data(as_text=True)
    unknown = enrol(c, programme_id, "XX-1", TODAY.isoformat())
    assert unknown.status_code == 422 and "No child of this project" in unknown.get_data(
        as_text=True
    )
    with app.app_context():
        assert db.session.scalar(select(func.count(Enrolment.id))) == 1


def test_programme_names_are_unique_and_targets_bounded(app, team):
    c = as_user(app, "field_worker")
    assert isinstance(new_programme(c), int)
    again = new_programme(c, name="weekly FAMILY calls")
    assert again.status_code == 422 and "already has this name" in again.get_data(as_text=True)
    assert new_programme(c, name="Other", family_call_days="0").status_code == 422
    assert new_programme(c, name="Other", family_call_days="9" * 30).status_code == 422


def test_a_session_records_one_status_per_enrolled_child(app, team, add_household):
    household = add_household(team["project"])
    c = as_user(app, "field_worker")
    first = add_child(c, household)
    add_child(c, household, sex="boy")
    programme_id = new_programme(c, kind="after_school", name="4:30 classroom")
    for n in (1, 2):
        assert enrol(c, programme_id, f"{household.code}-{n}", TODAY.isoformat()).status_code == 303
    url = f"/projects/p1/programmes/{programme_id}/sessions/new"
    form = c.get(url).get_data(as_text=True)
    assert f"{household.code}-1" in form and "Xiaohong-canary" in form
    data = {
        "csrf_token": csrf_token_from(form),
        "on": TODAY.isoformat(),
        "starts": "16:30",
        "ends": "18:00",
        "topic": "Homework",
        "guardians": "2",
        f"attendance-{first}": "present",
    }
    response = c.post(url, data=data)
    assert response.status_code == 303
    with app.app_context():
        session = db.session.scalar(select(ProgrammeSession))
        statuses = sorted(a.status.value for a in session.attendance)
        assert statuses == ["absent", "present"] and session.guardians == 2
    stranger = c.post(url, data={**data, "attendance-999999": "present"})
    assert stranger.status_code == 303  # children not enrolled are not read at all
    bad = c.post(url, data={**data, f"attendance-{first}": "maybe"})
    assert bad.status_code == 400
    backwards = c.post(url, data={**data, "ends": "15:00"})
    assert backwards.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count(SessionAttendance.id))) == 4


def test_the_sheet_prints_names_used_in_sessions_only_for_the_field_team(app, team, add_household):
    household = add_household(team["project"])
    c = as_user(app, "field_worker")
    add_child(c, household)
    programme_id = new_programme(c)
    enrol(c, programme_id, f"{household.code}-1", TODAY.isoformat())
    url = f"/projects/p1/programmes/{programme_id}/sessions/new"
    token = csrf_token_from(c.get(url).get_data(as_text=True))
    c.post(url, data={"csrf_token": token, "on": TODAY.isoformat(), "starts": "09:00"})
    with app.app_context():
        session_id = db.session.scalar(select(ProgrammeSession.id))
    sheet = c.get(f"/projects/p1/sessions/{session_id}/sheet")
    assert sheet.status_code == 200 and "Xiaohong-canary" in sheet.get_data(as_text=True)
    for role in ("committee", "observer"):
        other = as_user(app, role)
        for page in (
            f"/projects/p1/sessions/{session_id}/sheet",
            f"/projects/p1/sessions/{session_id}",
            f"/projects/p1/programmes/{programme_id}",
            "/projects/p1/programmes",
        ):
            assert other.get(page).status_code == 403, (role, page)


def test_a_paper_sheet_number_is_entered_once(app, team, add_household):
    household = add_household(team["project"])
    c = as_user(app, "field_worker")
    add_child(c, household)
    programme_id = new_programme(c)
    enrol(c, programme_id, f"{household.code}-1", TODAY.isoformat())
    blank = c.get(f"/projects/p1/programmes/{programme_id}/sheet").get_data(as_text=True)
    assert "Sheet number: 1" in blank and "Xiaohong-canary" in blank
    url = f"/projects/p1/programmes/{programme_id}/sessions/new"
    token = csrf_token_from(c.get(url).get_data(as_text=True))
    data = {"csrf_token": token, "on": TODAY.isoformat(), "starts": "09:00", "sheet_number": "1"}
    assert c.post(url, data=data).status_code == 303
    again = c.post(url, data=data)
    assert again.status_code == 422 and "already entered" in again.get_data(as_text=True)
    assert "Sheet number: 2" in c.get(f"/projects/p1/programmes/{programme_id}/sheet").get_data(
        as_text=True
    )
    with app.app_context():
        assert db.session.scalar(select(func.count(ProgrammeSession.id))) == 1


def test_the_contact_log_sheet_lists_the_children_for_the_field_team_only(app, team, add_household):
    household = add_household(team["project"])
    c = as_user(app, "field_worker")
    add_child(c, household)
    programme_id = new_programme(c)
    enrol(c, programme_id, f"{household.code}-1", TODAY.isoformat())
    url = f"/projects/p1/programmes/{programme_id}/contact-sheet"
    sheet = c.get(url).get_data(as_text=True)
    assert f"{household.code}-1" in sheet and "Video call with a parent" in sheet
    assert "Xiaohong-canary" not in sheet  # the sheet names children by code only
    assert as_user(app, "committee").get(url).status_code == 403
