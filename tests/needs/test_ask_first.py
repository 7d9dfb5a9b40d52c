"""Issue 15: irreversible steps ask first. Closing a round shows how many eligible members have
not voted yet (a count, never who) with Cancel; confirming needs (after a vote, or by a status
change) shows the question first. Every answer is a POST with its CSRF token; the questions are
a GET page or a POST that changes nothing. (That every POST needs its CSRF token is checked for
every route by tests/core/test_security.py.)"""

from __future__ import annotations

import re

from cbpar.db import db
from cbpar.needs.models import Need, NeedStatus, VoteRound

CLOSE = {"confirm": "yes"}


def rank_form(order: list[int]) -> dict[str, str]:
    return {f"rank_{need_id}": str(i + 1) for i, need_id in enumerate(order)}


def closed_at(app, round_id: int):
    with app.app_context():
        return db.session.get(VoteRound, round_id).closed_at


def status_of(app, need_id: int) -> NeedStatus:
    with app.app_context():
        return db.session.get(Need, need_id).status


def test_closing_asks_first_with_the_count_of_members_yet_to_vote(
    app, client, login, needs, make_round
):
    # committee, field worker and researcher may vote; the committee member votes.
    round_id = make_round(eligible_roles=["committee", "field_worker", "researcher"])
    login("committee")
    client.post(f"/projects/p1/votes/{round_id}/ballot", data=rank_form(needs[:2]))
    client.post("/logout")
    login("coordinator")
    vote_page = client.get(f"/projects/p1/votes/{round_id}").get_data(as_text=True)
    close_url = f"/projects/p1/votes/{round_id}/close"
    assert f'href="{close_url}"' in vote_page, "the vote page closes without asking"
    question = client.get(close_url)
    assert question.status_code == 200 and closed_at(app, round_id) is None
    html = question.get_data(as_text=True)
    not_voted = re.search(r'id="not-voted"><strong>([^<]*)<', html)
    assert not_voted and "2 members who may vote have not voted yet" in not_voted.group(1)
    for name in ("field_worker", "researcher"):  # a count, never who
        assert name not in html.split('id="close-question"')[1]
    assert 'name="confirm" value="yes"' in html and ">Cancel<" in html
    # A POST without the answer changes nothing and goes to the question.
    unanswered = client.post(close_url)
    assert unanswered.status_code == 303 and unanswered.headers["Location"].endswith(close_url)
    assert closed_at(app, round_id) is None
    assert client.post(close_url, data=CLOSE).status_code == 302
    assert closed_at(app, round_id) is not None


def test_confirming_the_top_needs_asks_first(app, client, login, needs, make_round):
    round_id = make_round()
    login("committee")
    client.post(f"/projects/p1/votes/{round_id}/ballot", data=rank_form(needs[:2]))
    client.post("/logout")
    login("coordinator")
    client.post(f"/projects/p1/votes/{round_id}/close", data=CLOSE)
    url = f"/projects/p1/votes/{round_id}/confirm"
    question = client.post(url, data={"need_id": [needs[0], needs[1]]})
    assert question.status_code == 200
    html = question.get_data(as_text=True)
    assert "Kindergarten in Shuanghe" in html and 'name="confirm" value="yes"' in html
    assert status_of(app, needs[0]) != NeedStatus.CONFIRMED
    answer = client.post(url, data={"need_id": [needs[0], needs[1]], "confirm": "yes"})
    assert answer.status_code == 302
    assert status_of(app, needs[0]) == NeedStatus.CONFIRMED
    assert status_of(app, needs[1]) == NeedStatus.CONFIRMED


def test_a_status_change_to_confirmed_asks_first(app, client, login, needs):
    login("coordinator")
    url = f"/projects/p1/needs/{needs[0]}/status"
    question = client.post(url, data={"status": "confirmed"})
    assert question.status_code == 200
    assert 'name="confirm" value="yes"' in question.get_data(as_text=True)
    assert status_of(app, needs[0]) == NeedStatus.PROPOSED
    assert client.post(url, data={"status": "confirmed", "confirm": "yes"}).status_code == 302
    assert status_of(app, needs[0]) == NeedStatus.CONFIRMED
    # Other changes do not ask.
    assert client.post(url, data={"status": "being_addressed"}).status_code == 302
    assert status_of(app, needs[0]) == NeedStatus.BEING_ADDRESSED
