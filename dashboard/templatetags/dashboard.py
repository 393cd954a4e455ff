"""Template helpers of the dashboard: links that keep the current filter, percent text, the KPI line chart."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def qs(context, **changes) -> str:
    """The current dashboard filter as a query string, with some parameters changed ("" removes one)."""
    return context["ctx"].query(**changes)


@register.filter
def pct(value) -> str:
    return "—" if value is None else f"{value}%"


@register.simple_tag
def kpi_line_chart(kpi_row, today=None):
    """The KPI line chart (dashboard/charts.py) for a measure page's KPI row (indicator, values, assessment)."""
    from django.utils import timezone

    from dashboard.charts import kpi_chart

    today = today or timezone.localdate()
    ind = kpi_row.indicator
    current = sorted((v for v in kpi_row.values if v.is_current), key=lambda v: v.as_of)
    return kpi_chart(
        uid=f"ind-{ind.pk}",
        name=ind.name,
        unit=ind.unit,
        baseline=ind.baseline_value,
        baseline_date=ind.baseline_date,
        target=ind.target_value,
        target_fy=ind.target_fy,
        points=[(v.as_of, v.value, v.corrects_id is not None) for v in current],
        grade=kpi_row.assessment.grade,
        today=today,
    )
