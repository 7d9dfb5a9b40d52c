"""Editing an interview: a stale edit is refused (409) and shown next to what is stored now."""

from __future__ import annotations

from cbpar.audit import AuditEvent
from cbpar.db import db
from cbpar.interviews.models import Interview
from tests.helpers import as_user
from tests.interviews.test_interviews import BASE, record

STORED = "First visit: the road floods in July.\n\n- **bus** twice a week"


def stored(app, interview_id: int) -> Interview:
    with app.app_context():
        interview = db.session.get(Interview, interview_id)
        db.session.expunge(interview)
        return interview


def updates(app, interview_id: int) -> int:
    with app.app_context():
        return (
            db.session.query(AuditEvent)
            .filter_by(action="interview_updated", target_id=interview_id)
            .count()
        )


def test_the_edit_form_carries_the_version_and_a_save_bumps_it(app, client, team):
    fw = as_user(app, "field_worker")
    interview_id = record(fw, notes=STORED)
    url = f"/projects/p1/interviews/{interview_id}/edit"
    page = fw.get(url).get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in page
    assert fw.post(url, data={**BASE, "notes": "changed", "version": "1"}).status_code == 303
    saved = stored(app, interview_id)
    assert saved.notes == "changed" and saved.version == 2


def test_two_edits_from_the_same_version_the_second_is_refused(app, client, team):
    fw = as_user(app, "field_worker")
    interview_id = record(fw, notes=STORED)
    url = f"/projects/p1/interviews/{interview_id}/edit"
    researcher = as_user(app, "researcher")
    # Both load the form at version 1; the field worker saves first.
    first = {**BASE, "notes": "Field worker's notes", "language": "Hakka", "version": "1"}
    assert fw.post(url, data=first).status_code == 303
    mine = {**BASE, "notes": "My careful **notes**\r\n\r\nabout the bus", "version": "1"}
    response = researcher.post(url, data=mine)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else changed this record" in page
    assert "My careful **notes**" in page  # what the researcher typed is not lost
    assert '<td class="plain-text">Mandarin</td><td class="plain-text">Hakka</td>' in page
    assert 'name="version" type="hidden" value="2"' in page
    saved = stored(app, interview_id)
    assert saved.notes == "Field worker's notes" and saved.language == "Hakka"
    assert saved.version == 2
    assert updates(app, interview_id) == 1
    # Saving again from the conflict page (with the new version) knowingly overwrites.
    again = researcher.post(url, data={**mine, "version": "2"})
    assert again.status_code == 303
    saved = stored(app, interview_id)
    assert saved.notes == "My careful **notes**\n\nabout the bus" and saved.language == "Mandarin"
    assert saved.version == 3
    assert updates(app, interview_id) == 2


def test_an_edit_without_a_version_is_a_bad_request(app, client, team):
    fw = as_user(app, "field_worker")
    interview_id = record(fw, notes=STORED)
    response = fw.post(f"/projects/p1/interviews/{interview_id}/edit", data=BASE)
    assert response.status_code == 400
    saved = stored(app, interview_id)
    assert saved.notes == STORED and saved.version == 1
    bad = {**BASE, "version": "not a number"}
    assert fw.post(f"/projects/p1/interviews/{interview_id}/edit", data=bad).status_code == 400


def test_withdrawal_and_erasure_still_work_after_edits(app, client, team):
    fw = as_user(app, "field_worker")
    interview_id = record(fw, notes=STORED)
    url = f"/projects/p1/interviews/{interview_id}/edit"
    assert fw.post(url, data={**BASE, "notes": "edited", "version": "1"}).status_code == 303
    assert fw.post(f"/projects/p1/interviews/{interview_id}/withdraw").status_code == 303
    # A form loaded before the withdrawal cannot save the content back.
    assert fw.post(url, data={**BASE, "notes": "late", "version": "2"}).status_code == 409
    coordinator = as_user(app, "coordinator")
    assert coordinator.post(f"/projects/p1/interviews/{interview_id}/erase").status_code == 303
    saved = stored(app, interview_id)
    assert saved.withdrawn and saved.erased_at is not None and saved.notes == ""
    assert saved.version == 4


def test_a_save_that_raced_ours_is_caught_when_writing(app, client, team):
    import pytest
    from sqlalchemy import update

    from cbpar.editing import EditConflict
    from cbpar.interviews import services

    interview_id = record(as_user(app, "field_worker"), notes=STORED)
    with app.test_request_context():
        interview = db.session.get(Interview, interview_id)
        # Another request saves between our load and our write (same version, saved first).
        db.session.execute(
            update(Interview)
            .where(Interview.id == interview_id)
            .values(version=2)
            .execution_options(synchronize_session=False)
        )
        data = {name: getattr(interview, name) for name in services.FIELDS}
        data.update(notes="mine", household_code="")
        with pytest.raises(EditConflict):
            services.update_interview(interview, data, None, 1)
        db.session.rollback()
