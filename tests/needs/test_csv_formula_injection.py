"""Issue 11, finding 8: no CSV the product writes carries a live spreadsheet formula.

Records of every kind that reaches a CSV get titles, names and notes starting with each of
= + - @ TAB CR; then every CSV export route (found in the URL map: the routes that answer
text/csv, and the CSV files inside the records export) is downloaded as a coordinator, parsed
with the csv module, and no cell may start with one of those characters.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta
from decimal import Decimal

from cbpar import csvout
from cbpar.care.models import Child, ChildSex
from cbpar.db import db, utcnow
from cbpar.initiatives.models import Initiative
from cbpar.mapping.models import Caregiver, Facility, FacilityKind, Household, MigrantParents
from cbpar.needs.models import Ballot, Need, NeedCategory, VoteMethod, VoteOption, VoteRound
from cbpar.projects.models import Village
from cbpar.qda.models import Code

STARTS = ("=", "+", "-", "@", "\t", "\r")
KNOWN_CSV_ROUTES = {
    "mapping.households_csv",
    "mapping.facilities_csv",
    "mapping.nearest_csv",
    "transfer.export_households",
    "transfer.export_facilities",
    "needs.ballots_download",
    "care.children_csv",
}


def test_the_cell_helper_escapes_formulas_but_keeps_numbers():
    for start in STARTS:
        assert csvout.cell(f"{start}HYPERLINK(1)") == f"'{start}HYPERLINK(1)"
    assert csvout.cell("＝1+1") == "'＝1+1"
    assert csvout.cell(-3) == "-3" and csvout.cell(-12.5) == "-12.5"
    assert csvout.cell(Decimal("-4.20")) == "-4.20"
    assert csvout.cell(-1.23456789, float_decimals=6) == "-1.234568"
    assert csvout.cell("-3") == "'-3"  # text that looks like a number is still text
    assert csvout.cell(None) == "" and csvout.cell("Kindergarten") == "Kindergarten"


def _seed(app, project_id: int) -> int:
    """Hostile text in every kind of record a CSV carries; the closed round's id."""
    with app.app_context():
        needs = []
        for i, start in enumerate(STARTS):
            village = Village(
                project_id=project_id,
                name=f'{start}HYPERLINK("http://x.test","v{i}")',
                code=f"X{i}",
            )
            db.session.add(village)
            db.session.flush()
            household = Household(
                project_id=project_id,
                village_id=village.id,
                number=1,
                code=f"{start}H{i}",
                lat=42.3 + i / 100,
                lon=119.8,
                consent_given_by=f"{start}cmd|' /C calc'!A0",
                notes=f"{start}1+1",
            )
            db.session.add(household)
            db.session.flush()
            db.session.add(
                Child(
                    project_id=project_id,
                    household_id=household.id,
                    number=1,
                    code=f"{start}H{i}-1",
                    birth_year=2020,
                    sex=ChildSex.GIRL,
                    school=f"{start}SUM(1,2)",
                    grade=f"{start}1",
                    parents_away=MigrantParents.BOTH,
                    caregiver=Caregiver.GRANDPARENTS,
                    consent_given_by=f"{start}cmd|' /C calc'!A0",
                )
            )
            db.session.add(
                Facility(
                    project_id=project_id,
                    village_id=village.id,
                    name=f'{start}HYPERLINK("http://x.test","f{i}")',
                    kind=FacilityKind.KINDERGARTEN,
                    lat=42.31 + i / 100,
                    lon=119.81,
                    notes=f"{start}SUM(1,2)",
                )
            )
            db.session.add(
                Code(project_id=project_id, name=f"{start}code {i}", definition=f"{start}SUM(1)")
            )
            db.session.add(
                Initiative(
                    project_id=project_id,
                    title=f"{start}initiative {i}",
                    lead_organisation=f"{start}org",
                )
            )
            need = Need(
                project_id=project_id,
                title=f'{start}HYPERLINK("http://x.test","n{i}")',
                category=NeedCategory.OTHER,
            )
            db.session.add(need)
            needs.append(need)
        db.session.flush()
        vote = VoteRound(
            project_id=project_id,
            title='=HYPERLINK("http://x.test","round")',
            description="-round",
            method=VoteMethod.BORDA,
            eligible_roles=["committee"],
            opens_at=utcnow() - timedelta(days=2),
            closes_at=utcnow() - timedelta(days=1),
        )
        vote.options = [VoteOption(need_id=n.id, position=p) for p, n in enumerate(needs)]
        db.session.add(vote)
        db.session.flush()
        db.session.add(Ballot(round_id=vote.id, voter_key="k", receipt="R", choices=[needs[0].id]))
        db.session.commit()
        return vote.id


def _csv_urls(app, round_id: int) -> dict[str, list[str]]:
    """Every GET route that may answer CSV, by endpoint, built for project p1."""
    values = {"slug": "p1", "fmt": "csv", "round_id": round_id}
    urls: dict[str, list[str]] = {}
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        for rule in app.url_map.iter_rules():
            if "GET" not in (rule.methods or ()) or not rule.arguments <= set(values):
                continue
            if "fmt" not in rule.arguments and not rule.rule.endswith((".csv", ".zip")):
                continue
            url = adapter.build(rule.endpoint, {k: values[k] for k in rule.arguments})
            urls.setdefault(rule.endpoint, []).append(url)
    return urls


def _cells(body: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(body, newline="")) for c in row]


def test_no_csv_export_has_a_live_formula(app, client, login, team):
    round_id = _seed(app, team["project"].id)
    login("coordinator")
    answered_csv = set()
    documents = 0
    for endpoint, urls in _csv_urls(app, round_id).items():
        for url in urls:
            response = client.get(url, query_string={"kind": "kindergarten", "within_km": "50"})
            if response.status_code != 200:
                continue
            bodies: list[str] = []
            if response.mimetype == "text/csv":
                answered_csv.add(endpoint)
                bodies.append(response.get_data(as_text=True))
            elif response.mimetype == "application/zip":
                with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
                    bodies += [
                        archive.read(n).decode() for n in archive.namelist() if n.endswith(".csv")
                    ]
            for body in bodies:
                cells = _cells(body)
                live = [c for c in cells if c.startswith(STARTS)]
                assert live == [], (url, live[:3])
                documents += 1
            if response.mimetype == "text/csv":
                escaped = [c for c in _cells(bodies[0]) if c[:1] == "'" and c[1:2] in STARTS]
                assert escaped, url  # the hostile records did reach this export
    assert answered_csv >= KNOWN_CSV_ROUTES, KNOWN_CSV_ROUTES - answered_csv
    assert documents > len(KNOWN_CSV_ROUTES)  # the records export's CSV files too
