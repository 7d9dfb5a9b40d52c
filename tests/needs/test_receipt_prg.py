"""Casting a ballot redirects to a GET receipt page (post/redirect/get); the receipt lives in
the voter's session, never in the URL, and survives a reload and a language switch."""

from __future__ import annotations

import re

from sqlalchemy import select

from cbpar.db import db
from cbpar.needs.models import Ballot


def rank_form(order: list[int]) -> dict[str, str]:
    return {f"rank_{need_id}": str(i + 1) for i, need_id in enumerate(order)}


def test_cast_redirects_to_receipt_page_that_survives_language_switch(
    app, client, login, needs, make_round
):
    round_id = make_round()
    login("committee")
    cast = client.post(f"/projects/p1/votes/{round_id}/ballot", data=rank_form(needs[:2]))
    assert cast.status_code == 303
    location = cast.headers["Location"]
    assert location.endswith(f"/projects/p1/votes/{round_id}/receipt")
    with app.app_context():
        code = db.session.scalar(select(Ballot.receipt).where(Ballot.round_id == round_id))
    assert code not in location
    page = client.get(location)
    assert page.status_code == 200 and code in page.get_data(as_text=True)
    assert 'data-copy="receipt-code"' in page.get_data(as_text=True)
    switch = client.post("/language", data={"locale": "zh_Hans", "next": location})
    assert switch.headers["Location"] == location
    again = client.get(location).get_data(as_text=True)
    assert code in again and 'lang="zh' in again


def test_receipt_page_without_a_ballot_goes_back_to_the_vote(client, login, make_round):
    round_id = make_round()
    login("committee")
    response = client.get(f"/projects/p1/votes/{round_id}/receipt")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/projects/p1/votes/{round_id}")


def test_language_switch_from_a_422_ballot_lands_on_a_get_page(client, login, make_round):
    round_id = make_round()
    login("committee")
    bad = client.post(f"/projects/p1/votes/{round_id}/ballot", data={})
    assert bad.status_code == 422
    found = re.search(r'name="next" value="([^"]*)"', bad.get_data(as_text=True))
    assert found
    switch = client.post("/language", data={"locale": "zh_Hans", "next": found.group(1)})
    assert switch.status_code in (302, 303)
    assert client.get(switch.headers["Location"]).status_code == 200
