"""Create-once for API POSTs: a client-generated `client_id` (UUID) makes a resend harmless.

The offline field app and partners' scripts may send the same record twice (a lost answer, a
retry, two taps). Each create endpoint accepts an optional `client_id` in its JSON body; the
first POST with it creates the record, every later one (even a simultaneous one) creates
nothing and answers 200 with the record the first one made.

Interface (all within the request's one transaction; nothing here commits):

- ``client_id_of(body) -> str | None``: the body's `client_id`, as a canonical lower-case
  UUID, or None when absent/null. Raises `MalformedClientId` (answer 400).
- ``existing(project, kind, client_id) -> int | None``: the id of the record this client id
  already made in this project, or None. Raises `ClientIdConflict` (answer 409) when the
  client id was used for another kind of record in this project.
- ``create_once(project, kind, client_id, create) -> (record_id, created)``: calls
  `create()` (which adds and flushes the record and returns it; it may raise to refuse) and
  remembers the client id, both inside one SAVEPOINT. When a concurrent request remembered
  the same client id first (the unique constraint fails), the savepoint is rolled back, so
  nothing of ours stays, and the other request's record id is returned with created=False.
  With client_id None it just creates. Raises `ClientIdConflict` as `existing` does.
- ``remember(project, kind, client_id, record_id)``: the low-level write (flushes; lets the
  IntegrityError through); prefer `create_once`.
- ``ClientIdError`` (base of both errors) has `.status` (400 or 409), `.parameter`
  ("client_id") and `.message` (translated); ``error_response(exc)`` turns it into the
  API's JSON error (cbpar.api.responses.error).

Typical endpoint::

    try:
        client_id = idempotency.client_id_of(body)
        if (found := idempotency.existing(project, "household", client_id)) is not None:
            return answer(load(found), 200)
        ... validate the body (400/422 as usual) ...
        record_id, created = idempotency.create_once(
            project, "household", client_id, lambda: services.create_household(project, data)
        )
    except idempotency.ClientIdError as exc:
        return idempotency.error_response(exc)
    return answer(load(record_id), 201 if created else 200)

`kind` is a short fixed name per endpoint ("household", "facility", "interview", "need",
"meeting", "initiative", "contribution", "milestone", ...). Rows go with their project
(ON DELETE CASCADE); a record deleted later leaves its row, so `existing` may name a record
that no longer exists: the caller answers 404 then (load returned None).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask import Response
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cbpar.api.models import ClientRecord
from cbpar.api.responses import error
from cbpar.db import db

PARAMETER = "client_id"


class ClientIdError(Exception):
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.parameter = PARAMETER


class MalformedClientId(ClientIdError):
    status = 400


class ClientIdConflict(ClientIdError):
    status = 409


EXAMPLE_UUID = "0b6f3c1e-8d2a-4f5b-9c7e-1a2b3c4d5e6f"


def client_id_of(body: Any) -> str | None:
    """The `client_id` of a JSON body as a canonical UUID string; None if not given."""
    raw = body.get(PARAMETER) if isinstance(body, dict) else None
    if raw is None:
        return None
    try:
        if not isinstance(raw, str) or len(raw) > 45:
            raise ValueError(raw)
        return str(uuid.UUID(raw.strip()))
    except ValueError:
        raise MalformedClientId(
            _("client_id: a UUID made by the client, e.g. %(example)s.", example=EXAMPLE_UUID)
        ) from None


def _row(project: Any, client_id: str) -> ClientRecord | None:
    return db.session.scalar(
        select(ClientRecord).where(
            ClientRecord.project_id == project.id, ClientRecord.client_id == client_id
        )
    )


def existing(project: Any, kind: str, client_id: str | None) -> int | None:
    """The record this client id already made in the project, or None."""
    if client_id is None:
        return None
    row = _row(project, client_id)
    if row is None:
        return None
    if row.kind != kind:
        raise ClientIdConflict(_("client_id: this id was already used for another kind of record."))
    return row.record_id


def remember(project: Any, kind: str, client_id: str, record_id: int) -> None:
    """Store that `client_id` made this record (flushes; IntegrityError if already taken)."""
    db.session.add(
        ClientRecord(
            project_id=project.id,
            client_id=client_id,
            kind=kind,
            record_id=record_id,
            created_by_id=getattr(current_user, "id", None),
        )
    )
    db.session.flush()


def create_once(
    project: Any, kind: str, client_id: str | None, create: Callable[[], Any]
) -> tuple[int, bool]:
    """Create the record unless this client id already did: (record id, created now?)."""
    if client_id is None:
        return create().id, True
    found = existing(project, kind, client_id)
    if found is not None:
        return found, False
    try:
        with db.session.begin_nested():
            record = create()
            db.session.flush()
            remember(project, kind, client_id, record.id)
    except IntegrityError:
        # A simultaneous request with the same client id committed first; ours is undone.
        found = existing(project, kind, client_id)
        if found is None:
            raise
        return found, False
    return record.id, True


def error_response(exc: ClientIdError) -> Response:
    return error(exc.parameter, exc.message, exc.status)
