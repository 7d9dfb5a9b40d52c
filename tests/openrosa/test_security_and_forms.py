"""What keeps the token safe (HTTPS only under CBPAR_HTTPS, throttled guessing), contact logs
from Collect, the XLSForm downloads, and the workbooks kept in step with their definitions."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from cbpar.auth.models import User
from cbpar.auth.services import create_api_token, set_password
from cbpar.care.models import Child, ChildSex, ContactLog
from cbpar.db import db
from cbpar.mapping.models import Caregiver, MigrantParents
from cbpar.openrosa import build_forms, xlsforms
from cbpar.openrosa.definitions import FORMS
from cbpar.openrosa.models import Submission, SubmissionStatus
from cbpar.projects.models import Membership, Project, Village
from cbpar.security import Role
from tests.helpers import PASSWORD, fresh_app
from tests.openrosa.conftest import JPEG, basic, post_submission, submission_xml


def _app_with_member(tmp_path, **config):
    app = fresh_app(tmp_path, **config)
    with app.app_context():
        user = User(username="fw")
        set_password(user, PASSWORD)
        project = Project(slug="p1", name="P1")
        db.session.add_all([user, project, Village(project=project, name="Shuanghe", code="SH")])
        db.session.add(Membership(project=project, user=user, role=Role.FIELD_WORKER))
        db.session.flush()
        _token, raw = create_api_token(user, "collect")
        db.session.commit()
    return app, raw


def test_under_cbpar_https_a_request_in_clear_is_refused(tmp_path):
    app, token = _app_with_member(tmp_path, HTTPS=True, TRUSTED_PROXIES=1)
    client = app.test_client()
    headers = basic("fw", token)
    # (The test client would use https here: PREFERRED_URL_SCHEME follows CBPAR_HTTPS.)
    clear = {"headers": headers, "base_url": "http://localhost"}
    response = client.get("/projects/p1/openrosa/formList", **clear)
    assert response.status_code == 403
    assert "https://" in response.get_data(as_text=True)
    assert "WWW-Authenticate" not in response.headers  # never invites a password in clear
    secure = client.get(
        "/projects/p1/openrosa/formList", headers=headers, base_url="https://localhost"
    )
    assert secure.status_code == 200
    # Behind nginx (CBPAR_TRUSTED_PROXIES=1), X-Forwarded-Proto says how the phone connected.
    proxied = client.get(
        "/projects/p1/openrosa/formList",
        headers={**headers, "X-Forwarded-Proto": "https"},
        base_url="http://localhost",
    )
    assert proxied.status_code == 200
    assert "https://localhost/projects/p1/openrosa/forms/" in proxied.get_data(as_text=True)


def test_guessing_tokens_is_throttled_like_log_in(tmp_path):
    app, token = _app_with_member(
        tmp_path, LOGIN_RATE_LIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per 15 minutes"
    )
    client = app.test_client()
    for _ in range(3):
        wrong = client.get("/projects/p1/openrosa/formList", headers=basic("fw", "cbp_wrong"))
        assert wrong.status_code == 401
    throttled = client.get("/projects/p1/openrosa/formList", headers=basic("fw", token))
    assert throttled.status_code == 429 and throttled.headers["Retry-After"]


def test_a_session_cookie_does_not_stand_in_for_credentials(client, login, field):
    login(field["users"][Role.FIELD_WORKER])
    response = client.get("/projects/p1/openrosa/formList")
    assert response.status_code == 401


@pytest.fixture
def child(app, field, add_household):
    household = add_household(field["project"])
    with app.app_context():
        record = Child(
            project_id=field["project"].id,
            household_id=household.id,
            number=1,
            code=f"{household.code}-1",
            birth_year=2017,
            sex=ChildSex.BOY,
            parents_away=MigrantParents.BOTH,
            caregiver=Caregiver.GRANDPARENTS,
            consent_on=date.today(),
        )
        db.session.add(record)
        db.session.commit()
        return record.code


def _contact_xform(client, auth, role=Role.FIELD_WORKER):
    response = client.get("/projects/p1/openrosa/forms/cbpar_contact.xml", headers=auth(role))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_contact_log_from_collect(app, client, auth, child):
    values = {"child": child, "kind": "video_call", "on": date.today().isoformat()}
    values |= {"minutes": "20", "with_whom": "mother", "summary": "Talked about school."}
    values |= {"photo": "c1.jpg"}
    xml = submission_xml(_contact_xform(client, auth), values, "uuid:contact-1")
    response = post_submission(client, "p1", xml, auth(), {"c1.jpg": JPEG})
    assert response.status_code == 201, response.get_data(as_text=True)
    with app.app_context():
        [contact] = db.session.scalars(select(ContactLog))
        assert contact.child.code == child and contact.minutes == 20
        assert contact.by.username == "field_worker"
        submission = db.session.scalar(select(Submission))
        assert submission.record_type == "contact_log" and submission.record_id == contact.id
        # Kept: with the contact log as an attachment where that is possible, else here.
        from cbpar.attachments.models import Attachment

        attached = db.session.scalars(select(Attachment)).all()
        assert len(attached) + len(submission.media) == 1


def test_a_contact_for_a_child_without_consent_waits(app, client, auth, child):
    values = {"child": "SH-999-1", "kind": "talk", "on": "2099-01-01"}
    xml = submission_xml(_contact_xform(client, auth), values, "uuid:contact-2")
    assert post_submission(client, "p1", xml, auth()).status_code == 201
    with app.app_context():
        submission = db.session.scalar(select(Submission))
        assert submission.status == SubmissionStatus.PENDING
        assert {r["field"] for r in submission.reasons} >= {"child"}
        assert db.session.scalar(select(ContactLog.id)) is None


def test_the_setup_page_shows_the_server_url_and_the_xlsforms(client, login, field):
    login(field["users"][Role.FIELD_WORKER])
    page = client.get("/projects/p1/openrosa/").get_data(as_text=True)
    assert "http://localhost/projects/p1/openrosa" in page
    for form_id in FORMS:
        assert f"/projects/p1/openrosa/forms/{form_id}.xlsx" in page
    response = client.get("/projects/p1/openrosa/forms/cbpar_household.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    choices = [row for row in book["choices"].iter_rows(values_only=True)]
    assert choices[0][:4] == ("list_name", "name", "label::English (en)", "label::中文 (zh)")
    assert ("village", "BY", "Baiyin", "Baiyin") in [tuple(r[:4]) for r in choices]
    assert book["survey"]["C1"].value == "label::English (en)"


def test_the_workbooks_in_the_repository_match_their_definitions():
    """Change definitions.py, then run `python -m cbpar.openrosa.build_forms`."""
    for form_id, definition in FORMS.items():
        expected = build_forms.sheets(definition)
        stored = xlsforms.read_sheets(form_id)
        assert {k: [list(r) for r in v] for k, v in stored.items()} == expected, form_id


def test_the_choice_lists_are_the_products_values():
    from cbpar.care.models import ContactKind
    from cbpar.mapping.models import FacilityKind, FacilityStatus

    enums = {
        "migrant_parents": MigrantParents,
        "caregiver": Caregiver,
        "facility_kind": FacilityKind,
        "facility_status": FacilityStatus,
        "contact_kind": ContactKind,
    }
    for definition in FORMS.values():
        for list_name, choices in definition.choices.items():
            if list_name in enums:
                assert [c.name for c in choices] == [m.value for m in enums[list_name]]


def test_a_logged_in_browser_post_without_a_csrf_token_is_refused(tmp_path):
    """The submission is exempt from the app's CSRF hook (Collect sends no token); a request
    carrying our session cookie is checked by the OpenRosa guard instead, like every form."""
    app, token = _app_with_member(tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    from tests.helpers import csrf_token_from

    login = {"username": "fw", "password": PASSWORD, "csrf_token": csrf_token_from(page)}
    assert client.post("/login", data=login).status_code == 302
    response = client.post("/projects/p1/openrosa/submission", data={"x": "1"})
    assert response.status_code == 400
    assert "The form expired" in response.get_data(as_text=True)
    # Collect itself (no cookie, Basic credentials) needs no token.
    xml = b"<?xml version='1.0' ?><cbpar_household id='cbpar_household'><meta><instanceID>"
    xml += b"uuid:csrf-1</instanceID></meta></cbpar_household>"
    collect = app.test_client()
    assert post_submission(collect, "p1", xml, basic("fw", token)).status_code == 201


def test_a_waiting_contact_is_fixed_by_choosing_the_child(app, client, auth, child, login, field):
    values = {"child": "SH-999-1", "kind": "home_visit", "on": date.today().isoformat()}
    xml = submission_xml(_contact_xform(client, auth), values, "uuid:contact-3")
    assert post_submission(client, "p1", xml, auth()).status_code == 201
    with app.app_context():
        submission_id = db.session.scalar(select(Submission.id))
    login(field["users"][Role.FIELD_WORKER])
    url = f"/projects/p1/openrosa/review/{submission_id}"
    page = client.get(url).get_data(as_text=True)
    assert f'value="{child}"' in page  # the children with consent, to choose from
    fixed = {"child_id": child, "kind": "home_visit", "on": date.today().isoformat()}
    assert client.post(url, data=fixed).status_code == 303
    with app.app_context():
        [contact] = db.session.scalars(select(ContactLog))
        assert contact.child.code == child and contact.kind.value == "home_visit"
        assert db.session.get(Submission, submission_id).status == SubmissionStatus.ACCEPTED
    # Observers and committee members never see it.
    committee = app.test_client()
    login(field["users"][Role.COMMITTEE], c=committee)
    assert committee.get(url).status_code == 403
