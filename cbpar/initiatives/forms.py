"""Forms for initiatives, funders, contributions, milestones, indicators and wider impact.

Amounts are parsed as exact Decimals from text ("1200", "1200.50", "1,200.50"); never floats.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import list_currencies
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from cbpar.forms import label_choices, optional_int
from cbpar.initiatives.models import (
    ContributionKind,
    ContributionStatus,
    FunderType,
    IndicatorSource,
    InitiativeStatus,
    MapMeasure,
)
from cbpar.mapping.models import FacilityKind

MAX_MARKDOWN = 100_000
MAX_MONEY = Decimal("999999999999.99")  # Numeric(14, 2)
MAX_FIGURE = Decimal("999999999999.9999")  # Numeric(16, 4)
NUMBER = re.compile(r"^\d+(\.\d+)?$")
CURRENCIES = frozenset(list_currencies())


def parse_decimal(raw: str, places: int, maximum: Decimal) -> Decimal:
    """An exact, non-negative Decimal with at most `places` decimals, or ValueError."""
    text = (raw or "").strip().replace(",", "").replace("，", "").replace(" ", "")
    if not NUMBER.match(text):
        raise ValueError("not a number")
    value = Decimal(text)
    if -value.as_tuple().exponent > places or value > maximum:  # type: ignore[operator]
        raise ValueError("too precise or too large")
    return value


class DecimalText(StringField):
    """A number typed as text and kept as an exact Decimal (money: 2 places)."""

    def __init__(self, *args: Any, places: int = 2, maximum: Decimal = MAX_MONEY, **kw: Any):
        super().__init__(*args, **kw)
        self.places, self.maximum = places, maximum
        self.decimal: Decimal | None = None

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if isinstance(self.data, Decimal):
            return _plain(self.data)
        return self.data or ""

    def process_data(self, value: Any) -> None:
        self.data = value

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = valuelist[0].strip() if valuelist else ""

    def pre_validate(self, form: Any) -> None:
        if isinstance(self.data, Decimal):
            return
        if not self.data:
            self.data = None
            return
        try:
            self.data = parse_decimal(self.data, self.places, self.maximum)
        except (ValueError, InvalidOperation):
            raise ValidationError(
                _l(
                    "Give a number such as 1200 or 1200.5, with at most %(n)d decimal places.",
                    n=self.places,
                )
            ) from None


def _plain(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class CurrencyField(StringField):
    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = (valuelist[0] if valuelist else "").strip().upper()

    def pre_validate(self, form: Any) -> None:
        if self.data not in CURRENCIES:
            raise ValidationError(
                _l("Give an ISO 4217 currency code of three letters, e.g. CNY, USD or EUR.")
            )


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


ROLE_LINE = re.compile(r"^(?P<party>[^:：]+)[:：](?P<task>.+)$")


def parse_roles(text: str) -> list[tuple[str, str]]:
    """'party: task' per line, e.g. 'village committee: hire a kindergarten teacher'."""
    roles = []
    for line in (text or "").splitlines():
        line = line.strip().lstrip("-*• ").strip()
        if not line:
            continue
        match = ROLE_LINE.match(line)
        if not match or not match["party"].strip() or not match["task"].strip():
            raise ValueError(line)
        roles.append((match["party"].strip()[:200], match["task"].strip()[:500]))
    return roles


class InitiativeForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=200)])
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=MAX_MARKDOWN)],
        description=_l("Markdown: what will be done, for whom, and why."),
    )
    status = SelectField(
        _l("Status"), choices=lambda: label_choices(InitiativeStatus), validators=[InputRequired()]
    )
    need_ids = MultiCheckboxField(_l("Needs it answers"), coerce=int, validators=[Optional()])
    lead_user_id = SelectField(_l("Lead (a member)"), coerce=optional_int, validators=[Optional()])
    lead_organisation = StringField(
        _l("Lead (a partner organisation)"),
        validators=[Optional(), Length(max=200)],
        description=_l("Name a member or an organisation, not both."),
    )
    roles = TextAreaField(
        _l("Who does what"),
        validators=[Optional(), Length(max=10_000)],
        description=_l(
            "One line each, “party: task”, e.g. “village committee: hire a kindergarten teacher”."
        ),
    )
    budget_target = DecimalText(_l("Budget target"), validators=[Optional()])
    currency = CurrencyField(
        _l("Currency"), default="CNY", description=_l("ISO 4217 code, e.g. CNY.")
    )
    spent = DecimalText(
        _l("Spent so far"),
        validators=[Optional()],
        description=_l("In the initiative's currency; shown on the transparency page."),
    )
    starts_on = DateField(_l("Start date"), validators=[Optional()])
    ends_on = DateField(_l("End date"), validators=[Optional()])
    facility_id = SelectField(
        _l("Facility it creates or improves"),
        coerce=optional_int,
        validators=[Optional()],
        description=_l(
            "Its status follows the initiative: planned, under construction when in progress, "
            "operating when completed."
        ),
    )
    opened_on = DateField(
        _l("Facility opening date"),
        validators=[Optional()],
        description=_l("Used when the initiative is completed; the end date if left empty."),
    )
    version = HiddenField()

    def __init__(
        self,
        *args: Any,
        needs: list | None = None,
        members: list | None = None,
        facilities: list | None = None,
        **kw: Any,
    ):
        super().__init__(*args, **kw)
        self.need_ids.choices = [(n.id, n.title) for n in needs or []]
        self.lead_user_id.choices = [SelectChoice("", _l("No member"))] + [
            SelectChoice(str(u.id), u.name) for u in members or []
        ]
        self.facility_id.choices = [SelectChoice("", _l("No facility"))] + [
            SelectChoice(str(f.id), f.name) for f in facilities or []
        ]

    def validate_lead_organisation(self, field: StringField) -> None:
        if field.data and field.data.strip() and self.lead_user_id.data is not None:
            raise ValidationError(_l("Name a member or an organisation, not both."))

    def validate_roles(self, field: TextAreaField) -> None:
        try:
            parse_roles(field.data or "")
        except ValueError as line:
            raise ValidationError(
                _l("Write each line as “party: task”; this line has no colon: %(line)s", line=line)
            ) from None

    def validate_ends_on(self, field: DateField) -> None:
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The end date cannot be before the start date."))

    def data_dict(self) -> dict[str, Any]:
        return {
            "title": self.title.data.strip(),
            "description": self.description.data or "",
            "status": InitiativeStatus(self.status.data),
            "need_ids": list(self.need_ids.data or []),
            "lead_user_id": self.lead_user_id.data,
            "lead_organisation": (self.lead_organisation.data or "").strip(),
            "roles": parse_roles(self.roles.data or ""),
            "budget_target": self.budget_target.data,
            "currency": self.currency.data,
            "spent": self.spent.data,
            "starts_on": self.starts_on.data,
            "ends_on": self.ends_on.data,
            "facility_id": self.facility_id.data,
            "opened_on": self.opened_on.data,
        }


class FunderForm(FlaskForm):
    name = StringField(_l("Funder's name"), validators=[InputRequired(), Length(max=200)])
    type = SelectField(
        _l("Type of funder"),
        choices=lambda: label_choices(FunderType),
        validators=[InputRequired()],
    )
    place = StringField(
        _l("Where it is"), validators=[Optional(), Length(max=200)], description=_l("E.g. Beijing")
    )


class ContributionForm(FlaskForm):
    funder_id = SelectField(_l("Funder"), coerce=optional_int, validators=[InputRequired()])
    kind = SelectField(
        _l("Cash or in kind"),
        choices=lambda: label_choices(ContributionKind),
        validators=[InputRequired()],
    )
    status = SelectField(
        _l("Status"),
        choices=lambda: label_choices(ContributionStatus),
        validators=[InputRequired()],
    )
    amount = DecimalText(_l("Amount (cash)"), validators=[Optional()])
    currency = CurrencyField(_l("Currency"), default="CNY")
    items = StringField(
        _l("Items (in kind)"),
        validators=[Optional(), Length(max=200)],
        description=_l("E.g. desks, school supplies, computers."),
    )
    quantity = IntegerField(
        _l("Quantity (in kind)"), validators=[Optional(), NumberRange(min=1, max=10_000_000)]
    )
    estimated_value = DecimalText(_l("Estimated value (in kind)"), validators=[Optional()])
    pledged_on = DateField(_l("Pledged on"), validators=[Optional()])
    received_on = DateField(_l("Received on"), validators=[Optional()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])

    def __init__(self, *args: Any, funders: list | None = None, **kw: Any):
        super().__init__(*args, **kw)
        self.funder_id.choices = [SelectChoice("", _l("Choose a funder"))] + [
            SelectChoice(str(f.id), f.name) for f in funders or []
        ]

    def validate_funder_id(self, field: SelectField) -> None:
        if field.data is None:
            raise ValidationError(_l("Choose a funder (add it first if it is new)."))

    def validate(self, extra_validators: Any = None) -> bool:
        # Checks that depend on the kind run here: Optional() stops a field's own chain.
        ok = super().validate(extra_validators)
        cash = self.kind.data == ContributionKind.CASH.value
        if cash and not self.amount.errors and not self.amount.data:
            self.amount.errors = [_l("A cash contribution needs an amount above zero.")]
            ok = False
        if not cash and not (self.items.data or "").strip():
            self.items.errors = [_l("Say what was given, e.g. desks.")]
            ok = False
        return ok

    def validate_received_on(self, field: DateField) -> None:
        if field.data and self.status.data == ContributionStatus.PLEDGED.value:
            raise ValidationError(_l("A pledge not yet received has no date of receipt."))

    def data_dict(self) -> dict[str, Any]:
        return {
            "funder_id": self.funder_id.data,
            "kind": ContributionKind(self.kind.data),
            "status": ContributionStatus(self.status.data),
            "amount": self.amount.data,
            "currency": self.currency.data,
            "items": (self.items.data or "").strip(),
            "quantity": self.quantity.data,
            "estimated_value": self.estimated_value.data,
            "pledged_on": self.pledged_on.data,
            "received_on": self.received_on.data,
            "note": (self.note.data or "").strip(),
        }


class MilestoneForm(FlaskForm):
    title = StringField(_l("Milestone"), validators=[InputRequired(), Length(max=200)])
    planned_on = DateField(_l("Planned date"), validators=[Optional()])
    done_on = DateField(_l("Done on"), validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=MAX_MARKDOWN)])
    memo_id = SelectField(
        _l("Evidence: a memo"),
        coerce=optional_int,
        validators=[Optional()],
        description=_l("Photos can be attached on the milestone's page."),
    )

    def __init__(self, *args: Any, memos: list | None = None, **kw: Any):
        super().__init__(*args, **kw)
        self.memo_id.choices = [SelectChoice("", _l("No memo"))] + [
            SelectChoice(str(m.id), m.title) for m in memos or []
        ]

    def data_dict(self) -> dict[str, Any]:
        return {
            "title": self.title.data.strip(),
            "planned_on": self.planned_on.data,
            "done_on": self.done_on.data,
            "note": self.note.data or "",
        }


class IndicatorForm(FlaskForm):
    name = StringField(_l("Indicator"), validators=[InputRequired(), Length(max=200)])
    unit = StringField(
        _l("Unit"), validators=[Optional(), Length(max=60)], description=_l("E.g. children")
    )
    source = SelectField(
        _l("Value"), choices=lambda: label_choices(IndicatorSource), validators=[InputRequired()]
    )
    baseline = DecimalText(_l("Baseline"), places=4, maximum=MAX_FIGURE, validators=[Optional()])
    target = DecimalText(_l("Target"), places=4, maximum=MAX_FIGURE, validators=[Optional()])
    current = DecimalText(
        _l("Current value"), places=4, maximum=MAX_FIGURE, validators=[Optional()]
    )
    measure = SelectField(
        _l("Who is counted (computed)"),
        choices=lambda: label_choices(MapMeasure),
        validators=[Optional()],
    )
    facility_kind = SelectField(
        _l("Near which facilities (computed)"),
        choices=lambda: label_choices(FacilityKind),
        validators=[Optional()],
    )
    within_km = DecimalText(
        _l("Within km (computed)"), maximum=Decimal(1000), validators=[Optional()]
    )
    village_id = SelectField(
        _l("Which village (computed)"),
        coerce=optional_int,
        validators=[Optional()],
        description=_l("Count only this village's households, e.g. the village it serves."),
    )
    # From services: what is measured, in which programme, over which days.
    service_measure = SelectField(_l("What is measured (from services)"), validators=[Optional()])
    programme_id = SelectField(
        _l("Which programme (from services)"), coerce=optional_int, validators=[Optional()]
    )
    period_days = IntegerField(
        _l("Over the last … days (from services)"),
        validators=[Optional(), NumberRange(min=1, max=366 * 5)],
        description=_l("E.g. 28 for the last 4 weeks. Empty: since the initiative started."),
    )

    def __init__(
        self,
        *args: Any,
        villages: list | None = None,
        measures: list[tuple[str, Any]] | None = None,
        programmes: list[tuple[int, str]] | None = None,
        **kw: Any,
    ):
        super().__init__(*args, **kw)
        self.village_id.choices = [SelectChoice("", _l("All villages"))] + [
            SelectChoice(str(v.id), v.name) for v in villages or []
        ]
        self.service_measure.choices = [SelectChoice("", "—")] + [
            SelectChoice(key, label) for key, label in measures or []
        ]
        self.programme_id.choices = [SelectChoice("", _l("All programmes"))] + [
            SelectChoice(str(i), name) for i, name in programmes or []
        ]
        if not measures:  # nothing records services: the source is not offered
            self.source.choices = label_choices(
                m for m in IndicatorSource if m != IndicatorSource.SERVICES
            )

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        computed = self.source.data == IndicatorSource.COMPUTED.value
        if computed and not self.within_km.errors and not self.within_km.data:
            self.within_km.errors = [_l("A computed indicator needs a distance above 0 km.")]
            ok = False
        if self.source.data == IndicatorSource.SERVICES.value and not self.service_measure.data:
            self.service_measure.errors = [_l("Choose what is measured.")]
            ok = False
        return ok

    def data_dict(self) -> dict[str, Any]:
        computed = self.source.data == IndicatorSource.COMPUTED.value
        served = self.source.data == IndicatorSource.SERVICES.value
        return {
            "name": self.name.data.strip(),
            "unit": (self.unit.data or "").strip(),
            "source": IndicatorSource(self.source.data),
            "baseline": None if computed or served else self.baseline.data,
            "target": self.target.data,
            "current": None if computed or served else self.current.data,
            "measure": MapMeasure(self.measure.data) if computed else None,
            "facility_kind": FacilityKind(self.facility_kind.data).value if computed else None,
            "within_km": self.within_km.data if computed else None,
            "village_id": self.village_id.data if computed or served else None,
            "service_measure": self.service_measure.data if served else None,
            "programme_id": self.programme_id.data if served else None,
            "period_days": self.period_days.data if served else None,
        }


class SupportForm(FlaskForm):
    place = StringField(
        _l("Where"),
        validators=[InputRequired(), Length(max=200)],
        description=_l("E.g. kindergartens in two other Banners"),
    )
    given = StringField(
        _l("What was given"),
        validators=[InputRequired(), Length(max=500)],
        description=_l("E.g. desks, supplies and computers; four kindergartens renovated"),
    )
    sites = IntegerField(
        _l("Sites reached"), default=1, validators=[InputRequired(), NumberRange(min=1, max=10_000)]
    )
    given_on = DateField(_l("Date"), validators=[Optional()])
    initiative_id = SelectField(_l("From initiative"), coerce=optional_int, validators=[Optional()])

    def __init__(self, *args: Any, initiatives: list | None = None, **kw: Any):
        super().__init__(*args, **kw)
        self.initiative_id.choices = [SelectChoice("", _l("None in particular"))] + [
            SelectChoice(str(i.id), i.title) for i in initiatives or []
        ]

    def data_dict(self) -> dict[str, Any]:
        return {
            "place": self.place.data.strip(),
            "given": self.given.data.strip(),
            "sites": self.sites.data,
            "given_on": self.given_on.data,
            "initiative_id": self.initiative_id.data,
        }
