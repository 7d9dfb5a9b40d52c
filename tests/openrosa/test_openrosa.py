"""The OpenRosa server, step by step as ODK Collect takes it: form list, form download, HEAD,
then submissions (created once per instanceID, with photos), the review queue for those that
fail the pages' checks, and every way a request is refused."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date
from types import SimpleNamespace
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import select

from cbpar.attachments.models import Attachment
from cbpar.audit import AuditEvent
from cbpar.db import db
from cbpar.mapping.models import Facility, Household
from cbpar.openrosa.models import Submission, SubmissionStatus
from cbpar.projects.models import Village
from cbpar.security import Role
from tests.openrosa.conftest import (
    JPEG,
    XF,
    basic,
    household_values,
    post_submission,
    primary_instance,
    submission_xml,
)

LIST_NS = "{http://openrosa.org/xforms/xformsList}"
RESPONSE_NS = "{http://openrosa.org/http/response}"


def _xform(client, auth, form_id: str = "cbpar_household", role: Role = Role.FIELD_WORKER) -> str:
    response = client.get(f"/projects/p1/openrosa/forms/{form_id}.xml", headers=auth(role))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def _message(response) -> str:
    root = ET.fromstring(response.data)
    assert root.tag == f"{RESPONSE_NS}OpenRosaResponse"
    return root.find(f"{RESPONSE_NS}message").text or ""


def _households(app) -> list[SimpleNamespace]:
    """The project's households as plain values (readable after the app context ends)."""
    with app.app_context():
        households = db.session.scalars(select(Household).order_by(Household.id))
        rows = []
        for h in households:
            values = {c.key: getattr(h, c.key) for c in Household.__table__.columns}
            rows.append(SimpleNamespace(**values, village_code=h.village.code))
        return rows


# --- form list and forms ---------------------------------------------------------------------


def test_form_list_names_each_form_with_its_download_url_and_hash(client, auth):
    response = client.get("/projects/p1/openrosa/formList", headers=auth())
    assert response.status_code == 200
    assert response.headers["X-OpenRosa-Version"] == "1.0"
    root = ET.fromstring(response.data)
    assert root.tag == f"{LIST_NS}xforms"
    forms = {x.findtext(f"{LIST_NS}formID"): x for x in root.iter(f"{LIST_NS}xform")}
    assert set(forms) == {"cbpar_household", "cbpar_facility", "cbpar_contact"}
    household = forms["cbpar_household"]
    url = household.findtext(f"{LIST_NS}downloadUrl")
    assert url.endswith("/projects/p1/openrosa/forms/cbpar_household.xml")
    xform = client.get(url, headers=auth())
    assert household.findtext(f"{LIST_NS}hash") == f"md5:{hashlib.md5(xform.data).hexdigest()}"
    assert household.findtext(f"{LIST_NS}version")
    assert "农户" in household.findtext(f"{LIST_NS}name")


def test_the_form_is_pyxforms_xform_with_the_projects_villages(client, auth):
    xform = _xform(client, auth)
    root = ET.fromstring(xform)
    data = primary_instance(xform)
    assert data.get("id") == "cbpar_household"
    leaves = [el.tag.removeprefix(XF) for el in data.iter() if len(el) == 0]
    assert leaves[:4] == ["village", "field_ref", "gps", "members"]
    assert "instanceID" in leaves
    villages = next(i for i in root.iter(f"{XF}instance") if i.get("id") == "village")
    assert [n.text for n in villages.iter(f"{XF}name")] == ["BY", "SH"]
    # Both languages, as the XLSForm's label::English (en) and label::中文 (zh) columns say.
    langs = {t.get("lang") for t in root.iter(f"{XF}translation")}
    assert langs == {"English (en)", "中文 (zh)"}
    assert "Baiyin" in xform and "留守儿童" in xform


def test_a_new_village_makes_a_new_form_version(app, client, auth, field):
    before = primary_instance(_xform(client, auth)).get("version")
    with app.app_context():
        db.session.add(Village(project_id=field["project"].id, name="Xinzhuang", code="XZ"))
        db.session.commit()
    xform = _xform(client, auth)
    assert primary_instance(xform).get("version") != before
    assert "Xinzhuang" in xform


