"""Japanese fiscal years (April–March) and era (和暦) dates: conversion, parsing and formatting.

The import (docs/import-format.md), the dashboards and the reminder e-mails all speak these forms, so they are
defined once here.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Era:
    name: str  # 令和
    letter: str  # R
    start: dt.date  # first day of the era


# Newest first. Start dates are the first day of each era.
ERAS: tuple[Era, ...] = (
    Era("令和", "R", dt.date(2019, 5, 1)),
    Era("平成", "H", dt.date(1989, 1, 8)),
    Era("昭和", "S", dt.date(1926, 12, 25)),
    Era("大正", "T", dt.date(1912, 7, 30)),
    Era("明治", "M", dt.date(1868, 1, 25)),
)
_ERA_BY_KEY = {e.name: e for e in ERAS} | {e.letter: e for e in ERAS} | {e.name[0]: e for e in ERAS}

WEEKDAYS_JA = "月火水木金土日"


class JapaneseDateError(ValueError):
    """A value that is not a date or fiscal year in any accepted form; the message is Japanese."""


def normalize(value: str) -> str:
    """NFKC (full-width digits/letters/spaces → half-width) and trimmed."""
    return unicodedata.normalize("NFKC", value).strip()


# --- fiscal years -----------------------------------------------------------------------------


def fiscal_year(day: dt.date) -> int:
    """The fiscal year (年度) a date falls in: 2026-03-31 → 2025, 2026-04-01 → 2026."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_bounds(fy: int) -> tuple[dt.date, dt.date]:
    """First and last day of a fiscal year."""
    return dt.date(fy, 4, 1), dt.date(fy + 1, 3, 31)


def fiscal_quarter(day: dt.date) -> int:
    """1 for April–June … 4 for January–March."""
    return ((day.month - 4) % 12) // 3 + 1


def era_of(day: dt.date) -> Era:
    for era in ERAS:
        if day >= era.start:
            return era
    raise JapaneseDateError(_("%(date)s は明治より前の日付です。") % {"date": day.isoformat()})


def era_year(day: dt.date) -> tuple[Era, int]:
    era = era_of(day)
    return era, day.year - era.start.year + 1


def _year_label(n: int) -> str:
    return "元" if n == 1 else str(n)


def format_wareki(day: dt.date, *, weekday: bool = False) -> str:
    """2025-04-01 → 令和7年4月1日 (weekday=True: 令和7年4月1日(火)); 2019-05-01 → 令和元年5月1日."""
    era, n = era_year(day)
    text = f"{era.name}{_year_label(n)}年{day.month}月{day.day}日"
    if weekday:
        text += f"({WEEKDAYS_JA[day.weekday()]})"
    return text


def format_fiscal_year(fy: int) -> str:
    """2025 → 令和7年度 (the era of the fiscal year's first day, 4/1); 2019 → 平成31年度."""
    era, n = era_year(dt.date(fy, 4, 1))
    # FY2019 began under 平成 (2019-04-01) and is officially called 平成31年度 / 令和元年度; we use the
    # era at its start, as most municipal documents do.
    return f"{era.name}{_year_label(n)}年度"


def format_fiscal_year_short(fy: int) -> str:
    """2025 → R7."""
    era, n = era_year(dt.date(fy, 4, 1))
    return f"{era.letter}{n}"


# --- parsing ----------------------------------------------------------------------------------

_ERA_NAMES = "|".join(e.name for e in ERAS)
_ERA_LETTERS = "".join(e.letter for e in ERAS)
_WAREKI_RE = re.compile(
    rf"^(?P<era>{_ERA_NAMES}|[{_ERA_LETTERS}])\s*(?P<y>\d{{1,2}}|元)\s*[年./-]\s*"
    rf"(?P<m>\d{{1,2}})\s*[月./-]\s*(?P<d>\d{{1,2}})\s*日?$",
    re.IGNORECASE,
)
_SEIREKI_RE = re.compile(r"^(?P<y>\d{4})\s*[年./-]\s*(?P<m>\d{1,2})\s*[月./-]\s*(?P<d>\d{1,2})\s*日?$")
_COMPACT_RE = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$")
_DATETIME_TAIL_RE = re.compile(r"[ T]00:00(:00)?$")


