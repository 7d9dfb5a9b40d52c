"""The overview shows an open round as a "Vote now" card, first, to a member who may still vote,
and "You have voted; change your ballot until ..." once they have."""

from __future__ import annotations

import re


def test_vote_now_card_comes_first_then_voted_line(client, login, needs, make_round):
    round_id = make_round(title="Which need comes next?")
    login("committee")
    body = client.get("/projects/p1/").get_data(as_text=True)
    assert "Vote now" in body and f'id="vote-now-{round_id}"' in body
    panels = re.findall(r'<h2 id="(home-[a-z-]+)"', body)
    assert panels and panels[0] == "home-votes-h", panels
    client.post(f"/projects/p1/votes/{round_id}/ballot", data={f"rank_{needs[0]}": "1"})
    after = client.get("/projects/p1/").get_data(as_text=True)
    assert "Vote now" not in after
    assert "You have voted; change your ballot until" in after
