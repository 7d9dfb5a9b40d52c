"""The qualitative-coding API: codes, codings (code points, 400 outside the text, 404 for a
source the caller cannot see), a code's segments; every answer checked against the OpenAPI
document by the suite's client (tests/api/schema_check.py)."""

from __future__ import annotations

from sqlalchemy import func, select

from cbpar.db import db
from cbpar.interviews import services as interview_services
from cbpar.interviews.models import Interview
from cbpar.qda.models import Code, Coding
from tests.helpers import as_user, new_id, seed
from tests.qda.conftest import CHINESE, PASSAGE

CODES = "/api/v1/projects/p1/codes"
CODINGS = "/api/v1/projects/p1/codings"


def test_codes_are_listed_and_added_once_per_client_id(app, client, sources):
    fw = as_user(app, "field_worker")
    listed = fw.get(CODES).get_json()["codes"]
    assert [c["name"] for c in listed][:2] == ["access to childcare", "grandparent care"]
    client_id = new_id()
    body = {
        "name": "路程", "definition": "到幼儿园的路", "color": "#123abc",
        "parent_id": sources.codes["distance"], "client_id": client_id,
    }  # fmt: skip
    made = fw.post(CODES, json=body)
    assert made.status_code == 201
    code = made.get_json()
    assert code["name"] == "路程" and code["parent_id"] == sources.codes["distance"]
    again = fw.post(CODES, json=body)
    assert again.status_code == 200 and again.get_json()["id"] == code["id"]
    assert fw.post(CODES, json={"name": "distance"}).status_code == 400
    bad_colour = fw.post(CODES, json={"name": "x", "color": "red"})
    assert bad_colour.status_code == 400 and bad_colour.get_json()["parameter"] == "color"
    assert fw.post(CODES, json={"name": "y", "parent_id": 10**9}).status_code == 400
    assert fw.post(CODES, json={"name": "z", "colour": "#ffffff"}).status_code == 400
    assert as_user(app, "committee").post(CODES, json={"name": "w"}).status_code == 403
    assert as_user(app, "committee").get(CODES).status_code == 200
    assert as_user(app, "outsider").get(CODES).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count(Code.id))) == 4


def coding_body(src, **fields):
    start = CHINESE.index(PASSAGE)
    body = {
        "source": "interview", "source_id": src.family, "start": start,
        "end": start + len(PASSAGE), "code_id": src.codes["distance"], "note": "奶奶的话",
    }  # fmt: skip
    body.update(fields)
    return body


def test_a_chinese_passage_is_coded_and_its_text_returned(app, client, sources):
    fw = as_user(app, "field_worker")
    client_id = new_id()
    made = fw.post(CODINGS, json=coding_body(sources, client_id=client_id))
    assert made.status_code == 201
    coding = made.get_json()
    assert coding["text"] == PASSAGE and coding["source"] == "interview"
    assert fw.post(CODINGS, json=coding_body(sources, client_id=client_id)).status_code == 200
    reflection = fw.post(
        CODINGS,
        json=coding_body(
            sources, source="reflection", source_id=sources.reflection, start=0, end=2
        ),
    )
    assert reflection.status_code == 201 and reflection.get_json()["source"] == "reflection"
    with app.app_context():
        assert db.session.scalar(select(func.count(Coding.id))) == 2


def test_offsets_outside_the_text_are_400_and_unseen_sources_404(app, client, sources):
    fw = as_user(app, "field_worker")
    for start, end in ((0, len(CHINESE) + 1), (-1, 2), (4, 4), (3, 1), (0, "5"), (True, 3)):
        response = fw.post(CODINGS, json=coding_body(sources, start=start, end=end))
        assert response.status_code == 400, (start, end)
    assert fw.post(CODINGS, json=coding_body(sources, source="diary")).status_code == 400
    assert fw.post(CODINGS, json=coding_body(sources, code_id=10**9)).status_code == 400
    assert fw.post(CODINGS, json=coding_body(sources, source_id=10**9)).status_code == 404
    coordinator = as_user(app, "coordinator")
    private = coding_body(sources, source="memo", source_id=sources.private_memo, start=0, end=3)
    assert coordinator.post(CODINGS, json=private).status_code == 404
    draft = coding_body(sources, source="minutes", source_id=sources.draft_minutes, start=0, end=3)
    assert as_user(app, "committee").post(CODINGS, json=draft).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count(Coding.id))) == 0


def test_segments_of_a_code_and_its_children(app, client, sources):
    fw = as_user(app, "field_worker")
    top = sources.codes["access to childcare"]
    child = sources.codes["grandparent care"]
    fw.post(CODINGS, json=coding_body(sources, code_id=child))
    fw.post(
        CODINGS,
        json=coding_body(
            sources, source="memo", source_id=sources.community_memo, start=0, end=9, code_id=top
        ),
    )
    url = f"/api/v1/projects/p1/codes/{top}/segments"
    segments = fw.get(url).get_json()
    assert segments["total"] == 2
    assert {s["text"] for s in segments["segments"]} == {PASSAGE, "Community"}
    assert as_user(app, "committee").get(url).get_json()["total"] == 1

    def withdraw(project):
        interview = db.session.get(Interview, sources.family)
        interview_services.withdraw(interview, interview.interviewer)

    with app.test_request_context():
        seed(app, withdraw)
    assert [s["text"] for s in fw.get(url).get_json()["segments"]] == ["Community"]
    assert fw.get("/api/v1/projects/p1/codes/999999/segments").status_code == 404
