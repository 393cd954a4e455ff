"""The plan as it stood at the end of a past day, rebuilt from the history the portal already keeps.

Sources (DESIGN.md §10):
- measures, milestones and KPIs: their django-simple-history tables. For each object the newest historical row
  recorded before the end of the day is its state then (a "-" row means it had been deleted).
  `Model.history.as_of()` would do this with one query per object; here one windowed query per table does it
  for the whole plan.
- a measure's national items: the m2m history rows attached to that newest historical measure row;
- reported % and status: the append-only ProgressUpdate, the latest one created before the end of the day;
- KPI actuals: IndicatorValue rows recorded before the end of the day and not yet corrected by then
  (a value corrected later shows its original as of before the correction).

`plan_snapshot` costs the same few queries whatever the date or the length of the history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.db.models import Exists, F, IntegerField, OuterRef, QuerySet, Value, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from measures.models import Indicator, IndicatorValue, Measure, ProgressUpdate, WorkStatus
from milestones.models import Milestone
from plans.models import Department, NationalItem, Plan


def end_of_day(day: dt.date) -> dt.datetime:
    """The first instant after `day` in the site's time zone: "as of D" means everything recorded before it."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=timezone.get_current_timezone())


def plan_started_on(plan: Plan) -> dt.date:
    """The first day the plan existed in the portal (its first history row, or its creation)."""
    first = plan.history.order_by("history_date").values_list("history_date", flat=True).first()
    created = plan.created_at
    moments = [m for m in (first, created) if m is not None]
    return timezone.localtime(min(moments)).date() if moments else timezone.localdate()


def validate_as_of(*, plan: Plan, day: dt.date, today: dt.date) -> str | None:
    """A Japanese message when the plan cannot be shown as of `day`, else None."""
    if day > today:
        return _("基準日「%(day)s」は未来の日付です。今日（%(today)s）以前の日付を指定してください。") % {
            "day": day.isoformat(),
            "today": today.isoformat(),
        }
    started = plan_started_on(plan)
    if day < started:
        return _(
            "基準日「%(day)s」は、この計画がポータルに登録された日（%(start)s）より前です。"
            "%(start)s 以降の日付を指定してください。"
        ) % {"day": day.isoformat(), "start": started.isoformat()}
    return None


def latest_versions(history: QuerySet, *, before: dt.datetime) -> QuerySet:
    """Of a historical table (already narrowed to one plan), the newest row per object recorded before
    `before`, deleted objects left out: one query."""
    ranked = history.filter(history_date__lt=before).annotate(
        _rank=Window(RowNumber(), partition_by=[F("id")], order_by=[F("history_date").desc(), F("history_id").desc()])
    )
    return ranked.filter(_rank=1).exclude(history_type="-")


@dataclass
class PastMilestone:
    """A milestone as it stood on a day; the attributes the dashboard templates and exports read."""

    pk: int
    code: str
    title: str
    measure_id: int
    owner_department_id: int
    due_date: dt.date
    status: str
    completed_on: dt.date | None
    sort_order: int
    measure: object = None  # PastMeasure
    owner_department: object = None  # Department

    @property
    def id(self) -> int:
        return self.pk

    def get_status_display(self) -> str:
        return str(WorkStatus(self.status).label)

    @property
    def is_open(self) -> bool:
        return self.status in Milestone.OPEN_STATUSES

    def is_overdue(self, today: dt.date) -> bool:
        return self.is_open and self.due_date < today


@dataclass
class PastMeasure:
    pk: int
    code: str
    title: str
    owner_department_id: int
    pillar_id: int | None
    start_fy: int | None
    end_fy: int | None
    sort_order: int
    item_ids: list[int] = field(default_factory=list)
    owner_department: object = None

    @property
    def id(self) -> int:
        return self.pk


@dataclass
class PastIndicator:
    id: int
    code: str
    name: str
    unit: str
    direction: str
    baseline_value: Decimal | None
    baseline_date: dt.date | None
    target_value: Decimal | None
    target_fy: int | None
    measure_id: int
    sort_order: int


