"""Read models of the council dashboard (docs/dashboards-and-open-data.md). The numbers come from measures/progress.py, the one
definition of progress; this module only counts them in SQL and groups them, in a fixed number of queries
whatever the plan's size (pinned in tests/test_dashboard_queries.py).

Filters (all optional, all in the URL): fiscal year (measures whose period covers it, and only the milestones due
in it: every count, progress rate and health then describes that year), owner department (with the 課 and 係
under a 部), national item, health. Every count the overview shows is the length of a
drill-down list built from the same rows (`measure_rows` / `milestone_list`), so the two cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from core.fiscal import fiscal_quarter, fiscal_year, fiscal_year_bounds
from measures.models import (
    STARTED_STATUSES,
    ChangeLevel,
    Indicator,
    IndicatorValue,
    Measure,
    ProgressUpdate,
    WorkStatus,
)
from measures.progress import (
    DUE_SOON_DAYS,
    GRADE_RULE,
    NO_DISCREPANCY,
    Discrepancy,
    Health,
    ShowsProgress,
    assess_kpi,
    due_soon_q,
    group_health,
    group_ratio,
    health_of_annotated,
    measure_health,
    measure_ratio,
    measure_weight,
    milestone_urgency,
    open_q,
    overdue_q,
    ratio_of_annotated,
    self_assessment_discrepancy,
    status_label,
)
from milestones.models import Milestone
from plans.models import Department, NationalItem, Pillar, Plan

from .history import Snapshot, filter_measures, plan_snapshot
from .paging import KPI_PER_PAGE, Pager, paginate

HEALTH_KEYS = (Health.LATE, Health.WARNING, Health.NOT_STARTED, Health.ON_TRACK, Health.DONE)
MILESTONE_STATES = ("all", "done", "open", "overdue", "due_soon", "cancelled")
OVERVIEW_LIST_LIMIT = 15  # rows of the overdue / due-soon lists on the overview; the drill-down has them all
KPI_CARD_LIMIT = 12


@dataclass(frozen=True)
class Filters:
    fy: int | None = None
    department: int | None = None
    item: int | None = None  # national item number (1–11 in 第1.0版)
    health: str | None = None
    pillar: int | None = None  # 0: measures without a pillar
    measure: int | None = None
    level: str | None = None  # Measure.change_level: デジタル化 / 業務改革 / 変革
    rollup: bool = False  # the department table sums 課 and 係 into their 部 (a view option, not a filter)
    group: str | None = None  # 工程表 grouping: "item", "dept" or "pillar" (a view option)

    @property
    def due_between(self) -> tuple[dt.date, dt.date] | None:
        """The fiscal year's first and last day when a year is chosen: only milestones due in it count."""
        return fiscal_year_bounds(self.fy) if self.fy else None

    @property
    def narrowed(self) -> bool:
        return any(
            v is not None
            for v in (self.fy, self.department, self.item, self.health, self.pillar, self.measure, self.level)
        )

    def as_query(self, **extra) -> dict[str, str]:
        """The filter as URL parameters (for links that keep the current filter)."""
        q = {
            "fy": self.fy,
            "dept": self.department,
            "item": self.item,
            "health": self.health,
            "pillar": self.pillar,
            "measure": self.measure,
            "rollup": 1 if self.rollup else None,
            "group": self.group,
            "level": self.level,
        }
        q.update(extra)
        return {k: str(v) for k, v in q.items() if v not in (None, "")}


@dataclass
class MeasureRow(ShowsProgress):
    id: int
    code: str
    title: str
    department_id: int
    department: str
    pillar_id: int | None
    item_numbers: list[int]
    ms_total: int
    ms_done: int
    ms_overdue: int
    ratio: float
    weight: int
    health: str
    latest_percent: int | None
    kpi_behind: bool = False
    ms_due_soon: int = 0
    start_fy: int | None = None
    end_fy: int | None = None
    pillar: str = ""
    latest_status: str | None = None
    # None: worked out on first use (its wording costs translations, and only the measures list shows it)
    _discrepancy: Discrepancy | None = NO_DISCREPANCY

    @property
    def latest_status_label(self) -> str:
        return status_label(self.latest_status)

    @property
    def discrepancy(self) -> Discrepancy:
        if self._discrepancy is None:
            self._discrepancy = self_assessment_discrepancy(
                total=self.ms_total,
                done=self.ms_done,
                overdue=self.ms_overdue,
                latest_status=self.latest_status,
                latest_percent=self.latest_percent,
            )
        return self._discrepancy


@dataclass
class GroupRow(ShowsProgress):
    key: int | None
    label: str
    number: int | None = None  # national item number
    group: str = ""
    measures: int = 0
    ratio: float | None = None
    health: str | None = None
    ms_total: int = 0
    ms_done: int = 0
    ms_overdue: int = 0
    ms_due_soon: int = 0
    by_health: dict[str, int] = field(default_factory=dict)
    short: str = ""  # national items: the short name (略称)
    level: str = ""  # departments: bu / ka / kakari
    depth: int = 0  # departments: 0 for a 部, 1 for its 課, …
    subtotal: bool = False  # departments: the row includes the departments under it

    @property
    def health_counts(self) -> list[tuple[str, str, int]]:
        return [(h, Health.label(h), self.by_health.get(h, 0)) for h in HEALTH_KEYS]


