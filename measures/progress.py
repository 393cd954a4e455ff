"""The progress rules (docs/progress.md), defined once. Every page, export and API shows these numbers.

Measure progress
    completed milestones ÷ non-cancelled milestones; a measure with no (non-cancelled) milestones uses its
    latest reported % done; with neither it is 0.
Group progress (a national item, a department, a pillar, a plan)
    the average of its measures' progress weighted by each measure's non-cancelled milestone count, a measure
    without milestones weighing 1 (so a measure reported only by % still counts).
Health (status colour, always shown with its text label)
    完了   every non-cancelled milestone done (or, without milestones, latest report 完了 / 100 %)
    遅延   a milestone overdue (open and its due date passed)
    注意   a milestone due within 30 days not started, or a KPI behind its straight-line path
    未着手 nothing started yet (no milestone begun or done, no progress reported)
    順調   otherwise
Self-assessment vs schedule (自己評価と工程に差異)
    The department's latest report (状況, 進捗率, date) is shown beside the milestone % and labelled as its own
    assessment. Where the measure has milestones, it is flagged when the two disagree: the report says
    進行中 or 完了 while a milestone is overdue, or its % is more than DISCREPANCY_PERCENT_POINTS (20) points
    from the milestone %. See self_assessment_discrepancy() and docs/progress.md.
KPI grade (as Japanese cities publish it)
    A target reached; B ≥ 80 % of the way from baseline to target; C ≥ 50 %; D below.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Func, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.utils.translation import gettext_lazy as _

from core.fiscal import fiscal_year_bounds

from .models import OPEN_STATUSES, STARTED_STATUSES, ProgressUpdate, WorkStatus

DUE_SOON_DAYS = 30

GRADE_RULE = _("A: 目標値を達成 / B: 基準値から目標値までの80%以上 / C: 50%以上 / D: 50%未満")


class Health:
    DONE = "done"
    ON_TRACK = "ontrack"
    WARNING = "warn"
    LATE = "late"
    NOT_STARTED = "notstarted"

    LABELS = {
        DONE: _("完了"),
        ON_TRACK: _("順調"),
        WARNING: _("注意"),
        LATE: _("遅延"),
        NOT_STARTED: _("未着手"),
    }
    ORDER = (LATE, WARNING, NOT_STARTED, ON_TRACK, DONE)  # most urgent first

    @classmethod
    def label(cls, key: str) -> str:
        return str(cls.LABELS[key])


class ShowsProgress:
    """For row objects with `ratio` (0..1, or None for an empty group) and `health`: the two numbers every
    table shows, formatted one way everywhere."""

    ratio: float | None
    health: str | None

    @property
    def percent(self) -> int | None:
        return None if self.ratio is None else round(self.ratio * 100)

    @property
    def health_label(self) -> str:
        return Health.label(self.health) if self.health else ""


OPEN = list(OPEN_STATUSES)


def open_q(prefix: str = "") -> Q:
    """Milestones still to be done (`prefix` is the path to the milestone, e.g. "milestones")."""
    return Q(**{f"{prefix}{'__' if prefix else ''}status__in": OPEN})


def overdue_q(today: dt.date, prefix: str = "") -> Q:
    """Open milestones whose due date has passed."""
    return open_q(prefix) & Q(**{f"{prefix}{'__' if prefix else ''}due_date__lt": today})


def due_soon_q(today: dt.date, prefix: str = "") -> Q:
    """Open milestones due today or within DUE_SOON_DAYS."""
    p = f"{prefix}{'__' if prefix else ''}"
    return open_q(prefix) & Q(
        **{f"{p}due_date__gte": today, f"{p}due_date__lte": today + dt.timedelta(days=DUE_SOON_DAYS)}
    )


def milestone_urgency(status: str, due_date: dt.date, today: dt.date) -> str:
    """One milestone's state on a day: "overdue", "soon" (due within DUE_SOON_DAYS), "later" or "closed"."""
    if status not in OPEN_STATUSES:
        return "closed"
    if due_date < today:
        return "overdue"
    if due_date <= today + dt.timedelta(days=DUE_SOON_DAYS):
        return "soon"
    return "later"


