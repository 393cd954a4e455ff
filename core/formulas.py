"""Formula neutralising: the one rule every export follows (CSV and Excel injection, "DDE").

A text cell that a spreadsheet would run as a formula — it starts with = + - @, or a tab / carriage return —
gets a leading apostrophe, so a measure titled "=HYPERLINK(…)" stays text. Text that already starts with
apostrophes before such a character gets one more, so `unneutralise` (the import side) is exact and an
export → edit → import round trip gives back what was exported.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.utils.translation import gettext as _

NEUTRALISER = "'"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_TRIGGER_RE = re.compile(r"^'*[=+\-@\t\r]")


def neutralise(text: str) -> str:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe."""
    if text and _TRIGGER_RE.match(text):
        return NEUTRALISER + text
    return text


def unneutralise(text: str) -> str:
    """Undo `neutralise` (import side)."""
    if text.startswith(NEUTRALISER) and _TRIGGER_RE.match(text[1:]):
        return text[1:]
    return text


def safe_cell(value):
    """A value ready for a CSV or .xlsx cell: numbers and dates as they are, booleans as はい/いいえ,
    None as empty, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("はい") if value else _("いいえ")
    if isinstance(value, (int, float, Decimal, dt.date)):
        return value
    return neutralise(str(value))
