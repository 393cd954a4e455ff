"""「年度評価の提出をお願いします」 in each department's reminder digest: the measures whose evaluation is still
with the department (作成中 or 差戻し) in an open round. Registered with milestones' digest in apps.py; reminded
once a week (the period date is the Monday of the run's week)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext as _

from milestones.reminders import DigestSection

from .models import EvaluationRound, MeasureEvaluation

STAGE = "evaluation_due"


def _items(*, run_date: dt.date, departments) -> list[tuple[int, int, dt.date]]:
    week = run_date - dt.timedelta(days=run_date.weekday())
    pending = (
        MeasureEvaluation.objects.filter(
            round__state=EvaluationRound.State.OPEN,
            state__in=MeasureEvaluation.EDITABLE_STATES,
            measure__owner_department__in=departments,
        )
        .order_by()
        .values_list("measure__owner_department_id", "measure_id")
        .distinct()
    )
    return [(dept_id, measure_id, week) for dept_id, measure_id in pending]


def _links(measure_ids: list[int]) -> dict[int, str]:
    evaluations = (
        MeasureEvaluation.objects.filter(measure_id__in=measure_ids, round__state=EvaluationRound.State.OPEN)
        .order_by("round__fiscal_year")
        .values_list("measure_id", "pk")
    )
    return {measure_id: reverse("evaluations:edit", args=[pk]) for measure_id, pk in evaluations}


SECTION = DigestSection(
    stage=STAGE,
    title=lambda: _("年度評価の提出をお願いします"),
    note=lambda: _("次の施策の年度評価が未提出です（作成中または差戻し）。内容を入力して提出してください。"),
    items=_items,
    links=_links,
)