def annotate_measure_progress(
    qs: QuerySet, *, today: dt.date, prefix: str = "milestones", due_between: tuple[dt.date, dt.date] | None = None
) -> QuerySet:
    """Add the counts every progress number is made of, in the same query:
    ms_total (non-cancelled), ms_done, ms_started (in progress or done), ms_overdue, ms_due_soon (open, due
    within 30 days), ms_due_soon_idle (not started, due within 30 days), latest_percent, latest_status and
    latest_reported_at (latest progress update: the department's own assessment). `due_between` (first, last day)
    counts only the milestones due in that span (a fiscal-year view: the year's milestones make the year's progress)."""
    p = prefix
    soon = today + dt.timedelta(days=DUE_SOON_DAYS)
    latest = ProgressUpdate.objects.filter(measure=OuterRef("pk")).order_by("-created_at", "-id")
    span = Q(**{f"{p}__due_date__gte": due_between[0], f"{p}__due_date__lte": due_between[1]}) if due_between else Q()
    return qs.annotate(
        ms_total=Count(p, filter=~Q(**{f"{p}__status": WorkStatus.CANCELLED}) & span),
        ms_done=Count(p, filter=Q(**{f"{p}__status": WorkStatus.DONE}) & span),
        ms_started=Count(p, filter=Q(**{f"{p}__status__in": STARTED_STATUSES}) & span),
        ms_overdue=Count(p, filter=overdue_q(today, p) & span),
        ms_due_soon=Count(p, filter=due_soon_q(today, p) & span),
        ms_due_soon_idle=Count(
            p,
            filter=Q(
                **{f"{p}__status": WorkStatus.NOT_STARTED, f"{p}__due_date__gte": today, f"{p}__due_date__lte": soon}
            )
            & span,
        ),
        latest_percent=Subquery(latest.values("percent_done")[:1], output_field=IntegerField()),
        latest_status=Subquery(latest.values("status")[:1]),
        latest_reported_at=Subquery(latest.values("created_at")[:1]),
        # A plain COUNT(*) subquery (always one row, 0 when none): wrapped in Coalesce it landed in the
        # GROUP BY and ran once per joined milestone row (180 ms at city scale instead of 2 ms).
        n_updates=Subquery(
            ProgressUpdate.objects.filter(measure=OuterRef("pk"))
            .order_by()
            .annotate(c=Func(Value(1), function="COUNT", output_field=IntegerField()))
            .values("c")[:1],
            output_field=IntegerField(),
        ),
    )


def measure_ratio(*, total: int, done: int, latest_percent: int | None) -> float:
    """Progress of one measure in 0..1 (see module docstring)."""
    if total:
        return done / total
    if latest_percent is not None:
        return max(0, min(100, latest_percent)) / 100
    return 0.0


def measure_weight(total: int) -> int:
    return total if total else 1


def group_ratio(parts: Iterable[tuple[float, int]]) -> float | None:
    """Weighted average of (ratio, weight) pairs; None for an empty group (e.g. a national item with no
    measures: shown as such, not as 0 %)."""
    num = den = 0.0
    for ratio, weight in parts:
        num += ratio * weight
        den += weight
    return num / den if den else None


def measure_health(
    *,
    total: int,
    done: int,
    started: int,
    overdue: int,
    due_soon_idle: int,
    latest_percent: int | None,
    latest_status: str | None,
    kpi_behind: bool = False,
) -> str:
    if total and done == total:
        return Health.DONE
    if not total and (latest_status == WorkStatus.DONE or latest_percent == 100):
        return Health.DONE
    if overdue:
        return Health.LATE
    if due_soon_idle or kpi_behind:
        return Health.WARNING
    if not started and not latest_percent and latest_status in (None, WorkStatus.NOT_STARTED):
        return Health.NOT_STARTED
    return Health.ON_TRACK


def health_of_annotated(measure, *, kpi_behind: bool = False) -> str:
    """measure_health for a measure annotated by annotate_measure_progress."""
    return measure_health(
        total=measure.ms_total,
        done=measure.ms_done,
        started=measure.ms_started,
        overdue=measure.ms_overdue,
        due_soon_idle=measure.ms_due_soon_idle,
        latest_percent=measure.latest_percent,
        latest_status=measure.latest_status,
        kpi_behind=kpi_behind,
    )


def ratio_of_annotated(measure) -> float:
    return measure_ratio(total=measure.ms_total, done=measure.ms_done, latest_percent=measure.latest_percent)


# --- the department's own assessment against the schedule ------------------------------------

DISCREPANCY_PERCENT_POINTS = 20
DISCREPANCY_LABEL = _("自己評価と工程に差異")
PROGRESS_RULE = _(
    "進捗率はマイルストーンで決まります（完了したマイルストーン ÷ 中止を除くマイルストーン）。"
    "マイルストーンがない施策だけ、最新の進捗報告の進捗率を使います。"
)


def discrepancy_rule() -> str:
    """The rule of self_assessment_discrepancy() in words, for the pages that show the flag."""
    return str(
        _(
            "担当部署の自己評価（最新の進捗報告）が「進行中」「完了」なのに期限超過のマイルストーンがあるとき、"
            "または報告の進捗率とマイルストーンによる進捗率の差が%(points)dポイントを超えるとき、"
            "「自己評価と工程に差異」と表示します。"
        )
        % {"points": DISCREPANCY_PERCENT_POINTS}
    )


@dataclass(frozen=True)
class Discrepancy:
    """Why a measure's latest report disagrees with its milestones (empty reasons = they agree)."""

    reasons: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.reasons)

    @property
    def label(self) -> str:
        return str(DISCREPANCY_LABEL)

    @property
    def explanation(self) -> str:
        return "、".join(self.reasons)