@dataclass
class KpiCard:
    id: int
    name: str
    unit: str
    measure_id: int
    measure_code: str
    direction: str
    baseline: Decimal | None
    target: Decimal | None
    target_fy: int | None
    series: list[tuple[dt.date, Decimal]]
    latest: Decimal | None
    grade: str | None
    achievement: float | None
    behind: bool
    corrected: frozenset = frozenset()  # as-of dates whose current value corrects an earlier one
    baseline_date: dt.date | None = None

    @property
    def achievement_percent(self) -> int | None:
        return None if self.achievement is None else round(self.achievement * 100)


@dataclass
class Overview:
    plan: Plan
    today: dt.date
    filters: Filters
    items: list[GroupRow]
    departments: list[GroupRow]
    pillars: list[GroupRow]
    total: GroupRow
    overdue: list[Milestone]
    overdue_count: int
    due_soon: list[Milestone]
    due_soon_count: int
    kpis: list[KpiCard]
    kpi_count: int
    grade_counts: list[tuple[str, int]]
    grade_rule: str
    fiscal_years: list[int]
    department_choices: list[tuple[int, str]]
    item_choices: list[tuple[int, str]]


# --- measures -----------------------------------------------------------------------------------


def _measure_queryset(*, plan: Plan, filters: Filters) -> QuerySet:
    qs = Measure.objects.filter(plan=plan)
    if filters.fy:
        qs = qs.filter(
            Q(start_fy__isnull=True) | Q(start_fy__lte=filters.fy), Q(end_fy__isnull=True) | Q(end_fy__gte=filters.fy)
        )
    if filters.department:  # the department and everything under it (部 → 課 → 係)
        d = filters.department
        qs = qs.filter(
            Q(owner_department_id=d)
            | Q(owner_department__parent_id=d)
            | Q(owner_department__parent__parent_id=d)
            | Q(owner_department__parent__parent__parent_id=d)
        )
    if filters.item:
        qs = qs.filter(national_items__edition_id=plan.edition_id, national_items__number=filters.item)
    if filters.pillar is not None:
        qs = qs.filter(pillar_id=filters.pillar) if filters.pillar else qs.filter(pillar__isnull=True)
    if filters.measure:
        qs = qs.filter(pk=filters.measure)
    if filters.level:
        qs = qs.filter(change_level=filters.level)
    return qs


class KpiGrade(NamedTuple):
    """What the counts need of a KPI: its grade and whether it is behind (no chart, no series)."""

    id: int
    measure_id: int
    grade: str | None
    achievement: float | None
    behind: bool


@dataclass
class KpiData:
    """The plan's indicators as plain tuples (display order) and their current values (2 queries): enough to
    grade every KPI and to build the cards of the few shown."""

    indicators: list[tuple]  # (id, name, unit, measure_id, measure code, direction, baseline, baseline date,
    #                            target, target fy)
    series: dict[int, list[tuple[dt.date, Decimal]]]
    corrected: dict[int, set[dt.date]]
    grades: list[KpiGrade] = field(default_factory=list)

    def cards(self, ids) -> list[KpiCard]:
        wanted = set(ids)
        by_id = {row[0]: row for row in self.indicators if row[0] in wanted}
        return [self.card(by_id[i]) for i in ids if i in by_id]

    def card(self, row: tuple) -> KpiCard:
        ind_id, name, unit, measure_id, measure_code, direction, baseline, baseline_date, target, target_fy = row
        return _kpi_card(
            id=ind_id,
            name=name,
            unit=unit,
            measure_id=measure_id,
            measure_code=measure_code,
            direction=direction,
            baseline=baseline,
            baseline_date=baseline_date,
            target=target,
            target_fy=target_fy,
            points=self.series.get(ind_id, []),
            corrected=frozenset(self.corrected.get(ind_id, ())),
        )


def _kpi_card(
    *,
    id: int,
    name: str,
    unit: str,
    measure_id: int,
    measure_code: str,
    direction: str,
    baseline: Decimal | None,
    baseline_date: dt.date | None,
    target: Decimal | None,
    target_fy: int | None,
    points: list[tuple[dt.date, Decimal]],
    corrected: frozenset = frozenset(),
) -> KpiCard:
    """One KPI card: the indicator, its series, and its assessment (measures.progress.assess_kpi)."""
    latest_date, latest = points[-1] if points else (None, None)
    a = assess_kpi(
        baseline=baseline,
        baseline_date=baseline_date,
        target=target,
        target_fy=target_fy,
        direction=direction,
        actual=latest,
        actual_date=latest_date,
    )
    return KpiCard(
        id=id,
        name=name,
        unit=unit,
        measure_id=measure_id,
        measure_code=measure_code,
        direction=direction,
        baseline=baseline,
        target=target,
        target_fy=target_fy,
        series=points,
        latest=latest,
        grade=a.grade,
        achievement=a.achievement,
        behind=a.behind,
        corrected=corrected,
        baseline_date=baseline_date,
    )


