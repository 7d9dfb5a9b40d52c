"""Household and facility pages: create, validate, edit without lost updates, delete, list, CSV."""

from __future__ import annotations

import csv
import io
import math
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from cbpar.audit import AuditEvent
from cbpar.db import db
from cbpar.mapping.models import Facility, FacilityKind, FacilityStatus, Household
from cbpar.projects.models import Project, Village
from cbpar.security import Role
from tests.helpers import (
    SECRET_NOTE,
    VALID_FACILITY,
    VALID_HOUSEHOLD,
    fetch,
    village_of,
)

BASE = "/projects/p1"


@pytest.fixture
def coordinator(team, login):
    login(team["users"][Role.COORDINATOR])
    return team


def households(app) -> list[Household]:
    return fetch(app, select(Household).order_by(Household.id))


def audit_events(app, action: str) -> list[AuditEvent]:
    return fetch(app, select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))


def household_form(app, team, **changes) -> dict[str, str]:
    village = village_of(app, team["project"])
    return {**VALID_HOUSEHOLD, "village_id": str(village.id), **changes}


@contextmanager
def count_statements(app):
    statements: list[str] = []

    def listener(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listener)


# --- households: create -----------------------------------------------------------------------


def test_new_household_gets_the_next_code_of_its_village(app, client, coordinator):
    first = client.post(f"{BASE}/households/new", data=household_form(app, coordinator))
    second = client.post(
        f"{BASE}/households/new", data=household_form(app, coordinator, code="ZZ-999")
    )
    assert first.status_code == second.status_code == 302
    assert [h.code for h in households(app)] == ["SH-001", "SH-002"]
    assert [h.number for h in households(app)] == [1, 2]
    page = client.get(second.headers["Location"])
    assert "SH-002" in page.get_data(as_text=True)


def test_household_codes_are_per_village(app, client, coordinator, add_household):
    project = coordinator["project"]
    with app.app_context():
        db.session.add(Village(project_id=project.id, name="Liangshui", code="LS"))
        db.session.commit()
    add_household(project)  # SH-001
    ls = village_of(app, project, "LS")
    client.post(f"{BASE}/households/new", data={**VALID_HOUSEHOLD, "village_id": str(ls.id)})
    client.post(f"{BASE}/households/new", data=household_form(app, coordinator))
    assert sorted(h.code for h in households(app)) == ["LS-001", "SH-001", "SH-002"]


