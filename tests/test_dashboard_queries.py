"""The dashboard's query count is fixed: the same for the demo plan and the city-scale plan (500 measures,
3,000 milestones, 30,000 progress updates, 1,000 KPIs), and at most 25. The cached pages (overview, 工程表,
the drill-downs) need only WARM queries once their body is cached; the 工程表 at city scale stays ≤ 200 KB."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import caches

from devdata.demo import seed_demo
from devdata.scale import SCALE_PLAN_CODE, generate
from plans.models import Plan

from .factories import make_user

# page → exact number of queries (session, user, access, plan, selectors) with an empty cache; the same at
# every size. The measure rows take 3 (measures with their latest report, the milestone counts grouped over the
# plan's milestones, the item links). With the rendered body cached, the pages in CACHED need only WARM queries.
WARM = 6
EXPECTED = {
    # 17 + national deadlines (3) + the editions to read the plan against (1) + the 費用対価値 card (3)
    "/dashboard/": 24,
    "/dashboard/timeline/": 14,
    "/dashboard/items/?item=3": 16,  # 13 + the item's national deadline and what runs past it (3)
    "/dashboard/items/?page=2": 13,
    "/dashboard/milestones/?item=1&state=overdue": 15,  # + the count of the whole list (the page shows 100)
    "/dashboard/milestones/?page=999": 10,
    "/dashboard/kpis/": 13,
    "/dashboard/kpis/?grade=D&page=x": 13,
    "/dashboard/export/items.csv": 18,  # 17 + the audit log entry every export writes
}
CACHED = ("/dashboard/", "/dashboard/timeline/", "/dashboard/items/", "/dashboard/milestones/", "/dashboard/kpis/")


def _pages_use_fixed_queries(client, django_assert_num_queries, plan: Plan, settings) -> None:
    client.get("/healthz")  # the first request after login refreshes the session's expiry (a write)
    for url, expected in EXPECTED.items():
        sep = "&" if "?" in url else "?"
        caches[settings.DASHBOARD_CACHE].clear()
        with django_assert_num_queries(expected):
            response = client.get(f"{url}{sep}plan={plan.code}")
        assert response.status_code == 200, url
        assert expected <= 25
        if url.split("?")[0] in CACHED:
            with django_assert_num_queries(WARM):
                warm = client.get(f"{url}{sep}plan={plan.code}")
            assert _main(warm) == _main(response), url  # the same page, from the cache


def _main(response) -> str:
    """The page's <main> (outside it, CSRF tokens differ per request)."""
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


@pytest.fixture
def cached(settings):
    settings.DASHBOARD_CACHE_SECONDS = 60
    return settings


@pytest.mark.django_db
def test_dashboard_pages_use_a_fixed_number_of_queries_on_the_demo_plan(client, django_assert_num_queries, cached):
    plan = seed_demo()
    client.force_login(User.objects.get(username="council"))
    _pages_use_fixed_queries(client, django_assert_num_queries, plan, cached)


@pytest.mark.django_db
def test_dashboard_pages_use_the_same_number_of_queries_at_city_scale(client, django_assert_num_queries, cached):
    generate("city")
    plan = Plan.objects.get(code=SCALE_PLAN_CODE)
    assert plan.measures.count() == 500 and plan.milestones.count() == 3000
    client.force_login(make_user("city-council", "council", plan.municipality))
    _pages_use_fixed_queries(client, django_assert_num_queries, plan, cached)

    # The 工程表 sends one fiscal year and 100 measures a page: at most 200 KB of HTML (it was 651 KB).
    caches[settings.DASHBOARD_CACHE].clear()
    timeline = client.get(f"/dashboard/timeline/?plan={plan.code}")
    assert len(timeline.content) <= 200 * 1024, len(timeline.content)
    assert "全500件中 1–100件" in timeline.content.decode()
    last = client.get(f"/dashboard/timeline/?plan={plan.code}&page=5").content.decode()
    assert "全500件中 401–500件" in last and "次へ" not in last and "前へ" in last
    # The overview builds the 12 KPI cards it shows, yet counts every KPI by grade.
    overview = client.get(f"/dashboard/?plan={plan.code}").content.decode()
    assert overview.count('<li class="kpi-card">') == 12
    assert f"{plan.indicators.count()}件</a>）" in overview
