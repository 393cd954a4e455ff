"""National deadlines beside the city's schedule, and the plan read against a later framework edition."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from dashboard.deadlines import against_edition, deadline_risks
from dashboard.selectors import Filters, measure_rows
from measures.models import WorkStatus
from plans.models import FrameworkEdition

from .factories import MeasureFactory, MilestoneFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 11, 1)


@pytest.fixture
def plan(cast):
    """Item 1 (標準化, deadline 2026-03-31): one milestone inside, one after it, one cancelled after it.
    Item 3 (オンライン化, deadline 2023-03-31, passed): one open milestone, one done before the deadline."""
    cast.milestone.due_date = dt.date(2026, 1, 31)  # M01 (items 1 and 3)
    cast.milestone.save()
    MilestoneFactory(measure=cast.measure, code="AFTER", title="全業務の移行", due_date=dt.date(2026, 9, 30))
    MilestoneFactory(
        measure=cast.measure, code="DROP", title="中止", due_date=dt.date(2027, 1, 1), status=WorkStatus.CANCELLED
    )
    online = MeasureFactory(
        plan=cast.plan, owner_department=cast.shimin, code="M03", items=[3], start_fy=2022, end_fy=2022
    )
    MilestoneFactory(
        measure=online, code="EARLY", title="様式の見直し", due_date=dt.date(2022, 12, 1), status=WorkStatus.DONE
    )
    MilestoneFactory(measure=online, code="OPEN", title="オンライン受付", due_date=dt.date(2023, 2, 1))
    return cast.plan


def test_milestones_and_measures_past_the_national_deadline_are_flagged_and_counted(plan):
    risks = {r.number: r for r in deadline_risks(plan=plan, today=TODAY)}
    assert set(risks) == {1, 2, 3}  # the items of 第1.0版 that have a national deadline
    assert [m.code for m in risks[1].milestones] == ["AFTER"]
    assert risks[1].milestones[0].days_past == (dt.date(2026, 9, 30) - dt.date(2026, 3, 31)).days
    assert risks[1].measure_codes == ["M01"]  # its period (to FY2027) runs past the deadline too
    # item 3's deadline has passed: M01's milestones are after it, OPEN is still open
    assert sorted(m.code for m in risks[3].milestones) == ["AFTER", "M01-1", "OPEN"]
    assert risks[3].passed and risks[2].milestone_count == 0 and not risks[2].at_risk


def test_the_deadlines_as_of_a_past_day_use_the_schedule_of_that_day(plan, cast):
    import time_machine

    with time_machine.travel(dt.datetime(2030, 1, 1, tzinfo=dt.UTC), tick=False):
        cast.milestone.due_date = dt.date(2026, 12, 31)  # moved past the deadline later
        cast.milestone.save()
    now = {r.number: r for r in deadline_risks(plan=plan, today=dt.date(2030, 1, 2), as_of=dt.date(2030, 1, 2))}
    before = {r.number: r for r in deadline_risks(plan=plan, today=TODAY, as_of=dt.date.today())}
    assert "M01-1" in [m.code for m in now[1].milestones]
    assert "M01-1" not in [m.code for m in before[1].milestones]


def test_overview_and_item_page_show_the_national_deadline(plan, cast):
    import time_machine

    client = Client()
    client.force_login(cast.council)
    with time_machine.travel(dt.datetime(2025, 11, 1, 3, tzinfo=dt.UTC), tick=False):
        html = client.get("/dashboard/").content.decode()
        item = client.get("/dashboard/items/?item=1").content.decode()
    assert "国の期限と市の工程" in html and "2026/3/31" in html and "AFTER 全業務の移行" in html
    assert "国の期限（1. 自治体の情報システムの標準化・共通化）: 2026/3/31" in item
    assert "期限後の予定・未完了のマイルストーン 1件、期限を越える施策 1件" in item


def test_the_plan_against_a_later_edition_goes_through_the_crosswalk(plan, cast):
    rows = measure_rows(plan=plan, filters=Filters(), today=TODAY)
    view = against_edition(rows=rows, plan=plan, edition=FrameworkEdition.objects.get(code="v2.3"))
    by_number = {r.number: r for r in view.rows}
    assert len(view.rows) == 7
    assert by_number[1].measures == 2  # フロントヤード改革 ← 行政手続のオンライン化 (M01, M03) and BPR
    assert by_number[2].measures == 1  # 標準化 ← 標準化 (M01)
    assert by_number[3].measures == 0  # eLTAX: nothing maps onto it
    assert [r.number for r in view.unmapped] == [7, 8, 10, 11]
    client = Client()
    client.force_login(cast.council)
    html = client.get("/dashboard/?edition=v2.3").content.decode()
    assert "第2.3版の取組事項で見た進捗" in html and "新しい版に対応づけのない取組事項" in html
    assert "11. 官民データ活用推進計画策定の推進（施策 0）— 対応なし" in html


def test_the_cache_keeps_past_views_apart(plan, cast, settings):
    settings.DASHBOARD_CACHE_SECONDS = 60
    from django.core.cache import caches

    caches[settings.DASHBOARD_CACHE].clear()
    client = Client()
    client.force_login(cast.council)
    today = client.get("/dashboard/").content.decode()
    day = dt.date.today().isoformat()
    past = client.get(f"/dashboard/?as_of={day}").content.decode()
    assert "過去の時点の表示です" in past and "過去の時点の表示です" not in today
    assert "過去の時点の表示です" not in client.get("/dashboard/").content.decode()
