"""Council sessions and 答弁 commitments: pages, public mode, the briefing, and commitments in the owning
department's reminder digest (exactly once)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core import mail
from django.test import Client
from openpyxl import load_workbook

from council.models import Commitment
from council.selectors import briefing_for, commitment_rows
from council.services import commitment_create, commitment_set_status, session_create
from measures.models import WorkStatus
from milestones.models import ReminderLog
from milestones.reminders import plan_run, preview, run_reminders
from milestones.reminders.sections import digest_sections

from .factories import ProgressUpdateFactory

pytestmark = pytest.mark.django_db

FRIDAY = dt.date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _on_friday_morning():
    """Everything (the cast, its history) happens on 2026-11-20, before the 第4回定例会 opens on 12/1."""
    with time_machine.travel(dt.datetime(2026, 11, 20, 9, tzinfo=dt.timezone(dt.timedelta(hours=9))), tick=False):
        yield


@pytest.fixture
def sessions(cast):
    s1 = session_create(
        municipality=cast.city, name="令和8年第2回定例会", starts_on=dt.date(2026, 6, 1), ends_on=dt.date(2026, 6, 20)
    )
    s2 = session_create(
        municipality=cast.city, name="令和8年第3回定例会", starts_on=dt.date(2026, 9, 1), ends_on=dt.date(2026, 9, 25)
    )
    s3 = session_create(
        municipality=cast.city, name="令和8年第4回定例会", starts_on=dt.date(2026, 12, 1), ends_on=dt.date(2026, 12, 18)
    )
    late = commitment_create(
        session=s1,
        questioner="山田太郎",
        answering_official="総務部長",
        words="10月を目途として要綱を改正する",
        owner_department=cast.joho,
        due_date=dt.date(2026, 10, 31),
        subject="DX推進の体制",
        measures=[cast.measure],
        internal_note="法規担当と調整中（庁内限り）",
        record_url="https://example.jp/kaigiroku/1",
    )
    fy = commitment_create(
        session=s2,
        questioner="佐藤花子",
        answering_official="市長",
        words="年度内に工程表を公表する",
        owner_department=cast.shimin,
        due_fy=2026,
    )
    return {"s1": s1, "s2": s2, "s3": s3, "late": late, "fy": fy}


def test_a_fiscal_year_commitment_is_due_at_the_end_of_that_year(sessions):
    assert sessions["fy"].deadline == dt.date(2027, 3, 31)
    assert sessions["late"].is_overdue(dt.date(2026, 11, 1))
    assert not sessions["fy"].is_overdue(dt.date(2026, 11, 1))


def test_a_commitment_needs_a_due_date_or_year(sessions, cast):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as err:
        commitment_create(
            session=sessions["s1"],
            questioner="x",
            answering_official="市長",
            words="検討する",
            owner_department=cast.joho,
        )
    assert "期限の日付か年度" in str(err.value)
    assert Commitment.objects.count() == 2


def test_the_commitments_hook_is_registered():
    assert "commitment" in {p.key for p in digest_sections()}


def test_a_commitment_past_due_appears_in_the_departments_next_digest_once(sessions, cast):
    cast.milestone.status, cast.milestone.completed_on = WorkStatus.DONE, dt.date(2026, 3, 31)
    cast.milestone.save()
    ProgressUpdateFactory(measure=cast.measure)  # nothing stale
    run_reminders(run_date=FRIDAY, inline=True)
    joho_mail = [m for m in mail.outbox if "情報政策課" in m.subject]
    assert len(joho_mail) == 1
    message = joho_mail[0]
    assert message.subject == "【DX推進】議会答弁で約束した事項 1件（情報政策課）"
    assert "■ 議会答弁で約束した事項（1件）" in message.body
    assert "10月を目途として要綱を改正する" in message.body
    assert "（20日超過）" in message.body
    assert "/council/commitments/" in message.body
    assert "議会答弁で約束した事項" in message.alternatives[0][0]
    log = ReminderLog.objects.get(section="commitment")
    assert (log.object_id, log.stage, log.state, log.department_id) == (
        sessions["late"].pk,
        "overdue_15",
        "sent",
        cast.joho.pk,
    )
    # a second run the same day (or a retried task) sends nothing more about it
    count = len(mail.outbox)
    run_reminders(run_date=FRIDAY, inline=True)
    assert len(mail.outbox) == count
    assert ReminderLog.objects.filter(section="commitment").count() == 1
    # the next business day (Tuesday 11/24, after a holiday) reaches the next overdue stage: one more, once
    run_reminders(run_date=dt.date(2026, 11, 24), inline=True)
    run_reminders(run_date=dt.date(2026, 11, 24), inline=True)
    assert len(mail.outbox) == count + 1
    assert sorted(ReminderLog.objects.filter(section="commitment").values_list("stage", flat=True)) == [
        "overdue_15",
        "overdue_22",
    ]


def test_a_completed_commitment_is_not_reminded_and_the_preview_names_it(sessions, cast):
    digests, _skip = plan_run(run_date=FRIDAY)
    lines = [line for p in preview(digests) for line in p.lines]
    assert any(line.title == "DX推進の体制" and "議会答弁で約束した事項" in line.stage for line in lines)
    commitment_set_status(commitment=sessions["late"], status=WorkStatus.DONE, completed_on=dt.date(2026, 11, 1))
    digests, _skip = plan_run(run_date=FRIDAY)
    assert not any(i.section for d in digests for i in d.items)


def test_a_commitment_completed_between_claim_and_send_is_skipped(sessions, cast):
    from milestones.reminders.claims import claim
    from milestones.reminders.delivery import deliver_digest

    digests, _skip = plan_run(run_date=FRIDAY)
    digest = next(d for d in digests if d.department_id == cast.joho.pk)
    token = dt.datetime(2026, 11, 20, 0, 0, tzinfo=dt.UTC)
    ids = claim(digest, run_date=FRIDAY, token=token, now=token)
    commitment_set_status(commitment=sessions["late"], status=WorkStatus.DONE, completed_on=dt.date(2026, 11, 19))
    deliver_digest(log_ids=ids, token=token)
    assert ReminderLog.objects.get(section="commitment").state == ReminderLog.State.SKIPPED
    assert not any("議会答弁" in m.body for m in mail.outbox)


def test_commitments_are_listed_per_session_and_questioner(sessions, cast):
    client = Client()
    client.force_login(cast.council)
    html = client.get("/council/").content.decode()
    assert "令和8年第2回定例会" in html and "10月を目途として要綱を改正する" in html and "山田太郎" in html
    only = client.get(f"/council/?session={sessions['s2'].pk}").content.decode()
    assert "年度内に工程表を公表する" in only and "10月を目途として" not in only
    by_q = client.get("/council/?questioner=山田太郎").content.decode()
    assert "10月を目途として" in by_q and "年度内に工程表" not in by_q
    detail = client.get(f"/council/commitments/{sessions['late'].pk}/").content.decode()
    assert "法規担当と調整中" in detail and "https://example.jp/kaigiroku/1" in detail


def test_public_mode_hides_names_and_internal_notes(sessions, cast, settings):
    settings.PUBLIC_DASHBOARD = True
    client = Client()
    html = client.get(f"/council/?muni={cast.city.code}").content.decode()
    assert "10月を目途として" in html and "総務部長" in html
    assert "山田太郎" not in html and "佐藤花子" not in html
    detail = client.get(f"/council/commitments/{sessions['late'].pk}/?muni={cast.city.code}").content.decode()
    assert "法規担当と調整中" not in detail and "山田太郎" not in detail
    brief = client.get(f"/council/sessions/{sessions['s3'].pk}/briefing/?muni={cast.city.code}").content.decode()
    assert "10月を目途として" in brief and "山田太郎" not in brief
    changes = client.get(f"/dashboard/changes/?muni={cast.city.code}")
    assert changes.status_code == 200 and "/measures/" not in changes.content.decode()  # no staff-page links


def test_the_briefing_has_every_part(sessions, cast):
    ProgressUpdateFactory(measure=cast.measure, comment="ベンダーとの契約が遅れたため", is_internal=False)
    ProgressUpdateFactory(measure=cast.measure, comment="内部の事情（庁内限り）", is_internal=True)
    cast.milestone.due_date = dt.date(2026, 10, 1)
    cast.milestone.save()
    b = briefing_for(plan=cast.plan, session=sessions["s3"], today=dt.date(2026, 11, 20), public=True)
    assert b.previous == sessions["s2"]
    assert b.changes.since == dt.date(2026, 11, 20)  # the previous closed 9/25, but the history starts today
    assert len(b.overview.items) == 11
    assert b.overview.overdue_count == 1
    assert [x.reason for x in b.late] == ["ベンダーとの契約が遅れたため"]  # the internal one is not shown in public
    assert {c.words for c in b.commitments} == {"10月を目途として要綱を改正する", "年度内に工程表を公表する"}
    assert b.commitments_overdue == 1
    assert all(c.questioner == "" and c.internal_note == "" for c in b.commitments)
    staff = briefing_for(plan=cast.plan, session=sessions["s3"], today=dt.date(2026, 11, 20), public=False)
    assert staff.late[0].reason == "内部の事情（庁内限り）"


def test_the_briefing_xlsx_has_a_sheet_per_part(sessions, cast):
    client = Client()
    client.force_login(cast.council)
    response = client.get(f"/council/sessions/{sessions['s3'].pk}/briefing.xlsx")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["概要", "国の取組事項", "前回からの変化", "遅れと理由", "国の期限", "答弁の進捗"]
    rows = list(wb["答弁の進捗"].values)
    assert rows[1][1] == "質問者"
    assert any(r[4] == "10月を目途として要綱を改正する" and r[8] == "期限超過" for r in rows[2:])
    assert len(list(wb["国の取組事項"].values)) == 2 + 11


def test_commitment_rows_as_of_a_past_day_show_the_status_then(sessions, cast):
    with time_machine.travel(dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC), tick=False):
        commitment_set_status(commitment=sessions["late"], status=WorkStatus.DONE, completed_on=dt.date(2026, 11, 25))
    now = commitment_rows(municipality_id=cast.city.pk, today=dt.date(2026, 11, 26), public=False)
    then = commitment_rows(
        municipality_id=cast.city.pk, today=dt.date(2026, 11, 24), public=False, as_of=dt.date(2026, 11, 24)
    )
    assert {r.id: r.status for r in now}[sessions["late"].pk] == WorkStatus.DONE
    assert {r.id: r.status for r in then}[sessions["late"].pk] == WorkStatus.NOT_STARTED


def test_another_citys_session_is_not_found(sessions, cast):
    client = Client()
    client.force_login(cast.mallory)
    assert client.get(f"/council/sessions/{sessions['s3'].pk}/briefing/").status_code == 404
    assert client.get(f"/council/commitments/{sessions['late'].pk}/").status_code == 404
    assert "10月を目途として" not in client.get("/council/").content.decode()


def test_the_changes_page_defaults_to_the_last_session(sessions, cast):
    client = Client()
    client.force_login(cast.council)
    html = client.get("/dashboard/changes/").content.decode()
    assert "前回の議会（令和8年第3回定例会、閉会 2026年9月25日）以降" in html


def test_the_owning_department_reports_a_commitments_status(sessions, cast):
    client = Client()
    client.force_login(cast.alice)  # 情報政策課 owns the late commitment
    url = f"/council/commitments/{sessions['late'].pk}/update/"
    assert "進捗を更新" in client.get(f"/council/commitments/{sessions['late'].pk}/").content.decode()
    bad = client.post(url, {"status": "in_progress", "completed_on": "2026/11/1", "progress_note": ""})
    assert bad.status_code == 200 and "完了日は状況が「完了」のときだけ入力できます" in bad.content.decode()
    response = client.post(url, {"status": "done", "completed_on": "", "progress_note": "要綱を改正しました"})
    assert response.status_code == 302
    sessions["late"].refresh_from_db()
    assert (sessions["late"].status, sessions["late"].completed_on) == (WorkStatus.DONE, dt.date(2026, 11, 20))
    assert sessions["late"].progress_note == "要綱を改正しました"
    client.force_login(cast.bob)  # 市民課: not theirs
    assert client.post(url, {"status": "in_progress"}).status_code == 403
    assert "進捗を更新" not in client.get(f"/council/commitments/{sessions['late'].pk}/").content.decode()
