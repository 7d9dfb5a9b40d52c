"""Attachments: type by content, size limit, permission-checked serving, no traversal."""

from __future__ import annotations

import io
import re

from cbpar.attachments.models import Attachment
from cbpar.db import db
from tests.helpers import as_user, new_memo
from tests.interviews.test_interviews import record

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%...\n"
HTML = b"<html><script>alert(1)</script></html>"


def upload(c, target, target_id, data, name="photo.png"):
    return c.post(
        f"/projects/p1/attachments/{target}/{target_id}",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def stored(app):
    with app.app_context():
        rows = list(db.session.query(Attachment).order_by(Attachment.id))
        db.session.expunge_all()  # keep the loaded values after the context closes
        return rows


def test_upload_and_download_checks_type_by_content(app, client, team):
    c = as_user(app, "researcher")
    memo_id = new_memo(c, visibility="team")
    assert upload(c, "memo", memo_id, PNG, "../../etc/passwd.pdf").status_code == 303
    assert upload(c, "memo", memo_id, HTML, "innocent.png").status_code == 303
    files = stored(app)
    assert len(files) == 1  # the HTML disguised as PNG was refused
    attachment = files[0]
    assert attachment.content_type == "image/png" and attachment.filename == "passwd.png"
    assert re.fullmatch(r"[0-9a-f]{32}\.png", attachment.stored_name)
    response = c.get(f"/projects/p1/attachments/{attachment.id}")
    assert response.status_code == 200 and response.data == PNG
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert response.mimetype == "image/png"
    response.close()
    assert upload(c, "memo", memo_id, PDF, "form.pdf").status_code == 303
    pdf = stored(app)[-1]
    response = c.get(f"/projects/p1/attachments/{pdf.id}")
    assert response.headers["Content-Disposition"].startswith("attachment")
    response.close()


def test_size_limit_answers_413(app, client, team):
    c = as_user(app, "researcher")
    memo_id = new_memo(c)
    app.config["MAX_ATTACHMENT_BYTES"] = 100
    try:
        assert upload(c, "memo", memo_id, PNG + b"\x00" * 200).status_code == 413
    finally:
        app.config["MAX_ATTACHMENT_BYTES"] = 10 * 1024 * 1024
    assert stored(app) == []


def test_default_limits_are_ten_megabytes(app):
    assert app.config["MAX_ATTACHMENT_BYTES"] == 10 * 1024 * 1024
    assert app.config["MAX_CONTENT_LENGTH"] > app.config["MAX_ATTACHMENT_BYTES"]


def test_permissions_follow_the_record(app, client, team):
    c = as_user(app, "researcher")
    private = new_memo(c, visibility="private")
    upload(c, "memo", private, PNG)
    attachment = stored(app)[0]
    for role in ("field_worker", "committee", "coordinator"):
        assert (
            as_user(app, role).get(f"/projects/p1/attachments/{attachment.id}").status_code == 404
        )
    assert upload(as_user(app, "field_worker"), "memo", private, PNG).status_code == 404
    community = new_memo(c, visibility="community")
    assert upload(as_user(app, "committee"), "memo", community, PNG).status_code == 403
    assert (
        as_user(app, "outsider").get(f"/projects/p1/attachments/{attachment.id}").status_code == 404
    )


def test_never_serves_another_projects_file(app, client, team, make_project):
    from cbpar.projects.models import Membership, Project
    from cbpar.security import Role

    c = as_user(app, "researcher")
    memo_id = new_memo(c)
    upload(c, "memo", memo_id, PNG)
    attachment = stored(app)[0]
    make_project("p2", members={team["users"][Role.RESEARCHER]: Role.RESEARCHER})
    # Asking for p1's file through p2 fails, even for a member of both.
    assert c.get(f"/projects/p2/attachments/{attachment.id}").status_code == 404
    # A tampered row pointing outside its folder is never served.
    with app.app_context():
        row = db.session.get(Attachment, attachment.id)
        row.stored_name = "../../secret_key"
        db.session.commit()
    assert c.get(f"/projects/p1/attachments/{attachment.id}").status_code == 404
    del Project, Membership


def test_withdrawn_interview_files_are_not_served(app, client, team):
    fw = as_user(app, "field_worker")
    interview_id = record(fw)
    assert upload(fw, "interview", interview_id, PDF, "consent.pdf").status_code == 303
    attachment = stored(app)[0]
    response = fw.get(f"/projects/p1/attachments/{attachment.id}")
    assert response.status_code == 200
    response.close()
    assert as_user(app, "committee").get(
        f"/projects/p1/attachments/{attachment.id}"
    ).status_code in (403, 404)
    fw.post(f"/projects/p1/interviews/{interview_id}/withdraw")
    assert fw.get(f"/projects/p1/attachments/{attachment.id}").status_code == 404
    coordinator = as_user(app, "coordinator")
    coordinator.post(f"/projects/p1/interviews/{interview_id}/erase")
    assert stored(app) == []
