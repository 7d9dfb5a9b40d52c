"""Issue 11, finding 14: while a vote round was open the project overview answered 500 for every
role: the open-votes panel iterated `panel.items`, which Jinja resolved to the dict's `items`
method. Panels now reach templates as namespaces, so a key may be called anything."""

from __future__ import annotations

import pytest

from cbpar.security import Role


@pytest.mark.parametrize("role", list(Role))
def test_the_overview_shows_an_open_vote_to_every_role(client, team, login, make_round, role):
    make_round(title="Which need comes next?")
    login(team["users"][role])
    response = client.get("/projects/p1/")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Which need comes next?" in body
    voter = role in (Role.COMMITTEE, Role.FIELD_WORKER)  # the round's eligible roles
    assert ("Your vote is awaited" in body) == voter
