"""Open-data API: read-only, JSON and CSV, the same visibility as the dashboard, no people in it."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from dashboard.selectors import Filters, plan_overview

from .factories import IndicatorFactory, IndicatorValueFactory, ProgressUpdateFactory


@pytest.fixture(autouse=True)
def _empty_dashboard_cache():
    from django.conf import settings
    from django.core.cache import caches

    caches[settings.DASHBOARD_CACHE].clear()


@pytest.fixture
def data(cast):
    ProgressUpdateFactory(measure=cast.measure, comment="庁内限りのメモ", is_internal=True)
    value = IndicatorValueFactory(indicator=IndicatorFactory(measure=cast.measure), recorded_by=cast.alice)
    return value


def test_api_lists_only_the_own_municipality(cast, data, client):
    client.force_login(cast.council)
    plans = client.get("/api/plans/").json()["results"]
    assert [p["id"] for p in plans] == [cast.plan.id]
    measures = client.get("/api/measures/").json()["results"]
    assert {m["plan"] for m in measures} == {cast.plan.id} and measures[0]["national_items"] == [1, 3]
    assert client.get(f"/api/plans/{cast.other_plan.id}/").status_code == 404
    assert client.get(f"/api/measures/?plan={cast.other_plan.id}").json()["count"] == 0


def test_api_is_read_only(cast, client):
    client.force_login(cast.admin)
    for url in ("/api/plans/", f"/api/plans/{cast.plan.id}/", "/api/milestones/"):
        assert client.post(url, {}, content_type="application/json").status_code in (403, 405)
        assert client.delete(url).status_code in (403, 405)


def test_anonymous_gets_nothing_unless_public_mode_and_then_only_approved_plans(cast, data, client, settings):
    settings.PUBLIC_DASHBOARD = False
    assert client.get("/api/plans/").status_code == 403
    settings.PUBLIC_DASHBOARD = True
    cast.other_plan.status = "draft"
    cast.other_plan.save()
    ids = [p["id"] for p in client.get("/api/plans/").json()["results"]]
    assert ids == [cast.plan.id]
    body = "".join(
        client.get(u).content.decode()
        for u in ("/api/plans/", "/api/measures/", "/api/milestones/", "/api/indicator-values/")
    )
    assert "alice" not in body and "@example.jp" not in body and "庁内限りのメモ" not in body


def test_csv_output_and_progress_per_national_item(cast, data, client):
    client.force_login(cast.viewer)
    response = client.get("/api/milestones/?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["code"] for r in rows] == ["M01-1"]
    progress = client.get(f"/api/plans/{cast.plan.id}/progress/").json()
    overview = plan_overview(plan=cast.plan, filters=Filters(), today=dt.date.today())
    assert [(p["number"], p["progress_percent"]) for p in progress] == [(r.number, r.percent) for r in overview.items]
    assert len(progress) == 11


def test_bad_parameters_are_a_400_with_a_message(cast, client):
    client.force_login(cast.council)
    response = client.get("/api/measures/?plan=abc")
    assert response.status_code == 400 and "整数" in response.content.decode()
    assert client.get("/api/plans/99999999999999999999/").status_code == 404


def test_schema_and_docs_are_served(client):
    assert b"openapi" in client.get("/api/schema/").content
    docs = client.get("/api/docs/").content.decode()
    assert "/api/plans/{id}/progress/" in docs
