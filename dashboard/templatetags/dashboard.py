"""Template helpers of the dashboard: links that keep the current filter, and percent text."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def qs(context, **changes) -> str:
    """The current dashboard filter as a query string, with some parameters changed ("" removes one)."""
    return context["ctx"].query(**changes)


@register.filter
def pct(value) -> str:
    return "—" if value is None else f"{value}%"
