"""A run's digests: one e-mail per department, grouped and sorted, exactly once, in Japanese."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes
from email.header import decode_header, make_header

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from measures.models import ProgressUpdate, WorkStatus
from milestones.business_days import next_business_day
from milestones.models import ReminderLog
from milestones.reminders import run_reminders
from milestones.tasks import send_daily_reminders

from .factories import DepartmentFactory, MeasureFactory, MilestoneFactory, ProgressUpdateFactory, make_user

FRIDAY = dt.date(2026, 11, 20)  # the next business day is Tuesday 11/24 (11/23 is a holiday)


@pytest.fixture
def joho(cast):
    """情報政策課 with three open milestones at different stages, and nothing else due."""
    cast.milestone.status = WorkStatus.DONE
    cast.milestone.completed_on = dt.date(2026, 3, 31)
    cast.milestone.save()
    MilestoneFactory(
        measure=cast.measure, code="LATE", title="要件定義", due_date=dt.date(2026, 11, 16), status=WorkStatus.DELAYED
    )
    MilestoneFactory(measure=cast.measure, code="SOON-B", title="移行リハーサル", due_date=dt.date(2026, 11, 26))
    MilestoneFactory(
        measure=cast.measure,
        code="SOON-A",
        title="データ移行",
        due_date=dt.date(2026, 11, 25),
        status=WorkStatus.IN_PROGRESS,
    )
    MilestoneFactory(measure=cast.measure, code="FAR", title="本稼働", due_date=dt.date(2027, 3, 1))
    return cast


def test_a_department_gets_one_digest_grouped_by_stage_and_sorted_by_due_date(joho):
    run_reminders(run_date=FRIDAY, inline=True)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "【DX推進】期限の近いマイルストーン 3件（情報政策課）"
    assert set(message.to) == {"joho@example.jp", "alice@example.jp", "admin1@example.jp"}
    body = message.body
    assert body.index("■ 期限を過ぎています") < body.index("LATE 要件定義") < body.index("■ 期限まで7日以内")
    assert body.index("■ 期限まで7日以内") < body.index("SOON-A データ移行") < body.index("SOON-B 移行リハーサル")
    assert "FAR" not in body
    assert "期限: 令和8年11月25日(水)（あと5日）" in body
    assert "状況: 進行中" in body
    assert "国の取組項目: 1. " in body and "3. " in body
    assert "http://127.0.0.1:8000/milestones/" in body
    html = message.alternatives[0][0]
    assert "<h2>期限を過ぎています（1件）</h2>" in html and 'href="http://127.0.0.1:8000/milestones/' in html
    assert set(ReminderLog.objects.values_list("milestone__code", "stage", "state")) == {
        ("LATE", "overdue_1", "sent"),
        ("SOON-A", "before_7", "sent"),
        ("SOON-B", "before_7", "sent"),
    }


def test_nothing_to_say_sends_no_email(cast):
    cast.milestone.due_date = dt.date(2027, 6, 1)
    cast.milestone.save()
    report = run_reminders(run_date=FRIDAY, inline=True)
    assert mail.outbox == [] and report.digests == []
    assert not ReminderLog.objects.exists()


def test_nothing_is_sent_on_a_holiday_and_the_next_business_day_catches_up(joho):
    assert run_reminders(run_date=dt.date(2026, 11, 23), inline=True).business_day is False
    assert mail.outbox == []
    run_reminders(run_date=dt.date(2026, 11, 24), inline=True)
    assert len(mail.outbox) == 1
    assert "LATE 要件定義" in mail.outbox[0].body


def test_a_second_run_sends_nothing_and_logs_one_row_per_milestone_and_stage(joho):
    run_reminders(run_date=FRIDAY, inline=True)
    run_reminders(run_date=FRIDAY, inline=True)
    assert len(mail.outbox) == 1
    assert ReminderLog.objects.count() == 3
    run_reminders(run_date=dt.date(2026, 11, 24), inline=True)  # LATE → overdue_8, SOON-A → before_1
    assert len(mail.outbox) == 2 and mail.outbox[1].subject.endswith(" 2件（情報政策課）")
    assert "SOON-B" not in mail.outbox[1].body
    assert ReminderLog.objects.count() == 5


def test_after_an_outage_each_milestone_gets_its_most_urgent_stage_once(joho):
    # No run since October: on 11/25 LATE is overdue_8, SOON-A due today, SOON-B due tomorrow.
    run_reminders(run_date=dt.date(2026, 11, 25), inline=True)
    assert len(mail.outbox) == 1
    assert set(ReminderLog.objects.values_list("milestone__code", "stage")) == {
        ("LATE", "overdue_8"),
        ("SOON-A", "due"),
        ("SOON-B", "before_1"),
    }
    body = mail.outbox[0].body
    assert body.count("LATE 要件定義") == 1


def test_a_member_who_opted_out_is_not_a_recipient(joho):
    joho.alice.membership.receives_reminders = False
    joho.alice.membership.save()
    run_reminders(run_date=FRIDAY, inline=True)
    assert "alice@example.jp" not in mail.outbox[0].to
    assert "joho@example.jp" in mail.outbox[0].to


def test_a_department_with_no_address_and_no_opted_in_member_is_not_claimed(cast):
    silent = DepartmentFactory(municipality=cast.city, email="", name="無連絡課")
    measure = MeasureFactory(plan=cast.plan, owner_department=silent)
    MilestoneFactory(measure=measure, due_date=dt.date(2026, 11, 25))
    cast.milestone.due_date = dt.date(2027, 6, 1)
    cast.milestone.save()
    run_reminders(run_date=FRIDAY, inline=True)
    assert mail.outbox == [] and not ReminderLog.objects.exists()


def test_overdue_by_two_weeks_also_escalates_to_the_municipalitys_admins(joho):
    make_user("admin2", "admin", joho.city, [joho.shimin])
    make_user("other_admin", "admin", joho.other_city)
    MilestoneFactory(
        measure=joho.measure, code="VERY-LATE", title="調達", due_date=dt.date(2026, 11, 1), status=WorkStatus.DELAYED
    )
    run_reminders(run_date=FRIDAY, inline=True)
    escalation = [m for m in mail.outbox if "以上過ぎた" in m.subject]
    assert len(escalation) == 1
    assert escalation[0].subject == "【DX推進】期限を14日以上過ぎたマイルストーン 1件（さくら台市）"
    assert set(escalation[0].to) == {"admin1@example.jp", "admin2@example.jp"}
    assert "VERY-LATE 調達" in escalation[0].body and "担当部署: 情報政策課" in escalation[0].body
    assert "LATE 要件定義" not in escalation[0].body.replace("VERY-LATE", "")
    assert ReminderLog.objects.get(stage="escalate_15").escalated is True


def test_the_email_is_utf8_with_a_mime_encoded_japanese_subject(joho):
    run_reminders(run_date=FRIDAY, inline=True)
    raw = mail.outbox[0].message().as_bytes()
    parsed = message_from_bytes(raw)
    assert str(make_header(decode_header(parsed["Subject"]))) == "【DX推進】期限の近いマイルストーン 3件（情報政策課）"
    assert parsed.get_content_type() == "multipart/alternative"
    text_part, html_part = parsed.get_payload()
    assert text_part.get_content_charset() == "utf-8" and html_part.get_content_type() == "text/html"
    assert "要件定義" in text_part.get_payload(decode=True).decode("utf-8")


def test_a_failed_send_is_recorded_and_the_next_run_sends_it(joho, settings):
    settings.EMAIL_BACKEND = "tests.mail_backends.AlwaysFailingBackend"
    shimin_measure = MeasureFactory(plan=joho.plan, owner_department=joho.shimin)
    MilestoneFactory(measure=shimin_measure, due_date=dt.date(2026, 11, 26))
    report = run_reminders(run_date=FRIDAY, inline=True)
    assert report.failed == 2 and len(report.digests) == 2  # one failure does not stop the other department
    row = ReminderLog.objects.get(milestone__code="LATE")
    assert row.state == "failed" and "SMTPServerDisconnected" in row.error and row.attempts == 1
    settings.REMINDER_CLAIM_LEASE_SECONDS = 0
    with pytest.raises(CommandError, match="送信に失敗"):  # cron sees a non-zero exit
        call_command("send_reminders", "--date", FRIDAY.isoformat())
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    run_reminders(run_date=FRIDAY, inline=True)
    assert len(mail.outbox) == 2
    assert set(ReminderLog.objects.values_list("state", flat=True)) == {"sent"}
    assert ReminderLog.objects.get(milestone__code="LATE").attempts == 3


def test_a_claim_that_never_completed_is_taken_over_by_the_next_run_only_after_its_lease(joho, settings):
    report = run_reminders(run_date=FRIDAY, dry_run=False, inline=False)  # queued on commit, never run
    assert report.claimed == 3 and mail.outbox == []
    run_reminders(run_date=FRIDAY, inline=True)
    assert mail.outbox == []  # still within the lease: another worker may be sending it
    settings.REMINDER_CLAIM_LEASE_SECONDS = 0
    run_reminders(run_date=FRIDAY, inline=True)
    assert len(mail.outbox) == 1 and mail.outbox[0].subject.endswith("3件（情報政策課）")


def test_a_moved_due_date_starts_the_stages_afresh(joho):
    run_reminders(run_date=FRIDAY, inline=True)
    soon = joho.measure.milestones.get(code="SOON-A")
    soon.due_date = dt.date(2026, 12, 10)
    soon.save()
    run_reminders(run_date=dt.date(2026, 11, 24), inline=True)
    assert len(mail.outbox) == 2
    assert "SOON-A データ移行" in mail.outbox[1].body and "期限まで30日以内" in mail.outbox[1].body
    assert ReminderLog.objects.filter(milestone=soon).count() == 2


def test_a_milestone_completed_after_its_claim_is_not_sent(joho):
    run_reminders(run_date=FRIDAY, inline=False)
    joho.measure.milestones.filter(code="LATE").update(status=WorkStatus.DONE, completed_on=FRIDAY)
    from milestones.reminders import deliver_digest

    rows = list(ReminderLog.objects.all())
    deliver_digest(log_ids=[r.id for r in rows], token=rows[0].claimed_at)
    assert mail.outbox[0].subject.endswith("2件（情報政策課）")
    assert ReminderLog.objects.get(milestone__code="LATE").state == "skipped"


def test_a_measure_without_progress_for_30_days_asks_for_an_update_once(cast):
    cast.milestone.due_date = dt.date(2028, 6, 1)
    cast.milestone.save()
    fresh = MeasureFactory(plan=cast.plan, owner_department=cast.joho, code="FRESH")
    day = next_business_day(dt.date.today() + dt.timedelta(days=31))
    recent = ProgressUpdateFactory(measure=fresh)
    ProgressUpdate.objects.filter(pk=recent.pk).update(created_at=timezone.now() + dt.timedelta(days=25))
    run_reminders(run_date=day, inline=True)
    [message] = [m for m in mail.outbox if "情報政策課" in m.subject]
    assert message.subject == "【DX推進】進捗の更新をお願いします 1件（情報政策課）"
    assert "■ 進捗の更新をお願いします（1件）" in message.body and f"{cast.measure.code} " in message.body
    sent = len(mail.outbox)
    run_reminders(run_date=next_business_day(day), inline=True)
    assert len(mail.outbox) == sent
    assert "FRESH" not in message.body


def test_the_number_of_queries_does_not_grow_with_milestones(cast):
    def add(n: int) -> None:
        for i in range(n):
            MilestoneFactory(measure=cast.measure, due_date=dt.date(2026, 11, 25) + dt.timedelta(days=i % 3))

    def dry_run_queries(expected_items: int) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            report = run_reminders(run_date=FRIDAY, dry_run=True)
        assert sum(len(d.items) for d in report.digests) == expected_items
        return [q["sql"] for q in queries.captured_queries]

    cast.milestone.due_date = dt.date(2026, 11, 24)
    cast.milestone.save()
    add(3)
    few = dry_run_queries(4)
    add(60)
    many = dry_run_queries(64)
    assert len(few) == len(many), many
    # 11 queries, plus the run's savepoint (2) and, on PostgreSQL, JIT off and back on (2).
    assert len(many) <= (15 if connection.vendor == "postgresql" else 13), many
    # The already-claimed check is SQL: no query reads the reminder log in claimed_at order.
    assert not [q for q in many if "milestones_reminderlog" in q and "ORDER BY" in q.upper()]


def test_the_daily_task_and_the_command_run_the_same_service(joho, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = send_daily_reminders.apply(kwargs={"run_date": FRIDAY.isoformat()}).get()
    assert result["claimed"] == 3 and len(mail.outbox) == 1
    call_command("send_reminders", "--date", FRIDAY.isoformat())
    assert len(mail.outbox) == 1


def test_the_dry_run_command_prints_who_would_get_what_and_sends_nothing(joho, capsys):
    call_command("send_reminders", "--date", "2026-11-20", "--dry-run")
    out = capsys.readouterr().out
    assert "■ 情報政策課 → " in out and "joho@example.jp" in out and "LATE 要件定義" in out
    assert "1通を送信予定" in out
    assert mail.outbox == [] and not ReminderLog.objects.exists()


def test_the_command_rejects_a_malformed_date():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("send_reminders", "--date", "2026/11/20")
