"""Test fixtures: one app per session, each test in a transaction that is rolled back. The
helpers and factories they use are in tests/helpers.py.

Set CBPAR_TEST_DATABASE_URL to run the whole suite on PostgreSQL instead of SQLite.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from cbpar import create_app
from cbpar.auth.models import User
from cbpar.db import Base, db
from cbpar.mapping.models import Caregiver, Facility, FacilityKind, Household, MigrantParents
from cbpar.projects.models import Membership, Project, Village
from cbpar.security import Role
from tests.api.schema_check import CheckedClient
from tests.helpers import PASSWORD, SECRET_NOTE, config_for_tests

# Every app's test client checks each API answer against the OpenAPI document.
Flask.test_client_class = CheckedClient


@pytest.fixture(scope="session")
def app(tmp_path_factory) -> Iterator[Flask]:
    app = create_app(config_for_tests(tmp_path_factory.mktemp("app")))
    with app.app_context():
        Base.metadata.drop_all(db.engine)
        Base.metadata.create_all(db.engine)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def database(app: Flask) -> Iterator[None]:
    """Every test runs inside one outer transaction, rolled back at the end."""
    state = app.extensions["cbpar_db"]
    original = state.factory
    connection = state.engine.connect()
    outer = connection.begin()
    db.bind_sessions(app, bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield
    finally:
        state.factory = original
        outer.rollback()
        connection.close()


@pytest.fixture
def client(app: Flask, database: None) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def ctx(app: Flask, database: None) -> Iterator[None]:
    """An app context for tests that call services directly (do not mix with `client`)."""
    with app.test_request_context():
        yield


# --- factories -------------------------------------------------------------------------------


@pytest.fixture
def make_user(app: Flask, database: None) -> Callable[..., User]:
    def make(username: str = "alice", password: str = PASSWORD, **fields: Any) -> User:
        from cbpar.auth.services import set_password

        with app.app_context():
            user = User(username=username, display_name=fields.pop("display_name", ""), **fields)
            if password:
                set_password(user, password)
            db.session.add(user)
            db.session.commit()
            return user

    return make


@pytest.fixture
def make_project(app: Flask, database: None) -> Callable[..., Project]:
    def make(slug: str = "p1", members: dict[User, Role] | None = None, **fields: Any) -> Project:
        with app.app_context():
            project = Project(slug=slug, name=fields.pop("name", f"Project {slug}"), **fields)
            db.session.add(project)
            db.session.add(Village(project=project, name="Shuanghe", code="SH"))
            for user, role in (members or {}).items():
                db.session.add(Membership(project=project, user_id=user.id, role=role))
            db.session.commit()
            return project

    return make


@pytest.fixture
def add_household(app: Flask) -> Callable[..., Household]:
    """Add a household with the next number in its village (default: the project's SH)."""

    def add(project: Project, village_code: str = "SH", **fields: Any) -> Household:
        with app.app_context():
            village = db.session.scalar(
                select(Village).where(
                    Village.project_id == project.id, Village.code == village_code
                )
            )
            number = 1 + len(
                list(db.session.scalars(select(Household.id).where(Household.village == village)))
            )
            values: dict[str, Any] = {
                "lat": 42.36301,
                "lon": 119.83512,
                "members": 5,
                "children_under_6": 1,
                "children_6_17": 2,
                "left_behind_children": 3,
                "migrant_parents": MigrantParents.BOTH,
                "caregiver": Caregiver.GRANDPARENTS,
                "notes": SECRET_NOTE,
                **fields,
            }
            household = Household(
                project_id=project.id,
                village_id=village.id,
                number=number,
                code=f"{village.code}-{number:03d}",
                **values,
            )
            db.session.add(household)
            db.session.commit()
            return household

    return add


@pytest.fixture
def add_facility(app: Flask) -> Callable[..., Facility]:
    def add(project: Project, **fields: Any) -> Facility:
        with app.app_context():
            values: dict[str, Any] = {
                "name": "Town Central Kindergarten",
                "kind": FacilityKind.KINDERGARTEN,
                "lat": 42.2930,
                "lon": 119.9200,
                "capacity": 180,
                **fields,
            }
            facility = Facility(project_id=project.id, **values)
            db.session.add(facility)
            db.session.commit()
            return facility

    return add


@pytest.fixture
def login(client: FlaskClient) -> Callable[..., Any]:
    def do(user: User | str, password: str = PASSWORD, c: FlaskClient | None = None) -> Any:
        username = user if isinstance(user, str) else user.username
        response = (c or client).post("/login", data={"username": username, "password": password})
        assert response.status_code == 302, f"log-in as {username} failed"
        return response

    return do


@pytest.fixture
def team(make_user, make_project) -> dict[str, Any]:
    """A project with one member of each role, plus an outsider."""
    users = {role: make_user(role.value) for role in Role}
    outsider = make_user("outsider")
    project = make_project("p1", members={users[r]: r for r in Role})
    return {"project": project, "users": users, "outsider": outsider}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "browser" in item.path.parts:
            item.add_marker(pytest.mark.browser)


# Pytest prints whole operands when an assertion fails and does not truncate them on CI
# (CI=true), so one `assert "x" in page` printed a page of HTML and pushed the failing test's
# name out of the last lines of the log. Long text is shown as a short window instead.
EXPLANATION_CHARS = 160


def _window(text: str, needle: str | None = None) -> str:
    """A short excerpt of text: around the needle where it occurs, else the start."""
    at = text.find(needle) if needle else -1
    start = max(0, at - EXPLANATION_CHARS // 2) if at >= 0 else 0
    excerpt = text[start : start + EXPLANATION_CHARS]
    return (
        ("…" if start else "") + repr(excerpt) + ("…" if start + len(excerpt) < len(text) else "")
    )


def pytest_assertrepr_compare(op: str, left: Any, right: Any) -> list[str] | None:
    long_left = isinstance(left, str | bytes) and len(left) > EXPLANATION_CHARS
    long_right = isinstance(right, str | bytes) and len(right) > EXPLANATION_CHARS
    if not (long_left or long_right):
        return None
    as_text = [x.decode("utf-8", "replace") if isinstance(x, bytes) else x for x in (left, right)]
    needle, text = as_text
    if op in ("in", "not in") and isinstance(text, str):
        found = "found" if op == "not in" else "not found"
        shown = repr(needle) if not long_left else _window(str(needle))
        return [f"{shown} {found} in a text of {len(text)} characters: {_window(text, needle)}"]
    first, second = (str(x) for x in as_text)
    differ = next((i for i, (a, b) in enumerate(zip(first, second, strict=False)) if a != b), None)
    anchor = None if differ is None else first[differ : differ + 1]
    return [
        f"{op} failed on long operands (first difference at {differ})",
        f"left ({len(first)} chars): {_window(first[differ or 0 :], anchor)}",
        f"right ({len(second)} chars): {_window(second[differ or 0 :], anchor)}",
    ]
