"""Every helper and factory the tests share, in one place. Fixtures are in tests/conftest.py
(a feature's own fixtures in its conftest.py)."""

from __future__ import annotations

import atexit
import io
import json
import os
import re
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from cbpar import create_app
from cbpar.attachments import services as attachments
from cbpar.cli import main
from cbpar.db import Base, checkpoint_truncate, db
from cbpar.initiatives.models import (
    Contribution,
    ContributionKind,
    ContributionStatus,
    Funder,
    FunderType,
    Indicator,
    IndicatorSource,
    Initiative,
    InitiativeStatus,
    Milestone,
)
from cbpar.mapping.models import (
    Facility,
    FacilityKind,
    FacilityStatus,
    Household,
)
from cbpar.needs.models import Need, NeedCategory, NeedStatus
from cbpar.projects.models import Project, Village

# --- Apps and test configuration -------------------------------------------------------------


PASSWORD = "correct horse battery"
POSTGRES_URL = os.environ.get("CBPAR_TEST_DATABASE_URL", "")


def config_for_tests(tmp_path, **extra: Any) -> dict[str, Any]:
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": POSTGRES_URL or f"sqlite:///{tmp_path / 'test.sqlite3'}",
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        # A cheap hash keeps the suite fast; production uses scrypt.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
        "WTF_CSRF_ENABLED": False,
        "LOGIN_RATE_LIMIT_ENABLED": False,
        "SERVER_NAME": "localhost",
        **extra,
    }


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in page"
    return match.group(1)


# Database files built once per test run and copied for each fresh_app (a copy takes
# milliseconds; creating the tables, or loading the demo, takes seconds).
_TEMPLATES: dict[str, Path] = {}


