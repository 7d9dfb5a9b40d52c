"""Demo memos, a reflection note, tags, interviews with consent (one since withdrawn), comments."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import date
from typing import Any

from sqlalchemy import select

from cbpar.attachments import services as attachments
from cbpar.auth.models import User
from cbpar.comments import services as comment_services
from cbpar.db import db
from cbpar.interviews import services as interview_services
from cbpar.interviews.models import Interview
from cbpar.mapping.models import Facility, FacilityKind, Household
from cbpar.memos import services
from cbpar.memos.models import Memo

MEMOS: list[dict[str, Any]] = [
    {
        "author": "researcher",
        "title": "Distance to kindergarten: first findings",
        "kind": "research_memo",
        "visibility": "community",
        "tags": ["kindergarten access", "幼儿园"],
        "body": (
            "## What the map shows\n\n"
            "In Shuanghe the nearest kindergarten is about **10 km** away, in the town.[^1]\n\n"
            "| village | households with children under six | beyond 5 km |\n"
            "|---|---|---|\n| Shuanghe | most | nearly all |\n| Liangshui | some | about half |\n\n"
            "- Grandparents cannot make the trip twice a day.\n"
            "- Several families keep their under-sixes at home.\n\n"
            "[^1]: Measured in a straight line on the project map.\n"
        ),
        "links": [("facility", "kindergarten"), ("household", "SH-001")],
    },
    {
        "author": "researcher",
        "title": "隔代照料与留守儿童",
        "kind": "research_memo",
        "visibility": "team",
        "tags": ["guardianship"],
        "body": (
            "多数留守儿童由祖父母照料。祖父母年纪大、文化程度有限，难以辅导作业，"
            "也很难每天接送孩子去十公里外的**幼儿园**。\n\n"
            "需要在下次小组会议上讨论：村里能否提供看护或早期教育服务？\n"
        ),
        "links": [("household", "SH-002")],
    },
    {
        "author": "fieldworker",
        "title": "Reflection after the first village visit",
        "kind": "reflection_note",
        "visibility": "team",
        "tags": ["guardianship"],
        "body": (
            "I expected parents to be the main voice; it was grandmothers. We should plan "
            "interviews at times that suit carers, not school hours.\n\n"
            "反思：我们的问卷太长，老人听不懂一些术语。"
        ),
        "links": [],
    },
    {
        "author": "fieldworker",
        "title": "Field note: the road to town in winter",
        "kind": "field_note",
        "visibility": "private",
        "tags": ["kindergarten access"],
        "body": "The road floods in summer and ices in winter; the bus runs twice a day.",
        "links": [],
    },
]

COMMENTS = [
    ("committee1", "We agree: the kindergarten is too far. 我们村的老人都这么说。"),
    ("coordinator", "Let us bring the table to the next group meeting."),
]


def _user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def _record(project: Any, type_name: str, ref: str) -> Any | None:
    if type_name == "facility":
        return db.session.scalar(
            select(Facility)
            .where(Facility.project_id == project.id, Facility.kind == FacilityKind(ref))
            .limit(1)
        )
    return services.find_record(project, type_name, ref)


def load(project: Any) -> None:
    existing = set(db.session.scalars(select(Memo.title).where(Memo.project_id == project.id)))
    first: Memo | None = None
    for spec in MEMOS:
        author = _user(spec["author"])
        if author is None or spec["title"] in existing:
            continue
        memo = services.create_memo(project, author, spec)
        for type_name, ref in spec["links"]:
            record = _record(project, type_name, ref)
            if record is not None:
                services.link(memo, record, author)
        if first is None:
            first = memo
    if first is not None:
        top = None
        for username, body in COMMENTS:
            user = _user(username)
            if user is not None:
                comment = comment_services.add_comment(first, user, body, top.id if top else None)
                top = top or comment
    _interviews(project)
    _withdrawn_interview(project)
    _attachment(project)
    db.session.flush()


SKETCH_NAME = "distance-sketch.png"


def _png(width: int = 16, height: int = 16) -> bytes:
    """A small grey PNG (the demo's attachment), made here so no binary file is needed."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + bytes([200]) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _attachment(project: Any) -> None:
    """A sketch attached to the first community memo (files are records too)."""

    memo = db.session.scalar(
        select(Memo).where(Memo.project_id == project.id, Memo.title == MEMOS[0]["title"])
    )
    if memo is None or attachments.list_for(memo):
        return
    attachments.save_attachment(memo, io.BytesIO(_png()), SKETCH_NAME, _user(MEMOS[0]["author"]))


WITHDRAWN_ROLE = "Mother, home for the Spring Festival"
WITHDRAWN_NOTES = (
    "The mother works in a garment factory in Tianjin and calls her son on Sundays; "
    "she withdrew her consent a month later. 她后来撤回了同意。"
)


def _withdrawn_interview(project: Any) -> None:
    """A family interview whose interviewee withdrew consent: its content is hidden from all."""
    if db.session.scalar(
        select(Interview.id).where(
            Interview.project_id == project.id, Interview.interviewee_role == WITHDRAWN_ROLE
        )
    ):
        return
    interviewer = _user("fieldworker") or _user("researcher")
    household = db.session.scalar(
        select(Household)
        .where(Household.project_id == project.id)
        .order_by(Household.code)
        .offset(1)
        .limit(1)
    )
    if interviewer is None or household is None:
        return
    interview = interview_services.create_interview(
        project,
        {
            "kind": "family",
            "held_on": date(2020, 1, 26),
            "interviewee_role": WITHDRAWN_ROLE,
            "language": "Mandarin",
            "notes": WITHDRAWN_NOTES,
            "consent_method": "verbal",
            "consent_given_by": "person",
            "child_assent": "not_applicable",
            "consent_on": date(2020, 1, 26),
            "covers_notes": True,
            "covers_quotes": False,
            "covers_audio": False,
            "covers_photos": False,
            "involves_minor": False,
        },
        household,
        interviewer,
    )
    interview_services.withdraw(interview, interviewer)


def _interviews(project: Any) -> None:
    if db.session.scalar(select(Interview.id).where(Interview.project_id == project.id)):
        return
    interviewer = _user("fieldworker") or _user("researcher")
    if interviewer is None:
        return
    consent = {
        "consent_method": "written",
        "consent_given_by": "person",
        "child_assent": "not_applicable",
        "consent_on": date(2019, 7, 8),
        "covers_notes": True,
        "covers_quotes": True,
        "covers_audio": False,
        "covers_photos": False,
        "involves_minor": False,
        "language": "Mandarin",
    }
    interview_services.create_interview(
        project,
        {
            **consent,
            "kind": "key_informant",
            "held_on": date(2019, 7, 8),
            "interviewee_role": "Village committee director (Shuanghe)",
            "notes": (
                "About 60% of working-age adults work in cities. The director sees the "
                "kindergarten distance as the main problem for young children.\n\n"
                "村主任：村里有空房子，可以改成幼儿园，但缺老师。"
            ),
        },
        None,
        interviewer,
    )
    household = db.session.scalar(
        select(Household).where(Household.project_id == project.id).order_by(Household.code)
    )
    if household is not None:
        interview_services.create_interview(
            project,
            {
                **consent,
                "kind": "family",
                "held_on": date(2019, 7, 10),
                "interviewee_role": "Grandmother, main carer",
                "involves_minor": True,
                "consent_given_by": "guardian",
                "child_assent": "given",
                "notes": (
                    "Both parents work in Beijing; the grandmother cares for two children "
                    "(4 and 9). The four-year-old stays home: 幼儿园太远了。"
                ),
            },
            household,
            interviewer,
        )
