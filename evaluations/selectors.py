"""Reads of the annual evaluation: a round's progress per department, 費用対価値 per measure / national item /
pillar, and the 進捗状況報告書. Each function runs a fixed number of queries, whatever the number of measures."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, Count, Prefetch, Q, Sum, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from measures.models import Indicator, IndicatorValue, Measure
from measures.progress import kpi_achievement, kpi_grade
from plans.models import Department, Plan

from .models import EvaluationIndicator, EvaluationRound, MeasureEvaluation

State = MeasureEvaluation.State

VALUE_RULE = gettext_lazy(
    "費用＝事業費の決算（千円）。決算が未入力の施策は予算（千円）を使い、「予算」と表示します。"
    "KPI達成度＝各指標の（実績値−基準値）÷（目標値−基準値）の平均（評価年度の実績値）。"
    "成果1単位あたり費用＝費用÷（実績値−基準値）：第1指標が目標の方向に改善した施策だけに計算します。"
    "削減1時間あたり費用＝費用÷削減された業務時間（時間/年）。"
    "国の取組事項・施策の柱の行は、費用と削減時間を合計し、KPI達成度は施策の単純平均です"
    "（複数の取組事項に該当する施策は、それぞれの取組事項に計上します）。"
)


# --- round progress ------------------------------------------------------------------------------


@dataclass
class DepartmentProgress:
    department: Department
    total: int = 0
    draft: int = 0
    submitted: int = 0
    returned: int = 0
    accepted: int = 0

    @property
    def not_submitted(self) -> int:
        return self.draft + self.returned

    @property
    def percent_submitted(self) -> int:
        return round(100 * (self.submitted + self.accepted) / self.total) if self.total else 0


@dataclass
class RoundProgress:
    round: EvaluationRound
    departments: list[DepartmentProgress]
    total: DepartmentProgress  # department=None: the whole round

    @property
    def is_complete(self) -> bool:
        return self.total.total == self.total.accepted


def _progress_rows(round_: EvaluationRound) -> RoundProgress:
    counts = (
        MeasureEvaluation.objects.filter(round=round_)
        .values("measure__owner_department")
        .annotate(
            total=Count("id"),
            draft=Count("id", filter=Q(state=State.DRAFT)),
            submitted=Count("id", filter=Q(state=State.SUBMITTED)),
            returned=Count("id", filter=Q(state=State.RETURNED)),
            accepted=Count("id", filter=Q(state=State.ACCEPTED)),
        )
    )
    counts = {row.pop("measure__owner_department"): row for row in counts}
    departments = Department.objects.filter(pk__in=counts).order_by("code")
    rows = [DepartmentProgress(department=d, **counts[d.pk]) for d in departments]
    total = DepartmentProgress(department=None)
    for row in rows:
        for name in ("total", "draft", "submitted", "returned", "accepted"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    # Departments with work left first, then by code.
    rows.sort(key=lambda r: (r.not_submitted == 0 and r.submitted == 0, r.department.code))
    return RoundProgress(round=round_, departments=rows, total=total)


def current_round(*, plan: Plan) -> EvaluationRound | None:
    """The round the 事務局 is working on: the latest open one, else the latest of any state."""
    rounds = EvaluationRound.objects.filter(plan=plan).select_related("plan")
    return (
        rounds.filter(state=EvaluationRound.State.OPEN).order_by("-fiscal_year").first()
        or rounds.order_by("-fiscal_year").first()
    )


def round_progress(plan: Plan, *, round: EvaluationRound | None = None) -> RoundProgress | None:
    """Progress of the plan's current round (or the given one) per owner department; None without a round.
    For the 事務局's home page. 3 queries."""
    round_ = round or current_round(plan=plan)
    return None if round_ is None else _progress_rows(round_)


def unsubmitted_by_department(*, department_ids: list[int] | None = None) -> dict[int, list[MeasureEvaluation]]:
    """Open rounds' evaluations still with the department (作成中 or 差戻し), per owner department. For the
    reminder digest. 1 query."""
    qs = (
        MeasureEvaluation.objects.filter(
            round__state=EvaluationRound.State.OPEN, state__in=MeasureEvaluation.EDITABLE_STATES
        )
        .select_related("round", "measure")
        .order_by("measure__code")
    )
    if department_ids is not None:
        qs = qs.filter(measure__owner_department_id__in=department_ids)
    out: dict[int, list[MeasureEvaluation]] = {}
    for evaluation in qs:
        out.setdefault(evaluation.measure.owner_department_id, []).append(evaluation)
    return out


