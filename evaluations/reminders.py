"""「年度評価の提出をお願いします」 in each department's reminder digest: the measures whose evaluation is still
with the department (作成中 or 差戻し) in an open round. Registered in apps.py as a section of milestones' digest
(milestones.reminders.sections); reminded once a week: the claim's date is the Monday of the run's week, so a
second run in the same week finds it claimed, and next week's run claims it afresh."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from milestones.reminders.sections import SectionCandidate, SectionLine

from .models import EvaluationRound, MeasureEvaluation

SECTION_KEY = "evaluation_due"
# A stage the digest knows how to label: the week's Monday is the claim's date, so one reminder a week.
STAGE = "due"


class EvaluationDueSection:
    key = SECTION_KEY
    title = gettext_lazy("年度評価の提出をお願いします")

    def candidates(self, *, run_date: dt.date, department_ids: Iterable[int] | None) -> list[SectionCandidate]:
        week = run_date - dt.timedelta(days=run_date.weekday())
        pending = MeasureEvaluation.objects.filter(
            round__state=EvaluationRound.State.OPEN, state__in=MeasureEvaluation.EDITABLE_STATES
        )
        if department_ids is not None:
            pending = pending.filter(measure__owner_department_id__in=list(department_ids))
        return [
            SectionCandidate(object_id=pk, department_id=dept_id, due_date=week, stage=STAGE)
            for pk, dept_id in pending.order_by().values_list("pk", "measure__owner_department_id")
        ]

    def lines(self, object_ids: Iterable[int]) -> dict[int, SectionLine]:
        evaluations = MeasureEvaluation.objects.filter(pk__in=list(object_ids)).select_related("measure", "round")
        return {
            e.pk: SectionLine(
                code=e.measure.code,
                title=e.measure.title,
                detail=_("%(fy)s年度の年度評価（%(state)s）")
                % {"fy": e.round.fiscal_year, "state": e.get_state_display()},
                due_date=None,
                status=e.get_state_display(),
                url=settings.SITE_URL + reverse("evaluations:edit", args=[e.pk]),
                still_due=e.round.state == EvaluationRound.State.OPEN and e.state in MeasureEvaluation.EDITABLE_STATES,
            )
            for e in evaluations
        }


SECTION = EvaluationDueSection()
