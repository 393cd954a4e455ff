"""Reads for staff pages: 「担当の取組」 (my department's work), the measure/milestone detail data, and the
timeline of everything that touched an object. Each function runs a fixed number of queries, whatever
the number of items."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Min, OuterRef, Prefetch, Q, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from milestones.models import Milestone
from plans.fiscal import fiscal_year_bounds
from plans.models import ImportRun
from plans.people import person_label
from plans.permissions import Access, access_for

from .models import Indicator, IndicatorValue, Measure, ProgressUpdate, WorkStatus
from .progress import (
    DUE_SOON_DAYS,
    OPEN,
    Health,
    KpiAssessment,
    ShowsProgress,
    annotate_measure_progress,
    assess_kpi,
    health_of_annotated,
    ratio_of_annotated,
)

# --- KPIs ---------------------------------------------------------------------------------------


@dataclass
class KpiRow:
    indicator: Indicator
    latest: IndicatorValue | None
    assessment: KpiAssessment
    values: list[IndicatorValue]  # every recorded value, corrections included, newest first


def _kpi_rows(indicators: list[Indicator]) -> list[KpiRow]:
    """Indicators with `all_values` prefetched (every value, any order) → their latest current value and grade."""
    rows = []
    for ind in indicators:
        values = sorted(ind.all_values, key=lambda v: (v.as_of, v.recorded_at, v.pk), reverse=True)
        latest = next((v for v in values if v.is_current), None)
        assessment = assess_kpi(baseline=ind.baseline_value, baseline_date=ind.baseline_date,
                                target=ind.target_value, target_fy=ind.target_fy, direction=ind.direction,
                                actual=latest.value if latest else None, actual_date=latest.as_of if latest else None)
        rows.append(KpiRow(indicator=ind, latest=latest, assessment=assessment, values=values))
    return rows


def _indicator_prefetch(lookup: str = "indicators") -> Prefetch:
    values = IndicatorValue.objects.select_related("recorded_by__membership")
    return Prefetch(lookup, queryset=Indicator.objects.prefetch_related(
        Prefetch("values", queryset=values, to_attr="all_values")))


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


@dataclass
class MilestoneRow:
    milestone: Milestone
    urgency: str  # overdue / soon / later / closed

    # Lazy: these are evaluated at import time, before any request's language is active.
    URGENCY_LABELS = {"overdue": gettext_lazy("期限超過"), "soon": gettext_lazy("30日以内"),
                      "later": gettext_lazy("30日より先"), "closed": gettext_lazy("完了・中止")}

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


def _milestone_urgency(ms: Milestone, today: dt.date) -> str:
    if ms.status not in OPEN:
        return "closed"
    if ms.due_date < today:
        return "overdue"
    if ms.due_date <= today + dt.timedelta(days=DUE_SOON_DAYS):
        return "soon"
    return "later"


_URGENCY_ORDER = {"overdue": 0, "soon": 1, "later": 2, "closed": 3}


def work_list(*, user: User, today: dt.date, filters: WorkFilters | None = None) -> WorkList:
    """The measures and milestones the user's departments own, most urgent first: overdue, due within
    30 days, then the rest (closed last). A milestone is theirs if it or its measure is owned by one of
    their departments (the same rule as plans.permissions.can_change)."""
    from plans.models import Department

    filters = filters or WorkFilters()
    access = access_for(user)
    dept_ids = sorted(access.department_ids)
    departments = list(Department.objects.filter(pk__in=dept_ids).order_by("sort_order", "code"))
    result = WorkList(departments=departments)
    if not dept_ids:
        return result

    latest = ProgressUpdate.objects.filter(measure=OuterRef("pk")).order_by("-created_at", "-id")
    measures = Measure.objects.filter(owner_department_id__in=dept_ids, plan__municipality_id=access.municipality_id)
    ms_qs = Milestone.objects.filter(Q(owner_department_id__in=dept_ids) | Q(measure__owner_department_id__in=dept_ids),
                                     plan__municipality_id=access.municipality_id)
    if filters.national_item_id:
        through = Measure.national_items.through.objects.filter(nationalitem_id=filters.national_item_id)
        measures = measures.filter(pk__in=through.values("measure_id"))
        ms_qs = ms_qs.filter(measure_id__in=through.values("measure_id"))
    if filters.fiscal_year:
        fy = filters.fiscal_year
        measures = measures.filter(Q(start_fy__isnull=True) | Q(start_fy__lte=fy),
                                   Q(end_fy__isnull=True) | Q(end_fy__gte=fy))
        start, end = fiscal_year_bounds(fy)
        ms_qs = ms_qs.filter(due_date__gte=start, due_date__lte=end)
    if filters.milestone_status == "":
        ms_qs = ms_qs.filter(status__in=OPEN)
    elif filters.milestone_status != "all":
        ms_qs = ms_qs.filter(status=filters.milestone_status)

    measures = (annotate_measure_progress(measures, today=today)
                .annotate(next_due=Min("milestones__due_date", filter=Q(milestones__status__in=OPEN)),
                          latest_at=Subquery(latest.values("created_at")[:1]),
                          latest_author_id=Subquery(latest.values("author_id")[:1]))
                .select_related("owner_department", "plan")
                .prefetch_related("national_items", _indicator_prefetch()))
    measure_list = list(measures)
    authors = {u.pk: u for u in User.objects.filter(pk__in={m.latest_author_id for m in measure_list
                                                           if m.latest_author_id}).select_related("membership")}
    for m in measure_list:
        kpis = _kpi_rows(list(m.indicators.all()))
        health = health_of_annotated(m, kpi_behind=any(k.assessment.behind for k in kpis))
        if filters.health and health != filters.health:
            continue
        result.measures.append(MeasureRow(
            measure=m, ratio=ratio_of_annotated(m), health=health, next_due=m.next_due, last_update_at=m.latest_at,
            last_update_by=person_label(authors.get(m.latest_author_id)) if m.latest_author_id else ""))
    far = dt.date.max
    result.measures.sort(key=lambda r: (Health.ORDER.index(r.health), r.next_due or far, r.measure.code))

    rows = [MilestoneRow(milestone=ms, urgency=_milestone_urgency(ms, today)) for ms in
            ms_qs.select_related("measure", "owner_department", "updated_by__membership")]
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


def measure_detail(*, pk: int, today: dt.date) -> Measure:
    """The measure with everything its detail page shows (5 queries), or Measure.DoesNotExist."""
    return (annotate_measure_progress(Measure.objects.filter(pk=pk), today=today)
            .select_related("plan__municipality", "plan__edition", "owner_department", "pillar")
            .prefetch_related("national_items",
                              Prefetch("milestones", queryset=Milestone.objects.select_related(
                                  "owner_department", "updated_by__membership")),
                              _indicator_prefetch())
            .get())


def measure_detail_data(*, measure: Measure, user: User | AnonymousUser) -> MeasureDetail:
    access = access_for(user)
    kpis = _kpi_rows(list(measure.indicators.all()))
    health = health_of_annotated(measure, kpi_behind=any(k.assessment.behind for k in kpis))
    milestones = list(measure.milestones.all())
    return MeasureDetail(measure=measure, ratio=ratio_of_annotated(measure), health=health, kpis=kpis,
                         milestones=milestones,
                         editable_milestone_ids={ms.pk for ms in milestones if _may_change_milestone(access, ms, measure)})


def _may_change_milestone(access: Access, ms: Milestone, measure: Measure) -> bool:
    """plans.permissions.can_change for a milestone of an already-checked measure, without a query per row."""
    from plans.permissions import can_change

    ms.measure, ms.plan = measure, measure.plan
    return can_change(access.user, ms)


# --- timeline -------------------------------------------------------------------------------------

IMPORT_MARKERS = ("インポート", "取込", "import")
_IMPORT_RUN_RE = re.compile(r"#(\d+)")


def is_import_reason(reason: str | None) -> bool:
    """History change reasons written by the Excel import mention it (e.g. 「Excelインポート #12」)."""
    return bool(reason) and any(marker in reason.lower() for marker in IMPORT_MARKERS)


@dataclass
class TimelineEntry:
    at: dt.datetime
    kind: str  # progress / milestone / kpi / import / measure
    title: str
    who: str
    details: list[str] = field(default_factory=list)
    comment: str = ""
    is_internal: bool = False
    is_correction: bool = False
    url_name: str = ""
    url_pk: int | None = None

    KIND_LABELS = {"progress": gettext_lazy("進捗報告"), "milestone": gettext_lazy("マイルストーン"),
                   "kpi": gettext_lazy("指標の実績"), "import": gettext_lazy("インポート"),
                   "measure": gettext_lazy("施策")}

    @property
    def kind_label(self) -> str:
        return str(self.KIND_LABELS[self.kind])


_MILESTONE_FIELDS = (("status", gettext_lazy("状況")), ("completed_on", gettext_lazy("完了日")),
                     ("due_date", gettext_lazy("期限")), ("title", gettext_lazy("マイルストーン名")))


def _fmt(name: str, value) -> str:
    if value in (None, ""):
        return "—"
    if name == "status":
        return str(WorkStatus(value).label)
    if isinstance(value, dt.date):
        return f"{value:%Y/%m/%d}"
    return str(value)


def _milestone_history_entries(records: list) -> list[TimelineEntry]:
    """History records of milestones (oldest first) → one entry per record, with what changed."""
    entries, previous = [], {}
    for rec in records:
        before = previous.get(rec.id)
        previous[rec.id] = rec
        who = person_label(rec.history_user) if rec.history_user_id else _("システム")
        reason = rec.history_change_reason or ""
        kind = "import" if is_import_reason(reason) else "milestone"
        if rec.history_type == "+":
            entry = TimelineEntry(at=rec.history_date, kind=kind, who=who,
                                  title=_("%(code)s %(title)s を登録") % {"code": rec.code, "title": rec.title},
                                  details=[f"{_('状況')}: {_fmt('status', rec.status)}",
                                           f"{_('期限')}: {_fmt('due_date', rec.due_date)}"])
        elif rec.history_type == "-":
            entry = TimelineEntry(at=rec.history_date, kind=kind, who=who,
                                  title=_("%(code)s %(title)s を削除") % {"code": rec.code, "title": rec.title})
        else:
            changes = [f"{label}: {_fmt(name, getattr(before, name))} → {_fmt(name, getattr(rec, name))}"
                       for name, label in _MILESTONE_FIELDS if before is not None
                       and getattr(before, name) != getattr(rec, name)]
            comment_changed = before is None or before.comment != rec.comment
            if not changes and not comment_changed and not reason:
                continue  # a save that changed nothing a reader cares about
            entry = TimelineEntry(at=rec.history_date, kind=kind, who=who, details=changes,
                                  title=_("%(code)s %(title)s を更新") % {"code": rec.code, "title": rec.title},
                                  comment=rec.comment if comment_changed else "")
        if reason:
            entry.details.append(f"{_('理由')}: {reason}")
        entry.url_name, entry.url_pk = "milestones:detail", rec.id
        entries.append(entry)
    return entries


def _import_runs_named_in(reasons: list[str], plan_id: int) -> dict[int, ImportRun]:
    ids = {int(m) for r in reasons if is_import_reason(r) for m in _IMPORT_RUN_RE.findall(r)}
    if not ids:
        return {}
    return {run.pk: run for run in ImportRun.objects.filter(pk__in=ids, plan_id=plan_id)}


def _annotate_import_runs(entries: list[TimelineEntry], runs: dict[int, ImportRun]) -> None:
    for entry in entries:
        if entry.kind != "import":
            continue
        for detail in list(entry.details):
            for run_id in _IMPORT_RUN_RE.findall(detail):
                run = runs.get(int(run_id))
                if run is not None:
                    entry.details.append(f"{_('ファイル')}: {run.file_name}")


def measure_timeline(*, measure: Measure, include_internal: bool = True) -> list[TimelineEntry]:
    """Everything that touched a measure, newest first: progress reports, its milestones' history (status
    changes), KPI values and corrections, the measure's own history, imports. 5 queries at most."""
    entries: list[TimelineEntry] = []
    updates = ProgressUpdate.objects.filter(measure=measure).select_related("author__membership", "import_run")
    if not include_internal:
        updates = updates.filter(is_internal=False)
    for u in updates:
        details = [f"{_('状況')}: {u.get_status_display()}"]
        if u.percent_done is not None:
            details.append(f"{_('進捗率')}: {u.percent_done}%")
        if u.import_run_id:
            details.append(f"{_('ファイル')}: {u.import_run.file_name}")
        entries.append(TimelineEntry(at=u.created_at, kind="import" if u.import_run_id else "progress",
                                     title=_("進捗を報告"), who=person_label(u.author) if u.author_id else "",
                                     details=details, comment=u.comment, is_internal=u.is_internal))

    ms_records = list(Milestone.history.filter(measure_id=measure.pk).select_related("history_user__membership")
                      .order_by("history_date", "history_id"))
    entries += _milestone_history_entries(ms_records)

    values = (IndicatorValue.objects.filter(indicator__measure=measure)
              .select_related("indicator", "recorded_by__membership", "corrects"))
    for v in values:
        details = [f"{_('実績日')}: {v.as_of:%Y/%m/%d}", f"{_('実績値')}: {v.value.normalize():f}{v.indicator.unit}"]
        if v.corrects_id:
            details.append(f"{_('訂正前')}: {v.corrects.value.normalize():f}{v.indicator.unit}")
        if v.source:
            details.append(f"{_('出典')}: {v.source}")
        title = (_("%(name)s の実績を訂正") if v.corrects_id else _("%(name)s の実績を登録")) % {"name": v.indicator.name}
        entries.append(TimelineEntry(at=v.recorded_at, kind="kpi", title=title,
                                     who=person_label(v.recorded_by) if v.recorded_by_id else "",
                                     details=details, comment=v.note, is_correction=bool(v.corrects_id)))

    m_records = list(measure.history.select_related("history_user__membership").order_by("history_date", "history_id"))
    for rec in m_records:
        reason = rec.history_change_reason or ""
        if rec.history_type != "+" and not reason:
            continue  # routine saves of the measure itself; its meaningful changes carry a reason
        entries.append(TimelineEntry(
            at=rec.history_date, kind="import" if is_import_reason(reason) else "measure",
            title=_("施策を登録") if rec.history_type == "+" else _("施策を更新"),
            who=person_label(rec.history_user) if rec.history_user_id else _("システム"),
            details=[f"{_('理由')}: {reason}"] if reason else []))

    reasons = [r.history_change_reason for r in (*ms_records, *m_records) if r.history_change_reason]
    _annotate_import_runs(entries, _import_runs_named_in(reasons, measure.plan_id))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries


def milestone_timeline(*, milestone: Milestone) -> list[TimelineEntry]:
    """A milestone's history, newest first (2 queries at most)."""
    records = list(milestone.history.select_related("history_user__membership").order_by("history_date", "history_id"))
    entries = _milestone_history_entries(records)
    reasons = [r.history_change_reason for r in records if r.history_change_reason]
    _annotate_import_runs(entries, _import_runs_named_in(reasons, milestone.plan_id))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries

