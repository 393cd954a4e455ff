import datetime as dt

import pytest

from core.fiscal import (
    JapaneseDateError,
    fiscal_quarter,
    fiscal_year,
    fiscal_year_bounds,
    format_fiscal_year,
    format_fiscal_year_short,
    format_wareki,
    parse_date,
    parse_fiscal_year,
)


@pytest.mark.parametrize(
    ("day", "fy"),
    [
        (dt.date(2026, 3, 31), 2025),
        (dt.date(2026, 4, 1), 2026),
        (dt.date(2025, 12, 31), 2025),
        (dt.date(2026, 1, 1), 2025),
    ],
)
def test_fiscal_year_turns_on_april_first(day, fy):
    assert fiscal_year(day) == fy


def test_fiscal_year_bounds_and_quarters():
    assert fiscal_year_bounds(2025) == (dt.date(2025, 4, 1), dt.date(2026, 3, 31))
    assert [fiscal_quarter(dt.date(2025, m, 1)) for m in (4, 6, 7, 10, 12, 1, 3)] == [1, 1, 2, 3, 3, 4, 4]


def test_era_changes_between_heisei_31_and_reiwa_gannen():
    assert format_wareki(dt.date(2019, 4, 30)) == "平成31年4月30日"
    assert format_wareki(dt.date(2019, 5, 1)) == "令和元年5月1日"
    assert format_wareki(dt.date(1989, 1, 7)) == "昭和64年1月7日"
    assert format_wareki(dt.date(1989, 1, 8)) == "平成元年1月8日"


def test_wareki_with_weekday_for_reminder_mails():
    assert format_wareki(dt.date(2025, 4, 1), weekday=True) == "令和7年4月1日(火)"


def test_fiscal_year_labels():
    assert format_fiscal_year(2025) == "令和7年度"
    assert format_fiscal_year(2020) == "令和2年度"
    assert format_fiscal_year(2019) == "平成31年度"  # began on 2019-04-01, under 平成
    assert format_fiscal_year_short(2025) == "R7"


@pytest.mark.parametrize(
    "text",
    [
        "2025-04-01",
        "2025/4/1",
        "2025.4.1",
        "20250401",
        "2025年4月1日",
        "令和7年4月1日",
        "R7.4.1",
        "R7/4/1",
        "r7.4.1",
        "２０２５／４／１",
        "令和７年４月１日",
        " 2025/04/01 ",
        "2025-04-01 00:00:00",
    ],
)
def test_parse_date_accepts_every_documented_form(text):
    assert parse_date(text) == dt.date(2025, 4, 1)


def test_parse_date_gannen_and_boundaries():
    assert parse_date("令和元年5月1日") == dt.date(2019, 5, 1)
    assert parse_date("H31.4.30") == dt.date(2019, 4, 30)
    assert parse_date("平成31年3月31日") == dt.date(2019, 3, 31)
    assert parse_date(dt.datetime(2025, 4, 1, 0, 0)) == dt.date(2025, 4, 1)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("令和1年4月30日", "令和の期間外"),  # 令和 began on 5/1
        ("2025/2/29", "存在しない日付"),
        ("R7.13.1", "存在しない日付"),
        ("来年の春", "日付として読めません"),
        ("", "空"),
    ],
)
def test_parse_date_rejects_with_a_japanese_reason(text, fragment):
    with pytest.raises(JapaneseDateError, match=fragment):
        parse_date(text)


@pytest.mark.parametrize(
    ("value", "fy"),
    [
        ("2025", 2025),
        (2025, 2025),
        (2025.0, 2025),
        ("2025年度", 2025),
        ("令和7年度", 2025),
        ("R7", 2025),
        ("r7", 2025),
        ("令和元年度", 2019),
        ("平成31年度", 2019),
        ("２０２５年度", 2025),
    ],
)
def test_parse_fiscal_year(value, fy):
    assert parse_fiscal_year(value) == fy


@pytest.mark.parametrize("value", ["今年度", "25", "令和年度", True, None])
def test_parse_fiscal_year_rejects(value):
    with pytest.raises(JapaneseDateError):
        parse_fiscal_year(value)
