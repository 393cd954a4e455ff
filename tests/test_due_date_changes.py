"""Due-date changes with a baseline: a department asks, the 事務局 decides, the 当初期限 stays and the slippage shows."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.contrib.admin.sites import site
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory
from django.urls import reverse

from milestones.models import DueDateChangeRequest, Milestone, ReminderLog
from milestones.reminders import run_reminders
from milestones.services import (
    MilestoneConflict,
    due_date_change_decide,
    due_date_change_request,
    milestone_update,
)

from .factories import MilestoneFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 20)  # a Friday
NOW = dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.UTC)  # 10:00 in Tokyo


@pytest.fixture
def ms(cast):
    return MilestoneFactory(measure=cast.measure, code="MIG", title="データ移行", due_date=dt.date(2026, 11, 27))


def _ask(ms, user, date=dt.date(2027, 1, 29), reason="ベンダーの納期遅れ"):
    return due_date_change_request(milestone=ms, user=user, requested_due_date=date, reason=reason, today=TODAY)


# --- the baseline --------------------------------------------------------------------------------


def test_a_new_milestone_keeps_its_first_due_date_as_baseline(ms):
    assert ms.baseline_due_date == dt.date(2026, 11, 27)


def test_milestones_created_in_bulk_get_a_baseline_too(cast):
    [made] = Milestone.objects.bulk_create(
        [
            Milestone(
                measure=cast.measure,
                plan=cast.plan,
                code="BULK",
                title="一括",
                due_date=dt.date(2027, 2, 1),
                owner_department=cast.joho,
            )
        ]
    )
    assert Milestone.objects.get(pk=made.pk).baseline_due_date == dt.date(2027, 2, 1)


# --- request and approval ------------------------------------------------------------------------


def test_an_approved_request_moves_the_due_date_and_keeps_the_baseline_and_history(cast, ms):
    change = _ask(ms, cast.alice)
    assert Milestone.objects.get(pk=ms.pk).due_date == dt.date(2026, 11, 27)  # nothing moves before approval
    version = Milestone.objects.get(pk=ms.pk).version
    due_date_change_decide(change=change, user=cast.admin, approve=True, comment="やむを得ない", today=TODAY)
    moved = Milestone.objects.get(pk=ms.pk)
    assert (moved.due_date, moved.baseline_due_date, moved.slip_days) == (
        dt.date(2027, 1, 29),
        dt.date(2026, 11, 27),
        63,
    )
    assert moved.version == version + 1
    latest = moved.history.first()
    assert latest.due_date == dt.date(2027, 1, 29) and latest.prev_record.due_date == dt.date(2026, 11, 27)
    assert latest.history_user == cast.admin
    change.refresh_from_db()
    assert (change.state, change.decided_by, change.decision_comment) == ("approved", cast.admin, "やむを得ない")


def test_a_rejected_request_leaves_the_due_date_alone(cast, ms):
    change = _ask(ms, cast.alice)
    due_date_change_decide(change=change, user=cast.admin, approve=False, comment="年度内に", today=TODAY)
    assert Milestone.objects.get(pk=ms.pk).due_date == dt.date(2026, 11, 27)
    assert DueDateChangeRequest.objects.get().state == "rejected"


def test_a_request_is_decided_once(cast, ms):
    change = _ask(ms, cast.alice)
    stale_copy = DueDateChangeRequest.objects.get(pk=change.pk)
    due_date_change_decide(change=change, user=cast.admin, approve=False, comment="", today=TODAY)
    with pytest.raises(ValidationError, match="すでに判断済み"):
        due_date_change_decide(change=stale_copy, user=cast.admin, approve=True, comment="", today=TODAY)
    assert Milestone.objects.get(pk=ms.pk).due_date == dt.date(2026, 11, 27)


def test_only_the_office_decides(cast, ms):
    change = _ask(ms, cast.alice)
    with pytest.raises(PermissionDenied):
        due_date_change_decide(change=change, user=cast.alice, approve=True, comment="", today=TODAY)
    assert DueDateChangeRequest.objects.get().state == "pending"


# --- bad input: a clear Japanese message, nothing written ------------------------------------------


@pytest.mark.parametrize(
    "date, field, message",
    [
        (dt.date(2026, 11, 19), "requested_due_date", "過去の日付"),
        (dt.date(2026, 11, 27), "requested_due_date", "現在の期限と同じ"),
    ],
)
def test_bad_dates_are_refused(cast, ms, date, field, message):
    with pytest.raises(ValidationError) as exc:
        _ask(ms, cast.alice, date=date)
    assert message in " ".join(exc.value.message_dict[field])
    assert not DueDateChangeRequest.objects.exists()


def test_a_date_before_the_measure_starts_is_refused(cast, ms):
    cast.measure.start_fy = 2027
    cast.measure.save()
    with pytest.raises(ValidationError) as exc:
        _ask(ms, cast.alice, date=dt.date(2027, 3, 1))
    assert "施策の開始（2027/04/01）より前" in exc.value.message_dict["requested_due_date"][0]
    assert not DueDateChangeRequest.objects.exists()


def test_a_blank_reason_is_refused(cast, ms):
    with pytest.raises(ValidationError) as exc:
        _ask(ms, cast.alice, reason="  ")
    assert "理由を入力" in exc.value.message_dict["reason"][0]
    assert not DueDateChangeRequest.objects.exists()


def test_another_department_cannot_ask(cast, ms):
    with pytest.raises(PermissionDenied):
        _ask(ms, cast.bob)
    assert not DueDateChangeRequest.objects.exists()


def test_a_second_pending_request_is_refused(cast, ms):
    _ask(ms, cast.alice)
    with pytest.raises(ValidationError, match="承認待ちの変更申請がすでにあります"):
        _ask(ms, cast.admin, date=dt.date(2027, 2, 26))
    assert DueDateChangeRequest.objects.count() == 1


def test_the_form_shows_the_message_beside_the_field_and_writes_nothing(client, cast, ms):
    client.force_login(cast.alice)
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            reverse("milestones:request_due_date", args=[ms.pk]), {"requested_due_date": "R8.11.1", "reason": "遅れ"}
        )
    assert response.status_code == 400
    assert "過去の日付は指定できません" in response.content.decode()
    assert not DueDateChangeRequest.objects.exists()


# --- no lost update ---------------------------------------------------------------------------------


def test_a_staff_save_from_a_form_opened_before_the_approval_gets_a_conflict(cast, ms):
    seen = Milestone.objects.get(pk=ms.pk)  # alice opens the update form
    change = _ask(ms, cast.alice)
    due_date_change_decide(change=change, user=cast.admin, approve=True, comment="", today=TODAY)
    with pytest.raises(MilestoneConflict):
        milestone_update(
            milestone=seen,
            user=cast.alice,
            status="in_progress",
            completed_on=None,
            comment="",
            expected_version=seen.version,
        )
    assert Milestone.objects.get(pk=ms.pk).due_date == dt.date(2027, 1, 29)  # the approval is not undone


def test_an_approval_after_a_staff_save_keeps_what_the_staff_saved(cast, ms):
    change = _ask(ms, cast.alice)
    seen = Milestone.objects.get(pk=ms.pk)
    milestone_update(
        milestone=seen,
        user=cast.alice,
        status="in_progress",
        completed_on=None,
        comment="着手",
        expected_version=seen.version,
    )
    due_date_change_decide(change=change, user=cast.admin, approve=True, comment="", today=TODAY)
    now = Milestone.objects.get(pk=ms.pk)
    assert (now.status, now.comment, now.due_date) == ("in_progress", "着手", dt.date(2027, 1, 29))


def test_an_admin_edit_bumps_the_version(cast, ms, rf: RequestFactory):
    before = Milestone.objects.get(pk=ms.pk).version
    model_admin = site.get_model_admin(Milestone)
    request = rf.post("/")
    request.user = cast.admin
    obj = Milestone.objects.get(pk=ms.pk)
    obj.title = "データ移行（全件）"
    model_admin.save_model(request, obj, form=None, change=True)
    after = Milestone.objects.get(pk=ms.pk)
    assert after.version == before + 1 and after.title == "データ移行（全件）"
    assert after.baseline_due_date == dt.date(2026, 11, 27)


# --- where the slippage shows ------------------------------------------------------------------------


@pytest.fixture
def moved(cast, ms):
    change = _ask(ms, cast.alice)
    due_date_change_decide(change=change, user=cast.admin, approve=True, comment="", today=TODAY)
    return ms


def test_the_milestone_page_shows_the_baseline_the_days_and_the_reason(client, cast, moved):
    client.force_login(cast.council)
    html = client.get(reverse("milestones:detail", args=[moved.pk])).content.decode()
    assert "当初期限" in html and "2026/11/27" in html and "2027/01/29" in html
    assert "63日延長" in html and "承認された変更 1回" in html and "ベンダーの納期遅れ" in html


def test_the_api_has_the_baseline_and_the_due_date(client, cast, moved):
    client.force_login(cast.council)
    rows = client.get(reverse("api:milestone-list"), {"plan": cast.plan.pk}).json()["results"]
    row = next(r for r in rows if r["code"] == "MIG")
    assert (row["baseline_due_date"], row["due_date"], row["due_date_slip_days"], row["due_date_changes"]) == (
        "2026-11-27",
        "2027-01-29",
        63,
        1,
    )


def test_the_export_has_the_slippage_and_the_reason(client, cast, moved):
    client.force_login(cast.council)
    response = client.get(reverse("dashboard:export", kwargs={"table": "milestones", "fmt": "csv"}))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = next(r for r in rows if "当初期限" in r)
    row = next(r for r in rows if r and r[0] == "MIG")
    record = dict(zip(header, row, strict=True))
    assert (record["当初期限"], record["期限"], record["期限の変更（日）"], record["期限の変更回数"]) == (
        "2026-11-27",
        "2027-01-29",
        "63",
        "1",
    )
    assert "ベンダーの納期遅れ" in record["期限の変更理由"]


def test_the_reminder_stages_start_again_from_the_new_date(cast, ms):
    cast.joho.email = "joho@example.jp"
    cast.joho.save()
    run_reminders(run_date=TODAY, inline=True)  # due 11/27: the 7-day stage
    assert ReminderLog.objects.filter(milestone=ms, due_date=dt.date(2026, 11, 27)).exists()
    change = _ask(ms, cast.alice, date=dt.date(2026, 12, 18))
    due_date_change_decide(change=change, user=cast.admin, approve=True, comment="", today=TODAY)
    mail.outbox.clear()
    run_reminders(run_date=dt.date(2026, 11, 24), inline=True)  # 24 days before the new date: the 30-day stage
    log = ReminderLog.objects.filter(milestone=ms).latest("claimed_at")
    assert (log.due_date, log.stage) == (dt.date(2026, 12, 18), "before_30")
    body = next(m.body for m in mail.outbox if "データ移行" in m.body)
    assert "あと24日" in body and reverse("milestones:update", args=[ms.pk]) in body


def test_an_import_sets_the_baseline_once_and_a_reimport_with_a_new_date_keeps_it(cast):
    from importing import services as importing

    from .import_workbooks import realistic_sheets, xlsx

    sheets = realistic_sheets(1)
    importing.plan_import(plan=cast.plan, data=xlsx(sheets), file_name="p.xlsx", user=None)
    imported = Milestone.objects.filter(plan=cast.plan).exclude(pk=cast.milestone.pk).order_by("code").first()
    first_due = imported.due_date
    assert imported.baseline_due_date == first_due
    row = next(r for r in sheets["マイルストーン"][1:] if r[0] == imported.code)
    row[4] = "2027/3/31"
    importing.plan_import(plan=cast.plan, data=xlsx(sheets), file_name="p2.xlsx", user=None)
    imported.refresh_from_db()
    assert (imported.due_date, imported.baseline_due_date) == (dt.date(2027, 3, 31), first_due)