def test_the_contact_form_lists_children_with_consent_only(app, client, auth, field, add_household):
    from cbpar.care.models import Child, ChildSex
    from cbpar.mapping.models import Caregiver, MigrantParents

    household = add_household(field["project"])
    with app.app_context():
        for number, consent in ((1, date.today()), (2, None)):
            db.session.add(
                Child(
                    project_id=field["project"].id,
                    household_id=household.id,
                    number=number,
                    code=f"{household.code}-{number}",
                    birth_year=2018,
                    sex=ChildSex.GIRL,
                    parents_away=MigrantParents.BOTH,
                    caregiver=Caregiver.GRANDPARENTS,
                    consent_on=consent,
                )
            )
        db.session.commit()
    xform = _xform(client, auth, "cbpar_contact")
    root = ET.fromstring(xform)
    children = next(i for i in root.iter(f"{XF}instance") if i.get("id") == "child")
    assert [n.text for n in children.iter(f"{XF}name")] == [f"{household.code}-1"]


def test_committee_members_and_observers_get_no_forms(client, auth):
    for role in (Role.COMMITTEE, Role.OBSERVER):
        response = client.get("/projects/p1/openrosa/formList", headers=auth(role))
        assert response.status_code == 403
        response = client.get("/projects/p1/openrosa/forms/cbpar_household.xml", headers=auth(role))
        assert response.status_code == 403


# --- HEAD and submissions --------------------------------------------------------------------


def test_head_says_the_credentials_work_and_how_large_a_request_may_be(client, auth, app):
    response = client.head("/projects/p1/openrosa/submission", headers=auth())
    assert response.status_code == 204
    assert (
        int(response.headers["X-OpenRosa-Accept-Content-Length"])
        == app.config["MAX_CONTENT_LENGTH"]
    )
    assert response.headers["X-OpenRosa-Version"] == "1.0"
    assert "Set-Cookie" not in response.headers


def test_a_submission_creates_the_household_once(app, client, auth):
    xml = submission_xml(_xform(client, auth), household_values(), "uuid:0b6f3c1e-1111")
    first = post_submission(client, "p1", xml, auth())
    assert first.status_code == 201, _message(first)
    assert first.headers["X-OpenRosa-Version"] == "1.0"
    assert "BY-001" in _message(first)
    again = post_submission(client, "p1", xml, auth())
    assert again.status_code == 202
    [household] = _households(app)
    assert household.code == "BY-001" and household.source_id == "uuid:0b6f3c1e-1111"
    assert (household.lat, household.lon) == (42.36301, 119.83512)
    assert household.left_behind_children == 2 and household.caregiver.value == "grandparents"
    assert household.field_ref == "KB-12"
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action)))
    assert "household_created" in actions and "submission_accepted" in actions


def test_accepted_submissions_show_their_submission_id_in_the_household_list(
    client, auth, login, field
):
    xml = submission_xml(_xform(client, auth), household_values(), "uuid:abc-list")
    assert post_submission(client, "p1", xml, auth()).status_code == 201
    login(field["users"][Role.FIELD_WORKER])
    page = client.get("/projects/p1/households").get_data(as_text=True)
    assert "uuid:abc-list" in page


def test_a_photo_becomes_an_attachment_of_the_household(app, client, auth):
    values = household_values(photo="1700000000.jpg")
    xml = submission_xml(_xform(client, auth), values)
    response = post_submission(client, "p1", xml, auth(), {"1700000000.jpg": JPEG})
    assert response.status_code == 201, _message(response)
    [household] = _households(app)
    with app.app_context():
        [attachment] = db.session.scalars(select(Attachment))
        assert (attachment.target_type, attachment.target_id) == ("household", household.id)
        assert attachment.content_type == "image/jpeg"


def test_deleting_the_household_deletes_its_photo(app, client, auth, login, field):
    xml = submission_xml(_xform(client, auth), household_values(photo="p.jpg"))
    assert post_submission(client, "p1", xml, auth(), {"p.jpg": JPEG}).status_code == 201
    [household] = _households(app)
    login(field["users"][Role.FIELD_WORKER])
    page = client.get(f"/projects/p1/households/{household.id}").get_data(as_text=True)
    assert "p.jpg" in page  # the household page lists its attachments
    assert client.post(f"/projects/p1/households/{household.id}/delete").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Attachment.id)) is None


