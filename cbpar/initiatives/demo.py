"""Demo initiatives for the fictional project: the seed study's ending, step by step.

A kindergarten in Shuanghe planned in 2020, equipped by a youth federation in Beijing and built
with two foundations' grants, completed in 2022 with its first cohort; social-work services in
the primary school; and support passed on to other Banners. Every name and figure is invented.
Safe to load again: an initiative is added only if none of that title exists.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select

from cbpar.db import db
from cbpar.initiatives import funding, results, services
from cbpar.initiatives.models import (
    ContributionKind,
    ContributionStatus,
    FunderType,
    IndicatorSource,
    Initiative,
    InitiativeStatus,
    MapMeasure,
    SupportPassedOn,
)
from cbpar.mapping.models import Facility, FacilityKind, FacilityStatus
from cbpar.needs.models import Need
from cbpar.projects.models import Project, Village

KINDERGARTEN = "Build a kindergarten in Shuanghe village"
SOCIAL_WORK = "Social-work services in the primary school"
CASH, IN_KIND = ContributionKind.CASH, ContributionKind.IN_KIND
RECEIVED = ContributionStatus.RECEIVED

FUNDERS = [
    ("Beijing Youth Federation (fictional)", FunderType.MASS_ORGANISATION, "Beijing"),
    ("Spring Sprout Children's Foundation (fictional)", FunderType.FOUNDATION, "Beijing"),
    ("Grassland Education Foundation (fictional)", FunderType.FOUNDATION, "Hohhot"),
    ("X Banner Civil Affairs Bureau (fictional)", FunderType.GOVERNMENT, "X Banner"),
]


def _needs_like(project: Project, *words: str) -> list[Need]:
    return list(
        db.session.scalars(
            select(Need)
            .where(Need.project_id == project.id, or_(*[Need.title.contains(w) for w in words]))
            .order_by(Need.id)
        )
    )


def _existing(project: Project, title: str) -> Initiative | None:
    return db.session.scalar(
        select(Initiative).where(Initiative.project_id == project.id, Initiative.title == title)
    )


def _village(project: Project, code: str) -> Village | None:
    return db.session.scalar(
        select(Village).where(Village.project_id == project.id, Village.code == code)
    )


def _funders(project: Project) -> dict[str, int]:
    ids = {}
    for name, type_, place in FUNDERS:
        funder = funding.funder_named(project, name) or funding.create_funder(
            project, name, type_, place
        )
        ids[name] = funder.id
    return ids


def _contribute(initiative: Initiative, funder_id: int, **data: Any) -> None:
    data.setdefault("currency", "CNY")
    funding.add_contribution(initiative, {"funder_id": funder_id, "status": RECEIVED, **data})


def _kindergarten(project: Project, funders: dict[str, int]) -> None:
    existing = _existing(project, KINDERGARTEN)
    needs = _needs_like(project, "kindergarten", "Kindergarten", "幼儿园")
    if existing is not None:
        if not existing.needs and needs:  # the needs register was loaded after us
            services.set_needs(existing, [n.id for n in needs])
            services.mark_needs_met(existing, {n.id for n in needs})
        return
    facility = db.session.scalar(
        select(Facility).where(
            Facility.project_id == project.id,
            Facility.kind == FacilityKind.KINDERGARTEN,
            Facility.status == FacilityStatus.PLANNED,
            Facility.name.contains("Shuanghe"),
        )
    )
    initiative = services.create_initiative(
        project,
        {
            "title": KINDERGARTEN,
            "description": (
                "The community's most pressing need, confirmed at the final community "
                "meeting: the nearest kindergarten was about **10 km** away. The village "
                "committee offers a site near the primary school; the social-work agency and "
                "the university raise the funds and the equipment.\n\n"
                "双河村幼儿园：村委会提供场地并聘请幼儿教师，社工机构和大学筹集资金和设备。"
            ),
            "status": InitiativeStatus.PLANNING,
            "lead_organisation": "Social-work agency and university team (fictional)",
            "roles": [
                ("Village committee", "offer the site and hire a kindergarten teacher"),
                ("Agency and university", "raise funds and equipment"),
                ("Parents and grandparents", "help furnish the classrooms"),
            ],
            "budget_target": Decimal("600000.00"),
            "currency": "CNY",
            "spent": Decimal("571250.50"),
            "starts_on": date(2020, 3, 1),
            "ends_on": date(2022, 8, 31),
            "facility_id": facility.id if facility else None,
            "need_ids": [n.id for n in needs],
        },
        None,
    )
    youth = funders[FUNDERS[0][0]]
    _contribute(initiative, funders[FUNDERS[1][0]], kind=CASH, amount=Decimal("300000.00"),
                pledged_on=date(2020, 11, 2), received_on=date(2021, 5, 10))  # fmt: skip
    _contribute(initiative, funders[FUNDERS[2][0]], kind=CASH, amount=Decimal("250000.00"),
                pledged_on=date(2021, 1, 15), received_on=date(2021, 9, 1))  # fmt: skip
    _contribute(initiative, youth, kind=IN_KIND, items="desks and chairs", quantity=40,
                estimated_value=Decimal("16000.00"), received_on=date(2022, 7, 20))  # fmt: skip
    _contribute(initiative, youth, kind=IN_KIND, items="sets of school supplies", quantity=120,
                estimated_value=Decimal("6000.00"), received_on=date(2022, 7, 20))  # fmt: skip
    _contribute(initiative, youth, kind=IN_KIND, items="computers", quantity=10,
                estimated_value=Decimal("35000.00"), received_on=date(2022, 8, 5))  # fmt: skip
    for title, planned, done in [
        ("Plan drawn up with the village committee", date(2020, 6, 30), date(2020, 7, 10)),
        ("Construction funds raised", date(2021, 6, 30), date(2021, 9, 1)),
        ("Equipment donated by the youth federation", date(2022, 7, 31), date(2022, 8, 5)),
        ("Kindergarten built", date(2022, 8, 15), date(2022, 8, 20)),
        ("First cohort enrolled", date(2022, 9, 1), date(2022, 9, 1)),
    ]:
        services.add_milestone(initiative, {"title": title, "planned_on": planned, "done_on": done})
    results.add_indicator(
        initiative,
        {"name": "Children enrolled in the first cohort", "unit": "children",
         "source": IndicatorSource.MANUAL, "baseline": Decimal(0), "target": Decimal(60),
         "current": Decimal(42)},
    )  # fmt: skip
    # Each village counted apart: the new kindergarten serves Shuanghe; Liangshui's children
    # are still far from one (a figure for the whole project would mix the two).
    for village_code, name in (
        ("SH", "Shuanghe children under 6 living within 5 km of an operating kindergarten"),
        ("LS", "Liangshui children under 6 living within 5 km of an operating kindergarten"),
    ):
        village = _village(project, village_code)
        results.add_indicator(
            initiative,
            {"name": name, "unit": "children", "source": IndicatorSource.COMPUTED,
             "measure": MapMeasure.CHILDREN_UNDER_6,
             "facility_kind": FacilityKind.KINDERGARTEN.value, "within_km": Decimal(5),
             "village_id": village.id if village else None},
        )  # fmt: skip
    # The story's status flow: building, then open; the map's kindergarten follows.
    services.update_initiative(initiative, {"status": InitiativeStatus.IN_PROGRESS})
    services.update_initiative(
        initiative, {"status": InitiativeStatus.COMPLETED, "opened_on": date(2022, 9, 1)}
    )
    services.mark_needs_met(initiative, {n.id for n in needs})


def _social_work(project: Project, funders: dict[str, int]) -> None:
    if _existing(project, SOCIAL_WORK) is not None:
        return
    needs = _needs_like(
        project, "social work", "Social work", "social-work", "after-school", "社工"
    )
    initiative = services.create_initiative(
        project,
        {
            "title": SOCIAL_WORK,
            "description": (
                "After-school activities (the “4:30 classroom”), casework and weekly remote "
                "family calls, run by the social-work station in Shuanghe Primary School."
            ),
            "status": InitiativeStatus.IN_PROGRESS,
            "lead_organisation": "Shuanghe Social-Work Station (fictional)",
            "roles": [
                ("Social-work station", "run after-school groups and casework"),
                ("Primary school", "offer a classroom after 4:30 pm"),
                ("University students", "volunteer as tutors"),
            ],
            "budget_target": Decimal("120000.00"),
            "currency": "CNY",
            "spent": Decimal("46300.00"),
            "starts_on": date(2020, 9, 1),
            "ends_on": date(2023, 7, 15),
            "need_ids": [n.id for n in needs],
        },
        None,
    )
    _contribute(initiative, funders[FUNDERS[3][0]], kind=CASH, amount=Decimal("80000.00"),
                pledged_on=date(2020, 8, 1), received_on=date(2020, 10, 1))  # fmt: skip
    _contribute(initiative, funders[FUNDERS[1][0]], kind=CASH, amount=Decimal("20000.00"),
                status=ContributionStatus.PLEDGED, pledged_on=date(2022, 12, 1))  # fmt: skip
    for title, planned, done in [
        ("Weekly after-school group begins", date(2020, 10, 12), date(2020, 10, 12)),
        ("Remote family calls every week", date(2021, 3, 1), date(2021, 3, 8)),
        ("Volunteer tutors trained", date(2023, 3, 31), None),
    ]:
        services.add_milestone(initiative, {"title": title, "planned_on": planned, "done_on": done})
    results.add_indicator(
        initiative,
        {"name": "Children in the weekly after-school group", "unit": "children",
         "source": IndicatorSource.MANUAL, "baseline": Decimal(0), "target": Decimal(40),
         "current": Decimal(28)},
    )  # fmt: skip


def _support(project: Project) -> None:
    done = set(
        db.session.scalars(
            select(SupportPassedOn.given).where(SupportPassedOn.project_id == project.id)
        )
    )
    kindergarten = _existing(project, KINDERGARTEN)
    for place, given, sites, when in [
        ("Kindergartens in two other Banners", "Desks, supplies and computers", 2,
         date(2023, 5, 20)),
        ("Kindergartens in neighbouring Banners", "Four kindergartens renovated", 4,
         date(2023, 10, 30)),
    ]:  # fmt: skip
        if given not in done:
            results.add_support(
                project,
                {
                    "place": place,
                    "given": given,
                    "sites": sites,
                    "given_on": when,
                    "initiative_id": kindergarten.id if kindergarten else None,
                },
            )


# Smaller initiatives, one in each status the two above do not show, so every state is seen.
OTHERS = [
    ("A reading corner for Liangshui", InitiativeStatus.PROPOSED,
     "Shelves, a table and donated books in the village committee office."),
    ("Weekly video-call corner at the social-work station", InitiativeStatus.PLANNING,
     "A tablet and a quiet room, so children can see their parents each week."),
    ("Winter coats for the Liangshui school walk", InitiativeStatus.FUNDRAISING,
     "Warm coats and reflective vests for the children who walk to school before dawn."),
    ("A school bus from Liangshui", InitiativeStatus.CANCELLED,
     "Cancelled: the Banner education bureau now runs a winter bus on this road."),
]  # fmt: skip


def _other_states(project: Project, funders: dict[str, int]) -> None:
    for title, status, description in OTHERS:
        if _existing(project, title) is not None:
            continue
        initiative = services.create_initiative(
            project,
            {"title": title, "status": status, "description": description,
             "lead_organisation": "Shuanghe Social-Work Station (fictional)",
             "budget_target": Decimal("8000.00"), "currency": "CNY"},
            None,
        )  # fmt: skip
        if status == InitiativeStatus.FUNDRAISING:
            _contribute(initiative, funders[FUNDERS[2][0]], kind=CASH,
                        amount=Decimal("3000.00"), status=ContributionStatus.PLEDGED,
                        pledged_on=date(2023, 11, 1))  # fmt: skip


def load(project: Project) -> None:
    funders = _funders(project)
    _kindergarten(project, funders)
    _social_work(project, funders)
    _support(project)
    _other_states(project, funders)
    db.session.flush()
