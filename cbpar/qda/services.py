"""The code book: codes with their hierarchy, counts, merge, move, delete and CSV import."""

from __future__ import annotations

import csv
import io
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import String, cast, delete, func, select, update

from cbpar import audit, links
from cbpar.db import db
from cbpar.links import RecordLink
from cbpar.qda import coding, sources
from cbpar.qda.models import DEFAULT_COLOR, Code, Coding
from cbpar.security import Role

COLOR = re.compile(r"#[0-9a-fA-F]{6}")
MAX_NAME = 120
MAX_CSV_ROWS = 2000


class CodeBookError(ValueError):
    """A change the code book refuses (a loop in the hierarchy, a name taken); the message
    is for the user, `field` names what it is about."""

    def __init__(self, message: str, field: str = "name") -> None:
        super().__init__(message)
        self.field = field


def get_code(project: Any, code_id: int | None) -> Code | None:
    if code_id is None:
        return None
    code = db.session.get(Code, code_id)
    return code if code is not None and code.project_id == project.id else None


def all_codes(project: Any) -> list[Code]:
    return list(
        db.session.scalars(
            select(Code).where(Code.project_id == project.id).order_by(func.lower(Code.name))
        )
    )


def descendants(codes: list[Code], code_id: int) -> set[int]:
    """The code and every code below it."""
    children: dict[int | None, list[int]] = {}
    for code in codes:
        children.setdefault(code.parent_id, []).append(code.id)
    found, todo = set(), [code_id]
    while todo:
        current = todo.pop()
        if current in found:
            continue
        found.add(current)
        todo.extend(children.get(current, []))
    return found


@dataclass
class CodeRow:
    """A code as the code book shows it: its depth in the tree and what it was applied to."""

    code: Code
    depth: int
    passages: int = 0
    sources: int = 0
    children: list[int] = field(default_factory=list)


def counts(project: Any, membership: Any, code_ids: list[int] | None = None) -> dict[int, tuple]:
    """code id -> (passages, sources) over the sources this member may see."""
    visible = sources.visible_rows(project, membership).subquery()
    query = (
        select(
            Coding.code_id,
            func.count(Coding.id),
            func.count(func.distinct(Coding.source_type + ":" + cast(Coding.source_id, String))),
        )
        .join(visible, (visible.c.kind == Coding.source_type) & (visible.c.id == Coding.source_id))
        .where(Coding.project_id == project.id, Coding.blind.is_(False))
        .group_by(Coding.code_id)
    )
    if code_ids is not None:
        query = query.where(Coding.code_id.in_(code_ids))
    return {code_id: (n, s) for code_id, n, s in db.session.execute(query)}


def tree(
    project: Any, membership: Any, numbers: dict[int, tuple[int, int]] | None = None
) -> list[CodeRow]:
    """Every code in tree order (parents before their children, siblings by name), with its
    passages and sources (`numbers`, if already counted)."""
    codes = all_codes(project)
    if numbers is None:
        numbers = counts(project, membership)
    by_parent: dict[int | None, list[Code]] = {}
    known = {c.id for c in codes}
    for code in codes:
        parent = code.parent_id if code.parent_id in known else None
        by_parent.setdefault(parent, []).append(code)
    rows: list[CodeRow] = []

    def walk(parent: int | None, depth: int) -> None:
        for code in by_parent.get(parent, []):
            passages, seen = numbers.get(code.id, (0, 0))
            rows.append(CodeRow(code, depth, passages, seen))
            walk(code.id, depth + 1)

    walk(None, 0)
    return rows


def _check(project: Any, name: str, color: str, code: Code | None = None) -> None:
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise CodeBookError(_("A code needs a name of at most 120 characters."))
    if color and not COLOR.fullmatch(color):
        raise CodeBookError(_("A colour is written like #f2c94c."), "color")
    taken = db.session.scalar(
        select(Code.id).where(Code.project_id == project.id, func.lower(Code.name) == name.lower())
    )
    if taken is not None and (code is None or taken != code.id):
        raise CodeBookError(_("There is already a code with this name."))


def _check_parent(project: Any, code: Code | None, parent_id: int | None) -> Code | None:
    if parent_id is None:
        return None
    parent = get_code(project, parent_id)
    if parent is None:
        raise CodeBookError(_("The parent code is not in this project."), "parent_id")
    if code is not None and parent.id in descendants(all_codes(project), code.id):
        raise CodeBookError(
            _("A code cannot be placed under itself or one of its children."), "parent_id"
        )
    return parent


def check_new_code(project: Any, data: dict[str, Any]) -> None:
    """Raise CodeBookError if `data` cannot make a new code."""
    color = (data.get("color") or "").strip() or DEFAULT_COLOR
    _check(project, data.get("name") or "", color)
    _check_parent(project, None, data.get("parent_id"))


