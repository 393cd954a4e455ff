"""The dashboard's fast paths (issue 14): per-plan cache versions, paged drill-downs, the overview building
only the KPI cards it shows. Timings are measured by bench/dashboard_bench.py, never asserted here."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dashboard import cache as dash_cache
from dashboard.paging import page_number, paginate
from dashboard.selectors import Filters, _kpi_data, _kpis, plan_overview
from measures.rollup import bulk_refreshed
from measures.services import KpiActual, indicator_record_values

from .factories import (
    IndicatorFactory,
    IndicatorValueFactory,
    MeasureFactory,
    MilestoneFactory,
    ProgressUpdateFactory,
    national_item,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.DASHBOARD_CACHE_SECONDS = 60
    caches[settings.DASHBOARD_CACHE].clear()


def _versions(*plans) -> list:
    c = caches[settings.DASHBOARD_CACHE]
    return [c.get(dash_cache.plan_version_key(p.pk)) for p in plans]


def _seed_versions(*plans) -> None:
    c = caches[settings.DASHBOARD_CACHE]
    for p in plans:
        c.set(dash_cache.plan_version_key(p.pk), 1, None)
    c.set(dash_cache.VERSION_KEY, 1, None)


@pytest.mark.parametrize(
    "write",
    [
        lambda cast: MilestoneFactory(measure=cast.other_measure),
        lambda cast: MeasureFactory(plan=cast.other_plan, owner_department=cast.other_measure.owner_department),
        lambda cast: ProgressUpdateFactory(measure=cast.other_measure),
        lambda cast: IndicatorValueFactory(indicator=IndicatorFactory(measure=cast.other_measure)),
        lambda cast: cast.other_measure.national_items.add(national_item(5)),
        lambda cast: cast.other_plan.save(),
        lambda cast: bulk_refreshed.send(sender=None, plan_ids=[cast.other_plan.pk]),
    ],
    ids=["milestone", "measure", "progress", "kpi-value", "item-link", "plan", "bulk-refresh"],
)
def test_a_write_in_another_municipality_keeps_this_plans_cached_pages(cast, write):
    _seed_versions(cast.plan, cast.other_plan)
    write(cast)
    mine, theirs = _versions(cast.plan, cast.other_plan)
    assert mine == 1  # untouched
    assert theirs != 1  # the plan written to is invalidated
    assert caches[settings.DASHBOARD_CACHE].get(dash_cache.VERSION_KEY) == 1


def test_national_items_and_refreshes_of_every_plan_bump_the_global_version(cast):
    _seed_versions(cast.plan)
    national_item(2).save()
    c = caches[settings.DASHBOARD_CACHE]
    assert c.get(dash_cache.VERSION_KEY) != 1
    c.set(dash_cache.VERSION_KEY, 1, None)
    bulk_refreshed.send(sender=None, plan_ids=None)
    assert c.get(dash_cache.VERSION_KEY) != 1


def test_bulk_kpi_values_bump_only_their_plan(cast):
    mine = IndicatorFactory(measure=cast.measure)
    _seed_versions(cast.plan, cast.other_plan)
    indicator_record_values(actuals=[KpiActual(mine.pk, Decimal(5), mine.baseline_date)], user=cast.admin)
    assert _versions(cast.plan, cast.other_plan)[0] != 1
    assert _versions(cast.plan, cast.other_plan)[1] == 1


def test_the_cached_overview_survives_a_write_elsewhere_and_not_a_write_here(cast, client):
    client.force_login(cast.council)
    client.get("/healthz")
    first = client.get("/dashboard/items/").content.decode()  # computed, then cached
    with CaptureQueriesContext(connection) as warm:
        client.get("/dashboard/items/")
    MilestoneFactory(measure=cast.other_measure, title="よその市のマイルストーン")
    with CaptureQueriesContext(connection) as after_other:
        client.get("/dashboard/items/")
    assert len(after_other) == len(warm)  # still served from the cache
    MeasureFactory(plan=cast.plan, owner_department=cast.joho, code="M99", title="新しい施策ここ")
    with CaptureQueriesContext(connection) as after_mine:
        html = client.get("/dashboard/items/").content.decode()
    assert len(after_mine) > len(warm)  # recomputed
    assert "新しい施策ここ" not in first and "新しい施策ここ" in html


@pytest.mark.parametrize("raw, expected", [("", 1), ("0", 1), ("-3", 1), ("abc", 1), ("2", 2), ("9" * 30, 999999999)])
def test_page_numbers_never_fail(raw, expected):
    assert page_number(raw) == expected


def test_a_page_beyond_the_last_shows_the_last():
    pager = paginate(250, 99)
    assert (pager.number, pager.pages, pager.start, pager.end) == (3, 3, 201, 250)
    assert paginate(0, 5).number == 1 and paginate(0, 5).start == 0


@pytest.mark.parametrize("page", ["abc", "0", "999", "%20"])
def test_drill_downs_take_any_page_number(cast, client, page):
    client.force_login(cast.council)
    for url in ("/dashboard/items/", "/dashboard/milestones/", "/dashboard/kpis/", "/dashboard/timeline/"):
        response = client.get(f"{url}?page={page}")
        assert response.status_code == 200, url


def test_the_overview_grades_every_kpi_but_builds_cards_for_those_shown(cast):
    measure = cast.measure
    for n in range(15):  # more KPIs than the 12 cards shown
        k = IndicatorFactory(measure=measure, code=f"K{n:02d}", target_value=100, baseline_value=0)
        IndicatorValueFactory(indicator=k, value=n * 7)
    data = plan_overview(plan=cast.plan, filters=Filters(), today=cast.milestone.due_date)
    full = _kpis(plan=cast.plan, measure_ids=None)
    assert data.kpi_count == 15 and len(data.kpis) == 12
    expected_counts = {g: sum(1 for k in full if (k.grade or "-") == g) for g in ("A", "B", "C", "D", "-")}
    assert dict(data.grade_counts) == expected_counts
    by_id = {k.id: k for k in full}
    for card in data.kpis:  # the cards shown are the full cards (series included), worst first
        assert card == by_id[card.id]
    assert [c.id for c in data.kpis] == [
        k.id
        for k in sorted(
            full,
            key=lambda k: (
                {"D": 0, "C": 1, "B": 2, "A": 3, None: 4}[k.grade],
                k.achievement if k.achievement is not None else 9,
            ),
        )
    ][:12]
    grades = {g.id: g for g in _kpi_data(plan=cast.plan).grades}
    assert all(grades[k.id].grade == k.grade and grades[k.id].behind == k.behind for k in full)


def test_timeline_rows_link_to_their_measure(cast, client):
    client.force_login(cast.council)
    html = client.get("/dashboard/timeline/?fy=2025").content.decode()
    assert f'href="{reverse("measures:detail", args=[cast.measure.pk])}"' in html
    assert 'href=""' not in html
