"""Staff update milestones, report progress and record KPI actuals: forms, services, permissions, no lost updates."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from measures.models import IndicatorValue, ProgressUpdate, WorkStatus
from measures.services import indicator_record_value, measure_report_progress
from milestones.models import Milestone
from milestones.services import MilestoneConflict, milestone_update

from .factories import IndicatorFactory, MilestoneFactory

pytestmark = pytest.mark.django_db


def _update_url(ms):
    return reverse("milestones:update", args=[ms.pk])


def _post_milestone(client, ms, **data):
    payload = {"status": "in_progress", "completed_on": "", "comment": "", "version": ms.version} | data
    return client.post(_update_url(ms), payload)


# --- milestone form ---------------------------------------------------------------------------


def test_staff_lands_on_their_work_page_after_login(client, cast):
    response = client.post(reverse("login"), {"username": "alice", "password": "correct-horse-battery"})
    assert response["Location"] == "/"
    assert client.get("/")["Location"] == reverse("work:mine")


def test_marking_a_milestone_done_with_a_blank_date_completes_it_today(client, cast):
    client.force_login(cast.alice)
    response = _post_milestone(client, cast.milestone, status="done", comment="検収済み")
    assert response.status_code == 302
    ms = Milestone.objects.get(pk=cast.milestone.pk)
    assert (ms.status, ms.completed_on, ms.comment, ms.version) == ("done", timezone.localdate(), "検収済み", 2)
    assert ms.updated_by == cast.alice
    assert ms.history.latest().history_user == cast.alice


def test_a_japanese_era_completion_date_is_accepted(client, cast):
    client.force_login(cast.alice)
    _post_milestone(client, cast.milestone, status="done", completed_on="令和7年4月１日")
    assert Milestone.objects.get(pk=cast.milestone.pk).completed_on == dt.date(2025, 4, 1)


def test_a_completion_date_with_another_status_is_refused_beside_the_field(client, cast):
    client.force_login(cast.alice)
    response = _post_milestone(client, cast.milestone, status="in_progress", completed_on="2025/4/1")
    assert response.status_code == 200
    form = response.context["form"]
    assert "完了日は状況が「完了」のときだけ入力できます" in form.errors["completed_on"][0]
    assert 'aria-invalid="true"' in response.content.decode()
    assert Milestone.objects.get(pk=cast.milestone.pk).status == WorkStatus.NOT_STARTED


@pytest.mark.parametrize(
    "text, message",
    [
        ("2025/13/40", "存在しない日付です"),
        ("来週の月曜", "日付として読めません"),
        ("令和7年2月30日", "存在しない日付です"),
        ("2999/1/1", "未来の日付は入力できません"),
    ],
)
def test_bad_completion_dates_get_a_japanese_message_and_change_nothing(client, cast, text, message):
    client.force_login(cast.alice)
    response = _post_milestone(client, cast.milestone, status="done", completed_on=text)
    assert response.status_code == 200
    assert message in response.context["form"].errors["completed_on"][0]
    assert Milestone.objects.get(pk=cast.milestone.pk).version == 1


def test_an_unknown_status_is_refused(client, cast):
    client.force_login(cast.alice)
    response = _post_milestone(client, cast.milestone, status="finished")
    assert "status" in response.context["form"].errors


# --- no lost updates ----------------------------------------------------------------------------


def test_the_second_of_two_concurrent_saves_is_refused_naming_who_and_when(cast):
    alice_page, admin_page = Client(), Client()
    alice_page.force_login(cast.alice)
    admin_page.force_login(cast.admin)
    # Both opened the form at version 1.
    assert (
        admin_page.post(
            _update_url(cast.milestone), {"status": "delayed", "comment": "業者都合で遅延", "version": 1}
        ).status_code
        == 302
    )
    response = alice_page.post(
        _update_url(cast.milestone),
        {"status": "done", "completed_on": "2025/5/1", "comment": "完了しました", "version": 1},
    )
    assert response.status_code == 409
    html = response.content.decode()
    saved = Milestone.objects.select_related("updated_by").get(pk=cast.milestone.pk)
    when = timezone.localtime(saved.updated_at).strftime("%Y/%m/%d %H:%M")
    assert f"admin1 が {when} に更新しました" in html
    assert (saved.status, saved.comment, saved.version) == ("delayed", "業者都合で遅延", 2)  # admin's save stands
    form = response.context["form"]
    assert form.data["comment"] == "完了しました" and form.data["completed_on"] == "2025/5/1"  # input kept
    assert 'value="2"' in html  # a deliberate second save, after review, goes through
    retry = alice_page.post(_update_url(cast.milestone), dict(form.data.items()))
    assert retry.status_code == 302
    assert Milestone.objects.get(pk=cast.milestone.pk).status == "done"


def test_the_service_refuses_a_stale_version(cast):
    milestone_update(
        milestone=cast.milestone,
        user=cast.alice,
        status="in_progress",
        completed_on=None,
        comment="",
        expected_version=1,
    )
    stale = Milestone.objects.get(pk=cast.milestone.pk)
    with pytest.raises(MilestoneConflict):
        milestone_update(
            milestone=stale,
            user=cast.admin,
            status="done",
            completed_on=dt.date(2025, 4, 1),
            comment="",
            expected_version=1,
        )
    assert Milestone.objects.get(pk=cast.milestone.pk).status == "in_progress"


# --- permissions ------------------------------------------------------------------------------


def test_staff_of_another_department_gets_403_with_a_japanese_message(client, cast):
    client.force_login(cast.bob)
    response = _post_milestone(client, cast.milestone, status="done")
    assert response.status_code == 403
    assert "このマイルストーンを更新する権限がありません" in response.content.decode()
    assert Milestone.objects.get(pk=cast.milestone.pk).status == WorkStatus.NOT_STARTED


def test_a_department_owning_a_milestone_of_anothers_measure_may_update_that_milestone(client, cast):
    delegated = MilestoneFactory(measure=cast.measure, owner_department=cast.shimin)
    client.force_login(cast.bob)
    assert _post_milestone(client, delegated, status="in_progress").status_code == 302
    assert client.get(reverse("measures:report_progress", args=[cast.measure.pk])).status_code == 403


def test_services_check_permissions_themselves(cast):
    indicator = IndicatorFactory(measure=cast.measure)
    with pytest.raises(PermissionDenied):
        milestone_update(
            milestone=cast.milestone,
            user=cast.council,
            status="done",
            completed_on=dt.date(2025, 4, 1),
            comment="",
            expected_version=1,
        )
    with pytest.raises(PermissionDenied):
        measure_report_progress(
            measure=cast.measure, user=cast.bob, status="done", percent_done=100, comment="", is_internal=False
        )
    with pytest.raises(PermissionDenied):
        indicator_record_value(
            indicator=indicator, user=cast.viewer, value=Decimal(1), as_of=dt.date(2025, 4, 1), source="", note=""
        )


def test_council_sees_no_edit_controls(client, cast):
    client.force_login(cast.council)
    for url in (
        reverse("measures:detail", args=[cast.measure.pk]),
        reverse("milestones:detail", args=[cast.milestone.pk]),
    ):
        html = client.get(url).content.decode()
        assert '<form method="post" action="/m' not in html
        assert "/update/" not in html and "/progress/" not in html and "閲覧のみ" in html


def test_a_post_without_a_csrf_token_is_refused(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.alice)
    assert _post_milestone(client, cast.milestone, status="done").status_code == 403
    assert Milestone.objects.get(pk=cast.milestone.pk).version == 1


# --- progress reports ---------------------------------------------------------------------------


def test_staff_report_progress_and_it_is_appended(client, cast):
    client.force_login(cast.alice)
    url = reverse("measures:report_progress", args=[cast.measure.pk])
    response = client.post(url, {"status": "in_progress", "percent_done": "40", "comment": "順調", "is_internal": "on"})
    assert response.status_code == 302
    update = ProgressUpdate.objects.get(measure=cast.measure)
    assert (update.status, update.percent_done, update.comment, update.is_internal, update.author) == (
        "in_progress",
        40,
        "順調",
        True,
        cast.alice,
    )


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"status": "in_progress", "percent_done": "120"}, "percent_done", "100 以下"),
        ({"status": "in_progress", "percent_done": "-1"}, "percent_done", "0 以上"),
        ({"status": "done", "percent_done": "60"}, "percent_done", "進捗率を100%にしてください"),
        ({"status": "", "percent_done": "10"}, "status", "このフィールドは必須です"),
    ],
)
def test_invalid_progress_reports_are_refused_beside_the_field(client, cast, data, field, message):
    client.force_login(cast.alice)
    response = client.post(reverse("measures:report_progress", args=[cast.measure.pk]), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not ProgressUpdate.objects.exists()


def test_done_with_a_blank_percent_reports_100(cast):
    update = measure_report_progress(
        measure=cast.measure, user=cast.alice, status="done", percent_done=None, comment="", is_internal=False
    )
    assert update.percent_done == 100


# --- KPI actuals ---------------------------------------------------------------------------------


def test_a_kpi_actual_is_recorded_with_full_width_digits_and_a_japanese_date(client, cast):
    indicator = IndicatorFactory(measure=cast.measure)
    client.force_login(cast.alice)
    response = client.post(
        reverse("measures:record_value", args=[indicator.pk]),
        {"value": "１，４５０.5", "as_of": "R7.3.31", "source": "業務統計"},
    )
    assert response.status_code == 302
    value = IndicatorValue.objects.get(indicator=indicator)
    assert (value.value, value.as_of, value.source, value.recorded_by) == (
        Decimal("1450.5"),
        dt.date(2025, 3, 31),
        "業務統計",
        cast.alice,
    )


def test_a_correction_keeps_the_old_value_in_the_history(client, cast):
    indicator = IndicatorFactory(measure=cast.measure)
    client.force_login(cast.alice)
    url = reverse("measures:record_value", args=[indicator.pk])
    client.post(url, {"value": "80", "as_of": "2025/3/31"})
    client.post(url, {"value": "82.4", "as_of": "2025-03-31", "note": "集計漏れを訂正"})
    old, new = IndicatorValue.objects.filter(indicator=indicator).order_by("pk")
    assert (old.value, old.is_current) == (Decimal(80), False)
    assert (new.value, new.is_current, new.corrects_id, new.note) == (Decimal("82.4"), True, old.pk, "集計漏れを訂正")
    page = client.get(reverse("measures:detail", args=[cast.measure.pk])).content.decode()
    assert "<del>80</del>" in page and "82.4" in page


@pytest.mark.parametrize(
    "data, field",
    [
        ({"value": "たくさん", "as_of": "2025/3/31"}, "value"),
        ({"value": "10", "as_of": "来月"}, "as_of"),
        ({"value": "10", "as_of": ""}, "as_of"),
    ],
)
def test_invalid_kpi_actuals_are_refused_beside_the_field(client, cast, data, field):
    indicator = IndicatorFactory(measure=cast.measure)
    client.force_login(cast.alice)
    response = client.post(reverse("measures:record_value", args=[indicator.pk]), data)
    assert response.status_code == 200 and field in response.context["form"].errors
    assert not IndicatorValue.objects.exists()


def test_the_correction_link_prefills_the_date(client, cast):
    indicator = IndicatorFactory(measure=cast.measure)
    client.force_login(cast.alice)
    html = client.get(reverse("measures:record_value", args=[indicator.pk]) + "?as_of=2025-03-31").content.decode()
    assert 'value="2025-03-31"' in html


# --- account ---------------------------------------------------------------------------------------


def test_staff_change_their_password_on_a_japanese_page(client, cast):
    client.force_login(cast.alice)
    assert "パスワードの変更" in client.get(reverse("password_change")).content.decode()
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "correct-horse-battery",
            "new_password1": "sakura-dai-2025-dx",
            "new_password2": "sakura-dai-2025-dx",
        },
    )
    assert response["Location"] == reverse("password_change_done")
    cast.alice.refresh_from_db()
    assert cast.alice.check_password("sakura-dai-2025-dx")
