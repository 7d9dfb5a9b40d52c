"""The general link mechanism between records, and line diffs between versions."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from cbpar import links
from cbpar.db import db
from cbpar.diffing import line_diff
from cbpar.mapping.models import Facility, FacilityKind, Household
from cbpar.projects.models import Membership, Project, Village
from cbpar.security import Role


@pytest.fixture
def records(ctx):
    project = Project(slug="lp", name="LP")
    other = Project(slug="lq", name="LQ")
    village = Village(project=project, name="V", code="V")
    db.session.add_all([project, other, village])
    db.session.flush()
    households = [
        Household(
            project_id=project.id,
            village_id=village.id,
            number=i,
            code=f"V-{i:03d}",
            lat=42,
            lon=119,
        )
        for i in range(1, 6)
    ]
    facility = Facility(
        project_id=project.id, name="KG", kind=FacilityKind.KINDERGARTEN, lat=42, lon=119
    )
    elsewhere = Facility(project_id=other.id, name="X", kind=FacilityKind.CLINIC, lat=1, lon=1)
    db.session.add_all([*households, facility, elsewhere])
    db.session.flush()
    return {
        "village": village,
        "households": households,
        "facility": facility,
        "elsewhere": elsewhere,
    }


def member(role: Role) -> Membership:
    return Membership(role=role)


def test_links_are_added_once_and_found_both_ways(records):
    facility, households = records["facility"], records["households"]
    for household in households:
        links.add(facility, household, "about")
    links.add(facility, households[0], "about")  # again: no duplicate
    found = links.targets_of(facility, member(Role.RESEARCHER))
    assert [f.label() for f in found] == [h.code for h in households]
    back = links.sources_of(households[0], member(Role.RESEARCHER))
    assert [b.record for b in back] == [facility]


def test_records_of_other_projects_cannot_be_linked_or_resolved(records):
    with pytest.raises(ValueError):
        links.add(records["facility"], records["elsewhere"], "about")
    project_id = records["facility"].project_id
    assert links.resolve(project_id, "facility", records["elsewhere"].id) is None
    assert links.resolve(project_id, "facility", records["facility"].id) is records["facility"]
    assert links.resolve(project_id, "no-such-type", 1) is None


def test_links_respect_what_the_member_may_see(records):
    facility = records["facility"]
    links.add(facility, records["households"][0], "about")
    links.add(facility, records["village"], "about")
    seen_by_committee = links.targets_of(facility, member(Role.COMMITTEE))
    assert [f.type.name for f in seen_by_committee] == ["village"]  # household details hidden
    assert len(links.targets_of(facility, member(Role.FIELD_WORKER))) == 2


def test_loading_links_takes_one_query_per_record_type(records):
    facility = records["facility"]
    for household in records["households"]:
        links.add(facility, household, "about")
    links.add(facility, records["village"], "about")
    db.session.flush()
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        links.targets_of(facility, member(Role.RESEARCHER))
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) == 3  # the links, the households, the village


def test_removing_links(records):
    facility, household = records["facility"], records["households"][0]
    links.add(facility, household, "about")
    assert links.remove(facility, household, "about") is True
    assert links.remove(facility, household, "about") is False
    links.add(facility, household, "about")
    links.remove_all(household)
    db.session.flush()
    assert db.session.scalars(select(links.RecordLink)).all() == []


def test_line_diff_marks_added_and_removed_lines():
    rows = line_diff("a\nb\nc", "a\nB\nc\nd", context=None)
    ops = [(r.op, r.text) for r in rows]
    assert ops == [("same", "a"), ("removed", "b"), ("added", "B"), ("same", "c"), ("added", "d")]


def test_line_diff_skips_long_unchanged_stretches():
    old = "\n".join(str(i) for i in range(100))
    new = old.replace("50", "fifty")
    rows = line_diff(old, new, context=2)
    assert rows[0] is None and len([r for r in rows if r]) == 6


def test_sources_of_many_groups_by_target(records):
    facility, village = records["facility"], records["village"]
    first, second = records["households"][:2]
    links.add(first, facility, "about")  # households pointing at the facility...
    links.add(second, facility, "about")
    links.add(second, village, "about")  # ...and one at the village too
    found = links.sources_of_many([facility, records["elsewhere"]], member(Role.RESEARCHER))
    assert {k: [x.record for x in v] for k, v in found.items()} == {facility.id: [first, second]}
    assert links.sources_of_many([facility], member(Role.COMMITTEE)) == {}  # hidden households
    assert links.sources_of_many([], member(Role.RESEARCHER)) == {}