def _kpi_data(*, plan: Plan) -> KpiData:
    """Every indicator of the plan graded, from tuples (2 queries: indicators, current values)."""
    indicators = list(
        Indicator.objects.filter(plan=plan)
        .order_by("measure__sort_order", "measure__code", "sort_order", "code")
        .values_list(
            "id",
            "name",
            "unit",
            "measure_id",
            "measure__code",
            "direction",
            "baseline_value",
            "baseline_date",
            "target_value",
            "target_fy",
        )
    )
    series: dict[int, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    corrected: dict[int, set[dt.date]] = defaultdict(set)
    for ind_id, as_of, value, corrects in (
        IndicatorValue.objects.filter(indicator__plan=plan, is_current=True)
        .order_by("indicator_id", "as_of")
        .values_list("indicator_id", "as_of", "value", "corrects_id")
    ):
        series[ind_id].append((as_of, value))
        if corrects is not None:
            corrected[ind_id].add(as_of)
    grades = []
    for ind_id, _n, _u, measure_id, _c, direction, baseline, baseline_date, target, target_fy in indicators:
        points = series.get(ind_id)
        latest_date, latest = points[-1] if points else (None, None)
        a = assess_kpi(
            baseline=baseline,
            baseline_date=baseline_date,
            target=target,
            target_fy=target_fy,
            direction=direction,
            actual=latest,
            actual_date=latest_date,
        )
        grades.append(KpiGrade(ind_id, measure_id, a.grade, a.achievement, a.behind))
    return KpiData(indicators=indicators, series=series, corrected=corrected, grades=grades)


def _kpis(*, plan: Plan, measure_ids: set[int] | None) -> list[KpiCard]:
    """KPI cards for the plan's indicators (2 queries: indicators, current values)."""
    data = _kpi_data(plan=plan)
    return [data.card(row) for row in data.indicators if measure_ids is None or row[3] in measure_ids]


def kpi_cards(
    *, plan: Plan, filters: Filters, today: dt.date, grade: str | None = None, as_of: dt.date | None = None
) -> list[KpiCard]:
    """The KPIs of the measures that pass the filters (drill-down of the grade counts); as_of: as they stood
    at the end of that day."""
    snapshot = plan_snapshot(plan=plan, day=as_of) if as_of else None
    cards = _past_kpis(snapshot) if snapshot else _kpis(plan=plan, measure_ids=None)
    ids = {r.id for r in measure_rows(plan=plan, filters=filters, today=today, kpis=cards, snapshot=snapshot)}
    cards = [k for k in cards if k.measure_id in ids]
    if grade:
        cards = [k for k in cards if (k.grade or "-") == grade]
    return cards


def kpi_card_page(
    *,
    plan: Plan,
    filters: Filters,
    today: dt.date,
    grade: str | None = None,
    as_of: dt.date | None = None,
    page: int = 1,
    per_page: int = KPI_PER_PAGE,
) -> tuple[list[KpiCard], Pager]:
    """One page of kpi_cards: every KPI is graded (from tuples), cards are built only for the page
    (4 queries, the same for 10 or 10,000 KPIs)."""
    if as_of is not None:
        cards = kpi_cards(plan=plan, filters=filters, today=today, grade=grade, as_of=as_of)
        pager = paginate(len(cards), page, per_page)
        return pager.window(cards), pager
    data = _kpi_data(plan=plan)
    ids = {r.id for r in measure_rows(plan=plan, filters=filters, today=today, kpis=data.grades)}
    chosen = [g.id for g in data.grades if g.measure_id in ids and (not grade or (g.grade or "-") == grade)]
    pager = paginate(len(chosen), page, per_page)
    return data.cards(pager.window(chosen)), pager


class _Annotated(NamedTuple):
    """A measure with what annotate_measure_progress would add (read by health_of_annotated and friends)."""

    id: int
    code: str
    title: str
    owner_department_id: int
    owner_department__name: str
    pillar_id: int | None
    start_fy: int | None
    end_fy: int | None
    latest_percent: int | None
    latest_status: str | None
    ms_total: int
    ms_done: int
    ms_started: int
    ms_overdue: int
    ms_due_soon: int
    ms_due_soon_idle: int


_NO_MILESTONES = (0, 0, 0, 0, 0, 0)


def _milestone_counts(*, plan: Plan, filters: Filters, today: dt.date) -> dict[int, tuple[int, ...]]:
    """Per measure of the plan: (total, done, started, overdue, due soon, due soon and not started) — the
    counts of measures.progress.annotate_measure_progress, in one GROUP BY over the plan's milestones (only
    those due in the filter's fiscal year when one is chosen)."""
    soon = today + dt.timedelta(days=DUE_SOON_DAYS)
    qs = Milestone.objects.filter(plan=plan)
    if filters.due_between:
        qs = qs.filter(due_date__gte=filters.due_between[0], due_date__lte=filters.due_between[1])
    rows = (
        qs.order_by()
        .values("measure_id")
        .annotate(
            t=Count("id", filter=~Q(status=WorkStatus.CANCELLED)),
            d=Count("id", filter=Q(status=WorkStatus.DONE)),
            s=Count("id", filter=Q(status__in=STARTED_STATUSES)),
            o=Count("id", filter=overdue_q(today)),
            ds=Count("id", filter=due_soon_q(today)),
            idle=Count("id", filter=Q(status=WorkStatus.NOT_STARTED, due_date__gte=today, due_date__lte=soon)),
        )
        .values_list("measure_id", "t", "d", "s", "o", "ds", "idle")
    )
    return {row[0]: row[1:] for row in rows}


def measure_rows(
    *,
    plan: Plan,
    filters: Filters,
    today: dt.date,
    kpis: list[KpiCard] | list[KpiGrade] | None = None,
    as_of: dt.date | None = None,
    snapshot: Snapshot | None = None,
) -> list[MeasureRow]:
    """Every measure of the plan that passes the filters, with its progress and health (4–5 queries).
    as_of (or a snapshot of it): as the plan stood at the end of that day (dashboard/history.py)."""
    if as_of is not None and snapshot is None:
        snapshot = plan_snapshot(plan=plan, day=as_of)
    if snapshot is not None:
        return _past_measure_rows(snapshot, filters=filters, kpis=kpis)
    # Plain tuples, not model instances. The milestone counts come from one GROUP BY over the plan's own
    # milestones (its plan_id index), not from a join of the measures with the milestones table: at national
    # scale (1.7 M milestones) the planner hash-joined the whole table for one plan's 1,000 milestones.
    latest = ProgressUpdate.objects.filter(measure=OuterRef("pk")).order_by("-created_at", "-id")
    counts = _milestone_counts(plan=plan, filters=filters, today=today)
    measures = [
        _Annotated(*m, *counts.get(m[0], _NO_MILESTONES))
        for m in _measure_queryset(plan=plan, filters=filters)
        .annotate(
            latest_percent=Subquery(latest.values("percent_done")[:1], output_field=IntegerField()),
            latest_status=Subquery(latest.values("status")[:1]),
        )
        .order_by("sort_order", "code")
        .values_list(
            "id",
            "code",
            "title",
            "owner_department_id",
            "owner_department__name",
            "pillar_id",
            "start_fy",
            "end_fy",
            "latest_percent",
            "latest_status",
        )
    ]
    ids = {m.id for m in measures}
    items: dict[int, list[int]] = defaultdict(list)
    for measure_id, number in (
        Measure.national_items.through.objects.filter(measure__plan=plan, nationalitem__edition_id=plan.edition_id)
        .order_by("nationalitem__number")
        .values_list("measure_id", "nationalitem__number")
    ):
        if measure_id in ids:
            items[measure_id].append(number)
    if kpis is None:
        kpis = _kpi_data(plan=plan).grades
    behind = {k.measure_id for k in kpis if k.behind}
    rows = []
    for m in measures:
        health = health_of_annotated(m, kpi_behind=m.id in behind)
        if filters.health and health != filters.health:
            continue
        rows.append(
            MeasureRow(
                id=m.id,
                code=m.code,
                title=m.title,
                department_id=m.owner_department_id,
                department=m.owner_department__name,
                pillar_id=m.pillar_id,
                item_numbers=items.get(m.id, []),
                ms_total=m.ms_total,
                ms_done=m.ms_done,
                ms_overdue=m.ms_overdue,
                ratio=ratio_of_annotated(m),
                weight=measure_weight(m.ms_total),
                health=health,
                latest_percent=m.latest_percent,
                kpi_behind=m.id in behind,
                latest_status=m.latest_status,
                _discrepancy=None,
                ms_due_soon=m.ms_due_soon,
                start_fy=m.start_fy,
                end_fy=m.end_fy,
            )
        )
    return rows


def _group(rows: list[MeasureRow], row: GroupRow) -> GroupRow:
    row.measures = len(rows)
    row.ratio = group_ratio((r.ratio, r.weight) for r in rows)
    row.health = group_health(r.health for r in rows)
    row.ms_total = sum(r.ms_total for r in rows)
    row.ms_done = sum(r.ms_done for r in rows)
    row.ms_overdue = sum(r.ms_overdue for r in rows)
    row.ms_due_soon = sum(r.ms_due_soon for r in rows)
    row.by_health = dict(Counter(r.health for r in rows))
    return row


# --- milestones ---------------------------------------------------------------------------------


def _milestone_queryset(
    *, plan: Plan, filters: Filters, measure_ids: list[int] | None, state: str, today: dt.date
) -> QuerySet:
    qs = Milestone.objects.filter(plan=plan)
    if measure_ids is not None:
        qs = qs.filter(measure_id__in=measure_ids)
    if filters.due_between:
        qs = qs.filter(due_date__gte=filters.due_between[0], due_date__lte=filters.due_between[1])
    state_q = {
        "all": ~Q(status=WorkStatus.CANCELLED),
        "done": Q(status=WorkStatus.DONE),
        "open": open_q(),
        "overdue": overdue_q(today),
        "due_soon": due_soon_q(today),
        "cancelled": Q(status=WorkStatus.CANCELLED),
    }[state]
    return qs.filter(state_q)


def _measure_ids_or_none(*, plan: Plan, filters: Filters, today: dt.date) -> list[int] | None:
    """None when no filter narrows the measures (then no IN list is needed)."""
    if not filters.narrowed:
        return None
    return [r.id for r in measure_rows(plan=plan, filters=filters, today=today)]


def milestone_list(
    *,
    plan: Plan,
    filters: Filters,
    state: str,
    today: dt.date,
    measure_ids: list[int] | None = None,
    limit: int | None = None,
    as_of: dt.date | None = None,
    snapshot: Snapshot | None = None,
) -> QuerySet | list:
    """The milestones a number counts (drill-down), most urgent first, with who owns them. as_of: a list of
    the milestones as they stood at the end of that day."""
    if as_of is not None and snapshot is None:
        snapshot = plan_snapshot(plan=plan, day=as_of)
    if snapshot is not None:
        if measure_ids is None and filters.narrowed:
            measure_ids = [r.id for r in _past_measure_rows(snapshot, filters=filters, kpis=None)]
        rows = _past_milestones(snapshot, state=state, measure_ids=measure_ids)
        return rows[:limit] if limit else rows
    if measure_ids is None:
        measure_ids = _measure_ids_or_none(plan=plan, filters=filters, today=today)
    latest_public = (
        ProgressUpdate.objects.filter(measure=OuterRef("measure_id"), is_internal=False)
        .exclude(comment="")
        .order_by("-created_at", "-id")
    )
    qs = (
        _milestone_queryset(plan=plan, filters=filters, measure_ids=measure_ids, state=state, today=today)
        .select_related("measure", "owner_department")
        .annotate(
            latest_report=Subquery(latest_public.values("comment")[:1]),
            latest_report_at=Subquery(latest_public.values("created_at")[:1]),
        )
        .order_by("due_date", "code")
    )
    return qs[:limit] if limit else qs


# --- overview -----------------------------------------------------------------------------------


def plan_overview(*, plan: Plan, filters: Filters, today: dt.date, as_of: dt.date | None = None) -> Overview:
    """Everything the overview shows (about 12 queries, the same for 10 or 10,000 measures). as_of: the plan
    as it stood at the end of that day (`today` should then be that day)."""
    measure_ids_all = None
    snapshot = plan_snapshot(plan=plan, day=as_of) if as_of else None  # 8 queries
    # Every KPI is graded (the counts per grade, and "behind" feeds each measure's health), from tuples; cards
    # with their series are built only for the KPI_CARD_LIMIT shown.
    kpi_data = None if snapshot else _kpi_data(plan=plan)  # 2 queries
    kpis_all = _past_kpis(snapshot) if snapshot else kpi_data.grades
    rows = measure_rows(plan=plan, filters=filters, today=today, kpis=kpis_all, snapshot=snapshot)  # 2 queries
    measure_ids_all = [r.id for r in rows] if filters.narrowed else None
    shown_ids = {r.id for r in rows}
    kpis = [k for k in kpis_all if k.measure_id in shown_ids]

    national = list(NationalItem.objects.filter(edition_id=plan.edition_id).order_by("number"))  # 1
    departments = list(
        Department.objects.filter(municipality_id=plan.municipality_id)
        .order_by("sort_order", "code")
        .only("id", "name", "code", "sort_order", "parent_id", "level")
    )  # 1
    pillars = list(Pillar.objects.filter(plan=plan).order_by("sort_order", "code"))  # 1

    by_item: dict[int, list[MeasureRow]] = defaultdict(list)
    by_dept: dict[int, list[MeasureRow]] = defaultdict(list)
    by_pillar: dict[int | None, list[MeasureRow]] = defaultdict(list)
    for r in rows:
        for n in r.item_numbers:
            by_item[n].append(r)
        by_dept[r.department_id].append(r)
        by_pillar[r.pillar_id].append(r)

    items = [
        _group(
            by_item.get(i.number, []),
            GroupRow(key=i.number, number=i.number, label=i.name, group=i.group, short=i.short_name),
        )
        for i in national
        if not filters.item or i.number == filters.item
    ]
    # A department's row counts its own measures and those of the 課 and 係 under it (as the department filter
    # does, so each row's drill-down lists what it counts); rolled up, only the top level (部) is shown.
    parent = {d.id: d.parent_id for d in departments}
    subtree: dict[int, list[MeasureRow]] = defaultdict(list)
    for dept_id, own in by_dept.items():
        node, seen = dept_id, set()
        while node is not None and node not in seen:
            seen.add(node)
            subtree[node].extend(own)
            node = parent.get(node)
    dept_rows = [
        _group(subtree[d.id], GroupRow(key=d.id, label=d.name, level=d.level, depth=depth, subtotal=has_children))
        for d, depth, has_children in _department_tree(departments)
        if d.id in subtree and not (filters.rollup and depth)
    ]
    pillar_rows = [_group(by_pillar[p.id], GroupRow(key=p.id, label=p.name)) for p in pillars if p.id in by_pillar]
    if by_pillar.get(None):
        pillar_rows.append(_group(by_pillar[None], GroupRow(key=0, label=str(_no_pillar_label()))))

    if snapshot is not None:
        ids = measure_ids_all if measure_ids_all is not None else list(snapshot.measures)
        counts = {
            "overdue": len(_past_milestones(snapshot, state="overdue", measure_ids=ids)),
            "due_soon": len(_past_milestones(snapshot, state="due_soon", measure_ids=ids)),
        }
    else:
        base = Milestone.objects.filter(plan=plan)
        if measure_ids_all is not None:
            base = base.filter(measure_id__in=measure_ids_all)
        if filters.due_between:
            base = base.filter(due_date__gte=filters.due_between[0], due_date__lte=filters.due_between[1])
        counts = base.aggregate(  # 1
            overdue=Count("id", filter=overdue_q(today)),
            due_soon=Count("id", filter=due_soon_q(today)),
        )
    overdue = list(
        milestone_list(
            plan=plan,
            filters=filters,
            state="overdue",
            today=today,  # 1
            measure_ids=measure_ids_all,
            limit=OVERVIEW_LIST_LIMIT,
            snapshot=snapshot,
        )
    )
    due_soon = list(
        milestone_list(
            plan=plan,
            filters=filters,
            state="due_soon",
            today=today,  # 1
            measure_ids=measure_ids_all,
            limit=OVERVIEW_LIST_LIMIT,
            snapshot=snapshot,
        )
    )

    grades = Counter(k.grade or "-" for k in kpis)
    # The cards: the KPIs furthest behind first (D before A, then lowest achievement).
    order = {"D": 0, "C": 1, "B": 2, "A": 3, None: 4}
    shown = sorted(kpis, key=lambda k: (order[k.grade], k.achievement if k.achievement is not None else 9))
    shown = shown[:KPI_CARD_LIMIT]
    cards = shown if kpi_data is None else kpi_data.cards([k.id for k in shown])

    fys = fiscal_years_of(plan=plan)
    return Overview(
        plan=plan,
        today=today,
        filters=filters,
        items=items,
        departments=dept_rows,
        pillars=pillar_rows,
        total=_group(rows, GroupRow(key=None, label=str(_total_label()))),
        overdue=overdue,
        overdue_count=counts["overdue"],
        due_soon=due_soon,
        due_soon_count=counts["due_soon"],
        kpis=cards,
        kpi_count=len(kpis),
        grade_counts=[(g, grades.get(g, 0)) for g in ("A", "B", "C", "D", "-")],
        grade_rule=str(GRADE_RULE),
        fiscal_years=fys,
        department_choices=_department_choices(departments),
        item_choices=[(i.number, f"{i.number}. {i.short_name or i.name}") for i in national],
    )


def filter_choices(*, plan: Plan) -> dict:
    """The choices of the filter form (2 queries)."""
    departments = list(
        Department.objects.filter(municipality_id=plan.municipality_id)
        .order_by("sort_order", "code")
        .only("id", "name", "parent_id", "level")
    )
    items = NationalItem.objects.filter(edition_id=plan.edition_id).order_by("number")
    return {
        "fiscal_years": fiscal_years_of(plan=plan),
        "department_choices": _department_choices(departments),
        "item_choices": [(i.number, f"{i.number}. {i.short_name or i.name}") for i in items],
        "level_choices": list(ChangeLevel.choices),
    }


def _department_tree(departments: list[Department]) -> list[tuple[Department, int, bool]]:
    """(department, depth, has children) in display order: each 部 followed by its 課 and their 係."""
    children: dict[int | None, list[Department]] = defaultdict(list)
    ids = {d.id for d in departments}
    for d in departments:
        children[d.parent_id if d.parent_id in ids else None].append(d)
    out: list[tuple[Department, int, bool]] = []
    seen: set[int] = set()

    def walk(parent: int | None, depth: int) -> None:
        for d in children.get(parent, []):
            if d.id in seen:
                continue
            seen.add(d.id)
            out.append((d, depth, bool(children.get(d.id))))
            walk(d.id, depth + 1)

    walk(None, 0)
    return out


def _department_choices(departments: list[Department]) -> list[tuple[int, str]]:
    """The filter's choices: the tree, indented; a department with others under it says it includes them."""
    return [
        (d.id, "\u3000" * depth + d.name + (str(_("（配下を含む）")) if has_children else ""))
        for d, depth, has_children in _department_tree(departments)
    ]


def fiscal_years_of(*, plan: Plan) -> list[int]:
    return list(range(plan.start_fy, plan.end_fy + 1))


def _no_pillar_label():
    return _("（柱の指定なし）")


def _total_label():
    return _("計画全体")


# --- timeline (工程表) --------------------------------------------------------------------------


@dataclass
class TimelineMeasure:
    id: int
    code: str
    title: str
    department: str
    health: str
    milestones: list[dict]
    cells: list[list[dict]] = field(default_factory=list)  # milestones per (fiscal year, quarter) column
    start_fy: int | None = None
    end_fy: int | None = None

    @property
    def health_label(self) -> str:
        return Health.label(self.health)


@dataclass
class Timeline:
    plan: Plan
    today: dt.date
    columns: list[tuple[int, int]]  # (fiscal year, quarter)
    today_column: int | None
    measures: list[TimelineMeasure]
    milestone_count: int
    groups: list[tuple[str, list[TimelineMeasure]]] = field(default_factory=list)  # when grouped
    fiscal_years: list[int] = field(default_factory=list)  # the plan's years (the pages of the chart)
    pager: Pager | None = None  # the page of measures shown (None: every measure)


TIMELINE_GROUPS = ("item", "dept", "pillar")


def plan_timeline(
    *,
    plan: Plan,
    filters: Filters,
    today: dt.date,
    as_of: dt.date | None = None,
    page: int | None = None,
    per_page: int = 100,
) -> Timeline:
    """Milestones by fiscal year and quarter, grouped by measure (fixed queries: measure rows + 1). as_of: the
    工程表 as it stood at the end of that day. page: only that page of measures (per_page) and their milestones;
    None: all (the export)."""
    snapshot = plan_snapshot(plan=plan, day=as_of) if as_of else None
    rows = measure_rows(plan=plan, filters=filters, today=today, snapshot=snapshot)
    pager = None
    all_ids = {r.id for r in rows}
    if page is not None:
        pager = paginate(len(rows), page, per_page)
        total_milestones = sum(r.ms_total for r in rows)  # the year's (or plan's) milestones, every page
        rows = pager.window(rows)
    fys = [filters.fy] if filters.fy else fiscal_years_of(plan=plan)
    columns = [(fy, q) for fy in fys for q in (1, 2, 3, 4)]
    index = {c: i for i, c in enumerate(columns)}
    if snapshot is not None:
        ids = {r.id for r in rows}
        start, end = fiscal_year_bounds(filters.fy) if filters.fy else (dt.date.min, dt.date.max)
        values = [
            {
                "id": m.pk,
                "measure_id": m.measure_id,
                "code": m.code,
                "title": m.title,
                "due_date": m.due_date,
                "status": m.status,
                "kind": getattr(m, "kind", ""),
                "baseline_due_date": getattr(m, "baseline_due_date", None),
            }
            for m in sorted(snapshot.milestones.values(), key=lambda m: (m.due_date, m.code))
            if m.status != WorkStatus.CANCELLED and m.measure_id in all_ids and start <= m.due_date <= end
        ]
        if pager is not None:  # the past rows count every year's milestones: count the year's here
            total_milestones = len(values)
            values = [v for v in values if v["measure_id"] in ids]
    else:
        ms = Milestone.objects.filter(plan=plan).exclude(status=WorkStatus.CANCELLED)
        if filters.fy:
            start, end = fiscal_year_bounds(filters.fy)
            ms = ms.filter(due_date__gte=start, due_date__lte=end)
        if filters.narrowed or pager is not None:
            ms = ms.filter(measure_id__in=[r.id for r in rows])
        values = ms.order_by("due_date", "code").values(
            "id", "measure_id", "code", "title", "due_date", "status", "kind", "baseline_due_date"
        )
    by_measure: dict[int, list[dict]] = defaultdict(list)
    count = 0
    kinds = dict(Milestone.Kind.choices)
    for m in values:
        col = index.get((fiscal_year(m["due_date"]), fiscal_quarter(m["due_date"])))
        m["column"] = col
        m["overdue"] = milestone_urgency(m["status"], m["due_date"], today) == "overdue"
        m["status_label"] = str(WorkStatus(m["status"]).label)
        m["kind_label"] = str(kinds.get(m["kind"], ""))
        if m.get("baseline_due_date") == m["due_date"]:
            m["baseline_due_date"] = None  # not moved: the chart draws the 当初期限 only beside a moved date
        by_measure[m["measure_id"]].append(m)
        count += 1
    measures = []
    for r in rows:
        mine = by_measure.get(r.id, [])
        cells: list[list[dict]] = [[] for _ in columns]
        for m in mine:
            if m["column"] is not None:
                cells[m["column"]].append(m)
        measures.append(
            TimelineMeasure(
                id=r.id,
                code=r.code,
                title=r.title,
                department=r.department,
                health=r.health,
                milestones=mine,
                cells=cells,
                start_fy=r.start_fy,
                end_fy=r.end_fy,
            )
        )
    groups: list[tuple[str, list[TimelineMeasure]]] = []
    if filters.group in TIMELINE_GROUPS:
        groups = _timeline_groups(plan=plan, group=filters.group, rows=rows, measures=measures)  # 0–1 query
    return Timeline(
        plan=plan,
        today=today,
        columns=columns,
        today_column=index.get((fiscal_year(today), fiscal_quarter(today))),
        measures=measures,
        milestone_count=count if pager is None else total_milestones,
        groups=groups,
        fiscal_years=fiscal_years_of(plan=plan),
        pager=pager,
    )


def _timeline_groups(
    *, plan: Plan, group: str, rows: list[MeasureRow], measures: list[TimelineMeasure]
) -> list[tuple[str, list[TimelineMeasure]]]:
    """The 工程表's rows by national item (a measure under each of its items; empty items listed too, an empty
    item is a finding), by owner department, or by pillar."""
    by_id = {m.id: m for m in measures}
    if group == "item":
        out = []
        for item in NationalItem.objects.filter(edition_id=plan.edition_id).order_by("number"):
            out.append((f"{item.number}. {item.name}", [by_id[r.id] for r in rows if item.number in r.item_numbers]))
        return out
    if group == "dept":
        names: dict[int, str] = {}
        members: dict[int, list[TimelineMeasure]] = defaultdict(list)
        for r in rows:
            names.setdefault(r.department_id, r.department)
            members[r.department_id].append(by_id[r.id])
        return [(names[k], v) for k, v in sorted(members.items(), key=lambda kv: names[kv[0]])]
    pillars = {p.id: p.name for p in Pillar.objects.filter(plan=plan).order_by("sort_order", "code")}
    members = defaultdict(list)
    for r in rows:
        members[r.pillar_id].append(by_id[r.id])
    out = [(name, members[pid]) for pid, name in pillars.items() if members.get(pid)]
    if members.get(None):
        out.append((str(_no_pillar_label()), members[None]))
    return out


# --- the plan as of a past day (dashboard/history.py rebuilds it; the rules are the same) ----------------


def _past_kpis(snapshot: Snapshot) -> list[KpiCard]:
    measures = snapshot.measures
    indicators = sorted(
        snapshot.indicators,
        key=lambda i: (measures[i.measure_id].sort_order, measures[i.measure_id].code, i.sort_order, i.code),
    )
    return [
        _kpi_card(
            id=ind.id,
            name=ind.name,
            unit=ind.unit,
            measure_id=ind.measure_id,
            measure_code=measures[ind.measure_id].code,
            direction=ind.direction,
            baseline=ind.baseline_value,
            baseline_date=ind.baseline_date,
            target=ind.target_value,
            target_fy=ind.target_fy,
            points=[(d, v) for d, v, _pk in snapshot.values.get(ind.id, [])],
        )
        for ind in indicators
    ]


def _past_measure_rows(snapshot: Snapshot, *, filters: Filters, kpis: list[KpiCard] | None) -> list[MeasureRow]:
    today = snapshot.day
    measures = filter_measures(
        snapshot,
        fy=filters.fy,
        department=filters.department,
        item_number=filters.item,
        pillar=filters.pillar,
        measure=filters.measure,
    )
    by_measure: dict[int, list] = defaultdict(list)
    for ms in snapshot.milestones.values():
        by_measure[ms.measure_id].append(ms)
    if kpis is None:
        kpis = _past_kpis(snapshot)
    behind = {k.measure_id for k in kpis if k.behind}
    rows = []
    for m in measures:
        mine = [x for x in by_measure.get(m.pk, []) if x.status != WorkStatus.CANCELLED]
        total = len(mine)
        done = sum(1 for x in mine if x.status == WorkStatus.DONE)
        started = sum(1 for x in mine if x.status in STARTED_STATUSES)
        urgency = [milestone_urgency(x.status, x.due_date, today) for x in mine]
        overdue = urgency.count("overdue")
        idle = sum(1 for x, u in zip(mine, urgency, strict=True) if u == "soon" and x.status == WorkStatus.NOT_STARTED)
        status, percent = snapshot.latest_report.get(m.pk, (None, None))
        health = measure_health(
            total=total,
            done=done,
            started=started,
            overdue=overdue,
            due_soon_idle=idle,
            latest_percent=percent,
            latest_status=status,
            kpi_behind=m.pk in behind,
        )
        if filters.health and health != filters.health:
            continue
        dept = snapshot.departments.get(m.owner_department_id)
        rows.append(
            MeasureRow(
                id=m.pk,
                code=m.code,
                title=m.title,
                department_id=m.owner_department_id,
                department=dept.name if dept else "",
                pillar_id=m.pillar_id,
                item_numbers=sorted(snapshot.item_numbers[i] for i in m.item_ids if i in snapshot.item_numbers),
                ms_total=total,
                ms_done=done,
                ms_overdue=overdue,
                ratio=measure_ratio(total=total, done=done, latest_percent=percent),
                weight=measure_weight(total),
                health=health,
                latest_percent=percent,
                kpi_behind=m.pk in behind,
            )
        )
    return rows


def _past_milestones(snapshot: Snapshot, *, state: str, measure_ids: list[int] | None) -> list:
    today = snapshot.day
    keep = {
        "all": lambda m: m.status != WorkStatus.CANCELLED,
        "done": lambda m: m.status == WorkStatus.DONE,
        "open": lambda m: milestone_urgency(m.status, m.due_date, today) != "closed",
        "overdue": lambda m: milestone_urgency(m.status, m.due_date, today) == "overdue",
        "due_soon": lambda m: milestone_urgency(m.status, m.due_date, today) == "soon",
        "cancelled": lambda m: m.status == WorkStatus.CANCELLED,
    }[state]
    ids = None if measure_ids is None else set(measure_ids)
    return sorted(
        (m for m in snapshot.milestones.values() if keep(m) and (ids is None or m.measure_id in ids)),
        key=lambda m: (m.due_date, m.code),
    )
