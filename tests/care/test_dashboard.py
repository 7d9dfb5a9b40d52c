"""The services dashboard and its API: what was delivered, and small numbers hidden."""

from __future__ import annotations

from datetime import timedelta

from tests.care.test_children import add_child, log_contact
from tests.care.test_programmes import enrol, new_programme
from tests.helpers import as_user, csrf_token_from, project_today

TODAY = project_today()  # the test project's day (Asia/Shanghai), not the machine's


def seed(app, team, add_household, children=2):
    household = add_household(team["project"])
    c = as_user(app, "field_worker")
    ids = [add_child(c, household, sex="girl") for _ in range(children)]
    programme_id = new_programme(c, name="4:30 classroom", kind="after_school")
    for n in range(1, children + 1):
        enrol(c, programme_id, f"{household.code}-{n}", (TODAY - timedelta(days=10)).isoformat())
    url = f"/projects/p1/programmes/{programme_id}/sessions/new"
    token = csrf_token_from(c.get(url).get_data(as_text=True))
    data = {"csrf_token": token, "on": TODAY.isoformat(), "starts": "16:30"}
    data[f"attendance-{ids[0]}"] = "present"
    assert c.post(url, data=data).status_code == 303
    assert log_contact(c, ids[-1]).status_code == 303
    return c, ids


def test_the_summary_counts_children_once_and_the_attendance_rate(app, team, add_household):
    c, ids = seed(app, team, add_household)
    summary = c.get("/api/v1/projects/p1/services/summary").get_json()
    assert summary["sessions"] == 1
    assert summary["children_reached"] == 2  # one present, one contacted
    assert summary["attendance_rate"] == 0.5
    assert summary["contact_targets"] == [
        {"kind": "family_call", "every_days": 7, "met": 1, "enrolled": 2}
    ]
    month = TODAY.strftime("%Y-%m")
    assert [r["month"] for r in summary["by_month"]] == [month]
    page = c.get("/projects/p1/services").get_data(as_text=True)
    assert "Services delivered" in page and "<svg" in page and "50%" in page


def test_committee_members_and_observers_see_small_counts_hidden(app, team, add_household):
    seed(app, team, add_household)
    for role in ("committee", "observer"):
        other = as_user(app, role)
        summary = other.get("/api/v1/projects/p1/services/summary").get_json()
        assert summary["children_reached"] == "<5", role
        assert all(v["children_reached"] in (0, "<5") for v in summary["by_village"])
        assert summary["contact_targets"][0]["enrolled"] == "<5"
        page = other.get("/projects/p1/services").get_data(as_text=True)
        assert "fewer than 5" in page and 'width="-' not in page


def test_a_bad_period_is_a_400(app, team):
    c = as_user(app, "field_worker")
    for query in ("from=2026-13-01", "from=2026-05-01&to=2026-04-01", "from=2000-01-01"):
        response = c.get(f"/api/v1/projects/p1/services/summary?{query}")
        assert response.status_code == 400, query
    assert c.get("/projects/p1/services?from=garbage").status_code == 200