NO_DISCREPANCY = Discrepancy(reasons=())


def self_assessment_discrepancy(
    *, total: int, done: int, overdue: int, latest_status: str | None, latest_percent: int | None
) -> Discrepancy:
    """The one rule for 「自己評価と工程に差異」. Only measures with milestones and a report can disagree:
    (1) the report says 進行中 or 完了 while a milestone is overdue, or (2) the reported % is more than
    DISCREPANCY_PERCENT_POINTS away from the milestone % (completed ÷ non-cancelled milestones)."""
    if not total or latest_status is None:
        return NO_DISCREPANCY
    reasons = []
    if overdue and latest_status in (WorkStatus.IN_PROGRESS, WorkStatus.DONE):
        reasons.append(
            str(
                _("報告は「%(status)s」だが期限超過のマイルストーンが%(n)d件")
                % {"status": WorkStatus(latest_status).label, "n": overdue}
            )
        )
    if latest_percent is not None:
        milestone_percent = round(done / total * 100)
        if abs(latest_percent - milestone_percent) > DISCREPANCY_PERCENT_POINTS:
            reasons.append(
                str(
                    _("報告の進捗率%(reported)d%%と工程の%(schedule)d%%の差が%(limit)dポイント超")
                    % {"reported": latest_percent, "schedule": milestone_percent, "limit": DISCREPANCY_PERCENT_POINTS}
                )
            )
    return Discrepancy(reasons=tuple(reasons))


def discrepancy_of_annotated(measure) -> Discrepancy:
    """self_assessment_discrepancy for a measure annotated by annotate_measure_progress."""
    return self_assessment_discrepancy(
        total=measure.ms_total,
        done=measure.ms_done,
        overdue=measure.ms_overdue,
        latest_status=measure.latest_status,
        latest_percent=measure.latest_percent,
    )


def status_label(status: str | None) -> str:
    """A reported 状況 as text ("" when nothing was reported)."""
    return str(WorkStatus(status).label) if status else ""


def group_health(healths: Iterable[str]) -> str | None:
    """A group's colour: 遅延 if any measure is late, then 注意, 完了 only if all done, 未着手 if none started."""
    hs = list(healths)
    if not hs:
        return None
    if Health.LATE in hs:
        return Health.LATE
    if Health.WARNING in hs:
        return Health.WARNING
    if all(h == Health.DONE for h in hs):
        return Health.DONE
    if all(h == Health.NOT_STARTED for h in hs):
        return Health.NOT_STARTED
    return Health.ON_TRACK


# --- KPIs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KpiAssessment:
    achievement: float | None  # share of the way from baseline to target (1.0 = reached); None if unknown
    grade: str | None  # A–D
    expected: float | None  # share of the way the straight-line path expects by the actual's date
    behind: bool


def kpi_achievement(*, baseline: Decimal | None, target: Decimal | None, actual: Decimal | None) -> float | None:
    """(actual − baseline) ÷ (target − baseline): the same formula serves lower-is-better KPIs, where both
    differences are negative."""
    if baseline is None or target is None or actual is None or target == baseline:
        return None
    return float((actual - baseline) / (target - baseline))


def kpi_grade(
    *, baseline: Decimal | None, target: Decimal | None, actual: Decimal | None, direction: str
) -> str | None:
    if target is not None and actual is not None:
        reached = actual >= target if direction == "higher" else actual <= target
        if reached:
            return "A"
    achievement = kpi_achievement(baseline=baseline, target=target, actual=actual)
    if achievement is None:
        return None
    if achievement >= 0.8:
        return "B"
    if achievement >= 0.5:
        return "C"
    return "D"


def kpi_expected_share(*, baseline_date: dt.date | None, target_fy: int | None, on: dt.date) -> float | None:
    """How far along the straight line from (baseline date, baseline) to (end of target FY, target) a KPI
    should be on a date."""
    if baseline_date is None or target_fy is None:
        return None
    end = fiscal_year_bounds(target_fy)[1]
    span = (end - baseline_date).days
    if span <= 0:
        return 1.0
    return max(0.0, min(1.0, (on - baseline_date).days / span))


def assess_kpi(
    *,
    baseline: Decimal | None,
    baseline_date: dt.date | None,
    target: Decimal | None,
    target_fy: int | None,
    direction: str,
    actual: Decimal | None,
    actual_date: dt.date | None,
) -> KpiAssessment:
    achievement = kpi_achievement(baseline=baseline, target=target, actual=actual)
    grade = kpi_grade(baseline=baseline, target=target, actual=actual, direction=direction)
    expected = (
        kpi_expected_share(baseline_date=baseline_date, target_fy=target_fy, on=actual_date) if actual_date else None
    )
    behind = bool(grade != "A" and achievement is not None and expected is not None and achievement < expected)
    return KpiAssessment(achievement=achievement, grade=grade, expected=expected, behind=behind)
