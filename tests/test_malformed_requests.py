"""NUL bytes and out-of-range numbers in paths and query strings answer a 400 (or 404) page, never a 500,
on SQLite and PostgreSQL (PostgreSQL refuses NUL in text; datetime and SQLite refuse such numbers).

Run on PostgreSQL too: DATABASE_URL=$DXPORTAL_TEST_POSTGRES_URL pytest tests/test_malformed_requests.py
"""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

HUGE = "9999999999999999999999"

# (who, url, the status it must get)
INPUTS = [
    ("anonymous", "/calendar/{token}%00.ics", 400),
    ("anonymous", "/calendar/%00{token}.ics", 400),
    ("council", "/dashboard/?plan=%00", 400),
    ("council", "/dashboard/?plan=dx%00", 400),
    ("council", "/dashboard/kpis/?plan=dx&grade=%00", 400),
    ("council", f"/dashboard/?plan=dx&page={HUGE}", 400),
    ("council", "/dashboard/export/kpis.csv?plan=%00", 400),
    ("council", "/dashboard/compare/?municipality=%00", 400),
    ("council", f"/dashboard/compare/?municipality={HUGE}", 400),
    ("alice", "/work/?q=%00", 400),
    ("alice", f"/measures/{HUGE}/", 404),
    ("alice", f"/milestones/{HUGE}/", 404),
    ("alice", f"/milestones/{HUGE}/update/", 404),
    ("council", "/api/plans/?municipality=%00", 400),
    ("council", f"/api/plans/?page={HUGE}", 400),
    ("admin", f"/admin/milestones/milestone/?due_date__year={HUGE}", 400),
    ("admin", f"/admin/milestones/milestone/?due_date__year=2026&due_date__month={HUGE}", 400),
    ("admin", "/admin/milestones/milestone/?q=%00", 400),
    ("admin", "/admin/milestones/milestone/?owner_department__id__exact=%00", 400),
    ("admin", f"/admin/milestones/milestone/?owner_department__id__exact={HUGE}", 400),
    ("admin", f"/admin/plans/plan/{HUGE}/change/", 302),  # Django admin: "does not exist" → admin index
    ("admin", f"/admin/plans/plan/{HUGE}/history/", 404),
    ("admin", "/admin/plans/plan/%00/change/", 400),
    ("admin", "/admin/autocomplete/?app_label=milestones&model_name=milestone&field_name=measure&term=%00", 400),
    ("admin", f"/admin/autocomplete/?app_label=milestones&model_name=milestone&field_name=measure&page={HUGE}", 400),
]


@pytest.mark.parametrize(("who", "url", "expected"), INPUTS)
def test_malformed_input_gets_a_clear_page_not_a_server_error(cast, who, url, expected):
    cast.joho.rotate_calendar_token()
    client = Client(raise_request_exception=False)
    if who != "anonymous":
        client.force_login({"council": cast.council, "alice": cast.alice, "admin": cast.admin}[who])
    response = client.get(url.format(token=cast.joho.calendar_token))
    assert response.status_code == expected, response.content[:500]
    if expected == 400:
        assert "リクエストを処理できません" in response.content.decode()


def test_valid_queries_still_pass(cast, client):
    client.force_login(cast.admin)
    assert client.get("/admin/milestones/milestone/?due_date__year=2026").status_code == 200
    assert client.get("/dashboard/?plan=dx").status_code == 200
    cast.joho.rotate_calendar_token()
    assert Client().get(f"/calendar/{cast.joho.calendar_token}.ics").status_code == 200
