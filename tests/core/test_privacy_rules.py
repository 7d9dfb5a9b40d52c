"""Issue 12 §2: every "who may see which field" rule lives in cbpar/privacy.py, one test per
rule, and routes that write declare their write capability in the decorator."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from flask_babel import force_locale

from cbpar import privacy
from cbpar.security import Role

PERSON = SimpleNamespace(name="Wang Fang", is_person=True)
FOUNDATION = SimpleNamespace(name="Sunshine Foundation", is_person=False)
MEMBERS = {role: SimpleNamespace(role=role) for role in Role}


@pytest.mark.parametrize("role", list(Role))
def test_organisations_are_named_for_everyone(ctx, role):
    assert privacy.donor_name(FOUNDATION, MEMBERS[role]) == "Sunshine Foundation"
    assert privacy.donor_name(FOUNDATION, public=True) == "Sunshine Foundation"


@pytest.mark.parametrize(
    ("role", "named"),
    [
        (Role.COORDINATOR, True),
        (Role.RESEARCHER, True),
        (Role.FIELD_WORKER, True),
        (Role.COMMITTEE, True),
        (Role.OBSERVER, False),
    ],
)
def test_a_private_donor_is_named_only_for_those_who_see_members(ctx, role, named):
    shown = privacy.donor_name(PERSON, MEMBERS[role])
    assert (shown == "Wang Fang") is named
    assert privacy.sees_people(MEMBERS[role]) is named
    if not named:
        assert shown == "Individual donor"


def test_public_pages_never_name_a_private_donor(ctx):
    assert privacy.donor_name(PERSON, MEMBERS[Role.COORDINATOR], public=True) == "Individual donor"
    assert privacy.donor_name(PERSON, None) == "Individual donor"  # no member: the public


def test_the_masked_name_is_translated(ctx):
    with force_locale("zh_Hans"):
        assert privacy.donor_name(PERSON, None) not in ("Individual donor", "Wang Fang")


READING = {"view_project", "read_initiatives", "read_meetings", "see_community_memos"}
READING |= {"see_household_points", "see_village_totals"}
# A member manages their own calendar feed link there: no project write capability applies.
PERSONAL = {"/projects/<slug>/meetings/calendar"}


def test_routes_that_read_and_write_declare_the_write_capability(app):
    undeclared = []
    for rule in app.url_map.iter_rules():
        methods = rule.methods or set()
        if "slug" not in rule.arguments or "GET" not in methods or rule.rule in PERSONAL:
            continue
        if not methods & {"POST", "PUT", "PATCH", "DELETE"}:
            continue
        view = app.view_functions[rule.endpoint]
        if view.required_capability in READING and not getattr(view, "write_capability", None):
            undeclared.append(rule.rule)
    assert undeclared == []


def test_an_observer_posting_to_a_read_and_write_page_is_refused_by_the_decorator(
    client, team, login
):
    login(team["users"][Role.OBSERVER])
    for url in ("/projects/p1/funders/", "/projects/p1/impact"):
        assert client.get(url).status_code == 200
        assert client.post(url, data={}).status_code == 403
