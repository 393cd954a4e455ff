"""The dashboard's query count is fixed: the same for the demo plan and the city-scale plan (500 measures,
3,000 milestones, 30,000 progress updates, 1,000 KPIs), and at most 25."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from plans.demo import seed_demo
from plans.models import Plan
from plans.scale import SCALE_PLAN_CODE, generate

from .factories import make_user

# page → exact number of queries (session, user, access, plan, selectors); the same at every size.
EXPECTED = {
    "/dashboard/": 19,
    "/dashboard/timeline/": 16,
    "/dashboard/items/?item=3": 15,
    "/dashboard/milestones/?item=1&state=overdue": 16,
    "/dashboard/kpis/": 15,
    "/dashboard/export/items.csv": 19,
}


def _pages_use_fixed_queries(client, django_assert_num_queries, plan: Plan) -> None:
    for url, expected in EXPECTED.items():
        sep = "&" if "?" in url else "?"
        with django_assert_num_queries(expected):
            response = client.get(f"{url}{sep}plan={plan.code}")
        assert response.status_code == 200, url
        assert expected <= 25


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
