"""Plan revisions: a copied version, the 新旧対照表 (page, .xlsx, manage.py plan_diff), approval, bad input."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from governance import services
from governance.models import PlanRevision
from governance.plan_diff import Change, plan_diff
from measures.models import Indicator, IndicatorValue, Measure, ProgressUpdate
from milestones.models import Milestone
from plans.models import Pillar, Plan

from .factories import IndicatorFactory, IndicatorValueFactory, MilestoneFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(cast):
    """The cast's plan with a pillar, a second milestone and a KPI with a value."""
    pillar = Pillar.objects.create(plan=cast.plan, code="P1", name="行政サービスのデジタル化")
    Measure.objects.filter(pk=cast.measure.pk).update(pillar=pillar)
    MilestoneFactory(measure=cast.measure, code="M01-2", title="本稼働")
    kpi = IndicatorFactory(measure=cast.measure, code="K01", name="オンライン申請率")
    IndicatorValueFactory(indicator=kpi, value=40)
    return cast


def _xlsx_rows(content: bytes) -> list[list]:
    sheet = load_workbook(BytesIO(content)).worksheets[0]
    return [[c.value for c in row] for row in sheet.iter_rows(min_row=5)]


def test_a_revision_copies_the_plan_and_a_fresh_copy_has_no_differences(plan):
    revision = services.revision_start(user=plan.admin, plan=plan.plan, reason="第2版へ")
    new = revision.new_plan
    assert (new.version, new.status, new.vision) == (2, Plan.Status.DRAFT, plan.plan.vision)
    assert set(Measure.objects.filter(plan=new).values_list("code", "pillar__code")) == {("M01", "P1")}
    copied = Measure.objects.get(plan=new, code="M01")
    assert sorted(i.number for i in copied.national_items.all()) == [1, 3]
    assert set(Milestone.objects.filter(plan=new).values_list("code", flat=True)) == {"M01-1", "M01-2"}
    assert Indicator.objects.get(plan=new).code == "K01"
    assert IndicatorValue.objects.get(indicator__plan=new).value == 40
    assert plan_diff(old=plan.plan, new=new) == []


def test_progress_history_follows_the_measure_into_the_new_version(plan):
    first = ProgressUpdate.objects.create(
        measure=plan.measure, author=plan.alice, status="in_progress", percent_done=30, comment="要件定義に着手"
    )
    ProgressUpdate.objects.filter(pk=first.pk).update(created_at=timezone.now() - dt.timedelta(days=200))
    ProgressUpdate.objects.create(measure=plan.measure, author=plan.alice, status="in_progress", percent_done=60)
    new = services.revision_start(user=plan.admin, plan=plan.plan).new_plan
    copied = list(ProgressUpdate.objects.filter(measure__plan=new, measure__code="M01").order_by("created_at"))
    assert [(u.percent_done, u.author) for u in copied] == [(30, plan.alice), (60, plan.alice)]
    assert copied[0].created_at == ProgressUpdate.objects.get(pk=first.pk).created_at  # its own date, not today
    assert plan.measure.progress_updates.count() == 2  # the old version keeps its history


def test_the_shinkyu_table_lists_exactly_a_changed_title_and_a_removed_milestone(plan):
    revision = services.revision_start(user=plan.admin, plan=plan.plan)
    new = revision.new_plan
    Measure.objects.filter(plan=new, code="M01").update(title="基幹業務システムの標準化（ガバメントクラウド移行）")
    Milestone.objects.filter(plan=new, code="M01-2").delete()

    rows = plan_diff(old=plan.plan, new=new)

    assert [(r.section, r.code, r.change, r.field, r.old, r.new) for r in rows] == [
        (
            "施策",
            "M01",
            Change.CHANGED,
            "施策名",
            plan.measure.title,
            "基幹業務システムの標準化（ガバメントクラウド移行）",
        ),
        ("マイルストーン", "M01-2", Change.REMOVED, "", "本稼働", ""),
    ]
    client = Client()
    client.force_login(plan.admin)
    page = client.get(reverse("governance:revision", kwargs={"pk": revision.pk})).content.decode()
    assert "基幹業務システムの標準化（ガバメントクラウド移行）" in page and "削除" in page
    response = client.get(reverse("governance:revision_xlsx", kwargs={"pk": revision.pk}))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert [r[:5] for r in _xlsx_rows(response.content)] == [
        ["施策", "M01", "基幹業務システムの標準化（ガバメントクラウド移行）", "変更", "施策名"],
        ["マイルストーン", "M01-2", "本稼働", "削除", None],
    ]


def test_added_rows_and_plan_fields_are_marked(plan):
    new = services.revision_start(user=plan.admin, plan=plan.plan).new_plan
    Plan.objects.filter(pk=new.pk).update(vision="誰一人取り残さない")
    MilestoneFactory(measure=Measure.objects.get(plan=new, code="M01"), code="M01-3", title="効果検証")
    rows = plan_diff(old=plan.plan, new=Plan.objects.get(pk=new.pk))
    assert {(r.section, r.change, r.field or r.code) for r in rows} == {
        ("計画", Change.CHANGED, "目指す姿"),
        ("マイルストーン", Change.ADDED, "M01-3"),
    }


def test_plan_diff_command_writes_the_xlsx_with_formulas_neutralised(plan, tmp_path):
    new = services.revision_start(user=plan.admin, plan=plan.plan).new_plan
    Measure.objects.filter(plan=new, code="M01").update(title='=HYPERLINK("http://evil")')
    out = tmp_path / "shinkyu.xlsx"
    call_command("plan_diff", str(plan.plan.pk), str(new.pk), str(out))
    rows = _xlsx_rows(out.read_bytes())
    assert rows == [
        [
            "施策",
            "M01",
            '\'=HYPERLINK("http://evil")',
            "変更",
            "施策名",
            plan.measure.title,
            '\'=HYPERLINK("http://evil")',
        ]
    ]


