"""Saved accessibility analyses: keep a result with the parameters that made it, list them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from cbpar import audit
from cbpar.auth.models import User
from cbpar.db import db
from cbpar.mapping import analysis
from cbpar.mapping.models import SavedAnalysis
from cbpar.projects.models import Project

LIST_LIMIT = 50


def saved_analyses(project: Project) -> list[Any]:
    """The project's latest saved analyses (id, name, kind, created_at), newest first."""
    return list(
        db.session.execute(
            select(
                SavedAnalysis.id, SavedAnalysis.name, SavedAnalysis.kind, SavedAnalysis.created_at
            )
            .where(SavedAnalysis.project_id == project.id)
            .order_by(SavedAnalysis.created_at.desc())
            .limit(LIST_LIMIT)
        ).all()
    )


def get_saved_analysis(project: Project, analysis_id: int) -> SavedAnalysis | None:
    saved = db.session.get(SavedAnalysis, analysis_id)
    return saved if saved is not None and saved.project_id == project.id else None


def save_analysis(project: Project, params: analysis.Params, name: str, by: User) -> SavedAnalysis:
    """Run the analysis now and keep its result under `name`; audited."""
    saved = SavedAnalysis(
        project_id=project.id,
        name=name,
        kind=params.kind,
        within_km=params.within_km,
        as_of=params.as_of,
        candidates=[[lat, lon] for lat, lon in params.candidates],
        result=analysis.accessibility(project.id, params),
        created_by_id=by.id,
    )
    db.session.add(saved)
    db.session.flush()
    audit.record(
        "analysis.save",
        saved,
        project=project,
        details={
            "kind": params.kind.value,
            "within_km": params.within_km,
            "as_of": params.as_of.isoformat(),
            "candidates": len(params.candidates),
        },
    )
    return saved
