"""The plan as of a past day, and what changed between two days, on a hand-built history.

The history (Asia/Tokyo): on 2025-04-01 the plan, measure M1 (items 1 and 3) and milestones A (due 9/30),
B (due 6/30) and C (due 8/31) are created, and KPI K gets 40 for 2025-04-01; on 2025-08-12 B's due date moves
to 12/31; on 2025-08-20 K's value is corrected to 45; "today" is 2025-09-10, when A is completed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from council.selectors import changes_between
from dashboard.history import plan_snapshot
from dashboard.selectors import Filters, kpi_cards, measure_rows, milestone_list, plan_overview
from measures.models import IndicatorValue, WorkStatus
from milestones.models import Milestone

from .factories import (
    DepartmentFactory,
    IndicatorFactory,
    MeasureFactory,
    MilestoneFactory,
    MunicipalityFactory,
    PlanFactory,
    ensure_national_framework,
    make_user,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 9, 10)


def at(day: dt.date, hour: int = 10):
    return time_machine.travel(
        dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.timezone(dt.timedelta(hours=9))), tick=False
    )


@dataclass
class History:
    plan: object
    measure: object
    a: Milestone
    b: Milestone
    c: Milestone
    kpi: object
    council: object


@pytest.fixture
def history(db) -> History:
    ensure_national_framework()
    with at(dt.date(2025, 4, 1)):
        city = MunicipalityFactory(code="139998", name="さくら台市")
        dept = DepartmentFactory(municipality=city, code="JOHO", name="情報政策課")
        plan = PlanFactory(municipality=city, code="dx")
        measure = MeasureFactory(plan=plan, owner_department=dept, code="M1", items=[1, 3])
        a = MilestoneFactory(measure=measure, code="A", title="要綱改正", due_date=dt.date(2025, 9, 30))
        b = MilestoneFactory(measure=measure, code="B", title="移行計画", due_date=dt.date(2025, 6, 30))
        c = MilestoneFactory(measure=measure, code="C", title="試行", due_date=dt.date(2025, 8, 31))
        kpi = IndicatorFactory(measure=measure, code="K", name="交付率")
        original = IndicatorValue.objects.create(indicator=kpi, value=Decimal("40"), as_of=dt.date(2025, 4, 1))
        council = make_user("giin", "council", city)
    with at(dt.date(2025, 8, 12)):
        b.due_date = dt.date(2025, 12, 31)
        b.save()
    with at(dt.date(2025, 8, 20)):
        IndicatorValue.objects.filter(pk=original.pk).update(is_current=False)
        IndicatorValue.objects.create(indicator=kpi, value=Decimal("45"), as_of=dt.date(2025, 4, 1), corrects=original)
    with at(TODAY, 9):
        a.status, a.completed_on = WorkStatus.DONE, TODAY
        a.save()
    return History(plan=plan, measure=measure, a=a, b=b, c=c, kpi=kpi, council=council)


def test_a_milestone_completed_today_is_open_as_of_yesterday(history):
    yesterday = plan_snapshot(plan=history.plan, day=TODAY - dt.timedelta(days=1))
    today = plan_snapshot(plan=history.plan, day=TODAY)
    assert yesterday.milestones[history.a.pk].status == WorkStatus.NOT_STARTED
    assert today.milestones[history.a.pk].status == WorkStatus.DONE
    row_before = measure_rows(
        plan=history.plan, filters=Filters(), today=TODAY - dt.timedelta(days=1), as_of=TODAY - dt.timedelta(days=1)
    )[0]
    assert (row_before.ms_done, row_before.ms_total) == (0, 3)


def test_a_due_date_moved_last_month_shows_its_old_date_as_of_two_months_ago(history):
    two_months_ago = dt.date(2025, 7, 10)
    past = milestone_list(plan=history.plan, filters=Filters(), state="all", today=two_months_ago, as_of=two_months_ago)
    assert {m.code: m.due_date for m in past}["B"] == dt.date(2025, 6, 30)
    overdue_then = milestone_list(
        plan=history.plan, filters=Filters(), state="overdue", today=two_months_ago, as_of=two_months_ago
    )
    assert [m.code for m in overdue_then] == ["B"]
    now = plan_snapshot(plan=history.plan, day=TODAY)
    assert now.milestones[history.b.pk].due_date == dt.date(2025, 12, 31)


def test_a_kpi_corrected_later_shows_the_original_as_of_before_the_correction(history):
    before = kpi_cards(plan=history.plan, filters=Filters(), today=dt.date(2025, 8, 19), as_of=dt.date(2025, 8, 19))
    after = kpi_cards(plan=history.plan, filters=Filters(), today=dt.date(2025, 8, 20), as_of=dt.date(2025, 8, 20))
    assert before[0].latest == Decimal("40")
    assert after[0].latest == Decimal("45")


def test_the_past_overview_counts_what_the_page_showed_on_that_day(history):
    day = dt.date(2025, 7, 10)
    data = plan_overview(plan=history.plan, filters=Filters(), today=day, as_of=day)
    assert data.overdue_count == 1  # B was due 6/30 and still open
    assert data.total.ms_done == 0
    assert [i.measures for i in data.items if i.number in (1, 3)] == [1, 1]


def test_changes_since_lists_exactly_the_hand_built_changes(history):
    changes = changes_between(plan=history.plan, since=dt.date(2025, 8, 1), until=TODAY)
    got = sorted((c.kind, c.subject, c.before, c.after) for c in changes.changes)
    assert got == sorted(
        [
            ("completed", "A 要綱改正", "未着手", "完了（2025/9/10）"),
            ("due_moved", "B 移行計画", "2025/6/30", "2025/12/31"),
            ("newly_overdue", "C 試行", "2025/8/31", "期限 2025/8/31・未着手"),
            ("kpi_new", "交付率", "", "2025/4/1 45%"),
        ]
    )
    moved = next(c for c in changes.changes if c.kind == "due_moved")
    assert moved.note == "当初期限 2025/6/30"
    # grouped by national item (the measure is under items 1 and 3), then department
    assert [(g.number, g.count) for g in changes.groups] == [(1, 4), (3, 4)]
    assert changes.groups[0].departments[0][0] == "情報政策課"


def test_the_snapshot_costs_the_same_queries_for_any_history(history, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        plan_snapshot(plan=history.plan, day=dt.date(2025, 7, 10))
    with at(dt.date(2025, 9, 1)):
        for i in range(30):  # thirty more history rows
            history.c.title = f"試行{i}"
            history.c.save()
    with django_assert_max_num_queries(12):
        plan_snapshot(plan=history.plan, day=TODAY)
    with django_assert_max_num_queries(28):
        changes_between(plan=history.plan, since=dt.date(2025, 4, 1), until=TODAY)


def test_pages_show_a_past_view_with_a_banner(history):
    client = Client()
    client.force_login(history.council)
    with at(TODAY, 12):
        html = client.get("/dashboard/?as_of=2025-07-10").content.decode()
        assert "過去の時点の表示です" in html
        assert "2025年7月10日" in html
        timeline = client.get("/dashboard/timeline/?as_of=2025-07-10").content.decode()
        assert "過去の時点の表示です" in timeline
        listing = client.get("/dashboard/milestones/?state=overdue&as_of=2025-07-10").content.decode()
        assert "B 移行計画" in listing and "C 試行" not in listing
        today_listing = client.get("/dashboard/milestones/?state=overdue").content.decode()
        assert "C 試行" in today_listing and "B 移行計画" not in today_listing
        csv = client.get("/dashboard/export/milestones.csv?state=overdue&as_of=2025-07-10").content.decode()
        assert "移行計画" in csv and "2025-06-30" in csv


@pytest.mark.parametrize(
    "query, message",
    [
        ("as_of=2030-01-01", "未来の日付"),
        ("as_of=2024-01-01", "登録された日"),
        ("as_of=令和7年", "日付として読めません"),
        ("edition=v9.9", "国の計画の版「v9.9」はありません"),
    ],
)
def test_bad_input_is_a_japanese_400_never_a_500(history, query, message):
    client = Client()
    client.force_login(history.council)
    with at(TODAY, 12):
        for path in ("/dashboard/", "/dashboard/timeline/", "/dashboard/items/", "/dashboard/changes/"):
            response = client.get(f"{path}?{query}")
            assert response.status_code == 400, path
            assert message in response.content.decode()


def test_since_after_until_is_refused(history):
    client = Client()
    client.force_login(history.council)
    with at(TODAY, 12):
        response = client.get("/dashboard/changes/?since=2025-09-01&until=2025-08-01")
    assert response.status_code == 400
    assert "開始日（2025-09-01）が終了日（2025-08-01）より後" in response.content.decode()


def test_the_changes_page_lists_and_exports_the_changes(history):
    client = Client()
    client.force_login(history.council)
    with at(TODAY, 12):
        html = client.get("/dashboard/changes/?since=2025-08-01").content.decode()
        xlsx = client.get("/dashboard/changes/export.csv?since=2025-08-01").content.decode()
    assert "期限の変更" in html and "当初期限 2025/6/30" in html
    assert xlsx.count("\n") == 1 + 8  # header + 4 changes × 2 national items


def test_objects_written_without_history_are_taken_as_they_are_now(history):
    """Bulk writers: the importer links items with bulk_create (no m2m history), the scale generator creates
    measures and milestones with bulk_create (no history row at all)."""
    from measures.models import Measure
    from plans.models import NationalItem

    with at(dt.date(2025, 5, 1)):
        bulk = Measure.objects.bulk_create(
            [
                Measure(
                    plan=history.plan, code="BULK", title="一括登録", owner_department=history.measure.owner_department
                )
            ]
        )[0]
        Measure.national_items.through.objects.bulk_create(
            [
                Measure.national_items.through(
                    measure_id=bulk.pk,
                    nationalitem_id=NationalItem.objects.get(edition=history.plan.edition, number=5).pk,
                )
            ]
        )
        Milestone.objects.bulk_create(
            [
                Milestone(
                    plan=history.plan,
                    measure=bulk,
                    code="BULK-1",
                    title="一括",
                    due_date=dt.date(2025, 6, 1),
                    owner_department_id=bulk.owner_department_id,
                )
            ]
        )
    before = plan_snapshot(plan=history.plan, day=dt.date(2025, 4, 30))
    after = plan_snapshot(plan=history.plan, day=dt.date(2025, 7, 1))
    assert bulk.pk not in before.measures
    assert [after.item_numbers[i] for i in after.measures[bulk.pk].item_ids] == [5]
    assert {m.code for m in after.milestones.values()} >= {"BULK-1"}
    rows = {
        r.code: r
        for r in measure_rows(
            plan=history.plan, filters=Filters(), today=dt.date(2025, 7, 1), as_of=dt.date(2025, 7, 1)
        )
    }
    assert rows["BULK"].ms_overdue == 1 and rows["BULK"].item_numbers == [5]


def test_a_due_date_moved_by_an_approved_request_says_why(history):
    from milestones.models import DueDateChangeRequest

    staff = make_user("tanto", "staff", history.plan.municipality, [history.measure.owner_department])
    DueDateChangeRequest.objects.create(
        milestone=history.b,
        previous_due_date=dt.date(2025, 6, 30),
        requested_due_date=dt.date(2025, 12, 31),
        reason="ベンダーの提供開始が遅れたため",
        requested_by=staff,
        state=DueDateChangeRequest.State.APPROVED,
    )
    changes = changes_between(plan=history.plan, since=dt.date(2025, 8, 1), until=TODAY)
    moved = next(c for c in changes.changes if c.kind == "due_moved")
    assert moved.note == "当初期限 2025/6/30（理由: ベンダーの提供開始が遅れたため）"
