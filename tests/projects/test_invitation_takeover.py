"""Issue 11, finding 1: a coordinator cannot take over an account through invitations.

An invitation sets a password only for a new person. An existing account's owner logs in with
their own password and accepts; adding a member answers the same whether or not the username
exists; accepting never enables a disabled account; the role defaults to observer.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select

from cbpar.audit import AuditEvent
from cbpar.auth.models import Invitation, User
from cbpar.db import db
from cbpar.projects.models import Membership
from cbpar.security import Role
from tests.helpers import without_random_material

NEW_PASSWORD = "attacker chosen passphrase 9"


def invite_path(page: str) -> str:
    link = page.split('id="invite-url">')[1].split("<")[0]
    return link.split("localhost", 1)[1]


def user_row(app, username: str) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        db.session.expunge(user)
        return user


def actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def set_password_attempt(client, path: str):
    return client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})


def test_coordinator_of_another_project_cannot_take_over_a_site_administrator(
    app, client, make_user, make_project, login
):
    make_user("siteadmin", is_admin=True)
    coordinator = make_user("coord.b")
    make_project("pb", members={coordinator: Role.COORDINATOR})
    before = user_row(app, "siteadmin").password_hash
    login(coordinator)

    added = client.post("/projects/pb/members", data={"username": "siteadmin", "role": "observer"})
    assert added.status_code == 200
    first_link = invite_path(added.get_data(as_text=True))
    with app.app_context():
        invitation_id = db.session.scalar(select(Invitation.id).where(Invitation.used_at.is_(None)))
    reissued = client.post(f"/projects/pb/invitations/{invitation_id}/reissue")
    assert reissued.status_code == 200
    link = invite_path(reissued.get_data(as_text=True))
    assert link != first_link

    attacker = app.test_client()  # not logged in, holding the link
    page = attacker.get(link).get_data(as_text=True)
    assert 'name="password"' not in page  # the page does not offer a password
    assert set_password_attempt(attacker, link).status_code == 403
    assert set_password_attempt(client, link).status_code == 409  # logged in as the coordinator
    assert set_password_attempt(attacker, first_link).status_code == 404  # replaced

    after = user_row(app, "siteadmin")
    assert after.password_hash == before
    assert after.is_admin and after.active
    owner = app.test_client()
    assert (
        owner.post("/login", data={"username": "siteadmin", "password": NEW_PASSWORD}).status_code
        == 200
    )
    login("siteadmin", c=owner)  # the old password still works
    with app.app_context():
        member = db.session.scalar(select(Membership).where(Membership.user_id == after.id))
    assert member is None  # nobody accepted on the admin's behalf


def test_adding_an_existing_or_an_unknown_username_answers_the_same(
    app, client, team, make_user, login
):
    make_user("existing.person", display_name="Real Name")
    login(team["users"][Role.COORDINATOR])
    with app.app_context():
        users_before = db.session.scalar(select(func.count()).select_from(User))

    def normalised(username: str) -> tuple[int, str]:
        response = client.post(
            "/projects/p1/members",
            data={"username": username, "display_name": "Typed Name", "role": "committee"},
        )
        body = response.get_data(as_text=True).replace(username, "NAME")
        body = re.sub(r"/invitations/[A-Za-z0-9_-]+", "/invitations/TOKEN", body)
        body = re.sub(r"<svg [^>]*class=\"qr\">.*?</svg>", "QR OF THE LINK", body, flags=re.S)
        # A page made a second later differs in its CSRF token (signed with the time).
        body = without_random_material(body)
        body = re.sub(r"\d+", "0", body)  # ids, dates and times
        return response.status_code, body

    existing = normalised("existing.person")
    client.post(f"/projects/p1/invitations/{_pending_id(app, 'existing.person')}/cancel")
    client.get("/projects/p1/members")  # shows the "cancelled" message, so the next page has none
    unknown = normalised("nobody.here")
    assert existing[0] == unknown[0] == 200
    assert existing[1] == unknown[1]
    assert "Real Name" not in existing[1]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == users_before
        assert db.session.scalar(select(func.count()).select_from(Membership)) == len(Role)
    assert actions(app).count("invitation_created") == 2


def _pending_id(app, username: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(Invitation.id).where(
                Invitation.username == username, Invitation.used_at.is_(None)
            )
        )


def test_existing_account_logs_in_and_accepts_without_touching_its_password(
    app, client, team, make_user, login
):
    li = make_user("li.lei")
    before = user_row(app, "li.lei").password_hash
    login(team["users"][Role.COORDINATOR])
    link = invite_path(
        client.post(
            "/projects/p1/members", data={"username": "li.lei", "role": "field_worker"}
        ).get_data(as_text=True)
    )
    owner = app.test_client()
    page = owner.get(link).get_data(as_text=True)
    assert "Log in to accept" in page and "/login?next=" in page
    login(li, c=owner)
    page = owner.get(link).get_data(as_text=True)
    assert "Accept and join" in page and 'name="password"' not in page
    # Password fields sent along are ignored.
    accepted = owner.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert accepted.status_code == 302 and accepted.headers["Location"] == "/projects/p1/"
    assert user_row(app, "li.lei").password_hash == before
    with app.app_context():
        member = db.session.scalar(select(Membership).where(Membership.user_id == li.id))
        assert member.role == Role.FIELD_WORKER
    assert owner.get(link).status_code == 404  # used up
    assert {"invitation_created", "invitation_accepted", "member_added"} <= set(actions(app))


def test_disabled_account_with_a_password_stays_disabled(app, client, team, make_user, login):
    make_user("gone", active=False)
    before = user_row(app, "gone").password_hash
    login(team["users"][Role.COORDINATOR])
    link = invite_path(
        client.post("/projects/p1/members", data={"username": "gone", "role": "observer"}).get_data(
            as_text=True
        )
    )
    stranger = app.test_client()
    assert set_password_attempt(stranger, link).status_code == 404
    after = user_row(app, "gone")
    assert not after.active and after.password_hash == before


def test_disabled_account_without_a_password_stays_disabled(app, client, team, login):
    """A member added before this change, never logged in, then disabled by an admin."""
    with app.app_context():
        pending = User(username="pending.one", active=False)
        db.session.add(pending)
        db.session.flush()
        db.session.add(
            Membership(project_id=team["project"].id, user_id=pending.id, role=Role.OBSERVER)
        )
        db.session.commit()
        membership_id = db.session.scalar(
            select(Membership.id).where(Membership.user_id == pending.id)
        )
    login(team["users"][Role.COORDINATOR])
    response = client.post(f"/projects/p1/members/{membership_id}/invite")
    assert response.status_code == 200
    link = invite_path(response.get_data(as_text=True))
    stranger = app.test_client()
    set_password_attempt(stranger, link)
    after = user_row(app, "pending.one")
    assert not after.active and after.password_hash == ""


def test_a_member_without_password_gets_a_link_that_sets_it(app, client, team, login):
    with app.app_context():
        pending = User(username="pending.two")
        db.session.add(pending)
        db.session.flush()
        db.session.add(
            Membership(project_id=team["project"].id, user_id=pending.id, role=Role.COMMITTEE)
        )
        db.session.commit()
        membership_id = db.session.scalar(
            select(Membership.id).where(Membership.user_id == pending.id)
        )
    login(team["users"][Role.COORDINATOR])
    link = invite_path(
        client.post(f"/projects/p1/members/{membership_id}/invite").get_data(as_text=True)
    )
    invitee = app.test_client()
    assert set_password_attempt(invitee, link).status_code == 302
    assert invitee.get("/projects/p1/").status_code == 200
    # Once it has a password, nobody may issue it a password link again.
    assert client.post(f"/projects/p1/members/{membership_id}/invite").status_code == 409


def test_a_password_less_member_of_another_project_cannot_be_claimed(
    app, client, make_user, make_project, login
):
    with app.app_context():
        pending = User(username="pending.a")
        db.session.add(pending)
        db.session.commit()
        pending_id = pending.id
    make_project("pa", members={db_user(app, pending_id): Role.RESEARCHER})
    coordinator = make_user("coord.b")
    make_project("pb", members={coordinator: Role.COORDINATOR})
    login(coordinator)
    link = invite_path(
        client.post(
            "/projects/pb/members", data={"username": "pending.a", "role": "observer"}
        ).get_data(as_text=True)
    )
    assert set_password_attempt(app.test_client(), link).status_code == 404
    assert user_row(app, "pending.a").password_hash == ""


def db_user(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def test_someone_logged_in_cannot_accept_an_invitation_for_a_new_account(app, client, team, login):
    login(team["users"][Role.COORDINATOR])
    link = invite_path(
        client.post(
            "/projects/p1/members", data={"username": "wang.fang", "role": "committee"}
        ).get_data(as_text=True)
    )
    page = client.get(link).get_data(as_text=True)
    assert "You are logged in as coordinator" in page
    assert (
        client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code
        == 409
    )
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "wang.fang")) is None


def test_cancelled_invitation_stops_working_and_is_audited(app, client, team, login):
    login(team["users"][Role.COORDINATOR])
    page = client.post(
        "/projects/p1/members", data={"username": "wang.fang", "role": "committee"}
    ).get_data(as_text=True)
    link = invite_path(page)
    assert "pending-invitations" in page and "wang.fang" in page
    assert (
        client.post(f"/projects/p1/invitations/{_pending_id(app, 'wang.fang')}/cancel").status_code
        == 302
    )
    assert app.test_client().get(link).status_code == 404
    assert "invitation_cancelled" in actions(app)
    assert "pending-invitations" not in client.get("/projects/p1/members").get_data(as_text=True)


def test_invitations_of_another_project_cannot_be_managed(
    app, client, team, make_user, make_project, login
):
    other_coordinator = make_user("coord.b")
    make_project("pb", members={other_coordinator: Role.COORDINATOR})
    login(team["users"][Role.COORDINATOR])
    client.post("/projects/p1/members", data={"username": "wang.fang", "role": "committee"})
    invitation_id = _pending_id(app, "wang.fang")
    other = app.test_client()
    login(other_coordinator, c=other)
    assert other.post(f"/projects/pb/invitations/{invitation_id}/reissue").status_code == 404
    assert other.post(f"/projects/pb/invitations/{invitation_id}/cancel").status_code == 404


def test_role_select_defaults_to_observer(client, team, login):
    login(team["users"][Role.COORDINATOR])
    page = client.get("/projects/p1/members").get_data(as_text=True)
    add_form = page.split('id="role"', 1)[1].split("</select>", 1)[0]
    selected = re.findall(r'<option selected value="([a-z_]+)"', add_form)
    assert selected == ["observer"]


def test_project_archives_leave_invitations_out(app, client, team, login):
    """Invitations are secrets of this instance: an archive neither copies nor revives them."""
    from cbpar.transfer import archive

    with app.app_context():
        assert "invitation" not in {t.name for t, _ways in archive.project_tables()}


def test_no_password_link_for_a_member_who_has_a_password(
    app, client, make_user, make_project, login
):
    """The route behind the old "new invitation link" button, used on a member's account."""
    admin = make_user("siteadmin", is_admin=True)
    coordinator = make_user("coord.b")
    make_project("pb", members={coordinator: Role.COORDINATOR, admin: Role.OBSERVER})
    before = user_row(app, "siteadmin").password_hash
    with app.app_context():
        membership_id = db.session.scalar(
            select(Membership.id).where(Membership.user_id == admin.id)
        )
    login(coordinator)
    response = client.post(f"/projects/pb/members/{membership_id}/invite")
    page = response.get_data(as_text=True)
    if 'id="invite-url"' in page:  # whatever the page offers, try it
        set_password_attempt(app.test_client(), invite_path(page))
    assert user_row(app, "siteadmin").password_hash == before
    assert response.status_code == 409
