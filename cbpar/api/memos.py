"""Memo and search endpoints of the JSON API: the same permission rules as the pages."""

from __future__ import annotations

from typing import Any

from flask import abort, g, jsonify, request, url_for
from flask_login import current_user

from cbpar import search
from cbpar.access import require, require_login
from cbpar.api import bp
from cbpar.api.responses import error
from cbpar.db import db
from cbpar.memos import services
from cbpar.memos.models import Memo, MemoKind, Visibility
from cbpar.projects.models import Project
from cbpar.projects.services import load_for_member
from cbpar.security import Cap
from cbpar.web import int_arg

MAX_LIST = 200


def memo_json(memo: Memo, slug: str) -> dict[str, Any]:
    return {
        "id": memo.id,
        "title": memo.title,
        "body": memo.body,
        "html": memo.html,
        "kind": memo.kind.value,
        "visibility": memo.visibility.value,
        "tags": [t.name for t in memo.tags],
        "version": memo.version,
        "author": memo.author.name if memo.author else None,
        "created_at": memo.created_at.isoformat(),
        "updated_at": memo.updated_at.isoformat(),
        "url": url_for("memos.view", slug=slug, memo_id=memo.id, _external=True),
    }


def _answer(body: Any, status: int = 200):
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _payload(partial: bool) -> tuple[dict[str, Any] | None, Any]:
    """The JSON body checked field by field: (data, None) or (None, a 400 naming the field)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return None, error("body", "Send a JSON object.")
    data: dict[str, Any] = {}
    title = body.get("title")
    if title is not None or not partial:
        if not isinstance(title, str) or not title.strip() or len(title) > 200:
            return None, error("title", "title: a non-empty string of at most 200 characters.")
        data["title"] = title
    if "body" in body:
        if not isinstance(body["body"], str) or len(body["body"]) > 200_000:
            return None, error("body", "body: a Markdown string.")
        data["body"] = body["body"]
    choices = {"kind": {k.value for k in MemoKind}, "visibility": {v.value for v in Visibility}}
    for name, allowed in choices.items():
        if name in body:
            if body[name] not in allowed:
                return None, error(name, f"{name}: one of {', '.join(sorted(allowed))}.")
            data[name] = body[name]
    if "tags" in body:
        tags = body["tags"]
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            return None, error("tags", "tags: a list of strings.")
        data["tags"] = services.normalise_tags(tags)
    return data, None


@bp.route("/projects/<slug>/memos", methods=["GET", "POST"])
@require(Cap.SEE_COMMUNITY_MEMOS, write=Cap.WRITE_MEMOS)
def memos(project):
    if request.method == "POST":
        data, problem = _payload(partial=False)
        if problem is not None:
            return problem
        memo = services.create_memo(project, current_user, data)
        response = _answer(memo_json(memo, project.slug), 201)
        response.headers["Location"] = url_for("api.memo", memo_id=memo.id, _external=True)
        return response
    query = services.list_query(
        project,
        g.membership,
        tag=request.args.get("tag", "").strip(),
        q=request.args.get("q", ""),
    )
    limit = int_arg("limit", MAX_LIST, maximum=MAX_LIST)
    items = [memo_json(m, project.slug) for m in db.session.scalars(query.limit(limit))]
    return _answer({"memos": items, "count": len(items)})


def _load_memo(memo_id: int) -> tuple[Memo, Any]:
    """The memo, if it exists and the caller may read it; 404 otherwise (never 403: no leaks)."""
    memo = db.session.get(Memo, memo_id) or abort(404)

    project = db.session.get(Project, memo.project_id)
    project, membership = load_for_member(project.slug, current_user)
    if project is None or not services.can_see(membership, memo):
        abort(404)
    g.project, g.membership = project, membership
    return memo, project


@bp.route("/memos/<int:memo_id>", methods=["GET", "PUT"])
@require_login
def memo(memo_id: int):
    memo, project = _load_memo(memo_id)
    if request.method == "GET":
        return _answer(memo_json(memo, project.slug))
    if not services.can_edit(g.membership, memo):
        abort(403)
    body = request.get_json(silent=True)
    version = body.get("version") if isinstance(body, dict) else None
    if not isinstance(version, int) or isinstance(version, bool):
        return error("version", "version: the integer version this edit is based on.")
    data, problem = _payload(partial=True)
    if problem is not None:
        return problem
    merged = {"title": memo.title, "body": memo.body, **data}
    if "tags" not in data:
        merged.pop("tags", None)
    try:
        services.update_memo(
            memo, merged, version, current_user, manage=services.can_manage(g.membership, memo)
        )
    except services.StaleMemo as stale:
        return _answer(
            {
                "error": "conflict",
                "message": "The memo was changed since that version; nothing was overwritten.",
                "current": memo_json(stale.memo, project.slug),
            },
            409,
        )
    return _answer(memo_json(memo, project.slug))


@bp.route("/projects/<slug>/search")
@require(Cap.SEE_COMMUNITY_MEMOS)
def search_api(project):
    q = request.args.get("q", "").strip()
    if not q:
        return error("q", "q: the words to search for.")
    hits = search.search(project, g.membership, q)
    return _answer(
        {
            "query": q,
            "hits": [
                {
                    "type": hit.type,
                    "id": hit.id,
                    "title": hit.title,
                    "url": request.host_url.rstrip("/") + hit.url
                    if hit.url.startswith("/")
                    else hit.url,
                    "snippet": str(hit.snippet),
                }
                for hit in hits
            ],
        }
    )
