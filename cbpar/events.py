"""Things that happened which someone may need to hear about, without features knowing who listens.

A feature calls `emit(Event(...))` inside the request's transaction, right where the change
happens (a vote round opened, minutes submitted for approval). Handlers registered by other
features (the notifications inbox, the project's group chats) run at once, in the same
transaction: if the change rolls back, so does every notification it caused. Nothing is sent
from a web request; handlers only write rows that `cbpar notify send` delivers later.

Reminders are not caused by a change but by time passing (a vote closes within 24 hours, a
child's weekly call is overdue). A feature registers a reminder source: a function of the
current time that returns the events due now. `cbpar notify send` asks every source each
run; an event's `dedupe` key makes sure each person hears of it once.

An event never carries personal data: `params` hold titles, dates, counts and names of
public things (a meeting's title, a vote's question), never household codes, children's
data, interview or contact content, or ballot content. Messages are written from `kind` and
`params` in each recipient's language when they are shown or sent.

    emit(Event("vote_opened", project.id, tuple(voter_ids), {"question": q.title},
               url_for("needs.vote_round", slug=project.slug, round_id=q.id),
               dedupe=f"vote_opened:{q.id}", announce=True))
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask, current_app, has_request_context, url_for
from flask_login import current_user

from cbpar.registry import slot

Params = dict[str, str | int | float | None]


@dataclass(frozen=True)
class Event:
    kind: str  # one of cbpar.notify's EventKind values, e.g. "vote_opened"
    project_id: int | None
    recipients: tuple[int, ...]  # user ids; may be empty for a chat announcement only
    params: Params = field(default_factory=dict)
    url: str = ""  # a path inside the app, e.g. /projects/shuanghe/votes/3
    dedupe: str | None = None  # one notification per recipient per key, ever
    announce: bool = False  # also to the project's group chats (public facts only)
    actor_id: int | None = None  # who caused it; never notified of their own action


Handler = Callable[[Event], None]
ReminderSource = Callable[[datetime], Iterable[Event]]


def _handlers(app: Flask | None = None) -> list[Handler]:
    return slot("event_handlers", list, app)


def _reminders(app: Flask | None = None) -> list[ReminderSource]:
    return slot("reminder_sources", list, app)


def register_handler(app: Flask, handler: Handler) -> None:
    if handler not in _handlers(app):
        _handlers(app).append(handler)


def register_reminders(app: Flask, source: ReminderSource) -> None:
    if source not in _reminders(app):
        _reminders(app).append(source)


def emit(event: Event) -> None:
    """Hand the event to every registered handler, in the current transaction."""
    if event.actor_id is not None and event.actor_id in event.recipients:
        event = Event(
            event.kind,
            event.project_id,
            tuple(r for r in event.recipients if r != event.actor_id),
            event.params,
            event.url,
            event.dedupe,
            event.announce,
            event.actor_id,
        )
    for handler in _handlers():
        handler(event)


def due_reminders(now: datetime, app: Any = None) -> list[Event]:
    """Every registered source's reminders due at `now` (an aware UTC datetime)."""
    events: list[Event] = []
    for source in _reminders(app or current_app):
        events.extend(source(now))
    return events


def path_for(endpoint: str, **values: Any) -> str:
    """The path of a page (url_for(..., _external=False)), also outside a request: reminder
    sources run in `cbpar notify send`, with an app context only."""
    if has_request_context():
        return url_for(endpoint, _external=False, **values)
    with current_app.test_request_context("/"):
        return url_for(endpoint, _external=False, **values)


def actor_id(by: Any = None) -> int | None:
    """The id of who caused an event: `by` if given, else the logged-in user, else None."""
    if by is not None:
        return getattr(by, "id", None)
    if has_request_context() and current_user.is_authenticated:
        return int(current_user.id)
    return None
