"""A submission's XML read into the page's form: values, the reasons it is refused, the record.

Each of the three forms is checked by the very form class its page uses (HouseholdForm,
FacilityForm, ContactForm: the same validators and messages), fed the XML's values as a
browser would post them. The XML is parsed with defusedxml (no entities, no network).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from defusedxml import ElementTree
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import SelectField
from wtforms.validators import InputRequired

from cbpar.care import services as care
from cbpar.care.forms import ContactForm
from cbpar.mapping import services as mapping
from cbpar.mapping.forms import FacilityForm, HouseholdForm
from cbpar.openrosa.definitions import FORMS
from cbpar.security import Cap

MEDIA_TYPES = ("image", "audio", "video", "file")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
# The record each form makes, and what a member needs to send it.
RECORD_TYPES = {
    "cbpar_household": "household",
    "cbpar_facility": "facility",
    "cbpar_contact": "contact_log",
}
FORM_CAPS: dict[str, tuple[Cap, ...]] = {
    "cbpar_household": (Cap.EDIT_FIELD_RECORDS,),
    "cbpar_facility": (Cap.EDIT_FIELD_RECORDS,),
    "cbpar_contact": (Cap.SEE_CHILDREN, Cap.RECORD_CARE),
}
# A page's form field -> the question it comes from, to name a reason by its question.
QUESTION_OF = {"village_id": "village", "lat": "gps", "lon": "gps", "child_id": "child"}


class BadSubmission(ValueError):
    """Not a submission of ours at all (not XML, no form id, no instanceID): answered 400."""


@dataclass
class Parsed:
    form_id: str
    version: str
    instance_id: str
    values: dict[str, str]
    xml: str


@dataclass
class Checked:
    """A submission checked: the bound form (valid or not) and every reason it waits."""

    form: Any
    reasons: list[dict[str, str]] = field(default_factory=list)
    child: Any = None

    @property
    def ok(self) -> bool:
        return not self.reasons


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse(data: bytes) -> Parsed:
    """The submission's form id, version, instanceID and its answers by question name (groups
    flattened: a question's name is unique in our forms)."""
    try:
        root = ElementTree.fromstring(data)
    except Exception as exc:  # defusedxml's refusals and expat's errors alike
        raise BadSubmission(_("The submission is not readable XML.")) from exc
    form_id = root.get("id") or ""
    if not form_id:
        raise BadSubmission(_("The submission names no form (no id on its first element)."))
    values: dict[str, str] = {}
    for element in root.iter():
        if element is root or len(element):
            continue
        values.setdefault(_local(element.tag), (element.text or "").strip())
    instance_id = values.pop("instanceID", "")
    values.pop("deprecatedID", None)
    if not instance_id or len(instance_id) > 120:
        raise BadSubmission(_("The submission has no instanceID (meta/instanceID)."))
    return Parsed(
        form_id=form_id,
        version=root.get("version") or "",
        instance_id=instance_id,
        values=values,
        xml=data.decode("utf-8", errors="replace"),
    )


def media_questions(form_id: str) -> list[str]:
    return [q.name for q in FORMS[form_id].questions if q.type in MEDIA_TYPES]


def media_names(parsed: Parsed) -> dict[str, str]:
    """Question -> the file name its answer names (only answered media questions)."""
    if parsed.form_id not in FORMS:
        return {}
    names = {q: parsed.values.get(q, "") for q in media_questions(parsed.form_id)}
    return {q: n for q, n in names.items() if n}


def project_today(project: Any) -> date:
    return datetime.now(ZoneInfo(project.timezone)).date()


def _geopoint(text: str) -> tuple[str, str]:
    numbers = _NUMBER.findall(text or "")
    return (numbers[0], numbers[1]) if len(numbers) >= 2 else ("", "")


def _village_id(project: Any, code: str) -> tuple[str, str | None]:
    """The village's id for its code (or name) in the submission, and a reason if none fits."""
    code = (code or "").strip()
    if not code:
        return "", None
    for village in mapping.villages(project):
        if code.upper() == village.code.upper() or code == village.name:
            return str(village.id), None
    return "", _("No village of this project has the code “%(code)s”.", code=code)