def create_code(project: Any, data: dict[str, Any], by: Any) -> Code:
    name = (data.get("name") or "").strip()
    color = (data.get("color") or "").strip() or DEFAULT_COLOR
    _check(project, name, color)
    parent = _check_parent(project, None, data.get("parent_id"))
    code = Code(
        project_id=project.id,
        name=name,
        definition=(data.get("definition") or "").strip(),
        example=(data.get("example") or "").strip(),
        color=color.lower(),
        parent_id=parent.id if parent else None,
        guid=data.get("guid") or str(uuid.uuid4()),
        created_by_id=getattr(by, "id", None),
    )
    db.session.add(code)
    db.session.flush()
    audit.record("qda_code_created", code, project=project.id)
    return code


def update_code(project: Any, code: Code, data: dict[str, Any]) -> None:
    name = (data.get("name") or "").strip()
    color = (data.get("color") or "").strip() or code.color
    _check(project, name, color, code)
    parent = _check_parent(project, code, data.get("parent_id"))
    code.name = name
    code.definition = (data.get("definition") or "").strip()
    code.example = (data.get("example") or "").strip()
    code.color = color.lower()
    code.parent_id = parent.id if parent else None
    db.session.flush()


def move_code(project: Any, code: Code, parent_id: int | None) -> None:
    parent = _check_parent(project, code, parent_id)
    code.parent_id = parent.id if parent else None
    db.session.flush()


def merge_codes(project: Any, source: Code, into: Code) -> int:
    """Move every coding of `source` to `into` (a passage already coded `into` by the same
    coder is not doubled), its children under `into`, and delete `source`. Returns the number
    of codings moved."""
    if source.id == into.id:
        raise CodeBookError(_("Choose another code to merge into."))
    if into.id in descendants(all_codes(project), source.id):
        raise CodeBookError(_("A code cannot be merged into one of its own children."))
    existing = {
        tuple(row)
        for row in db.session.execute(
            select(
                Coding.source_type, Coding.source_id, Coding.start, Coding.end, Coding.coder_id
            ).where(Coding.code_id == into.id)
        )
    }
    moved = 0
    for row in list(db.session.scalars(select(Coding).where(Coding.code_id == source.id))):
        key = (row.source_type, row.source_id, row.start, row.end, row.coder_id)
        if key in existing:
            links.remove_all(row)
            db.session.delete(row)
            continue
        existing.add(key)
        row.code_id = into.id
        moved += 1
    db.session.execute(
        update(Code)
        .where(Code.project_id == project.id, Code.parent_id == source.id)
        .values(parent_id=into.id)
    )
    _repoint_citations(source, into)
    db.session.flush()
    audit.record(
        "qda_code_merged", into, project=project.id, details={"merged": source.id, "moved": moved}
    )
    db.session.delete(source)
    db.session.flush()
    return moved


def _repoint_citations(source: Code, into: Code) -> None:
    """A need that cited the merged code now cites the code it was merged into."""
    cited = select(RecordLink).where(
        RecordLink.target_type == "qda_code", RecordLink.target_id == source.id
    )
    for link in list(db.session.scalars(cited)):
        twin = db.session.scalar(
            select(RecordLink.id).where(
                RecordLink.source_type == link.source_type,
                RecordLink.source_id == link.source_id,
                RecordLink.target_type == "qda_code",
                RecordLink.target_id == into.id,
                RecordLink.relation == link.relation,
            )
        )
        if twin is None:
            link.target_id = into.id
        else:
            db.session.delete(link)


def delete_code(project: Any, code: Code) -> int:
    """Delete a code and its codings; its children move up to its parent."""
    coding.forget(db.session, select(Coding.id).where(Coding.code_id == code.id))
    links.remove_all(code)
    removed = db.session.execute(delete(Coding).where(Coding.code_id == code.id)).rowcount or 0
    db.session.execute(
        update(Code)
        .where(Code.project_id == project.id, Code.parent_id == code.id)
        .values(parent_id=code.parent_id)
    )
    audit.record("qda_code_deleted", code, project=project.id, details={"codings": removed})
    db.session.delete(code)
    db.session.flush()
    return removed


# --- CSV import ----------------------------------------------------------------------------------


@dataclass
class ImportResult:
    created: int = 0
    existing: int = 0
    problems: list[str] = field(default_factory=list)


def _csv_rows(data: bytes) -> list[dict[str, str]]:
    text = data.decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    fields = {(name or "").strip().lower(): name for name in reader.fieldnames or []}
    if "name" not in fields:
        raise CodeBookError(_("The CSV needs a column called name."))
    rows = []
    for number, row in enumerate(reader, start=1):
        if number > MAX_CSV_ROWS:
            raise CodeBookError(_("A code book of at most 2000 codes can be imported at once."))
        rows.append(
            {key: (row.get(original) or "").strip() for key, original in fields.items() if key}
        )
    return rows


