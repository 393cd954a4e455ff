"""The 事務局's home: the admin's landing page, its warnings, deciding due-date requests there; and the audit log of
every data change, in Japanese time."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from measures.models import WorkStatus
from measures.services import measure_report_progress
from milestones.models import Milestone
from milestones.services import due_date_change_request, milestone_update
from plans.models import AuditEvent

from .factories import MeasureFactory, MilestoneFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 20)


def test_the_admin_lands_on_the_office_home(client, cast):
    client.force_login(cast.admin)
    assert client.get("/")["Location"] == reverse("office:home")


def test_other_roles_are_refused_with_a_japanese_message(client, cast):
    client.force_login(cast.alice)
    response = client.get(reverse("office:home"))
    assert response.status_code == 403 and "権限がありません" in response.content.decode()


@pytest.fixture
def messy(cast):
    """One of each data-quality problem."""
    MeasureFactory(plan=cast.plan, owner_department=cast.joho, code="EMPTY", title="工程のない施策")
    MilestoneFactory(measure=cast.measure, code="OLD", title="報告のない期限切れ", due_date=dt.date(2026, 10, 1))
    ms = MilestoneFactory(measure=cast.measure, code="ASK", title="延期したい", due_date=dt.date(2026, 12, 1))
    due_date_change_request(
        milestone=ms, user=cast.alice, requested_due_date=dt.date(2027, 1, 15), reason="入札不調", today=TODAY
    )
    imported = Milestone(measure=cast.measure, code="IMP", title="取込済み", due_date=dt.date(2026, 9, 1))
    imported._change_reason = "インポート #1 (plan.xlsx)"
    imported.save()
    return cast


def test_the_home_lists_plans_warnings_and_pending_requests(client, messy):
    client.force_login(messy.admin)
    with time_machine.travel(NOW, tick=False):
        html = client.get(reverse("office:home")).content.decode()
    assert messy.plan.title in html
    for text in (
        "工程のない施策",
        "OLD 報告のない期限切れ",
        "入札不調",
        "IMP 取込済み",
        "承認待ちの期限変更申請（1）",
        "進捗報告が古い施策",
    ):
        assert text in html, text
    assert reverse("admin:milestones_reminderlog_preview") in html
    assert reverse("jobs:list") in html  # the background jobs (imports, exports, 今すぐ送信) and their progress
    assert reverse("admin:plans_auditevent_changelist") in html
    assert reverse("admin:plans_plan_import", args=[messy.plan.pk]) in html
    assert messy.other_plan.title not in html


def test_the_home_reads_in_a_fixed_number_of_queries(client, messy, django_assert_max_num_queries):
    client.force_login(messy.admin)
    client.get(reverse("office:home"))  # warm the session and the access cache
    for n in range(15):
        MilestoneFactory(
            measure=MeasureFactory(plan=messy.plan, owner_department=messy.shimin), due_date=dt.date(2026, 10, n + 1)
        )
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(16):
        assert client.get(reverse("office:home")).status_code == 200


def test_the_office_approves_from_its_home_and_comes_back_to_it(client, messy):
    client.force_login(messy.admin)
    change = messy.milestone.__class__.objects.get(code="ASK").due_date_requests.get()
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            reverse("milestones:decide_due_date", args=[change.pk]),
            {"decision": "approve", "comment": "了承", "next": reverse("office:home")},
        )
        assert response["Location"] == reverse("office:home")
        html = client.get(response["Location"]).content.decode()
    assert "期限を 2027/01/15 に変更しました" in html
    assert Milestone.objects.get(code="ASK").due_date == dt.date(2027, 1, 15)


def test_a_decision_never_redirects_off_site(client, messy):
    client.force_login(messy.admin)
    change = Milestone.objects.get(code="ASK").due_date_requests.get()
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            reverse("milestones:decide_due_date", args=[change.pk]),
            {"decision": "reject", "next": "https://evil.example/"},
        )
    assert response["Location"] == reverse("milestones:detail", args=[change.milestone_id])


# --- audit -----------------------------------------------------------------------------------------------


def test_every_write_is_in_the_audit_log_with_before_and_after(cast):
    ms = Milestone.objects.get(pk=cast.milestone.pk)
    milestone_update(
        milestone=ms,
        user=cast.alice,
        status=WorkStatus.IN_PROGRESS,
        completed_on=None,
        comment="",
        expected_version=ms.version,
    )
    measure_report_progress(
        measure=cast.measure,
        user=cast.alice,
        status=WorkStatus.IN_PROGRESS,
        percent_done=30,
        comment="着手",
        is_internal=False,
    )
    events = list(AuditEvent.objects.filter(action=AuditEvent.Action.DATA_CHANGE, user=cast.alice).order_by("at"))
    change = next(e for e in events if e.detail["model"] == "milestones.milestone")
    assert change.detail["changes"] == [{"field": "状況", "before": "not_started", "after": "in_progress"}]
    report = next(e for e in events if e.detail["model"] == "measures.progressupdate")
    assert report.detail["change"] == "created" and report.detail["values"]["進捗率（%）"] == 30


def test_the_audit_detail_page_shows_japanese_time(client, cast, settings):
    with time_machine.travel(dt.datetime(2026, 11, 20, 23, 30, tzinfo=dt.UTC), tick=False):
        measure_report_progress(
            measure=cast.measure,
            user=cast.admin,
            status=WorkStatus.IN_PROGRESS,
            percent_done=10,
            comment="",
            is_internal=False,
        )
    event = AuditEvent.objects.get(action=AuditEvent.Action.DATA_CHANGE, user=cast.admin)
    client.force_login(cast.admin)
    listing = client.get(reverse("admin:plans_auditevent_changelist")).content.decode()
    detail = client.get(reverse("admin:plans_auditevent_change", args=[event.pk])).content.decode()
    assert "2026/11/21 08:30:00 JST" in listing and "2026/11/21 08:30:00 JST" in detail
    assert event.detail["values"]["報告日時"] == "2026/11/21 08:30:00 JST"


def test_the_admin_speaks_japanese(client, cast):
    client.force_login(cast.admin)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ja"
    html = client.get(reverse("admin:plans_plan_changelist")).content.decode()
    assert "計画期間" in html and "PERIOD LABEL" not in html.upper().replace("計画期間", "")
