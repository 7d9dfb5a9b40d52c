"""Links between memos and records, shown on both ends; search with Chinese and visibility."""

from __future__ import annotations

from flask import render_template_string

from cbpar.db import db
from cbpar.mapping.models import Household
from tests.helpers import as_user, new_memo


def make_household(app, code="SH-001"):
    from cbpar.projects.models import Project, Village

    with app.app_context():
        project = db.session.query(Project).filter_by(slug="p1").one()
        village = db.session.query(Village).filter_by(project_id=project.id).first()
        household = Household(
            project_id=project.id, village_id=village.id, number=1, code=code, lat=42.3, lon=119.8
        )
        db.session.add(household)
        db.session.commit()
        return household.id


def about(app, username, household_id):
    """What a household page shows (memos/_about.html) to this member."""
    from flask import g
    from flask_login import login_user

    from cbpar.auth.models import User
    from cbpar.projects.services import load_for_member

    with app.test_request_context("/projects/p1/"):
        user = db.session.query(User).filter_by(username=username).one()
        login_user(user)
        g.project, g.membership = load_for_member("p1", user)
        household = db.session.get(Household, household_id)
        return render_template_string(
            '{% with record=h %}{% include "memos/_about.html" %}{% endwith %}', h=household
        )


def test_links_show_on_both_ends_and_respect_privacy(app, client, team):
    household_id = make_household(app)
    author = as_user(app, "researcher")
    team_memo = new_memo(author, title="About SH-001 (team)")
    private_memo = new_memo(author, title="My private thoughts", visibility="private")
    for memo_id in (team_memo, private_memo):
        response = author.post(
            f"/projects/p1/memos/{memo_id}/links",
            data={"record_type": "household", "ref": "sh-001"},
        )
        assert response.status_code == 303
    page = author.get(f"/projects/p1/memos/{team_memo}").get_data(as_text=True)
    assert f"/projects/p1/households/{household_id}" in page and "SH-001" in page
    # The household side: the author sees both, a field worker only the team memo.
    mine = about(app, "researcher", household_id)
    assert "About SH-001 (team)" in mine and "My private thoughts" in mine
    theirs = about(app, "field_worker", household_id)
    assert "About SH-001 (team)" in theirs and "My private thoughts" not in theirs
    # Unknown records are refused; removing a link works.
    response = author.post(
        f"/projects/p1/memos/{team_memo}/links", data={"record_type": "household", "ref": "XX-999"}
    )
    assert response.status_code == 302
    author.post(
        f"/projects/p1/memos/{team_memo}/links/remove",
        data={"type": "household", "id": str(household_id)},
    )
    assert "About SH-001 (team)" not in about(app, "field_worker", household_id)


def test_committee_cannot_link_to_households_it_cannot_see(app, client, team):
    make_household(app)
    author = as_user(app, "researcher")
    memo_id = new_memo(author, visibility="community")
    author.post(
        f"/projects/p1/memos/{memo_id}/links", data={"record_type": "household", "ref": "SH-001"}
    )
    page = as_user(app, "committee").get(f"/projects/p1/memos/{memo_id}").get_data(as_text=True)
    assert "SH-001" not in page


def test_search_finds_chinese_respects_visibility_and_highlights(app, client, team):
    author = as_user(app, "researcher")
    new_memo(author, title="幼儿园距离", body="最近的幼儿园在十公里以外。", visibility="community")
    new_memo(author, title="私人笔记", body="幼儿园的私人想法", visibility="private")
    new_memo(author, title="Team only", body="幼儿园 team note", visibility="team")
    page = author.get("/projects/p1/search?q=幼儿园").get_data(as_text=True)
    assert "<mark>幼儿园</mark>" in page and "私人笔记" in page and "Team only" in page
    committee = as_user(app, "committee")
    page = committee.get("/projects/p1/search?q=幼儿园").get_data(as_text=True)
    assert "<mark>幼儿园</mark>距离" in page
    assert "私人笔记" not in page and "Team only" not in page
    hits = committee.get("/api/v1/projects/p1/search?q=十公里").get_json()["hits"]
    assert [h["type"] for h in hits] == ["memo"] and "<mark>十公里</mark>" in hits[0]["snippet"]
    assert as_user(app, "observer").get("/projects/p1/search?q=幼儿园").status_code == 403


def test_search_escapes_user_text_in_snippets(app, client, team):
    author = as_user(app, "researcher")
    new_memo(author, title="<b>x</b> needle", body="`<script>alert(1)</script>` needle")
    page = author.get("/projects/p1/search?q=needle").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;b&gt;x&lt;/b&gt;" in page
