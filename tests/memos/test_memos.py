"""Memos: writing, reading per visibility and role, revisions, conflicts, tags, export."""

from __future__ import annotations

import io
import zipfile

import pytest

from tests.helpers import as_user, new_memo, version_of

ROLES = ["coordinator", "researcher", "field_worker", "committee", "observer"]
# visibility -> roles (besides the author, a researcher) who may read it
READERS = {
    "private": set(),
    "team": {"coordinator", "field_worker"},
    "community": {"coordinator", "field_worker", "committee"},
}


@pytest.mark.parametrize("visibility", list(READERS))
def test_who_reads_a_memo_per_visibility_and_role(app, client, team, visibility):
    author = as_user(app, "researcher")
    memo_id = new_memo(author, title=f"Memo {visibility}", visibility=visibility)
    assert author.get(f"/projects/p1/memos/{memo_id}").status_code == 200
    for role in ROLES:
        if role == "researcher":
            continue
        c = as_user(app, role)
        page = c.get(f"/projects/p1/memos/{memo_id}")
        listing = c.get("/projects/p1/memos")
        api = c.get(f"/api/v1/memos/{memo_id}")
        export = c.get(f"/projects/p1/memos/{memo_id}/export.md")
        if role in READERS[visibility]:
            assert page.status_code == 200, role
            assert f"Memo {visibility}" in listing.get_data(as_text=True), role
            assert api.status_code == 200 and export.status_code == 200
        else:
            assert page.status_code in (403, 404), role
            assert api.status_code == 404, role
            assert export.status_code in (403, 404), role
            if listing.status_code == 200:
                assert f"Memo {visibility}" not in listing.get_data(as_text=True), role
    outsider = as_user(app, "outsider")
    assert outsider.get(f"/projects/p1/memos/{memo_id}").status_code == 404
    assert outsider.get(f"/api/v1/memos/{memo_id}").status_code == 404


def test_observers_see_no_memos_and_committee_cannot_write(app, client, team):
    observer = as_user(app, "observer")
    assert observer.get("/projects/p1/memos").status_code == 403
    committee = as_user(app, "committee")
    assert committee.get("/projects/p1/memos").status_code == 200
    assert committee.get("/projects/p1/memos/new").status_code == 403
    response = committee.post("/projects/p1/memos/new", data={"title": "x", "kind": "field_note"})
    assert response.status_code == 403


def test_only_author_or_coordinator_changes_visibility(app, client, team):
    author = as_user(app, "researcher")
    memo_id = new_memo(author, title="Shared", visibility="team")
    fw = as_user(app, "field_worker")
    response = fw.post(
        f"/projects/p1/memos/{memo_id}/edit",
        data={
            "title": "Shared",
            "kind": "research_memo",
            "visibility": "private",
            "body": "edited by field worker",
            "tags": "",
            "version": version_of(fw, memo_id),
        },
    )
    assert response.status_code == 303
    page = fw.get(f"/projects/p1/memos/{memo_id}")
    assert page.status_code == 200 and "edited by field worker" in page.get_data(as_text=True)


def test_revisions_diff_and_restore(app, client, team):
    c = as_user(app, "researcher")
    memo_id = new_memo(c, title="Findings", body="line one\nline two")
    for body in ("line one\nline TWO", "line one\nline TWO\nline three"):
        response = c.post(
            f"/projects/p1/memos/{memo_id}/edit",
            data={
                "title": "Findings",
                "kind": "research_memo",
                "visibility": "team",
                "body": body,
                "tags": "",
                "version": version_of(c, memo_id),
            },
        )
        assert response.status_code == 303
    history = c.get(f"/projects/p1/memos/{memo_id}/history?old=1&new=3").get_data(as_text=True)
    assert 'class="diff-removed"' in history and "line two" in history
    assert 'class="diff-added"' in history and "line three" in history
    assert c.get(f"/projects/p1/memos/{memo_id}/revisions/1").status_code == 200
    response = c.post(f"/projects/p1/memos/{memo_id}/revisions/1/restore")
    assert response.status_code == 303
    memo = c.get(f"/api/v1/memos/{memo_id}").get_json()
    assert memo["body"] == "line one\nline two"
    history = c.get(f"/projects/p1/memos/{memo_id}/history").get_data(as_text=True)
    assert "restored from revision 1" in history
    assert f"/projects/p1/memos/{memo_id}/revisions/4" in history
    # A committee member cannot restore, even a community memo.
    assert as_user(app, "committee").post(
        f"/projects/p1/memos/{memo_id}/revisions/1/restore"
    ).status_code in (403, 404)


def test_second_save_on_a_stale_version_is_refused_with_both_versions(app, client, team):
    alice = as_user(app, "researcher")
    memo_id = new_memo(alice, title="Shared memo", body="original")
    bob = as_user(app, "field_worker")
    stale = version_of(bob, memo_id)
    fields = {"title": "Shared memo", "kind": "research_memo", "visibility": "team", "tags": ""}
    first = alice.post(
        f"/projects/p1/memos/{memo_id}/edit",
        data={**fields, "body": "alice's words", "version": stale},
    )
    assert first.status_code == 303
    second = bob.post(
        f"/projects/p1/memos/{memo_id}/edit",
        data={**fields, "body": "bob's words", "version": stale},
    )
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert "alice&#39;s words" in page and "bob&#39;s words" in page
    saved = alice.get(f"/api/v1/memos/{memo_id}").get_json()
    assert saved["body"] == "alice's words"
    # Bob's form now carries the current version: sending it again saves, knowingly.
    current = str(saved["version"])
    assert f'value="{current}"' in page
    third = bob.post(
        f"/projects/p1/memos/{memo_id}/edit",
        data={**fields, "body": "bob's words", "version": current},
    )
    assert third.status_code == 303


