"""Retrieval: a code's passages with its children's, filters, pages, CSV and XLSX exports,
publishable quotes only, and withdrawal of consent removing passages from every output."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from cbpar.db import db
from cbpar.interviews import services as interview_services
from cbpar.interviews.models import Interview
from cbpar.projects.models import Village
from tests.helpers import as_user, seed
from tests.qda.conftest import CHINESE, ENGLISH, PASSAGE
from tests.qda.test_coding import post_coding


def url(code_id: int, **args) -> str:
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return f"/projects/p1/qda/codes/{code_id}" + (f"?{query}" if query else "")


def coded(app, src):
    """One passage of each kind of source, coded under the top code or its child."""
    fw = as_user(app, "field_worker")
    top, child = src.codes["access to childcare"], src.codes["grandparent care"]
    start = CHINESE.index(PASSAGE)
    post_coding(fw, "interview", src.family, start, start + len(PASSAGE), [child])
    post_coding(fw, "interview", src.key_informant, 4, 12, [top])
    post_coding(fw, "memo", src.community_memo, 0, 9, [top])
    post_coding(fw, "memo", src.reflection, 0, 5, [child])
    post_coding(fw, "minutes", src.approved_minutes, 0, 6, [top])
    post_coding(fw, "contact", src.contact, 0, 5, [top])
    return fw, top


def quotes(page: str) -> list[str]:
    return re.findall(r"<mark>(.*?)</mark>", page, re.S)


def test_a_code_lists_its_passages_and_its_childrens_with_context(app, client, sources):
    fw, top = coded(app, sources)
    page = fw.get(url(top)).get_data(as_text=True)
    found = quotes(page)
    assert len(found) == 6 and PASSAGE in found and ENGLISH[4:12] in found
    assert "奶奶说：" in page  # the context before the passage
    child_only = quotes(fw.get(url(sources.codes["grandparent care"])).get_data(as_text=True))
    assert sorted(child_only) == sorted([PASSAGE, "今天的课堂"])


def test_filters_by_kind_interview_kind_village_and_household(app, client, sources):
    fw, top = coded(app, sources)
    assert quotes(fw.get(url(top, kind="reflection")).get_data(as_text=True)) == ["今天的课堂"]
    assert len(quotes(fw.get(url(top, kind="memo")).get_data(as_text=True))) == 1
    assert quotes(fw.get(url(top, interview_kind="family")).get_data(as_text=True)) == [PASSAGE]
    assert quotes(fw.get(url(top, household="under6")).get_data(as_text=True)) == [PASSAGE]
    both = quotes(fw.get(url(top, household="both_away")).get_data(as_text=True))
    assert both == [PASSAGE]  # the contact's household has only the father away
    with app.app_context():
        village_id = db.session.get(Interview, sources.family).household.village_id
        other = Village(project_id=sources.project_id, name="Elsewhere", code="EW")
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    in_village = quotes(fw.get(url(top, village=village_id)).get_data(as_text=True))
    assert sorted(in_village) == sorted([PASSAGE, "她说想念爸"])
    assert quotes(fw.get(url(top, village=other_id)).get_data(as_text=True)) == []
    assert fw.get(url(top, village="x", kind="<b>", page="-1")).status_code == 200


def test_committee_sees_only_passages_of_sources_visible_to_them(app, client, sources):
    _fw, top = coded(app, sources)
    committee = as_user(app, "committee")
    found = quotes(committee.get(url(top)).get_data(as_text=True))
    assert sorted(found) == sorted(["Community", "Agreed"])
    csv_text = committee.get(url(top, format="csv")).get_data(as_text=True)
    assert PASSAGE not in csv_text and "Community" in csv_text


def test_csv_and_xlsx_exports_with_the_publishable_checkbox(app, client, sources):
    fw, top = coded(app, sources)
    response = fw.get(url(top, format="csv"))
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff") and response.mimetype == "text/csv"
    assert PASSAGE in text and "她说想念爸" in text
    published = fw.get(url(top, format="csv", publishable="1")).get_data(as_text=True)
    # The family interview's consent does not cover quotes; a contact summary never does;
    # the key informant's does, community memos and approved minutes may be quoted.
    assert PASSAGE not in published and "她说想念爸" not in published
    assert ENGLISH[4:12] in published and "Community" in published and "Agreed" in published
    assert "今天的课堂" not in published  # a team reflection
    book = load_workbook(io.BytesIO(fw.get(url(top, format="xlsx")).data))
    cells = [row for row in book.active.iter_rows(values_only=True)]
    assert len(cells) == 7 and PASSAGE in [row[1] for row in cells]


def test_passages_are_paged(app, client, sources):
    fw = as_user(app, "field_worker")
    top = sources.codes["distance"]
    for i in range(60):  # 60 different passages, each starting on a letter of "Team"
        post_coding(fw, "memo", sources.team_memo, i % 4, i % 4 + 1 + i // 4, [top])
    first = fw.get(url(top)).get_data(as_text=True)
    assert len(quotes(first)) == 50 and "Page 1 of 2" in first
    assert len(quotes(fw.get(url(top, page=2)).get_data(as_text=True))) == 10


def test_withdrawn_consent_removes_passages_from_every_output_at_once(app, client, sources):
    fw, top = coded(app, sources)
    outputs = {
        "passages": lambda: fw.get(url(top)).get_data(as_text=True),
        "child code": lambda: fw.get(url(sources.codes["grandparent care"])).get_data(as_text=True),
        "csv": lambda: fw.get(url(top, format="csv")).get_data(as_text=True),
        "xlsx": lambda: str(
            [
                r
                for r in load_workbook(
                    io.BytesIO(fw.get(url(top, format="xlsx")).data)
                ).active.iter_rows(values_only=True)
            ]
        ),
        "filtered": lambda: fw.get(url(top, interview_kind="family")).get_data(as_text=True),
    }
    for name, output in outputs.items():
        assert PASSAGE in output(), name
    book_before = fw.get("/projects/p1/qda").get_data(as_text=True)

    def withdraw(project):
        interview = db.session.get(Interview, sources.family)
        interview_services.withdraw(interview, interview.interviewer)

    with app.test_request_context():
        seed(app, withdraw)
    for name, output in outputs.items():
        assert PASSAGE not in output(), name
    book_after = fw.get("/projects/p1/qda").get_data(as_text=True)
    assert "6 coded passages" in book_before and "5 coded passages" in book_after
    book_csv = fw.get("/projects/p1/qda/codebook.csv").get_data(as_text=True)
    assert "grandparent care,,access to childcare,#27ae60,,1,1" in book_csv
