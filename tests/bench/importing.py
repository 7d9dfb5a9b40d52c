"""Import speed target: 50,000 households from a KoBo-style CSV in under 60 s (tests/bench)."""

from __future__ import annotations

import random
import time
from typing import Any

N_ROWS = 50_000


def survey_csv(n: int = N_ROWS) -> bytes:
    """A KoBo-style export: group headers, a geopoint split in two columns, submission ids."""
    rng = random.Random(8)
    lines = [
        ";".join(
            [
                "household/village", "household/members", "household/children_under_6",
                "household/children_6_17", "household/left_behind_children",
                "_gps_latitude", "_gps_longitude", "household/notes", "_uuid",
            ]
        )
    ]  # fmt: skip
    for i in range(n):
        under_6, older = rng.randint(0, 2), rng.randint(0, 3)
        lines.append(
            ";".join(
                map(
                    str,
                    [
                        rng.choice(["East", "West"]), under_6 + older + rng.randint(1, 4),
                        under_6, older, rng.randint(0, under_6 + older),
                        round(42.2 + rng.random() * 0.3, 6), round(119.6 + rng.random() * 0.4, 6),
                        "祖母照料", f"uuid:{i:08d}",
                    ],
                )
            )
        )  # fmt: skip
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def run(app: Any, report: Any) -> None:
    from cbpar.db import db
    from cbpar.projects.models import Project, Village
    from cbpar.transfer import importing, mappings, reading

    print(f"Import {N_ROWS:,} households (KoBo-style CSV)")
    data = survey_csv()
    with app.app_context():
        project = Project(slug="bench-import", name="Import benchmark")
        db.session.add(project)
        db.session.add_all(
            [
                Village(project=project, name="East", code="EA"),
                Village(project=project, name="West", code="WE"),
            ]
        )
        db.session.commit()

    def once() -> dict[str, int]:
        with app.app_context():
            project = db.session.query(Project).filter_by(slug="bench-import").one()
            table = reading.read(data, "survey.csv")
            mapping = mappings.mapping_for(project, "households", table, {})
            plan = importing.plan(project, "households", table, mapping)
            summary = importing.apply(project, plan, source="bench")
            db.session.commit()
            return summary

    start = time.perf_counter()
    first = once()
    seconds = time.perf_counter() - start
    report.target("first import: read, check, insert, commit", seconds, 60, "s")
    report.info("result", f"{first['created']:,} created, {first['invalid']:,} invalid")
    start = time.perf_counter()
    again = once()
    report.info(
        "re-import of the same file (all unchanged)", f"{time.perf_counter() - start:.1f} s"
    )
    report.info("result", f"{again['unchanged']:,} unchanged, {again['created']:,} created")
