"""Comments: one level of replies, edit and delete one's own, coordinators hide, who reads."""

from __future__ import annotations

import re

from tests.helpers import as_user, new_memo


def post(c, memo_id, body, parent=None):
    data = {"body": body}
    if parent:
        data["parent_id"] = str(parent)
    response = c.post(f"/projects/p1/comments/memo/{memo_id}", data=data)
    assert response.status_code == 303, response.status_code
    return int(re.search(r"#comment-(\d+)$", response.headers["Location"]).group(1))


def test_replies_stay_one_level_deep(app, client, team):
    author = as_user(app, "researcher")
    memo_id = new_memo(author, visibility="community")
    committee = as_user(app, "committee")
    top = post(committee, memo_id, "A question from the committee")
    reply = post(author, memo_id, "An answer", parent=top)
    reply_to_reply = post(committee, memo_id, "Thanks", parent=reply)
    from cbpar.comments.models import Comment
    from cbpar.db import db

    with app.app_context():
        assert db.session.get(Comment, reply).parent_id == top
        assert db.session.get(Comment, reply_to_reply).parent_id == top
    page = author.get(f"/projects/p1/memos/{memo_id}").get_data(as_text=True)
    assert "A question from the committee" in page and "Thanks" in page
    assert page.count('class="comment-reply"') == 2


def test_edit_and_delete_own_only(app, client, team):
    author = as_user(app, "researcher")
    memo_id = new_memo(author)
    fw = as_user(app, "field_worker")
    cid = post(fw, memo_id, "first words")
    assert author.post(f"/projects/p1/comments/{cid}/edit", data={"body": "x"}).status_code == 403
    assert author.post(f"/projects/p1/comments/{cid}/delete").status_code == 403
    assert (
        fw.post(f"/projects/p1/comments/{cid}/edit", data={"body": "better words"}).status_code
        == 303
    )
    page = author.get(f"/projects/p1/memos/{memo_id}").get_data(as_text=True)
    assert "better words" in page and "first words" not in page and "edited" in page
    assert fw.post(f"/projects/p1/comments/{cid}/delete").status_code == 303
    page = author.get(f"/projects/p1/memos/{memo_id}").get_data(as_text=True)
    assert "better words" not in page
    assert fw.post(f"/projects/p1/comments/{cid}/edit", data={"body": "back"}).status_code == 403


def test_coordinator_hides_a_comment(app, client, team):
    author = as_user(app, "researcher")
    memo_id = new_memo(author, visibility="community")
    committee = as_user(app, "committee")
    cid = post(committee, memo_id, "something hurtful")
    assert author.post(f"/projects/p1/comments/{cid}/hide").status_code == 403
    coordinator = as_user(app, "coordinator")
    assert coordinator.post(f"/projects/p1/comments/{cid}/hide").status_code == 303
    page = author.get(f"/projects/p1/memos/{memo_id}").get_data(as_text=True)
    assert "something hurtful" not in page and "Hidden by a coordinator" in page
    assert "something hurtful" in coordinator.get(f"/projects/p1/memos/{memo_id}").get_data(
        as_text=True
    )
    hits = author.get("/api/v1/projects/p1/search?q=hurtful").get_json()["hits"]
    assert hits == []
    coordinator.post(f"/projects/p1/comments/{cid}/hide")  # shown again
    assert "something hurtful" in author.get(f"/projects/p1/memos/{memo_id}").get_data(as_text=True)


def test_comments_follow_the_memos_visibility(app, client, team):
    author = as_user(app, "researcher")
    memo_id = new_memo(author, visibility="team")
    committee = as_user(app, "committee")
    response = committee.post(f"/projects/p1/comments/memo/{memo_id}", data={"body": "hi"})
    assert response.status_code == 404
    observer = as_user(app, "observer")
    response = observer.post(f"/projects/p1/comments/memo/{memo_id}", data={"body": "hi"})
    assert response.status_code == 403
    private = new_memo(author, visibility="private")
    fw = as_user(app, "field_worker")
    assert fw.post(f"/projects/p1/comments/memo/{private}", data={"body": "x"}).status_code == 404


def test_empty_comment_is_refused_and_comment_markdown_is_sanitized(app, client, team):
    author = as_user(app, "researcher")
    memo_id = new_memo(author)
    response = author.post(f"/projects/p1/comments/memo/{memo_id}", data={"body": ""})
    assert response.status_code == 422
    post(author, memo_id, "**bold** <img src=x onerror=alert(1)> [x](javascript:alert(1))")
    page = author.get(f"/projects/p1/memos/{memo_id}").get_data(as_text=True)
    assert "<strong>bold</strong>" in page
    assert "onerror" not in page and "javascript:alert" not in page
