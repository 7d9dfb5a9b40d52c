"""OpenRosa submissions: which forms a member may send, receiving one (once per instanceID),
the review queue (accept after fixing, or reject with a reason), and their files.

A valid submission makes its record at once, through the pages' services (the same audit
trail), with its files as the record's attachments. One that fails the page's checks, or
whose files are missing or of a refused type, waits in the queue with its XML, files and
reasons: nothing sent is ever dropped. Nothing here commits.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from cbpar import audit
from cbpar.attachments import services as attachments
from cbpar.care import services as care
from cbpar.db import db, utcnow
from cbpar.mapping import services as mapping
from cbpar.openrosa import submissions, xlsforms
from cbpar.openrosa.definitions import FORMS
from cbpar.openrosa.models import Submission, SubmissionMedia, SubmissionStatus
from cbpar.openrosa.submissions import FORM_CAPS, RECORD_TYPES, BadSubmission, Parsed
from cbpar.security import membership_can

__all__ = ["BadSubmission", "Outcome"]


# --- forms -----------------------------------------------------------------------------------


def may_submit(membership: Any, form_id: str) -> bool:
    caps = FORM_CAPS.get(form_id)
    return caps is not None and all(membership_can(membership, cap) for cap in caps)


def forms_for(membership: Any) -> list[str]:
    """The forms this member may fill and send, in a fixed order."""
    return [form_id for form_id in FORMS if may_submit(membership, form_id)]


def title(form_id: str) -> tuple[str, str]:
    return FORMS[form_id].title


def choice_lists(project: Any, form_id: str) -> dict[str, list[tuple[str, str]]]:
    """The project's own choices: villages by code, and the children a contact may be about."""
    lists: dict[str, list[tuple[str, str]]] = {
        "village": [(v.code, v.name) for v in mapping.villages(project)]
    }
    if form_id == "cbpar_contact":
        lists["child"] = [(c.code, c.code) for c in submissions.eligible_children(project)]
    # A list needs one choice: an empty project gets a placeholder the server refuses.
    for name, choices in lists.items():
        if not choices:
            lists[name] = [("none", _("(none yet)"))]
    return lists


def project_xform(project: Any, form_id: str) -> xlsforms.XForm:
    return xlsforms.xform(form_id, choice_lists(project, form_id))


def project_xlsx(project: Any, form_id: str) -> bytes:
    return xlsforms.project_xlsx(form_id, choice_lists(project, form_id))


# --- receiving -------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What became of a submission: `created` (201), `queued` (201) or `duplicate` (202)."""

    kind: str
    submission: Submission
    record: Any = None

    @property
    def status(self) -> int:
        return 202 if self.kind == "duplicate" else 201


def find(project: Any, instance_id: str) -> Submission | None:
    return db.session.scalar(
        select(Submission).where(
            Submission.project_id == project.id, Submission.instance_id == instance_id
        )
    )


def _takes_attachments(form_id: str) -> bool:
    return RECORD_TYPES[form_id] in attachments.targets()


def media_reasons(parsed: Parsed, files: dict[str, bytes]) -> list[dict[str, str]]:
    """A file the answers name but the request lacks, one too large, or of a refused type."""
    reasons = []
    limit = attachments.max_bytes()
    for question, name in submissions.media_names(parsed).items():
        data = files.get(name)
        if data is None:
            message = _("The file “%(name)s” was not sent with the submission.", name=name)
        elif not data:
            message = _("The file “%(name)s” is empty.", name=name)
        elif len(data) > limit:
            message = _("The file “%(name)s” is larger than allowed.", name=name)
        elif attachments.detect_type(data[:16]) is None:
            message = _("The file “%(name)s” is not a type this server accepts.", name=name)
        else:
            continue
        reasons.append({"field": question, "message": message})
    return reasons


def _named_files(parsed: Parsed, files: dict[str, bytes]) -> dict[str, bytes]:
    """Only the files the answers name (anything else in the request is not kept)."""
    names = set(submissions.media_names(parsed).values())
    return {name: data for name, data in files.items() if name in names}


