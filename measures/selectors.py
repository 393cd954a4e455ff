"""Reads about measures that every page shares: a measure's KPIs with their latest current value and grade."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch

from .models import Indicator, IndicatorValue, Measure, ProgressUpdate
from .progress import KpiAssessment, assess_kpi

# --- KPIs ---------------------------------------------------------------------------------------


@dataclass
class KpiRow:
    indicator: Indicator
    latest: IndicatorValue | None
    assessment: KpiAssessment
    values: list[IndicatorValue]  # every recorded value, corrections included, newest first


def kpi_rows(indicators: list[Indicator]) -> list[KpiRow]:
    """Indicators with `all_values` prefetched (every value, any order) → their latest current value and grade."""
    rows = []
    for ind in indicators:
        values = sorted(ind.all_values, key=lambda v: (v.as_of, v.recorded_at, v.pk), reverse=True)
        latest = next((v for v in values if v.is_current), None)
        assessment = assess_kpi(
            baseline=ind.baseline_value,
            baseline_date=ind.baseline_date,
            target=ind.target_value,
            target_fy=ind.target_fy,
            direction=ind.direction,
            actual=latest.value if latest else None,
            actual_date=latest.as_of if latest else None,
        )
        rows.append(KpiRow(indicator=ind, latest=latest, assessment=assessment, values=values))
    return rows


def indicator_prefetch(lookup: str = "indicators") -> Prefetch:
    values = IndicatorValue.objects.select_related("recorded_by__membership")
    return Prefetch(
        lookup, queryset=Indicator.objects.prefetch_related(Prefetch("values", queryset=values, to_attr="all_values"))
    )


# --- progress reports ----------------------------------------------------------------------------


def latest_progress(*, measure: Measure) -> ProgressUpdate | None:
    """The measure's last progress report (what every progress form starts from), or None."""
    return ProgressUpdate.objects.filter(measure=measure).order_by("-created_at", "-id").first()


def progress_form_initial(*, measure: Measure) -> dict:
    """A progress form opens with the last report's 状況 and 進捗率 (never a silent reset to 未着手)."""
    last = latest_progress(measure=measure)
    return {"status": last.status, "percent_done": last.percent_done} if last else {}
