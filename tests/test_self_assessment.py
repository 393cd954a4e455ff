"""One progress story: forms never reset the last report, and the department's own assessment is shown beside the
milestone % and flagged 「自己評価と工程に差異」 by one rule (measures/progress.py) everywhere."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from measures.models import ProgressUpdate, WorkStatus
from measures.progress import DISCREPANCY_PERCENT_POINTS, self_assessment_discrepancy

from .factories import MilestoneFactory, ProgressUpdateFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.UTC)


# --- the rule ----------------------------------------------------------------------------------------


def _flag(**kw):
    args = dict(total=4, done=2, overdue=0, latest_status=WorkStatus.IN_PROGRESS, latest_percent=50) | kw
    return self_assessment_discrepancy(**args)


def test_the_threshold_is_twenty_points():
    assert DISCREPANCY_PERCENT_POINTS == 20


@pytest.mark.parametrize("percent, flagged", [(70, False), (71, True), (30, False), (29, True), (50, False)])
def test_a_reported_percent_more_than_twenty_points_from_the_milestones_is_flagged(percent, flagged):
    assert bool(_flag(latest_percent=percent)) is flagged


def test_reporting_in_progress_with_an_overdue_milestone_is_flagged():
    d = _flag(overdue=1)
    assert d and "期限超過のマイルストーンが1件" in d.explanation


def test_reporting_delayed_with_an_overdue_milestone_is_honest():
    assert not _flag(overdue=2, latest_status=WorkStatus.DELAYED)


def test_without_milestones_or_without_a_report_nothing_can_disagree():
    assert not _flag(total=0, done=0, latest_percent=90)
    assert not _flag(latest_status=None, latest_percent=None)


# --- the forms ---------------------------------------------------------------------------------------


def test_the_progress_form_from_the_work_list_opens_with_the_last_report(client, cast):
    ProgressUpdateFactory(measure=cast.measure, status=WorkStatus.DELAYED, percent_done=55, author=cast.alice)
    client.force_login(cast.alice)
    html = client.get(reverse("measures:report_progress", args=[cast.measure.pk])).content.decode()
    assert '<option value="delayed" selected>' in html
    assert 'value="55"' in html


def test_a_comment_only_report_keeps_the_status_and_percent(client, cast):
    ProgressUpdateFactory(measure=cast.measure, status=WorkStatus.DELAYED, percent_done=55, author=cast.alice)
    client.force_login(cast.alice)
    response = client.post(
        reverse("measures:report_progress", args=[cast.measure.pk]),
        {"status": "delayed", "percent_done": "", "comment": "ベンダーと調整中"},
    )
    assert response.status_code == 302
    latest = ProgressUpdate.objects.filter(measure=cast.measure).first()
    assert (latest.status, latest.percent_done, latest.comment) == ("delayed", 55, "ベンダーと調整中")


# --- where the flag shows ------------------------------------------------------------------------------


@pytest.fixture
def disagreeing(cast):
    """Milestones say 0 % with one overdue; the department says 進行中, 60 %, 「計画どおり」."""
    cast.milestone.due_date = dt.date(2026, 10, 1)
    cast.milestone.save()
    MilestoneFactory(measure=cast.measure, code="M01-2", due_date=dt.date(2027, 3, 1))
    ProgressUpdateFactory(
        measure=cast.measure,
        status=WorkStatus.IN_PROGRESS,
        percent_done=60,
        comment="計画どおり進めています",
        author=cast.alice,
    )
    return cast


@pytest.mark.parametrize(
    "who, url",
    [
        ("alice", lambda c: reverse("measures:detail", args=[c.measure.pk])),
        ("alice", lambda c: reverse("work:mine")),
        ("council", lambda c: reverse("dashboard:measures")),
        ("admin", lambda c: reverse("office:home")),
    ],
)
def test_the_flag_and_the_self_assessment_show_on_every_list(client, disagreeing, who, url):
    client.force_login(getattr(disagreeing, who))
    with time_machine.travel(NOW, tick=False):
        html = client.get(url(disagreeing)).content.decode()
    assert "自己評価と工程に差異" in html
    if who != "admin":
        assert "60%" in html and "進行中" in html


def test_the_measure_page_labels_and_dates_the_self_assessment(client, disagreeing):
    client.force_login(disagreeing.council)
    with time_machine.travel(NOW, tick=False):
        html = client.get(reverse("measures:detail", args=[disagreeing.measure.pk])).content.decode()
    assert "担当部署の自己評価（最新の進捗報告）" in html
    assert "報告の進捗率60%と工程の0%の差が20ポイント超" in html
    assert "期限超過のマイルストーンが1件" in html


def test_the_demo_tells_one_story_with_a_single_explained_discrepancy(settings):
    import io

    from django.core.management import call_command
    from django.utils import timezone

    from devdata.demo import OPTIMISTIC_MEASURE
    from measures.models import Measure
    from measures.progress import annotate_measure_progress, discrepancy_of_annotated
    from milestones.models import DueDateChangeRequest, Milestone

    settings.DEBUG = True  # seed_demo refuses to run with DEBUG off
    call_command("seed_demo", stdout=io.StringIO())
    measures = annotate_measure_progress(Measure.objects.all(), today=timezone.localdate())
    assert [m.code for m in measures if discrepancy_of_annotated(m)] == [OPTIMISTIC_MEASURE]
    assert DueDateChangeRequest.objects.filter(state="pending").count() == 1
    moved = Milestone.objects.get(code="M01-4")
    assert moved.slip_days == 45 and moved.due_date_requests.get().state == "approved"
