"""The demo's code book and coded passages, from the fictional interviews, memos and minutes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from cbpar import links
from cbpar.auth.models import User
from cbpar.db import db
from cbpar.interviews.models import Interview, InterviewKind
from cbpar.meetings.models import Meeting
from cbpar.memos.models import Memo
from cbpar.needs.models import Need
from cbpar.qda import coding, services, sources
from cbpar.qda.models import Code, Coding

# name, definition, colour, parent, example
CODES: list[tuple[str, str, str, str | None, str]] = [
    (
        "access to childcare",
        "Whether young children can get to a kindergarten or other care, and what stops them.",
        "#e4572e", None, "The four-year-old stays home.",
    ),
    (
        "distance", "How far care, school or services are, and the trip there.",
        "#4a90d9", "access to childcare", "about 10 km away",
    ),
    (
        "grandparent care", "Grandparents as the children's main carers (隔代照料).",
        "#59a14f", "access to childcare", "the grandmother cares for two children",
    ),
    (
        "parents away", "Parents working in cities, how long and how often they come home.",
        "#b07aa1", None, "Both parents work in Beijing",
    ),
    (
        "community resources", "What the village has that could help: buildings, people, money.",
        "#f1c232", None, "村里有空房子",
    ),
]  # fmt: skip

# (kind, how to find the source, passage, codes, note)
PASSAGES: list[tuple[str, str, str, list[str], str]] = [
    ("interview", "family", "Both parents work in Beijing", ["parents away"], ""),
    ("interview", "family", "the grandmother cares for two children", ["grandparent care"], ""),
    (
        "interview", "family", "The four-year-old stays home: 幼儿园太远了。",
        ["access to childcare", "distance"], "The grandmother's own words.",
    ),
    (
        "interview", "key_informant", "the kindergarten distance as the main problem",
        ["distance"], "",
    ),
    (
        "interview", "key_informant", "村里有空房子，可以改成幼儿园，但缺老师。",
        ["community resources", "access to childcare"], "An empty building, but no teacher.",
    ),
    ("memo", "Distance to kindergarten: first findings", "about **10 km** away", ["distance"], ""),
    (
        "memo", "Distance to kindergarten: first findings",
        "Grandparents cannot make the trip twice a day.", ["grandparent care", "distance"], "",
    ),
    (
        "memo", "隔代照料与留守儿童", "多数留守儿童由祖父母照料", ["grandparent care"], "",
    ),
    (
        "memo", "Reflection after the first village visit", "it was grandmothers",
        ["grandparent care"], "",
    ),
    (
        "minutes", "Key meeting with the Shuanghe village committee",
        "The director confirmed the distance problem", ["distance"], "",
    ),
]  # fmt: skip


def _source(project: Any, kind: str, key: str) -> sources.Source | None:
    if kind == "interview":
        wanted = InterviewKind(key)
        found = db.session.scalar(
            select(Interview.id)
            .where(
                Interview.project_id == project.id,
                Interview.kind == wanted,
                Interview.withdrawn_at.is_(None),
            )
            .order_by(Interview.id)
        )
    elif kind == "memo":
        found = db.session.scalar(
            select(Memo.id).where(Memo.project_id == project.id, Memo.title == key)
        )
    else:
        found = db.session.scalar(
            select(Meeting.id).where(Meeting.project_id == project.id, Meeting.title == key)
        )
    return sources.load(project, kind, found) if found is not None else None


KINDERGARTEN_NEED = "A kindergarten in Shuanghe village"
# Cited as the kindergarten need's evidence: two codes and the grandmother's own words.
EVIDENCE_CODES = ("access to childcare", "distance")
EVIDENCE_PASSAGE = "The four-year-old stays home: 幼儿园太远了。"


def _cite(project: Any, codes: dict[str, Code], made: list[Coding], by: Any) -> None:
    need = db.session.scalar(
        select(Need).where(Need.project_id == project.id, Need.title == KINDERGARTEN_NEED)
    )
    if need is None:
        return
    for name in EVIDENCE_CODES:
        links.add(need, codes[name], "evidence", by=by)
    for row in made:
        if row.text == EVIDENCE_PASSAGE:
            links.add(need, row, "evidence", by=by)
            break


def load(project: Any) -> None:
    if db.session.scalar(select(Code.id).where(Code.project_id == project.id)):
        return
    coder = db.session.scalar(select(User).where(User.username == "researcher"))
    codes: dict[str, Code] = {}
    for name, definition, color, parent, example in CODES:
        codes[name] = services.create_code(
            project,
            {
                "name": name,
                "definition": definition,
                "color": color,
                "example": example,
                "parent_id": codes[parent].id if parent else None,
            },
            coder,
        )
    made: list[Coding] = []
    for kind, key, passage, names, note in PASSAGES:
        source = _source(project, kind, key)
        if source is None or passage not in source.text:
            continue
        start = source.text.index(passage)
        made.extend(
            coding.apply_codes(
                source, [codes[n] for n in names], start, start + len(passage), note, coder
            )
        )
    _cite(project, codes, made, coder)
