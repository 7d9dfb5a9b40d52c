"""Two coders: agreement per code at the level of characters, and the disagreements.

For two coders A and B, the sources compared are those both coded (each has at least one
coding, not blind any more, on it) and that the member may see. For one code, every character
of every compared source is one unit: A applied the code to it or not, B applied it or not.
With n11 (both), n10 (A only), n01 (B only), n00 (neither) and N = n11 + n10 + n01 + n00:

- percent agreement p_o = (n11 + n00) / N
- expected agreement p_e = ((n11 + n10)(n11 + n01) + (n01 + n00)(n10 + n00)) / N²
- Cohen's kappa = (p_o − p_e) / (1 − p_e); undefined (None) when p_e = 1 (neither coder used
  the code, or both coded every character with it).

docs/analysis.md explains the same, with an example.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, select

from cbpar.auth.models import User
from cbpar.db import db
from cbpar.qda import services, sources
from cbpar.qda.models import Code, Coding


@dataclass
class CodeAgreement:
    code: Code
    both: int = 0
    only_a: int = 0
    only_b: int = 0
    neither: int = 0

    @property
    def total(self) -> int:
        return self.both + self.only_a + self.only_b + self.neither

    @property
    def percent(self) -> float | None:
        return None if not self.total else 100 * (self.both + self.neither) / self.total

    @property
    def kappa(self) -> float | None:
        return kappa(self.both, self.only_a, self.only_b, self.neither)


def kappa(n11: int, n10: int, n01: int, n00: int) -> float | None:
    total = n11 + n10 + n01 + n00
    if not total:
        return None
    observed = (n11 + n00) / total
    expected = ((n11 + n10) * (n11 + n01) + (n01 + n00) * (n10 + n00)) / total**2
    if expected >= 1:
        return None
    return (observed - expected) / (1 - expected)


@dataclass
class Disagreement:
    source: sources.Source
    code: Code
    start: int
    end: int
    text: str
    by: str  # "a" or "b": who applied the code here, the other did not


@dataclass
class Report:
    coder_a: User
    coder_b: User
    sources: list[sources.Source] = field(default_factory=list)
    codes: list[CodeAgreement] = field(default_factory=list)
    disagreements: list[Disagreement] = field(default_factory=list)


def coders(project: Any) -> list[User]:
    ids = select(Coding.coder_id).where(Coding.project_id == project.id).distinct()
    return list(db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.username)))


def _covered(length: int, ranges: list[tuple[int, int]]) -> list[bool]:
    marks = [False] * length
    for start, end in ranges:
        for i in range(max(0, start), min(end, length)):
            marks[i] = True
    return marks


def _runs(marks: list[bool]) -> list[tuple[int, int]]:
    runs, start = [], None
    for i, mark in enumerate([*marks, False]):
        if mark and start is None:
            start = i
        elif not mark and start is not None:
            runs.append((start, i))
            start = None
    return runs


def compare(project: Any, membership: Any, coder_a: User, coder_b: User) -> Report:
    visible = sources.visible_rows(project, membership).subquery()
    rows = list(
        db.session.execute(
            select(Coding.source_type, Coding.source_id, Coding.code_id, Coding.coder_id,
                   Coding.start, Coding.end)
            .join(visible, and_(visible.c.kind == Coding.source_type,
                                visible.c.id == Coding.source_id))
            .where(Coding.project_id == project.id, Coding.blind.is_(False),
                   Coding.coder_id.in_((coder_a.id, coder_b.id)))
        )
    )  # fmt: skip
    by_source: dict[tuple[str, int], dict[int, list]] = {}
    for kind, source_id, code_id, coder_id, start, end in rows:
        by_source.setdefault((kind, source_id), {}).setdefault(coder_id, []).append(
            (code_id, start, end)
        )
    shared = {key: value for key, value in by_source.items() if len(value) == 2}
    found = sources.texts(project, set(shared))
    report = Report(coder_a, coder_b)
    codes = {row.code.id: CodeAgreement(row.code) for row in services.tree(project, membership)}
    for key in sorted(shared):
        source = found.get(key)
        if source is None:
            continue
        report.sources.append(source)
        length = len(source.text)
        for code_id, result in codes.items():
            a = _covered(length, [(s, e) for c, s, e in shared[key][coder_a.id] if c == code_id])
            b = _covered(length, [(s, e) for c, s, e in shared[key][coder_b.id] if c == code_id])
            for x, y in zip(a, b, strict=True):
                if x and y:
                    result.both += 1
                elif x:
                    result.only_a += 1
                elif y:
                    result.only_b += 1
                else:
                    result.neither += 1
            for who, marks in (
                ("a", [x and not y for x, y in zip(a, b, strict=True)]),
                ("b", [y and not x for x, y in zip(a, b, strict=True)]),
            ):
                for start, end in _runs(marks):
                    if source.text[start:end].strip():
                        report.disagreements.append(
                            Disagreement(source, result.code, start, end,
                                         source.text[start:end], who)
                        )  # fmt: skip
    report.codes = [c for c in codes.values() if c.both or c.only_a or c.only_b]
    return report
