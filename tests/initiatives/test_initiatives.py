"""Initiatives: exact funding totals, status flows on needs and facilities, computed indicators,
validation, permissions, the transparency page and its public link, the API, and N+1."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from cbpar.audit import AuditEvent
from cbpar.db import db
from cbpar.initiatives import funding, results, transparency
from cbpar.initiatives.models import (
    Contribution,
    Funder,
    FunderType,
    Initiative,
    TransparencyLink,
)
from cbpar.mapping.models import Facility, FacilityStatus
from cbpar.needs.models import Need, NeedStatus
from tests.helpers import (
    StatementCounter,
    confirmed_need,
    edit_version,
    full_initiative,
    planned_kindergarten,
    seed,
    town_kindergarten_and_households,
)

BASE = "/projects/p1"


def _initiative_form(**overrides):
    data = {
        "title": "Build a kindergarten",
        "description": "For the children of Shuanghe.",
        "status": "planning",
        "currency": "CNY",
        "budget_target": "600000",
        "roles": "village committee: hire a kindergarten teacher\nagency: raise funds",
        "starts_on": "2020-03-01",
    }
    data.update(overrides)
    return data


def _create(client, **overrides) -> int:
    response = client.post(f"{BASE}/initiatives/new", data=_initiative_form(**overrides))
    assert response.status_code == 303, response.data[:300]
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def _edit(client, initiative_id: int, data: dict):
    """Post the edit form with the version its page was loaded with, as a browser does."""
    edit = f"{BASE}/initiatives/{initiative_id}/edit"
    return client.post(edit, data={**data, "version": edit_version(client, edit)})


def _funder(app, name="Foundation A", type_=FunderType.FOUNDATION) -> int:
    def make(project):
        funder = Funder(project_id=project.id, name=name, type=type_)
        db.session.add(funder)
        db.session.flush()
        return funder.id

    return seed(app, make)


def _contribute(client, initiative_id, funder_id, **data):
    form = {"funder_id": str(funder_id), "kind": "cash", "status": "pledged", "currency": "CNY"}
    form.update(data)
    return client.post(f"{BASE}/initiatives/{initiative_id}/contributions", data=form)


# --- funding ---------------------------------------------------------------------------------


def test_pledges_of_0_1_and_0_2_sum_to_exactly_0_30(app, client, team, login):
    login("coordinator")
    initiative_id = _create(client, budget_target="0.60")
    funder_id = _funder(app)
    assert _contribute(client, initiative_id, funder_id, amount="0.1").status_code == 303
    assert _contribute(client, initiative_id, funder_id, amount="0.2").status_code == 303

    with app.app_context():
        initiative = db.session.get(Initiative, initiative_id)
        totals = funding.totals(initiative)
        assert totals.pledged_main == Decimal("0.30")
        assert isinstance(totals.pledged_main, Decimal)
        assert totals.received_main == Decimal("0.00")
        assert totals.pledged_percent == 50

    body = client.get(f"/api/v1{BASE}/initiatives").get_json()
    assert body["initiatives"][0]["pledged"] == "0.30"
    assert body["initiatives"][0]["budget_target"] == "0.60"
    assert "CNY 0.30" in client.get(f"{BASE}/initiatives/{initiative_id}").get_data(as_text=True)


def test_totals_keep_currencies_apart_and_count_in_kind_separately(ctx, team):
    project = db.session.get(type(team["project"]), team["project"].id)
    funder = Funder(project_id=project.id, name="F", type=FunderType.NGO)
    db.session.add(funder)
    initiative = Initiative(
        project_id=project.id, title="T", budget_target=Decimal("1000.00"), currency="CNY"
    )
    db.session.add(initiative)
    db.session.flush()
    rows = [
        ("cash", "received", Decimal("0.10"), "CNY", None),
        ("cash", "received", Decimal("0.20"), "CNY", None),
        ("cash", "pledged", Decimal("999.99"), "CNY", None),
        ("cash", "received", Decimal("50.00"), "USD", None),
        ("in_kind", "received", None, "CNY", Decimal("16000.00")),
    ]
    for kind, status, amount, currency, value in rows * 20:
        funding.add_contribution(
            initiative,
            {
                "funder_id": funder.id,
                "kind": kind,
                "status": status,
                "amount": amount,
                "currency": currency,
                "items": "desks" if kind == "in_kind" else "",
                "quantity": 40 if kind == "in_kind" else None,
                "estimated_value": value,
            },
        )
    db.session.flush()
    db.session.expire_all()  # read the amounts back from the database
    totals = funding.totals(db.session.get(Initiative, initiative.id))
    assert totals.received == {"CNY": Decimal("6.00"), "USD": Decimal("1000.00")}
    assert totals.pledged == {"CNY": Decimal("20005.80"), "USD": Decimal("1000.00")}
    assert totals.in_kind == {"CNY": Decimal("320000.00")}
    assert totals.other_currencies == ["USD"]
    assert totals.received_percent == 0  # 6.00 of 1000
    assert totals.pledged_percent == 100  # capped
    assert len(totals.items) == 20 and totals.items[0].quantity == 40
    chain = results.chain(project)
    assert chain.received == {"CNY": Decimal("6.00"), "USD": Decimal("1000.00")}


def test_contribution_validation_keeps_input_and_saves_nothing(app, client, team, login):
    login("researcher")
    initiative_id = _create(client)
    funder_id = _funder(app)
    response = _contribute(client, initiative_id, funder_id, amount="12.345", currency="XYZ")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "at most 2 decimal places" in page
    assert "ISO 4217" in page
    assert 'value="12.345"' in page and 'value="XYZ"' in page
    response = _contribute(client, initiative_id, funder_id, kind="in_kind", items="")
    assert response.status_code == 422
    assert "Say what was given" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Contribution.id)) is None


def test_initiative_validation(app, client, team, login):
    login("coordinator")
    response = client.post(
        f"{BASE}/initiatives/new",
        data=_initiative_form(
            title="Keep me",
            currency="yuan",
            roles="no colon on this line",
            ends_on="2019-01-01",
            budget_target="1e5",
        ),
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="Keep me"' in page
    assert "no colon on this line" in page
    assert "cannot be before the start date" in page
    assert "ISO 4217" in page
    with app.app_context():
        assert db.session.scalar(select(Initiative.id)) is None


# --- status flows: needs and facilities ------------------------------------------------------


def test_status_flow_moves_need_and_facility(app, client, team, login):
    need_id = seed(app, confirmed_need)
    facility_id = seed(app, planned_kindergarten)
    login("coordinator")
    initiative_id = _create(client, need_ids=[str(need_id)], facility_id=str(facility_id))

    with app.app_context():
        assert db.session.get(Need, need_id).status == NeedStatus.BEING_ADDRESSED
        assert db.session.get(Facility, facility_id).status == FacilityStatus.PLANNED

    form = _initiative_form(need_ids=[str(need_id)], facility_id=str(facility_id))
    assert _edit(client, initiative_id, {**form, "status": "in_progress"}).status_code == 303
    with app.app_context():
        assert db.session.get(Facility, facility_id).status == FacilityStatus.UNDER_CONSTRUCTION

    response = _edit(
        client, initiative_id, {**form, "status": "completed", "opened_on": "2022-09-01"}
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/initiatives/{initiative_id}/needs-met")
    with app.app_context():
        facility = db.session.get(Facility, facility_id)
        assert facility.status == FacilityStatus.OPERATING
        assert facility.opened_on == date(2022, 9, 1)
        # Completing only offers: the need is not met until someone confirms it.
        assert db.session.get(Need, need_id).status == NeedStatus.BEING_ADDRESSED

    page = client.get(f"{BASE}/initiatives/{initiative_id}/needs-met").get_data(as_text=True)
    assert "A kindergarten in Shuanghe" in page
    response = client.post(
        f"{BASE}/initiatives/{initiative_id}/needs-met", data={"need_id": str(need_id)}
    )
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Need, need_id).status == NeedStatus.MET
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"initiative_created", "initiative_updated", "need_status_changed"} <= actions
        assert {"facility_updated", "facility_followed_initiative"} <= actions


def test_an_improved_operating_facility_never_goes_back_to_planned(app, client, team, login):
    def operating(project):
        facility_id = planned_kindergarten(project)
        facility = db.session.get(Facility, facility_id)
        facility.status, facility.opened_on = FacilityStatus.OPERATING, date(2010, 9, 1)
        return facility_id

    facility_id = seed(app, operating)
    login("coordinator")
    initiative_id = _create(client, facility_id=str(facility_id), status="proposed")
    response = _edit(
        client, initiative_id, _initiative_form(facility_id=str(facility_id), status="completed")
    )
    assert response.status_code == 303
    with app.app_context():
        facility = db.session.get(Facility, facility_id)
        assert facility.status == FacilityStatus.OPERATING
        assert facility.opened_on == date(2010, 9, 1)


# --- indicators ------------------------------------------------------------------------------


def test_computed_indicator_baseline_before_opening_and_current_after(app, client, team, login):
    seed(app, town_kindergarten_and_households)
    facility_id = seed(app, planned_kindergarten)
    login("coordinator")
    initiative_id = _create(client, facility_id=str(facility_id), starts_on="2020-03-01")
    response = client.post(
        f"{BASE}/initiatives/{initiative_id}/indicators",
        data={
            "name": "Children under 6 within 5 km of a kindergarten",
            "unit": "children",
            "source": "computed",
            "measure": "children_under_6",
            "facility_kind": "kindergarten",
            "within_km": "5",
        },
    )
    assert response.status_code == 303
    response = _edit(
        client,
        initiative_id,
        _initiative_form(facility_id=str(facility_id), status="completed", opened_on="2022-09-01"),
    )
    assert response.status_code == 303
    indicator = client.get(f"/api/v1{BASE}/initiatives").get_json()["initiatives"][0]["indicators"][
        0
    ]
    # On the start date the new kindergarten had not opened: the town's is ~11 km away.
    assert indicator["baseline"] == "0"
    assert indicator["baseline_as_of"] == "2020-03-01"
    assert indicator["current"] == "6"  # 3 households x 2 children, now within 5 km

    # The same figures as the map's own analysis gives.
    with app.app_context():
        from cbpar.mapping import analysis
        from cbpar.mapping.models import FacilityKind

        params = analysis.Params(FacilityKind.KINDERGARTEN, 5.0, date(2020, 3, 1))
        answer = analysis.accessibility(team["project"].id, params)
        assert answer["children_under_6"] - answer["children_under_6_beyond"] == 0


def test_computed_indicator_needs_a_distance(client, team, login):
    login("coordinator")
    initiative_id = _create(client)
    response = client.post(
        f"{BASE}/initiatives/{initiative_id}/indicators",
        data={"name": "Near", "source": "computed", "measure": "households",
              "facility_kind": "kindergarten", "within_km": ""},
    )  # fmt: skip
    assert response.status_code == 422
    assert "needs a distance" in response.get_data(as_text=True)


# --- permissions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "read", "edit"),
    [
        ("coordinator", 200, 200),
        ("researcher", 200, 200),
        ("field_worker", 200, 403),
        ("committee", 200, 403),
        ("observer", 200, 403),
        ("outsider", 404, 404),
    ],
)
def test_permissions(app, client, team, login, role, read, edit):
    initiative_id = seed(app, lambda p: full_initiative(p, "Kindergarten").id)
    login(role)
    for url in (
        f"{BASE}/initiatives/",
        f"{BASE}/initiatives/{initiative_id}",
        f"{BASE}/funders/",
        f"{BASE}/timeline",
        f"{BASE}/impact",
        f"{BASE}/transparency",
        f"/api/v1{BASE}/initiatives",
    ):
        assert client.get(url).status_code == read, url
    assert client.get(f"{BASE}/initiatives/new").status_code == edit
    assert client.get(f"{BASE}/initiatives/{initiative_id}/edit").status_code == edit
    post = client.post(f"{BASE}/initiatives/{initiative_id}/milestones", data={"title": "x"})
    assert post.status_code == (303 if edit == 200 else edit)
    if role != "coordinator":
        assert client.post(f"{BASE}/transparency/link").status_code in (403, 404)


def test_every_view_declares_a_capability(app):
    for name, view in app.view_functions.items():
        if name.startswith("initiatives.") or name == "api.initiatives":
            assert getattr(view, "required_capability", None), name


# --- transparency ----------------------------------------------------------------------------


def _personal(project):
    from cbpar.auth.models import User

    lead = db.session.scalar(select(User).where(User.username == "researcher"))
    lead.display_name = "Secret Lead Person"
    initiative = full_initiative(project, "Build a kindergarten", lead_user_id=lead.id)
    donor = Funder(project_id=project.id, name="Wang Private Donor", type=FunderType.INDIVIDUAL)
    db.session.add(donor)
    db.session.flush()
    funding.add_contribution(
        initiative,
        {"funder_id": donor.id, "kind": "cash", "status": "received",
         "amount": Decimal("500.00"), "currency": "CNY"},
    )  # fmt: skip
    initiative.milestones[0].note = "Visited household SH-001, grandmother Li"
    return initiative.id


PERSONAL = ("Secret Lead Person", "Wang Private Donor", "SH-001", "grandmother Li")


def test_observer_sees_no_personal_data(app, client, team, login):
    initiative_id = seed(app, _personal)
    login("observer")
    for url in (
        f"{BASE}/transparency",
        f"{BASE}/initiatives/{initiative_id}",
        f"{BASE}/funders/",
        f"{BASE}/timeline",
        f"{BASE}/milestones/{initiative_id}",
    ):
        response = client.get(url)
        page = response.get_data(as_text=True)
        for secret in PERSONAL:
            assert secret not in page, (url, secret)
    page = client.get(f"{BASE}/transparency").get_data(as_text=True)
    assert "Build a kindergarten" in page and "Individual donor" in page
    assert "CNY 800.30" in page  # 100.10 + 200.20 + 500.00 received
    api = client.get(f"/api/v1{BASE}/initiatives").get_data(as_text=True)
    for secret in PERSONAL:
        assert secret not in api


def test_public_link_shows_page_without_login_and_stops_when_revoked(app, client, team, login):
    seed(app, _personal)
    login("coordinator")
    assert client.post(f"{BASE}/transparency/link").status_code == 303
    page = client.get(f"{BASE}/transparency").get_data(as_text=True)
    start = page.index("/t/")
    token = page[start + 3 : page.index("<", start)]
    assert len(token) > 20
    # Only once: the next visit does not show it again.
    assert f"/t/{token}" not in client.get(f"{BASE}/transparency").get_data(as_text=True)
    with app.app_context():
        stored = db.session.scalar(select(TransparencyLink))
        assert stored.token_hash != token and token not in stored.token_hash

    anonymous = app.test_client()
    response = anonymous.get(f"/t/{token}")
    assert response.status_code == 200
    public_page = response.get_data(as_text=True)
    assert "Build a kindergarten" in public_page
    for secret in PERSONAL:
        assert secret not in public_page
    assert f"{BASE}/milestones/" not in public_page  # no links into the workspace
    assert anonymous.get("/t/not-a-token").status_code == 404

    assert client.post(f"{BASE}/transparency/link/revoke").status_code == 303
    assert anonymous.get(f"/t/{token}").status_code == 404
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action)))
        assert "transparency_link_created" in actions
        assert "transparency_link_revoked" in actions


def test_a_new_link_replaces_the_old_one(app, ctx, team):
    project = db.session.get(type(team["project"]), team["project"].id)
    first = transparency.create_link(project, None)
    second = transparency.create_link(project, None)
    assert transparency.project_for_token(first) is None
    assert transparency.project_for_token(second).id == project.id


# --- pages, API, N+1 -------------------------------------------------------------------------


def test_milestones_timeline_and_wider_impact(app, client, team, login):
    login("coordinator")
    initiative_id = _create(client)
    response = client.post(
        f"{BASE}/initiatives/{initiative_id}/milestones",
        data={"title": "Kindergarten built", "planned_on": "2022-08-15", "done_on": "2022-08-20"},
    )
    assert response.status_code == 303
    assert "Kindergarten built" in client.get(f"{BASE}/timeline").get_data(as_text=True)
    response = client.post(
        f"{BASE}/impact",
        data={"place": "Two other Banners", "given": "Four kindergartens renovated",
              "sites": "4", "initiative_id": str(initiative_id)},
    )  # fmt: skip
    assert response.status_code == 303
    home = client.get(f"{BASE}/").get_data(as_text=True)
    assert "From needs to results" in home
    assert "4 sites reached beyond the project" in home
    assert client.post(f"{BASE}/impact", data={"place": "", "sites": "0"}).status_code == 422


def test_api_shape(app, client, team, login):
    seed(app, lambda p: full_initiative(p, "Kindergarten"))
    login("committee")
    item = client.get(f"/api/v1{BASE}/initiatives").get_json()["initiatives"][0]
    assert item["title"] == "Kindergarten"
    assert item["status"] == "fundraising"
    assert item["received"] == "300.30" and item["pledged"] == "300.30"
    assert item["budget_target"] == "1000.00" and item["currency"] == "CNY"
    assert item["contributions"][0]["amount"] == "100.10"
    assert item["milestones"][0]["planned_on"] == "2020-06-01"
    assert item["indicators"][0]["current"] == "12"
    assert item["needs"] == [] and item["in_kind"] == []


def test_no_n_plus_one_on_lists(app, client, team, login):
    login("coordinator")
    urls = [f"{BASE}/initiatives/", f"{BASE}/transparency", f"/api/v1{BASE}/initiatives",
            f"{BASE}/funders/", f"{BASE}/timeline", f"{BASE}/"]  # fmt: skip
    counts = []
    for batch in (2, 8):
        seed(app, lambda p, b=batch: [full_initiative(p, f"I{b}-{i}") for i in range(b)])
        with app.app_context():
            engine = db.engine
        per_url = []
        for url in urls:
            with StatementCounter(engine) as counter:
                assert client.get(url).status_code == 200, url
            per_url.append(counter.count)
        counts.append(per_url)
    assert counts[0] == counts[1], counts


def test_need_page_include_lists_the_initiatives_answering_it(app, client, team, login):
    need_id = seed(app, confirmed_need)
    login("coordinator")
    _create(client, title="Kindergarten initiative", need_ids=[str(need_id)])
    with app.test_request_context():
        from flask import g, render_template

        from cbpar.projects.models import Membership, Project

        g.project = db.session.get(Project, team["project"].id)
        g.membership = db.session.scalar(
            select(Membership).where(Membership.user_id == team["users"]["observer"].id)
        )
        html = render_template("initiatives/_answering.html", need=db.session.get(Need, need_id))
    assert "Kindergarten initiative" in html
