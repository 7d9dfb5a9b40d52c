"""The needs register: proposing, evidence, status, and what observers see."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from cbpar.audit import AuditEvent
from cbpar.db import db
from cbpar.mapping.models import FacilityKind, SavedAnalysis
from cbpar.needs import services
from cbpar.needs.models import Need, NeedStatus


def test_committee_member_proposes_a_need(client, login, app, team):
    login("committee")
    response = client.post(
        "/projects/p1/needs/new",
        data={"title": "A kindergarten", "category": "childcare", "description": "**far**"},
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert b"<strong>far</strong>" in page.data
    with app.app_context():
        need = db.session.scalar(select(Need).where(Need.title == "A kindergarten"))
        assert need.proposed_by_id == team["users"]["committee"].id
        assert need.status == NeedStatus.PROPOSED


def test_observer_cannot_propose_and_sees_only_confirmed(client, login, needs, app):
    with app.app_context():
        services.set_status(db.session.get(Need, needs[0]), NeedStatus.CONFIRMED)
        db.session.commit()
    login("observer")
    assert client.get("/projects/p1/needs/new").status_code == 403
    page = client.get("/projects/p1/needs")
    assert b"Kindergarten in Shuanghe" in page.data and b"Safe road" not in page.data
    assert client.get(f"/projects/p1/needs/{needs[2]}").status_code == 404
    assert client.get(f"/projects/p1/needs/{needs[0]}").status_code == 200


def test_evidence_trail_and_status(client, login, needs, app, team):
    with app.app_context():
        analysis = SavedAnalysis(
            project_id=team["project"].id,
            name="62 children under 6 beyond 5 km",
            kind=FacilityKind.KINDERGARTEN,
            within_km=5.0,
            as_of=date(2020, 1, 1),
        )
        db.session.add(analysis)
        db.session.commit()
        analysis_id = analysis.id
    login("researcher")
    r = client.post(
        f"/projects/p1/needs/{needs[0]}/evidence", data={"record": f"saved_analysis:{analysis_id}"}
    )
    assert r.status_code == 302
    page = client.get(f"/projects/p1/needs/{needs[0]}")
    assert b"62 children under 6 beyond 5 km" in page.data
    declined = client.post(f"/projects/p1/needs/{needs[1]}/status", data={"status": "declined"})
    assert declined.status_code == 303
    client.post(
        f"/projects/p1/needs/{needs[1]}/status",
        data={"status": "declined", "reason": "Done by the county"},
    )
    with app.app_context():
        need = db.session.get(Need, needs[1])
        assert need.status == NeedStatus.DECLINED and need.declined_reason == "Done by the county"
        assert db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "need_status_changed")
        )
    client.post("/logout")
    login("committee")
    assert (
        client.post(f"/projects/p1/needs/{needs[1]}/status", data={"status": "met"}).status_code
        == 403
    )


def test_every_view_requires_a_capability(app):
    for name, view in app.view_functions.items():
        if name.startswith("needs.") or name.startswith("api.vote") or name == "api.needs_list":
            assert getattr(view, "required_capability", None), name
