"""What a council member sees first, measured in real Chromium: the 11 national items inside the first
1366×768 screen, no page wider than a 390 px phone, a 年度 filter that changes the numbers of a plan spanning
several years (expected values worked out by hand below), and a 部 filter that counts its 課's measures.
Screenshots of the overview, the 工程表 and a KPI chart go to artifacts/."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from django.utils import timezone

from core.fiscal import fiscal_year
from devdata.demo import DEMO_PASSWORD, MEASURES, seed_demo
from measures.models import WorkStatus
from plans.models import Department, Plan
from tests.factories import MeasureFactory, MilestoneFactory, PlanFactory
from tests.services import require

from .conftest import login

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
AXE = Path(os.getenv("AXE_CORE_PATH", ROOT / "node_modules" / "axe-core" / "axe.min.js"))

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DASHBOARD_PAGES = [
    "/dashboard/",
    "/dashboard/?rollup=1",
    "/dashboard/items/",
    "/dashboard/milestones/?state=overdue",
    "/dashboard/kpis/",
    "/dashboard/timeline/",
    "/dashboard/timeline/?group=item",
    "/dashboard/compare/",
    "/dashboard/compare/?sort=3",
]


@pytest.fixture(autouse=True)
def _empty_dashboard_cache():
    from django.conf import settings
    from django.core.cache import caches

    caches[settings.DASHBOARD_CACHE].clear()


def _page(browser, live_server, username: str, width: int, height: int):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="ja-JP")
    page = context.new_page()
    login(page, live_server, username, DEMO_PASSWORD)
    return context, page


@pytest.fixture
def demo(national_framework):
    return seed_demo()


def test_all_eleven_items_are_inside_the_first_screen_at_1366x768(browser, live_server, demo):
    ARTIFACTS.mkdir(exist_ok=True)
    context, page = _page(browser, live_server, "council", 1366, 768)
    page.goto(f"{live_server.url}/dashboard/")
    rows = page.locator("table.items-glance tbody tr")
    assert rows.count() == 11
    for n in range(11):
        box = rows.nth(n).bounding_box()
        assert box is not None and box["y"] + box["height"] <= 768, (n + 1, box)
    # each row carries its status as a symbol and text, and its late / due-soon counts
    first = rows.nth(0).inner_text()
    assert "遅延" in first or "注意" in first or "順調" in first
    page.screenshot(path=str(ARTIFACTS / "council-overview-1366x768.png"))
    page.screenshot(path=str(ARTIFACTS / "council-overview-full.png"), full_page=True)
    # the late list says how late and why
    late = page.locator("#h-late").locator("xpath=..").locator("table tbody tr").first.inner_text()
    assert "日" in late and ("計画どおり" in late or "調整中" in late), late
    context.close()


@pytest.mark.parametrize("path", DASHBOARD_PAGES + ["/measures/"])
def test_no_dashboard_page_scrolls_sideways_on_a_390px_phone(browser, live_server, demo, path):
    context, page = _page(browser, live_server, "viewer", 390, 844)
    if path == "/measures/":  # the measure page with its KPI charts
        measure = demo.measures.get(code="M02")
        path = f"/measures/{measure.pk}/"
    response = page.goto(f"{live_server.url}{path}")
    assert response.status == 200
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    wide = (
        page.evaluate("""() => [...document.querySelectorAll('body *')].filter(e => {
        if (e.getBoundingClientRect().right <= window.innerWidth + 1) return false;
        if (getComputedStyle(e).position === 'absolute') return true;
        for (let p = e.parentElement; p; p = p.parentElement) {
            if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(p).overflowX)) return false; }
        return true; }).concat([...document.querySelectorAll('body, body > *, main > *, main > * > *')].filter(
        e => e.scrollWidth > window.innerWidth)).slice(0, 8).map(e => e.tagName + '.' + e.getAttribute('class') + ' '
        + Math.round(e.getBoundingClientRect().right) + '/' + e.scrollWidth)""")
    )  # what sticks out, to say why when it fails
    assert widths[0] <= widths[1], (path, widths, wide)
    if path == "/dashboard/":
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "council-overview-390.png"), full_page=True)
    if path == "/dashboard/timeline/":
        page.screenshot(path=str(ARTIFACTS / "council-timeline-390.png"))
    context.close()


def test_the_gantt_chart_pages_by_fiscal_year_and_the_kpi_chart_has_axes(browser, live_server, demo):
    ARTIFACTS.mkdir(exist_ok=True)
    context, page = _page(browser, live_server, "council", 1366, 768)
    page.goto(f"{live_server.url}/dashboard/timeline/")
    this_fy = fiscal_year(timezone.localdate())
    assert page.locator(".fy-nav a[aria-current=page]").inner_text() == f"{this_fy}年度"
    assert page.locator("svg.gantt-row").count() == len(MEASURES)
    assert page.locator("svg.gantt-head").inner_html().count("今日") == 1
    page.screenshot(path=str(ARTIFACTS / "council-timeline-1366x768.png"))
    # keyboard: the next year's link is reachable with Tab and opens that year
    page.locator(".fy-nav a[rel=next]").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert f"fy={this_fy + 1}" in page.url
    assert page.locator(".fy-nav a[aria-current=page]").inner_text() == f"{this_fy + 1}年度"
    # the measure column stays in view when the chart box scrolls sideways (narrow window)
    page.set_viewport_size({"width": 800, "height": 700})
    page.locator(".gantt-wrap").evaluate("el => el.scrollLeft = 400")
    box = page.locator("tbody .g-name").first.bounding_box()
    wrap = page.locator(".gantt-wrap").bounding_box()
    assert abs(box["x"] - wrap["x"]) < 3
    # the year and quarter header stays in view when the chart box scrolls down
    page.locator(".gantt-wrap").evaluate("el => { el.scrollLeft = 0; el.scrollTop = 300; }")
    head = page.locator("thead .g-chart").bounding_box()
    wrap = page.locator(".gantt-wrap").bounding_box()
    assert abs(head["y"] - wrap["y"]) < 3, (head, wrap)
    # A4 landscape: the whole year's chart and the measure names fit the page width
    page.set_viewport_size({"width": 1123, "height": 794})
    page.emulate_media(media="print")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1123
    page.screenshot(path=str(ARTIFACTS / "council-timeline-print.png"))
    pdf = page.pdf(
        path=str(ARTIFACTS / "council-timeline.pdf"),
        format="A4",
        landscape=True,
        print_background=True,
        prefer_css_page_size=True,
    )
    assert pdf[:4] == b"%PDF"
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/dashboard/timeline/?group=item")
    assert page.locator("tr.g-group").count() == 11
    page.screenshot(path=str(ARTIFACTS / "council-timeline-by-item.png"), full_page=True)

    page.goto(f"{live_server.url}/dashboard/kpis/")
    chart = page.locator("svg.kpi-chart").first
    text = chart.inner_html()
    for word in ("目標値", "基準値", "評価", "/4"):  # labels, the grade and dated x-axis ticks
        assert word in text, word
    chart.screenshot(path=str(ARTIFACTS / "council-kpi-chart.png"))
    assert page.locator("details.kpi-table").count() == page.locator("svg.kpi-chart").count()
    context.close()


@pytest.fixture
def years_plan(demo):
    """A plan whose milestones span three fiscal years: last year, this year, next year.

    A (総務課): last year done + open (so overdue); next year two open.  B (市民課): last year done; next year open.
    By hand:  all years  2 done / 6, 1 overdue, progress (1/4·4 + 1/2·2) / 6 = 33 %
              last year  2 done / 3, 1 overdue, progress (1/2·2 + 1/1·1) / 3 = 67 %
              next year  0 done / 3, 0 overdue, progress 0 %
    """
    fy0 = fiscal_year(timezone.localdate())
    city = demo.municipality
    plan = PlanFactory(municipality=city, code="years", start_fy=fy0 - 1, end_fy=fy0 + 1)
    somu, shimin = (
        Department.objects.get(municipality=city, code="SOM-SOMU"),
        Department.objects.get(municipality=city, code="SHI-SHIMIN"),
    )
    a = MeasureFactory(plan=plan, owner_department=somu, code="A", start_fy=fy0 - 1, end_fy=fy0 + 1, items=[1])
    b = MeasureFactory(plan=plan, owner_department=shimin, code="B", start_fy=fy0 - 1, end_fy=fy0 + 1, items=[2])
    done, todo = WorkStatus.DONE, WorkStatus.NOT_STARTED
    for measure, status, due in [
        (a, done, dt.date(fy0 - 1, 6, 1)),
        (a, todo, dt.date(fy0 - 1, 9, 1)),
        (a, todo, dt.date(fy0 + 1, 6, 1)),
        (a, todo, dt.date(fy0 + 1, 9, 1)),
        (b, done, dt.date(fy0 - 1, 7, 1)),
        (b, todo, dt.date(fy0 + 1, 7, 1)),
    ]:
        MilestoneFactory(measure=measure, status=status, due_date=due)
    return plan, fy0


def _tiles(page) -> tuple[str, str, str]:
    tiles = page.locator(".summary .tile")
    return (
        tiles.nth(0).locator(".tile-value").inner_text(),
        tiles.nth(2).locator(".tile-value").inner_text(),
        tiles.nth(3).locator(".tile-value").inner_text(),
    )


def test_the_fiscal_year_filter_changes_every_number(browser, live_server, years_plan):
    plan, fy0 = years_plan
    context, page = _page(browser, live_server, "council", 1366, 900)
    page.goto(f"{live_server.url}/dashboard/?plan={plan.code}")
    assert _tiles(page) == ("33%", "2／6", "1")
    page.select_option("#f-fy", str(fy0 - 1))
    page.click(".dash-filters button[type=submit]")
    page.wait_for_load_state()
    assert f"fy={fy0 - 1}" in page.url  # the filter stays in the URL
    assert _tiles(page) == ("67%", "2／3", "1")
    page.goto(f"{live_server.url}/dashboard/?plan={plan.code}&fy={fy0 + 1}")
    assert _tiles(page) == ("0%", "0／3", "0")
    context.close()


def test_a_bu_filter_counts_the_measures_of_its_ka(browser, live_server, demo):
    somu_bu = Department.objects.get(municipality=demo.municipality, code="SOM")
    expected = sum(1 for m in MEASURES if m.department.startswith("SOM-"))  # 総務課, 情報政策課, 職員課
    assert expected == 6
    context, page = _page(browser, live_server, "council", 1366, 900)
    page.goto(f"{live_server.url}/dashboard/")
    page.select_option("#f-dept", str(somu_bu.pk))
    page.click(".dash-filters button[type=submit]")
    page.wait_for_load_state()
    assert f"dept={somu_bu.pk}" in page.url
    assert page.locator(".summary .tile").nth(1).locator(".tile-value").inner_text() == str(expected)
    assert "対応する施策なし" not in page.locator("table.items-glance tbody tr").first.inner_text()  # item 1: M01
    # the department table can roll up to 部
    page.goto(f"{live_server.url}/dashboard/?rollup=1")
    labels = page.locator("#h-dept").locator("xpath=..").locator("table tbody th").all_inner_texts()
    assert "総務部" in labels and "情報政策課" not in labels
    context.close()


@pytest.mark.parametrize(
    "path", ["/dashboard/?rollup=1", "/dashboard/timeline/?group=item", "/dashboard/compare/?sort=3", "/measures/"]
)
def test_new_views_have_no_serious_accessibility_violation(browser, live_server, demo, path):
    require("axe-core", AXE.exists(), "run `npm ci` (package.json pins axe-core) or set AXE_CORE_PATH")
    context, page = _page(browser, live_server, "viewer", 1280, 900)
    if path == "/measures/":
        path = f"/measures/{demo.measures.get(code='M02').pk}/"
    page.goto(f"{live_server.url}{path}")
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("""async () => await axe.run(document, {
        runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})""")
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], bad
    context.close()


def test_the_comparison_shows_the_demo_neighbours(browser, live_server, demo):
    context, page = _page(browser, live_server, "viewer", 1366, 768)
    page.goto(f"{live_server.url}/dashboard/compare/")
    rows = page.locator("table.compare tbody tr")
    assert rows.count() >= 6
    assert Plan.objects.filter(municipality__code__startswith="13", status=Plan.Status.APPROVED).count() >= 6
    name_cell = rows.first.locator("th").bounding_box()
    assert name_cell["height"] < 40  # the name on one line
    assert page.locator("svg.heat-map").count() == 1
    page.screenshot(path=str(ARTIFACTS / "council-compare.png"), full_page=True)
    context.close()