def round_evaluations(*, round: EvaluationRound, department_ids: set[int] | None = None) -> list[MeasureEvaluation]:
    qs = (
        MeasureEvaluation.objects.filter(round=round)
        .select_related("measure__owner_department", "measure__pillar")
        .order_by("measure__owner_department__code", "measure__sort_order", "measure__code")
    )
    if department_ids is not None:
        qs = qs.filter(measure__owner_department_id__in=department_ids)
    return list(qs)


# --- KPI figures ---------------------------------------------------------------------------------


@dataclass
class KpiFigure:
    name: str
    unit: str
    direction: str
    baseline: Decimal | None
    target: Decimal | None
    actual: Decimal | None

    @property
    def achievement(self) -> float | None:
        return kpi_achievement(baseline=self.baseline, target=self.target, actual=self.actual)

    @property
    def achievement_percent(self) -> int | None:
        a = self.achievement
        return None if a is None else round(a * 100)

    @property
    def grade(self) -> str | None:
        return kpi_grade(baseline=self.baseline, target=self.target, actual=self.actual, direction=self.direction)

    @property
    def improvement(self) -> Decimal | None:
        """How far the actual moved from the baseline in the KPI's good direction (positive = better)."""
        if self.baseline is None or self.actual is None:
            return None
        delta = self.actual - self.baseline
        return delta if self.direction == Indicator.Direction.HIGHER else -delta


def _figures_from_evaluation(evaluation: MeasureEvaluation) -> list[KpiFigure]:
    return [
        KpiFigure(
            name=f.indicator.name,
            unit=f.indicator.unit,
            direction=f.indicator.direction,
            baseline=f.baseline_value,
            target=f.target_value,
            actual=f.actual_value,
        )
        for f in evaluation.kpis.all()
    ]


def _figures_from_indicators(measure: Measure) -> list[KpiFigure]:
    figures = []
    for ind in measure.indicators.all():
        current = [v for v in ind.current_values]
        latest = max(current, key=lambda v: (v.as_of, v.recorded_at), default=None)
        figures.append(
            KpiFigure(
                name=ind.name,
                unit=ind.unit,
                direction=ind.direction,
                baseline=ind.baseline_value,
                target=ind.target_value,
                actual=latest.value if latest else None,
            )
        )
    return figures


_kpi_prefetch = Prefetch("kpis", queryset=EvaluationIndicator.objects.select_related("indicator"))


# --- 費用対価値 ------------------------------------------------------------------------------------


@dataclass
class ValueRow:
    measure: Measure | None
    label: str
    budget: int | None  # 千円
    settled: int | None  # 千円 (決算)
    hours_saved: Decimal | None
    achievement: float | None  # 0..1+ (mean over the KPIs)
    kpis: list[KpiFigure] = field(default_factory=list)
    evaluation: MeasureEvaluation | None = None
    measure_count: int = 1
    group_cost: int | None = None  # groups: the sum of their measures' costs

    @property
    def cost(self) -> int | None:
        if self.measure is None:
            return self.group_cost
        return self.settled if self.settled is not None else self.budget

    @property
    def cost_is_budget(self) -> bool:
        return self.measure is not None and self.settled is None and self.budget is not None

    @property
    def achievement_percent(self) -> int | None:
        return None if self.achievement is None else round(self.achievement * 100)

    @property
    def cost_per_hour_yen(self) -> int | None:
        """円 per hour of work saved a year."""
        if self.cost is None or not self.hours_saved:
            return None
        return round(Decimal(self.cost) * 1000 / self.hours_saved)

    @property
    def unit_cost(self) -> tuple[Decimal, str] | None:
        """円 per unit of the first KPI's improvement, with the unit, where the KPI moved the right way."""
        if self.cost is None or not self.kpis:
            return None
        first = self.kpis[0]
        improvement = first.improvement
        if improvement is None or improvement <= 0:
            return None
        return (Decimal(self.cost) * 1000 / improvement).quantize(Decimal("1")), first.unit

    @property
    def unit_cost_yen(self) -> Decimal | None:
        uc = self.unit_cost
        return None if uc is None else uc[0]


