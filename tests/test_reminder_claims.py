"""Set-based claims: a constant number of statements whatever the number of departments, the second day of a run,
stale claims taken over in one UPDATE, JIT off for the run's queries (PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from measures.models import WorkStatus
from milestones.models import ReminderLog
from milestones.reminders import plan_run, run_reminders

from .factories import DepartmentFactory, MeasureFactory, MilestoneFactory

FRIDAY = dt.date(2026, 11, 20)  # next business day: Tuesday 11/24


def _add_departments(cast, count: int, prefix: str) -> None:
    """`count` departments, each with a milestone due in 5 days and one overdue by 4; the first one also has one
    overdue by 19 days (an escalation to the municipality's admins)."""
    for n in range(count):
        dept = DepartmentFactory(municipality=cast.city, code=f"{prefix}{n:03d}", name=f"{prefix}{n:03d}課")
        measure = MeasureFactory(plan=cast.plan, owner_department=dept, code=f"{prefix}{n:03d}")
        MilestoneFactory(measure=measure, code=f"{prefix}{n:03d}-soon", due_date=dt.date(2026, 11, 25))
        MilestoneFactory(
            measure=measure, code=f"{prefix}{n:03d}-late", due_date=dt.date(2026, 11, 16), status=WorkStatus.DELAYED
        )
        if n == 0:
            MilestoneFactory(
                measure=measure, code=f"{prefix}{n:03d}-very", due_date=dt.date(2026, 11, 1), status=WorkStatus.DELAYED
            )


def _writes(queries) -> Counter:
    kinds = Counter()
    for q in queries:
        sql = q["sql"].lstrip().upper()
        if "MILESTONES_REMINDERLOG" in sql and sql.startswith(("INSERT", "UPDATE", "DELETE")):
            kinds[sql.split(None, 1)[0]] += 1
    return kinds


@pytest.fixture
def quiet(cast):
    """The cast with nothing due (its one milestone is done)."""
    cast.milestone.status = WorkStatus.DONE
    cast.milestone.completed_on = dt.date(2026, 3, 31)
    cast.milestone.save()
    return cast


def _claim_run(run_date=FRIDAY):
    with CaptureQueriesContext(connection) as queries:
        report = run_reminders(run_date=run_date, inline=False)  # queued on commit, never sent here
    return report, queries.captured_queries


def test_the_claim_phase_issues_one_insert_whatever_the_number_of_departments(quiet):
    _add_departments(quiet, 3, "A")
    few, few_queries = _claim_run()
    assert len(few.digests) == 3 + 1  # three departments and the admins' escalation digest
    assert few.claimed == 3 * 2 + 2 and few.statements == {"inserts": 1, "updates": 0}
    assert _writes(few_queries) == Counter({"INSERT": 1})

    ReminderLog.objects.all().delete()
    _add_departments(quiet, 27, "B")
    many, many_queries = _claim_run()
    assert len(many.digests) == 30 + 1
    assert many.claimed == 30 * 2 + 2 * 2 and many.statements == {"inserts": 1, "updates": 0}
    assert _writes(many_queries) == Counter({"INSERT": 1})
    assert len(many_queries) == len(few_queries)
    # Each digest owns exactly its own rows, and every row belongs to one digest.
    owned = [log_id for d in many.digests for log_id in d.log_ids]
    assert sorted(owned) == sorted(ReminderLog.objects.values_list("id", flat=True))
    for digest in many.digests:
        rows = ReminderLog.objects.filter(id__in=digest.log_ids)
        if digest.kind == "department":
            assert set(rows.values_list("department_id", flat=True)) == {digest.department_id}
            assert not rows.filter(escalated=True).exists()
        else:
            assert set(rows.values_list("stage", flat=True)) == {"escalate_15"} and all(r.escalated for r in rows)
        assert all(r.recipients == digest.recipients for r in rows)


def test_the_second_run_of_the_day_claims_nothing_and_writes_nothing(quiet):
    _add_departments(quiet, 5, "A")
    run_reminders(run_date=FRIDAY, inline=True)
    sent = len(mail.outbox)
    assert sent == 5 + 1
    again, queries = _claim_run()
    assert again.claimed == 0 and again.digests == [] and len(mail.outbox) == sent
    assert _writes(queries) == Counter()  # nothing to insert: no statement at all
    digests, to_skip = plan_run(run_date=FRIDAY)
    assert digests == [] and to_skip == []


def test_day_two_claims_only_the_stages_reached_since_day_one(quiet):
    _add_departments(quiet, 5, "A")
    run_reminders(run_date=FRIDAY, inline=True)
    day_one = ReminderLog.objects.count()
    mail.outbox.clear()
    report = run_reminders(run_date=dt.date(2026, 11, 24), inline=True)
    # 11/24: the milestone due 11/25 reaches "1 day before", the one due 11/16 "overdue 8", the one due 11/1
    # "overdue 22" (and its escalation); the department of each gets one digest, the admins one.
    assert report.claimed == 5 * 2 + 2 and len(mail.outbox) == 5 + 1
    assert ReminderLog.objects.count() == day_one + 5 * 2 + 2
    keys = Counter(ReminderLog.objects.values_list("milestone_id", "stage", "due_date"))
    assert set(keys.values()) == {1}
    assert set(ReminderLog.objects.filter(run_date=dt.date(2026, 11, 24)).values_list("stage", flat=True)) == {
        "before_1",
        "overdue_8",
        "overdue_22",
        "escalate_22",
    }


def test_stale_claims_of_many_departments_are_taken_over_by_one_update(quiet, settings):
    _add_departments(quiet, 4, "A")
    run_reminders(run_date=FRIDAY, inline=False)  # claimed, never sent (the worker died)
    long_ago = timezone.now() - dt.timedelta(hours=1)
    ReminderLog.objects.update(claimed_at=long_ago)
    report, queries = _claim_run()
    assert report.claimed == 4 * 2 + 2 and report.taken_over == 4 * 2 + 2
    assert report.statements == {"inserts": 0, "updates": 1}
    assert _writes(queries) == Counter({"UPDATE": 1})
    assert set(ReminderLog.objects.values_list("claimed_at", flat=True)) != {long_ago}
    again, _queries = _claim_run()  # within the new lease: nobody takes them again
    assert again.claimed == 0


def test_a_failed_escalation_is_retried_even_when_the_department_got_its_digest(quiet, settings):
    _add_departments(quiet, 1, "A")
    settings.EMAIL_BACKEND = "tests.mail_backends.AlwaysFailingBackend"
    run_reminders(run_date=FRIDAY, inline=True)
    escalation = ReminderLog.objects.get(stage="escalate_15")
    assert escalation.state == "failed"
    ReminderLog.objects.exclude(pk=escalation.pk).update(state=ReminderLog.State.SENT)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.REMINDER_CLAIM_LEASE_SECONDS = 0
    run_reminders(run_date=FRIDAY, inline=True)
    [message] = mail.outbox
    assert "期限を14日以上過ぎた" in message.subject
    escalation.refresh_from_db()
    assert escalation.state == "sent" and escalation.attempts == 2


@pytest.mark.postgres_only
def test_the_run_queries_plan_without_jit_and_the_callers_setting_comes_back(quiet, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("JIT is a PostgreSQL setting")
    from milestones.reminders import run as run_module

    seen = []
    real_plan_run = run_module.plan_run

    def spying_plan_run(**kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SHOW jit")
            seen.append(cursor.fetchone()[0])
        return real_plan_run(**kwargs)

    monkeypatch.setattr(run_module, "plan_run", spying_plan_run)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = on")
    _add_departments(quiet, 1, "A")
    run_reminders(run_date=FRIDAY, dry_run=True)
    run_reminders(run_date=FRIDAY, inline=True)
    assert seen == ["off", "off"]
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "on"


def test_a_large_claim_refreshes_the_log_statistics_before_sending(quiet, monkeypatch):
    from milestones.reminders import run as run_module

    _add_departments(quiet, 2, "A")
    monkeypatch.setattr(run_module, "ANALYZE_AFTER_CLAIMS", 5)
    report, queries = _claim_run()
    analyzed = [q["sql"] for q in queries if q["sql"].startswith("ANALYZE")]
    assert report.claimed == 2 * 2 + 2
    assert analyzed == (['ANALYZE "milestones_reminderlog"'] if connection.vendor == "postgresql" else [])
    monkeypatch.setattr(run_module, "ANALYZE_AFTER_CLAIMS", 10_000)
    ReminderLog.objects.all().delete()
    _report, queries = _claim_run()
    assert not [q for q in queries if q["sql"].startswith("ANALYZE")]
