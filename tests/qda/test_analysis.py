"""The analysis page: co-occurrence of overlapping codings, counts by village, interview kind
and kind of source (table and SVG chart); withdrawn consent leaves every figure at once."""

from __future__ import annotations

import re

from cbpar.db import db
from cbpar.interviews import services as interview_services
from cbpar.interviews.models import Interview
from cbpar.projects.models import Project
from cbpar.qda import retrieval
from tests.helpers import as_user, seed
from tests.qda.conftest import CHINESE, PASSAGE
from tests.qda.test_coding import membership_of, post_coding

PAGE = "/projects/p1/qda/analysis"


def coded(app, src):
    fw = as_user(app, "field_worker")
    top, distance = src.codes["access to childcare"], src.codes["distance"]
    start = CHINESE.index(PASSAGE)
    post_coding(fw, "interview", src.family, start, start + 6, [top])
    post_coding(fw, "interview", src.family, start + 3, start + 10, [distance])  # overlaps
    post_coding(fw, "interview", src.family, 0, 4, [distance])  # does not
    post_coding(fw, "memo", src.community_memo, 0, 9, [top, distance])  # the same passage
    post_coding(fw, "memo", src.community_memo, 9, 12, [top])  # touches, shares nothing
    return fw, top, distance


def figures(app, src, username="field_worker"):
    with app.test_request_context():
        project = db.session.get(Project, src.project_id)
        membership = membership_of(project, username)
        return (
            retrieval.co_occurrence(project, membership),
            retrieval.counts_by(project, membership, "interview_kind"),
            retrieval.counts_by(project, membership, "kind"),
        )


def test_overlapping_and_identical_passages_co_occur(app, client, sources):
    _fw, top, distance = coded(app, sources)
    pairs, by_interview, by_kind = figures(app, sources)
    key = tuple(sorted((top, distance)))
    assert pairs[key] == 2  # one overlap in the interview, one identical passage in the memo
    assert pairs[(top, top)] == 3 and pairs[(distance, distance)] == 3
    assert by_interview == {(top, "family"): 1, (distance, "family"): 2}
    assert by_kind[(top, "memo")] == 2 and by_kind[(distance, "interview")] == 2
    committee_pairs, _, _ = figures(app, sources, "committee")
    assert committee_pairs[key] == 1  # the community memo only


def test_the_page_shows_tables_and_a_chart(app, client, sources):
    fw, top, distance = coded(app, sources)
    page = fw.get(PAGE).get_data(as_text=True)
    assert page.count('<svg class="qda-chart"') == 2 and "<rect" in page
    village_table = re.search(r'<table class="qda-table" id="by-village">.*?</table>', page, re.S)
    assert village_table and "Passages by village" in page
    assert as_user(app, "committee").get(PAGE).status_code == 200
    assert as_user(app, "observer").get(PAGE).status_code == 403


def test_withdrawal_leaves_the_co_occurrence_and_counts(app, client, sources):
    _fw, top, distance = coded(app, sources)

    def withdraw(project):
        interview = db.session.get(Interview, sources.family)
        interview_services.withdraw(interview, interview.interviewer)

    with app.test_request_context():
        seed(app, withdraw)
    pairs, by_interview, by_kind = figures(app, sources)
    assert pairs[tuple(sorted((top, distance)))] == 1
    assert by_interview == {}
    assert not any(kind == "interview" for _code, kind in by_kind)
