"""The work list and the detail pages run a fixed number of queries, however many items there are."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from milestones.services import milestone_update

from .factories import IndicatorFactory, IndicatorValueFactory, MeasureFactory, MilestoneFactory, ProgressUpdateFactory

pytestmark = pytest.mark.django_db

# session, user, role/membership/departments (3), the page's own queries, session save (3 with savepoints)
WORK_LIST_MAX = 17
MEASURE_DETAIL_MAX = 17
MILESTONE_DETAIL_MAX = 10


def _grow(cast, n: int) -> None:
    """n measures of alice's department, each with a milestone (edited once), a KPI with two values and a report;
    plus n more milestones on the cast measure."""
    for i in range(n):
        measure = MeasureFactory(plan=cast.plan, owner_department=cast.joho, items=[1 + i % 11])
        ms = MilestoneFactory(measure=measure, due_date=dt.date(2025, 4, 1) + dt.timedelta(days=10 * i))
        milestone_update(
            milestone=ms, user=cast.alice, status="in_progress", completed_on=None, comment="着手", expected_version=1
        )
        indicator = IndicatorFactory(measure=measure)
        IndicatorValueFactory(indicator=indicator, as_of=dt.date(2025, 3, 31))
        IndicatorValueFactory(indicator=indicator, as_of=dt.date(2025, 9, 30), recorded_by=cast.alice)
        ProgressUpdateFactory(measure=measure, author=cast.alice)
        ProgressUpdateFactory(measure=cast.measure, author=cast.bob)
        extra = MilestoneFactory(measure=cast.measure, owner_department=cast.shimin if i % 2 else cast.joho)
        milestone_update(
            milestone=extra, user=cast.admin, status="delayed", completed_on=None, comment="", expected_version=1
        )
        IndicatorValueFactory(indicator=IndicatorFactory(measure=cast.measure), recorded_by=cast.alice)


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url_of, ceiling",
    [
        (lambda c: reverse("work:mine"), WORK_LIST_MAX),
        (lambda c: reverse("work:mine") + "?ms_status=all&item=1&fy=2025", WORK_LIST_MAX),
        (lambda c: reverse("measures:detail", args=[c.measure.pk]), MEASURE_DETAIL_MAX),
        (lambda c: reverse("milestones:detail", args=[c.milestone.pk]), MILESTONE_DETAIL_MAX),
    ],
    ids=["work-list", "work-list-filtered", "measure-detail", "milestone-detail"],
)
def test_page_query_count_does_not_grow_with_the_number_of_items(
    client, cast, django_assert_max_num_queries, url_of, ceiling
):
    client.force_login(cast.alice)
    url = url_of(cast)
    _grow(cast, 3)
    client.get(url)  # the first view after login refreshes the session's expiry (a write); count the ones after
    small = _count(client, url)
    _grow(cast, 27)  # 30 in all
    with django_assert_max_num_queries(ceiling):
        response = client.get(url)
    assert response.status_code == 200
    assert _count(client, url) == small


def test_the_grown_work_list_really_lists_thirty_measures(client, cast):
    _grow(cast, 30)
    client.force_login(cast.alice)
    response = client.get(reverse("work:mine") + "?ms_status=all")
    assert len(response.context["work"].measures) == 31
    assert len(response.context["work"].milestones) == 61
