"""Decisions, action items (mine, overdue), the home panel and links to discussed records."""

from __future__ import annotations

from datetime import date, timedelta

from cbpar import links
from cbpar.db import db
from cbpar.meetings.models import ActionStatus
from cbpar.projects.models import Village


def test_decisions_are_listed_on_the_project_page(client, team, login, make_meeting, load):
    first = make_meeting("Committee meeting")
    login("researcher")
    assert (
        client.post(
            f"/projects/p1/meetings/{first}/decisions",
            data={"text": "Build a kindergarten in Shuanghe"},
        ).status_code
        == 302
    )
    assert (
        client.post(f"/projects/p1/meetings/{first}/decisions", data={"text": ""}).status_code
        == 302
    )
    assert [d.text for d in load(first).decisions] == ["Build a kindergarten in Shuanghe"]
    page = client.get("/projects/p1/decisions").get_data(as_text=True)
    assert "Build a kindergarten in Shuanghe" in page and "Committee meeting" in page
    decision_id = load(first).decisions[0].id
    link = client.get(f"/projects/p1/decisions/{decision_id}")
    assert link.headers["Location"].endswith(f"/meetings/{first}#decision-{decision_id}")
    client.post(f"/projects/p1/meetings/{first}/decisions/{decision_id}/delete")
    assert load(first).decisions == []


def test_action_items_mine_and_overdue(app, client, team, login, make_meeting, load):
    meeting_id = make_meeting()
    users = team["users"]
    login("coordinator")
    base = f"/projects/p1/meetings/{meeting_id}"
    yesterday = (date.today() - timedelta(days=2)).isoformat()
    client.post(
        f"{base}/actions",
        data={"what": "Ask the county about a teacher", "assignee_id": users["committee"].id,
              "due_on": yesterday},
    )  # fmt: skip
    client.post(
        f"{base}/actions", data={"what": "Draw up a plan", "assignee_name": "Village doctor"}
    )
    # Neither a member nor a name: refused.
    client.post(f"{base}/actions", data={"what": "Nobody does this"})
    items = load(meeting_id).action_items
    assert [(i.what, i.assignee_id, i.assignee_name) for i in items] == [
        ("Ask the county about a teacher", users["committee"].id, ""),
        ("Draw up a plan", None, "Village doctor"),
    ]
    page = client.get(base).get_data(as_text=True)
    assert "Overdue" in page

    with app.test_client() as committee:
        login("committee", c=committee)
        home = committee.get("/projects/p1/").get_data(as_text=True)
        assert "My action items" in home and "Ask the county about a teacher" in home
        assert "Overdue" in home
        mine = committee.get("/projects/p1/action-items?mine=1").get_data(as_text=True)
        assert "Ask the county" in mine and "Draw up a plan" not in mine
        # The assignee may mark their own item done, not someone else's.
        own, other = items[0].id, items[1].id
        assert (
            committee.post(
                f"/projects/p1/action-items/{own}/status", data={"status": "done"}
            ).status_code
            == 302
        )
        assert (
            committee.post(
                f"/projects/p1/action-items/{other}/status", data={"status": "done"}
            ).status_code
            == 403
        )
    statuses = [i.status for i in load(meeting_id).action_items]
    assert statuses == [ActionStatus.DONE, ActionStatus.OPEN]


def test_home_panel_lists_upcoming_meetings_but_not_for_observers(
    app, client, team, login, make_meeting
):
    make_meeting("Soon: parents' evening")
    login("field_worker")
    assert "Soon: parents&#39; evening" in client.get("/projects/p1/").get_data(as_text=True)
    with app.test_client() as observer:
        login("observer", c=observer)
        home = observer.get("/projects/p1/").get_data(as_text=True)
        assert "parents" not in home and "Upcoming meetings" not in home


def test_discussed_records_link_both_ways(app, client, team, login, make_meeting):
    """Any registered record type can be discussed; here a village stands in for memos."""
    meeting_id = make_meeting("Memo discussion")
    from cbpar.meetings import services

    services.DISCUSSABLE = (*services.DISCUSSABLE, "village")
    try:
        with app.app_context():
            village_id = (
                db.session.query(Village.id).filter_by(project_id=team["project"].id).scalar()
            )
        login("researcher")
        page = client.get(f"/projects/p1/meetings/{meeting_id}").get_data(as_text=True)
        assert f'value="village:{village_id}"' in page
        response = client.post(
            f"/projects/p1/meetings/{meeting_id}/discussed",
            data={"record": f"village:{village_id}"},
        )
        assert response.status_code == 302
        page = client.get(f"/projects/p1/meetings/{meeting_id}").get_data(as_text=True)
        assert "Shuanghe" in page.split('id="discussed-h"')[1].split("</section>")[0]
        with app.test_request_context():
            from flask import g, render_template_string

            from cbpar.projects.services import load_for_member

            village = db.session.get(Village, village_id)
            g.project, g.membership = load_for_member("p1", team["users"]["committee"])
            html = render_template_string(
                '{% with record=village %}{% include "meetings/_discussed_in.html" %}{% endwith %}',
                village=village,
            )
            assert "Memo discussion" in html
            g.project, g.membership = load_for_member("p1", team["users"]["observer"])
            assert "Memo discussion" not in render_template_string(
                '{% with record=village %}{% include "meetings/_discussed_in.html" %}{% endwith %}',
                village=village,
            )
        # Unknown or foreign records are refused.
        bad = client.post(
            f"/projects/p1/meetings/{meeting_id}/discussed", data={"record": "village:99999"}
        )
        assert bad.status_code == 400
        assert (
            client.post(
                f"/projects/p1/meetings/{meeting_id}/discussed/remove",
                data={"record": f"village:{village_id}"},
            ).status_code
            == 302
        )
        with app.app_context():
            assert db.session.query(links.RecordLink).count() == 0
    finally:
        services.DISCUSSABLE = tuple(n for n in services.DISCUSSABLE if n != "village")


def test_minutes_are_searchable_by_readers_only(app, client, team, login, make_meeting):
    meeting_id = make_meeting("Kindergarten meeting")
    login("researcher")
    client.post(
        f"/projects/p1/meetings/{meeting_id}/minutes",
        data={"body": "幼儿园 is 10 km away", "version": "0"},
    )
    with app.test_request_context():
        from cbpar import search
        from cbpar.projects.services import load_for_member

        project, committee = load_for_member("p1", team["users"]["committee"])
        hits = search.search(project, committee, "幼儿园")
        assert [(h.type, h.id) for h in hits if h.type == "minutes"] == [("minutes", meeting_id)]
        _project, observer = load_for_member("p1", team["users"]["observer"])
        assert not [h for h in search.search(project, observer, "幼儿园") if h.type == "minutes"]
