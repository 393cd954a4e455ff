"""A minimal iCalendar (RFC 5545) writer for the department milestone feed.

Written by hand rather than with the `icalendar` package: the feed needs one VCALENDAR of all-day
VEVENTs, and the three rules that matter — CRLF line ends, folding at 75 octets without splitting a
UTF-8 character, escaping of backslash, semicolon, comma and newline — fit in this file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass


def escape_text(value: str) -> str:
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Split a content line into 75-octet pieces joined by CRLF + space (RFC 5545 §3.1)."""
    out, current, size = [], [], 0
    limit = 75
    for char in line:
        n = len(char.encode("utf-8"))
        if size + n > limit:
            out.append("".join(current))
            current, size, limit = [], 0, 74  # continuation lines start with a space
        current.append(char)
        size += n
    out.append("".join(current))
    return "\r\n ".join(out)


@dataclass
class Event:
    uid: str
    day: dt.date
    summary: str
    description: str
    url: str
    last_modified: dt.datetime | None = None


def calendar(*, name: str, events: Iterable[Event], stamp: dt.datetime) -> str:
    utc = "%Y%m%dT%H%M%SZ"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//DX Portal//Milestones//JA",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
        "X-WR-TIMEZONE:Asia/Tokyo",
    ]
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event.uid}",
            f"DTSTAMP:{stamp.astimezone(dt.UTC).strftime(utc)}",
            f"DTSTART;VALUE=DATE:{event.day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{event.day + dt.timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{escape_text(event.summary)}",
            f"DESCRIPTION:{escape_text(event.description)}",
            f"URL:{event.url}",
            "TRANSP:TRANSPARENT",
        ]
        if event.last_modified:
            lines.append(f"LAST-MODIFIED:{event.last_modified.astimezone(dt.UTC).strftime(utc)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
