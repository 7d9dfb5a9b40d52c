"""iCalendar (RFC 5545) output for meetings, written by hand: no dependency.

Times are given in the project's time zone with a VTIMEZONE built from the zone's actual
transitions (from zoneinfo), so calendar apps show the meeting at the local time it was set.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

PRODID = "-//CBPAR Workspace//Meetings//EN"
_LOCAL = "%Y%m%dT%H%M%S"


@dataclass(frozen=True)
class Event:
    uid: str
    start: datetime  # aware
    end: datetime | None
    summary: str
    description: str = ""
    location: str = ""
    url: str = ""
    status: str = "CONFIRMED"  # TENTATIVE, CONFIRMED, CANCELLED
    last_modified: datetime | None = None
    timezone: str = "UTC"


def escape_text(value: str) -> str:
    """TEXT value escaping: backslash, semicolon, comma and newlines (RFC 5545 3.3.11)."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold a content line at 75 octets, never inside a UTF-8 character (RFC 5545 3.1)."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    parts: list[str] = []
    current, size, limit = [], 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, 74  # continuation lines start with a space
        current.append(char)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts)


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime(_LOCAL) + "Z"


def _transitions(zone: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """UTC instants in [start, end] at which the zone's offset changes."""
    found: list[datetime] = []
    step = timedelta(days=1)
    moment = start
    while moment < end:
        after = moment + step
        if moment.astimezone(zone).utcoffset() != after.astimezone(zone).utcoffset():
            low, high = moment, after
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if low.astimezone(zone).utcoffset() == middle.astimezone(zone).utcoffset():
                    low = middle
                else:
                    high = middle
            found.append(high.replace(second=0, microsecond=0))
        moment = after
    return found


def _offset(delta: timedelta | None) -> str:
    seconds = int((delta or timedelta()).total_seconds())
    sign = "-" if seconds < 0 else "+"
    seconds = abs(seconds)
    return f"{sign}{seconds // 3600:02d}{seconds % 3600 // 60:02d}"


def vtimezone(name: str, first: datetime, last: datetime) -> list[str]:
    """A VTIMEZONE valid from before `first` to after `last` (one observance per transition)."""
    zone = ZoneInfo(name)
    start = datetime(first.year, 1, 1, tzinfo=UTC)
    end = datetime(last.year + 1, 1, 1, tzinfo=UTC)
    lines = ["BEGIN:VTIMEZONE", f"TZID:{name}"]

    def observance(at: datetime, before: timedelta | None, after_moment: datetime) -> list[str]:
        local = after_moment.astimezone(zone)
        component = "DAYLIGHT" if local.dst() else "STANDARD"
        onset = (at + (before or timedelta())).replace(tzinfo=None)
        return [
            f"BEGIN:{component}",
            f"DTSTART:{onset.strftime(_LOCAL)}",
            f"TZOFFSETFROM:{_offset(before)}",
            f"TZOFFSETTO:{_offset(local.utcoffset())}",
            f"TZNAME:{local.tzname() or name}",
            f"END:{component}",
        ]

    initial = start.astimezone(zone).utcoffset()
    # The observance in force at the start of the range, as if it began in 1970.
    lines += observance(datetime(1970, 1, 1, tzinfo=UTC) - (initial or timedelta()), initial, start)
    for moment in _transitions(zone, start, end):
        before = (moment - timedelta(minutes=1)).astimezone(zone).utcoffset()
        lines += observance(moment, before, moment)
    lines.append("END:VTIMEZONE")
    return lines


def _event_lines(event: Event, stamp: datetime) -> list[str]:
    zone = ZoneInfo(event.timezone)
    tz = event.timezone

    def local(value: datetime) -> str:
        if tz == "UTC":
            return f":{_utc(value)}"
        return f";TZID={tz}:{value.astimezone(zone).strftime(_LOCAL)}"

    lines = [
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        f"DTSTAMP:{_utc(stamp)}",
        f"DTSTART{local(event.start)}",
    ]
    if event.end is not None and event.end > event.start:
        lines.append(f"DTEND{local(event.end)}")
    lines.append(f"SUMMARY:{escape_text(event.summary)}")
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    if event.location:
        lines.append(f"LOCATION:{escape_text(event.location)}")
    if event.url:
        lines.append(f"URL:{event.url}")
    lines.append(f"STATUS:{event.status}")
    if event.last_modified is not None:
        lines.append(f"LAST-MODIFIED:{_utc(event.last_modified)}")
    lines.append("END:VEVENT")
    return lines


def calendar(events: Iterable[Event], name: str = "", stamp: datetime | None = None) -> str:
    """A VCALENDAR with one VTIMEZONE per zone used and one VEVENT per event, CRLF-terminated."""
    events = list(events)
    stamp = stamp or datetime.now(UTC)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN"]
    lines.append("METHOD:PUBLISH")
    if name:
        lines.append(f"X-WR-CALNAME:{escape_text(name)}")
    zones: dict[str, list[datetime]] = {}
    for event in events:
        if event.timezone != "UTC":
            zones.setdefault(event.timezone, []).append(event.start)
            if event.end is not None:
                zones[event.timezone].append(event.end)
    for tz, moments in sorted(zones.items()):
        lines += vtimezone(tz, min(moments), max(moments))
    for event in events:
        lines += _event_lines(event, stamp)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
