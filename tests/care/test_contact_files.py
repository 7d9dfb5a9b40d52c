"""A contact's recordings and photos: uploaded through the API once per client_id, type checked
by content, seen by the field roles only, deleted by a withdrawal, an erasure or the contact's
own deletion (rows and stored files)."""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from cbpar.attachments import storage
from cbpar.attachments.models import Attachment
from cbpar.audit import AuditEvent
from cbpar.care import services
from cbpar.care.models import ContactLog
from cbpar.db import db
from tests.care.test_children import add_child, household, log_contact  # noqa: F401
from tests.field.test_field import wav_bytes
from tests.helpers import as_user, csrf_token_from, new_id

M4A = b"\x00\x00\x00\x20ftypM4A \x00\x00\x02\x00M4A isommp42" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _contact(app, c, household):  # noqa: F811
    child_id = add_child(c, household)
    assert log_contact(c, child_id).status_code == 303
    with app.app_context():
        contact_id = db.session.scalar(select(ContactLog.id).where(ContactLog.child_id == child_id))
    return child_id, contact_id


def _upload(c, contact_id, data, name="voice.m4a", client_id=None):
    return c.post(
        f"/api/v1/contacts/{contact_id}/attachments",
        data={"file": (io.BytesIO(data), name), "client_id": client_id or new_id()},
        content_type="multipart/form-data",
    )


def _stored(app) -> list[bytes | None]:
    with app.app_context():
        return [storage.read(a) for a in db.session.scalars(select(Attachment))]


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Attachment.id)))


def test_a_recording_is_attached_once_and_checked_by_content(app, team, household):  # noqa: F811
    c = as_user(app, "field_worker")
    _child_id, contact_id = _contact(app, c, household)
    client_id = new_id()
    first = _upload(c, contact_id, M4A, client_id=client_id)
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["content_type"] == "audio/mp4"
    again = _upload(c, contact_id, M4A, client_id=client_id)
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    renamed = _upload(c, contact_id, b"just some words, not a recording", "voice.m4a")
    assert renamed.status_code == 400 and renamed.get_json()["parameter"] == "file"
    pdf = _upload(c, contact_id, b"%PDF-1.4 a letter", "letter.pdf")
    assert pdf.status_code == 400 and "photos only" in pdf.get_json()["message"]
    assert _upload(c, contact_id, wav_bytes(), "v.wav").status_code == 201
    assert _upload(c, contact_id, PNG, "photo.png").status_code == 201
    listed = c.get(f"/api/v1/contacts/{contact_id}/attachments").get_json()["attachments"]
    assert len(listed) == 3 and _count(app) == 3
    assert _stored(app)[0] == M4A
    page = c.get(f"/projects/p1/contacts/{contact_id}").get_data(as_text=True)
    assert "<audio controls" in page and "voice.m4a" in page
    # The page's own upload form returns to the contact's page.
    token = csrf_token_from(page)
    posted = c.post(
        f"/projects/p1/attachments/contact/{contact_id}",
        data={"file": (io.BytesIO(wav_bytes()), "v2.wav"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert posted.status_code == 303
    assert posted.headers["Location"].endswith(f"/projects/p1/contacts/{contact_id}#attachments")
    assert _count(app) == 4


def test_only_the_field_roles_see_a_contacts_files(app, team, household):  # noqa: F811
    c = as_user(app, "field_worker")
    child_id, contact_id = _contact(app, c, household)
    attachment_id = _upload(c, contact_id, M4A).get_json()["id"]
    assert c.get(f"/projects/p1/attachments/{attachment_id}").status_code == 200
    assert f"/projects/p1/contacts/{contact_id}" in c.get(
        f"/projects/p1/children/{child_id}"
    ).get_data(as_text=True)
    for role in ("committee", "observer", "outsider"):
        other = as_user(app, role)
        assert other.get(f"/api/v1/contacts/{contact_id}/attachments").status_code == 404, role
        assert other.get(f"/projects/p1/attachments/{attachment_id}").status_code == 404, role
        assert other.get(f"/projects/p1/contacts/{contact_id}").status_code in (403, 404), role
        refused = _upload(other, contact_id, M4A)
        assert refused.status_code in (403, 404), role
    assert _count(app) == 1


def test_withdrawal_deletes_the_files_of_every_contact(app, team, household):  # noqa: F811
    c = as_user(app, "field_worker")
    child_id, contact_id = _contact(app, c, household)
    assert log_contact(c, child_id).status_code == 303
    with app.app_context():
        second = max(db.session.scalars(select(ContactLog.id)))
    _upload(c, contact_id, M4A)
    _upload(c, second, PNG, "photo.png")
    with app.app_context():
        stored = list(db.session.scalars(select(Attachment)))
        paths = [storage.current().path(a) for a in stored]
    assert all(p is not None and p.exists() for p in paths)
    page = c.get(f"/projects/p1/children/{child_id}/withdraw").get_data(as_text=True)
    response = c.post(
        f"/projects/p1/children/{child_id}/withdraw", data={"csrf_token": csrf_token_from(page)}
    )
    assert response.status_code == 303
    assert _count(app) == 0
    assert not any(p.exists() for p in paths)
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "child_consent_withdrawn")
        )
        assert event.details == {"contacts": 2, "files": 2}
    # Nothing new can be attached once consent is withdrawn.
    assert _upload(c, contact_id, M4A).status_code == 403


def test_erasing_the_household_deletes_the_contacts_files(app, team, household):  # noqa: F811
    c = as_user(app, "field_worker")
    _child_id, contact_id = _contact(app, c, household)
    _upload(c, contact_id, M4A)
    with app.app_context():
        path = storage.current().path(db.session.scalar(select(Attachment)))
    assert path.exists()
    coordinator = as_user(app, "coordinator")
    token = csrf_token_from(
        coordinator.get(f"/projects/p1/households/{household.id}").get_data(as_text=True)
    )
    response = coordinator.post(
        f"/projects/p1/households/{household.id}/erase",
        data={"csrf_token": token, "confirm_code": household.code},
    )
    assert response.status_code in (302, 303)
    assert _count(app) == 0 and not path.exists()
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "household_erased"))
        assert event.details["contact_files"] == 1


def test_deleting_a_contact_deletes_its_files(app, team, household):  # noqa: F811
    c = as_user(app, "field_worker")
    _child_id, contact_id = _contact(app, c, household)
    _upload(c, contact_id, M4A)
    with app.app_context():
        path = storage.current().path(db.session.scalar(select(Attachment)))
        contact = db.session.get(ContactLog, contact_id)
        services.delete_contact(contact, None)
        db.session.commit()
        assert db.session.get(ContactLog, contact_id) is None
    assert _count(app) == 0 and not path.exists()


def test_the_contact_form_can_go_on_to_the_files(app, team, household):  # noqa: F811
    c = as_user(app, "field_worker")
    child_id = add_child(c, household)
    response = log_contact(c, child_id, then="files")
    assert response.status_code == 303
    assert re.search(r"/projects/p1/contacts/\d+#attachments$", response.headers["Location"])
