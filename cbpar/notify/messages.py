"""The words of each notification, written from its kind and params in the reader's language.

A notification stores only `kind` and `params` (titles, dates, counts; never personal data),
so the same event reads in Chinese for one member and in English for another, in the inbox,
an e-mail or a group chat. `render` gives one short subject and one or two sentences.

Dates in params are ISO strings in UTC (datetimes) or plain ISO dates; they are shown in the
project's time zone (Beijing time unless the project says otherwise) and the reader's locale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from babel.numbers import format_decimal
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from cbpar.i18n import SUPPORTED_LOCALES, zone_name
from cbpar.security import Role

DEFAULT_TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    url: str


# Labels for values that features put in params. Notify may not import those features, so
# the words are repeated here with the same msgids (already translated in the catalog).
_NEED_STATUS = {
    "proposed": _l("Proposed"),
    "shortlisted": _l("Shortlisted"),
    "confirmed": _l("Confirmed"),
    "being_addressed": _l("Being addressed"),
    "met": _l("Met"),
    "declined": _l("Declined"),
}

_RECORD_TYPES = {
    "memo": _l("a memo"),
    "meeting": _l("a meeting"),
    "minutes": _l("minutes"),
    "decision": _l("a decision"),
    "need": _l("a need"),
    "initiative": _l("an initiative"),
    "interview": _l("an interview"),
    "household": _l("a household"),
    "facility": _l("a facility"),
    "project": _l("the project"),
}

_IMPORTS = {
    "households": _l("households"),
    "facilities": _l("facilities"),
    "interviews": _l("interviews"),
    "children": _l("children"),
    "contacts": _l("contacts"),
    "archive": _l("a project archive"),
    "project": _l("a project archive"),
}


class _Formatter:
    """Formats param values in one locale and time zone."""

    def __init__(self, locale: str, timezone: str) -> None:
        self.locale = locale
        self.timezone = timezone

    def datetime(self, value: Any) -> str:
        if not value:
            return ""
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return ""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo("UTC"))
        local = moment.astimezone(ZoneInfo(self.timezone))
        day = format_skeleton("MMMEd", local, locale=self.locale)
        shown = f"{day} {local:%H:%M}"
        return _("%(when)s (%(zone)s)", when=shown, zone=zone_name(self.timezone))

    def date(self, value: Any) -> str:
        if not value:
            return ""
        try:
            day = date.fromisoformat(str(value)[:10])
        except ValueError:
            return ""
        return format_skeleton("MMMEd", day, locale=self.locale)

    def number(self, value: Any) -> str:
        try:
            return format_decimal(int(value or 0), locale=self.locale)
        except (TypeError, ValueError):
            return "0"


def _text(params: dict[str, Any], key: str) -> str:
    value = params.get(key)
    return "" if value is None else str(value)


def _count(params: dict[str, Any], key: str = "count") -> int:
    try:
        return int(params.get(key) or 0)
    except (TypeError, ValueError):
        return 0


Writer = Callable[[dict[str, Any], _Formatter], tuple[str, str]]


def _vote_opened(p: dict[str, Any], f: _Formatter) -> tuple[str, str]:
    question = _text(p, "question")
    subject = _("Vote opened: %(question)s", question=question)
    closes = f.datetime(p.get("closes"))
    if closes:
        return subject, _("A new vote is open. Please vote before %(closes)s.", closes=closes)
    return subject, _("A new vote is open. Please give your vote.")


def _vote_closing(p: dict[str, Any], f: _Formatter) -> tuple[str, str]:
    question = _text(p, "question")
    subject = _("Vote closes soon: %(question)s", question=question)
    closes = f.datetime(p.get("closes"))
    if closes:
        return subject, _("You have not voted yet. The vote closes %(closes)s.", closes=closes)
    return subject, _("You have not voted yet. The vote closes soon.")


def _vote_results(p: dict[str, Any], f: _Formatter) -> tuple[str, str]:
    return (
        _("Vote results: %(question)s", question=_text(p, "question")),
        _("The results of the vote are published. Open the page to see them."),
    )


def _meeting(subject_fmt: str, text_fmt: str) -> Writer:
    def write(p: dict[str, Any], f: _Formatter) -> tuple[str, str]:
        title = _text(p, "title")
        starts = f.datetime(p.get("starts"))
        return _(subject_fmt, title=title), _(text_fmt, title=title, starts=starts)

    return write


def _minutes_to_approve(p: dict[str, Any], f: _Formatter) -> tuple[str, str]:
    return (
        _("Minutes to approve: %(title)s", title=_text(p, "title")),
        _("The minutes of this meeting wait for your approval. Please read and approve them."),
    )


def _minutes_approved(p: dict[str, Any], f: _Formatter) -> tuple[str, str]:
    return (
        _("Minutes approved: %(title)s", title=_text(p, "title")),
        _("The minutes of this meeting are approved. You can read the final text."),
    )


def _action(subject_fmt: str, with_due: str, without_due: str) -> Writer:
    def write(p: dict[str, Any], f: _Formatter) -> tuple[str, str]:
        meeting = _text(p, "meeting")
        due = f.date(p.get("due"))
        text = _(with_due, meeting=meeting, due=due) if due else _(without_due, meeting=meeting)
        return _(subject_fmt, meeting=meeting), text

    return write


def _comment_reply(p: dict[str, Any], f: _Formatter) -> tuple[str, str]:
    record = _RECORD_TYPES.get(_text(p, "record_type"))
    if record is not None:
        text = _("Someone replied to your comment on %(record)s.", record=record)
    else:
        text = _("Someone replied to your comment.")
    return _("New reply to your comment"), text


def _need_status(p: dict[str, Any], f: _Formatter) -> tuple[str, str]:
    need = _text(p, "need")
    status = _NEED_STATUS.get(_text(p, "status"), _text(p, "status"))
    return (
        _("Need updated: %(need)s", need=need),
        _("The need you proposed is now: %(status)s.", status=status),
    )


def _contacts_overdue(p: dict[str, Any], f: _Formatter) -> tuple[str, str]:
    count = _count(p)
    programme = _text(p, "programme")
    return (
        _("Contacts overdue: %(programme)s", programme=programme),
        ngettext(
            "%(shown)s child in this programme has not been contacted on time.",
            "%(shown)s children in this programme have not been contacted on time.",
            count,
            shown=f.number(count),
        ),
    )


def _followups_due(p: dict[str, Any], f: _Formatter) -> tuple[str, str]:
    count = _count(p)
    return (
        _("Follow-ups due"),
        ngettext(
            "%(shown)s follow-up is due. Please plan the visit or call.",
            "%(shown)s follow-ups are due. Please plan the visits or calls.",
            count,
            shown=f.number(count),
        ),
    )


def _reflection_waiting(p: dict[str, Any], f: _Formatter) -> tuple[str, str]:
    programme = _text(p, "programme")
    day = f.date(p.get("date"))
    return (
        _("Write your reflection: %(programme)s", programme=programme),
        _("Please write a few lines about the session on %(date)s.", date=day)
        if day
        else _("Please write a few lines about your last session."),
    )


def _invitation_accepted(p: dict[str, Any], f: _Formatter) -> tuple[str, str]:
    role = Role.label_of(_text(p, "role")) if p.get("role") else ""
    return (
        _("Invitation accepted"),
        _("Someone accepted an invitation and joined the project as %(role)s.", role=role)
        if role
        else _("Someone accepted an invitation and joined the project."),
    )


def _import_finished(p: dict[str, Any], f: _Formatter) -> tuple[str, str]:
    what = _IMPORTS.get(_text(p, "what"), _text(p, "what"))
    rows = _count(p, "rows")
    return (
        _("Import finished: %(what)s", what=what),
        ngettext(
            "The import is done: %(shown)s row was read.",
            "The import is done: %(shown)s rows were read.",
            rows,
            shown=f.number(rows),
        ),
    )


def _import_failed(p: dict[str, Any], f: _Formatter) -> tuple[str, str]:
    what = _IMPORTS.get(_text(p, "what"), _text(p, "what"))
    return (
        _("Import failed: %(what)s", what=what),
        _("The import did not finish. Open the page to see what went wrong and try again."),
    )


def _backup_failed(p: dict[str, Any], f: _Formatter) -> tuple[str, str]:
    return (
        _("Backup failed"),
        _("Last night's backup did not finish. Please check the server soon."),
    )


def _milestone_reached(p: dict[str, Any], f: _Formatter) -> tuple[str, str]:
    initiative = _text(p, "initiative")
    milestone = _text(p, "milestone")
    return (
        _("Milestone reached: %(initiative)s", initiative=initiative),
        _("The initiative reached a milestone: %(milestone)s.", milestone=milestone),
    )


# The msgids of the meeting and action writers are marked here so extraction finds them.
_l("Meeting planned: %(title)s")
_l("A meeting is planned for %(starts)s.")
_l("Meeting changed: %(title)s")
_l("The meeting was changed. It is now on %(starts)s.")
_l("Meeting cancelled: %(title)s")
_l("The meeting on %(starts)s is cancelled.")
_l("New action item from: %(meeting)s")
_l("An action item from this meeting was given to you. It is due %(due)s.")
_l("An action item from this meeting was given to you.")
_l("Action item due: %(meeting)s")
_l("Your action item from this meeting is due %(due)s.")
_l("Your action item from this meeting is due soon.")
_l("Action item overdue: %(meeting)s")
_l("Your action item from this meeting was due %(due)s and is not done yet.")
_l("Your action item from this meeting is overdue.")

WRITERS: dict[str, Writer] = {
    "vote_opened": _vote_opened,
    "vote_closing": _vote_closing,
    "vote_results": _vote_results,
    "meeting_planned": _meeting(
        "Meeting planned: %(title)s", "A meeting is planned for %(starts)s."
    ),
    "meeting_changed": _meeting(
        "Meeting changed: %(title)s", "The meeting was changed. It is now on %(starts)s."
    ),
    "meeting_cancelled": _meeting(
        "Meeting cancelled: %(title)s", "The meeting on %(starts)s is cancelled."
    ),
    "minutes_to_approve": _minutes_to_approve,
    "minutes_approved": _minutes_approved,
    "action_assigned": _action(
        "New action item from: %(meeting)s",
        "An action item from this meeting was given to you. It is due %(due)s.",
        "An action item from this meeting was given to you.",
    ),
    "action_due": _action(
        "Action item due: %(meeting)s",
        "Your action item from this meeting is due %(due)s.",
        "Your action item from this meeting is due soon.",
    ),
    "action_overdue": _action(
        "Action item overdue: %(meeting)s",
        "Your action item from this meeting was due %(due)s and is not done yet.",
        "Your action item from this meeting is overdue.",
    ),
    "comment_reply": _comment_reply,
    "need_status": _need_status,
    "contacts_overdue": _contacts_overdue,
    "followups_due": _followups_due,
    "reflection_waiting": _reflection_waiting,
    "invitation_accepted": _invitation_accepted,
    "import_finished": _import_finished,
    "import_failed": _import_failed,
    "backup_failed": _backup_failed,
    "milestone_reached": _milestone_reached,
}


def _unknown(p: dict[str, Any], f: _Formatter) -> tuple[str, str]:
    return _("Notification"), _("Something happened that may need you. Open the page to see.")


def absolute_url(path: str, base_url: str = "") -> str:
    """The link to show: a local path (only), made absolute with base_url if one is given."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        path = "/"
    return base_url.rstrip("/") + path if base_url else path


def render(
    kind: str,
    params: dict[str, Any] | None,
    locale: str | None,
    *,
    base_url: str = "",
    url: str = "",
    timezone: str | None = None,
) -> Message:
    """The subject and text of one notification in `locale` (English if None or unknown).

    `url` is the event's path in the app (made absolute with `base_url`, for e-mail);
    `timezone` the project's (Beijing time by default).
    """
    locale = locale if locale in SUPPORTED_LOCALES else "en"
    assert locale is not None
    params = dict(params or {})
    with force_locale(locale):
        formatter = _Formatter(locale, timezone or DEFAULT_TIMEZONE)
        writer = WRITERS.get(kind, _unknown)
        subject, text = writer(params, formatter)
        return Message(str(subject), str(text), absolute_url(url, base_url))
