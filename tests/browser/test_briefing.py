"""A council member prints the briefing for the next 定例会 from the demo's year of history: one A4 page (PDF and a
print-media screenshot under artifacts/), then looks at the changes since the last session and the plan as of a
past day; the new pages pass axe-core with no serious or critical violation."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest

from council.models import CouncilSession
from devdata.demo import DEMO_PASSWORD, seed_demo
from tests.services import require

from .conftest import login

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
AXE = Path(os.getenv("AXE_CORE_PATH", ROOT / "node_modules" / "axe-core" / "axe.min.js"))

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


def test_the_briefing_prints_on_one_a4_page(council_page, live_server):
    page = council_page
    ARTIFACTS.mkdir(exist_ok=True)
    upcoming = CouncilSession.objects.order_by("-starts_on").first()
    page.goto(f"{live_server.url}/council/")
    page.get_by_role("link", name="A4で表示").first.click()
    page.wait_for_load_state()
    assert f"/council/sessions/{upcoming.pk}/briefing/" in page.url
    assert upcoming.name in page.locator("h1").inner_text()
    body = page.locator("article.briefing").inner_text()
    for part in (
        "国の取組事項（11項目）",
        "前回の会議からの変化",
        "遅れている取組とその理由",
        "国の期限に間に合わないおそれ",
        "これまでの会議での答弁とその進捗",
    ):
        assert part in body
    assert "移行計画の策定" in body  # an overdue commitment of an earlier session
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    page.screenshot(path=str(ARTIFACTS / "briefing-print.png"), full_page=True)
    pdf = page.pdf(path=str(ARTIFACTS / "briefing.pdf"), format="A4", print_background=True, prefer_css_page_size=True)
    assert pdf[:4] == b"%PDF"
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages == 1, f"the briefing printed on {pages} pages"


def test_changes_since_the_last_session_and_a_past_view(council_page, live_server):
    page = council_page
    page.goto(f"{live_server.url}/dashboard/")
    page.get_by_role("link", name="前回の議会からの変化").click()
    page.wait_for_load_state()
    assert "前回の議会（" in page.locator("p.lead").inner_text()
    assert page.locator("section table tbody tr").count() > 0
    page.screenshot(path=str(ARTIFACTS / "changes-since.png"), full_page=True)
    day = (dt.date.today() - dt.timedelta(days=200)).isoformat()
    page.goto(f"{live_server.url}/dashboard/?as_of={day}")
    assert page.locator(".past-view").first.is_visible()
    page.screenshot(path=str(ARTIFACTS / "dashboard-as-of.png"))


@pytest.mark.parametrize("path", ["/dashboard/changes/", "/council/", "/dashboard/?edition=v2.3"])
def test_council_pages_have_no_serious_accessibility_violation(council_page, live_server, path):
    require("axe-core", AXE.exists(), "run `npm ci` (package.json pins axe-core) or set AXE_CORE_PATH")
    page = council_page
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
