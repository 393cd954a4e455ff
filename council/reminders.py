"""答弁 commitments in the owning department's reminder digest (milestones.reminders.sections)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from milestones.reminders.sections import SectionCandidate, SectionLine

from .models import Commitment


class CommitmentReminders:
    """Open commitments, staged on their deadline like milestones (30/7/1 days before, due, overdue every 7
    days). Claimed with ReminderLog(section="commitment", object_id=…) rows, so each stage is sent once."""

    key = "commitment"
    title = gettext_lazy("議会答弁で約束した事項")

    def candidates(self, *, run_date: dt.date, department_ids: Iterable[int] | None) -> list[SectionCandidate]:
        look_ahead = max(settings.REMINDER_STAGES_DAYS_BEFORE, default=0) + 14
        qs = Commitment.objects.filter(
            status__in=Commitment.OPEN_STATUSES,
            deadline__isnull=False,
            deadline__lte=run_date + dt.timedelta(days=look_ahead),
        )
        if department_ids is not None:
            qs = qs.filter(owner_department_id__in=list(department_ids))
        return [
            SectionCandidate(object_id=pk, department_id=dept, due_date=deadline)
            for pk, dept, deadline in qs.values_list("id", "owner_department_id", "deadline")
        ]

    def lines(self, object_ids: Iterable[int]) -> dict[int, SectionLine]:
        result = {}
        for c in Commitment.objects.filter(id__in=list(object_ids)).select_related("session"):
            result[c.id] = SectionLine(
                code=c.session.name,
                title=c.subject or c.words[:60],
                detail=_("%(official)s答弁: %(words)s") % {"official": c.answering_official, "words": c.words[:200]},
                due_date=c.deadline,
                status=c.get_status_display(),
                url=f"{settings.SITE_URL}/council/commitments/{c.pk}/",
                still_due=c.is_open,
            )
        return result
