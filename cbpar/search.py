"""Search across a project's texts: each feature registers a provider for its records (from
its `integration.init_app(app)`).

Matching is a case-insensitive substring match (LIKE/ILIKE) on every term, so Chinese text,
which has no spaces between words, is found on SQLite and PostgreSQL alike. Memos, the one
table that grows to 100,000 rows, have a trigram index that finds the rows to read
(cbpar/search_index.py); the results are the LIKE match's either way.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import nh3
from flask import Flask
from markupsafe import Markup, escape
from sqlalchemy import ColumnElement, and_, false, func, or_
from sqlalchemy.dialects.postgresql import array

from cbpar import registry, search_index
from cbpar.db import db

MAX_TERMS = 8


@dataclass(frozen=True)
class Hit:
    type: str  # "memo", "comment", "interview", "minutes", ...
    id: int
    title: str
    url: str
    snippet: Markup  # escaped text with <mark> around matches
    when: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# provider(project, membership, terms, limit) -> hits the member may see
Provider = Callable[[Any, Any, list[str], int], list[Hit]]


def providers(app: Flask | None = None) -> dict[str, Provider]:
    """This app's search providers, by name, in registration order."""
    return registry.slot("search_providers", dict, app)


def register(app: Flask, name: str, provider: Provider) -> None:
    providers(app)[name] = provider


def terms_of(query: str) -> list[str]:
    """Whitespace-separated terms, or one quoted phrase; at most MAX_TERMS."""
    query = (query or "").strip()
    phrases = re.findall(r'"([^"]+)"', query)
    rest = re.sub(r'"[^"]*"', " ", query).split()
    return [t for t in [*phrases, *rest] if t.strip()][:MAX_TERMS]


def _like(term: str) -> str:
    return search_index.like_pattern(term)


def like_matches(columns: list[Any], terms: list[str]) -> ColumnElement[bool]:
    """Every term appears in at least one of the columns: the match itself, without an index."""
    return and_(*[or_(*[c.ilike(_like(t), escape="\\") for c in columns]) for t in terms])


def matches(columns: list[Any], terms: list[str]) -> ColumnElement[bool]:
    """Every term appears in at least one of the columns.

    Where the columns have a trigram index (cbpar/search_index.py) it is used only where it
    helps: on SQLite it lists the rows a rare term is in; on PostgreSQL, terms too short or too
    common for it are written so its planner reads the newest rows in order instead. Either
    way the LIKE match decides, so the results are the same as without an index.
    """
    if not search_index.indexed(columns):
        return like_matches(columns, terms)
    session = db.session
    plan = search_index.postgresql_plan(session, columns, terms)
    clauses = []
    for term in terms:
        way = plan.get(term, "index")
        # `column || ''` is the same text, but not what the trigram index is on.
        cols = [c.concat("") for c in columns] if way in ("scan", "grams") else columns
        clause = or_(*[c.ilike(_like(term), escape="\\") for c in cols])
        if way == "grams":  # the rows holding the term's characters, then the ILIKE match
            gram = array([func.lower(term)])
            clause = and_(or_(*[func.cbpar_grams(c).op("@>")(gram) for c in columns]), clause)
        if way == "newest":
            # The same rows (NULL and false both leave a row out), but the planner can neither
            # use the GIN index for it nor guess it rare: it reads the newest rows first.
            clause = func.coalesce(clause, false())
        clauses.append(clause)
    like = and_(*clauses)
    ids = search_index.candidates(session, columns, terms)
    if ids is None:
        return like
    return and_(search_index.among(columns[0].table, ids), like)


def highlight(text: str, terms: list[str]) -> Markup:
    """Escape the text, then wrap each match of a term in <mark>."""
    if not terms:
        return escape(text)
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.I)
    out, last = [], 0
    for match in pattern.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(Markup("<mark>%s</mark>") % match.group(0))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def html_text(stored: str) -> str:
    """The text of stored, sanitized HTML, as `text.plain_text` gives it from the Markdown,
    without rendering the Markdown again (for 50 hits that was most of a search's time)."""
    # nh3 drops the tags but keeps the text escaped ("&amp;"); the snippet escapes it itself.
    return html.unescape(nh3.clean(stored or "", tags=set())).strip()


def snippet(text: str, terms: list[str], width: int = 160) -> Markup:
    """A window of `text` around the first match, highlighted."""
    text = " ".join((text or "").split())
    lowered = text.lower()
    positions = [lowered.find(t.lower()) for t in terms if lowered.find(t.lower()) >= 0]
    start = max(0, min(positions) - width // 3) if positions else 0
    piece = text[start : start + width]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + width < len(text) else ""
    return Markup(prefix) + highlight(piece, terms) + Markup(suffix)


def search(project: Any, membership: Any, query: str, limit: int = 50) -> list[Hit]:
    terms = terms_of(query)
    if not terms:
        return []
    hits: list[Hit] = []
    for provider in providers().values():
        hits.extend(provider(project, membership, terms, limit))
    hits.sort(key=lambda h: h.when.timestamp() if h.when else 0, reverse=True)
    return hits[:limit]
