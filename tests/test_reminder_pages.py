"""The reminder pages: a user's opt-out, the department calendar feed, the admin log, preview and 今すぐ送信."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from milestones.ical import escape_text, fold
from milestones.models import ReminderLog
from plans.models import Department

from .factories import MilestoneFactory


def test_the_notification_page_asks_anonymous_users_to_log_in(client):
    response = client.get(reverse("notification_settings"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_user_opts_out_of_reminders_and_back_in(client, cast):
    client.force_login(cast.alice)
    page = client.get(reverse("notification_settings"))
    assert page.status_code == 200 and "checked" in page.content.decode()
    response = client.post(reverse("notification_settings"), {})
    assert response.status_code == 302
    cast.alice.membership.refresh_from_db()
    assert cast.alice.membership.receives_reminders is False
    client.post(reverse("notification_settings"), {"receives_reminders": "on"})
    cast.alice.membership.refresh_from_db()
    assert cast.alice.membership.receives_reminders is True


def test_a_user_can_only_change_their_own_setting(client, cast):
    client.force_login(cast.bob)
    client.post(reverse("notification_settings"), {})
    cast.alice.membership.refresh_from_db()
    cast.bob.membership.refresh_from_db()
    assert cast.alice.membership.receives_reminders is True and cast.bob.membership.receives_reminders is False


def test_the_calendar_feed_lists_the_departments_milestones_as_icalendar(client, cast):
    token = cast.joho.rotate_calendar_token()
    MilestoneFactory(
        measure=cast.measure, code="CAL", title="移行判定会議; 部長決裁, 最終", due_date=dt.date(2026, 12, 1)
    )
    response = client.get(reverse("department_calendar", args=[token]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.content.decode("utf-8")
    assert body.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert "DTSTART;VALUE=DATE:20261201\r\n" in body and "DTEND;VALUE=DATE:20261202\r\n" in body
    unfolded = body.replace("\r\n ", "")
    assert "SUMMARY:【未着手】移行判定会議\\; 部長決裁\\, 最終" in unfolded
    assert all(len(line.encode("utf-8")) <= 75 for line in body.split("\r\n"))
    assert body.count("BEGIN:VEVENT") == 2


def test_a_revoked_or_unknown_calendar_token_is_not_found(client, cast):
    token = cast.joho.rotate_calendar_token()
    Department.objects.filter(pk=cast.joho.pk).update(calendar_token="")
    assert client.get(reverse("department_calendar", args=[token])).status_code == 404
    assert client.get("/calendar/short.ics").status_code == 404


def test_rotating_the_token_invalidates_the_old_url(client, cast):
    old = cast.joho.rotate_calendar_token()
    new = cast.joho.rotate_calendar_token()
    assert client.get(reverse("department_calendar", args=[old])).status_code == 404
    assert client.get(reverse("department_calendar", args=[new])).status_code == 200


def test_ical_folding_never_splits_a_japanese_character():
    line = "SUMMARY:" + "自治体情報システム標準化" * 10
    folded = fold(line)
    pieces = folded.split("\r\n ")
    assert "".join(pieces) == line
    assert all(len(p.encode("utf-8")) <= 75 for p in pieces[:1]) and all(len(p.encode()) <= 74 for p in pieces[1:])
    assert escape_text("a\\b;c,d\ne") == "a\\\\b\\;c\\,d\\ne"


@pytest.fixture
def due_soon(cast):
    cast.milestone.due_date = dt.date(2026, 11, 26)
    cast.milestone.save()
    return cast


@time_machine.travel(dt.datetime(2026, 11, 20, 7, 0, tzinfo=dt.timezone(dt.timedelta(hours=9))), tick=False)
def test_the_admin_previews_the_next_run_without_writing(client, due_soon):
    client.force_login(due_soon.admin)
    response = client.get(reverse("admin:milestones_reminderlog_preview"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "次回の通知プレビュー" in page and "令和8年11月20日(金)" in page
    assert "情報政策課" in page and "joho@example.jp" in page and due_soon.milestone.code in page
    assert not ReminderLog.objects.exists() and mail.outbox == []


@time_machine.travel(dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=9))), tick=False)
def test_the_admin_sends_now_and_a_second_click_sends_nothing_more(
    client, due_soon, django_capture_on_commit_callbacks
):
    client.force_login(due_soon.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:milestones_reminderlog_send_now"))
    assert response.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:milestones_reminderlog_send_now"))
    assert len(mail.outbox) == 1
    log = client.get(reverse("admin:milestones_reminderlog_changelist")).content.decode()
    assert "送信済み" in log and "before_7" in log


def test_the_other_citys_admin_sees_none_of_this_citys_reminders(client, due_soon):
    from .factories import make_user

    outsider = make_user("admin_other", "admin", due_soon.other_city)
    with time_machine.travel(dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC), tick=False):
        from milestones.reminders import run_reminders

        run_reminders(run_date=dt.date(2026, 11, 20), inline=True)
    client.force_login(outsider)
    assert (
        due_soon.milestone.code not in client.get(reverse("admin:milestones_reminderlog_changelist")).content.decode()
    )
    assert due_soon.milestone.code not in client.get(reverse("admin:milestones_reminderlog_preview")).content.decode()


@pytest.mark.parametrize("role", ["alice", "council", "viewer"])
def test_only_admins_reach_the_preview_and_send_now(client, cast, role):
    client.force_login(getattr(cast, role))
    assert client.get(reverse("admin:milestones_reminderlog_preview")).status_code == 302  # the admin login page
    assert client.post(reverse("admin:milestones_reminderlog_send_now")).status_code == 302
    assert mail.outbox == [] and not ReminderLog.objects.exists()


def test_the_send_now_page_rejects_get(client, cast):
    client.force_login(cast.admin)
    assert client.get(reverse("admin:milestones_reminderlog_send_now")).status_code == 405


def test_the_department_admin_issues_and_revokes_calendar_urls(client, cast):
    client.force_login(cast.admin)
    url = reverse("admin:plans_department_changelist")
    client.post(url, {"action": "issue_calendar_token", "_selected_action": [cast.joho.pk]})
    cast.joho.refresh_from_db()
    assert len(cast.joho.calendar_token) >= 40
    client.post(url, {"action": "revoke_calendar_token", "_selected_action": [cast.joho.pk]})
    cast.joho.refresh_from_db()
    assert cast.joho.calendar_token == ""


def test_redis_being_down_does_not_break_the_send_now_page(client, due_soon, django_capture_on_commit_callbacks):
    from dxportal.celery import app

    saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url", "task_publish_retry_policy")}
    app.conf.update(
        task_always_eager=False, broker_url="redis://127.0.0.1:1/0", task_publish_retry_policy={"max_retries": 0}
    )
    app.pool.force_close_all()
    try:
        client.force_login(due_soon.admin)
        with (
            time_machine.travel(dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            response = client.post(reverse("admin:milestones_reminderlog_send_now"))
            assert client.get(reverse("home"), follow=True).status_code == 200  # the 事務局 home still works
        assert response.status_code == 302
        assert ReminderLog.objects.get().state == "claimed"  # kept: the next run takes it over
    finally:
        app.conf.update(saved)
        app.pool.force_close_all()
