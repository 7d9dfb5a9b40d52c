"""A project with one source of each kind, some in Chinese, for the qualitative-coding tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from cbpar.care.models import Child, ChildSex, ContactKind, ContactLog
from cbpar.db import db
from cbpar.interviews.models import ConsentGiver, ConsentMethod, Interview, InterviewKind
from cbpar.mapping.models import Caregiver, MigrantParents
from cbpar.meetings.models import Meeting, MeetingKind, Minutes
from cbpar.memos.models import Memo, MemoKind, Visibility
from cbpar.qda.models import Code
from tests.helpers import seed

# "Grandma said: the kindergarten is too far, 10 km." with a character outside the BMP
# (U+20BB7, 𠮷, two UTF-16 units) before it, so offsets that count UTF-16 units are wrong.
CHINESE = "第一次访谈。𠮷奶奶说：幼儿园太远了，有十公里。\r\n孩子的爸爸妈妈都在城里打工。"
PASSAGE = "幼儿园太远了"
ENGLISH = "The director said the nearest kindergarten is 10 km away, across the river."


@dataclass
class Sources:
    project_id: int
    key_informant: int
    family: int
    team_memo: int
    community_memo: int
    private_memo: int
    reflection: int
    approved_minutes: int
    draft_minutes: int
    contact: int
    household: int
    codes: dict[str, int]


@pytest.fixture
def sources(app, team, add_household) -> Sources:
    project = team["project"]
    users = team["users"]
    from cbpar.security import Role

    home = add_household(project, children_under_6=1, migrant_parents=MigrantParents.BOTH)
    other = add_household(
        project, children_under_6=0, migrant_parents=MigrantParents.FATHER,
        caregiver=Caregiver.PARENTS,
    )  # fmt: skip
    fw = users[Role.FIELD_WORKER]

    def make(project):
        def interview(kind, notes, household=None, quotes=True):
            row = Interview(
                project_id=project.id, kind=kind, held_on=date(2020, 5, 1), notes=notes,
                interviewer_id=fw.id, consent_method=ConsentMethod.WRITTEN,
                consent_given_by=ConsentGiver.PERSON, covers_notes=True, covers_quotes=quotes,
                household_id=household.id if household else None,
            )  # fmt: skip
            db.session.add(row)
            return row

        ki = interview(InterviewKind.KEY_INFORMANT, ENGLISH)
        fam = interview(InterviewKind.FAMILY, CHINESE, home, quotes=False)

        def memo(visibility, body, kind=MemoKind.RESEARCH_MEMO):
            row = Memo(
                project_id=project.id, author_id=fw.id, title=f"{visibility.value} memo",
                kind=kind, visibility=visibility, body=body,
            )  # fmt: skip
            db.session.add(row)
            return row

        team_memo = memo(Visibility.TEAM, "Team: the bus runs twice a week. 公交车一周两趟。")
        community = memo(Visibility.COMMUNITY, "Community: grandparents care for most children.")
        private = memo(Visibility.PRIVATE, "Private: my own doubts about the sample.")
        reflection = memo(
            Visibility.TEAM, "今天的课堂很热闹，孩子们想念妈妈。", MemoKind.REFLECTION_NOTE
        )

        def meeting(approved):
            row = Meeting(
                project_id=project.id, kind=MeetingKind.COMMUNITY, title="Village meeting",
                starts_at=datetime(2020, 6, 1, 2, tzinfo=UTC),
            )  # fmt: skip
            db.session.add(row)
            db.session.flush()
            db.session.add(
                Minutes(
                    meeting_id=row.id,
                    body="Agreed: the kindergarten is the first need. 幼儿园是第一位的。",
                    approved_at=datetime(2020, 6, 2, tzinfo=UTC) if approved else None,
                )
            )
            return row

        approved, draft = meeting(True), meeting(False)
        child = Child(
            project_id=project.id, household_id=other.id, number=1, code=f"{other.code}-1",
            birth_year=2015, sex=ChildSex.GIRL, parents_away=MigrantParents.FATHER,
            caregiver=Caregiver.PARENTS,
        )  # fmt: skip
        db.session.add(child)
        db.session.flush()
        contact = ContactLog(
            project_id=project.id, child_id=child.id, kind=ContactKind.PHONE_CALL,
            on=date(2021, 3, 1), summary="她说想念爸爸，希望周末能视频。", by_id=fw.id,
        )  # fmt: skip
        db.session.add(contact)
        codes = {}
        for name, color in (("access to childcare", "#e74c3c"), ("distance", "#3498db")):
            code = Code(project_id=project.id, name=name, color=color)
            db.session.add(code)
            db.session.flush()
            codes[name] = code.id
        child_code = Code(
            project_id=project.id, name="grandparent care", color="#27ae60",
            parent_id=codes["access to childcare"],
        )  # fmt: skip
        db.session.add(child_code)
        db.session.flush()
        codes["grandparent care"] = child_code.id
        return Sources(
            project.id, ki.id, fam.id, team_memo.id, community.id, private.id, reflection.id,
            approved.id, draft.id, contact.id, home.id, codes,
        )  # fmt: skip

    return seed(app, make)
