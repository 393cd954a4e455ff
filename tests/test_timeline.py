"""The timeline of a measure or milestone: every update, status change, KPI value and import, newest first."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from measures.services import indicator_record_value, measure_report_progress
from milestones.services import milestone_update
from milestones.timeline import measure_timeline, milestone_timeline
from plans.imports import import_change_reason, import_run_id_from_reason
from plans.models import ImportRun

from .factories import IndicatorFactory

pytestmark = pytest.mark.django_db

# After the cast is created (now), so the story is the newest part of the history.
T0 = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).replace(microsecond=0)


def _at(hours: int):
    return time_machine.travel(T0 + dt.timedelta(hours=hours), tick=False)


def _story(cast):
    """09:00 an Excel import sets the milestone in progress; 10:00 alice reports progress; 11:00 a KPI value;
    12:00 its correction; 13:00 alice completes the milestone."""
    indicator = IndicatorFactory(measure=cast.measure, name="オンライン手続数", unit="件")
    with _at(0):
        run = ImportRun.objects.create(
            plan=cast.plan, user=cast.admin, file_name="さくら台市DX計画.xlsx", status=ImportRun.Status.APPLIED
        )
        ms = cast.milestone
        ms.status = "in_progress"
        ms._change_reason = import_change_reason(run)
        ms._history_user = cast.admin
        ms.save()
    with _at(1):
        measure_report_progress(
            measure=cast.measure,
            user=cast.alice,
            status="in_progress",
            percent_done=30,
            comment="ベンダーと調整中",
            is_internal=False,
        )
    with _at(2):
        indicator_record_value(
            indicator=indicator,
            user=cast.alice,
            value=Decimal(12),
            as_of=dt.date(2025, 5, 31),
            source="業務統計",
            note="",
        )
    with _at(3):
        indicator_record_value(
            indicator=indicator,
            user=cast.alice,
            value=Decimal(15),
            as_of=dt.date(2025, 5, 31),
            source="業務統計",
            note="集計漏れ",
        )
    with _at(4):
        ms.refresh_from_db()
        milestone_update(
            milestone=ms,
            user=cast.alice,
            status="done",
            completed_on=dt.date(2025, 6, 2),
            comment="稼働しました",
            expected_version=ms.version,
        )
    return run


def test_the_measure_timeline_shows_import_update_and_kpi_correction_newest_first(cast):
    _story(cast)
    entries = measure_timeline(measure=cast.measure)
    story = [(e.kind, e.title) for e in entries if e.at >= T0]
    assert story == [
        ("milestone", f"{cast.milestone.code} {cast.milestone.title} を更新"),
        ("kpi", "オンライン手続数 の実績を訂正"),
        ("kpi", "オンライン手続数 の実績を登録"),
        ("progress", "進捗を報告"),
        ("import", f"{cast.milestone.code} {cast.milestone.title} を更新"),
    ]
    done, correction, _first, progress, imported = entries[:5]
    assert "状況: 進行中 → 完了" in done.details and done.who == "alice" and done.comment == "稼働しました"
    assert "訂正前: 12件" in correction.details and "実績値: 15件" in correction.details
    assert correction.is_correction and correction.comment == "集計漏れ"
    assert progress.who == "alice" and "進捗率: 30%" in progress.details
    assert imported.who == "admin1" and "状況: 未着手 → 進行中" in imported.details
    assert "ファイル: さくら台市DX計画.xlsx" in imported.details


def test_the_milestone_timeline_shows_its_status_changes_and_the_import(cast):
    _story(cast)
    kinds = [(e.kind, e.details[0] if e.details else "") for e in milestone_timeline(milestone=cast.milestone)]
    assert kinds[0] == ("milestone", "状況: 進行中 → 完了")
    assert kinds[1] == ("import", "状況: 未着手 → 進行中")
    assert kinds[-1][0] == "milestone"  # its creation, oldest


def test_an_import_names_itself_in_the_history_and_the_timeline_reads_the_same_name(cast):
    run = ImportRun.objects.create(
        plan=cast.plan, user=cast.admin, file_name="計画.xlsx" + "あ" * 120, status=ImportRun.Status.APPLIED
    )
    reason = import_change_reason(run)
    assert reason.startswith(f"インポート #{run.pk} (計画.xlsx") and len(reason) == 100
    assert import_run_id_from_reason(reason) == run.pk
    assert import_run_id_from_reason(f"インポート #{run.pk}") == run.pk
    for other in (
        None,
        "",
        "担当者の異動",
        f"インポートの誤りを修正（#{run.pk} を参照）",
        f"Excelインポート #{run.pk}",
        "インポート（計画の新規作成）",
        f"import #{run.pk}",
    ):
        assert import_run_id_from_reason(other) is None, other


def test_a_change_whose_reason_only_mentions_an_import_is_not_shown_as_the_import(cast):
    run = ImportRun.objects.create(
        plan=cast.plan, user=cast.admin, file_name="計画.xlsx", status=ImportRun.Status.APPLIED
    )
    with _at(0):
        ms = cast.milestone
        ms.title = "取込後に名称を修正"
        ms._change_reason = f"インポートの誤りを修正（#{run.pk} を参照）"
        ms._history_user = cast.alice
        ms.save()
    newest = milestone_timeline(milestone=cast.milestone)[0]
    assert newest.kind == "milestone" and newest.who == "alice"
    assert "ファイル: 計画.xlsx" not in newest.details


def test_the_detail_pages_render_the_timeline_for_a_reader(client, cast):
    _story(cast)
    client.force_login(cast.council)
    html = client.get(reverse("measures:detail", args=[cast.measure.pk])).content.decode()
    assert html.index("オンライン手続数 の実績を訂正") < html.index("進捗を報告") < html.index("さくら台市DX計画.xlsx")
    html = client.get(reverse("milestones:detail", args=[cast.milestone.pk])).content.decode()
    assert "状況: 進行中 → 完了" in html and "インポート" in html


def test_internal_comments_are_for_city_hall_staff_not_council_members(client, cast):
    from .factories import ProgressUpdateFactory

    ProgressUpdateFactory(measure=cast.measure, comment="予算要求前のため庁内限り", is_internal=True)
    ProgressUpdateFactory(measure=cast.measure, comment="公開してよい報告", is_internal=False)
    url = f"/measures/{cast.measure.pk}/"
    for user, sees_internal in (
        (cast.alice, True),
        (cast.bob, True),
        (cast.admin, True),
        (cast.council, False),
        (cast.viewer, False),
    ):
        client.force_login(user)
        html = client.get(url).content.decode()
        assert "公開してよい報告" in html
        assert ("予算要求前のため庁内限り" in html) is sees_internal, user.username
