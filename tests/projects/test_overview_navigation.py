"""The project navigation (grouped by role, current section marked), the journey stepper and
the first-run hints on the overview (issue 15)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import delete

from cbpar.db import db, utcnow
from cbpar.needs.models import Need, NeedCategory, VoteMethod, VoteOption, VoteRound
from cbpar.projects.models import Village
from cbpar.projects.navigation import section_of
from cbpar.security import Role


def open_vote(app, project) -> None:
    """Two needs and a round open now for committee members."""
    with app.app_context():
        needs = [
            Need(project_id=project.id, title=t, category=NeedCategory.CHILDCARE)
            for t in ("Kindergarten", "Safe road")
        ]
        db.session.add_all(needs)
        db.session.flush()
        vote = VoteRound(
            project_id=project.id,
            title="Which need first?",
            method=VoteMethod.SCHULZE,
            eligible_roles=["committee"],
            opens_at=utcnow() - timedelta(hours=1),
            closes_at=utcnow() + timedelta(days=1),
        )
        vote.options = [VoteOption(need_id=n.id, position=p) for p, n in enumerate(needs)]
        db.session.add(vote)
        db.session.commit()


def nav_of(html: str) -> str:
    return html.split('<details class="nav-menu">', 1)[1].split("</details>", 1)[0]


def nav_links(html: str) -> list[str]:
    return re.findall(
        r"<li><a href=\"[^\"]+\"(?: aria-current=\"page\")?>([^<]+)</a></li>", nav_of(html)
    )


def current_links(html: str) -> list[str]:
    return re.findall(r'aria-current="page">([^<]+)</a>', nav_of(html))


def steps(html: str) -> dict[str, str]:
    """Each journey step's classes, e.g. {"map": "journey-step done current"}."""
    found = re.findall(r'<li class="([^"]+)" data-step="([a-z]+)">', html)
    return {key: classes for classes, key in found}


@pytest.mark.parametrize(
    ("role", "first"),
    [
        ("committee", ["Meetings", "Needs", "Votes"]),
        ("field_worker", ["Map", "Households", "Interviews"]),
        ("researcher", ["Map", "Households", "Interviews"]),
        ("observer", ["Initiatives", "Transparency"]),
    ],
)
def test_the_groups_come_in_the_order_of_the_members_role(client, team, login, role, first):
    login(role)
    links = nav_links(client.get("/projects/p1/").get_data(as_text=True))
    assert links[0] == "Overview"
    assert links[1 : 1 + len(first)] == first, links


def test_only_allowed_links_show_and_coordinators_see_everything(client, team, login):
    login("committee")
    committee = nav_links(client.get("/projects/p1/").get_data(as_text=True))
    assert "Interviews" not in committee and "Members" not in committee
    assert "Settings" not in committee
    assert "Services delivered" in committee and "Children" not in committee
    client.post("/logout")
    login("coordinator")
    html = client.get("/projects/p1/").get_data(as_text=True)
    everything = nav_links(html)
    for label in (
        "Map", "Interviews", "Memos", "Meetings", "Votes", "Initiatives", "Members", "Children"
    ):  # fmt: skip
        assert label in everything, label
    headings = re.findall(r'<span class="nav-heading" id="nav-([a-z]+)">', nav_of(html))
    assert headings == ["field", "care", "research", "decide", "act", "project"]


@pytest.mark.parametrize(
    ("url", "current"),
    [
        ("/projects/p1/", "Overview"),
        ("/projects/p1/households", "Households"),
        ("/projects/p1/votes", "Votes"),
        ("/projects/p1/needs", "Needs"),
        ("/projects/p1/members", "Members"),
    ],
)
def test_the_current_section_is_marked_for_assistive_technology(client, team, login, url, current):
    login("coordinator")
    html = client.get(url).get_data(as_text=True)
    assert current_links(html) == [current]
    assert f'<span class="nav-menu-current">· {current}</span>' in html


def test_pages_below_a_section_mark_it_current():
    assert section_of("mapping.household") == "households"
    assert section_of("mapping.edit_facility") == "facilities"
    assert section_of("needs.need") == "needs"
    assert section_of("needs.cast") == "votes"
    assert section_of("meetings.meeting") == "meetings"
    assert section_of("meetings.decisions") == "decisions"
    assert section_of("comments.add") is None


def test_the_journey_shows_what_happened_and_where_the_project_is(
    app, client, team, login, add_household
):
    login("committee")
    empty = steps(client.get("/projects/p1/").get_data(as_text=True))
    assert list(empty) == [
        "map", "research", "meetings", "needs", "vote", "initiatives", "services", "results"
    ]  # fmt: skip
    assert empty["map"] == "journey-step current"
    assert not any("done" in classes for classes in empty.values())

    add_household(team["project"])
    mapped = steps(client.get("/projects/p1/").get_data(as_text=True))
    assert mapped["map"] == "journey-step done current"

    open_vote(app, team["project"])  # needs, and a vote open now: the step under way
    voting = client.get("/projects/p1/").get_data(as_text=True)
    assert steps(voting)["needs"] == "journey-step done"
    assert steps(voting)["vote"] == "journey-step done current"
    assert 'href="/projects/p1/votes" aria-current="step"' in voting


def test_journey_steps_link_only_to_pages_the_member_may_open(client, team, login):
    login("observer")
    html = client.get("/projects/p1/").get_data(as_text=True)
    research = html.split('data-step="research">', 1)[1].split("</li>", 1)[0]
    assert "<a " not in research  # observers read no memos or interviews
    results = html.split('data-step="results">', 1)[1].split("</li>", 1)[0]
    assert 'href="/projects/p1/' in results


def hints(html: str) -> list[str]:
    return re.findall(r'<aside class="hint" data-hint="p1:([a-z-]+)"', html)


def test_a_coordinator_of_an_empty_project_is_told_to_start_with_the_villages(
    app, client, make_user, make_project, login
):
    coordinator = make_user("coord")
    project = make_project("p1", members={coordinator: Role.COORDINATOR})
    with app.app_context():
        db.session.execute(delete(Village).where(Village.project_id == project.id))
        db.session.commit()
    login("coord")
    html = client.get("/projects/p1/").get_data(as_text=True)
    assert hints(html) == ["add-villages"]
    assert "Start by adding your villages" in html
    assert re.search(r'<script src="/static/js/hints\.[^"]*" nonce=', html), "no hints.js"
    # The dismiss button waits for the script: without JavaScript the hint simply stays.
    assert '<button type="button" class="hint-dismiss" hidden>' in html


def test_a_committee_member_hears_when_a_vote_will_show(app, client, team, login):
    login("committee")
    assert hints(client.get("/projects/p1/").get_data(as_text=True)) == ["committee-votes"]
    open_vote(app, team["project"])
    assert hints(client.get("/projects/p1/").get_data(as_text=True)) == ["committee-menu"]