def test_files_sent_in_a_later_request_complete_a_waiting_submission(app, client, auth):
    """Collect splits a large submission: the XML with some files, then the rest."""
    xml = submission_xml(_xform(client, auth), household_values(photo="late.jpg"), "uuid:split")
    first = post_submission(client, "p1", xml, auth())
    assert first.status_code == 201 and "late.jpg" in _message(first)
    assert _households(app) == []
    second = post_submission(client, "p1", xml, auth(), {"late.jpg": JPEG})
    assert second.status_code == 201, _message(second)
    [household] = _households(app)
    assert household.source_id == "uuid:split"
    with app.app_context():
        [attachment] = db.session.scalars(select(Attachment))
        assert attachment.target_id == household.id
        done = db.session.scalar(select(Submission))
        assert done.status == SubmissionStatus.ACCEPTED and done.media == []
    assert post_submission(client, "p1", xml, auth(), {"late.jpg": JPEG}).status_code == 202


def test_a_facility_submission_creates_the_facility(app, client, auth):
    values = {"name": "Baiyin kindergarten", "kind": "kindergarten", "status": "planned"}
    values |= {"village": "BY", "gps": "42.30 119.90 0 0", "capacity": "60"}
    xml = submission_xml(_xform(client, auth, "cbpar_facility"), values)
    response = post_submission(client, "p1", xml, auth())
    assert response.status_code == 201, _message(response)
    with app.app_context():
        [facility] = db.session.scalars(select(Facility))
        assert facility.name == "Baiyin kindergarten" and facility.capacity == 60


# --- the review queue ------------------------------------------------------------------------


def test_bad_values_wait_in_the_review_queue_with_their_reasons(app, client, auth, login, field):
    values = household_values(village="ZZ", left_behind_children="7", consent_on="")
    xml = submission_xml(_xform(client, auth), values, "uuid:bad-1")
    photo = {"1700000001.jpg": JPEG}
    xml = xml.replace(b"<photo />", b"<photo>1700000001.jpg</photo>")
    response = post_submission(client, "p1", xml, auth(), photo)
    assert response.status_code == 201  # received: Collect must not send it again
    message = _message(response)
    assert "village" in message and "ZZ" in message and "left_behind_children" in message
    assert _households(app) == []
    with app.app_context():
        [queued] = db.session.scalars(select(Submission))
        assert queued.status == SubmissionStatus.PENDING
        assert queued.instance_id == "uuid:bad-1" and "ZZ" in queued.xml
        fields = {r["field"] for r in queued.reasons}
        assert {"village", "left_behind_children", "consent_on"} <= fields
        assert [m.filename for m in queued.media] == ["1700000001.jpg"]
        submission_id = queued.id
    # The same submission again is a duplicate, not a second entry.
    assert post_submission(client, "p1", xml, auth()).status_code == 202

    login(field["users"][Role.FIELD_WORKER])
    queue = client.get("/projects/p1/openrosa/review").get_data(as_text=True)
    assert "uuid:bad-1" in queue and "ZZ" in queue
    url = f"/projects/p1/openrosa/review/{submission_id}"
    page = client.get(url).get_data(as_text=True)
    assert "Left-behind children cannot be more" in page
    with app.app_context():
        by_id = db.session.scalar(select(Village.id).where(Village.code == "SH"))
    fixed = {
        "village_id": str(by_id),
        "lat": "42.36301",
        "lon": "119.83512",
        "members": "5",
        "children_under_6": "1",
        "children_6_17": "2",
        "left_behind_children": "2",
        "migrant_parents": "both",
        "caregiver": "grandparents",
        "consent_on": date.today().isoformat(),
        "consent_given_by": "grandmother",
    }
    still_bad = client.post(url, data={**fixed, "left_behind_children": "9"})
    assert still_bad.status_code == 422 and _households(app) == []
    accepted = client.post(url, data=fixed)
    assert accepted.status_code == 303
    [household] = _households(app)
    assert household.village_code == "SH" and household.source_id == "uuid:bad-1"
    with app.app_context():
        done = db.session.get(Submission, submission_id)
        assert done.status == SubmissionStatus.ACCEPTED and done.record_id == household.id
        assert done.xml == "" and done.media == []
        [attachment] = db.session.scalars(select(Attachment))
        assert attachment.target_id == household.id
    assert "uuid:bad-1" in client.get(f"/projects/p1/households/{household.id}").get_data(
        as_text=True
    )


