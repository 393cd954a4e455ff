"""Departments whose annual evaluations are still with them (作成中 or 差戻し) are reminded in their digest,
once a week, through the section evaluations registers with milestones' reminders."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from evaluations import services
from evaluations.models import MeasureEvaluation
from milestones.models import ReminderLog
from milestones.reminders import describe_digest, plan_run, run_reminders

from .factories import MeasureFactory

pytestmark = pytest.mark.django_db

FRIDAY = dt.date(2026, 11, 20)
NEXT_MONDAY = dt.date(2026, 11, 30)  # 11/23 is a holiday; a new week


@pytest.fixture
def round_(cast):
    cast.milestone.due_date = dt.date(2027, 6, 1)  # no milestone reminders in these runs
    cast.milestone.save()
    MeasureFactory(plan=cast.plan, owner_department=cast.shimin, code="S01", title="窓口のキャッシュレス化")
    round_ = services.open_round(plan=cast.plan, fiscal_year=2025, user=cast.admin)
    joho = MeasureEvaluation.objects.get(round=round_, measure=cast.measure)
    services.save_draft(evaluation=joho, user=cast.alice, achievements="実施", self_grade="A", direction="continue")
    services.submit(evaluation=joho, user=cast.alice)
    return round_


def test_a_department_with_an_unsubmitted_evaluation_gets_it_in_its_digest(cast, round_):
    run_reminders(run_date=FRIDAY, inline=True)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "【DX推進】年度評価の提出をお願いします 1件（市民課）"
    evaluation = MeasureEvaluation.objects.get(round=round_, measure__code="S01")
    assert "S01 窓口のキャッシュレス化" in message.body
    assert f"http://127.0.0.1:8000/evaluations/measures/{evaluation.pk}/" in message.body
    assert "<h2>年度評価の提出をお願いします（1件）</h2>" in message.alternatives[0][0]
    assert ReminderLog.objects.get().section == "evaluation_due"


def test_it_is_sent_once_a_week_and_stops_when_submitted(cast, round_):
    run_reminders(run_date=FRIDAY, inline=True)
    run_reminders(run_date=FRIDAY, inline=True)
    assert len(mail.outbox) == 1
    run_reminders(run_date=NEXT_MONDAY, inline=True)
    assert len(mail.outbox) == 2
    evaluation = MeasureEvaluation.objects.get(round=round_, measure__code="S01")
    services.save_draft(evaluation=evaluation, user=cast.bob, achievements="導入", self_grade="B", direction="continue")
    services.submit(evaluation=evaluation, user=cast.bob)
    run_reminders(run_date=NEXT_MONDAY + dt.timedelta(days=7), inline=True)
    assert len(mail.outbox) == 2


def test_a_returned_evaluation_is_reminded_again(cast, round_):
    joho = MeasureEvaluation.objects.get(round=round_, measure=cast.measure)
    services.return_evaluation(evaluation=joho, user=cast.admin, comment="成果を数字で")
    digests, _ = plan_run(run_date=FRIDAY)
    by_name = {d.name: d for d in digests}
    assert set(by_name) == {"情報政策課", "市民課"}
    assert "[年度評価の提出をお願いします] M01" in describe_digest(by_name["情報政策課"])


def test_an_approved_round_reminds_nobody(cast, round_):
    s01 = MeasureEvaluation.objects.get(round=round_, measure__code="S01")
    services.save_draft(evaluation=s01, user=cast.bob, achievements="導入", self_grade="B", direction="continue")
    services.submit(evaluation=s01, user=cast.bob)
    for evaluation in round_.evaluations.all():
        services.accept(evaluation=evaluation, user=cast.admin)
    services.approve_round(round=round_, user=cast.admin)
    assert plan_run(run_date=FRIDAY)[0] == []
