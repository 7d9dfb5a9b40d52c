"""The role x capability matrix from the product brief, and what each role gets over HTTP."""

from __future__ import annotations

import pytest

from cbpar.security import Cap, Role, role_can

C, R, F, M, OBS = (
    Role.COORDINATOR,
    Role.RESEARCHER,
    Role.FIELD_WORKER,
    Role.COMMITTEE,
    Role.OBSERVER,
)

# Written out from the table in shared/brief/PRODUCT.md, one row per capability.
EXPECTED = {
    Cap.MANAGE_PROJECT: {C},
    Cap.SEE_HOUSEHOLD_DETAILS: {C, R, F},
    Cap.SEE_HOUSEHOLD_POINTS: {C, R, F, M},
    Cap.SEE_VILLAGE_TOTALS: {C, R, F, M, OBS},
    Cap.EDIT_FIELD_RECORDS: {C, R, F},
    Cap.WRITE_MEMOS: {C, R, F},
    Cap.SEE_TEAM_MEMOS: {C, R, F},
    Cap.SEE_COMMUNITY_MEMOS: {C, R, F, M},
    Cap.COMMENT: {C, R, F, M},
    Cap.WRITE_MEETINGS: {C, R},
    Cap.READ_MEETINGS: {C, R, F, M},
    Cap.PROPOSE_NEEDS: {C, R, F, M},
    Cap.MANAGE_VOTES: {C, R},
    Cap.VOTE: {C, R, F, M},
    Cap.EDIT_INITIATIVES: {C, R},
    Cap.READ_INITIATIVES: {C, R, F, M, OBS},
    Cap.VIEW_PROJECT: {C, R, F, M, OBS},
    Cap.VIEW_MEMBERS: {C, R, F, M},
    Cap.SEE_CHILDREN: {C, R, F},
    Cap.RECORD_CARE: {C, R, F},
}


def test_every_capability_is_in_the_expected_table():
    assert set(EXPECTED) == set(Cap)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("cap", list(Cap))
def test_role_capability_matrix(role, cap):
    assert role_can(role, cap) == (role in EXPECTED[cap])


def test_no_role_means_no_capability():
    assert not any(role_can(None, cap) for cap in Cap)


PAGES = [
    # (method, url, capability that allows it)
    ("GET", "/projects/p1/", Cap.VIEW_PROJECT),
    ("GET", "/projects/p1/settings", Cap.MANAGE_PROJECT),
    ("GET", "/projects/p1/members", Cap.MANAGE_PROJECT),
    ("GET", "/projects/p1/villages/new", Cap.MANAGE_PROJECT),
    ("GET", "/projects/p1/children", Cap.SEE_CHILDREN),
    ("GET", "/projects/p1/children/new", Cap.RECORD_CARE),
    ("GET", "/projects/p1/follow-ups", Cap.SEE_CHILDREN),
]


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(("method", "url", "cap"), PAGES)
def test_pages_answer_by_role(client, team, login, role, method, url, cap):
    login(team["users"][role])
    response = client.open(url, method=method)
    assert response.status_code == (200 if role_can(role, cap) else 403)


@pytest.mark.parametrize(("method", "url", "cap"), PAGES)
def test_non_members_get_404_so_project_names_do_not_leak(client, team, login, method, url, cap):
    login(team["outsider"])
    assert client.open(url, method=method).status_code == 404
    assert client.open(url.replace("p1", "no-such-project"), method=method).status_code == 404


def test_home_page_hides_management_links_from_other_roles(client, team, login):
    login(team["users"][Role.RESEARCHER])
    page = client.get("/projects/p1/").get_data(as_text=True)
    assert "/projects/p1/settings" not in page and "/projects/p1/members" not in page
    client.post("/logout")
    login(team["users"][Role.COORDINATOR])
    page = client.get("/projects/p1/").get_data(as_text=True)
    assert "/projects/p1/settings" in page and "/projects/p1/members" in page


def test_observers_do_not_see_the_member_list(client, team, login):
    login(team["users"][Role.OBSERVER])
    page = client.get("/projects/p1/").get_data(as_text=True)
    assert "researcher" not in page  # usernames / display names of members
    client.post("/logout")
    login(team["users"][Role.COMMITTEE])
    assert "researcher" in client.get("/projects/p1/").get_data(as_text=True)


def test_only_site_admins_create_projects(client, team, make_user, login):
    login(team["users"][Role.COORDINATOR])
    assert client.get("/projects/new").status_code == 403
    assert client.post("/projects/new", data={"name": "X", "slug": "x"}).status_code == 403