def test_creating_a_household_is_audited_with_field_names_only(app, client, coordinator):
    data = household_form(app, coordinator, notes="Father works in Baotou.")
    client.post(f"{BASE}/households/new", data=data)
    [created] = audit_events(app, "household_created")
    assert created.target_id == households(app)[0].id
    assert "notes" in created.details["fields"] and "members" in created.details["fields"]
    assert "Baotou" not in repr(created.details) and "grandmother" not in repr(created.details)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("lat", "91", "Latitude is between -90 and 90."),
        ("lon", "-180.5", "Longitude is between -180 and 180."),
        ("lat", "north", "Not a valid float value."),
        ("members", "-1", "Enter a whole number from 0 to 99."),
        ("children_under_6", "1.5", "Not a valid integer value."),
        ("children_6_17", "100", "Enter a whole number from 0 to 99."),  # blank is "unknown"
        ("left_behind_children", "4", "cannot be more than the children under 18 (3)"),
        ("members", "2", "at least as many as its children"),
        ("visited_on", "2019-02-30", "Not a valid date value."),
        ("consent_on", "not a date", "Not a valid date value."),
        ("migrant_parents", "grandpa", "Not a valid choice."),
    ],
)
def test_invalid_household_keeps_input_shows_error_and_saves_nothing(
    app, client, coordinator, field, value, message
):
    data = household_form(app, coordinator, notes="typed notes survive", **{field: value})
    response = client.post(f"{BASE}/households/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert response.headers["Cache-Control"] == "no-store"
    assert f'id="{field}-error"' in page and message in page
    assert "typed notes survive" in page
    if value:
        assert f'value="{value}"' in page or f'value="{value}" selected' in page or value in page
    assert households(app) == []
    assert audit_events(app, "household_created") == []


def test_visit_and_consent_dates_cannot_be_in_the_future(app, client, coordinator):
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    response = client.post(
        f"{BASE}/households/new",
        data=household_form(app, coordinator, visited_on=tomorrow, consent_on=tomorrow),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="visited_on-error"' in page and 'id="consent_on-error"' in page
    assert "This date is in the future." in page
    assert households(app) == []


def test_a_village_of_another_project_is_refused(app, client, coordinator, make_project):
    other = make_project("p2")
    foreign = village_of(app, other)
    data = {**VALID_HOUSEHOLD, "village_id": str(foreign.id)}
    response = client.post(f"{BASE}/households/new", data=data)
    assert response.status_code == 422
    assert households(app) == []


# --- households: edit, conflicts, delete --------------------------------------------------------


def test_edit_saves_and_audits_changed_field_names(app, client, coordinator, add_household):
    household = add_household(coordinator["project"])
    url = f"{BASE}/households/{household.id}/edit"
    form_page = client.get(url).get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in form_page
    data = household_form(app, coordinator, members="6", notes=SECRET_NOTE, version="1")
    response = client.post(url, data=data)
    assert response.status_code == 302
    [saved] = households(app)
    assert saved.members == 6 and saved.version == 2
    [updated] = audit_events(app, "household_updated")
    assert set(updated.details["fields"]) >= {"members"}
    assert "notes" not in updated.details["fields"]  # unchanged fields are not named
    assert "6" not in repr(updated.details["fields"])


def test_a_stale_edit_is_refused_and_shows_both_versions(app, client, coordinator, add_household):
    household = add_household(coordinator["project"], members=5)
    url = f"{BASE}/households/{household.id}/edit"
    # Someone else saves first: members 5 -> 8 (version 1 -> 2).
    with app.app_context():
        other = db.session.get(Household, household.id)
        other.members = 8
        db.session.commit()
    data = household_form(app, coordinator, members="7", notes="my careful notes", version="1")
    response = client.post(url, data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else changed this record" in page
    assert "my careful notes" in page  # what the user typed is not lost
    assert '<td class="plain-text">7</td><td class="plain-text">8</td>' in page
    assert 'name="version" type="hidden" value="2"' in page
    [stored] = households(app)
    assert stored.members == 8 and stored.notes == SECRET_NOTE
    assert audit_events(app, "household_updated") == []
    # Saving again, knowingly, from the conflict page works.
    again = client.post(url, data={**data, "version": "2"})
    assert again.status_code == 302
    assert households(app)[0].members == 7


def test_edit_without_version_is_a_bad_request(app, client, coordinator, add_household):
    household = add_household(coordinator["project"])
    response = client.post(
        f"{BASE}/households/{household.id}/edit", data=household_form(app, coordinator)
    )
    assert response.status_code == 400
    assert households(app)[0].members == 5


def test_moving_a_household_to_another_village_gives_it_a_new_code(
    app, client, coordinator, add_household
):
    project = coordinator["project"]
    with app.app_context():
        db.session.add(Village(project_id=project.id, name="Liangshui", code="LS"))
        db.session.commit()
    household = add_household(project)
    ls = village_of(app, project, "LS")
    data = {**VALID_HOUSEHOLD, "village_id": str(ls.id), "version": "1"}
    assert client.post(f"{BASE}/households/{household.id}/edit", data=data).status_code == 302
    assert households(app)[0].code == "LS-001"
    [updated] = audit_events(app, "household_updated")
    assert {"village_id", "code"} <= set(updated.details["fields"])


def test_delete_household_needs_post_and_is_audited(app, client, coordinator, add_household):
    household = add_household(coordinator["project"])
    edit_page = client.get(f"{BASE}/households/{household.id}/edit").get_data(as_text=True)
    assert '<details class="confirm">' in edit_page  # a second, explicit confirmation
    url = f"{BASE}/households/{household.id}/delete"
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    assert households(app) == []
    [deleted] = audit_events(app, "household_deleted")
    assert deleted.target_id == household.id and deleted.details == {"code": "SH-001"}
    assert client.get(f"{BASE}/households/{household.id}").status_code == 404


# --- households: pages ------------------------------------------------------------------------


def test_household_pages_are_not_stored_and_escape_notes(app, client, coordinator, add_household):
    household = add_household(coordinator["project"], notes="<script>alert(1)</script>\nline 2")
    for url in (f"{BASE}/households", f"{BASE}/households/{household.id}"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
    page = client.get(f"{BASE}/households/{household.id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "Grandparents" in page and "Both parents" in page  # labels, not stored codes


def test_household_list_paginates_filters_and_sorts(app, client, coordinator, add_household):
    project = coordinator["project"]
    with app.app_context():
        db.session.add(Village(project_id=project.id, name="Liangshui", code="LS"))
        db.session.commit()
    for _ in range(52):
        add_household(project, migrant_parents="father")
    add_household(project, "LS", migrant_parents="none")
    first = client.get(f"{BASE}/households").get_data(as_text=True)
    assert first.count("/households/") - first.count("/households/new") >= 50
    assert "53 households" in first and "Page 1 of 2" in first
    second = client.get(f"{BASE}/households?page=2").get_data(as_text=True)
    assert "SH-052" in second and "SH-001" not in second  # LS-001 sorts first by code
    ls = village_of(app, project, "LS")
    only_ls = client.get(f"{BASE}/households?village={ls.id}").get_data(as_text=True)
    assert "LS-001" in only_ls and "SH-001" not in only_ls
    none_away = client.get(f"{BASE}/households?migrant_parents=none").get_data(as_text=True)
    assert "1 household<" in none_away and "LS-001" in none_away
    newest = client.get(f"{BASE}/households?sort=updated").get_data(as_text=True)
    assert newest.index("LS-001") < newest.index("SH-052")
    assert client.get(f"{BASE}/households?sort=notes;drop").status_code == 200  # whitelisted


def test_empty_household_list_says_so(client, coordinator):
    page = client.get(f"{BASE}/households").get_data(as_text=True)
    assert "No households recorded yet." in page and "Add the first household" in page


def test_list_pages_do_not_query_once_per_row(
    app, client, coordinator, add_household, add_facility
):
    project = coordinator["project"]
    village = village_of(app, project)
    add_household(project)
    add_facility(project, village_id=village.id)
    urls = (f"{BASE}/households", f"{BASE}/facilities")
    client.get(urls[0])  # warm up (session, compiled statements)
    with count_statements(app) as few:
        for url in urls:
            assert client.get(url).status_code == 200
    for i in range(25):
        add_household(project)
        add_facility(project, name=f"School {i}", village_id=village.id)
    with count_statements(app) as many:
        for url in urls:
            assert client.get(url).status_code == 200
    assert len(many) == len(few)


# --- CSV --------------------------------------------------------------------------------------


def test_household_csv_has_every_field_escapes_formulas_and_is_audited(
    app, client, coordinator, add_household
):
    add_household(
        coordinator["project"], notes='=HYPERLINK("http://x")', consent_given_by="+mother"
    )
    response = client.get(f"{BASE}/households.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0]["code"] == "SH-001" and rows[0]["left_behind_children"] == "3"
    assert rows[0]["notes"] == '\'=HYPERLINK("http://x")'
    assert rows[0]["consent_given_by"] == "'+mother"
    assert rows[0]["lat"] == "42.36301"
    [export] = audit_events(app, "export")
    assert export.details == {"what": "households", "format": "csv", "rows": 1}


def test_facility_csv(app, client, coordinator, add_facility):
    add_facility(coordinator["project"], name="-1 school", opened_on=date(2008, 9, 1))
    rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"{BASE}/facilities.csv").get_data().decode("utf-8-sig"))
        )
    )
    assert rows == [
        {
            "name": "'-1 school",
            "kind": "kindergarten",
            "status": "operating",
            "village": "",
            "lat": "42.29300",
            "lon": "119.92000",
            "capacity": "180",
            "opened_on": "2008-09-01",
            "notes": "",
            "updated_at": rows[0]["updated_at"],
        }
    ]
    assert audit_events(app, "export")[0].details["what"] == "facilities"


# --- facilities -------------------------------------------------------------------------------


def facilities(app) -> list[Facility]:
    return fetch(app, select(Facility).order_by(Facility.id))


def test_create_edit_and_delete_a_facility(app, client, coordinator):
    village = village_of(app, coordinator["project"])
    data = {**VALID_FACILITY, "village_id": str(village.id)}
    response = client.post(f"{BASE}/facilities/new", data=data)
    assert response.status_code == 302
    [facility] = facilities(app)
    assert facility.kind == FacilityKind.KINDERGARTEN and facility.village_id == village.id
    assert facility.opened_on == date(2008, 9, 1)
    edit = f"{BASE}/facilities/{facility.id}/edit"
    changed = {**data, "status": "closed", "capacity": "", "version": "1"}
    assert client.post(edit, data=changed).status_code == 302
    [facility] = facilities(app)
    assert facility.status == FacilityStatus.CLOSED and facility.capacity is None
    [updated] = audit_events(app, "facility_updated")
    assert set(updated.details["fields"]) == {"status", "capacity"}
    stale = client.post(edit, data={**changed, "name": "Renamed", "version": "1"})
    assert stale.status_code == 409 and "Renamed" in stale.get_data(as_text=True)
    assert client.post(f"{BASE}/facilities/{facility.id}/delete").status_code == 302
    assert facilities(app) == []
    assert len(audit_events(app, "facility_deleted")) == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "This field is required."),
        ("kind", "castle", "Not a valid choice."),
        ("capacity", "-3", "Enter a whole number (0 or more)."),
        ("opened_on", "2020-13-01", "Not a valid date value."),
        ("lat", "-91", "Latitude is between -90 and 90."),
    ],
)
def test_invalid_facility_is_not_saved(app, client, coordinator, field, value, message):
    response = client.post(f"{BASE}/facilities/new", data={**VALID_FACILITY, field: value})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error"' in page and message in page
    assert facilities(app) == []


