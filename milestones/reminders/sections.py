"""Extra sections of the department digest, contributed by higher apps (this package never imports them).

A higher app (e.g. evaluations: 「年度評価の提出をお願いします」) registers a `DigestSection` in its
`AppConfig.ready`. On each run the section names the measures to remind each department about, with a period
date; each (measure, section stage, period date) is claimed with a ReminderLog row exactly like a staleness
notice, so it is sent once per period however often the run repeats. A department with only section items
still gets its digest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import QuerySet


@dataclass(frozen=True)
class DigestSection:
    stage: str  # the ReminderLog stage of its items (≤ 32 characters, unique among sections)
    title: Callable[[], str]  # the section heading, translated when the e-mail is built
    note: Callable[[], str]  # one sentence under the heading
    # (department id, measure id, period date) per item, for the departments that get mail on a run date
    items: Callable[..., Iterable[tuple[int, int, dt.date]]]
    # measure id → path of the page to act on (one query for all of a digest's measures)
    links: Callable[[list[int]], dict[int, str]]


_SECTIONS: dict[str, DigestSection] = {}


def register_section(section: DigestSection) -> None:
    """Add (or replace: registering twice is harmless) a digest section."""
    _SECTIONS[section.stage] = section


def registered_sections() -> list[DigestSection]:
    return list(_SECTIONS.values())


def section_for(stage: str) -> DigestSection | None:
    return _SECTIONS.get(stage)


def section_items(*, run_date: dt.date, departments: QuerySet) -> list[tuple[DigestSection, int, int, dt.date]]:
    """Every registered section's (section, department id, measure id, period date) for a run."""
    return [
        (section, dept_id, measure_id, period)
        for section in registered_sections()
        for dept_id, measure_id, period in section.items(run_date=run_date, departments=departments)
    ]