def test_a_rejected_submission_is_kept_with_its_reason(app, client, auth, login, field):
    xml = submission_xml(_xform(client, auth), household_values(village="ZZ"), "uuid:rej")
    assert post_submission(client, "p1", xml, auth()).status_code == 201
    with app.app_context():
        submission_id = db.session.scalar(select(Submission.id))
    login(field["users"][Role.FIELD_WORKER])
    url = f"/projects/p1/openrosa/review/{submission_id}/reject"
    assert client.post(url, data={"reason": ""}).status_code == 422
    assert client.post(url, data={"reason": "Sent twice by mistake"}).status_code == 303
    with app.app_context():
        kept = db.session.get(Submission, submission_id)
        assert kept.status == SubmissionStatus.REJECTED
        assert kept.rejection_reason == "Sent twice by mistake" and "ZZ" in kept.xml
    assert _households(app) == []


def test_the_review_pages_are_for_field_roles_only(client, login, field):
    login(field["users"][Role.COMMITTEE])
    assert client.get("/projects/p1/openrosa/review").status_code == 403
    assert client.get("/projects/p1/openrosa/").status_code == 403


# --- refusals --------------------------------------------------------------------------------


def test_no_credentials_or_a_wrong_token_get_401_with_a_basic_challenge(client, field):
    for headers in (
        {},
        basic("field_worker", "cbpar_wrong"),
        basic("researcher", field["tokens"][Role.FIELD_WORKER]),
    ):
        for method, path in (("GET", "formList"), ("HEAD", "submission"), ("POST", "submission")):
            response = client.open(f"/projects/p1/openrosa/{path}", method=method, headers=headers)
            assert response.status_code == 401, (method, path, headers)
            assert response.headers["WWW-Authenticate"].startswith('Basic realm="CBPAR"')


def test_a_committee_members_token_cannot_submit(client, auth, app):
    xml = submission_xml(_xform(client, auth), household_values())
    response = post_submission(client, "p1", xml, auth(Role.COMMITTEE))
    assert response.status_code == 403
    assert _households(app) == []


def test_a_member_of_another_project_cannot_submit(client, auth, field, make_project, app):
    make_project("p2", members={field["outsider"]: Role.FIELD_WORKER})
    xml = submission_xml(_xform(client, auth), household_values())
    outsider = basic("outsider", field["tokens"]["outsider"])
    assert post_submission(client, "p1", xml, outsider).status_code == 404
    assert client.get("/projects/p1/openrosa/formList", headers=outsider).status_code == 404
    assert _households(app) == []


def test_a_submission_that_is_not_ours_is_refused_and_not_stored(client, auth, app):
    response = post_submission(client, "p1", b"<not xml", auth())
    assert response.status_code == 400
    other = b"<?xml version='1.0' ?><survey id='other_form'><meta><instanceID>uuid:1</instanceID>"
    other += b"</meta></survey>"
    response = post_submission(client, "p1", other, auth())
    assert response.status_code == 400 and "other_form" in _message(response)
    with app.app_context():
        assert db.session.scalar(select(Submission.id)) is None


def test_a_post_from_a_web_page_is_refused(client, auth):
    xml = submission_xml(_xform(client, auth), household_values())
    headers = {**auth(), "Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
    assert post_submission(client, "p1", xml, headers).status_code == 403


@pytest.mark.skipif(shutil.which("java") is None, reason="ODK Validate needs Java")
def test_odk_validate_accepts_the_served_form(client, auth, tmp_path):
    """JavaRosa, the form engine inside ODK Collect, parses the XForm as served (through the
    ODK Validate that pyxform ships): a form Collect would refuse never reaches a phone."""
    from pyxform.validators import odk_validate

    path = tmp_path / "cbpar_household.xml"
    path.write_text(_xform(client, auth), encoding="utf-8")
    assert odk_validate.check_xform(str(path)) == []
