"""Issue 15: before a ballot is cast the voter sees it exactly as it will be counted (ranked
needs in order, the rest "not ranked"; for approval what is ticked), then casts or changes it.
The review is a server step with the choices carried in its form, so it works without
JavaScript; it stores nothing."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from cbpar.db import db, utcnow
from cbpar.needs.models import Ballot, VoteMethod
from tests.needs.conftest import TITLES

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


def ballots_in(app, round_id: int) -> list[list[int]]:
    with app.app_context():
        return list(db.session.scalars(select(Ballot.choices).where(Ballot.round_id == round_id)))


def section(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"(.*?)</(ol|ul)>', html, re.S)
    assert found, f"no #{element_id}"
    return found.group(1)


def test_the_ballot_form_goes_to_the_review_step(client, login, make_round):
    round_id = make_round()
    login("committee")
    html = client.get(f"/projects/p1/votes/{round_id}").get_data(as_text=True)
    assert f'action="/projects/p1/votes/{round_id}/review" id="ballot-form"' in html


def test_review_shows_the_ranking_as_counted_and_stores_nothing(
    app, client, login, needs, make_round
):
    round_id = make_round()
    login("committee")
    # Without JavaScript ranks may have gaps: 3 and 1 are counted as first and second.
    review = client.post(
        f"/projects/p1/votes/{round_id}/review",
        data={f"rank_{needs[0]}": "3", f"rank_{needs[2]}": "1"},
    )
    assert review.status_code == 200
    assert review.headers["Cache-Control"] == "no-store"
    html = review.get_data(as_text=True)
    chosen = section(html, "review-chosen")
    assert chosen.index(TITLES[2]) < chosen.index(TITLES[0]), "ranked needs out of order"
    left_out = section(html, "review-left-out")
    assert TITLES[1] in left_out and TITLES[3] in left_out and TITLES[0] not in left_out
    assert "not ranked" in left_out
    assert ballots_in(app, round_id) == [], "the review step cast the ballot"
    # The review's form carries the ballot as counted (ranks 1, 2) to the cast step.
    assert f'name="rank_{needs[2]}" value="1"' in html
    assert f'name="rank_{needs[0]}" value="2"' in html
    cast = client.post(
        f"/projects/p1/votes/{round_id}/ballot",
        data={f"rank_{needs[2]}": "1", f"rank_{needs[0]}": "2", "step": "cast"},
    )
    assert cast.status_code == 303
    assert ballots_in(app, round_id) == [[needs[2], needs[0]]]


def test_change_brings_the_ballot_back_as_the_voter_left_it(app, client, login, needs, make_round):
    round_id = make_round()
    login("committee")
    back = client.post(
        f"/projects/p1/votes/{round_id}/ballot",
        data={f"rank_{needs[3]}": "1", f"rank_{needs[1]}": "2", "step": "change"},
    )
    assert back.status_code == 200
    html = back.get_data(as_text=True)
    assert 'id="ballot-form"' in html
    selected = re.findall(r'name="rank_(\d+)".*?<option value="(\d+)" selected>', html, re.S)
    assert [(int(n), int(r)) for n, r in selected][:2] == [(needs[3], 1), (needs[1], 2)]
    assert ballots_in(app, round_id) == []


def test_an_untouched_ballot_gets_a_kind_message_in_chinese(app, client, login, make_round):
    round_id = make_round()
    login("committee")
    english = client.post(f"/projects/p1/votes/{round_id}/review", data={})
    assert english.status_code == 422
    assert "Your ballot is still empty" in english.get_data(as_text=True)
    chinese = client.post(f"/projects/p1/votes/{round_id}/review", data={}, headers=ZH)
    assert chinese.status_code == 422
    assert "你的选票还是空的" in chinese.get_data(as_text=True)
    assert ballots_in(app, round_id) == []


def test_approval_review_lists_what_is_approved(app, client, login, needs, make_round):
    round_id = make_round(method=VoteMethod.APPROVAL, approval_limit=2)
    login("committee")
    review = client.post(
        f"/projects/p1/votes/{round_id}/review", data={"approve": [needs[1], needs[3]]}
    )
    assert review.status_code == 200
    html = review.get_data(as_text=True)
    chosen = section(html, "review-chosen")
    assert TITLES[1] in chosen and TITLES[3] in chosen and TITLES[0] not in chosen
    assert TITLES[0] in section(html, "review-left-out")
    assert f'name="approve" value="{needs[1]}"' in html
    too_many = client.post(f"/projects/p1/votes/{round_id}/review", data={"approve": needs[:3]})
    assert too_many.status_code == 422
    assert "Tick at most 2 needs." in too_many.get_data(as_text=True)
    assert ballots_in(app, round_id) == []


def test_review_is_refused_like_casting(app, client, login, needs, make_round):
    now = utcnow()
    closed = make_round(opens_at=now - timedelta(hours=2), closes_at=now - timedelta(hours=1))
    login("committee")
    assert (
        client.post(
            f"/projects/p1/votes/{closed}/review", data={f"rank_{needs[0]}": "1"}
        ).status_code
        == 409
    )
    client.post("/logout")
    login("observer")
    open_round = make_round()
    assert (
        client.post(
            f"/projects/p1/votes/{open_round}/review", data={f"rank_{needs[0]}": "1"}
        ).status_code
        == 403
    )
    with app.app_context():
        assert db.session.scalar(select(func.count(Ballot.id))) == 0


def test_language_switch_on_the_review_lands_on_the_vote_page(client, login, needs, make_round):
    round_id = make_round()
    login("committee")
    review = client.post(f"/projects/p1/votes/{round_id}/review", data={f"rank_{needs[0]}": "1"})
    found = re.search(r'name="next" value="([^"]*)"', review.get_data(as_text=True))
    assert found and found.group(1).endswith("/review")
    switch = client.post("/language", data={"locale": "zh_Hans", "next": found.group(1)})
    assert switch.headers["Location"] == f"/projects/p1/votes/{round_id}"
    assert client.get(switch.headers["Location"]).status_code == 200
