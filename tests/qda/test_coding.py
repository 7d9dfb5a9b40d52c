"""Coding passages: who sees which source, offsets in code points (Chinese, a character beyond
the BMP, a carriage return), the coding page, re-anchoring after edits, withdrawal, erasure."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from cbpar.db import db
from cbpar.interviews import services as interview_services
from cbpar.interviews.models import Interview
from cbpar.projects.models import Membership, Project
from cbpar.qda import coding, sources
from cbpar.qda.models import Coding
from cbpar.security import Role
from tests.helpers import as_user, csrf_token_from, seed
from tests.qda.conftest import CHINESE, PASSAGE

KINDS = ("interview", "memo", "minutes", "contact")


def membership_of(project: Project, username: str) -> Membership:
    from cbpar.auth.models import User

    user = db.session.scalar(select(User).where(User.username == username))
    return db.session.scalar(
        select(Membership).where(Membership.project_id == project.id, Membership.user_id == user.id)
    )


def all_sources(src) -> list[tuple[str, int]]:
    return [
        ("interview", src.key_informant),
        ("interview", src.family),
        ("memo", src.team_memo),
        ("memo", src.community_memo),
        ("memo", src.private_memo),
        ("memo", src.reflection),
        ("minutes", src.approved_minutes),
        ("minutes", src.draft_minutes),
        ("contact", src.contact),
    ]


def visible_to(app, src, username: str) -> tuple[set, set]:
    """(what can_see allows, what the SQL rule lists) for one member."""
    with app.test_request_context():
        project = db.session.get(Project, src.project_id)
        membership = membership_of(project, username)
        one_by_one = {
            pair
            for pair in all_sources(src)
            if sources.can_see(membership, sources.load(project, *pair))
        }
        return one_by_one, sources.visible_pairs(project, membership)


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_the_one_rule_and_its_sql_form_agree_for_every_role(app, client, sources, role):
    one_by_one, in_sql = visible_to(app, sources, role)
    assert one_by_one == in_sql


def test_who_sees_which_source(app, client, sources):
    src = sources
    seen = {role.value: visible_to(app, src, role.value)[0] for role in Role}
    assert seen["observer"] == set()
    assert seen["committee"] == {("memo", src.community_memo), ("minutes", src.approved_minutes)}
    assert seen["field_worker"] == set(all_sources(src))  # the author of the private memo
    assert ("memo", src.private_memo) not in seen["coordinator"]
    assert ("interview", src.family) in seen["researcher"]
    assert ("minutes", src.draft_minutes) in seen["researcher"]


def code_url(kind: str, source_id: int) -> str:
    return f"/projects/p1/qda/code/{kind}/{source_id}"


def post_coding(c, kind, source_id, start, end, codes, note=""):
    page = c.get(code_url(kind, source_id)).get_data(as_text=True)
    data = {"csrf_token": csrf_token_from(page), "start": start, "end": end, "note": note}
    data["codes"] = [str(x) for x in codes]
    return c.post(code_url(kind, source_id), data=data)


def text_block(page: str) -> str:
    """The text of the coding page's text block, as the browser's DOM would hold it."""
    block = re.search(r'<div id="qda-text"[^>]*>(.*?)</div>', page, re.S).group(1)
    return html.unescape(re.sub(r"<[^>]+>", "", block))


def codings_of(app, **where) -> list[Coding]:
    with app.app_context():
        rows = list(db.session.scalars(select(Coding).filter_by(**where).order_by(Coding.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


def test_a_chinese_passage_is_coded_in_code_points_of_the_stored_text(app, client, sources):
    fw = as_user(app, "field_worker")
    start = CHINESE.index(PASSAGE)
    assert start != CHINESE.encode("utf-16-le").find(PASSAGE.encode("utf-16-le")) // 2
    code = sources.codes["access to childcare"]
    response = post_coding(fw, "interview", sources.family, start, start + len(PASSAGE), [code])
    assert response.status_code == 303
    (row,) = codings_of(app, source_type="interview", source_id=sources.family)
    assert row.text == PASSAGE and (row.start, row.end) == (start, start + len(PASSAGE))
    page = fw.get(code_url("interview", sources.family)).get_data(as_text=True)
    # The page's text block is the stored text exactly, carriage return included.
    assert text_block(page) == CHINESE
    assert "&#13;" in page
    assert f'data-start="{start}" data-end="{start + len(PASSAGE)}" class="qda-coded"' in page
    assert "background-color: #e74c3c" in page


def test_several_codes_at_once_and_a_note(app, client, sources):
    fw = as_user(app, "field_worker")
    codes = [sources.codes["distance"], sources.codes["access to childcare"]]
    response = post_coding(fw, "minutes", sources.approved_minutes, 8, 30, codes, note="key")
    assert response.status_code == 303
    rows = codings_of(app, source_type="minutes", source_id=sources.approved_minutes)
    assert sorted(r.code_id for r in rows) == sorted(codes)
    assert {r.note for r in rows} == {"key"}
    # The same passage and code again does not double it.
    post_coding(fw, "minutes", sources.approved_minutes, 8, 30, codes[:1])
    assert len(codings_of(app, source_type="minutes", source_id=sources.approved_minutes)) == 2


@pytest.mark.parametrize(
    ("start", "end"), [(-1, 3), (5, 5), (6, 3), (0, 10_000), (0, 2**70)]
)  # fmt: skip
def test_offsets_outside_the_text_are_refused_and_nothing_saved(app, client, sources, start, end):
    fw = as_user(app, "field_worker")
    response = post_coding(fw, "memo", sources.team_memo, start, end, [sources.codes["distance"]])
    assert response.status_code == 422
    assert codings_of(app, source_type="memo", source_id=sources.team_memo) == []


def test_who_may_open_and_code_which_source(app, client, sources):
    committee = as_user(app, "committee")
    assert committee.get(code_url("memo", sources.community_memo)).status_code == 200
    assert committee.get(code_url("minutes", sources.approved_minutes)).status_code == 200
    for kind, source_id in (
        ("minutes", sources.draft_minutes),
        ("interview", sources.key_informant),
        ("memo", sources.team_memo),
        ("contact", sources.contact),
    ):
        assert committee.get(code_url(kind, source_id)).status_code == 404
    page = committee.get(code_url("memo", sources.community_memo)).get_data(as_text=True)
    assert 'id="qda-form"' not in page  # reads, does not code
    token = csrf_token_from(page)
    refused = committee.post(
        code_url("memo", sources.community_memo),
        data={"csrf_token": token, "start": 0, "end": 5, "codes": [sources.codes["distance"]]},
    )
    assert refused.status_code == 403
    assert as_user(app, "observer").get(code_url("memo", sources.community_memo)).status_code == 403
    assert as_user(app, "outsider").get(code_url("memo", sources.community_memo)).status_code == 404
    coordinator = as_user(app, "coordinator")
    assert coordinator.get(code_url("memo", sources.private_memo)).status_code == 404
    assert coordinator.get(code_url("reflection", sources.reflection)).status_code == 200
    assert coordinator.get(code_url("reflection", sources.team_memo)).status_code == 404
    assert coordinator.get(code_url("nonsense", sources.team_memo)).status_code == 404


def test_a_coding_is_changed_and_removed(app, client, sources):
    fw = as_user(app, "field_worker")
    post_coding(fw, "memo", sources.team_memo, 0, 4, [sources.codes["distance"]])
    (row,) = codings_of(app, source_type="memo", source_id=sources.team_memo)
    page = fw.get(code_url("memo", sources.team_memo)).get_data(as_text=True)
    token = csrf_token_from(page)
    changed = fw.post(
        f"/projects/p1/qda/codings/{row.id}",
        data={"csrf_token": token, "code_id": sources.codes["grandparent care"], "note": "n"},
    )
    assert changed.status_code == 303
    (row,) = codings_of(app, source_type="memo", source_id=sources.team_memo)
    assert row.code_id == sources.codes["grandparent care"] and row.note == "n"
    assert as_user(app, "committee").post(
        f"/projects/p1/qda/codings/{row.id}/delete", data={"csrf_token": token}
    ).status_code in (403, 400)
    removed = fw.post(f"/projects/p1/qda/codings/{row.id}/delete", data={"csrf_token": token})
    assert removed.status_code == 303
    assert codings_of(app, source_type="memo", source_id=sources.team_memo) == []


def test_editing_the_source_keeps_codings_attached_or_flags_them(app, client, sources):
    fw = as_user(app, "field_worker")
    start = CHINESE.index(PASSAGE)
    post_coding(
        fw, "interview", sources.family, start, start + len(PASSAGE), [sources.codes["distance"]]
    )
    post_coding(fw, "interview", sources.family, 0, 5, [sources.codes["access to childcare"]])

    def edit(notes):
        def change(project):
            interview = db.session.get(Interview, sources.family)
            interview.notes = notes

        seed(app, change)

    edit("补充：" + CHINESE.replace("第一次访谈", "第二次访谈"))
    moved, gone = _by_text(app, sources)
    assert moved.text == PASSAGE and not moved.changed
    assert moved.start == start + 3 and moved.end == start + 3 + len(PASSAGE)
    assert gone.changed  # "第一次访谈" is no longer there
    page = fw.get(code_url("interview", sources.family)).get_data(as_text=True)
    assert "The text changed since this passage was coded" in page
    edit(CHINESE)  # back as it was: found again, no longer flagged
    moved, back = _by_text(app, sources)
    assert not back.changed and (back.start, back.end) == (0, 5)
    assert moved.start == start


def _by_text(app, src):
    rows = codings_of(app, source_type="interview", source_id=src.family)
    return (
        next(r for r in rows if r.text == PASSAGE),
        next(r for r in rows if r.text != PASSAGE),
    )


def test_reanchor_picks_the_nearest_occurrence():
    row = Coding(start=20, end=22, text="ab", changed=False)
    coding.reanchor([row], "ab" + "x" * 19 + "ab" + "y" * 30 + "ab")
    assert (row.start, row.end, row.changed) == (21, 23, False)
    coding.reanchor([row], "nothing here")
    assert row.changed and 0 <= row.start < row.end <= len("nothing here")


def test_spans_cover_the_text_exactly_with_overlaps():
    text = "零一二三四五六七八九"
    a = Coding(id=1, start=1, end=5, text=text[1:5])
    b = Coding(id=2, start=3, end=8, text=text[3:8])
    cut = coding.spans(text, [a, b])
    assert "".join(s.text for s in cut) == text
    assert [(s.start, s.end, [c.id for c in s.codings]) for s in cut] == [
        (0, 1, []), (1, 3, [1]), (3, 5, [1, 2]), (5, 8, [2]), (8, 10, []),
    ]  # fmt: skip


def test_withdrawn_consent_hides_the_coding_page_and_erasure_removes_codings(app, client, sources):
    fw = as_user(app, "field_worker")
    start = CHINESE.index(PASSAGE)
    post_coding(fw, "interview", sources.family, start, start + 6, [sources.codes["distance"]])

    def withdraw(project):
        interview = db.session.get(Interview, sources.family)
        interview_services.withdraw(interview, interview.interviewer)

    with app.test_request_context():
        seed(app, withdraw)
    assert fw.get(code_url("interview", sources.family)).status_code == 404
    assert len(codings_of(app, source_type="interview", source_id=sources.family)) == 1

    def erase(project):
        interview = db.session.get(Interview, sources.family)
        interview_services.erase(interview, interview.interviewer)

    with app.test_request_context():
        seed(app, erase)
    assert codings_of(app, source_type="interview", source_id=sources.family) == []


def test_erasing_a_household_removes_its_contacts_codings(app, client, sources):
    fw = as_user(app, "field_worker")
    post_coding(fw, "contact", sources.contact, 0, 4, [sources.codes["distance"]])
    assert len(codings_of(app, source_type="contact")) == 1
    from cbpar.care.models import Child, ContactLog
    from cbpar.mapping.models import Household
    from cbpar.transfer.erasure import erase_household

    def erase(project):
        contact = db.session.get(ContactLog, sources.contact)
        household = db.session.get(Household, db.session.get(Child, contact.child_id).household_id)
        erase_household(household, None)

    with app.test_request_context():
        seed(app, erase)
    assert codings_of(app, source_type="contact") == []
