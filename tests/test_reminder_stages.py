"""Which stage a milestone is at on a run date, on the Japanese office calendar."""

from __future__ import annotations

import datetime as dt

import pytest

from milestones.business_days import is_business_day, next_business_day
from milestones.reminders import horizon_for, stage_for

D = dt.date


def stage_on(run_date: dt.date, due_date: dt.date) -> str | None:
    stage = stage_for(due_date=due_date, run_date=run_date, horizon=horizon_for(run_date))
    return stage.key if stage else None


def test_weekends_holidays_and_the_year_end_closure_are_not_business_days():
    assert is_business_day(D(2026, 11, 20))  # Friday
    assert not is_business_day(D(2026, 11, 21))  # Saturday
    assert not is_business_day(D(2026, 11, 23))  # 勤労感謝の日 (Monday)
    assert not is_business_day(D(2026, 12, 29)) and not is_business_day(D(2027, 1, 1))
    assert is_business_day(D(2026, 12, 28)) and is_business_day(D(2027, 1, 4))
    assert next_business_day(D(2026, 11, 20)) == D(2026, 11, 24)
    assert next_business_day(D(2026, 12, 28)) == D(2027, 1, 4)


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        (D(2026, 12, 20), "before_30"),  # 30 days before is 11/20 itself
        (D(2026, 12, 31), None),  # 41 days ahead: nothing to say yet
        (D(2026, 11, 27), "before_7"),
        (D(2026, 11, 20), "due"),
        (D(2026, 11, 19), "overdue_1"),
        (D(2026, 11, 12), "overdue_8"),
        (D(2026, 11, 6), "overdue_8"),  # 14 days over: still in the overdue_8 week
        (D(2026, 11, 5), "overdue_15"),
    ],
)
def test_the_most_urgent_stage_reached_on_an_ordinary_friday(due, expected):
    # Friday 2026-11-20: the next business day is Tuesday 11/24 (Monday 11/23 is a holiday).
    assert stage_on(D(2026, 11, 20), due) == expected


def test_a_friday_before_a_monday_holiday_warns_about_what_falls_due_before_tuesday():
    friday = D(2026, 11, 20)
    assert stage_on(friday, D(2026, 11, 24)) == "before_1"  # its "1 day before" is the holiday
    assert stage_on(friday, D(2026, 11, 23)) == "due"  # due on the holiday itself
    assert stage_on(friday, D(2026, 11, 25)) == "before_7"
    # …and Tuesday does not pretend a Monday deadline is "due": it is overdue.
    assert stage_on(D(2026, 11, 24), D(2026, 11, 23)) == "overdue_1"


def test_the_last_day_before_the_year_end_closure_covers_the_whole_closure():
    dec28 = D(2026, 12, 28)
    assert stage_on(dec28, D(2026, 12, 31)) == "due"
    assert stage_on(dec28, D(2027, 1, 4)) == "before_1"  # its "1 day before" (1/3) is closed
    assert stage_on(dec28, D(2027, 1, 6)) == "before_7"
    assert stage_on(dec28, D(2027, 1, 3)) == "due"
    # 1/4 catches up: a deadline of 12/30 is now overdue, once.
    assert stage_on(D(2027, 1, 4), D(2026, 12, 30)) == "overdue_1"
    assert stage_on(D(2027, 1, 4), D(2027, 1, 5)) == "before_1"


def test_after_an_outage_only_the_most_urgent_stage_is_due():
    # The last run was 10/1 (before_30 sent); the next one is 11/2, two days before the deadline.
    assert stage_on(D(2026, 11, 2), D(2026, 11, 6)) == "before_7"
    assert stage_on(D(2026, 11, 2), D(2026, 11, 3)) == "due"  # 11/3 文化の日: due on a holiday


def test_a_moved_due_date_is_staged_afresh():
    assert stage_on(D(2026, 11, 20), D(2026, 11, 27)) == "before_7"
    assert stage_on(D(2026, 11, 20), D(2026, 12, 15)) == "before_30"


def test_stages_follow_the_settings(settings):
    settings.REMINDER_STAGES_DAYS_BEFORE = [14, 3]
    settings.REMINDER_OVERDUE_REPEAT_DAYS = 3
    assert stage_on(D(2026, 11, 20), D(2026, 12, 1)) == "before_14"
    assert stage_on(D(2026, 11, 20), D(2026, 11, 26)) == "before_3"
    assert stage_on(D(2026, 11, 20), D(2026, 11, 16)) == "overdue_4"