@dataclass
class ValueForMoney:
    round: EvaluationRound | None
    measures: list[ValueRow]
    items: list[ValueRow]
    pillars: list[ValueRow]
    total: ValueRow
    sort: str


SORT_KEYS = {
    "code": lambda r: r.measure.code if r.measure else r.label,
    "cost": lambda r: r.cost,
    "achievement": lambda r: r.achievement,
    "hours": lambda r: r.hours_saved,
    "cost_per_hour": lambda r: r.cost_per_hour_yen,
    "unit_cost": lambda r: r.unit_cost_yen,
}


def _sorted(rows: list[ValueRow], sort: str) -> list[ValueRow]:
    key_name = sort.lstrip("-")
    key = SORT_KEYS[key_name]
    present = [r for r in rows if key(r) is not None]
    missing = [r for r in rows if key(r) is None]
    present.sort(key=key, reverse=sort.startswith("-"))
    return present + missing  # rows without the figure always last


def _group(label: str, rows: list[ValueRow]) -> ValueRow:
    budgets = [r.budget for r in rows if r.budget is not None]
    settled = [r.settled for r in rows if r.settled is not None]
    hours = [r.hours_saved for r in rows if r.hours_saved is not None]
    achievements = [r.achievement for r in rows if r.achievement is not None]
    # A group's cost adds each measure's own cost (決算, else 予算), as the rule on the page says.
    costs = [r.cost for r in rows if r.cost is not None]
    return ValueRow(
        measure=None,
        label=label,
        budget=sum(budgets) if budgets else None,
        settled=sum(settled) if settled else None,
        hours_saved=sum(hours) if hours else None,
        achievement=sum(achievements) / len(achievements) if achievements else None,
        measure_count=len(rows),
        group_cost=sum(costs) if costs else None,
    )


@dataclass(frozen=True)
class ValueFilters:
    change_level: str = ""
    channel: str = ""
    audience: str = ""
    tag: str = ""  # "gx" / "wellbeing"


def value_for_money(
    *, plan: Plan, round: EvaluationRound | None = None, sort: str = "code", filters: ValueFilters | None = None
) -> ValueForMoney:
    """費用対価値 of the plan's measures for a round (default: the current one), see VALUE_RULE. 6 queries."""
    if sort.lstrip("-") not in SORT_KEYS:
        sort = "code"
    filters = filters or ValueFilters()
    round_ = round if round is not None else current_round(plan=plan)
    measures_qs = (
        Measure.objects.filter(plan=plan)
        .select_related("owner_department", "pillar")
        .prefetch_related(
            "national_items",
            Prefetch(
                "indicators",
                queryset=Indicator.objects.prefetch_related(
                    Prefetch(
                        "values", queryset=IndicatorValue.objects.filter(is_current=True), to_attr="current_values"
                    )
                ),
            ),
        )
    )
    if filters.change_level:
        measures_qs = measures_qs.filter(change_level=filters.change_level)
    if filters.channel:
        measures_qs = measures_qs.filter(channel=filters.channel)
    if filters.audience:
        measures_qs = measures_qs.filter(audience=filters.audience)
    if filters.tag == "gx":
        measures_qs = measures_qs.filter(is_gx=True)
    elif filters.tag == "wellbeing":
        measures_qs = measures_qs.filter(is_wellbeing=True)
    evaluations = {}
    if round_ is not None:
        evaluations = {
            e.measure_id: e for e in MeasureEvaluation.objects.filter(round=round_).prefetch_related(_kpi_prefetch)
        }
    rows = []
    for measure in measures_qs:
        evaluation = evaluations.get(measure.pk)
        kpis = _figures_from_evaluation(evaluation) if evaluation else _figures_from_indicators(measure)
        achievements = [k.achievement for k in kpis if k.achievement is not None]
        rows.append(
            ValueRow(
                measure=measure,
                label=str(measure),
                budget=measure.budget_thousand_yen,
                settled=evaluation.settled_cost_thousand_yen if evaluation else None,
                hours_saved=evaluation.hours_saved_per_year if evaluation else None,
                achievement=sum(achievements) / len(achievements) if achievements else None,
                kpis=kpis,
                evaluation=evaluation,
            )
        )
    by_item: dict = {}
    by_pillar: dict = {}
    for row in rows:
        for item in row.measure.national_items.all():
            by_item.setdefault((item.number, item.short_name or item.name), []).append(row)
        pillar = row.measure.pillar
        key = (pillar.sort_order, pillar.code, pillar.name) if pillar else (10**9, "", _("柱の指定なし"))
        by_pillar.setdefault(key, []).append(row)
    items = [_group(f"{number}. {name}", members) for (number, name), members in sorted(by_item.items())]
    pillars = [_group(key[2], members) for key, members in sorted(by_pillar.items())]
    return ValueForMoney(
        round=round_,
        measures=_sorted(rows, sort),
        items=items,
        pillars=pillars,
        total=_group(_("合計"), rows),
        sort=sort,
    )


