"""Exports in open formats, filtered by role exactly like the pages, every one audited.

Households: full details for SEE_HOUSEHOLD_DETAILS; village and a point rounded to 4
decimals (no code, no id) for SEE_HOUSEHOLD_POINTS; per-village totals, small numbers
suppressed, for everyone else (cbpar/privacy.py). Tables added by later features
(initiatives, funding, milestones, ballots ...) are exported generically as CSV when they
exist, minus columns that could identify a voter or hold a secret.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from sqlalchemy import select

from cbpar import privacy
from cbpar.db import Base, db
from cbpar.mapping import exports as mapping_exports
from cbpar.mapping import services as mapping
from cbpar.meetings.models import Meeting, Minutes
from cbpar.memos import services as memos
from cbpar.projects.models import Project
from cbpar.security import Cap, membership_can
from cbpar.transfer import archive

# Table-name prefixes of later features, and what a member needs to export them as raw rows.
# Raw rows carry what their pages hide from some roles (lead members, individual donors,
# milestone notes), so only the roles that edit them export them; observers and funders have
# the transparency page. Ballots are never exported here: the vote's own download is shuffled
# and only exists after the close.
GENERIC_TABLES: dict[str, Cap] = {
    "initiative": Cap.EDIT_INITIATIVES,
    "fund": Cap.EDIT_INITIATIVES,  # funding, funder
    "support_passed_on": Cap.EDIT_INITIATIVES,
    "contribution": Cap.EDIT_INITIATIVES,
    "milestone": Cap.EDIT_INITIATIVES,
    "indicator": Cap.EDIT_INITIATIVES,
    "vote_round": Cap.MANAGE_VOTES,
    "vote_option": Cap.MANAGE_VOTES,
}
# Never exported generically: who voted, secrets, and people's accounts.
HIDDEN_COLUMNS = {"voter_key", "receipt", "token_hash", "password_hash", "secret"}


def households_level(membership: Any) -> str:
    if membership_can(membership, Cap.SEE_HOUSEHOLD_DETAILS):
        return "details"
    if membership_can(membership, Cap.SEE_HOUSEHOLD_POINTS):
        return "points"
    return "totals"


def households_csv(project: Project, membership: Any) -> tuple[str, int]:
    level = households_level(membership)
    if level == "details":
        return mapping_exports.households_csv(project)
    audience = privacy.audience_of(membership)
    if level == "points":
        body, count, _cut = mapping_exports.households_geojson(project, audience=audience)
        features = json.loads(body)["features"]
        rows = [
            privacy.point_row(
                f["properties"]["village"], *f["geometry"]["coordinates"][::-1], audience
            )
            for f in features
        ]
        return mapping_exports.to_csv(("village", "lat", "lon"), rows), count
    totals = mapping.village_totals(project, audience)
    header = (
        "village",
        "households",
        "members",
        "children_under_6",
        "children_6_17",
        "left_behind_children",
    )
    rows = [(t["village"].name, *(t[k] for k in header[1:])) for t in totals]
    return mapping_exports.to_csv(header, rows), len(rows)


def households_geojson(project: Project, membership: Any) -> tuple[bytes, int]:
    level = households_level(membership)
    audience = privacy.audience_of(membership)
    if level == "totals":
        features = mapping_exports.village_features(project, audience)
        body = {"type": "FeatureCollection", "features": features}
        return json.dumps(body, ensure_ascii=False).encode(), len(features)
    body, count, _cut = mapping_exports.households_geojson(project, audience=audience, full=True)
    return body, count


def facilities_geojson(project: Project) -> tuple[bytes, int]:
    features = mapping_exports.facility_features(project)
    body = {"type": "FeatureCollection", "features": features}
    return json.dumps(body, ensure_ascii=False).encode(), len(features)


def memos_zip(project: Project, membership: Any) -> tuple[bytes, int]:
    visible = list(db.session.scalars(memos.list_query(project, membership)))
    return memos.zip_of(visible), len(visible)


def minutes_markdown(project: Project, *, approved_only: bool = True) -> tuple[str, int]:
    """Every meeting's minutes, newest first, as one Markdown document (drafts only for
    those who write minutes)."""
    query = (
        select(Meeting.title, Meeting.starts_at, Meeting.place, Minutes.body, Minutes.approved_at)
        .join(Minutes, Minutes.meeting_id == Meeting.id)
        .where(Meeting.project_id == project.id)
        .order_by(Meeting.starts_at.desc())
    )
    if approved_only:
        query = query.where(Minutes.approved_at.is_not(None))
    rows = db.session.execute(query).all()
    parts = [f"# {project.name}: minutes", ""]
    for title, starts_at, place, body, approved_at in rows:
        parts += [f"## {title}", "", f"- date: {starts_at.date().isoformat()}"]
        if place:
            parts.append(f"- place: {place}")
        parts.append(f"- approved: {approved_at.date().isoformat() if approved_at else 'no'}")
        parts += ["", (body or "").rstrip(), ""]
    return "\n".join(parts), len(rows)


def generic_tables(membership: Any) -> list[str]:
    """Tables of later features that exist in this schema and this member may export."""
    names = []
    for table, _ways in archive.project_tables():
        for prefix, cap in GENERIC_TABLES.items():
            if table.name.startswith(prefix) and membership_can(membership, cap):
                names.append(table.name)
                break
    return names


def table_csv(project: Project, name: str) -> tuple[str, int]:
    rows = archive.project_rows(project.id).get(name, [])
    table = Base.metadata.tables[name]
    header = [c.name for c in table.c if c.name not in HIDDEN_COLUMNS]
    body = mapping_exports.to_csv(header, ([archive.to_json(r[c]) for c in header] for r in rows))
    return body, len(rows)


def generic_zip(project: Project, membership: Any) -> tuple[bytes, int]:
    buffer = io.BytesIO()
    total = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for name in generic_tables(membership):
            body, count = table_csv(project, name)
            out.writestr(f"{name}.csv", body)
            total += count
    return buffer.getvalue(), total
