"""Business days of a Japanese municipal office: no weekends, no public holidays (jpholiday),
no year-end closure 12/29–1/3."""

from __future__ import annotations

import datetime as dt

import jpholiday


def is_year_end_closure(day: dt.date) -> bool:
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def is_business_day(day: dt.date) -> bool:
    return day.weekday() < 5 and not jpholiday.is_holiday(day) and not is_year_end_closure(day)


def next_business_day(day: dt.date) -> dt.date:
    """The first business day strictly after `day`."""
    day += dt.timedelta(days=1)
    while not is_business_day(day):
        day += dt.timedelta(days=1)
    return day
