"""Readable differences between two versions of a text (memos, minutes), line by line."""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class DiffLine:
    op: str  # "same", "added", "removed"
    old_no: int | None
    new_no: int | None
    text: str


def line_diff(old: str, new: str, context: int | None = 3) -> list[DiffLine | None]:
    """Lines of `new` against `old`; None stands for skipped unchanged lines (with context)."""
    a, b = (old or "").splitlines(), (new or "").splitlines()
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    groups = [matcher.get_opcodes()] if context is None else matcher.get_grouped_opcodes(context)
    rows: list[DiffLine | None] = []
    for index, group in enumerate(groups):
        if index or (group and (group[0][1] > 0 or group[0][3] > 0)):
            rows.append(None)
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows += [
                    DiffLine("same", i1 + k + 1, j1 + k + 1, a[i1 + k]) for k in range(i2 - i1)
                ]
                continue
            rows += [DiffLine("removed", i + 1, None, a[i]) for i in range(i1, i2)]
            rows += [DiffLine("added", None, j + 1, b[j]) for j in range(j1, j2)]
    return rows


def changed(old: str, new: str) -> bool:
    return (old or "").strip() != (new or "").strip()