@dataclass
class Snapshot:
    plan: Plan
    day: dt.date
    measures: dict[int, PastMeasure]
    milestones: dict[int, PastMilestone]
    latest_report: dict[int, tuple[str, int | None]]  # measure id → (status, percent)
    indicators: list[PastIndicator]
    values: dict[int, list[tuple[dt.date, Decimal, int]]]  # indicator id → [(as_of, value, value id)]
    departments: dict[int, Department]
    item_numbers: dict[int, int]  # national item id (the plan's edition) → number


def plan_snapshot(*, plan: Plan, day: dt.date) -> Snapshot:
    """The plan at the end of `day` (at most 12 queries, whatever the date or the amount of history)."""
    before = end_of_day(day)
    departments = {
        d.id: d
        for d in Department.objects.filter(municipality_id=plan.municipality_id).only(
            "id", "name", "code", "sort_order"
        )
    }  # 1

    hm = list(
        latest_versions(Measure.history.filter(plan_id=plan.id), before=before).values(  # 1
            "history_id", "id", "code", "title", "owner_department_id", "pillar_id", "start_fy", "end_fy", "sort_order"
        )
    )
    # Objects a bulk writer created without a history row (the scale generator) are taken as they are now from
    # the day they were created: the history cannot say more.
    hm += list(
        Measure.objects.filter(plan_id=plan.id, created_at__lt=before)  # 1
        .exclude(Exists(Measure.history.filter(id=OuterRef("pk"))))
        .annotate(history_id=Value(None, output_field=IntegerField()))
        .values(
            "history_id", "id", "code", "title", "owner_department_id", "pillar_id", "start_fy", "end_fy", "sort_order"
        )
    )
    measures: dict[int, PastMeasure] = {}
    by_history: dict[int, PastMeasure] = {}
    for r in hm:
        m = PastMeasure(
            pk=r["id"],
            code=r["code"],
            title=r["title"],
            owner_department_id=r["owner_department_id"],
            pillar_id=r["pillar_id"],
            start_fy=r["start_fy"],
            end_fy=r["end_fy"],
            sort_order=r["sort_order"],
            owner_department=departments.get(r["owner_department_id"]),
        )
        measures[m.pk] = m
        if r["history_id"] is not None:
            by_history[r["history_id"]] = m
    through = apps.get_model("measures", "HistoricalMeasure_national_items")  # simple-history's m2m history
    if by_history:
        for hist_id, item_id in (
            through.objects.filter(
                history__plan_id=plan.id,  # 1
                history__history_date__lt=before,
            )
            .filter(history_id__in=list(by_history))
            .values_list("history_id", "nationalitem_id")
        ):
            by_history[hist_id].item_ids.append(item_id)
    # Item links written without m2m history (the importer links items with bulk_create): the current links.
    unlinked = [m for m in measures.values() if not m.item_ids]
    if unlinked:
        by_id = {m.pk: m for m in unlinked}
        for measure_id, item_id in Measure.national_items.through.objects.filter(  # 1
            measure_id__in=list(by_id)
        ).values_list("measure_id", "nationalitem_id"):
            by_id[measure_id].item_ids.append(item_id)

    milestones: dict[int, PastMilestone] = {}
    ms_fields = (
        "id",
        "code",
        "title",
        "measure_id",
        "owner_department_id",
        "due_date",
        "status",
        "completed_on",
        "sort_order",
    )
    ms_rows = list(latest_versions(Milestone.history.filter(plan_id=plan.id), before=before).values(*ms_fields))  # 1
    ms_rows += list(
        Milestone.objects.filter(plan_id=plan.id, updated_at__lt=before)  # 1 (no history row: unchanged since)
        .exclude(Exists(Milestone.history.filter(id=OuterRef("pk"))))
        .values(*ms_fields)
    )
    for r in ms_rows:
        if r["measure_id"] not in measures:
            continue
        milestones[r["id"]] = PastMilestone(
            pk=r["id"],
            code=r["code"],
            title=r["title"],
            measure_id=r["measure_id"],
            owner_department_id=r["owner_department_id"],
            due_date=r["due_date"],
            status=r["status"],
            completed_on=r["completed_on"],
            sort_order=r["sort_order"],
            measure=measures[r["measure_id"]],
            owner_department=departments.get(r["owner_department_id"]),
        )

    latest_report: dict[int, tuple[str, int | None]] = {}
    reports = (
        ProgressUpdate.objects.filter(measure__plan_id=plan.id, created_at__lt=before)  # 1
        .annotate(
            _rank=Window(RowNumber(), partition_by=[F("measure_id")], order_by=[F("created_at").desc(), F("id").desc()])
        )
        .filter(_rank=1)
        .values_list("measure_id", "status", "percent_done")
    )
    for measure_id, status, percent in reports:
        latest_report[measure_id] = (status, percent)

    indicator_fields = (
        "id",
        "code",
        "name",
        "unit",
        "direction",
        "baseline_value",
        "baseline_date",
        "target_value",
        "target_fy",
        "measure_id",
        "sort_order",
    )
    indicator_rows = list(
        latest_versions(Indicator.history.filter(plan_id=plan.id), before=before).values(*indicator_fields)  # 1
    )
    indicator_rows += list(
        Indicator.objects.filter(plan_id=plan.id)  # 1 (no history row)
        .exclude(Exists(Indicator.history.filter(id=OuterRef("pk"))))
        .values(*indicator_fields)
    )
    indicators = [PastIndicator(**r) for r in indicator_rows if r["measure_id"] in measures]

    # A value is known at the end of the day if it was recorded by then, and still valid if no correction of
    # it had been recorded by then.
    corrected = IndicatorValue.objects.filter(corrects=OuterRef("pk"), recorded_at__lt=before)
    values: dict[int, list[tuple[dt.date, Decimal, int]]] = {}
    for ind_id, as_of, value, pk in (
        IndicatorValue.objects.filter(indicator__plan_id=plan.id, recorded_at__lt=before)  # 1
        .filter(~Exists(corrected))
        .order_by("indicator_id", "as_of", "recorded_at", "id")
        .values_list("indicator_id", "as_of", "value", "id")
    ):
        series = values.setdefault(ind_id, [])
        if series and series[-1][0] == as_of:  # two uncorrected values for one date: the later one stands
            series[-1] = (as_of, value, pk)
        else:
            series.append((as_of, value, pk))
    item_numbers = dict(NationalItem.objects.filter(edition_id=plan.edition_id).values_list("id", "number"))  # 1
    return Snapshot(
        plan=plan,
        day=day,
        measures=measures,
        milestones=milestones,
        latest_report=latest_report,
        indicators=indicators,
        values=values,
        departments=departments,
        item_numbers=item_numbers,
    )


