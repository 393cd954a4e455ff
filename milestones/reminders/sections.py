"""Extra sections of the department digest, contributed by higher apps (答弁 commitments, evaluations, …).

The reminder code does not know those apps: an app registers a provider in its AppConfig.ready() with
`register_digest_section(provider)`. On each run the planner asks every provider which of its objects each
department should hear about (`candidates`), gives them the milestones' stages (30/7/1 days before, due,
overdue every 7 days) unless the provider chose the stage itself, and puts them into that department's digest.

Exactly once works as for milestones: each (section, object, stage, due date) is claimed with a unique
ReminderLog row (`section` + `object_id` instead of a milestone) before anything is sent, so retries, double runs
and two workers send it once; a moved due date starts afresh. At send time the provider describes its claimed
objects (`lines`) and says whether each is still due; one that was completed or moved meanwhile is skipped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class SectionCandidate:
    object_id: int
    department_id: int
    due_date: dt.date
    stage: str | None = None  # None: the milestones' stage rules decide (and may say nothing yet)


@dataclass
class SectionLine:
    code: str
    title: str
    detail: str  # one line under the title (e.g. the session and the words of the answer)
    due_date: dt.date | None  # None: a periodic notice with no deadline of its own (the claim's date is its period)
    status: str  # label
    url: str
    still_due: bool  # False: completed / cancelled since the claim, so not sent


class DigestSectionProvider(Protocol):
    key: str  # stored in ReminderLog.section (max 32 characters); unique per provider
    title: str  # heading of the section in the e-mail

    def candidates(self, *, run_date: dt.date, department_ids: Iterable[int] | None) -> Iterable[SectionCandidate]:
        """Open objects with a due date up to 30+ days after run_date, per owning department (one query).
        department_ids: only these departments (None: all)."""

    def lines(self, object_ids: Iterable[int]) -> dict[int, SectionLine]:
        """The objects as the e-mail and the preview show them (one or two queries)."""


_PROVIDERS: dict[str, DigestSectionProvider] = {}


def register_digest_section(provider: DigestSectionProvider) -> None:
    """Add a section to every department digest (call from AppConfig.ready(); registering twice replaces)."""
    if not provider.key or len(provider.key) > 32:
        raise ValueError("A digest section key must be 1–32 characters.")
    _PROVIDERS[provider.key] = provider


def digest_sections() -> list[DigestSectionProvider]:
    return list(_PROVIDERS.values())


def digest_section(key: str) -> DigestSectionProvider | None:
    return _PROVIDERS.get(key)
