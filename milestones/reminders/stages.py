"""Which stage of its reminders a milestone has reached on a run date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from measures.models import OPEN_STATUSES as _OPEN

from ..business_days import next_business_day

STAGE_DUE = "due"
STAGE_STALE = "stale"
OPEN_STATUSES = [str(s) for s in _OPEN]


@dataclass(frozen=True)
class Stage:
    key: str  # before_30, before_7, before_1, due, overdue_1, overdue_8, …
    kind: str  # "before", "due" or "overdue"
    days: int  # days before (before) or after (overdue) the due date; 0 for due

    @property
    def escalates(self) -> bool:
        return self.kind == "overdue" and self.days >= settings.REMINDER_ESCALATE_AFTER_DAYS

    @property
    def urgency(self) -> int:
        """Sort key: most urgent first (overdue, due, 1 day before, 7, 30)."""
        return {"overdue": 0, "due": 1}.get(self.kind, 2) * 1000 + (self.days if self.kind == "before" else 0)


def parse_stage(key: str) -> Stage:
    if key == STAGE_DUE:
        return Stage(key, "due", 0)
    kind, _sep, days = key.partition("_")
    return Stage(key, kind, int(days))


def horizon_for(run_date: dt.date) -> dt.date:
    """The last day this run speaks for: warnings falling on the closed days before the next business
    day are sent now, while there is still time to act."""
    return next_business_day(run_date) - dt.timedelta(days=1)


@dataclass(frozen=True)
class StageRules:
    """The stage settings, read once per run (settings lookups are slow in a loop over 10⁶ milestones)."""

    days_before: tuple[int, ...]
    overdue_repeat: int
    escalate_after: int

    @classmethod
    def from_settings(cls) -> StageRules:
        return cls(
            tuple(sorted(settings.REMINDER_STAGES_DAYS_BEFORE)),
            settings.REMINDER_OVERDUE_REPEAT_DAYS,
            settings.REMINDER_ESCALATE_AFTER_DAYS,
        )


def stage_for(
    *, due_date: dt.date, run_date: dt.date, horizon: dt.date | None = None, rules: StageRules | None = None
) -> Stage | None:
    """The most urgent stage a milestone has reached on `run_date` (None: nothing to say yet).

    Only the most urgent one is ever sent: after an outage a milestone gets one reminder, not a burst.
    Warnings (before / due) look ahead to `horizon`; "overdue" is said only once it is true.
    """
    horizon = horizon or run_date
    rules = rules or StageRules.from_settings()
    if due_date < run_date:
        days_over = (run_date - due_date).days
        days = 1 + ((days_over - 1) // rules.overdue_repeat) * rules.overdue_repeat
        return Stage(f"overdue_{days}", "overdue", days)
    if due_date <= horizon:
        return Stage(STAGE_DUE, "due", 0)
    ahead = (due_date - horizon).days
    for days in rules.days_before:
        if days >= ahead:
            return Stage(f"before_{days}", "before", days)
    return None


def stage_label(stage: Stage) -> str:
    """The heading of a stage's group. A "before" stage says "within N days", never "N days before": after a
    catch-up (closed days, an outage) an item of the 7-day stage may be due in 3; days_left_label says which."""
    if stage.kind == "overdue":
        return _("期限を過ぎています")
    if stage.kind == "due":
        return _("期限当日")
    return _("期限まで%(days)s日以内") % {"days": stage.days}


def days_left_label(due_date: dt.date, on: dt.date) -> str:
    """The real number of days from `on` (the run date) to the due date."""
    days = (due_date - on).days
    if days > 0:
        return _("あと%(days)s日") % {"days": days}
    if days == 0:
        return _("本日")
    return _("%(days)s日超過") % {"days": -days}
