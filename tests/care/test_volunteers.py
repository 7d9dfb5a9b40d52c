"""Volunteers: hours counted once, reflections join the memos, quiet volunteers, certificate."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from cbpar.care.models import DiaryEntry, Volunteer
from cbpar.db import db
from cbpar.memos.models import Memo
from tests.care.test_children import add_child
from tests.care.test_programmes import enrol, new_programme
from tests.helpers import as_user, csrf_token_from, project_today

TODAY = project_today()  # the test project's day (Asia/Shanghai), not the machine's


def new_volunteer(c, **fields):
    page = c.get("/projects/p1/volunteers/new").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token_from(page),
        "display_name": "Aunt Wang",
        "kind": "volunteer_mother",
        "village_id": "",
        "active_from": (TODAY - timedelta(days=90)).isoformat(),
        "active_to": "",
        **fields,
    }
    response = c.post("/projects/p1/volunteers/new", data=data)
    if response.status_code != 303:
        return response
    return int(re.search(r"/volunteers/(\d+)$", response.headers["Location"]).group(1))


def diary(c, volunteer_id, **fields):
    url = f"/projects/p1/volunteers/{volunteer_id}/diary"
    query = f"?session={fields['session_id']}" if fields.get("session_id") else ""
    page = c.get(url + query).get_data(as_text=True)
    data = {
        "csrf_token": csrf_token_from(page),
        "on": TODAY.isoformat(),
        "services": "3",
        "hours": "2",
        "reflection": "The children read aloud today; I learnt to wait.",
        **fields,
    }
    return c.post(url + query, data=data)


def test_a_session_prompts_for_reflections_and_hours_are_counted_once(app, team, add_household):
    household = add_household(team["project"])
    c = as_user(app, "field_worker")
    add_child(c, household)
    volunteer_id = new_volunteer(c)
    assert isinstance(volunteer_id, int)
    programme_id = new_programme(c, name="4:30 classroom", kind="after_school")
    enrol(c, programme_id, f"{household.code}-1", TODAY.isoformat())
    url = f"/projects/p1/programmes/{programme_id}/sessions/new"
    form = c.get(url).get_data(as_text=True)
    assert "Aunt Wang" in form
    data = {
        "csrf_token": csrf_token_from(form),
        "on": TODAY.isoformat(),
        "starts": "16:30",
        f"volunteer-{volunteer_id}-hours": "1.5",
    }
    made = c.post(url, data=data)
    assert made.status_code == 303
    session_page = c.get(made.headers["Location"]).get_data(as_text=True)
    assert "Add their reflection" in session_page
    session_id = int(made.headers["Location"].rsplit("/", 1)[1])
    assert diary(c, volunteer_id, session_id=str(session_id), hours="1.5").status_code == 303
    assert "Add their reflection" not in c.get(made.headers["Location"]).get_data(as_text=True)
    assert diary(c, volunteer_id, hours="2").status_code == 303  # a home visit, no session
    page = c.get(f"/projects/p1/volunteers/{volunteer_id}").get_data(as_text=True)
    # 1.5 at the session (its diary entry adds no hours) + 2 on their own = 3.5
    assert "3.5 hours in all" in page
    with app.app_context():
        memo_ids = db.session.scalars(select(DiaryEntry.memo_id)).all()
        memos = [db.session.get(Memo, i) for i in memo_ids]
        assert all(m is not None and m.kind.value == "reflection_note" for m in memos)


def test_hours_are_checked_and_nothing_is_saved_on_a_mistake(app, team):
    c = as_user(app, "field_worker")
    volunteer_id = new_volunteer(c)
    for hours in ("25", "-1", "lots"):
        assert diary(c, volunteer_id, hours=hours).status_code == 422, hours
    assert new_volunteer(c).status_code == 422  # the same name twice
    with app.app_context():
        assert db.session.scalar(select(DiaryEntry.id)) is None
        assert len(db.session.scalars(select(Volunteer.id)).all()) == 1


def test_a_volunteer_quiet_for_30_days_is_flagged(app, team):
    c = as_user(app, "field_worker")
    volunteer_id = new_volunteer(c)
    listing = c.get("/projects/p1/volunteers").get_data(as_text=True)
    assert "no activity for 30 days" in listing
    assert diary(c, volunteer_id).status_code == 303
    assert "no activity for 30 days" not in c.get("/projects/p1/volunteers").get_data(as_text=True)
    newcomer = new_volunteer(c, display_name="Li, student tutor", active_from=TODAY.isoformat())
    assert isinstance(newcomer, int)
    assert "no activity for 30 days" not in c.get("/projects/p1/volunteers").get_data(as_text=True)


def test_the_certificate_is_in_both_languages(app, team):
    c = as_user(app, "field_worker")
    volunteer_id = new_volunteer(c)
    diary(c, volunteer_id, hours="2")
    page = c.get(f"/projects/p1/volunteers/{volunteer_id}/certificate").get_data(as_text=True)
    assert "Certificate of volunteer service" in page and "Aunt Wang gave 2 hours" in page
    assert "志愿服务证明" in page


def test_volunteers_are_field_team_pages(app, team):
    c = as_user(app, "field_worker")
    volunteer_id = new_volunteer(c)
    for role in ("committee", "observer"):
        other = as_user(app, role)
        for url in (
            "/projects/p1/volunteers",
            f"/projects/p1/volunteers/{volunteer_id}",
            f"/projects/p1/volunteers/{volunteer_id}/certificate",
        ):
            assert other.get(url).status_code == 403, (role, url)
