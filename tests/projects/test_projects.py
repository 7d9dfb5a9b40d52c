"""Creating projects, settings, villages and members through the pages."""

from __future__ import annotations

from sqlalchemy import select

from cbpar.audit import AuditEvent
from cbpar.db import db
from cbpar.projects.models import Membership, Project, Village
from cbpar.security import Role

VALID = {
    "name": "X Banner study",
    "slug": "x-banner",
    "region": "Inner Mongolia",
    "description": "",
    "timezone": "Asia/Shanghai",
    "map_center_lat": "42.3",
    "map_center_lon": "119.9",
    "map_zoom": "11",
}


def actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_admin_creates_a_project_and_becomes_its_coordinator(app, client, make_user, login):
    admin = make_user("admin", is_admin=True)
    login(admin)
    response = client.post("/projects/new", data=VALID)
    assert response.status_code == 302 and response.headers["Location"] == "/projects/x-banner/"
    with app.app_context():
        project = db.session.scalar(select(Project).where(Project.slug == "x-banner"))
        membership = db.session.scalar(
            select(Membership).where(Membership.project_id == project.id)
        )
        assert membership.user_id == admin.id and membership.role == Role.COORDINATOR
    assert "project_created" in actions(app)
    assert "X Banner study" in client.get("/projects/x-banner/").get_data(as_text=True)


def test_invalid_project_form_keeps_input_shows_errors_and_saves_nothing(
    app, client, make_user, login
):
    login(make_user("admin", is_admin=True))
    data = {**VALID, "slug": "Bad Slug!", "timezone": "Mars/Olympus", "map_center_lat": "123"}
    response = client.post("/projects/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Use lower-case letters, digits and hyphens." in page
    assert "Unknown time zone" in page
    assert "Number must be between -90 and 90" in page
    assert 'value="X Banner study"' in page  # what the user typed is kept
    assert 'aria-invalid="true"' in page
    with app.app_context():
        assert db.session.scalar(select(Project).where(Project.name == "X Banner study")) is None


def test_slug_must_be_unique(client, team, make_user, login):
    login(make_user("admin", is_admin=True))
    response = client.post("/projects/new", data={**VALID, "slug": "p1"})
    assert response.status_code == 422
    assert "Another project uses this short name." in response.get_data(as_text=True)


def test_coordinator_edits_settings_and_it_is_audited(app, client, team, login):
    login(team["users"][Role.COORDINATOR])
    response = client.post("/projects/p1/settings", data={**VALID, "slug": "p1", "name": "Renamed"})
    assert response.status_code == 302
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "project_updated"))
        assert "name" in event.details["fields"]


def test_villages_add_edit_delete(app, client, team, login):
    login(team["users"][Role.COORDINATOR])
    response = client.post(
        "/projects/p1/villages/new",
        data={"name": "Liangshui", "code": "ls", "center_lat": "42.24", "center_lon": "120.01"},
    )
    assert response.status_code == 302
    with app.app_context():
        village = db.session.scalar(select(Village).where(Village.name == "Liangshui"))
        assert village.code == "LS"
        village_id = village.id
    duplicate = client.post("/projects/p1/villages/new", data={"name": "liangshui", "code": "XX"})
    assert duplicate.status_code == 422
    half = client.post(
        "/projects/p1/villages/new", data={"name": "N", "code": "N", "center_lat": "1"}
    )
    assert "Give both coordinates or none." in half.get_data(as_text=True)
    edit = client.post(
        f"/projects/p1/villages/{village_id}/edit", data={"name": "Liangshui Village", "code": "LS"}
    )
    assert edit.status_code == 302
    page = client.get(f"/projects/p1/villages/{village_id}/edit").get_data(as_text=True)
    assert "Yes, delete" in page  # a confirmation step before deleting
    assert client.post(f"/projects/p1/villages/{village_id}/delete").status_code == 302
    with app.app_context():
        assert db.session.get(Village, village_id) is None
    assert {"village_created", "village_updated", "village_deleted"} <= set(actions(app))


def test_villages_of_another_project_are_not_reachable(app, client, team, make_project, login):
    other = make_project("p2")
    with app.app_context():
        other_village = db.session.scalar(select(Village.id).where(Village.project_id == other.id))
    login(team["users"][Role.COORDINATOR])
    assert client.get(f"/projects/p1/villages/{other_village}/edit").status_code == 404


def test_adding_a_new_person_gives_a_one_time_invitation_link(app, client, team, login):
    login(team["users"][Role.COORDINATOR])
    response = client.post(
        "/projects/p1/members",
        data={"username": "wang.fang", "display_name": "Wang Fang", "role": "committee"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    link = page.split('id="invite-url">')[1].split("<")[0]
    assert "/invitations/" in link
    client.post("/logout")
    invite = app.test_client()
    path = link.split("localhost", 1)[1]
    assert invite.get(path).status_code == 200
    done = invite.post(
        path, data={"password": "grassland morning 7", "confirm": "grassland morning 7"}
    )
    assert done.status_code == 302
    home = invite.get("/projects/p1/")
    assert home.status_code == 200 and "Committee member" in home.get_data(as_text=True)


def test_adding_an_existing_account_gives_an_invitation_its_owner_accepts(
    app, client, team, make_user, login
):
    # Issue 11: an existing account is no longer added silently; its owner accepts.
    li = make_user("li.lei")
    login(team["users"][Role.COORDINATOR])
    page = client.post(
        "/projects/p1/members", data={"username": "li.lei", "role": "researcher"}
    ).get_data(as_text=True)
    path = page.split('id="invite-url">')[1].split("<")[0].split("localhost", 1)[1]
    with app.app_context():
        assert db.session.scalar(select(Membership).where(Membership.user_id == li.id)) is None
    owner = app.test_client()
    login(li, c=owner)
    assert owner.post(path).status_code == 302
    with app.app_context():
        joined = db.session.scalar(select(Membership).where(Membership.user_id == li.id))
        assert joined.role == Role.RESEARCHER
    again = client.post("/projects/p1/members", data={"username": "li.lei", "role": "researcher"})
    assert again.status_code == 422
    assert "already a member" in again.get_data(as_text=True)


def test_roles_change_but_the_last_coordinator_stays(app, client, team, login):
    coordinator = team["users"][Role.COORDINATOR]
    login(coordinator)
    with app.app_context():
        own = db.session.scalar(select(Membership).where(Membership.user_id == coordinator.id)).id
        researcher = db.session.scalar(
            select(Membership).where(Membership.user_id == team["users"][Role.RESEARCHER].id)
        ).id
    assert (
        client.post(f"/projects/p1/members/{own}/role", data={"role": "observer"}).status_code
        == 409
    )
    assert client.post(f"/projects/p1/members/{own}/remove").status_code == 409
    ok = client.post(f"/projects/p1/members/{researcher}/role", data={"role": "field_worker"})
    assert ok.status_code == 302
    with app.app_context():
        assert db.session.get(Membership, researcher).role == Role.FIELD_WORKER
    assert client.post(f"/projects/p1/members/{researcher}/remove").status_code == 302
    with app.app_context():
        assert db.session.get(Membership, researcher) is None
    assert {"member_role_changed", "member_removed"} <= set(actions(app))


def test_project_list_shows_only_my_projects(client, team, make_project, login):
    make_project("secret-project", name="Secret project")
    login(team["users"][Role.FIELD_WORKER])
    page = client.get("/").get_data(as_text=True)
    assert "Project p1" in page and "Secret project" not in page
