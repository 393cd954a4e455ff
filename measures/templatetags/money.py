"""Money as Japanese municipal documents write it. Budgets and 決算 are stored in 千円 (thousands of yen)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.translation import gettext as _

register = template.Library()


def _number(value) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


@register.filter
def money(value) -> str:
    """千円 with separators: 480000 → 「480,000千円」; None → 「—」."""
    number = _number(value)
    if number is None:
        return "—"
    return _("%(amount)s千円") % {"amount": f"{number:,.0f}"}


def yen_words(yen: int) -> str:
    """億・万 units as people read them: 480000000 → 「4億8,000万円」, 1234000 → 「123万4,000円」."""
    sign = "-" if yen < 0 else ""
    yen = abs(yen)
    oku, rest = divmod(yen, 10**8)
    man, en = divmod(rest, 10**4)
    parts = []
    if oku:
        parts.append(f"{oku:,}億")
    if man:
        parts.append(f"{man:,}万")
    if en or not parts:
        parts.append(f"{en:,}")
    return sign + "".join(parts) + "円"


@register.filter
def money_words(value) -> str:
    """A 千円 amount in 億・万 units: 480000 → 「4億8,000万円」; None → 「—」."""
    number = _number(value)
    if number is None:
        return "—"
    return yen_words(int(number * 1000))


@register.filter
def yen(value) -> str:
    """A yen amount with separators: 12345 → 「12,345円」; None → 「—」."""
    number = _number(value)
    if number is None:
        return "—"
    return f"{number:,.0f}円"


@register.filter
def plain_number(value) -> str:
    """A stored decimal as a person writes it: 48.5000 → 「48.5」, 90.0000 → 「90」, 12000 → 「12,000」; None → 「—」."""
    number = _number(value)
    if number is None:
        return "—"
    return format(number.normalize(), ",f")
