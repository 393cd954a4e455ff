"""Reads for the staff pages: 「担当の取組」 (my department's work) and a measure's page (its milestones,
KPIs and who may change what). Each function runs a fixed number of queries, whatever the number of items."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Min, OuterRef, Prefetch, Q, Subquery
from django.utils.translation import gettext_lazy

from core.fiscal import fiscal_year_bounds
from core.people import person_label
from measures.models import Measure, ProgressUpdate
from measures.progress import (
    NO_DISCREPANCY,
    OPEN,
    Discrepancy,
    Health,
    ShowsProgress,
    annotate_measure_progress,
    discrepancy_of_annotated,
    health_of_annotated,
    milestone_urgency,
    ratio_of_annotated,
    status_label,
)
from measures.selectors import KpiRow, indicator_prefetch, kpi_rows
from milestones.models import Milestone
from plans.models import Department, Plan
from plans.permissions import Access, access_for, can_change

# --- 「担当の取組」 -------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkFilters:
    health: str = ""  # a Health key: filters measures
    milestone_status: str = ""  # "" = open ones (default), "all", or a WorkStatus value
    national_item_id: int | None = None
    fiscal_year: int | None = None


@dataclass
class MeasureRow(ShowsProgress):
    measure: Measure
    ratio: float
    health: str
    next_due: dt.date | None
    last_update_at: dt.datetime | None
    last_update_by: str
    discrepancy: Discrepancy = NO_DISCREPANCY

    @property
    def latest_status_label(self) -> str:
        return status_label(self.measure.latest_status)


@dataclass
class MilestoneRow:
    milestone: Milestone
    urgency: str  # overdue / soon / later / closed

    # Lazy: these are evaluated at import time, before any request's language is active.
    URGENCY_LABELS = {
        "overdue": gettext_lazy("期限超過"),
        "soon": gettext_lazy("30日以内"),
        "later": gettext_lazy("30日より先"),
        "closed": gettext_lazy("完了・中止"),
    }

    @property
    def urgency_label(self) -> str:
        return str(self.URGENCY_LABELS[self.urgency])

    @property
    def updated_by_label(self) -> str:
        return person_label(self.milestone.updated_by) if self.milestone.updated_by_id else ""


@dataclass
class WorkList:
    departments: list
    measures: list[MeasureRow] = field(default_factory=list)
    milestones: list[MilestoneRow] = field(default_factory=list)


_URGENCY_ORDER = {"overdue": 0, "soon": 1, "later": 2, "closed": 3}


def work_list(*, user: User, today: dt.date, filters: WorkFilters | None = None) -> WorkList:
    """The measures and milestones the user's departments own, most urgent first: overdue, due within
    30 days, then the rest (closed last). A milestone is theirs if it or its measure is owned by one of
    their departments (the same rule as plans.permissions.can_change)."""
    filters = filters or WorkFilters()
    access = access_for(user)
    dept_ids = sorted(access.department_ids)
    departments = list(Department.objects.filter(pk__in=dept_ids).order_by("sort_order", "code"))
    result = WorkList(departments=departments)
    if not dept_ids:
        return result

    latest = ProgressUpdate.objects.filter(measure=OuterRef("pk")).order_by("-created_at", "-id")
    measures = Measure.objects.filter(
        Plan.in_force_q("plan"), owner_department_id__in=dept_ids, plan__municipality_id=access.municipality_id
    )
    ms_qs = Milestone.objects.filter(
        Q(owner_department_id__in=dept_ids) | Q(measure__owner_department_id__in=dept_ids),
        Plan.in_force_q("plan"),
        plan__municipality_id=access.municipality_id,
    )
    if filters.national_item_id:
        through = Measure.national_items.through.objects.filter(nationalitem_id=filters.national_item_id)
        measures = measures.filter(pk__in=through.values("measure_id"))
        ms_qs = ms_qs.filter(measure_id__in=through.values("measure_id"))
    if filters.fiscal_year:
        fy = filters.fiscal_year
        measures = measures.filter(
            Q(start_fy__isnull=True) | Q(start_fy__lte=fy), Q(end_fy__isnull=True) | Q(end_fy__gte=fy)
        )
        start, end = fiscal_year_bounds(fy)
        ms_qs = ms_qs.filter(due_date__gte=start, due_date__lte=end)
    if filters.milestone_status == "":
        ms_qs = ms_qs.filter(status__in=OPEN)
    elif filters.milestone_status != "all":
        ms_qs = ms_qs.filter(status=filters.milestone_status)

    measures = (
        annotate_measure_progress(measures, today=today)
        .annotate(
            next_due=Min("milestones__due_date", filter=Q(milestones__status__in=OPEN)),
            latest_at=Subquery(latest.values("created_at")[:1]),
            latest_author_id=Subquery(latest.values("author_id")[:1]),
        )
        .select_related("owner_department", "plan")
        .prefetch_related("national_items", indicator_prefetch())
    )
    measure_list = list(measures)
    authors = {
        u.pk: u
        for u in User.objects.filter(
            pk__in={m.latest_author_id for m in measure_list if m.latest_author_id}
        ).select_related("membership")
    }
    for m in measure_list:
        kpis = kpi_rows(list(m.indicators.all()))
        health = health_of_annotated(m, kpi_behind=any(k.assessment.behind for k in kpis))
        if filters.health and health != filters.health:
            continue
        result.measures.append(
            MeasureRow(
                measure=m,
                ratio=ratio_of_annotated(m),
                health=health,
                next_due=m.next_due,
                last_update_at=m.latest_at,
                last_update_by=person_label(authors.get(m.latest_author_id)) if m.latest_author_id else "",
                discrepancy=discrepancy_of_annotated(m),
            )
        )
    far = dt.date.max
    result.measures.sort(key=lambda r: (Health.ORDER.index(r.health), r.next_due or far, r.measure.code))

    rows = [
        MilestoneRow(milestone=ms, urgency=milestone_urgency(ms.status, ms.due_date, today))
        for ms in ms_qs.select_related("measure", "owner_department", "updated_by__membership")
    ]
    rows.sort(key=lambda r: (_URGENCY_ORDER[r.urgency], r.milestone.due_date, r.milestone.code))
    result.milestones = rows
    return result


# --- detail pages ---------------------------------------------------------------------------------


@dataclass
class MeasureDetail(ShowsProgress):
    measure: Measure
    ratio: float
    health: str
    kpis: list[KpiRow]
    milestones: list[Milestone]
    editable_milestone_ids: set[int]
    discrepancy: Discrepancy = NO_DISCREPANCY

    @property
    def latest_status_label(self) -> str:
        return status_label(self.measure.latest_status)


def measure_detail(*, pk: int, today: dt.date) -> Measure:
    """The measure with everything its detail page shows (5 queries), or Measure.DoesNotExist."""
    return (
        annotate_measure_progress(Measure.objects.filter(pk=pk), today=today)
        .select_related("plan__municipality", "plan__edition", "owner_department", "pillar")
        .prefetch_related(
            "national_items",
            Prefetch(
                "milestones", queryset=Milestone.objects.select_related("owner_department", "updated_by__membership")
            ),
            indicator_prefetch(),
        )
        .get()
    )


def measure_detail_data(*, measure: Measure, user: User | AnonymousUser) -> MeasureDetail:
    access = access_for(user)
    kpis = kpi_rows(list(measure.indicators.all()))
    health = health_of_annotated(measure, kpi_behind=any(k.assessment.behind for k in kpis))
    milestones = list(measure.milestones.all())
    return MeasureDetail(
        measure=measure,
        ratio=ratio_of_annotated(measure),
        health=health,
        kpis=kpis,
        milestones=milestones,
        discrepancy=discrepancy_of_annotated(measure),
        editable_milestone_ids={ms.pk for ms in milestones if _may_change_milestone(access, ms, measure)},
    )


def _may_change_milestone(access: Access, ms: Milestone, measure: Measure) -> bool:
    """plans.permissions.can_change for a milestone of an already-checked measure, without a query per row."""
    ms.measure, ms.plan = measure, measure.plan
    return can_change(access.user, ms)
