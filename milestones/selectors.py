"""Reads about milestones that several pages share: the slippage of a due date against its 当初期限."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from .models import DueDateChangeRequest, Milestone

APPROVED = DueDateChangeRequest.State.APPROVED
PENDING = DueDateChangeRequest.State.PENDING


@dataclass
class Slippage:
    """How far a milestone's due date moved from its 当初期限, how often, and why (approved changes, oldest first)."""

    baseline: dt.date
    due_date: dt.date
    changes: list[DueDateChangeRequest] = field(default_factory=list)
    pending: DueDateChangeRequest | None = None

    @property
    def days(self) -> int:
        return (self.due_date - self.baseline).days

    @property
    def count(self) -> int:
        return len(self.changes)

    @property
    def moved(self) -> bool:
        return self.days != 0 or bool(self.changes)

    @property
    def reasons(self) -> str:
        return " / ".join(
            f"{c.previous_due_date:%Y/%m/%d}→{c.requested_due_date:%Y/%m/%d}: {c.reason}" for c in self.changes
        )


def approved_changes_prefetch() -> Prefetch:
    """Prefetch a milestone list's approved due-date changes (one query for the whole list) as `approved_changes`."""
    return Prefetch(
        "due_date_requests",
        queryset=DueDateChangeRequest.objects.filter(state=APPROVED).order_by("decided_at", "id"),
        to_attr="approved_changes",
    )


def with_slippage(qs: QuerySet) -> QuerySet:
    return qs.prefetch_related(approved_changes_prefetch())


def slippage_of(milestone: Milestone) -> Slippage:
    """For a milestone fetched with approved_changes_prefetch()."""
    return Slippage(
        baseline=getattr(milestone, "baseline_due_date", None) or milestone.due_date,
        due_date=milestone.due_date,
        changes=list(getattr(milestone, "approved_changes", [])),
    )


def milestone_slippage(*, milestone: Milestone) -> Slippage:
    """One milestone's slippage with its pending request (2 queries)."""
    requests = list(
        milestone.due_date_requests.select_related("requested_by__membership", "decided_by__membership").order_by(
            "requested_at", "id"
        )
    )
    return Slippage(
        baseline=milestone.baseline_due_date or milestone.due_date,
        due_date=milestone.due_date,
        changes=[r for r in requests if r.state == APPROVED],
        pending=next((r for r in requests if r.state == PENDING), None),
    )


def pending_requests(*, municipality_id: int | None) -> QuerySet:
    """Due-date requests waiting for the 事務局, oldest first (None = every municipality, for superusers)."""
    qs = (
        DueDateChangeRequest.objects.filter(state=PENDING)
        .select_related("milestone__measure", "milestone__owner_department", "requested_by__membership")
        .order_by("requested_at", "id")
    )
    if municipality_id is not None:
        qs = qs.filter(milestone__plan__municipality_id=municipality_id)
    return qs
