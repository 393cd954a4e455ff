"""The progress rules of docs/progress.md (measures/progress.py), on hand-built data with hand-computed values."""

import datetime as dt
from decimal import Decimal

import pytest

from measures.models import Measure, WorkStatus
from measures.progress import (
    Health,
    annotate_measure_progress,
    assess_kpi,
    group_health,
    group_ratio,
    health_of_annotated,
    kpi_grade,
    measure_ratio,
    ratio_of_annotated,
)

from .factories import MeasureFactory, MilestoneFactory, ProgressUpdateFactory

TODAY = dt.date(2025, 10, 1)
D, P, N, L, C = (
    WorkStatus.DONE,
    WorkStatus.IN_PROGRESS,
    WorkStatus.NOT_STARTED,
    WorkStatus.DELAYED,
    WorkStatus.CANCELLED,
)


def test_measure_ratio_counts_done_over_non_cancelled():
    assert measure_ratio(total=4, done=1, latest_percent=90) == 0.25  # milestones win over the report
    assert measure_ratio(total=0, done=0, latest_percent=40) == 0.4
    assert measure_ratio(total=0, done=0, latest_percent=None) == 0.0


def test_group_ratio_weights_by_milestone_count_and_is_none_when_empty():
    # measure A: 3/4 done (weight 4); measure B: reported 50 %, no milestones (weight 1)
    assert group_ratio([(0.75, 4), (0.5, 1)]) == pytest.approx((3 + 0.5) / 5)
    assert group_ratio([]) is None


@pytest.mark.django_db
def test_annotated_counts_ignore_cancelled_and_find_overdue_and_due_soon():
    measure = MeasureFactory()
    for status, due in [(D, "2025-06-01"), (C, "2025-07-01"), (P, "2025-09-30"), (N, "2025-10-20"), (N, "2026-01-01")]:
        MilestoneFactory(measure=measure, status=status, due_date=dt.date.fromisoformat(due))
    ProgressUpdateFactory(measure=measure, percent_done=10)
    ProgressUpdateFactory(measure=measure, percent_done=35)
    m = annotate_measure_progress(Measure.objects.filter(pk=measure.pk), today=TODAY).get()
    assert (m.ms_total, m.ms_done, m.ms_overdue, m.ms_due_soon_idle) == (4, 1, 1, 1)
    assert m.latest_percent == 35 and m.n_updates == 2
    assert ratio_of_annotated(m) == 0.25
    assert health_of_annotated(m) == Health.LATE  # the in-progress one due 9/30 is overdue on 10/1


@pytest.mark.django_db
def test_health_warning_not_started_done_and_on_track():
    soon = MeasureFactory()
    MilestoneFactory(measure=soon, status=N, due_date=TODAY + dt.timedelta(days=30))
    idle = MeasureFactory()
    MilestoneFactory(measure=idle, status=N, due_date=TODAY + dt.timedelta(days=31))
    done = MeasureFactory()
    MilestoneFactory(measure=done, status=D, due_date=TODAY - dt.timedelta(days=3))
    MilestoneFactory(measure=done, status=C, due_date=TODAY - dt.timedelta(days=3))
    going = MeasureFactory()
    MilestoneFactory(measure=going, status=P, due_date=TODAY + dt.timedelta(days=90))
    reported_done = MeasureFactory()
    ProgressUpdateFactory(measure=reported_done, percent_done=100, status=D)
    rows = {m.pk: health_of_annotated(m) for m in annotate_measure_progress(Measure.objects.all(), today=TODAY)}
    assert rows[soon.pk] == Health.WARNING
    assert rows[idle.pk] == Health.NOT_STARTED
    assert rows[done.pk] == Health.DONE
    assert rows[going.pk] == Health.ON_TRACK
    assert rows[reported_done.pk] == Health.DONE


def test_group_health():
    assert group_health([Health.DONE, Health.LATE]) == Health.LATE
    assert group_health([Health.DONE, Health.DONE]) == Health.DONE
    assert group_health([Health.NOT_STARTED, Health.DONE]) == Health.ON_TRACK
    assert group_health([]) is None


@pytest.mark.parametrize(
    ("baseline", "target", "actual", "direction", "grade"),
    [
        ("0", "100", "100", "higher", "A"),
        ("0", "100", "120", "higher", "A"),
        ("0", "100", "80", "higher", "B"),
        ("0", "100", "79.9", "higher", "C"),
        ("0", "100", "50", "higher", "C"),
        ("0", "100", "49", "higher", "D"),
        ("20", "100", "84", "higher", "B"),  # (84-20)/(100-20) = 0.8
        ("1250", "50", "50", "lower", "A"),
        ("1250", "50", "40", "lower", "A"),
        ("1250", "50", "290", "lower", "B"),  # (290-1250)/(50-1250) = 0.8
        ("1250", "50", "410", "lower", "C"),  # 0.7
        ("1250", "50", "1300", "lower", "D"),  # worse than baseline
    ],
)
def test_kpi_grades_for_both_directions(baseline, target, actual, direction, grade):
    assert (
        kpi_grade(baseline=Decimal(baseline), target=Decimal(target), actual=Decimal(actual), direction=direction)
        == grade
    )


def test_kpi_without_data_has_no_grade():
    assert kpi_grade(baseline=None, target=Decimal(10), actual=Decimal(5), direction="higher") is None
    assert kpi_grade(baseline=Decimal(0), target=Decimal(10), actual=None, direction="higher") is None


def test_kpi_behind_its_straight_line_path():
    # baseline 2023-04-01 → target at end of FY2025 (2026-03-31): halfway is about 2024-09-30.
    args = dict(
        baseline=Decimal(0),
        baseline_date=dt.date(2023, 4, 1),
        target=Decimal(100),
        target_fy=2025,
        direction="higher",
        actual_date=dt.date(2024, 9, 30),
    )
    behind = assess_kpi(actual=Decimal(30), **args)
    ahead = assess_kpi(actual=Decimal(60), **args)
    assert behind.behind and behind.expected == pytest.approx(0.5, abs=0.01)
    assert not ahead.behind