def test_facility_list_filters_by_kind_and_status(app, client, coordinator, add_facility):
    project = coordinator["project"]
    add_facility(project, name="Old kindergarten", status=FacilityStatus.CLOSED)
    add_facility(project, name="Village clinic", kind=FacilityKind.CLINIC)
    add_facility(project, name="New kindergarten", status=FacilityStatus.PLANNED)
    page = client.get(f"{BASE}/facilities?kind=kindergarten").get_data(as_text=True)
    assert "Old kindergarten" in page and "New kindergarten" in page
    assert "Village clinic" not in page
    page = client.get(f"{BASE}/facilities?status=planned").get_data(as_text=True)
    assert "New kindergarten" in page and "Old kindergarten" not in page
    assert "Planned" in page  # the label
    page = client.get(f"{BASE}/facilities?kind=library").get_data(as_text=True)
    assert "No facility matches these filters." in page


# --- demo data --------------------------------------------------------------------------------


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


def test_demo_loads_households_and_facilities_idempotently(app, ctx):
    from cbpar import demo

    demo.load()
    demo.load()
    project = db.session.scalar(select(Project).where(Project.slug == demo.DEMO_SLUG))
    per_village = dict(
        db.session.execute(
            select(Village.code, func.count(Household.id))
            .join(Household, Household.village_id == Village.id)
            .where(Village.project_id == project.id)
            .group_by(Village.code)
        ).all()
    )
    assert per_village == {"SH": 60, "LS": 60}
    rows = list(db.session.scalars(select(Household).where(Household.project_id == project.id)))
    assert all(h.left_behind_children <= h.children for h in rows)
    assert all(h.members >= max(h.children, 1) for h in rows)
    assert sum(h.children_under_6 for h in rows) > 60
    assert sum(1 for h in rows if h.caregiver == "grandparents") > 20
    kindergartens = list(
        db.session.scalars(
            select(Facility).where(
                Facility.project_id == project.id, Facility.kind == FacilityKind.KINDERGARTEN
            )
        )
    )
    # The town's kindergarten, about 10 km from Shuanghe; and Shuanghe's own, planned on the map
    # and opened in 2022 by the demo's initiative (the seed study's story).
    assert len(kindergartens) == 2
    town = next(k for k in kindergartens if k.village_id is None)
    own = next(k for k in kindergartens if k.village_id is not None)
    sh = next(v for v in project.villages if v.code == "SH")
    assert town.status == FacilityStatus.OPERATING
    assert 9.5 < haversine_km(sh.center_lat, sh.center_lon, town.lat, town.lon) < 11
    assert own.village_id == sh.id and own.opened_on == date(2022, 9, 1)
    assert haversine_km(sh.center_lat, sh.center_lon, own.lat, own.lon) < 1
    assert all(
        haversine_km(h.lat, h.lon, h.village.center_lat, h.village.center_lon) <= 1.51 for h in rows
    )
    kinds = {f.kind.value for f in db.session.scalars(select(Facility))}
    assert {"primary_school", "clinic", "village_committee", "social_work_station"} <= kinds


def test_demo_synthetic_records_are_added_once(app, ctx):
    from cbpar import demo

    demo.load(households=30, facilities=9)
    demo.load(households=40, facilities=9)
    project = db.session.scalar(select(Project).where(Project.slug == demo.DEMO_SLUG))
    count = db.session.scalar(
        select(func.count(Household.id)).where(Household.project_id == project.id)
    )
    assert count == 120 + 40
    names = list(db.session.scalars(select(Facility.name).where(Facility.name.like("Synthetic%"))))
    assert len(names) == 9
    kinds = db.session.scalars(select(Facility.kind).where(Facility.name.like("Synthetic%"))).all()
    assert kinds.count(FacilityKind.KINDERGARTEN) == 3
    assert db.session.scalar(select(Household.code).where(Household.number == 1001)) in {
        "LS-1001",
        "SH-1001",
    }
