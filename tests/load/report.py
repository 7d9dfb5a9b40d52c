"""Locust's CSV statistics read back, printed as tables, and the load test's checks."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

# Requests that are meant to fail from the client's side: not errors of the app.
ABANDONED = "map data (abandoned)"


@dataclass
class Row:
    name: str
    requests: int
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float
    size: float


@dataclass
class Phase:
    title: str
    seconds: float
    rows: dict[str, Row]
    total: Row | None
    failures: list[tuple[str, str, int]]  # (name, error, occurrences)
    exceptions: list[tuple[int, str]]
    drained: float = 0.0  # seconds the server then took to work off its queue

    def errors(self) -> int:
        counted = sum(r.failures for name, r in self.rows.items() if name != ABANDONED)
        return counted + sum(count for count, _message in self.exceptions)


def _number(raw: str) -> float:
    try:
        return float(raw)
    except (TypeError, ValueError):
        return 0.0


def read_phase(prefix: Path, title: str, seconds: float) -> Phase:
    rows: dict[str, Row] = {}
    total = None
    with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as fh:
        for raw in csv.DictReader(fh):
            row = Row(
                name=raw["Name"],
                requests=int(_number(raw["Request Count"])),
                failures=int(_number(raw["Failure Count"])),
                rps=_number(raw["Requests/s"]),
                p50=_number(raw["50%"]),
                p95=_number(raw["95%"]),
                p99=_number(raw["99%"]),
                size=_number(raw["Average Content Size"]),
            )
            if raw["Name"] == "Aggregated":
                total = row
            else:
                rows[row.name] = row
    failures = []
    path = Path(f"{prefix}_failures.csv")
    if path.exists():
        with open(path, newline="", encoding="utf-8") as fh:
            for raw in csv.DictReader(fh):
                failures.append((raw["Name"], raw["Error"], int(_number(raw["Occurrences"]))))
    exceptions = []
    path = Path(f"{prefix}_exceptions.csv")
    if path.exists():
        with open(path, newline="", encoding="utf-8") as fh:
            for raw in csv.DictReader(fh):
                exceptions.append((int(_number(raw["Count"])), raw["Message"]))
    return Phase(title, seconds, rows, total, failures, exceptions)


def _ms(value: float) -> str:
    return f"{value:,.0f}" if value else "-"


def table(phase: Phase, hello: Phase | None, same_clients: bool = True) -> list[str]:
    """Markdown table: endpoint, requests, req/s, p50/p95/p99 (ms), errors, p50 ÷ hello's;
    `same_clients`: hello ran these clients too, so the total req/s compares."""
    lines = [
        f"**{phase.title}** ({phase.seconds:.0f} s)",
        "",
        "| endpoint | requests | req/s | p50 ms | p95 ms | p99 ms | errors | p50 ÷ hello |",
        "| --- | --: | --: | --: | --: | --: | --: | --: |",
    ]
    for name in sorted(phase.rows):
        row = phase.rows[name]
        ratio = ""
        if hello and name in hello.rows and hello.rows[name].p50:
            ratio = f"{row.p50 / hello.rows[name].p50:,.1f}x"
        lines.append(
            f"| {name} | {row.requests:,} | {row.rps:,.1f} | {_ms(row.p50)} | {_ms(row.p95)} "
            f"| {_ms(row.p99)} | {row.failures if name != ABANDONED else 'n/a'} | {ratio} |"
        )
    if phase.total:
        row = phase.total
        served = ""
        if same_clients and hello and hello.total and hello.total.rps:
            served = f"{row.rps / hello.total.rps:.0%} of hello's req/s"
        lines.append(
            f"| **all** | {row.requests:,} | {row.rps:,.1f} | {_ms(row.p50)} | {_ms(row.p95)} "
            f"| {_ms(row.p99)} | {phase.errors()} | {served} |"
        )
    notes = []
    if phase.drained >= 1:
        took = f"{phase.drained:.0f} s" if phase.drained < 120 else "more than 120 s"
        notes.append(f"- after the phase, the server took {took} to work off its queue")
    for name, error, count in phase.failures[:10]:
        if name != ABANDONED:
            notes.append(f"- {count} x {name}: {_short(error)}")
    for count, message in phase.exceptions[:5]:
        notes.append(f"- {count} x exception: {message[:200]}")
    return lines + ([""] + notes if notes else [])


def _short(error: str) -> str:
    if "timed out" in error:
        return "no answer within the time-out"
    return error[:200]


@dataclass
class Checks:
    results: list[tuple[str, str, str, bool | None]] = field(default_factory=list)

    def add(self, what: str, measured: str, target: str, ok: bool | None) -> None:
        """ok None: for information, no target."""
        self.results.append((what, measured, target, ok))

    def passed(self) -> bool:
        return all(ok is not False for *_rest, ok in self.results)

    def lines(self) -> list[str]:
        out = ["| check | measured | target | |", "| --- | --: | --: | --- |"]
        for what, measured, target, ok in self.results:
            verdict = "" if ok is None else ("PASS" if ok else "FAIL")
            out.append(f"| {what} | {measured} | {target} | {verdict} |")
        return out
