"""KPI actuals from a workbook follow the same rule as the KPI form (measures.services.indicator_record_values):
a value for a date that already has one is a correction — the old value stays, is_current=False, and the new
one `corrects` it — whichever of the two recorded either value."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.cache import caches

from dashboard.cache import plan_version_key
from importing import services
from measures.models import IndicatorValue
from measures.services import KpiActual, indicator_record_value, indicator_record_values
from milestones.timeline import measure_timeline
from plans.imports import import_change_reason

from .factories import IndicatorFactory
from .import_workbooks import MEASURE_HEADERS, MILESTONE_HEADERS, xlsx

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2025, 3, 31)


def _kpi_workbook(code: str, measure_code: str, name: str, actual, as_of="2025/3/31") -> bytes:
    """Only the KPI's key columns and its actual: the absent columns keep their values."""
    return xlsx(
        {
            "施策": [MEASURE_HEADERS],
            "マイルストーン": [MILESTONE_HEADERS],
            "指標": [
                ["指標コード", "施策コード", "指標名", "実績値", "実績日"],
                [code, measure_code, name, actual, as_of],
            ],
        }
    )


def _values(indicator) -> list[tuple[Decimal, bool, int | None]]:
    return [(v.value, v.is_current, v.corrects_id) for v in indicator.values.order_by("pk")]


def test_importing_a_different_actual_for_a_date_the_form_recorded_keeps_the_old_value_as_a_correction(cast):
    indicator = IndicatorFactory(measure=cast.measure, code="K01", name="オンライン手続数", unit="件")
    typed = indicator_record_value(
        indicator=indicator, user=cast.alice, value=Decimal(80), as_of=AS_OF, source="業務統計", note=""
    )
    run, preview = services.plan_import(
        plan=cast.plan,
        data=_kpi_workbook("K01", "M01", "オンライン手続数", 82.4),
        file_name="kpi.xlsx",
        user=cast.admin,
    )
    changes = [(c.column, c.before, c.after) for c in preview.sheets["指標"].diffs[0].changes]
    assert changes == [("実績値", "80", "82.4")]
    imported = indicator.values.get(is_current=True)
    assert _values(indicator) == [(Decimal(80), False, None), (Decimal("82.4"), True, typed.pk)]
    assert imported.recorded_by == cast.admin and imported.note == import_change_reason(run)
    # The superseded value's own history says who superseded it, and why, as the form's corrections do.
    superseded = typed.history.order_by("history_id").last()
    assert (superseded.is_current, superseded.history_user, superseded.history_change_reason) == (
        False,
        cast.admin,
        import_change_reason(run),
    )
    correction = next(e for e in measure_timeline(measure=cast.measure) if e.kind == "kpi")
    assert correction.is_correction and correction.title == "オンライン手続数 の実績を訂正"
    assert "訂正前: 80件" in correction.details and "実績値: 82.4件" in correction.details


def test_the_same_actual_imported_again_records_nothing(cast):
    indicator = IndicatorFactory(measure=cast.measure, code="K01", name="オンライン手続数")
    indicator_record_value(indicator=indicator, user=cast.alice, value=Decimal(80), as_of=AS_OF, source="", note="")
    _, preview = services.plan_import(
        plan=cast.plan, data=_kpi_workbook("K01", "M01", "オンライン手続数", 80), file_name="kpi.xlsx", user=cast.admin
    )
    assert preview.counts["指標"]["unchanged"] == 1
    assert _values(indicator) == [(Decimal(80), True, None)]


def test_the_form_corrects_an_actual_an_import_recorded(cast):
    indicator = IndicatorFactory(measure=cast.measure, code="K01", name="オンライン手続数")
    services.plan_import(
        plan=cast.plan, data=_kpi_workbook("K01", "M01", "オンライン手続数", 41), file_name="kpi.xlsx", user=cast.admin
    )
    imported = indicator.values.get()
    corrected = indicator_record_value(
        indicator=indicator, user=cast.alice, value=Decimal(45), as_of=AS_OF, source="", note="集計漏れ"
    )
    assert _values(indicator) == [(Decimal(41), False, None), (Decimal(45), True, imported.pk)]
    assert corrected.corrects == imported and corrected.recorded_by == cast.alice


def test_a_whole_plans_actuals_are_recorded_in_a_fixed_number_of_queries(cast, django_assert_max_num_queries):
    indicators = [IndicatorFactory(measure=cast.measure, code=f"K{i:02d}") for i in range(40)]
    indicator_record_values(actuals=[KpiActual(k.pk, Decimal(1), AS_OF) for k in indicators[:20]], user=cast.admin)
    actuals = [KpiActual(k.pk, Decimal(2), AS_OF) for k in indicators]  # 20 corrections, 20 new values
    with django_assert_max_num_queries(8):
        recorded = indicator_record_values(actuals=actuals, user=cast.admin, change_reason="一括")
    assert len(recorded) == 40 and sum(1 for v in recorded if v.corrects_id) == 20
    assert IndicatorValue.objects.filter(indicator__in=indicators, is_current=True).count() == 40
    assert IndicatorValue.objects.filter(indicator__in=indicators, is_current=False).count() == 20


def test_a_kpi_actual_from_the_form_drops_the_cached_dashboards(cast):
    indicator = IndicatorFactory(measure=cast.measure)
    cache = caches[getattr(settings, "DASHBOARD_CACHE", "default")]
    key = plan_version_key(indicator.plan_id)  # the cached pages of the indicator's plan (others keep theirs)
    cache.set(key, 1, None)
    indicator_record_value(indicator=indicator, user=cast.alice, value=Decimal(3), as_of=AS_OF, source="", note="")
    assert cache.get(key) != 1