# --- 進捗状況報告書 --------------------------------------------------------------------------------


@dataclass
class ReportMeasure:
    measure: Measure
    evaluation: MeasureEvaluation
    kpis: list[KpiFigure]


@dataclass
class ReportSection:
    pillar_name: str
    measures: list[ReportMeasure]


def report_sections(*, round: EvaluationRound) -> list[ReportSection]:
    """The 進捗状況報告書 of a round: per pillar (in plan order; measures without one last) → measure. 3 queries.
    Carries no internal fields (差戻しの理由, names): the same data serves the public API."""
    evaluations = (
        MeasureEvaluation.objects.filter(round=round)
        .select_related("measure__pillar", "measure__owner_department")
        .prefetch_related(_kpi_prefetch)
        .order_by("measure__sort_order", "measure__code")
    )
    sections: dict = {}
    for evaluation in evaluations:
        pillar = evaluation.measure.pillar
        key = (pillar.sort_order, pillar.code) if pillar else (10**9, "")
        name = pillar.name if pillar else _("柱の指定なし")
        sections.setdefault(key, ReportSection(pillar_name=name, measures=[])).measures.append(
            ReportMeasure(measure=evaluation.measure, evaluation=evaluation, kpis=_figures_from_evaluation(evaluation))
        )
    return [sections[k] for k in sorted(sections)]


@dataclass
class ValueSummary:
    round: EvaluationRound
    cost: int | None  # 千円: 決算, else 予算, over the plan's measures (the 費用対価値 page's 合計)
    hours_saved: Decimal | None
    evaluations: int
    accepted: int

    @property
    def cost_per_hour_yen(self) -> int | None:
        if self.cost is None or not self.hours_saved:
            return None
        return round(Decimal(self.cost) * 1000 / self.hours_saved)


def value_summary(*, plan: Plan, published_only: bool = False) -> ValueSummary | None:
    """The dashboard card: the current round's totals by the same rule as value_for_money. 3 queries."""
    rounds = EvaluationRound.objects.filter(plan=plan)
    if published_only:
        rounds = rounds.filter(state=EvaluationRound.State.PUBLISHED)
    round_ = rounds.order_by(
        Case(When(state=EvaluationRound.State.OPEN, then=Value(0)), default=Value(1)), "-fiscal_year"
    ).first()
    # Without a round the two aggregates below still run (unused): the dashboard's query count is pinned
    # as the same for every plan.
    totals = MeasureEvaluation.objects.filter(round=round_).aggregate(
        settled=Sum("settled_cost_thousand_yen"),
        hours=Sum("hours_saved_per_year"),
        evaluations=Count("id"),
        accepted=Count("id", filter=Q(state=State.ACCEPTED)),
    )
    # round_id, not round=None: without a round, "round IS NULL" under the anti-join matched every measure of
    # every plan (460 ms at national scale); no round has id 0.
    budgets = (
        Measure.objects.filter(plan=plan)
        .exclude(
            evaluations__round_id=round_.pk if round_ else 0,
            evaluations__settled_cost_thousand_yen__isnull=False,
        )
        .aggregate(budget=Sum("budget_thousand_yen"))["budget"]
    )
    if round_ is None:
        return None
    parts = [v for v in (totals["settled"], budgets) if v is not None]
    return ValueSummary(
        round=round_,
        cost=sum(parts) if parts else None,
        hours_saved=totals["hours"],
        evaluations=totals["evaluations"],
        accepted=totals["accepted"],
    )
