"""A need's evidence cites codes ("12 passages in 9 sources, from 7 families") and coded
passages; a passage shows only to members who may see its source; withdrawal of consent
changes the figures and hides the passage at once."""

from __future__ import annotations

from sqlalchemy import select

from cbpar.db import db
from cbpar.interviews import services as interview_services
from cbpar.interviews.models import Interview
from cbpar.links import RecordLink
from cbpar.qda.models import Coding
from tests.helpers import as_user, confirmed_need, csrf_token_from, seed
from tests.qda.conftest import CHINESE, PASSAGE
from tests.qda.test_coding import post_coding


def cite(c, need_id: int, value: str):
    page = c.get(f"/projects/p1/needs/{need_id}").get_data(as_text=True)
    assert value in page, "not offered as evidence"
    return c.post(
        f"/projects/p1/needs/{need_id}/evidence",
        data={"csrf_token": csrf_token_from(page), "record": value},
    )


def test_codes_and_passages_cited_as_a_needs_evidence(app, client, sources):
    fw = as_user(app, "field_worker")
    distance = sources.codes["distance"]
    start = CHINESE.index(PASSAGE)
    post_coding(fw, "interview", sources.family, start, start + len(PASSAGE), [distance])
    post_coding(fw, "interview", sources.key_informant, 0, 12, [distance])
    post_coding(fw, "memo", sources.community_memo, 0, 9, [distance])
    post_coding(fw, "memo", sources.private_memo, 0, 7, [distance])  # nobody else sees it
    need_id = seed(app, confirmed_need)
    with app.app_context():
        family_coding = db.session.scalar(
            select(Coding.id).where(
                Coding.source_type == "interview", Coding.source_id == sources.family
            )
        )
        memo_coding = db.session.scalar(
            select(Coding.id).where(
                Coding.source_type == "memo", Coding.source_id == sources.community_memo
            )
        )
    assert cite(fw, need_id, f"qda_code:{distance}").status_code == 302
    assert cite(fw, need_id, f"qda_coding:{family_coding}").status_code == 302
    assert cite(fw, need_id, f"qda_coding:{memo_coding}").status_code == 302
    support = "distance: 3 passages in 3 sources, from 1 family"
    page = fw.get(f"/projects/p1/needs/{need_id}").get_data(as_text=True)
    assert support in page and f"“{PASSAGE}”" in page and "“Community”" in page
    committee = (
        as_user(app, "committee").get(f"/projects/p1/needs/{need_id}").get_data(as_text=True)
    )
    # One family: "fewer than 5" for everyone without household details, as in the report.
    assert support not in committee
    assert "distance: passages from fewer than 5 families" in committee
    assert PASSAGE not in committee  # but an interview's words only to the field team
    assert "“Community”" in committee

    def withdraw(project):
        interview = db.session.get(Interview, sources.family)
        interview_services.withdraw(interview, interview.interviewer)

    with app.test_request_context():
        seed(app, withdraw)
    page = fw.get(f"/projects/p1/needs/{need_id}").get_data(as_text=True)
    assert "distance: 2 passages in 2 sources, from 0 families" in page
    assert PASSAGE not in page

    def erase(project):
        interview = db.session.get(Interview, sources.family)
        interview_services.erase(interview, interview.interviewer)

    with app.test_request_context():
        seed(app, erase)
    with app.app_context():
        cited = set(
            db.session.scalars(
                select(RecordLink.target_id).where(RecordLink.target_type == "qda_coding")
            )
        )
    assert cited == {memo_coding}  # the erased passage's citation went with it
    passage = fw.get(f"/projects/p1/qda/passages/{memo_coding}")
    assert passage.status_code == 303 and f"#coding-{memo_coding}" in passage.headers["Location"]
    assert fw.get(f"/projects/p1/qda/passages/{family_coding}").status_code == 404


def test_a_merged_code_keeps_its_citations(app, client, sources):
    fw = as_user(app, "field_worker")
    distance, top = sources.codes["distance"], sources.codes["access to childcare"]
    need_id = seed(app, confirmed_need)
    assert cite(fw, need_id, f"qda_code:{distance}").status_code == 302
    page = fw.get(f"/projects/p1/qda/codes/{distance}/edit").get_data(as_text=True)
    merged = fw.post(
        f"/projects/p1/qda/codes/{distance}/merge",
        data={"csrf_token": csrf_token_from(page), "into": top},
    )
    assert merged.status_code == 303
    with app.app_context():
        cited = list(
            db.session.scalars(
                select(RecordLink.target_id).where(RecordLink.target_type == "qda_code")
            )
        )
    assert cited == [top]
    assert "access to childcare: 0 passages" in fw.get(f"/projects/p1/needs/{need_id}").get_data(
        as_text=True
    )
