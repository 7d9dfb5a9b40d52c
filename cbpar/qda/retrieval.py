"""Retrieval: the passages of a code (and of its children), filtered, paged and exported;
co-occurrence of codes and counts by village and kind of source.

Every query here joins the codings to `sources.visible_rows`, the SQL form of who may see
which source, so a passage of a withdrawn interview (or any source the member may not see) is
in no list, count, table or export.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import pgettext
from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased, joinedload

from cbpar import csvout
from cbpar.db import db
from cbpar.mapping.models import Household
from cbpar.projects.models import Village
from cbpar.qda import services, sources
from cbpar.qda.models import Code, Coding, SourceKind
from cbpar.web import Page, paginate

CONTEXT = 80  # characters of the source's text shown before and after a passage
HOUSEHOLD_FILTERS = ("under6", "both_away", "grandparents")
PER_PAGE = 50


@dataclass
class Filters:
    village_id: int | None = None
    kind: str = ""  # a SourceKind value ("reflection" included)
    interview_kind: str = ""
    household: str = ""  # one of HOUSEHOLD_FILTERS
    publishable_only: bool = False

    def as_args(self) -> dict[str, Any]:
        args = {
            "village": self.village_id,
            "kind": self.kind,
            "interview_kind": self.interview_kind,
            "household": self.household,
            "publishable": "1" if self.publishable_only else "",
        }
        return {k: v for k, v in args.items() if v}


def _visible(project: Any, membership: Any, filters: Filters) -> Any:
    visible = sources.visible_rows(project, membership).subquery()
    return visible


def coded_query(project: Any, membership: Any, code_ids: set[int], filters: Filters) -> Any:
    """SQL: the codings of these codes on sources the member sees, passing the filters."""
    visible = _visible(project, membership, filters)
    query = (
        select(Coding)
        .join(visible, and_(visible.c.kind == Coding.source_type, visible.c.id == Coding.source_id))
        .where(
            Coding.project_id == project.id,
            Coding.code_id.in_(code_ids),
            Coding.blind.is_(False),
        )
    )
    if filters.village_id:
        query = query.where(visible.c.village_id == filters.village_id)
    if filters.kind:
        query = query.where(visible.c.shown_kind == filters.kind)
    if filters.interview_kind:
        query = query.where(visible.c.interview_kind == filters.interview_kind)
    if filters.publishable_only:
        query = query.where(visible.c.publishable.is_(True))
    if filters.household in HOUSEHOLD_FILTERS:
        home = aliased(Household)
        query = query.join(home, home.id == visible.c.household_id)
        if filters.household == "under6":
            query = query.where(home.children_under_6 > 0)
        elif filters.household == "both_away":
            query = query.where(home.migrant_parents == "both")
        else:
            query = query.where(home.caregiver == "grandparents")
    return query.options(joinedload(Coding.code), joinedload(Coding.coder)).order_by(
        Coding.source_type, Coding.source_id, Coding.start, Coding.id
    )


@dataclass
class Passage:
    coding: Coding
    source: sources.Source | None
    before: str
    after: str

    @property
    def text(self) -> str:
        return self.coding.text

    @property
    def kind_label(self) -> str:
        if self.source is None:
            return ""
        return str(SourceKind(self.source.shown_kind).label)

    @property
    def on(self) -> date | None:
        return self.source.on if self.source else None


def with_context(codings: list[Coding], project: Any) -> list[Passage]:
    found = sources.texts(project, {(c.source_type, c.source_id) for c in codings})
    passages = []
    for coding in codings:
        source = found.get((coding.source_type, coding.source_id))
        text = source.text if source else ""
        before = text[max(0, coding.start - CONTEXT) : coding.start]
        after = text[coding.end : coding.end + CONTEXT]
        passages.append(Passage(coding, source, before, after))
    return passages


def code_ids_with_children(project: Any, code: Code) -> set[int]:
    return services.descendants(services.all_codes(project), code.id)


def passages_page(project: Any, membership: Any, code: Code, filters: Filters, page: int) -> Page:
    query = coded_query(project, membership, code_ids_with_children(project, code), filters)
    result = paginate(query, page, PER_PAGE)
    result.items = with_context(result.items, project)
    return result


def all_passages(project: Any, membership: Any, code: Code, filters: Filters) -> list[Passage]:
    query = coded_query(project, membership, code_ids_with_children(project, code), filters)
    return with_context(list(db.session.scalars(query)), project)


def villages(project: Any) -> list[Village]:
    return list(
        db.session.scalars(
            select(Village).where(Village.project_id == project.id).order_by(Village.name)
        )
    )


# --- exports ---------------------------------------------------------------------------------


def export_header() -> list[str]:
    return [
        pgettext("qualitative coding", "Code"),
        _("Passage"),
        _("Before"),
        _("After"),
        _("Kind of source"),
        _("Source"),
        _("Date"),
        _("Coder"),
        _("Note"),
        _("From character"),
        _("To character"),
        _("Changed since coded"),
    ]


def export_rows(passages: list[Passage]) -> list[list[Any]]:
    return [
        [
            p.coding.code.name,
            p.text,
            p.before,
            p.after,
            p.kind_label,
            p.source.title if p.source else "",
            p.on,
            p.coding.coder.name if p.coding.coder else "",
            p.coding.note,
            p.coding.start,
            p.coding.end,
            _("yes") if p.coding.changed else "",
        ]
        for p in passages
    ]


def to_csv(passages: list[Passage]) -> str:
    return csvout.to_csv(export_header(), export_rows(passages))


def to_xlsx(passages: list[Passage]) -> bytes:
    return csvout.to_xlsx(export_header(), export_rows(passages), sheet=_("Passages"))


# --- analysis: co-occurrence and counts --------------------------------------------------------


def visible_codings(project: Any, membership: Any) -> list[tuple]:
    """(code, kind, source id, start, end, village, interview kind, shown kind) of every
    finished coding on a source the member sees: what the analysis page counts, read once."""
    return _visible_codings(project, membership)


def _visible_codings(project: Any, membership: Any) -> list[tuple]:
    # The sources the member sees (a few thousand rows), then the codings' five columns in one
    # plain read, matched in Python: at 100,000 codings this is several times faster than
    # joining every coding to the union of visible sources in SQL.
    seen = {
        (row.kind, row.id): (row.village_id, row.interview_kind, row.shown_kind)
        for row in db.session.execute(sources.visible_rows(project, membership))
    }
    codings = _coding_columns(project.id)
    return [
        (code_id, kind, source_id, start, end, *seen[(kind, source_id)])
        for code_id, kind, source_id, start, end in codings
        if (kind, source_id) in seen
    ]


def tallies(rows: list[tuple]) -> dict[str, dict[tuple[int, str], int]]:
    """The three counts of the analysis page in one pass over visible_codings' rows:
    {"village": ..., "interview_kind": ..., "kind": ...}, each (code id, key) -> passages."""
    village: Counter = Counter()
    interview: Counter = Counter()
    kind: Counter = Counter()
    for code_id, _kind, _id, _s, _e, village_id, interview_kind, shown in rows:
        village[(code_id, str(village_id) if village_id else "")] += 1
        if interview_kind:
            interview[(code_id, interview_kind)] += 1
        kind[(code_id, shown or "")] += 1
    return {"village": dict(village), "interview_kind": dict(interview), "kind": dict(kind)}


def _coding_columns(project_id: int) -> list[tuple]:
    """(code_id, source_type, source_id, start, end) of the project's finished codings, read
    with the driver's own cursor in the request's transaction: building 100,000 result rows
    through SQLAlchemy takes longer than the query itself."""
    connection = db.session.connection()
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    cursor = connection.connection.cursor()
    try:
        cursor.execute(
            'SELECT code_id, source_type, source_id, start, "end" FROM qda_coding'
            f" WHERE project_id = {marker} AND blind = {marker}",
            (project_id, False),
        )
        return cursor.fetchall()
    finally:
        cursor.close()


def code_counts(rows: list[tuple]) -> dict[int, tuple[int, int]]:
    """code id -> (passages, sources), from visible_codings' rows."""
    passages: Counter = Counter()
    seen: dict[int, set] = defaultdict(set)
    for code_id, kind, source_id, *_rest in rows:
        passages[code_id] += 1
        seen[code_id].add((kind, source_id))
    return {code_id: (n, len(seen[code_id])) for code_id, n in passages.items()}


