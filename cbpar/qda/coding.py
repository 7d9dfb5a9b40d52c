"""Codings: apply codes to a passage, change or remove them, show a source's text with its
coded ranges, and keep codings attached when the source's text is edited."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import delete, event, inspect, select
from sqlalchemy.orm import Session, joinedload

from cbpar import audit, links
from cbpar.care.models import Child, ContactLog
from cbpar.db import db, utcnow
from cbpar.interviews.models import Interview
from cbpar.links import RecordLink
from cbpar.mapping.models import Household
from cbpar.meetings.models import Meeting, Minutes
from cbpar.memos.models import Memo
from cbpar.qda.models import Code, Coding
from cbpar.qda.sources import Source

MAX_NOTE = 500
# How far from its old place an edited passage is looked for before the coding is flagged.
SEARCH_WINDOW = 10_000


class CodingError(ValueError):
    """Offsets outside the text, an empty passage, a code of another project."""


def check_range(text: str, start: Any, end: Any) -> tuple[int, int]:
    """Offsets count code points (Python's str indexes): 0 <= start < end <= len(text)."""
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
        raise CodingError(_("start and end are whole numbers."))
    if not 0 <= start < end <= len(text):
        raise CodingError(
            _("The passage must lie within the text (0 to %(n)s characters).", n=len(text))
        )
    if not text[start:end].strip():
        raise CodingError(_("Select some text, not only spaces."))
    return start, end


def apply_codes(
    source: Source, codes: list[Code], start: int, end: int, note: str, by: Any,
    blind: bool = False,
) -> list[Coding]:  # fmt: skip
    """Code the passage [start, end) with each code (one coding per code; a code this coder
    already applied to exactly this passage is not applied twice)."""
    start, end = check_range(source.text, start, end)
    made = []
    for code in codes:
        if code.project_id != source.record.project_id:
            raise CodingError(_("This code is not in this project."))
        same = db.session.scalar(
            select(Coding).where(
                Coding.code_id == code.id,
                Coding.source_type == source.kind,
                Coding.source_id == source.id,
                Coding.start == start,
                Coding.end == end,
                Coding.coder_id == getattr(by, "id", None),
            )
        )
        if same is not None:
            made.append(same)
            continue
        coding = Coding(
            project_id=code.project_id,
            code_id=code.id,
            source_type=source.kind,
            source_id=source.id,
            start=start,
            end=end,
            text=source.text[start:end],
            note=(note or "").strip()[:MAX_NOTE],
            coder_id=getattr(by, "id", None),
            blind=blind,
        )
        db.session.add(coding)
        made.append(coding)
    db.session.flush()
    return made


def get_coding(project: Any, coding_id: int) -> Coding | None:
    coding = db.session.get(Coding, coding_id)
    return coding if coding is not None and coding.project_id == project.id else None


def change_coding(coding: Coding, code: Code | None, note: str) -> None:
    if code is not None:
        if code.project_id != coding.project_id:
            raise CodingError(_("This code is not in this project."))
        coding.code_id = code.id
    coding.note = (note or "").strip()[:MAX_NOTE]
    coding.updated_at = utcnow()
    db.session.flush()


def remove_coding(coding: Coding, by: Any) -> None:
    links.remove_all(coding)
    audit.record(
        "qda_coding_removed", coding, project=coding.project_id, details={"code": coding.code_id}
    )
    db.session.delete(coding)
    db.session.flush()


def codings_of(source: Source, membership: Any, blind: bool = False) -> list[Coding]:
    """The codings of one source a member sees: in blind mode only their own blind codings,
    else every coding but other coders' blind ones."""
    query = (
        select(Coding)
        .where(
            Coding.project_id == source.record.project_id,
            Coding.source_type == source.kind,
            Coding.source_id == source.id,
        )
        .options(joinedload(Coding.code), joinedload(Coding.coder))
        .order_by(Coding.start, Coding.end, Coding.id)
    )
    rows = list(db.session.scalars(query))
    me = getattr(membership, "user_id", None)
    if blind:
        return [c for c in rows if c.blind and c.coder_id == me]
    return [c for c in rows if not c.blind or c.coder_id == me]


def coding_blind(source: Source, user_id: int | None) -> bool:
    """Is this member in the middle of a blind coding of this source?"""
    return (
        db.session.scalar(
            select(Coding.id).where(
                Coding.source_type == source.kind,
                Coding.source_id == source.id,
                Coding.coder_id == user_id,
                Coding.blind.is_(True),
            )
        )
        is not None
    )


def finish_blind(source: Source, user_id: int | None) -> int:
    """The second coder is done: their codings become visible to everyone (and count)."""
    rows = list(
        db.session.scalars(
            select(Coding).where(
                Coding.source_type == source.kind,
                Coding.source_id == source.id,
                Coding.coder_id == user_id,
                Coding.blind.is_(True),
            )
        )
    )
    for row in rows:
        row.blind = False
    db.session.flush()
    return len(rows)


# --- the text with its coded ranges, as spans ------------------------------------------------


@dataclass
class Span:
    """A stretch of the text with the same codings on all of it."""

    start: int
    end: int
    text: str
    codings: list[Coding] = field(default_factory=list)

    @property
    def html(self) -> Markup:
        """The text escaped; a carriage return as a character reference, since the HTML parser
        would turn a literal one into a line feed (or drop it) and shift every offset after."""
        return Markup(str(escape(self.text)).replace("\r", "&#13;"))

    @property
    def color(self) -> str:
        return self.codings[-1].code.color if self.codings else ""

    @property
    def coding_ids(self) -> str:
        return " ".join(str(c.id) for c in self.codings)

    @property
    def code_names(self) -> str:
        return ", ".join(dict.fromkeys(c.code.name for c in self.codings))


def spans(text: str, codings: list[Coding]) -> list[Span]:
    """The text cut at every coding's start and end, so each span renders as one element and
    the concatenation of all spans is exactly the stored text (offsets map one to one)."""
    cuts = {0, len(text)}
    for coding in codings:
        if coding.end <= len(text):
            cuts.update((coding.start, coding.end))
    points = sorted(cuts)
    result = []
    for start, end in zip(points, points[1:], strict=False):
        if start == end:
            continue
        covering = [c for c in codings if c.start <= start and end <= c.end <= len(text)]
        result.append(Span(start, end, text[start:end], covering))
    return result


# --- keeping codings attached when the text changes ------------------------------------------


def reanchor(codings: list[Coding], text: str) -> int:
    """After an edit: a passage still at its offsets stays; one that moved is found again (the
    occurrence of its stored text nearest its old start, within SEARCH_WINDOW characters); one
    that is gone, or changed, is flagged `changed` (kept at its old offsets, clipped to the
    text). Returns how many are flagged."""
    flagged = 0
    for coding in codings:
        if text[coding.start : coding.end] == coding.text and coding.text:
            if coding.changed:
                coding.changed = False
            continue
        best = _nearest(text, coding.text, coding.start)
        if best is not None:
            coding.start, coding.end = best, best + len(coding.text)
            coding.changed = False
        else:
            coding.changed = True
            coding.end = min(coding.end, len(text))
            coding.start = min(coding.start, max(coding.end - 1, 0))
            flagged += 1
    return flagged


def _nearest(text: str, passage: str, near: int) -> int | None:
    if not passage:
        return None
    low = max(0, near - SEARCH_WINDOW)
    high = near + SEARCH_WINDOW + len(passage)
    best, at = None, text.find(passage, low, high)
    while at != -1:
        if best is None or abs(at - near) < abs(best - near):
            best = at
        at = text.find(passage, at + 1, high)
    return best


# The text attribute of each source model, and how to name the source from a changed record.
_TEXTS: dict[type, tuple[str, str, str]] = {
    Interview: ("notes", "interview", "id"),
    Memo: ("body", "memo", "id"),
    Minutes: ("body", "minutes", "meeting_id"),
    ContactLog: ("summary", "contact", "id"),
}


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    """Every change to a source's text re-anchors its codings in the same flush; an erased
    interview, a deleted source, or a child's withdrawn consent (which wipes the contacts'
    words) removes the codings, with their copies of the passages."""
    for obj in list(session.dirty):
        spec = _TEXTS.get(type(obj))
        if spec is not None:
            attribute, kind, id_name = spec
            if inspect(obj).attrs[attribute].history.has_changes():
                _reanchor_source(session, kind, getattr(obj, id_name), getattr(obj, attribute))
        if isinstance(obj, Interview) and inspect(obj).attrs.erased_at.history.added:
            _remove(session, "interview", [obj.id])
        if isinstance(obj, Child) and inspect(obj).attrs.withdrawn_at.history.added:
            contacts = select(ContactLog.id).where(ContactLog.child_id == obj.id)
            _remove(session, "contact", list(session.scalars(contacts)))
    for obj in list(session.deleted):
        for model, kind in ((Interview, "interview"), (Memo, "memo"), (ContactLog, "contact")):
            if isinstance(obj, model):
                _remove(session, kind, [obj.id])
        if isinstance(obj, Meeting):
            _remove(session, "minutes", [obj.id])
        if isinstance(obj, Household):
            # A household's erasure deletes its children's contacts in bulk (no ORM objects).
            _sweep_contacts(session, obj.project_id)


def _reanchor_source(session: Session, kind: str, source_id: int | None, text: str) -> None:
    if source_id is None:
        return
    codings = list(
        session.scalars(
            select(Coding).where(Coding.source_type == kind, Coding.source_id == source_id)
        )
    )
    if codings:
        reanchor(codings, text or "")


def _remove(session: Session, kind: str, ids: list[int]) -> None:
    if ids:
        where = (Coding.source_type == kind, Coding.source_id.in_(ids))
        forget(session, select(Coding.id).where(*where))
        session.execute(delete(Coding).where(*where))


def forget(session: Session, coding_ids: Any) -> None:
    """Remove the links (a need's evidence) to codings about to be deleted in bulk."""
    session.execute(
        delete(RecordLink).where(
            RecordLink.target_type == "qda_coding", RecordLink.target_id.in_(coding_ids)
        )
    )


def _sweep_contacts(session: Session, project_id: int) -> None:
    """Remove contact codings whose contact no longer exists."""
    where = (
        Coding.project_id == project_id,
        Coding.source_type == "contact",
        Coding.source_id.not_in(select(ContactLog.id).where(ContactLog.project_id == project_id)),
    )
    forget(session, select(Coding.id).where(*where))
    session.execute(delete(Coding).where(*where))


def listen() -> None:
    """Hook the re-anchoring into every session (once per process; sessions are shared
    by every app a process makes, as in tests)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
