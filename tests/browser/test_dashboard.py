"""A council member in real Chromium: logs in, filters by a national item, drills down to a milestone,
prints; every dashboard page passes axe-core with no serious or critical violation. Screenshots go to
artifacts/ (CI keeps them)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from devdata.demo import DEMO_PASSWORD, seed_demo
from tests.services import require

from .conftest import login

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
AXE = Path(os.getenv("AXE_CORE_PATH", ROOT / "node_modules" / "axe-core" / "axe.min.js"))

# Not serialized_rollback: after another transactional test's flush, restoring the serialized role groups
# collides with the ones post_migrate recreated; `national_framework` reloads what the flush removed.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _empty_dashboard_cache():
    from django.conf import settings
    from django.core.cache import caches

    caches[settings.DASHBOARD_CACHE].clear()


@pytest.fixture
def council_page(browser, live_server, national_framework):
    seed_demo()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    page = context.new_page()
    login(page, live_server, "council", DEMO_PASSWORD)
    yield page
    context.close()


def test_council_filters_by_item_drills_down_to_a_milestone_and_prints(council_page, live_server):
    page = council_page
    ARTIFACTS.mkdir(exist_ok=True)
    assert page.url.rstrip("/").endswith("/dashboard")  # the landing page of the council role
    assert page.locator("h1").inner_text() == "DX推進計画 進捗ダッシュボード"
    assert page.locator("table.group-table").first.locator("tbody tr").count() == 11
    page.screenshot(path=str(ARTIFACTS / "dashboard-overview.png"), full_page=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-overview-top.png"))  # the first screen, legible at 1:1

    page.select_option("#f-item", "1")
    page.click(".dash-filters button[type=submit]")
    page.wait_for_load_state()
    assert "item=1" in page.url
    assert page.locator("table.group-table").first.locator("tbody tr").count() == 1
    page.screenshot(path=str(ARTIFACTS / "dashboard-item1.png"), full_page=True)

    total = int(page.locator(".tile").nth(2).locator("a").last.inner_text())  # milestones of item 1
    page.locator(".tile").nth(2).locator("a").last.click()
    page.wait_for_load_state()
    rows = page.locator("table tbody tr")
    assert rows.count() == total
    page.locator("table tbody tr a[href^='/milestones/']").first.click()
    page.wait_for_load_state()
    assert "/milestones/" in page.url and page.locator("h1").count() == 1

    page.goto(f"{live_server.url}/dashboard/")
    page.emulate_media(media="print")
    assert not page.locator(".dash-filters").is_visible()  # the filter form is not printed
    assert page.locator(".as-of").is_visible()  # the as-of date is
    page.screenshot(path=str(ARTIFACTS / "dashboard-print.png"), full_page=True)
    pdf = page.pdf(
        path=str(ARTIFACTS / "dashboard-print.pdf"),
        format="A4",
        landscape=True,
        print_background=True,
        prefer_css_page_size=True,
    )
    assert pdf[:4] == b"%PDF" and len(pdf) > 10_000


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/",
        "/dashboard/?item=3",
        "/dashboard/items/?health=late",
        "/dashboard/milestones/?state=overdue",
        "/dashboard/kpis/",
        "/dashboard/timeline/",
        "/dashboard/compare/",
        "/api/docs/",
    ],
)
def test_dashboard_page_has_no_serious_accessibility_violation(council_page, live_server, path):
    require("axe-core", AXE.exists(), "run `npm ci` (package.json pins axe-core) or set AXE_CORE_PATH")
    page = council_page
    page.goto(f"{live_server.url}{path}")
    page.evaluate(AXE.read_text(encoding="utf-8"))  # via DevTools: the page's strict CSP forbids inline scripts
    result = page.evaluate("""async () => await axe.run(document, {
        runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})""")
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], bad
