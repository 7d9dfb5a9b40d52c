"""indicator village and recorded baseline

A computed indicator may count one village only, and its baseline is recorded (with its
date) instead of recomputed on every view. Existing computed indicators get the baseline they
showed until now, recorded once here: the figure on their initiative's start date (or today's,
when the initiative has no start date or starts later). Where that would be costly to compute
here (a very large map), it stays empty and pages say "not recorded".

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 13:30:00
"""

import math
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Households x facilities above which the backfill leaves the baseline empty.
MAX_PAIRS = 5_000_000
EARTH_KM = 6371.0088  # as cbpar/mapping/geo.py

indicator = sa.table(
    "indicator",
    sa.column("id", sa.Integer),
    sa.column("project_id", sa.Integer),
    sa.column("initiative_id", sa.Integer),
    sa.column("source", sa.String),
    sa.column("measure", sa.String),
    sa.column("facility_kind", sa.String),
    sa.column("within_km", sa.Numeric),
    sa.column("baseline", sa.Numeric),
    sa.column("baseline_on", sa.Date),
)
initiative = sa.table("initiative", sa.column("id", sa.Integer), sa.column("starts_on", sa.Date))
project = sa.table("project", sa.column("id", sa.Integer), sa.column("timezone", sa.String))
facility = sa.table(
    "facility",
    sa.column("project_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("status", sa.String),
    sa.column("opened_on", sa.Date),
    sa.column("lat", sa.Float),
    sa.column("lon", sa.Float),
)
household = sa.table(
    "household",
    sa.column("project_id", sa.Integer),
    sa.column("lat", sa.Float),
    sa.column("lon", sa.Float),
    sa.column("children_under_6", sa.Integer),
    sa.column("left_behind_children", sa.Integer),
)


def upgrade() -> None:
    with op.batch_alter_table("indicator", schema=None) as batch_op:
        batch_op.add_column(sa.Column("baseline_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("village_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_indicator_village_id"), ["village_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_indicator_village_id_village"),
            "village",
            ["village_id"],
            ["id"],
            ondelete="SET NULL",
        )
    _record_baselines(op.get_bind())


def _today(connection: sa.Connection, project_id: int) -> date:
    zone = connection.scalar(sa.select(project.c.timezone).where(project.c.id == project_id))
    try:
        return datetime.now(ZoneInfo(zone or "Asia/Shanghai")).date()
    except (KeyError, ValueError):
        return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(a)))


def _record_baselines(connection: sa.Connection) -> None:
    rows = connection.execute(
        sa.select(
            indicator.c.id,
            indicator.c.project_id,
            indicator.c.measure,
            indicator.c.facility_kind,
            indicator.c.within_km,
            initiative.c.starts_on,
        )
        .join(initiative, initiative.c.id == indicator.c.initiative_id)
        .where(indicator.c.source == "computed", indicator.c.baseline.is_(None))
    ).all()
    homes: dict[int, list] = {}
    for indicator_id, project_id, measure, kind, within_km, starts_on in rows:
        if not (measure and kind and within_km):
            continue
        today = _today(connection, project_id)
        as_of = starts_on if starts_on is not None and starts_on <= today else today
        if project_id not in homes:
            homes[project_id] = connection.execute(
                sa.select(
                    household.c.lat,
                    household.c.lon,
                    household.c.children_under_6,
                    household.c.left_behind_children,
                ).where(household.c.project_id == project_id)
            ).all()
        places = connection.execute(
            sa.select(facility.c.lat, facility.c.lon).where(
                facility.c.project_id == project_id,
                facility.c.kind == kind,
                facility.c.status == "operating",
                sa.or_(facility.c.opened_on.is_(None), facility.c.opened_on <= as_of),
            )
        ).all()
        if len(homes[project_id]) * len(places) > MAX_PAIRS:
            continue  # not cheap: left as "not recorded"
        km = float(within_km)
        total = 0
        for lat, lon, under_6, left_behind in homes[project_id]:
            if any(_distance_km(lat, lon, f_lat, f_lon) <= km for f_lat, f_lon in places):
                total += {
                    "households": 1,
                    "children_under_6": under_6 or 0,
                    "left_behind_children": left_behind or 0,
                }.get(measure, 0)
        connection.execute(
            indicator.update()
            .where(indicator.c.id == indicator_id)
            .values(baseline=Decimal(total), baseline_on=as_of)
        )


def downgrade() -> None:
    # Recorded baselines of computed indicators go: the old code recomputed them.
    connection = op.get_bind()
    connection.execute(
        indicator.update()
        .where(indicator.c.source == "computed")
        .values(baseline=None, baseline_on=None)
    )
    with op.batch_alter_table("indicator", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_indicator_village_id_village"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_indicator_village_id"))
        batch_op.drop_column("village_id")
        batch_op.drop_column("baseline_on")
