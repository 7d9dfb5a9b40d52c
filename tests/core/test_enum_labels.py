"""Enumerations carry their labels: every member has one, in English and in Chinese, and
templates show `.label`, never a stored value with its underscores replaced."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale

import cbpar.models  # noqa: F401  (imports every model, so every enum is defined)
from cbpar.config import ROOT
from cbpar.db import str_enum
from cbpar.enums import LabelledEnum
from cbpar.forms import label_choices
from cbpar.security import Role
from tests.core.test_i18n import CATALOG


def labelled_enums() -> list[type[LabelledEnum]]:
    found, todo = [], list(LabelledEnum.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return sorted(found, key=lambda c: c.__qualname__)


def members() -> list[LabelledEnum]:
    return [member for cls in labelled_enums() for member in cls]


def test_the_enums_shown_to_people_are_labelled():
    names = {cls.__name__ for cls in labelled_enums()}
    assert {"Role", "NeedStatus", "FacilityKind", "MeetingKind", "InitiativeStatus"} <= names
    assert len(members()) > 80


def label_context(label) -> str | None:
    """The msgctxt of a `lazy_pgettext` label ("vote round" for a round's "Open"), else None."""
    func = getattr(label, "_func", None)
    return label._args[0] if func is not None and func.__name__ == "pgettext" else None


@pytest.fixture(scope="module")
def catalog():
    with open(CATALOG, "rb") as fh:
        return read_po(fh)


@pytest.mark.parametrize("member", members(), ids=lambda m: f"{type(m).__name__}.{m.name}")
def test_every_member_has_an_english_and_a_chinese_label(app, catalog, member):
    with app.test_request_context():
        with force_locale("en"):
            english = str(member.label)
        with force_locale("zh_Hans"):
            chinese = str(member.label)
    assert english.strip()
    message = catalog.get(english, context=label_context(member.label))
    assert message is not None and message.string, f"{english!r} is not translated"
    assert chinese == message.string
    assert chinese != english or english.isupper(), f"{english!r} is shown in English"  # "NGO"


def test_a_member_is_still_its_value():
    member = Role.FIELD_WORKER
    assert member == "field_worker"
    assert str(member) == f"{member}" == "field_worker"
    assert json.dumps({"role": member}) == '{"role": "field_worker"}'
    assert Role("field_worker") is member
    assert str_enum(Role).enums == [r.value for r in Role]
    assert [c.value for c in label_choices(Role)] == [r.value for r in Role]


def test_labels_follow_the_locale(app):
    with app.test_request_context(), force_locale("zh_Hans"):
        labels = Role.labels()
    assert set(labels) == {r.value for r in Role}
    assert labels["coordinator"] != "Coordinator"


def test_no_template_spells_out_an_enum_value():
    offenders = [
        str(path.relative_to(ROOT))
        for path in Path(ROOT, "templates").rglob("*.html")
        if 'replace("_"' in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