def _attach(record: Any, submission: Submission, files: dict[str, bytes], user: Any) -> None:
    """The files become the record's attachments; a kind of record that takes none keeps
    them with its (accepted) submission, where the review page shows them."""
    if _takes_attachments(submission.form_id):
        for name, data in files.items():
            attachments.save_attachment(record, io.BytesIO(data), name, user)
        return
    for name, data in files.items():
        submission.media.append(SubmissionMedia(filename=name[:200], size=len(data), data=data))


def receive(project: Any, user: Any, data: bytes, files: dict[str, bytes]) -> Outcome:
    """A submission from ODK Collect (raises BadSubmission when it is not one of ours).

    A resend of a known instanceID creates nothing (202); files it brings that a waiting
    submission still lacked are kept with it (Collect sends a large submission's files in
    several requests), and once nothing else was wrong, the record is made then (201)."""
    parsed = submissions.parse(data)
    if parsed.form_id not in FORMS:
        raise BadSubmission(_("This server has no form “%(form)s”.", form=parsed.form_id))
    existing = find(project, parsed.instance_id)
    if existing is not None:
        record = _add_late_files(project, existing, parsed, files, user)
        if record is not None:
            return Outcome("created", existing, record)
        return Outcome("duplicate", existing)
    try:
        with db.session.begin_nested():
            return _receive_new(project, user, parsed, files)
    except IntegrityError:
        # A simultaneous resend stored the same instanceID first: ours is the duplicate.
        existing = find(project, parsed.instance_id)
        if existing is None:
            raise
        return Outcome("duplicate", existing)


def _receive_new(project: Any, user: Any, parsed: Parsed, files: dict[str, bytes]) -> Outcome:
    checked = submissions.check(project, parsed)
    reasons = checked.reasons + media_reasons(parsed, files)
    submission = Submission(
        project_id=project.id,
        form_id=parsed.form_id,
        form_version=parsed.version[:64],
        instance_id=parsed.instance_id,
        submitted_by_id=user.id,
    )
    kept = _named_files(parsed, files)
    if reasons:
        submission.status = SubmissionStatus.PENDING
        submission.xml = parsed.xml
        submission.reasons = reasons
        submission.media = [
            SubmissionMedia(filename=name[:200], size=len(data), data=data)
            for name, data in kept.items()
        ]
        db.session.add(submission)
        db.session.flush()
        audit.record(
            "submission_queued",
            submission,
            project=project,
            details={"form": parsed.form_id, "fields": sorted({r["field"] for r in reasons})},
        )
        return Outcome("queued", submission)
    record = submissions.create(project, parsed.form_id, checked, user, parsed.instance_id)
    db.session.flush()
    submission.status = SubmissionStatus.ACCEPTED
    submission.record_type, submission.record_id = RECORD_TYPES[parsed.form_id], record.id
    db.session.add(submission)
    _attach(record, submission, kept, user)
    db.session.flush()
    audit.record(
        "submission_accepted",
        submission,
        project=project,
        details={"form": parsed.form_id, "record": submission.record_type, "id": record.id},
    )
    return Outcome("created", submission, record)


def _add_late_files(
    project: Any, submission: Submission, parsed: Parsed, files: dict[str, bytes], user: Any
) -> Any | None:
    """Keep the files a waiting submission lacked; if they were all it waited for, make its
    record now (returned), else note what is still wrong."""
    if submission.status != SubmissionStatus.PENDING:
        return None
    have = {m.filename for m in submission.media}
    added = False
    for name, data in _named_files(parsed, files).items():
        if name not in have and data:
            submission.media.append(SubmissionMedia(filename=name[:200], size=len(data), data=data))
            added = True
    db.session.flush()
    if not added:
        return None
    stored = parsed_of(submission)
    checked = submissions.check(project, stored)
    reasons = checked.reasons + media_problems(submission)
    if reasons:
        submission.reasons = reasons
        db.session.flush()
        return None
    return _finish(project, submission, checked, user, reviewer=None)