def _era_date(era_key: str, year_text: str, month: int, day: int, original: str) -> dt.date:
    era = _ERA_BY_KEY[era_key.upper() if len(era_key) == 1 and era_key.isascii() else era_key]
    n = 1 if year_text == "元" else int(year_text)
    if n < 1:
        raise JapaneseDateError(_("「%(value)s」の年が正しくありません。") % {"value": original})
    try:
        day_ = dt.date(era.start.year + n - 1, month, day)
    except ValueError as exc:
        raise JapaneseDateError(_("「%(value)s」は存在しない日付です。") % {"value": original}) from exc
    if day_ < era.start:
        raise JapaneseDateError(
            _("「%(value)s」は%(era)sの期間外です（%(era)sは%(start)sから）。")
            % {"value": original, "era": era.name, "start": format_wareki(era.start)}
        )
    # Past the era's end (平成32年 = 2020) is accepted: plans written before 2019 use such dates.
    return day_


def parse_date(value: object) -> dt.date:
    """Parse a date in any form an admin's Excel may hold.

    Accepts date/datetime objects (Excel date cells), 2025-04-01, 2025/4/1, 2025.4.1, 20250401,
    2025年4月1日, 令和7年4月1日, 令和元年5月1日, R7.4.1, R7/4/1, H31.4.30 (full-width forms too).
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if value is None:
        raise JapaneseDateError(_("日付が空です。"))
    text = _DATETIME_TAIL_RE.sub("", normalize(str(value)))
    if not text:
        raise JapaneseDateError(_("日付が空です。"))
    for pattern in (_SEIREKI_RE, _COMPACT_RE):
        if m := pattern.match(text):
            try:
                return dt.date(int(m["y"]), int(m["m"]), int(m["d"]))
            except ValueError as exc:
                raise JapaneseDateError(_("「%(value)s」は存在しない日付です。") % {"value": value}) from exc
    if m := _WAREKI_RE.match(text):
        return _era_date(m["era"], m["y"], int(m["m"]), int(m["d"]), str(value))
    raise JapaneseDateError(
        _(
            "「%(value)s」は日付として読めません。2025/4/1、2025年4月1日、令和7年4月1日、R7.4.1 のように入力してください。"
        )
        % {"value": value}
    )


_FY_SEIREKI_RE = re.compile(r"^(?P<y>\d{4})\s*(年度?)?$")
_FY_WAREKI_RE = re.compile(rf"^(?P<era>{_ERA_NAMES}|[{_ERA_LETTERS}])\s*(?P<y>\d{{1,2}}|元)\s*(年度?)?$", re.IGNORECASE)


def parse_fiscal_year(value: object) -> int:
    """Parse a fiscal year: 2025, 2025年度, 令和7年度, 令和元年度, R7 → the Western year it starts in."""
    if isinstance(value, bool):
        raise JapaneseDateError(_("「%(value)s」は年度として読めません。") % {"value": value})
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif value is None:
        raise JapaneseDateError(_("年度が空です。"))
    else:
        text = normalize(str(value))
    if m := _FY_SEIREKI_RE.match(text):
        year = int(m["y"])
        if 1900 <= year <= 2200:
            return year
    if m := _FY_WAREKI_RE.match(text):
        key = m["era"]
        era = _ERA_BY_KEY[key.upper() if len(key) == 1 and key.isascii() else key]
        n = 1 if m["y"] == "元" else int(m["y"])
        if n >= 1:
            # 令和元年度 is FY2019 (it began as 平成31年度): the era's first year, whatever month it began.
            return era.start.year + n - 1
    raise JapaneseDateError(
        _("「%(value)s」は年度として読めません。2025、2025年度、令和7年度、R7 のように入力してください。")
        % {"value": value}
    )
