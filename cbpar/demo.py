"""The fictional demo project, modelled on the seed study; safe to load again and again.

Each feature adds its own step to STEPS, so the demo always tells the whole story.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from cbpar.auth.models import User
from cbpar.auth.services import set_password
from cbpar.care import demo as care_demo
from cbpar.db import db
from cbpar.initiatives import demo as initiatives_demo
from cbpar.mapping import demo as mapping_demo
from cbpar.meetings import demo as meetings_demo
from cbpar.memos import demo as memos_demo
from cbpar.needs import demo as needs_demo
from cbpar.projects.models import Membership, Project, Village
from cbpar.qda import demo as qda_demo
from cbpar.security import Role

DEMO_SLUG = "demo"
DEMO_PASSWORD = "demo-password"
ACCOUNTS: list[tuple[str, str, Role]] = [
    ("coordinator", "Demo coordinator", Role.COORDINATOR),
    ("researcher", "Demo researcher", Role.RESEARCHER),
    ("fieldworker", "Demo field worker", Role.FIELD_WORKER),
    *[(f"committee{i}", f"Demo committee member {i}", Role.COMMITTEE) for i in range(1, 6)],
    ("observer", "Demo observer", Role.OBSERVER),
]
LOGINS = (
    "Demo log-ins (fictional data), all with the password 'demo-password':\n  "
    + ", ".join(name for name, _label, _role in ACCOUNTS)
    + "\n  'coordinator' is also a site administrator."
)

# Near the seat of a real Banner in Inner Mongolia (Xinhui, Aohan Banner); the villages and
# everything in them are invented. The Shuanghe village centre is about 10 km from the town.
TOWN = (42.2930, 119.9200)
VILLAGES = [
    ("Shuanghe Village (双河村)", "SH", 42.3630, 119.8350),
    ("Liangshui Village (凉水村)", "LS", 42.2400, 120.0100),
]


def database_is_empty() -> bool:
    return db.session.scalar(select(Project.id).limit(1)) is None


def _project() -> Project:
    project = db.session.scalar(select(Project).where(Project.slug == DEMO_SLUG))
    if project is None:
        project = Project(
            slug=DEMO_SLUG,
            name="X Banner left-behind children study (fictional demo)",
            region="Inner Mongolia, China — fictional data",
            description=(
                "A fictional project modelled on a community-based participatory action "
                "research study with left-behind children in two villages of a Banner in Inner "
                "Mongolia. Every person, household and figure here is invented.\n\n"
                "虚构示例项目：内蒙古某旗两个村的留守儿童社区参与式行动研究。所有人物、住户和数字均为虚构。"
            ),
            timezone="Asia/Shanghai",
            map_center_lat=TOWN[0] + 0.02,
            map_center_lon=TOWN[1] - 0.03,
            map_zoom=11,
            is_demo=True,
        )
        db.session.add(project)
        db.session.flush()
    return project


def _accounts(project: Project) -> None:
    for username, display_name, role in ACCOUNTS:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(username=username, display_name=display_name)
            set_password(user, DEMO_PASSWORD)
            user.is_admin = role == Role.COORDINATOR
            db.session.add(user)
            db.session.flush()
        membership = db.session.scalar(
            select(Membership).where(
                Membership.project_id == project.id, Membership.user_id == user.id
            )
        )
        if membership is None:
            db.session.add(Membership(project=project, user=user, role=role))


def _villages(project: Project) -> None:
    existing = {v.code for v in project.villages}
    for name, code, lat, lon in VILLAGES:
        if code not in existing:
            db.session.add(
                Village(project=project, name=name, code=code, center_lat=lat, center_lon=lon)
            )
    db.session.flush()


def _map_records(project: Project) -> None:
    mapping_demo.load_facilities(project, TOWN)
    mapping_demo.load_households(project)
    mapping_demo.load_analysis(project)


def _memos(project: Project) -> None:
    memos_demo.load(project)


def _meetings(project: Project) -> None:
    meetings_demo.load(project)  # after the memos: meetings link the memos they discussed


def _initiatives(project: Project) -> None:
    initiatives_demo.load(project)  # after the map and needs: it links the planned kindergarten


def _needs(project: Project) -> None:
    needs_demo.load(project)  # after the meetings: the vote belongs to the final meeting


def _open_vote(project: Project) -> None:
    # After the initiatives (which move needs on): needs in the other statuses, an open vote.
    needs_demo.load_states(project)


def _care(project: Project) -> None:
    care_demo.load(project)  # children of mapped households, after the kindergarten opened


def _qda(project: Project) -> None:
    qda_demo.load(project)  # after the interviews, memos and minutes it codes passages of


# Order matters: meetings link memos, the vote belongs to a meeting, initiatives answer needs.
# Every kind of record appears in each state it can be in (tests/core/test_state_crawl.py).
STEPS: list[Callable[[Project], None]] = [
    _accounts, _villages, _map_records, _memos, _meetings, _needs, _initiatives, _open_vote,
    _care, _qda,
]  # fmt: skip


def load(households: int = 0, facilities: int = 0) -> str:
    """Load the demo; `households` and `facilities` add synthetic records for benchmarks."""
    project = _project()
    for step in STEPS:
        step(project)
    summary = f"Demo project '{project.name}' is ready at /projects/{project.slug}/."
    if households or facilities:
        added_h = mapping_demo.synthetic_households(project, households, TOWN)
        added_f = mapping_demo.synthetic_facilities(project, facilities, TOWN)
        summary += f"\nSynthetic records added: {added_h} households, {added_f} facilities."
    db.session.flush()
    return summary