def test_memo_without_title_is_refused_and_nothing_saved(app, client, team):
    c = as_user(app, "researcher")
    response = c.post(
        "/projects/p1/memos/new",
        data={"title": "", "kind": "field_note", "visibility": "team", "body": "x"},
    )
    assert response.status_code == 422
    assert c.get("/api/v1/projects/p1/memos").get_json()["count"] == 0


def test_tags_rename_and_merge(app, client, team):
    c = as_user(app, "researcher")
    one = new_memo(c, title="One", tags="guardianship, 幼儿园")
    two = new_memo(c, title="Two", tags="kindergarten, Guardianship")
    three = new_memo(c, title="Three", tags="幼儿园, kindergarten")
    page = c.get("/projects/p1/tags").get_data(as_text=True)
    assert "guardianship" in page and "3 memos" not in page and "2 memos" in page
    from cbpar.db import db
    from cbpar.memos.models import Tag

    with app.app_context():
        tags = {t.name: t.id for t in db.session.query(Tag).all()}
    assert set(tags) == {"guardianship", "幼儿园", "kindergarten"}
    # Rename
    assert (
        c.post(
            f"/projects/p1/tags/{tags['guardianship']}/rename", data={"name": "guardians"}
        ).status_code
        == 303
    )
    # Merge 幼儿园 into kindergarten; memo three had both and keeps one.
    assert (
        c.post(
            f"/projects/p1/tags/{tags['幼儿园']}/rename", data={"name": "kindergarten"}
        ).status_code
        == 303
    )
    got = {m: c.get(f"/api/v1/memos/{m}").get_json()["tags"] for m in (one, two, three)}
    assert got == {
        one: ["guardians", "kindergarten"],
        two: ["guardians", "kindergarten"],
        three: ["kindergarten"],
    }
    page = c.get("/projects/p1/tags").get_data(as_text=True)
    assert "3 memos" in page and ">幼儿园</a>" not in page


def test_tag_counts_respect_visibility(app, client, team):
    c = as_user(app, "researcher")
    new_memo(c, title="Secret", visibility="private", tags="secret-code")
    committee = as_user(app, "committee")
    page = committee.get("/projects/p1/tags").get_data(as_text=True)
    assert "Secret" not in page and "0 memos" in page


def test_export_one_memo_and_a_tag_as_zip(app, client, team):
    c = as_user(app, "researcher")
    memo_id = new_memo(c, title="留守儿童 memo", body="Some **text**", tags="幼儿园")
    new_memo(c, title="Private one", visibility="private", tags="幼儿园")
    new_memo(c, title="Other", tags="other")
    response = c.get(f"/projects/p1/memos/{memo_id}/export.md")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert "cbpar_export: memo/1" in text and "Some **text**" in text and "幼儿园" in text
    response = as_user(app, "coordinator").get("/projects/p1/memos/export.zip?tag=幼儿园")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.data)).namelist()
    assert len(names) == 1 and names[0].startswith(f"{memo_id}-")  # not the private one
    printed = c.get(f"/projects/p1/memos/{memo_id}/print")
    assert printed.status_code == 200 and "<strong>text</strong>" in printed.get_data(as_text=True)


def test_preview_returns_sanitized_html(app, client, team):
    c = as_user(app, "researcher")
    response = c.post(
        "/projects/p1/memos/preview", data={"body": "**hi** <script>alert(1)</script>"}
    )
    html = response.get_json()["html"]
    assert "<strong>hi</strong>" in html and "<script" not in html
    assert as_user(app, "observer").post("/projects/p1/memos/preview").status_code == 403


def test_memo_list_uses_a_fixed_number_of_queries(app, client, team):
    from sqlalchemy import event

    from cbpar.db import db

    c = as_user(app, "researcher")

    def count() -> int:
        seen = []
        with app.app_context():
            engine = db.engine

        def listener(*_args):
            seen.append(1)

        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert c.get("/projects/p1/memos").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    for i in range(3):
        new_memo(c, title=f"m{i}", tags=f"t{i}, shared")
    few = count()
    for i in range(3, 15):
        new_memo(c, title=f"m{i}", tags=f"t{i}, shared")
    assert count() == few


def test_home_page_shows_recent_memos_to_readers_only(app, client, team):
    c = as_user(app, "researcher")
    new_memo(c, title="Fresh finding", visibility="community")
    assert "Fresh finding" in as_user(app, "committee").get("/projects/p1/").get_data(as_text=True)
    assert "Fresh finding" not in as_user(app, "observer").get("/projects/p1/").get_data(
        as_text=True
    )


def test_delete_memo_by_author_only(app, client, team):
    c = as_user(app, "researcher")
    memo_id = new_memo(c, title="To delete")
    assert (
        as_user(app, "field_worker").post(f"/projects/p1/memos/{memo_id}/delete").status_code == 403
    )
    assert c.post(f"/projects/p1/memos/{memo_id}/delete").status_code == 303
    assert c.get(f"/projects/p1/memos/{memo_id}").status_code == 404
