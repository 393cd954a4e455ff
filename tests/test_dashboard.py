"""Council dashboard: numbers on a hand-built plan, drill-downs that count what the overview shows,
read-only for everyone, public mode, exports that contain what the page shows."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from html import unescape

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from core.formulas import safe_cell
from dashboard.selectors import Filters, milestone_list, plan_overview, plan_timeline
from measures.models import Indicator, WorkStatus
from measures.progress import Health

from .factories import (
    DepartmentFactory,
    IndicatorFactory,
    IndicatorValueFactory,
    MeasureFactory,
    MilestoneFactory,
    PlanFactory,
    ProgressUpdateFactory,
    make_user,
)

TODAY = dt.date(2025, 10, 1)
D, P, N, C = WorkStatus.DONE, WorkStatus.IN_PROGRESS, WorkStatus.NOT_STARTED, WorkStatus.CANCELLED


@pytest.fixture(autouse=True)
def _empty_dashboard_cache():
    from django.conf import settings
    from django.core.cache import caches

    caches[settings.DASHBOARD_CACHE].clear()


@pytest.fixture
def hand(cast):
    """A plan whose every number is computed by hand in the tests below."""
    a, b = cast.joho, cast.shimin
    plan = PlanFactory(municipality=cast.city, code="hand", start_fy=2023, end_fy=2027)
    m1 = MeasureFactory(plan=plan, owner_department=a, code="H1", items=[1, 3], title='=HYPERLINK("x")')
    for status, due in [(D, "2025-06-01"), (C, "2025-07-01"), (P, "2025-09-30"), (N, "2025-10-20")]:
        MilestoneFactory(measure=m1, status=status, due_date=dt.date.fromisoformat(due))
    m2 = MeasureFactory(plan=plan, owner_department=b, code="H2", items=[3])  # no milestones: its latest 40 %
    ProgressUpdateFactory(measure=m2, percent_done=10, comment="内部の検討メモ", is_internal=True)
    ProgressUpdateFactory(measure=m2, percent_done=40, comment="公開できる報告")
    m3 = MeasureFactory(plan=plan, owner_department=b, code="H3", items=[2])
    for due in ("2024-05-01", "2025-02-01"):
        MilestoneFactory(measure=m3, status=D, due_date=dt.date.fromisoformat(due))
    m4 = MeasureFactory(plan=plan, owner_department=a, code="H4", items=[4])
    MilestoneFactory(measure=m4, status=P, due_date=dt.date(2026, 6, 1))
    lower = IndicatorFactory(
        measure=m4,
        name="押印が必要な手続",
        direction=Indicator.Direction.LOWER,
        baseline_value=1000,
        target_value=0,
        baseline_date=dt.date(2023, 4, 1),
        target_fy=2027,
    )
    IndicatorValueFactory(indicator=lower, value=900, as_of=dt.date(2025, 9, 30))  # 10 % of the way: D, behind
    reached = IndicatorFactory(
        measure=m3,
        name="待ち時間（分）",
        direction=Indicator.Direction.LOWER,
        baseline_value=50,
        target_value=10,
        baseline_date=dt.date(2023, 4, 1),
        target_fy=2027,
    )
    IndicatorValueFactory(indicator=reached, value=8, as_of=dt.date(2025, 9, 1))  # below target: A
    MeasureFactory(plan=plan, owner_department=a, code="H5", items=[1])  # nothing at all: 0 %, 未着手
    return plan


def test_progress_per_national_item_matches_hand_computation(hand):
    data = plan_overview(plan=hand, filters=Filters(), today=TODAY)
    by_number = {row.number: row for row in data.items}
    assert len(data.items) == 11  # all eleven, even the empty ones
    assert by_number[1].ratio == pytest.approx((1 + 0) / (3 + 1))  # H1 1/3 (cancelled excluded), H5 0 weighing 1
    assert by_number[3].ratio == pytest.approx((1 + 0.4) / (3 + 1))  # H1, and H2's latest 40 % weighing 1
    assert by_number[2].ratio == 1 and by_number[2].health == Health.DONE
    assert by_number[4].ratio == 0 and by_number[4].health == Health.WARNING  # lower-is-better KPI behind its line
    assert by_number[1].health == Health.LATE and by_number[1].ms_overdue == 1
    assert all(by_number[n].ratio is None and by_number[n].measures == 0 for n in range(5, 12))
    assert data.total.ratio == pytest.approx(3.4 / 8)
    assert (data.total.ms_done, data.total.ms_total) == (3, 6)
    assert data.overdue_count == 1 and data.due_soon_count == 1


def test_departments_kpi_grades_and_health_counts_match_hand_computation(hand, cast):
    data = plan_overview(plan=hand, filters=Filters(), today=TODAY)
    depts = {row.label: row for row in data.departments}
    assert depts["情報政策課"].ratio == pytest.approx(1 / 5)  # H1 1/3 w3, H4 0 w1, H5 0 w1
    assert depts["市民課"].ratio == pytest.approx(2.4 / 3)
    assert data.total.by_health == {
        Health.LATE: 1,
        Health.ON_TRACK: 1,
        Health.DONE: 1,
        Health.WARNING: 1,
        Health.NOT_STARTED: 1,
    }
    grades = {k.name: k.grade for k in data.kpis}
    assert grades == {"押印が必要な手続": "D", "待ち時間（分）": "A"}
    assert dict(data.grade_counts)["D"] == 1 and dict(data.grade_counts)["A"] == 1


def test_filters_narrow_every_number(hand, cast):
    data = plan_overview(plan=hand, filters=Filters(department=cast.shimin.id), today=TODAY)
    assert data.total.measures == 2 and data.overdue_count == 0
    late = plan_overview(plan=hand, filters=Filters(health=Health.LATE), today=TODAY)
    assert late.total.measures == 1 and [r.measures for r in late.items if r.number == 1] == [1]
    fy = plan_timeline(plan=hand, filters=Filters(fy=2024), today=TODAY)
    assert fy.milestone_count == 2 and {c[0] for c in fy.columns} == {2024}  # 2024-05-01 and 2025-02-01


def test_timeline_marks_today_and_overdue(hand):
    tl = plan_timeline(plan=hand, filters=Filters(), today=TODAY)
    assert tl.columns[tl.today_column] == (2025, 3)  # October is Q3 of FY2025
    overdue = [ms for m in tl.measures for ms in m.milestones if ms["overdue"]]
    assert [ms["due_date"] for ms in overdue] == [dt.date(2025, 9, 30)]
    assert tl.milestone_count == 6  # 4 + 2 + 1 less the cancelled one


def _counted_links(html: str) -> list[tuple[str, int]]:
    links = re.findall(
        r'<a (?:class="[^"]*" )?href="(/dashboard/(?:items|milestones|kpis)/\?[^"#]*)"[^>]*>(\d+)</a>', html
    )
    return [(unescape(href), int(n)) for href, n in links]


def _drilldown_count(html: str) -> int:
    return int(re.search(r'<p class="count" role="status">(\d+)', html).group(1))


@pytest.mark.parametrize("filters", ["", "item=3", "dept=__shimin__", "health=late", "fy=2025"])
def test_every_number_on_the_overview_equals_the_length_of_its_drill_down(hand, cast, client, filters):
    client.force_login(cast.council)
    query = filters.replace("__shimin__", str(cast.shimin.id))
    with time_machine.travel(dt.datetime(2025, 10, 1, 9, tzinfo=dt.UTC), tick=False):
        html = client.get(f"/dashboard/?plan=hand&{query}").content.decode()
        links = _counted_links(html)
        assert len(links) >= 5
        for href, number in links:
            page = client.get(href)
            assert page.status_code == 200, href
            assert _drilldown_count(page.content.decode()) == number, href


def test_drill_down_ends_at_the_milestone_detail_page(hand, cast, client):
    client.force_login(cast.council)
    with time_machine.travel(dt.datetime(2025, 10, 1, 9, tzinfo=dt.UTC), tick=False):
        html = client.get("/dashboard/milestones/?plan=hand&item=1&state=overdue").content.decode()
    late = milestone_list(plan=hand, filters=Filters(item=1), state="overdue", today=TODAY).get()
    assert reverse("milestones:detail", args=[late.pk]) in html
    assert "情報政策課" in html  # who owns the late milestone


def test_council_and_viewer_land_on_the_dashboard_and_staff_do_not(cast, client):
    for user in (cast.council, cast.viewer):
        client.force_login(user)
        assert client.get("/").url == reverse("dashboard:overview")
    client.force_login(cast.alice)
    assert client.get("/").url != reverse("dashboard:overview")


@pytest.mark.parametrize(
    "url",
    [
        "/dashboard/",
        "/dashboard/items/",
        "/dashboard/milestones/",
        "/dashboard/kpis/",
        "/dashboard/timeline/",
        "/dashboard/compare/",
        "/dashboard/export/items.csv",
    ],
)
def test_dashboard_is_read_only_for_everyone(cast, client, url):
    for user in (cast.council, cast.viewer, cast.alice, cast.admin):
        client.force_login(user)
        assert client.post(url, {"status": "done"}).status_code == 405
        assert client.get(url).status_code == 200


def test_council_sees_no_edit_controls(hand, cast, client):
    client.force_login(cast.council)
    html = client.get("/dashboard/?plan=hand").content.decode()
    assert 'method="post"' not in html.split("<main")[1].split("</main>")[0]


def test_anonymous_is_sent_to_login_when_public_mode_is_off(cast, client, settings):
    settings.PUBLIC_DASHBOARD = False
    response = client.get("/dashboard/")
    assert response.status_code == 302 and reverse("login") in response.url


def test_other_municipality_plan_is_not_found(cast, client):
    client.force_login(cast.mallory)
    assert client.get("/dashboard/?plan=hand").status_code == 404


def test_bad_filter_values_give_a_japanese_message_not_an_error(cast, client):
    client.force_login(cast.council)
    response = client.get("/dashboard/?fy=令和&dept=x&item=99999&health=bad&pillar=-1")
    assert response.status_code == 200
    assert "正しくないため、無視しました" in response.content.decode()


def test_public_mode_shows_approved_plans_without_internal_comments_or_names(hand, cast, client, settings):
    settings.PUBLIC_DASHBOARD = True
    hand.status = "draft"
    hand.save()
    assert client.get(f"/dashboard/?muni={cast.city.code}&plan=hand").status_code == 404  # drafts stay inside
    hand.status = "approved"
    hand.save()
    pages = [
        client.get(f"{u}?muni={cast.city.code}&plan=hand")
        for u in ("/dashboard/", "/dashboard/items/", "/dashboard/milestones/", "/dashboard/timeline/")
    ]
    assert all(p.status_code == 200 for p in pages)
    text = "".join(p.content.decode() for p in pages)
    assert "内部の検討メモ" not in text and "council1" not in text and "@example.jp" not in text
    assert "/measures/" not in text  # detail pages need a login: public links stop at the lists
    assert client.get("/dashboard/compare/").status_code == 302


def test_exports_contain_what_the_page_shows(hand, cast, client):
    client.force_login(cast.council)
    with time_machine.travel(dt.datetime(2025, 10, 1, 9, tzinfo=dt.UTC), tick=False):
        page = client.get("/dashboard/?plan=hand").content.decode()
        rows = list(
            csv.reader(io.StringIO(client.get("/dashboard/export/items.csv?plan=hand").content.decode("utf-8-sig")))
        )
        wb = load_workbook(io.BytesIO(client.get("/dashboard/export/items.xlsx?plan=hand").content))
        measures_csv = client.get("/dashboard/export/measures.csv?plan=hand").content.decode("utf-8-sig")
        overdue = list(
            csv.reader(io.StringIO(client.get("/dashboard/export/overdue.csv?plan=hand").content.decode("utf-8-sig")))
        )
    assert len(rows) == 12  # header + the 11 items
    item3 = next(r for r in rows if r[0] == "3")
    assert item3[4] == "35" and "35%" in page  # the same percent on the page and in the file
    sheet = wb.active
    assert sheet.cell(row=3, column=2).value == rows[1][1]  # title row, header row, then item 1
    assert sheet.max_row == 13
    assert "'=HYPERLINK" in measures_csv  # formula injection neutralised
    assert [r[0] for r in overdue[1:]] == [
        m.code for m in milestone_list(plan=hand, filters=Filters(), state="overdue", today=TODAY)
    ]


def test_safe_cell_neutralises_formula_prefixes():
    assert [safe_cell(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "ok", -3, Decimal("1.5"))] == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "ok",
        -3,
        Decimal("1.5"),
    ]


def test_comparison_shows_only_the_own_municipality_without_a_compare_scope(cast, client):
    client.force_login(cast.council)
    html = client.get("/dashboard/compare/").content.decode()
    assert "さくら台市" in html and "札幌市" not in html


def test_national_viewer_compares_all_municipalities(cast, client):
    national = make_user("nat", "viewer", cast.city, compare_scope="national")
    DepartmentFactory(municipality=cast.other_city)
    client.force_login(national)
    html = client.get("/dashboard/compare/").content.decode()
    assert "さくら台市" in html and "札幌市" in html
    pref = make_user("tokyo", "viewer", cast.city, compare_scope="13")
    client.force_login(pref)
    html = client.get("/dashboard/compare/").content.decode()
    assert "さくら台市" in html and "札幌市" not in html


def test_a_write_shows_on_the_next_view_despite_the_cache(hand, cast, client, settings):
    settings.DASHBOARD_CACHE_SECONDS = 300
    client.force_login(cast.council)
    with time_machine.travel(dt.datetime(2025, 10, 1, 9, tzinfo=dt.UTC), tick=False):
        before = client.get("/dashboard/?plan=hand&item=2").content.decode()
        assert "100% 完了" in before  # the chart's label for item 2
        ms = hand.milestones.filter(measure__code="H3").first()
        ms.status, ms.completed_on = WorkStatus.IN_PROGRESS, None
        ms.save()
        after = client.get("/dashboard/?plan=hand&item=2").content.decode()
    assert "100% 完了" not in after
    assert "50% 遅延" in after  # reopened and its due date (2024-05-01) has passed
