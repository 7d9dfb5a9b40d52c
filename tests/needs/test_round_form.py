"""Issue 15: the new round form. Needs already met or declined are not offered (and refused if
posted); the approval limit applies only to the approval method (hidden by script for the
others, ignored by the server); each method says in one sentence what it rewards, with a link
to the voting guide, which the app serves itself."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cbpar.db import db, utcnow
from cbpar.needs import vote_rounds
from cbpar.needs.models import METHOD_REWARDS, Need, NeedStatus, VoteMethod, VoteRound
from tests.needs.conftest import TITLES


def set_status(app, need_id: int, status: NeedStatus) -> None:
    with app.app_context():
        db.session.get(Need, need_id).status = status
        db.session.commit()


def form_data(need_ids: list[int], **fields) -> dict:
    return {
        "title": "Rank the needs",
        "method": "borda",
        "need_ids": need_ids,
        "eligible_roles": ["committee"],
        "opens_at": "2030-01-01T09:00",
        "closes_at": "2030-01-01T12:00",
        "meeting_id": 0,
        **fields,
    }


def rounds(app) -> list[tuple]:
    with app.app_context():
        return list(db.session.execute(select(VoteRound.method, VoteRound.approval_limit)))


def test_met_and_declined_needs_are_not_offered_and_refused(app, client, login, needs, team):
    set_status(app, needs[0], NeedStatus.MET)
    set_status(app, needs[1], NeedStatus.DECLINED)
    login("coordinator")
    html = client.get("/projects/p1/votes/new").get_data(as_text=True)
    assert TITLES[2] in html and TITLES[3] in html
    assert TITLES[0] not in html and TITLES[1] not in html
    posted = client.post("/projects/p1/votes/new", data=form_data([needs[0], needs[2]]))
    assert posted.status_code == 422 and rounds(app) == []
    # The service refuses too (the JSON API goes through it).
    with app.app_context():
        data = form_data([needs[0], needs[2]], opens_at=utcnow(), closes_at=utcnow())
        data["closes_at"] = data["opens_at"].replace(year=2100)
        with pytest.raises(vote_rounds.RoundError, match="met or declined"):
            vote_rounds.create_round(team["project"], data, None)


def test_approval_limit_only_for_approval(app, client, login, needs):
    login("coordinator")
    html = client.get("/projects/p1/votes/new").get_data(as_text=True)
    assert 'id="approval-limit-field"' in html and "js/vote-form." in html
    assert "Only for the approval method; ignored for the others." in html
    # Any value typed for a ranked method is ignored, even one that would not validate.
    borda = client.post("/projects/p1/votes/new", data=form_data(needs[:3], approval_limit="0"))
    assert borda.status_code == 302
    approval = client.post(
        "/projects/p1/votes/new",
        data=form_data(needs[:3], method="approval", approval_limit="2", title="Approve"),
    )
    assert approval.status_code == 302
    limits = dict(rounds(app))
    assert limits == {VoteMethod.BORDA: None, VoteMethod.APPROVAL: 2}


def test_each_method_says_what_it_rewards_and_links_the_guide(client, login, needs):
    login("coordinator")
    html = client.get("/projects/p1/votes/new").get_data(as_text=True)
    for method in VoteMethod:
        assert f'data-method="{method.value}"' in html
        assert str(METHOD_REWARDS[method]).replace("'", "&#39;") in html
    assert 'href="/projects/p1/votes/guide"' in html
    guide = client.get("/projects/p1/votes/guide")
    assert guide.status_code == 200
    text = guide.get_data(as_text=True)
    assert all(f'id="method-{m.value}"' in text for m in VoteMethod)
    assert "1, 1, 3" in text


def test_checkboxes_sit_on_the_line_of_their_label(client, login, needs):
    login("coordinator")
    html = client.get("/projects/p1/votes/new").get_data(as_text=True)
    assert "css/needs." in html
    css = client.get("/static/css/needs.css").get_data(as_text=True)
    assert ".checks li { display: flex;" in css and ".checks li label { display: inline;" in css