def test_plans_of_two_municipalities_cannot_be_compared(plan, tmp_path):
    with pytest.raises(ValidationError, match="異なる自治体の計画"):
        plan_diff(old=plan.plan, new=plan.other_plan)
    out = tmp_path / "x.xlsx"
    with pytest.raises(CommandError, match="異なる自治体の計画"):
        call_command("plan_diff", str(plan.plan.pk), str(plan.other_plan.pk), str(out))
    assert not out.exists()
    with pytest.raises(CommandError, match="見つかりません"):
        call_command("plan_diff", str(plan.plan.pk), "999999", str(out))


def test_approval_makes_the_new_version_current_and_archives_the_old_one(plan):
    revision = services.revision_start(user=plan.admin, plan=plan.plan)
    services.revision_approve(user=plan.admin, revision=revision)
    old, new = Plan.objects.get(pk=plan.plan.pk), Plan.objects.get(pk=revision.new_plan.pk)
    assert (old.status, new.status) == (Plan.Status.ARCHIVED, Plan.Status.APPROVED)
    revision.refresh_from_db()
    assert revision.status == PlanRevision.Status.APPROVED and revision.old_plan == old  # linked
    assert old.history.first().history_change_reason.startswith("改定により終了")
    with pytest.raises(ValidationError, match="承認済み"):
        services.revision_approve(user=plan.admin, revision=revision)
    with pytest.raises(ValidationError, match="終了した計画"):
        services.revision_start(user=plan.admin, plan=old)


def test_a_second_revision_while_one_is_pending_is_refused(plan):
    services.revision_start(user=plan.admin, plan=plan.plan)
    plans_before = Plan.objects.count()
    with pytest.raises(ValidationError, match="承認待ちの改定案があります"):
        services.revision_start(user=plan.admin, plan=plan.plan)
    assert Plan.objects.count() == plans_before


def test_approving_while_another_revision_is_pending_is_refused(plan):
    first = services.revision_start(user=plan.admin, plan=plan.plan)  # v1 → v2, pending
    second = services.revision_start(user=plan.admin, plan=first.new_plan)  # v2 → v3, drafted on top of it
    with pytest.raises(ValidationError, match="自体がまだ承認待ちの改定案です"):
        services.revision_approve(user=plan.admin, revision=second)
    assert Plan.objects.get(pk=plan.plan.pk).status == Plan.Status.APPROVED
    assert Plan.objects.get(pk=first.new_plan.pk).status == Plan.Status.DRAFT
    assert PlanRevision.objects.get(pk=second.pk).status == PlanRevision.Status.PENDING


def test_only_the_secretariat_revises_plans(plan):
    for user in (plan.alice, plan.council, plan.viewer, plan.mallory):
        with pytest.raises(PermissionDenied):
            services.revision_start(user=user, plan=plan.plan)
    assert not PlanRevision.objects.exists()
    client = Client()
    client.force_login(plan.council)
    response = client.post(reverse("governance:revisions"), {"plan": plan.plan.pk})
    assert response.status_code == 403 and not PlanRevision.objects.exists()


def test_the_revision_page_shows_a_clear_message_when_approval_is_refused(plan):
    first = services.revision_start(user=plan.admin, plan=plan.plan)
    services.revision_approve(user=plan.admin, revision=first)
    client = Client()
    client.force_login(plan.admin)
    response = client.post(reverse("governance:revision_approve", kwargs={"pk": first.pk}), follow=True)
    assert "この改定案はすでに承認済みです。" in response.content.decode()


def test_the_shinkyu_table_reads_both_plans_in_a_fixed_number_of_queries(plan, django_assert_max_num_queries):
    new = services.revision_start(user=plan.admin, plan=plan.plan).new_plan
    for n in range(10):
        MilestoneFactory(measure=Measure.objects.get(plan=new, code="M01"), code=f"NEW-{n}")
    with django_assert_max_num_queries(12):
        rows = plan_diff(old=plan.plan, new=new)
    assert len(rows) == 10 and all(r.change == Change.ADDED for r in rows)


def test_a_pending_revision_is_not_worked_on_twice_and_an_archived_plan_leaves_the_work_list(plan, settings):
    import datetime as dt

    from django.core import mail

    from milestones.reminders import run_reminders
    from work.selectors import work_list

    settings.REMINDER_STALE_DAYS = 0
    plan.joho.email = "joho@example.jp"
    plan.joho.save()
    Milestone.objects.filter(plan=plan.plan, code="M01-2").update(due_date=dt.date(2026, 12, 1))
    revision = services.revision_start(user=plan.admin, plan=plan.plan)
    today = dt.date(2026, 11, 24)

    def codes() -> list[tuple[str, int]]:
        return sorted(
            (r.milestone.code, r.milestone.plan_id) for r in work_list(user=plan.alice, today=today).milestones
        )

    assert codes() == [("M01-1", plan.plan.pk), ("M01-2", plan.plan.pk)]  # the draft's copies are not listed
    run_reminders(run_date=today, inline=True)
    body = mail.outbox[0].body
    assert body.count("M01-2") == 1  # reminded once, not once per version
    services.revision_approve(user=plan.admin, revision=revision)
    assert codes() == [("M01-1", revision.new_plan.pk), ("M01-2", revision.new_plan.pk)]
