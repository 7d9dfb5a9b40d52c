"""Qualitative coding in the JSON API: the code book, coding a passage, a code's passages.
The same rules as the pages: codes and passages only of sources the caller may see."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, g, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from cbpar.access import require
from cbpar.api import bp
from cbpar.api.writing import answer, bad_request, check_fields, created_once, json_body
from cbpar.projects.models import Project
from cbpar.qda import coding, retrieval, services, sources
from cbpar.qda.models import Code, Coding
from cbpar.security import Cap
from cbpar.web import page_number

CODE_FIELDS = ("name", "definition", "color", "parent_id", "example")
CODING_FIELDS = ("source", "source_id", "start", "end", "code_id", "note")
SOURCE_KINDS = ("interview", "memo", "reflection", "minutes", "contact")


def code_json(row: services.CodeRow | Code) -> dict[str, Any]:
    code = row.code if isinstance(row, services.CodeRow) else row
    result = {
        "id": code.id,
        "name": code.name,
        "definition": code.definition,
        "example": code.example,
        "color": code.color,
        "parent_id": code.parent_id,
    }
    if isinstance(row, services.CodeRow):
        result.update(passages=row.passages, sources=row.sources)
    return result


def coding_json(item: Coding, source: sources.Source | None = None) -> dict[str, Any]:
    result = {
        "id": item.id,
        "code_id": item.code_id,
        "source": source.shown_kind if source else item.source_type,
        "source_id": item.source_id,
        "start": item.start,
        "end": item.end,
        "text": item.text,
        "note": item.note,
        "changed": item.changed,
        "coder": item.coder.name if item.coder else None,
        "created_at": item.created_at.isoformat(),
    }
    if source is not None:
        result["source_title"] = source.title
        result["source_date"] = source.on.isoformat() if source.on else None
    return result


def _string(body: dict[str, Any], name: str, limit: int) -> str:
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise bad_request(
            name, _("%(field)s: text of at most %(n)s characters.", field=name, n=limit)
        )
    return value


def _int(body: dict[str, Any], name: str, required: bool = True) -> int | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**53:
        raise bad_request(name, _("%(field)s: a whole number from 0.", field=name))
    return value


@bp.route("/projects/<slug>/codes", methods=["GET", "POST"])
@require(Cap.SEE_COMMUNITY_MEMOS, write=Cap.WRITE_MEMOS)
def qda_codes(project: Project):
    if request.method == "GET":
        return answer({"codes": [code_json(row) for row in services.tree(project, g.membership)]})
    body = json_body()
    check_fields(body, CODE_FIELDS)

    def make() -> Callable[[], Any]:
        data = {name: _string(body, name, 5000) for name in ("name", "definition", "example")}
        data["color"] = _string(body, "color", 7)
        data["parent_id"] = _int(body, "parent_id", required=False)
        if not data["name"].strip():
            raise bad_request("name", _("name: the code's name."))
        try:  # checked now, so that a refusal is a 400 and nothing is made
            services.check_new_code(project, data)
        except services.CodeBookError as exc:
            raise bad_request(exc.field, str(exc)) from None
        return lambda: services.create_code(project, data, current_user)

    found, created = created_once(project, "qda_code", body, make)
    code = services.get_code(project, found) or abort(404)
    return answer(code_json(code), 201 if created else 200)


@bp.route("/projects/<slug>/codings", methods=["POST"])
@require(Cap.WRITE_MEMOS)
def qda_codings(project: Project):
    """Code the passage [start, end) of a source's stored text, counted in code points."""
    body = json_body()
    check_fields(body, CODING_FIELDS)
    kind = body.get("source")
    if kind not in SOURCE_KINDS:
        raise bad_request("source", _("source: one of %(kinds)s.", kinds=", ".join(SOURCE_KINDS)))
    source_id = _int(body, "source_id")
    source = sources.get_visible(project, g.membership, kind, source_id)
    if source is None:
        abort(404)
    code = services.get_code(project, _int(body, "code_id"))
    if code is None:
        raise bad_request("code_id", _("code_id: a code of this project's code book."))
    note = _string(body, "note", coding.MAX_NOTE)

    def make() -> Callable[[], Any]:
        start, end = body.get("start"), body.get("end")
        try:
            coding.check_range(source.text, start, end)
        except coding.CodingError as exc:
            raise bad_request("start", str(exc)) from None
        return lambda: coding.apply_codes(source, [code], start, end, note, current_user)[0]

    found, created = created_once(project, "qda_coding", body, make)
    made = coding.get_coding(project, found) or abort(404)
    return answer(coding_json(made, source), 201 if created else 200)


@bp.route("/projects/<slug>/codes/<int:code_id>/segments")
@require(Cap.SEE_COMMUNITY_MEMOS)
def qda_segments(project: Project, code_id: int):
    """The passages of a code and of its children, on sources the caller may see."""
    code = services.get_code(project, code_id) or abort(404)
    page = retrieval.passages_page(
        project, g.membership, code, retrieval.Filters(), page_number(request.args.get("page"))
    )
    items = [
        {
            **coding_json(p.coding, p.source),
            "code": p.coding.code.name,
            "before": p.before,
            "after": p.after,
            "url": url_for(
                "qda.code_source",
                slug=project.slug,
                kind=p.coding.source_type,
                source_id=p.coding.source_id,
                _external=True,
            ),
        }  # fmt: skip
        for p in page.items
    ]
    return answer(
        {
            "segments": items,
            "count": len(items),
            "page": page.page,
            "per_page": page.per_page,
            "pages": page.pages,
            "total": page.total,
        }
    )