def _finish(project: Any, submission: Submission, checked: Any, user: Any, reviewer: Any) -> Any:
    """Make a waiting submission's record, its files the record's attachments."""
    record = submissions.create(project, submission.form_id, checked, user, submission.instance_id)
    db.session.flush()
    files = {m.filename: m.data for m in submission.media}
    submission.media = []
    db.session.flush()
    _attach(record, submission, files, user)
    submission.status = SubmissionStatus.ACCEPTED
    submission.record_type, submission.record_id = RECORD_TYPES[submission.form_id], record.id
    submission.xml = ""  # the record is the truth now; the raw answers are not kept twice
    if reviewer is not None:
        submission.reviewed_by_id, submission.reviewed_at = reviewer.id, utcnow()
    db.session.flush()
    audit.record(
        "submission_accepted",
        submission,
        project=project,
        actor=user,
        details={"form": submission.form_id, "record": submission.record_type, "id": record.id},
    )
    return record


# --- the review queue ------------------------------------------------------------------------


def queue_query(project: Any, status: SubmissionStatus | None = SubmissionStatus.PENDING) -> Any:
    query = (
        select(Submission)
        .where(Submission.project_id == project.id)
        .options(joinedload(Submission.submitted_by))
        .order_by(Submission.created_at.desc(), Submission.id.desc())
    )
    if status is not None:
        query = query.where(Submission.status == status)
    return query


def counts(project: Any) -> dict[SubmissionStatus, int]:
    rows = db.session.execute(
        select(Submission.status, func.count())
        .where(Submission.project_id == project.id)
        .group_by(Submission.status)
    )
    found = {SubmissionStatus(status): n for status, n in rows}
    return {status: found.get(status, 0) for status in SubmissionStatus}


def get(project: Any, submission_id: int) -> Submission | None:
    return db.session.scalar(
        select(Submission).where(
            Submission.id == submission_id, Submission.project_id == project.id
        )
    )


def parsed_of(submission: Submission) -> Parsed:
    return submissions.parse(submission.xml.encode("utf-8"))


def review_form(project: Any, submission: Submission, formdata: Any = None) -> Any:
    """The page's form for a waiting submission: posted values, else the XML's (checked, so
    the page shows every reason next to its question)."""
    if formdata:
        return submissions.bind(project, submission.form_id, formdata)
    values, _reasons = submissions.form_values(project, parsed_of(submission))
    form = submissions.bind(project, submission.form_id, values)
    form.validate()
    if "csrf_token" in form:  # a GET carries no token: not a problem of the submission
        form["csrf_token"].errors = []
    return form


def media_problems(submission: Submission) -> list[dict[str, str]]:
    """Why the waiting files cannot be accepted as they are (named but missing, refused)."""
    parsed = parsed_of(submission)
    return media_reasons(parsed, {m.filename: m.data for m in submission.media})


def accept(project: Any, submission: Submission, form: Any, user: Any) -> Any | None:
    """Make the record from the fixed values (a bound form); None if they still fail (the
    form then carries the errors). Files still missing or refused stop it too."""
    if submission.status != SubmissionStatus.PENDING:
        raise ValueError("only a waiting submission is accepted")
    checked = submissions.check_form(project, submission.form_id, form)
    if not checked.ok or media_problems(submission):
        return None
    return _finish(project, submission, checked, user, reviewer=user)


def reject(project: Any, submission: Submission, reason: str, user: Any) -> None:
    if submission.status != SubmissionStatus.PENDING:
        raise ValueError("only a waiting submission is rejected")
    submission.status = SubmissionStatus.REJECTED
    submission.rejection_reason = reason.strip()
    submission.reviewed_by_id, submission.reviewed_at = user.id, utcnow()
    db.session.flush()
    audit.record(
        "submission_rejected",
        submission,
        project=project,
        actor=user,
        details={"form": submission.form_id},
    )


def contact_url(project: Any, contact_id: int) -> str | None:
    contact = care.get_contact(project, contact_id)
    if contact is None:
        return None
    return url_for("care.child", slug=project.slug, child_id=contact.child_id)


def get_media(submission: Submission, media_id: int) -> SubmissionMedia | None:
    for media in submission.media:
        if media.id == media_id:
            return media
    return None
