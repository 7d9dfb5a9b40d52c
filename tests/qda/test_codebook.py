"""The code book: add, edit, move (no loops), merge (codings move), delete, CSV import, and
counts of passages and sources over what the member may see."""

from __future__ import annotations

import re

from sqlalchemy import select

from cbpar.db import db
from cbpar.qda.models import Code, Coding
from tests.helpers import as_user, csrf_token_from
from tests.qda.test_coding import post_coding

BOOK = "/projects/p1/qda"


def token(c) -> str:
    return csrf_token_from(c.get(BOOK).get_data(as_text=True))


def codes(app) -> dict[str, Code]:
    with app.app_context():
        rows = list(db.session.scalars(select(Code)))
        for row in rows:
            db.session.expunge(row)
        return {row.name: row for row in rows}


def add(c, **fields):
    data = {"csrf_token": token(c), "name": "x", "definition": "", "example": "", "color": ""}
    data.update(fields)
    return c.post(BOOK, data=data)


def test_a_code_is_added_with_its_colour_and_parent(app, client, sources):
    fw = as_user(app, "field_worker")
    parent = sources.codes["access to childcare"]
    response = add(
        fw, name="隔代照料", definition="祖父母照顾孩子", color="#AA3377", parent_id=parent
    )
    assert response.status_code == 303
    made = codes(app)["隔代照料"]
    assert (made.color, made.parent_id, made.definition) == ("#aa3377", parent, "祖父母照顾孩子")
    page = fw.get(BOOK).get_data(as_text=True)
    assert "隔代照料" in page and "qda-depth-1" in page
    assert add(fw, name="Distance").status_code == 422  # names are unique, whatever the case
    assert add(fw, name="bad colour", color="red").status_code == 422
    assert "bad colour" not in codes(app)


def test_committee_reads_the_code_book_but_does_not_change_it(app, client, sources):
    committee = as_user(app, "committee")
    page = committee.get(BOOK)
    assert page.status_code == 200 and "Add a code" not in page.get_data(as_text=True)
    assert add(committee, name="mine").status_code == 403
    assert as_user(app, "observer").get(BOOK).status_code == 403
    assert as_user(app, "outsider").get(BOOK).status_code == 404


def test_a_code_cannot_be_moved_under_its_own_child(app, client, sources):
    fw = as_user(app, "field_worker")
    top = sources.codes["access to childcare"]
    child = sources.codes["grandparent care"]
    url = f"/projects/p1/qda/codes/{top}/edit"
    data = {
        "csrf_token": token(fw), "name": "access to childcare", "color": "#e74c3c",
        "parent_id": child,
    }  # fmt: skip
    assert fw.post(url, data=data).status_code == 422
    assert codes(app)["access to childcare"].parent_id is None
    moved = fw.post(
        f"/projects/p1/qda/codes/{child}/edit",
        data={**data, "name": "grandparent care", "parent_id": sources.codes["distance"]},
    )
    assert moved.status_code == 303
    assert codes(app)["grandparent care"].parent_id == sources.codes["distance"]


def test_merge_moves_codings_and_children_and_deletes_the_code(app, client, sources):
    fw = as_user(app, "field_worker")
    post_coding(fw, "memo", sources.team_memo, 0, 4, [sources.codes["access to childcare"]])
    post_coding(fw, "memo", sources.team_memo, 0, 4, [sources.codes["distance"]])
    post_coding(fw, "memo", sources.team_memo, 5, 9, [sources.codes["access to childcare"]])
    response = fw.post(
        f"/projects/p1/qda/codes/{sources.codes['access to childcare']}/merge",
        data={"csrf_token": token(fw), "into": sources.codes["distance"]},
    )
    assert response.status_code == 303
    after = codes(app)
    assert "access to childcare" not in after
    assert after["grandparent care"].parent_id == sources.codes["distance"]
    with app.app_context():
        ranges = sorted((c.start, c.end) for c in db.session.scalars(select(Coding)) if c.source_id)
        code_ids = set(db.session.scalars(select(Coding.code_id)))
    assert ranges == [(0, 4), (5, 9)]  # the same passage and coder is not doubled
    assert code_ids == {sources.codes["distance"]}


def test_delete_removes_codings_and_lifts_children(app, client, sources):
    fw = as_user(app, "field_worker")
    post_coding(fw, "memo", sources.team_memo, 0, 4, [sources.codes["access to childcare"]])
    page = fw.get(f"/projects/p1/qda/codes/{sources.codes['access to childcare']}/edit")
    response = fw.post(
        f"/projects/p1/qda/codes/{sources.codes['access to childcare']}/delete",
        data={"csrf_token": csrf_token_from(page.get_data(as_text=True))},
    )
    assert response.status_code == 303
    assert codes(app)["grandparent care"].parent_id is None
    with app.app_context():
        assert db.session.scalar(select(Coding.id)) is None


def test_csv_import_with_parents_later_in_the_file(app, client, sources):
    fw = as_user(app, "field_worker")
    data = (
        "\ufeffname,definition,parent\r\n"
        "路程,到幼儿园的路,交通\r\n"
        "交通,Transport,\r\n"
        "distance,already there,\r\n"
        "orphan,,no such code\r\n"
    ).encode()
    from io import BytesIO

    response = fw.post(
        "/projects/p1/qda/import",
        data={"csrf_token": token(fw), "file": (BytesIO(data), "book.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    after = codes(app)
    assert after["路程"].parent_id == after["交通"].id
    assert after["路程"].definition == "到幼儿园的路"
    assert after["distance"].definition == ""  # an existing code is left as it is
    assert after["orphan"].parent_id is None
    page = fw.get(BOOK).get_data(as_text=True)
    assert "2 new codes" not in page  # flashed on the redirect, then gone
    bad = fw.post(
        "/projects/p1/qda/import",
        data={"csrf_token": token(fw), "file": (BytesIO(b"title\r\nx\r\n"), "x.csv")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and "column called name" in bad.get_data(as_text=True)


def test_counts_of_passages_and_sources_follow_what_the_member_sees(app, client, sources):
    fw = as_user(app, "field_worker")
    distance = sources.codes["distance"]
    post_coding(fw, "memo", sources.community_memo, 0, 9, [distance])
    post_coding(fw, "memo", sources.community_memo, 11, 20, [distance])
    post_coding(fw, "memo", sources.team_memo, 0, 4, [distance])
    post_coding(fw, "interview", sources.key_informant, 0, 12, [distance])

    def row_of(c) -> tuple[str, str]:
        page = c.get(BOOK).get_data(as_text=True)
        row = re.search(r">distance</a></td>.*?</tr>", page, re.S).group(0)
        return tuple(re.findall(r'<td class="num">(\d+)</td>', row))

    assert row_of(fw) == ("4", "3")
    assert row_of(as_user(app, "committee")) == ("2", "1")  # the community memo only
    csv_text = fw.get("/projects/p1/qda/codebook.csv").get_data(as_text=True)
    assert csv_text.startswith("\ufeffname,definition,parent")
    assert "distance,,access to childcare" not in csv_text
