"""Staff and 事務局 daily work in Chromium: a comment-only report keeps the status; a due-date change is asked for,
approved from the 事務局's home, shown against its 当初期限, and used by the next digest. The staff and 事務局
pages pass axe-core with no serious or critical violation. Screenshots go to artifacts/."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from measures.models import ProgressUpdate, WorkStatus
from milestones.business_days import next_business_day
from milestones.models import Milestone, ReminderLog
from milestones.reminders import run_reminders
from tests.factories import IndicatorFactory, MilestoneFactory, ProgressUpdateFactory
from tests.services import require

from .conftest import login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]  # not serialized_rollback: see tests/browser/conftest.py

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"daily-{name}.png"), full_page=True)


def _axe(page) -> list:
    require("axe-core", AXE.exists(), "run `npm ci` (package.json pins axe-core)")
    page.evaluate(AXE.read_text(encoding="utf-8"))  # via DevTools: the strict CSP forbids inline scripts
    result = page.evaluate("""async () => await axe.run(document, {
        runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})""")
    return [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture
def daily(cast):
    today = timezone.localdate()
    cast.joho.email = "joho@example.jp"
    cast.joho.save()
    cast.milestone.due_date = today + dt.timedelta(days=200)
    cast.milestone.save()
    cast.ms = MilestoneFactory(
        measure=cast.measure,
        code="MIG",
        title="住民記録システムの移行",
        due_date=today + dt.timedelta(days=10),
        status=WorkStatus.IN_PROGRESS,
    )
    cast.kpi = IndicatorFactory(measure=cast.measure, name="オンライン申請率")
    ProgressUpdateFactory(
        measure=cast.measure,
        status=WorkStatus.DELAYED,
        percent_done=40,
        author=cast.alice,
        comment="ベンダーの体制変更で遅れています",
    )
    return cast


def test_staff_and_office_daily_work(browser, live_server, daily):
    today = timezone.localdate()
    new_due = today + dt.timedelta(days=25)
    staff = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    page = staff.new_page()
    login(page, live_server, "alice")
    expect(page.get_by_role("heading", name="担当の取組")).to_be_visible()
    expect(
        page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="ダッシュボード")
    ).to_be_visible()
    expect(page.get_by_role("link", name="KPI実績を登録: オンライン申請率")).to_be_visible()
    assert _axe(page) == []
    _shot(page, "1-work")

    # A report with only a comment: the form opened with the last 状況 and 進捗率, and they stay.
    page.get_by_role("link", name=re.compile("進捗を報告")).first.click()
    expect(page.get_by_label("状況", exact=True)).to_have_value("delayed")
    expect(page.get_by_label("進捗率（%）")).to_have_value("40")
    assert _axe(page) == []
    _shot(page, "2-progress-form")
    page.get_by_label("コメント").fill("ベンダーと移行日程を再調整中")
    page.get_by_role("button", name="報告する").click()
    expect(page.get_by_role("status").first).to_contain_text("進捗を報告しました")
    expect(page.locator("#self-assessment")).to_contain_text("遅延・40%")
    latest = ProgressUpdate.objects.filter(measure=daily.measure).first()
    assert (latest.status, latest.percent_done, latest.comment) == ("delayed", 40, "ベンダーと移行日程を再調整中")
    assert _axe(page) == []
    _shot(page, "3-measure")

    # The department asks for a new due date.
    page.goto(f"{live_server.url}/milestones/{daily.ms.pk}/")
    page.get_by_label("新しい期限").fill(f"{new_due:%Y/%m/%d}")
    page.get_by_label("変更の理由").fill("ベンダーの体制変更により移行リハーサルを1回追加するため")
    assert _axe(page) == []
    page.get_by_role("button", name="変更を申請する").click()
    expect(page.get_by_role("status").first).to_contain_text("期限の変更を申請しました")
    expect(page.locator(".pending-request")).to_contain_text(f"{new_due:%Y/%m/%d}")
    _shot(page, "4-requested")
    assert Milestone.objects.get(pk=daily.ms.pk).due_date == today + dt.timedelta(days=10)

    # The 事務局 lands on its home and approves there.
    office = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    admin_page = office.new_page()
    login(admin_page, live_server, "admin1")
    expect(admin_page.get_by_role("heading", name="事務局のホーム", exact=True)).to_be_visible()
    request_card = admin_page.locator("article.pending-request").filter(has_text="住民記録システムの移行")
    expect(request_card).to_contain_text("移行リハーサルを1回追加")
    assert _axe(admin_page) == []
    _shot(admin_page, "5-office-home")
    request_card.get_by_label("事務局のコメント").fill("本部長了承済み")
    request_card.get_by_role("button", name=re.compile("承認する")).click()
    expect(admin_page.get_by_role("status").first).to_contain_text(f"期限を {new_due:%Y/%m/%d} に変更しました")
    expect(admin_page.get_by_role("heading", name="承認待ちの期限変更申請（0）")).to_be_visible()

    # The milestone shows its 当初期限 and the slippage.
    page.goto(f"{live_server.url}/milestones/{daily.ms.pk}/")
    expect(page.locator("dd.baseline-due")).to_have_text(f"{today + dt.timedelta(days=10):%Y/%m/%d}")
    expect(page.locator("dd.slip-days")).to_contain_text("15日延長")
    expect(page.locator("dd.slip-days")).to_contain_text("承認された変更 1回")
    expect(page.locator("#slippage")).to_contain_text("移行リハーサルを1回追加")
    assert _axe(page) == []
    _shot(page, "6-milestone-after")

    # The next digest speaks of the new date, with the real days left and a link to the update form.
    run_date = next_business_day(today + dt.timedelta(days=1))
    mail.outbox.clear()
    run_reminders(run_date=run_date, inline=True)
    log = ReminderLog.objects.filter(milestone=daily.ms).latest("claimed_at")
    assert log.due_date == new_due
    body = next(m.body for m in mail.outbox if "住民記録システムの移行" in m.body)
    assert f"あと{(new_due - run_date).days}日" in body
    assert f"/milestones/{daily.ms.pk}/update/" in body
    staff.close()
    office.close()