def co_occurrence(
    project: Any, membership: Any, rows: list[tuple] | None = None
) -> dict[tuple[int, int], int]:
    """(code a, code b) with a < b -> the number of pairs of their codings that overlap (share
    at least one character of the same source). The diagonal (a, a) is each code's passages."""
    by_source: dict[tuple[str, int], list[tuple[int, int, int]]] = defaultdict(list)
    diagonal: Counter = Counter()
    table: Counter = Counter()
    if rows is None:
        rows = _visible_codings(project, membership)
    for code_id, kind, source_id, start, end, *_rest in rows:
        by_source[(kind, source_id)].append((start, end, code_id))
        diagonal[code_id] += 1
    for ranges in by_source.values():
        ranges.sort()
        count = len(ranges)
        for i in range(count):
            _start, end, code_a = ranges[i]
            j = i + 1
            # Sorted by start: a later range overlaps this one while it starts before its end.
            while j < count and ranges[j][0] < end:
                code_b = ranges[j][2]
                if code_a != code_b:
                    table[(code_a, code_b) if code_a < code_b else (code_b, code_a)] += 1
                j += 1
    table.update({(code, code): n for code, n in diagonal.items()})
    return dict(table)


def counts_by(
    project: Any, membership: Any, dimension: str, rows: list[tuple] | None = None
) -> dict[tuple[int, str], int]:
    """(code id, village id or interview kind or kind of source) -> passages."""
    table: Counter = Counter()
    if rows is None:
        rows = _visible_codings(project, membership)
    for code_id, _kind, _id, _s, _e, village_id, interview_kind, shown in rows:
        if dimension == "village":
            key = str(village_id) if village_id else ""
        elif dimension == "interview_kind":
            key = interview_kind or ""
            if not key:
                continue
        else:
            key = shown or ""
        table[(code_id, key)] += 1
    return dict(table)


def count_all(project: Any, membership: Any) -> int:
    visible = sources.visible_rows(project, membership).subquery()
    return (
        db.session.scalar(
            select(func.count(Coding.id))
            .join(
                visible,
                and_(visible.c.kind == Coding.source_type, visible.c.id == Coding.source_id),
            )
            .where(Coding.project_id == project.id, Coding.blind.is_(False))
        )
        or 0
    )