def _template(kind: str) -> Path:
    """A SQLite file with every table ("empty") or with the demo project loaded ("demo")."""
    if kind not in _TEMPLATES:
        folder = Path(tempfile.mkdtemp(prefix=f"cbpar-template-{kind}-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = folder / "template.sqlite3"
        if kind == "demo":
            shutil.copyfile(_template("empty"), path)
        app = create_app(config_for_tests(folder, DATABASE_URL=f"sqlite:///{path}"))
        with app.app_context():
            if kind == "demo":
                from cbpar import demo

                demo.load()
                db.session.commit()
            else:
                Base.metadata.create_all(db.engine)
            # Everything into the main file, so copying that one file copies the database.
            assert checkpoint_truncate(db.engine), "template database still in use"
            db.engine.dispose()
        _TEMPLATES[kind] = path
    return _TEMPLATES[kind]


def fresh_app(tmp_path, demo: bool = False, **extra: Any) -> Flask:
    """An app of its own on a new SQLite file, for tests that commit for real or add routes;
    with `demo`, the demo project is loaded (as `cbpar demo` does)."""
    path = Path(tmp_path) / "own.sqlite3"
    if not path.exists():  # a second app on the same folder shares the first one's database
        template = _template("demo" if demo else "empty")
        shutil.copyfile(template, path)
        if demo:  # and the files the demo attached, in its instance folder
            instance = template.parent / "instance"
            shutil.copytree(instance, Path(tmp_path) / "instance", dirs_exist_ok=True)
    return create_app(config_for_tests(tmp_path, DATABASE_URL=f"sqlite:///{path}", **extra))


# --- Apps, clients and the command line ----------------------------------------------------------


def run(app, *args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, obj=ScriptInfo(create_app=lambda: app))


def make_project_with_villages(app, slug: str = "p1") -> int:
    with app.app_context():
        project = Project(slug=slug, name=f"Project {slug}")
        db.session.add(project)
        db.session.add(Village(project=project, name="Shuanghe", code="SH"))
        db.session.add(Village(project=project, name="Baiyin", code="BY"))
        db.session.commit()
        return project.id


def household_row(**fields: Any) -> dict[str, Any]:
    row = {
        "village": "Shuanghe",
        "lat": "42.36",
        "lon": "119.83",
        "members": "4",
        "children_under_6": "1",
        "children_6_17": "1",
        "left_behind_children": "2",
        "migrant_parents": "both",
        "caregiver": "grandparents",
        "visited_on": "",
    }
    row.update(fields)
    return row


def csv_bytes(rows: list[dict[str, Any]], delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    header = list(rows[0])
    lines = [delimiter.join(header)]
    lines += [delimiter.join(str(r.get(c, "")) for c in header) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def as_user(app, username: str) -> FlaskClient:
    """A client of its own, logged in as `username` (from the `team` fixture)."""
    c = app.test_client()
    response = c.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, f"log-in as {username} failed"
    return c


def new_memo(c: FlaskClient, **fields: Any) -> int:
    data = {
        "title": "A memo",
        "kind": "research_memo",
        "visibility": "team",
        "body": "Text",
        "tags": "",
    }
    data.update(fields)
    response = c.post("/projects/p1/memos/new", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return int(re.search(r"/memos/(\d+)$", response.headers["Location"]).group(1))


def version_of(c: FlaskClient, memo_id: int) -> str:
    page = c.get(f"/projects/p1/memos/{memo_id}/edit").get_data(as_text=True)
    return re.search(r'id="version" name="version" type="hidden" value="(\d+)"', page).group(1)


# --- Records made straight in the database -------------------------------------------------------


# Shuanghe's centre, and a point about 11 km away (the town's kindergarten).
SH = (42.3630, 119.8350)
TOWN = (42.2930, 119.9200)


def seed(app: Any, fn: Callable[[Project], Any], slug: str = "p1") -> Any:
    """Run `fn(project)` in its own app context and commit; returns what it returns."""
    with app.app_context():
        project = db.session.scalar(select(Project).where(Project.slug == slug))
        result = fn(project)
        db.session.commit()
        return result


def edit_version(client: Any, edit_url: str) -> str:
    """The version an edit page was loaded with (its hidden `version` field)."""
    page = client.get(edit_url).get_data(as_text=True)
    match = re.search(r'name="version" type="hidden" value="(\d+)"', page)
    assert match, "the edit form has no version field"
    return match[1]


def confirmed_need(project: Project, title: str = "A kindergarten in Shuanghe") -> int:
    need = Need(
        project_id=project.id,
        title=title,
        category=NeedCategory.CHILDCARE,
        status=NeedStatus.CONFIRMED,
    )
    db.session.add(need)
    db.session.flush()
    return need.id


def planned_kindergarten(project: Project) -> int:
    facility = Facility(
        project_id=project.id,
        name="Shuanghe Kindergarten (planned)",
        kind=FacilityKind.KINDERGARTEN,
        status=FacilityStatus.PLANNED,
        lat=SH[0],
        lon=SH[1],
    )
    db.session.add(facility)
    db.session.flush()
    return facility.id


def town_kindergarten_and_households(project: Project, n: int = 3) -> None:
    """A kindergarten ~11 km away, and `n` households with 2 children under 6 in Shuanghe."""
    village = db.session.scalar(select(Village).where(Village.project_id == project.id))
    db.session.add(
        Facility(
            project_id=project.id,
            name="Town Kindergarten",
            kind=FacilityKind.KINDERGARTEN,
            status=FacilityStatus.OPERATING,
            lat=TOWN[0],
            lon=TOWN[1],
            opened_on=date(2008, 9, 1),
        )
    )
    for i in range(n):
        db.session.add(
            Household(
                project_id=project.id,
                village_id=village.id,
                number=i + 1,
                code=f"SH-{i + 1:03d}",
                lat=SH[0] + 0.001 * i,
                lon=SH[1],
                members=4,
                children_under_6=2,
            )
        )
    db.session.flush()


def full_initiative(project: Project, title: str, **fields: Any) -> Initiative:
    """An initiative with two contributions, a milestone and an indicator."""
    funder = db.session.scalar(
        select(Funder).where(Funder.project_id == project.id, Funder.name == "Foundation A")
    )
    if funder is None:
        funder = Funder(project_id=project.id, name="Foundation A", type=FunderType.FOUNDATION)
        db.session.add(funder)
    initiative = Initiative(
        project_id=project.id,
        title=title,
        status=fields.pop("status", InitiativeStatus.FUNDRAISING),
        budget_target=Decimal("1000.00"),
        currency="CNY",
        **fields,
    )
    db.session.add(initiative)
    db.session.flush()
    for amount in ("100.10", "200.20"):
        db.session.add(
            Contribution(
                project_id=project.id,
                initiative_id=initiative.id,
                funder_id=funder.id,
                kind=ContributionKind.CASH,
                status=ContributionStatus.RECEIVED,
                amount=Decimal(amount),
                currency="CNY",
            )
        )
    db.session.add(
        Milestone(
            project_id=project.id,
            initiative_id=initiative.id,
            title=f"{title}: plan",
            planned_on=date(2020, 6, 1),
        )
    )
    db.session.add(
        Indicator(
            project_id=project.id,
            initiative_id=initiative.id,
            name="Children enrolled",
            source=IndicatorSource.MANUAL,
            baseline=Decimal(0),
            current=Decimal(12),
        )
    )
    db.session.flush()
    return initiative


class StatementCounter:
    """Counts SQL statements sent while active."""

    def __init__(self, engine: Any) -> None:
        self.engine, self.count = engine, 0

    def _before(self, *_args: Any) -> None:
        self.count += 1

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._before)
        return self

    def __exit__(self, *_exc: Any) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)


SECRET_NOTE = "grandmother-worries-about-debts-7781"

VALID_HOUSEHOLD = {
    "lat": "42.36301",
    "lon": "119.83512",
    "members": "5",
    "children_under_6": "1",
    "children_6_17": "2",
    "left_behind_children": "3",
    "migrant_parents": "both",
    "caregiver": "grandparents",
    "visited_on": "2019-07-10",
    "consent_on": "2019-07-10",
    "consent_given_by": "grandmother",
    "notes": "",
}

VALID_FACILITY = {
    "name": "Town Central Kindergarten",
    "kind": "kindergarten",
    "status": "operating",
    "village_id": "",
    "lat": "42.2930",
    "lon": "119.9200",
    "capacity": "180",
    "opened_on": "2008-09-01",
    "notes": "",
}


def fetch(app: Flask, statement: Any) -> list[Any]:
    """Rows of a query, detached with their loaded attributes, for assertions."""
    with app.app_context():
        rows = list(db.session.scalars(statement))
        db.session.expunge_all()
        return rows


def village_of(app: Flask, project: Project, code: str = "SH") -> Village:
    with app.app_context():
        village = db.session.scalar(
            select(Village).where(Village.project_id == project.id, Village.code == code)
        )
        db.session.expunge(village)  # keep its loaded attributes after the context ends
        return village


# --- Bodies for the write API --------------------------------------------------------------------


HOUSEHOLD = {
    "village": "Shuanghe",
    "lat": 42.36301,
    "lon": 119.83512,
    "members": 5,
    "children_under_6": 1,
    "children_6_17": 2,
    "left_behind_children": 2,
    "migrant_parents": "both",
    "caregiver": "grandparents",
    "visited_on": "2020-05-01",
    "consent_on": "2020-05-01",
    "consent_given_by": "grandmother",
    "notes": "Grandmother cares for three.",
}
FACILITY = {
    "name": "Shuanghe kindergarten",
    "kind": "kindergarten",
    "status": "planned",
    "village": "SH",
    "lat": 42.36,
    "lon": 119.83,
    "capacity": 60,
    "opened_on": "2022-09-01",
}
INTERVIEW = {
    "kind": "key_informant",
    "held_on": "2020-05-01",
    "interviewee_role": "village director",
    "language": "Mandarin",
    "consent_method": "written",
    "consent_given_by": "person",
    "child_assent": "not_applicable",
    "consent_on": "2020-05-01",
    "covers_notes": True,
    "notes": "The kindergarten is 10 km away. 幼儿园太远。",
}


def new_id() -> str:
    return str(uuid.uuid4())


def body(base: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {**base, **fields}


# --- Archives: a source instance, tampering a real export, counting rows -------------------------


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def demo_instance(path: Path):
    """An app of its own with the demo project (a household has a PNG attached)."""
    path.mkdir(parents=True, exist_ok=True)
    app = fresh_app(path, demo=True)
    with app.app_context():
        project = db.session.scalar(select(Project).where(Project.slug == "demo"))
        household = db.session.scalar(select(Household).where(Household.project_id == project.id))
        attachments.save_attachment(household, io.BytesIO(PNG), "map.png", None)
        db.session.commit()
    return app


def export(app, slug: str, path: Path) -> bytes:
    result = run(app, "export", "project", slug, "-o", str(path))
    assert result.exit_code == 0, result.output
    return path.read_bytes()


def entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def pack(files: dict[str, bytes], level: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", level) as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return buffer.getvalue()


def table_rows(files: dict[str, bytes], table: str) -> list[dict[str, Any]]:
    if f"tables/{table}.json" in files:  # format 1
        return json.loads(files[f"tables/{table}.json"])
    names = sorted(n for n in files if n.startswith(f"tables/{table}/"))
    return [json.loads(line) for n in names for line in files[n].decode().splitlines() if line]


def set_rows(files: dict[str, bytes], table: str, rows: list[dict[str, Any]]) -> None:
    if f"tables/{table}.json" in files:  # format 1
        files[f"tables/{table}.json"] = json.dumps(rows).encode()
        return
    for name in [n for n in files if n.startswith(f"tables/{table}/")]:
        del files[name]
    files[f"tables/{table}/00001.jsonl"] = "".join(
        json.dumps(r, ensure_ascii=False) + "\n" for r in rows
    ).encode()


def tamper(data: bytes, table: str, change: Callable[[list[dict[str, Any]]], None]) -> bytes:
    """The archive with `change` applied to one table's rows (in place)."""
    files = entries(data)
    rows = table_rows(files, table)
    change(rows)
    set_rows(files, table, rows)
    return pack(files)


def counts(app) -> dict[str, int]:
    """Rows in every table of the instance, and files in its uploads folder."""
    with app.app_context():
        out = {
            table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
        }
        uploads = Path(app.instance_path, "uploads")
        out["(files)"] = (
            sum(1 for p in uploads.rglob("*") if p.is_file()) if uploads.exists() else 0
        )
        return out


def write(tmp_path: Path, data: bytes, name: str = "crafted.zip") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def declare_size(data: bytes, name: str, size: int) -> bytes:
    """The zip with entry `name` declaring `size` bytes uncompressed (central directory and
    local header), whatever it really holds: a lie a crafted zip can tell."""
    out = bytearray(data)
    encoded = name.encode()
    at = 0
    while (at := out.find(b"PK\x01\x02", at)) != -1:
        length = int.from_bytes(out[at + 28 : at + 30], "little")
        if bytes(out[at + 46 : at + 46 + length]) == encoded:
            out[at + 24 : at + 28] = size.to_bytes(4, "little")
            local = int.from_bytes(out[at + 42 : at + 46], "little")
            out[local + 22 : local + 26] = size.to_bytes(4, "little")
            return bytes(out)
        at += 4
    raise KeyError(name)


# Every page carries random material: the CSP nonce (22 URL-safe characters, new on every
# request), signed CSRF tokens (they change every second) and folium's random element ids. A
# short string searched in a whole page is in that material now and then: `"K1" not in html`
# failed in 3 of 1,000 runs. Search for short things in a page with this.
RANDOM_MATERIAL = re.compile(
    r'(nonce="|name="csrf_token" value="|data-csrf="|\b(?:map|tile_layer)_)[A-Za-z0-9_.-]+'
)


def without_random_material(html: str) -> str:
    """The page with its nonces, CSRF tokens and generated element ids blanked out."""
    return RANDOM_MATERIAL.sub(r"\1…", html)


def project_today(timezone: str = "Asia/Shanghai") -> date:
    """Today in a project's time zone (the default one): after 16:00 UTC it is already
    tomorrow in Shanghai, and the services count days in the project's time."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(timezone)).date()
