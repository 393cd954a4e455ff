"""The dashboard's query count is fixed: the same for the demo plan and the city-scale plan (500 measures,
3,000 milestones, 30,000 progress updates, 1,000 KPIs), and at most 25."""

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
# every size. With the rendered body cached, overview and timeline need only WARM queries.
WARM = 6
EXPECTED = {
    "/dashboard/": 23,  # 16 + national deadlines (3) + the editions to read the plan against (1) + the 費用対価値 card (3)
    "/dashboard/timeline/": 13,
    "/dashboard/items/?item=3": 15,  # 12 + the item's national deadline and what runs past it (3)
    "/dashboard/milestones/?item=1&state=overdue": 13,
    "/dashboard/kpis/": 12,
    "/dashboard/export/items.csv": 17,  # 16 + the audit log entry every export writes
}


def _pages_use_fixed_queries(client, django_assert_num_queries, plan: Plan) -> None:
    client.get("/healthz")  # the first request after login refreshes the session's expiry (a write)
    for url, expected in EXPECTED.items():
        sep = "&" if "?" in url else "?"
        caches[settings.DASHBOARD_CACHE].clear()
        with django_assert_num_queries(expected):
            response = client.get(f"{url}{sep}plan={plan.code}")
        assert response.status_code == 200, url
        assert expected <= 25
        if url in ("/dashboard/", "/dashboard/timeline/"):
            with django_assert_num_queries(WARM):
                warm = client.get(f"{url}{sep}plan={plan.code}")
            assert _main(warm) == _main(response)  # the same page, from the cache


def _main(response) -> str:
    """The page's <main> (outside it, CSRF tokens differ per request)."""
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


@pytest.mark.django_db
def test_dashboard_pages_use_a_fixed_number_of_queries_on_the_demo_plan(client, django_assert_num_queries):
    plan = seed_demo()
    client.force_login(User.objects.get(username="council"))
    _pages_use_fixed_queries(client, django_assert_num_queries, plan)


@pytest.mark.django_db
def test_dashboard_pages_use_the_same_number_of_queries_at_city_scale(client, django_assert_num_queries):
    generate("city")
    plan = Plan.objects.get(code=SCALE_PLAN_CODE)
    assert plan.measures.count() == 500 and plan.milestones.count() == 3000
    client.force_login(make_user("city-council", "council", plan.municipality))
    _pages_use_fixed_queries(client, django_assert_num_queries, plan)