def first_due_dates(*, plan: Plan, milestone_ids: list[int] | None = None) -> dict[int, dt.date]:
    """当初期限: each milestone's due date in its first historical row (1 query)."""
    qs = Milestone.history.filter(plan_id=plan.id)
    if milestone_ids is not None:
        qs = qs.filter(id__in=milestone_ids)
    ranked = qs.annotate(
        _rank=Window(RowNumber(), partition_by=[F("id")], order_by=[F("history_date").asc(), F("history_id").asc()])
    ).filter(_rank=1)
    return dict(ranked.values_list("id", "due_date"))


def filter_measures(
    snapshot: Snapshot,
    *,
    fy: int | None,
    department: int | None,
    item_number: int | None,
    pillar: int | None,
    measure: int | None,
) -> list[PastMeasure]:
    """The measures of a snapshot that pass the dashboard filters, in the dashboard's order."""
    out = []
    for m in snapshot.measures.values():
        if fy and not ((m.start_fy is None or m.start_fy <= fy) and (m.end_fy is None or m.end_fy >= fy)):
            continue
        if department and m.owner_department_id != department:
            continue
        if item_number and item_number not in {snapshot.item_numbers.get(i) for i in m.item_ids}:
            continue
        if pillar is not None and (m.pillar_id != pillar if pillar else m.pillar_id is not None):
            continue
        if measure and m.pk != measure:
            continue
        out.append(m)
    return sorted(out, key=lambda m: (m.sort_order, m.code))