def _reasons(form: Any) -> list[dict[str, str]]:
    reasons = []
    for name, messages in form.errors.items():
        if name == "csrf_token":
            continue
        for message in messages:
            reasons.append({"field": QUESTION_OF.get(name, name), "message": str(message)})
    return reasons


def form_values(project: Any, parsed: Parsed) -> tuple[MultiDict, list[dict[str, str]]]:
    """The submission's answers as the page's form fields (a MultiDict, as a browser posts
    them), and the reasons found while translating them (an unknown village code)."""
    values = dict(parsed.values)
    reasons: list[dict[str, str]] = []
    data: dict[str, str] = {}
    if parsed.form_id in ("cbpar_household", "cbpar_facility"):
        village_id, problem = _village_id(project, values.pop("village", ""))
        if problem:
            reasons.append({"field": "village", "message": problem})
        data["village_id"] = village_id
        data["lat"], data["lon"] = _geopoint(values.pop("gps", ""))
    if parsed.form_id == "cbpar_contact":
        data["child_id"] = values.pop("child", "")
    for question in media_questions(parsed.form_id):
        values.pop(question, None)
    data.update(values)
    return MultiDict([(k, v) for k, v in data.items() if v != ""]), reasons


class ContactSubmissionForm(ContactForm):
    """The contact page's form, with the child it is about (a code among those with consent)."""

    child_id = SelectField(_l("Child"), validators=[InputRequired(message=_l("Choose the child."))])

    def __init__(self, *args: Any, children: list[Any] = (), **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.child_id.choices = [("", "")] + [(c.code, c.code) for c in children]
        self.children = {c.code: c for c in children}


def eligible_children(project: Any) -> list[Any]:
    """Children a contact may be logged for: consent given and not withdrawn."""
    return [c for c in care.all_children(project) if c.consent_on and not c.withdrawn]


def bind(project: Any, form_id: str, formdata: MultiDict | None, **kw: Any) -> Any:
    """The page's form for this kind of submission, bound to `formdata`."""
    if form_id == "cbpar_household":
        return HouseholdForm(
            formdata=formdata,
            villages=mapping.villages(project),
            today=project_today(project),
            project=project,
            **kw,
        )
    if form_id == "cbpar_facility":
        return FacilityForm(formdata=formdata, villages=mapping.villages(project), **kw)
    return ContactSubmissionForm(formdata=formdata, children=eligible_children(project), **kw)


def check_form(project: Any, form_id: str, form: Any) -> Checked:
    """Validate a bound form with the page's rules, beyond its validators too."""
    checked = Checked(form)
    valid = form.validate()
    if form_id == "cbpar_contact" and valid:
        checked.child = form.children.get(form.child_id.data)
        problems = care.contact_problems(form.data_dict(), project_today(project))
        for name, message in problems.items():
            form[name].errors = [*form[name].errors, message]
            valid = False
    if not valid:
        checked.reasons = _reasons(form)
    return checked


def check(project: Any, parsed: Parsed, **kw: Any) -> Checked:
    formdata, reasons = form_values(project, parsed)
    form = bind(project, parsed.form_id, formdata, meta={"csrf": False}, **kw)
    checked = check_form(project, parsed.form_id, form)
    named = {r["field"] for r in reasons}
    others = checked.reasons
    villages = mapping.villages(project)
    if "village" in named and villages:
        # The form stops at a missing village; checked again with any village, it names every
        # other problem too, so the field worker fixes the submission in one go.
        probe = formdata.copy()
        probe["village_id"] = str(villages[0].id)
        probe_form = bind(project, parsed.form_id, probe, meta={"csrf": False}, **kw)
        others = check_form(project, parsed.form_id, probe_form).reasons
    # The village reason first; the form's "required" for the same question adds nothing.
    checked.reasons = reasons + [r for r in others if r["field"] not in named]
    return checked


def create(project: Any, form_id: str, checked: Checked, user: Any, instance_id: str) -> Any:
    """Make the record a valid submission describes, with the page's services (and audit)."""
    form = checked.form
    if form_id == "cbpar_household":
        household = mapping.create_household(project, form.data_dict())
        household.source_id = instance_id  # shown as its submission id; matched on import
        return household
    if form_id == "cbpar_facility":
        return mapping.create_facility(project, form.data_dict())
    return care.add_contact(checked.child, form.data_dict(), user)
