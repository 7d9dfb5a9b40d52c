"""Erase a household whose family withdrew consent, everywhere it appears.

The household row, its children with their contact logs, its attachments, the comments on it
and every link to or from it are deleted; interviews of that family lose their content (the
interview module's own erasure: notes, interviewee role, language, files, links) and their tie
to the household. The audit event names counts, never the erased values. On SQLite the
transaction runs with `secure_delete` so freed space is overwritten with zeros, and once it
commits the write-ahead log is checkpointed and truncated (db.scrub_after_commit): the values
survive in no file.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from cbpar import audit, links
from cbpar.attachments import services as attachments
from cbpar.care import services as care
from cbpar.comments.models import Comment
from cbpar.db import db, scrub_after_commit, utcnow
from cbpar.interviews import services as interviews
from cbpar.interviews.models import Interview
from cbpar.links import RecordLink
from cbpar.mapping.models import Household


def erase_household(household: Household, by: Any) -> dict[str, int]:
    scrub_after_commit(db.session)
    project_id, household_id = household.project_id, household.id
    link_count = len(
        db.session.scalars(
            select(RecordLink.id).where(
                ((RecordLink.source_type == "household") & (RecordLink.source_id == household_id))
                | ((RecordLink.target_type == "household") & (RecordLink.target_id == household_id))
            )
        ).all()
    )
    family = list(
        db.session.scalars(select(Interview).where(Interview.household_id == household_id))
    )
    for interview in family:
        if interview.withdrawn_at is None:
            interview.withdrawn_at = utcnow()
            interview.withdrawn_by_id = getattr(by, "id", None)
        if interview.erased_at is None:
            interviews.erase(interview, by)
        interview.household = None
    attachments.delete_all_for(household)
    links.remove_all(household)
    care_counts = care.erase_for_household(household_id)
    comments = db.session.execute(
        delete(Comment).where(Comment.target_type == "household", Comment.target_id == household_id)
    ).rowcount
    db.session.delete(household)
    db.session.flush()
    counts = {
        "interviews": len(family),
        "links": link_count,
        "comments": comments or 0,
        **care_counts,
    }
    # The code is deliberately left out: the event says that a household was erased, not which.
    audit.record("household_erased", project=project_id, actor=by, details=counts)
    return counts
