"""The dashboards filter by a measure's level of change (デジタル化 / 業務改革 / 変革)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from .factories import MeasureFactory

pytestmark = pytest.mark.django_db


def test_the_drill_down_lists_only_measures_of_the_chosen_level(client, cast):
    cast.measure.change_level = "transformation"
    cast.measure.save()
    MeasureFactory(
        plan=cast.plan, owner_department=cast.shimin, code="D01", title="紙の電子化", change_level="digitization"
    )
    client.force_login(cast.council)
    html = client.get(reverse("dashboard:measures"), {"level": "transformation"}).content.decode()
    assert "M01" in html and "紙の電子化" not in html
    html = client.get(reverse("dashboard:measures"), {"level": "digitization"}).content.decode()
    assert "紙の電子化" in html and cast.measure.title not in html


def test_the_overview_offers_the_level_filter_and_explains_a_bad_value(client, cast):
    client.force_login(cast.council)
    html = client.get(reverse("dashboard:overview"), {"level": "dx!"}).content.decode()
    assert 'name="level"' in html and "変革の段階の指定「dx!」は正しくないため、無視しました。" in html
