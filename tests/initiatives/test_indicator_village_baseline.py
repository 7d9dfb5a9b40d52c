"""Issue 15: a computed indicator can count one village only, and its baseline is recorded when
it is created, then shown beside the current value on every page that shows the indicator."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from sqlalchemy import inspect, select, text

from cbpar import migrate
from cbpar.db import db, make_engine
from cbpar.initiatives.models import Indicator, IndicatorSource, Initiative, InitiativeStatus
from cbpar.mapping.models import Facility, FacilityKind, FacilityStatus, Household
from cbpar.projects.models import Village
from tests.helpers import SH, seed

BASE = "/projects/p1"
FAR = (42.2400, 120.0100)  # Liangshui: ~18 km from Shuanghe


def _two_villages_and_a_kindergarten(project) -> dict[str, int]:
    """Shuanghe: 3 households with 2 children under 6 each, beside a planned kindergarten;
    Liangshui: 5 households with 1 child each, within 5 km of an operating kindergarten there."""
    shuanghe = db.session.scalar(
        select(Village).where(Village.project_id == project.id, Village.code == "SH")
    )
    liangshui = Village(project_id=project.id, name="Liangshui", code="LS")
    db.session.add(liangshui)
    db.session.flush()
    planned = Facility(
        project_id=project.id,
        name="Shuanghe Kindergarten",
        kind=FacilityKind.KINDERGARTEN,
        status=FacilityStatus.PLANNED,
        lat=SH[0],
        lon=SH[1],
    )
    db.session.add(planned)
    db.session.add(
        Facility(
            project_id=project.id,
            name="Liangshui Kindergarten",
            kind=FacilityKind.KINDERGARTEN,
            status=FacilityStatus.OPERATING,
            lat=FAR[0],
            lon=FAR[1],
            opened_on=date(2010, 9, 1),
        )
    )
    for village, (lat, lon), count, children in ((shuanghe, SH, 3, 2), (liangshui, FAR, 5, 1)):
        for i in range(count):
            db.session.add(
                Household(
                    project_id=project.id,
                    village_id=village.id,
                    number=i + 1,
                    code=f"{village.code}-{i + 1:03d}",
                    lat=lat + 0.001 * i,
                    lon=lon,
                    members=4,
                    children_under_6=children,
                )
            )
    initiative = Initiative(
        project_id=project.id,
        title="Build a kindergarten",
        status=InitiativeStatus.PLANNING,
        currency="CNY",
        starts_on=date(2020, 3, 1),
        facility_id=None,
    )
    db.session.add(initiative)
    db.session.flush()
    return {
        "initiative": initiative.id,
        "shuanghe": shuanghe.id,
        "liangshui": liangshui.id,
        "facility": planned.id,
    }


def _computed(client, initiative_id: int, village_id: int | str = "", **extra) -> int:
    data = {
        "name": "Children under 6 near a kindergarten",
        "unit": "children",
        "source": "computed",
        "measure": "children_under_6",
        "facility_kind": "kindergarten",
        "within_km": "5",
        "village_id": str(village_id),
        **extra,
    }
    response = client.post(f"{BASE}/initiatives/{initiative_id}/indicators", data=data)
    assert response.status_code == 303, response.status_code
    return max(i["id"] for i in _indicators(client))


def _indicators(client) -> list[dict]:
    return client.get(f"/api/v1{BASE}/initiatives").get_json()["initiatives"][0]["indicators"]


def _open_kindergarten(app, facility_id: int) -> None:
    def open_it(project):
        facility = db.session.get(Facility, facility_id)
        facility.status, facility.opened_on = FacilityStatus.OPERATING, date(2022, 9, 1)

    seed(app, open_it)


def test_a_village_indicator_counts_only_that_village(app, client, team, login):
    ids = seed(app, _two_villages_and_a_kindergarten)
    login("coordinator")
    everywhere = _computed(client, ids["initiative"])
    shuanghe = _computed(client, ids["initiative"], ids["shuanghe"])
    liangshui = _computed(client, ids["initiative"], ids["liangshui"])
    _open_kindergarten(app, ids["facility"])
    by_id = {i["id"]: i for i in _indicators(client)}
    assert by_id[everywhere]["current"] == "11"  # 3 x 2 in Shuanghe + 5 x 1 in Liangshui
    assert by_id[shuanghe]["current"] == "6"
    assert by_id[liangshui]["current"] == "5"
    assert by_id[shuanghe]["village"] == "Shuanghe"
    assert by_id[shuanghe]["village_id"] == ids["shuanghe"]
    assert by_id[everywhere]["village"] is None
    page = client.get(f"{BASE}/initiatives/{ids['initiative']}").get_data(as_text=True)
    assert "children under 6 in Shuanghe within 5 km" in page


def test_the_baseline_is_recorded_once_and_kept_when_the_map_changes(app, client, team, login):
    ids = seed(app, _two_villages_and_a_kindergarten)
    login("coordinator")
    indicator_id = _computed(client, ids["initiative"], ids["shuanghe"])
    with app.app_context():
        stored = db.session.get(Indicator, indicator_id)
        # Recorded on creation, as of the initiative's start: the kindergarten was not open.
        assert stored.baseline == 0 and stored.baseline_on == date(2020, 3, 1)
    _open_kindergarten(app, ids["facility"])

    def more_children(project):  # the map changes after the baseline was recorded
        db.session.add(
            Household(
                project_id=project.id,
                village_id=ids["shuanghe"],
                number=9,
                code="SH-009",
                lat=SH[0],
                lon=SH[1] + 0.002,
                members=3,
                children_under_6=1,
            )
        )

    seed(app, more_children)
    item = next(i for i in _indicators(client) if i["id"] == indicator_id)
    assert (item["baseline"], item["baseline_as_of"], item["current"]) == ("0", "2020-03-01", "7")

    # Counting something else records a new baseline: the old one measured another thing.
    edit = f"{BASE}/initiatives/{ids['initiative']}/indicators/{indicator_id}"
    response = client.post(
        edit,
        data={
            "name": "Households near",
            "source": "computed",
            "measure": "households",
            "facility_kind": "kindergarten",
            "within_km": "5",
            "village_id": str(ids["shuanghe"]),
        },
    )
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Indicator, indicator_id).baseline == 0  # households, on 2020-03-01
    # A rename keeps it.
    client.post(
        edit,
        data={
            "name": "Households nearby",
            "source": "computed",
            "measure": "households",
            "facility_kind": "kindergarten",
            "within_km": "5",
            "village_id": str(ids["shuanghe"]),
        },
    )
    with app.app_context():
        stored = db.session.get(Indicator, indicator_id)
        assert stored.name == "Households nearby" and stored.baseline_on == date(2020, 3, 1)


def test_without_a_start_date_the_baseline_is_todays_figure(app, client, team, login):
    ids = seed(app, _two_villages_and_a_kindergarten)

    def no_start(project):
        db.session.get(Initiative, ids["initiative"]).starts_on = None

    seed(app, no_start)
    login("coordinator")
    indicator_id = _computed(client, ids["initiative"], ids["liangshui"])
    item = next(i for i in _indicators(client) if i["id"] == indicator_id)
    assert item["baseline"] == "5" and item["baseline"] == item["current"]
    assert item["baseline_as_of"] == item["current_as_of"]


def _row(html: str, name: str) -> str:
    match = re.search(re.escape(name) + r".*?</tr>", html, re.S)
    assert match, f"no row for {name}"
    return match.group(0)


def test_baseline_beside_current_on_every_page_and_public_figures_suppressed(
    app, client, team, login
):
    ids = seed(app, _two_villages_and_a_kindergarten)
    login("coordinator")
    _computed(client, ids["initiative"], ids["shuanghe"], name="Shuanghe children near")
    _open_kindergarten(app, ids["facility"])
    pages = {
        "initiative": f"{BASE}/initiatives/{ids['initiative']}",
        "impact": f"{BASE}/impact",
        "transparency": f"{BASE}/transparency",
        "report": f"{BASE}/report",
    }
    for page, url in pages.items():
        row = _row(client.get(url).get_data(as_text=True), "Shuanghe children near")
        baseline = re.search(r'data-value="baseline">(.*?)</td>', row, re.S)
        current = re.search(r'data-value="current">(.*?)</td>', row, re.S)
        assert baseline and current, page
        assert baseline.group(1).strip().startswith("0") and "2020-03-01" in baseline.group(1)
        assert current.group(1).strip().startswith("6"), page  # 5 or more: shown to all
    markdown = client.get(f"{BASE}/report.md").get_data(as_text=True)
    line = next(x for x in markdown.splitlines() if "Shuanghe children near" in x)
    assert "baseline 0 (2020-03-01) → now 6" in line and "(Shuanghe)" in line


def test_small_village_figures_are_suppressed_for_the_public(app, client, team, login):
    ids = seed(app, _two_villages_and_a_kindergarten)

    def fewer(project):  # Shuanghe: 2 children near the kindergarten once it opens
        for household in db.session.scalars(
            select(Household).where(Household.village_id == ids["shuanghe"])
        ):
            household.children_under_6 = 1 if household.number == 1 else 0
        db.session.get(Facility, ids["facility"]).status = FacilityStatus.OPERATING

    seed(app, fewer)
    login("coordinator")
    _computed(client, ids["initiative"], ids["shuanghe"], name="Shuanghe children near")
    transparency = client.get(f"{BASE}/transparency").get_data(as_text=True)
    assert "fewer than 5" in _row(transparency, "Shuanghe children near")
    field = client.get(f"{BASE}/initiatives/{ids['initiative']}").get_data(as_text=True)
    assert "fewer than 5" not in _row(field, "Shuanghe children near")
    client.post("/logout")
    login("observer")
    api = _indicators(client)
    assert api[0]["current"] == "<5" and api[0]["baseline"] == "<5"  # both: 1 child


def test_an_unrecorded_baseline_reads_not_recorded(app, client, team, login):
    ids = seed(app, _two_villages_and_a_kindergarten)

    def old_indicator(project):  # as a row from before the baseline was recorded
        db.session.add(
            Indicator(
                project_id=project.id,
                initiative_id=ids["initiative"],
                name="Old computed indicator",
                source=IndicatorSource.COMPUTED,
                measure="households",
                facility_kind="kindergarten",
                within_km=Decimal(5),
            )
        )

    seed(app, old_indicator)
    login("observer")
    html = client.get(f"{BASE}/initiatives/{ids['initiative']}").get_data(as_text=True)
    assert "not recorded" in _row(html, "Old computed indicator")
    report = client.get(f"{BASE}/report").get_data(as_text=True)
    assert "not recorded" in _row(report, "Old computed indicator")


def test_the_form_offers_the_projects_villages_and_refuses_others(
    app, client, team, login, make_project
):
    ids = seed(app, _two_villages_and_a_kindergarten)
    other = make_project("p2")
    with app.app_context():
        foreign = db.session.scalar(select(Village.id).where(Village.project_id == other.id))
    login("coordinator")
    page = client.get(f"{BASE}/initiatives/{ids['initiative']}").get_data(as_text=True)
    assert f'<option value="{ids["liangshui"]}">Liangshui</option>' in page
    response = client.post(
        f"{BASE}/initiatives/{ids['initiative']}/indicators",
        data={
            "name": "Near",
            "source": "computed",
            "measure": "households",
            "facility_kind": "kindergarten",
            "within_km": "5",
            "village_id": str(foreign),
        },
    )
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(Indicator.id)) is None


def test_the_demo_counts_each_village_apart(tmp_path):
    from cbpar.initiatives import results
    from cbpar.projects.models import Project
    from tests.helpers import fresh_app

    app = fresh_app(tmp_path, demo=True)
    with app.test_request_context():
        project = db.session.scalar(select(Project))
        found = {}
        for initiative in db.session.scalars(select(Initiative)):
            values = results.indicator_values(project, [initiative])
            for ind in initiative.indicators:
                found[ind.name] = (ind.village.code if ind.village else None, values[ind.id])
    liangshui = next(v for k, v in found.items() if k.startswith("Liangshui children"))
    shuanghe = next(v for k, v in found.items() if k.startswith("Shuanghe children"))
    assert liangshui[0] == "LS" and shuanghe[0] == "SH"
    # No kindergarten within 5 km of Liangshui, then or now; Shuanghe's opened in 2022.
    assert (liangshui[1].baseline, liangshui[1].current) == (0, 0)
    assert shuanghe[1].baseline == 0 and shuanghe[1].current > 0


def _insert(connection, table: str, **values) -> None:
    """A row at an old revision: columns not given but required get a plain filler value."""
    fillers = {
        "INTEGER": 0,
        "FLOAT": 0.0,
        "BOOLEAN": 0,
        "DATE": "2026-01-01",
        "JSON": "null",
        "DATETIME": "2026-01-01 00:00:00.000000",
    }
    for column in inspect(connection).get_columns(table):
        name, kind = column["name"], str(column["type"]).split("(")[0]
        if name in values or column["nullable"] or column.get("default") is not None:
            continue
        if column.get("autoincrement") is True or name == "id":
            continue
        values[name] = fillers.get(kind, "")
    names = ", ".join(values)
    marks = ", ".join(f":{k}" for k in values)
    connection.execute(text(f"INSERT INTO {table} ({names}) VALUES ({marks})"), values)


def test_migration_records_the_baseline_existing_indicators_showed(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    migrate.upgrade(engine, "0015")
    with engine.begin() as c:
        _insert(c, "project", id=1, slug="p", name="P", timezone="Asia/Shanghai")
        _insert(c, "village", id=1, project_id=1, name="Shuanghe", code="SH")
        _insert(
            c,
            "facility",
            project_id=1,
            village_id=1,
            name="K",
            kind="kindergarten",
            status="operating",
            lat=SH[0],
            lon=SH[1],
            opened_on="2022-09-01",
        )
        for number in (1, 2):
            _insert(
                c,
                "household",
                project_id=1,
                village_id=1,
                number=number,
                code=f"SH-00{number}",
                lat=SH[0],
                lon=SH[1],
                members=4,
                children_under_6=3,
                left_behind_children=1,
            )
        for initiative_id, start in ((1, "2020-03-01"), (2, None)):
            _insert(
                c,
                "initiative",
                id=initiative_id,
                project_id=1,
                title="I",
                status="completed",
                currency="CNY",
                starts_on=start,
            )
            _insert(
                c,
                "indicator",
                project_id=1,
                initiative_id=initiative_id,
                name="Near",
                source="computed",
                measure="children_under_6",
                facility_kind="kindergarten",
                within_km=5,
            )
        _insert(
            c, "indicator", project_id=1, initiative_id=1, name="Typed", source="manual", baseline=7
        )
    migrate.upgrade(engine, "0016")
    with engine.connect() as c:
        rows = c.execute(
            text(
                "SELECT initiative_id, baseline, baseline_on, village_id FROM indicator ORDER BY id"
            )
        ).all()
    engine.dispose()
    # Before the kindergarten opened (the start date): 0; no start date: today's 6.
    assert [(r[0], float(r[1]), r[3]) for r in rows] == [
        (1, 0.0, None),
        (2, 6.0, None),
        (1, 7.0, None),
    ]
    assert str(rows[0][2]) == "2020-03-01" and rows[1][2] is not None
    assert rows[2][2] is None  # typed by hand: no date
