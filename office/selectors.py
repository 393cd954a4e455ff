"""Reads for the 事務局's home: each plan's health, the data-quality warnings, and the requests waiting for a
decision. A fixed number of queries per page (about 10), whatever the size of the plans."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from measures.models import Measure, ProgressUpdate
from measures.progress import (
    Discrepancy,
    ShowsProgress,
    annotate_measure_progress,
    discrepancy_of_annotated,
    group_health,
    group_ratio,
    health_of_annotated,
    measure_weight,
    overdue_q,
    ratio_of_annotated,
)
from measures.selectors import indicator_prefetch, kpi_rows
from milestones.models import Milestone
from milestones.selectors import pending_requests
from plans.imports import import_reason_q
from plans.models import Membership, Plan

LIST_LIMIT = 20  # rows shown per warning; the count is always the full one


@dataclass
class PlanHealth(ShowsProgress):
    plan: Plan
    ratio: float | None
    health: str | None
    measures: int
    flagged: int  # 「自己評価と工程に差異」


@dataclass
class Warning:
    key: str
    title: str
    explanation: str
    count: int
    rows: list = field(default_factory=list)  # (label, url name, pk, note)


@dataclass
class FlaggedMeasure:
    measure: Measure
    discrepancy: Discrepancy


@dataclass
class OfficeHome:
    plans: list[PlanHealth]
    warnings: list[Warning]
    pending: list
    flagged: list[FlaggedMeasure]

    @property
    def warning_total(self) -> int:
        return sum(w.count for w in self.warnings)


def _measures(municipality_id: int, today: dt.date) -> list[Measure]:
    qs = (
        annotate_measure_progress(Measure.objects.filter(plan__municipality_id=municipality_id), today=today)
        .select_related("owner_department")
        .prefetch_related(indicator_prefetch())
        .order_by("plan_id", "sort_order", "code")
    )
    return list(qs)


def office_home(*, municipality_id: int, today: dt.date) -> OfficeHome:
    plans = list(Plan.objects.filter(municipality_id=municipality_id).order_by("-start_fy", "code"))
    measures = _measures(municipality_id, today)
    by_plan: dict[int, list] = defaultdict(list)
    flagged: list[FlaggedMeasure] = []
    stale_before = today - dt.timedelta(days=settings.REMINDER_STALE_DAYS)
    no_milestone, stale = [], []
    for m in measures:
        kpis = kpi_rows(list(m.indicators.all()))
        health = health_of_annotated(m, kpi_behind=any(k.assessment.behind for k in kpis))
        by_plan[m.plan_id].append((ratio_of_annotated(m), measure_weight(m.ms_total), health))
        d = discrepancy_of_annotated(m)
        if d:
            flagged.append(FlaggedMeasure(measure=m, discrepancy=d))
        if not m.ms_total:
            no_milestone.append(m)
        finished = m.ms_total and m.ms_done == m.ms_total
        if not finished and (m.latest_reported_at is None or m.latest_reported_at.date() < stale_before):
            stale.append(m)
    plan_rows = []
    for plan in plans:
        parts = by_plan.get(plan.pk, [])
        plan_rows.append(
            PlanHealth(
                plan=plan,
                ratio=group_ratio((r, w) for r, w, _h in parts),
                health=group_health(h for _r, _w, h in parts),
                measures=len(parts),
                flagged=sum(1 for f in flagged if f.measure.plan_id == plan.pk),
            )
        )

    # Owner departments nobody can update for: no member of the municipality belongs to them.
    staffed = set(
        Membership.departments.through.objects.filter(
            department_id__in={m.owner_department_id for m in measures}
        ).values_list("department_id", flat=True)
    )
    no_owner = [m for m in measures if m.owner_department_id not in staffed]

    reported_since_due = ProgressUpdate.objects.filter(
        measure_id=OuterRef("measure_id"), created_at__date__gte=OuterRef("due_date")
    )
    unreported = list(
        Milestone.objects.filter(overdue_q(today), plan__municipality_id=municipality_id)
        .annotate(reported=Exists(reported_since_due))
        .filter(reported=False)
        .select_related("measure")
        .order_by("due_date", "code")
    )
    imported_ids = (
        Milestone.history.filter(plan__municipality_id=municipality_id, history_type="+")
        .filter(import_reason_q())
        .values("id")
    )
    imported_overdue = list(
        Milestone.objects.filter(overdue_q(today), plan__municipality_id=municipality_id, pk__in=imported_ids)
        .select_related("measure")
        .order_by("due_date", "code")
    )
    pending = list(pending_requests(municipality_id=municipality_id))

    def measure_rows(items: list[Measure]) -> list:
        return [(f"{m.code} {m.title}", "measures:detail", m.pk, m.owner_department.name) for m in items[:LIST_LIMIT]]

    def milestone_rows(items: list[Milestone]) -> list:
        return [
            (f"{ms.code} {ms.title}", "milestones:detail", ms.pk, f"{ms.due_date:%Y/%m/%d}")
            for ms in items[:LIST_LIMIT]
        ]

    warnings = [
        Warning(
            "no_milestone",
            _("マイルストーンのない施策"),
            _("進捗率は報告された値だけで決まります。工程表（マイルストーン）を登録してください。"),
            len(no_milestone),
            measure_rows(no_milestone),
        ),
        Warning(
            "no_owner",
            _("更新できる職員のいない施策"),
            _("担当部署に職員が一人も登録されていません。進捗を報告できる人がいません。"),
            len(no_owner),
            measure_rows(no_owner),
        ),
        Warning(
            "overdue_unreported",
            _("期限を過ぎても報告のないマイルストーン"),
            _("期限を過ぎて未完了なのに、期限の日から後に施策の進捗報告がありません。"),
            len(unreported),
            milestone_rows(unreported),
        ),
        Warning(
            "stale",
            _("進捗報告が古い施策"),
            _("%(days)s日以上、進捗報告がありません（完了した施策を除く）。") % {"days": settings.REMINDER_STALE_DAYS},
            len(stale),
            measure_rows(stale),
        ),
        Warning(
            "pending",
            _("承認待ちの期限変更申請"),
            _("下の「承認待ちの期限変更申請」で判断してください。"),
            len(pending),
            [],
        ),
        Warning(
            "imported_overdue",
            _("取込時点ですでに期限を過ぎていたマイルストーン"),
            _("Excelから取り込んだマイルストーンのうち、期限が過ぎたまま未完了のもの。期限か状況を確認してください。"),
            len(imported_overdue),
            milestone_rows(imported_overdue),
        ),
    ]
    return OfficeHome(plans=plan_rows, warnings=warnings, pending=pending, flagged=flagged)
