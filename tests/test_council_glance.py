"""The council's first look, without a browser: a 年度 filter restricts milestones to that year and every number
follows; a 部 includes its 課 and 係 and the department table rolls up; the late list says how late and why;
the 工程表 pages by fiscal year with distinct markers; KPI charts carry axes, target, path and corrections;
the comparison sorts by an item; the demo adds valid neighbouring municipalities."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from core.fiscal import fiscal_year
from dashboard import charts
from dashboard.selectors import Filters, kpi_cards, measure_rows, milestone_list, plan_overview
from measures.models import WorkStatus
from plans.models import Department, Municipality, Plan
from plans.validators import validate_municipality_code

from .factories import (
    DepartmentFactory,
    IndicatorFactory,
    IndicatorValueFactory,
    MeasureFactory,
    MilestoneFactory,
    PlanFactory,
    ProgressUpdateFactory,
)

TODAY = dt.date(2025, 10, 1)  # FY2025
D, N, P = WorkStatus.DONE, WorkStatus.NOT_STARTED, WorkStatus.IN_PROGRESS


@pytest.fixture(autouse=True)
def _empty_dashboard_cache():
    from django.conf import settings
    from django.core.cache import caches

    caches[settings.DASHBOARD_CACHE].clear()


@pytest.fixture
def years(cast):
    """総務部 (a 部) → 総務課 (課) → 文書係 (係); 市民課 stands alone. Milestones in FY2024, 2025 and 2026.

    A (総務課, item 1, FY2024–2026): 2024-06-01 done, 2024-09-01 open (overdue), 2025-10-20 open (due soon),
                                     2026-06-01 open
    B (文書係, item 1, FY2024–2025): 2024-07-01 done, 2025-05-01 done
    C (市民課, item 2, FY2026 only): 2026-05-01 open
    """
    bu = DepartmentFactory(municipality=cast.city, code="SOM", name="総務部", level=Department.Level.BU)
    ka = DepartmentFactory(municipality=cast.city, code="SOM-SOMU", name="総務課", parent=bu)
    kakari = DepartmentFactory(
        municipality=cast.city, code="SOM-BUN", name="文書係", parent=ka, level=Department.Level.KAKARI
    )
    plan = PlanFactory(municipality=cast.city, code="years", start_fy=2024, end_fy=2026)
    a = MeasureFactory(plan=plan, owner_department=ka, code="A", start_fy=2024, end_fy=2026, items=[1])
    b = MeasureFactory(plan=plan, owner_department=kakari, code="B", start_fy=2024, end_fy=2025, items=[1])
    c = MeasureFactory(plan=plan, owner_department=cast.shimin, code="C", start_fy=2026, end_fy=2026, items=[2])
    for measure, status, due in [
        (a, D, "2024-06-01"),
        (a, N, "2024-09-01"),
        (a, N, "2025-10-20"),
        (a, N, "2026-06-01"),
        (b, D, "2024-07-01"),
        (b, D, "2025-05-01"),
        (c, N, "2026-05-01"),
    ]:
        MilestoneFactory(measure=measure, status=status, due_date=dt.date.fromisoformat(due))
    return plan, bu, ka, kakari


def test_the_fiscal_year_filter_counts_only_that_years_milestones(years):
    plan, *_ = years
    every = plan_overview(plan=plan, filters=Filters(), today=TODAY)
    assert (every.total.measures, every.total.ms_done, every.total.ms_total) == (3, 3, 7)
    assert (every.overdue_count, every.due_soon_count) == (1, 1)

    fy2024 = plan_overview(plan=plan, filters=Filters(fy=2024), today=TODAY)
    # A and B are active in 2024 (C is not); their 2024 milestones: A 1 of 2 done, B 1 of 1
    assert (fy2024.total.measures, fy2024.total.ms_done, fy2024.total.ms_total) == (2, 2, 3)
    assert fy2024.total.ratio == pytest.approx((1 / 2 * 2 + 1 * 1) / 3)
    assert (fy2024.overdue_count, fy2024.due_soon_count) == (1, 0)
    item1 = next(r for r in fy2024.items if r.number == 1)
    assert (item1.ms_done, item1.ms_total, item1.ms_overdue, item1.ms_due_soon) == (2, 3, 1, 0)

    fy2025 = plan_overview(plan=plan, filters=Filters(fy=2025), today=TODAY)
    # A: 2025-10-20 open (due soon), B: 2025-05-01 done
    assert (fy2025.total.ms_done, fy2025.total.ms_total, fy2025.overdue_count, fy2025.due_soon_count) == (1, 2, 0, 1)
    a = next(r for r in measure_rows(plan=plan, filters=Filters(fy=2025), today=TODAY) if r.code == "A")
    assert a.health == "warn"  # the 2024 overdue milestone is not 2025's: due soon and not started

    fy2026 = plan_overview(plan=plan, filters=Filters(fy=2026), today=TODAY)
    assert (fy2026.total.measures, fy2026.total.ms_done, fy2026.total.ms_total) == (2, 0, 2)  # A and C
    # the drill-down lists what the numbers count
    assert milestone_list(plan=plan, filters=Filters(fy=2024), state="all", today=TODAY).count() == 3
    assert milestone_list(plan=plan, filters=Filters(fy=2024), state="overdue", today=TODAY).count() == 1
    assert milestone_list(plan=plan, filters=Filters(fy=2026), state="overdue", today=TODAY).count() == 0


def test_a_bu_includes_its_ka_and_kakari_and_the_table_rolls_up(years, cast):
    plan, bu, ka, kakari = years
    assert {r.code for r in measure_rows(plan=plan, filters=Filters(department=bu.id), today=TODAY)} == {"A", "B"}
    assert {r.code for r in measure_rows(plan=plan, filters=Filters(department=ka.id), today=TODAY)} == {"A", "B"}
    assert {r.code for r in measure_rows(plan=plan, filters=Filters(department=kakari.id), today=TODAY)} == {"B"}
    data = plan_overview(plan=plan, filters=Filters(department=bu.id), today=TODAY)
    assert data.total.measures == 2 and next(r for r in data.items if r.number == 1).measures == 2

    tree = {r.label: r for r in plan_overview(plan=plan, filters=Filters(), today=TODAY).departments}
    assert (tree["総務部"].measures, tree["総務課"].measures, tree["文書係"].measures, tree["市民課"].measures) == (
        2,
        2,
        1,
        1,
    )
    assert (tree["総務部"].depth, tree["総務課"].depth, tree["文書係"].depth) == (0, 1, 2)
    rolled = [r.label for r in plan_overview(plan=plan, filters=Filters(rollup=True), today=TODAY).departments]
    assert "総務部" in rolled and "総務課" not in rolled and "文書係" not in rolled and "市民課" in rolled


def test_filter_choices_indent_the_tree_and_say_a_bu_includes_its_ka(years, cast, client):
    client.force_login(cast.council)
    html = client.get("/dashboard/?plan=years").content.decode()
    assert "総務部（配下を含む）" in html and "\u3000総務課" in html and "\u3000\u3000文書係" in html


@pytest.mark.parametrize("query", ["fy=2024", "fy=2025", "dept=__bu__", "rollup=1", "fy=2024&dept=__bu__"])
def test_every_number_still_equals_its_drill_down_with_the_new_filters(years, cast, client, query):
    import re
    from html import unescape

    plan, bu, *_ = years
    client.force_login(cast.council)
    with time_machine.travel(dt.datetime(2025, 10, 1, 9, tzinfo=dt.UTC), tick=False):
        html = client.get(f"/dashboard/?plan=years&{query.replace('__bu__', str(bu.id))}").content.decode()
        links = re.findall(
            r'<a (?:class="[^"]*" )?href="(/dashboard/(?:items|milestones)/\?[^"#]*)"[^>]*>(\d+)</a>', html
        )
        assert len(links) >= 5
        for href, number in links:
            page = client.get(unescape(href)).content.decode()
            count = int(re.search(r'<p class="count" role="status">(\d+)', page).group(1))
            assert count == int(number), href


def test_the_late_list_says_how_late_who_owns_it_and_why(cast, client):
    plan = PlanFactory(municipality=cast.city, code="late")
    m = MeasureFactory(plan=plan, owner_department=cast.shimin, code="L1")
    MilestoneFactory(measure=m, status=N, due_date=dt.date(2025, 9, 1), title="申請様式の改定")
    ProgressUpdateFactory(measure=m, percent_done=30, comment="業者の選定が遅れています")
    ProgressUpdateFactory(measure=m, percent_done=30, comment="人事の内部メモ", is_internal=True)
    client.force_login(cast.council)
    with time_machine.travel(dt.datetime(2025, 10, 1, 9, tzinfo=dt.UTC), tick=False):
        html = client.get("/dashboard/?plan=late").content.decode()
    late = html[html.index('id="h-late"') : html.index('id="h-soon"')]
    assert "30日" in late  # 2025-09-01 → 2025-10-01
    assert "市民課" in late and "業者の選定が遅れています" in late
    assert "人事の内部メモ" not in html  # 庁内限り reports are not for the council


def test_the_timeline_pages_by_fiscal_year_with_distinct_markers(years, cast, client):
    plan, *_ = years
    client.force_login(cast.council)
    with time_machine.travel(dt.datetime(2025, 10, 1, 9, tzinfo=dt.UTC), tick=False):
        html = client.get("/dashboard/timeline/?plan=years").content.decode()  # today's year by default
        assert 'aria-current="page">2025年度' in html and "fy=2024" in html and "fy=2026" in html
        assert "今日 2025/10/1" in html
        fy2026 = client.get("/dashboard/timeline/?plan=years&fy=2026").content.decode()
        grouped = client.get("/dashboard/timeline/?plan=years&fy=2026&group=dept").content.decode()
        bad = client.get("/dashboard/timeline/?plan=years&group=nonsense")
    assert "2026/6/1" in fy2026 and "2024/6/1" not in fy2026  # dates with their year, that year only
    assert fy2026.count('class="gantt-row"') == 2  # A and C are active in FY2026, B is not
    assert "総務課（1件）" in grouped and "市民課（1件）" in grouped
    assert '<input type="hidden" name="group" value="dept">' in grouped  # the filter form keeps the grouping
    assert bad.status_code == 200 and "まとめ方の指定" in bad.content.decode()


def test_gantt_markers_differ_for_interim_and_goal_and_show_overdue():
    common = {"title": "x", "status_label": "未着手", "kind_label": ""}
    svg = charts.gantt_row(
        fy=2025,
        today=TODAY,
        start_fy=2024,
        end_fy=2026,
        milestones=[
            {"id": 1, "due_date": dt.date(2025, 5, 1), "status": "done", "kind": "interim", **common},
            {
                "id": 2,
                "due_date": dt.date(2025, 8, 1),
                "status": "not_started",
                "kind": "interim",
                "overdue": True,
                **common,
            },
            {"id": 3, "due_date": dt.date(2026, 3, 1), "status": "not_started", "kind": "goal", **common},
            {"id": 4, "due_date": dt.date(2026, 5, 1), "status": "not_started", "kind": "goal", **common},  # FY2026
        ],
        url_pattern="/milestones/{}/",
    )
    assert svg.count("<circle") == 2 and svg.count('<path d="M') == 1 + 2  # one diamond, two continuation arrows
    assert ">!</text>" in svg and "/milestones/4/" not in svg
    assert 'fill="#1d6b2f" stroke="#1d6b2f"' in svg  # the done one is filled


def test_the_kpi_chart_has_axes_target_path_points_corrections_and_grade(cast):
    ind = IndicatorFactory(
        measure=cast.measure,
        name="交付率",
        unit="%",
        baseline_value=Decimal("40"),
        target_value=Decimal("90"),
        baseline_date=dt.date(2023, 4, 1),
        target_fy=2026,
    )
    first = IndicatorValueFactory(indicator=ind, value=Decimal("50"), as_of=dt.date(2024, 3, 31))
    IndicatorValueFactory(indicator=ind, value=Decimal("65"), as_of=dt.date(2025, 3, 31))
    first.is_current = False
    first.save()
    IndicatorValueFactory(indicator=ind, value=Decimal("55"), as_of=dt.date(2024, 3, 31), corrects=first)
    card = next(k for k in kpi_cards(plan=cast.plan, filters=Filters(), today=TODAY) if k.id == ind.id)
    assert card.corrected == {dt.date(2024, 3, 31)}
    svg = charts.kpi_chart_for_card(card, today=TODAY)
    for text in ("目標値 90%", "基準値 40", "2023/4", "2026/4", "評価 ", "訂正", "目標への直線", "今日", ">%<"):
        assert text in svg, text
    assert svg.count("<circle") >= 2 and "<desc" in svg and "2024/3/31 55%（訂正）" in svg


def test_the_measure_page_shows_the_kpi_chart(cast, client):
    ind = IndicatorFactory(
        measure=cast.measure,
        name="公開データセット数",
        unit="件",
        baseline_value=Decimal("3"),
        target_value=Decimal("40"),
        baseline_date=dt.date(2023, 4, 1),
        target_fy=2026,
    )
    IndicatorValueFactory(indicator=ind, value=Decimal("21"), as_of=dt.date(2025, 3, 31))
    client.force_login(cast.council)
    html = client.get(f"/measures/{cast.measure.pk}/").content.decode()
    assert 'class="kpi-chart"' in html and "目標値 40件" in html


def test_the_comparison_sorts_by_an_item_and_draws_a_heat_map(cast, client):
    from devdata.demo import seed_demo

    client.force_login(cast.viewer)
    cast.viewer.membership.compare_scope = "13"
    cast.viewer.membership.save()
    seed_demo(today=TODAY)
    html = client.get("/dashboard/compare/?sort=2").content.decode()
    assert 'class="heat-map"' in html and 'aria-sort="descending"' in html
    rows = html[html.index("<tbody>", html.index('class="table compare"')) :]
    names = [
        n for n in ("みどり野市", "あおば台市", "ひばりヶ丘町", "かすみ川市", "しらかば村", "つばさ野市") if n in rows
    ]
    assert len(names) == 6
    bad = client.get("/dashboard/compare/?sort=99")
    assert bad.status_code == 200 and "並べ替え" in bad.content.decode()


def test_demo_neighbours_have_valid_codes_and_seeding_twice_changes_nothing(cast):
    from devdata.demo import NEIGHBOURS, neighbour_code, seed_demo

    seed_demo(today=TODAY)
    counts = (Municipality.objects.count(), Plan.objects.count())
    seed_demo(today=TODAY)
    assert (Municipality.objects.count(), Plan.objects.count()) == counts
    for five, *_ in NEIGHBOURS:
        code = neighbour_code(five)
        validate_municipality_code(code)  # raises on a wrong check digit
        plan = Plan.objects.get(municipality__code=code)
        assert plan.status == Plan.Status.APPROVED and plan.measures.count() >= 8
        assert fiscal_year(TODAY) in range(plan.start_fy, plan.end_fy + 1)


def test_the_public_version_and_the_export_of_the_late_list(cast, client, settings):
    import csv
    import io

    plan = PlanFactory(municipality=cast.city, code="late")
    m = MeasureFactory(plan=plan, owner_department=cast.shimin, code="L1")
    MilestoneFactory(measure=m, status=N, due_date=dt.date(2025, 9, 1), title="申請様式の改定")
    ProgressUpdateFactory(measure=m, percent_done=30, comment="業者の選定が遅れています")
    with time_machine.travel(dt.datetime(2025, 10, 1, 9, tzinfo=dt.UTC), tick=False):
        client.force_login(cast.council)
        body = client.get("/dashboard/export/overdue.csv?plan=late").content.decode("utf-8-sig")
        client.logout()
        settings.PUBLIC_DASHBOARD = True
        public = client.get(f"/dashboard/?muni={cast.city.code}&plan=late").content.decode()
        public_csv = client.get(f"/dashboard/export/overdue.csv?muni={cast.city.code}&plan=late")
    rows = list(csv.reader(io.StringIO(body)))
    header = next(r for r in rows if "超過日数" in r)
    line = next(r for r in rows if "申請様式の改定" in r)
    assert (
        line[header.index("超過日数")] == "30"
        and line[header.index("最新のコメント・理由")] == "業者の選定が遅れています"
    )
    assert "30日" in public and "業者の選定が遅れています" not in public  # open data carries no comments
    assert "業者の選定" not in public_csv.content.decode("utf-8-sig")