def import_rows(project: Any, rows: list[dict[str, str]], by: Any) -> ImportResult:
    """Codes from rows of name, definition, parent (a parent's name, given in the same file or
    already in the code book), color, example. A code whose name exists is left as it is."""
    result = ImportResult()
    by_name = {c.name.lower(): c for c in all_codes(project)}
    made: list[tuple[Code, str]] = []
    for row in rows:
        name = row.get("name", "").strip()
        if not name:
            continue
        if name.lower() in by_name:
            result.existing += 1
            continue
        color = row.get("color", "") or row.get("colour", "")
        if color and not COLOR.fullmatch(color):
            color = DEFAULT_COLOR
        try:
            code = create_code(
                project,
                {
                    "name": name,
                    "definition": row.get("definition", ""),
                    "example": row.get("example", ""),
                    "color": color,
                    "guid": row.get("guid") or None,
                },
                by,
            )
        except CodeBookError as exc:
            result.problems.append(f"{name}: {exc}")
            continue
        by_name[name.lower()] = code
        made.append((code, row.get("parent", "").strip()))
        result.created += 1
    for code, parent_name in made:
        if not parent_name:
            continue
        parent = by_name.get(parent_name.lower())
        if parent is None or parent.id == code.id:
            result.problems.append(
                _("%(code)s: no parent called %(parent)s.", code=code.name, parent=parent_name)
            )
            continue
        code.parent_id = parent.id
    db.session.flush()
    return result


def import_csv(project: Any, data: bytes, by: Any) -> ImportResult:
    return import_rows(project, _csv_rows(data), by)


# --- evidence for needs ------------------------------------------------------------------------


@dataclass(frozen=True)
class Everyone:
    """The view used for a code's support figures: every source whose consent stands (the
    team's view, without anyone's private memos). Counts only, never passages."""

    project_id: int
    role: Role = Role.COORDINATOR
    user_id: None = None


def support(project: Any, code: Code) -> tuple[int, int, int]:
    """(passages, sources, families) coded with this code or its children, over every source
    whose consent stands: what "supported by 12 passages from 9 families" says."""
    visible = sources.visible_rows(project, Everyone(project.id)).subquery()
    ids = descendants(all_codes(project), code.id)
    row = db.session.execute(
        select(
            func.count(Coding.id),
            func.count(func.distinct(Coding.source_type + ":" + cast(Coding.source_id, String))),
            func.count(func.distinct(visible.c.household_id)),
        )
        .join(visible, (visible.c.kind == Coding.source_type) & (visible.c.id == Coding.source_id))
        .where(Coding.project_id == project.id, Coding.code_id.in_(ids), Coding.blind.is_(False))
    ).one()
    return row[0] or 0, row[1] or 0, row[2] or 0


@dataclass(frozen=True)
class CodeSupport:
    """A code a need cites, with what supports it (see `support`)."""

    name: str
    passages: int
    sources: int
    families: int


@dataclass
class NeedEvidence:
    """What a need's evidence trail says in figures: its cited codes, and how many cited
    single passages still count (their source's consent stands). Counts only: no passage's
    words, so it can go into a report handed to anyone."""

    codes: list[CodeSupport] = field(default_factory=list)
    passages: int = 0


def evidence_figures(project: Any, need_ids: list[int]) -> dict[int, NeedEvidence]:
    """The evidence figures of these needs, keyed by need id; needs that cite no code and no
    passage are left out. Passages of withdrawn-consent sources and blind codings never count."""
    if not need_ids:
        return {}
    cited = db.session.execute(
        select(RecordLink.source_id, RecordLink.target_type, RecordLink.target_id)
        .where(
            RecordLink.project_id == project.id,
            RecordLink.source_type == "need",
            RecordLink.source_id.in_(need_ids),
            RecordLink.relation == "evidence",
            RecordLink.target_type.in_(("qda_code", "qda_coding")),
        )
        .order_by(RecordLink.id)
    ).all()
    if not cited:
        return {}
    codes = {c.id: c for c in all_codes(project)}
    coding_ids = {target_id for _, kind, target_id in cited if kind == "qda_coding"}
    counting: set[int] = set()
    if coding_ids:
        visible = sources.visible_rows(project, Everyone(project.id)).subquery()
        counting = set(
            db.session.scalars(
                select(Coding.id)
                .join(
                    visible,
                    (visible.c.kind == Coding.source_type) & (visible.c.id == Coding.source_id),
                )
                .where(
                    Coding.project_id == project.id,
                    Coding.id.in_(coding_ids),
                    Coding.blind.is_(False),
                )
            )
        )
    supported: dict[int, CodeSupport] = {}
    found: dict[int, NeedEvidence] = {}
    for need_id, kind, target_id in cited:
        evidence = found.setdefault(need_id, NeedEvidence())
        if kind == "qda_coding":
            evidence.passages += target_id in counting
            continue
        code = codes.get(target_id)
        if code is None:
            continue
        if code.id not in supported:
            supported[code.id] = CodeSupport(code.name, *support(project, code))
        evidence.codes.append(supported[code.id])
    return {
        need_id: evidence
        for need_id, evidence in found.items()
        if evidence.codes or evidence.passages
    }
