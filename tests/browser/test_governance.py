"""The 事務局 prepares a 本部会議 from the plan's exceptions and records a decision; the action it creates is
市民課's milestone: on their 「担当の取組」 and in their next reminder digest."""

import datetime as dt

import pytest
from django.core import mail
from playwright.sync_api import expect

from governance.models import Action, AgendaItem
from milestones.models import Milestone
from milestones.reminders import run_reminders
from tests.factories import IndicatorFactory, IndicatorValueFactory, MeasureFactory, MilestoneFactory

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

RUN_DAY = dt.date(2026, 11, 24)  # a Tuesday (11/23 is a holiday); the action is due 7 days later
ACTION_DUE = "令和8年12月1日"


def test_secretariat_builds_the_agenda_and_a_decision_reaches_the_department(browser, live_server, cast, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    late = MeasureFactory(plan=cast.plan, owner_department=cast.shimin, code="M02", title="窓口予約のオンライン化")
    MilestoneFactory(measure=late, code="M02-1", title="予約システムの調達", due_date=dt.date(2026, 10, 1))
    kpi = IndicatorFactory(measure=late, code="K02", name="オンライン予約率", baseline_value=0, target_value=100)
    IndicatorValueFactory(indicator=kpi, value=10, as_of=dt.date(2026, 9, 30))

    context = browser.new_context(locale="ja-JP")
    page = context.new_page()
    login(page, live_server, "admin1")
    page.goto(f"{live_server.url}/governance/meetings/")
    page.get_by_role("link", name="会議を作成する").click()
    page.get_by_label("会議の種類").select_option(label="本部会議")
    page.get_by_label("回", exact=True).fill("7")
    page.get_by_label("開催日").fill("令和8年11月20日")
    page.get_by_role("button", name="作成する").click()
    expect(page.get_by_role("heading", name="第7回 本部会議")).to_be_visible()

    proposals = page.locator("table.proposals tbody tr")
    expect(proposals.filter(has_text="遅延: M02 窓口予約のオンライン化")).to_have_count(1)
    expect(proposals.filter(has_text="評価D: オンライン予約率")).to_have_count(1)
    titles = [proposals.nth(i).locator("label").inner_text() for i in range(3)]
    for title in titles:
        page.get_by_label(title, exact=True).check()
    page.get_by_role("button", name="選んだ提案を議題に採用する").click()
    expect(page.get_by_role("status").first).to_contain_text("3件の議題を採用しました")
    agenda = page.locator("table.agenda tbody tr")
    expect(agenda).to_have_count(3)
    for title in titles:
        expect(agenda.filter(has_text=title)).to_have_count(1)
        expect(proposals.filter(has_text=title)).to_have_count(0)  # accepted: no longer proposed

    agenda.first.get_by_role("link", name="決定を記録").click()
    page.get_by_label("決定事項", exact=True).fill("予約システムの調達方針を見直し、仕様書を改訂する")
    page.get_by_label("対応事項1: 内容").fill("調達仕様書の改訂")
    page.get_by_label("対応事項1: 担当部署").select_option(label="市民課")
    page.get_by_label("対応事項1: 期限").fill(ACTION_DUE)
    page.get_by_role("button", name="記録する").click()
    expect(page.get_by_role("status").first).to_contain_text("対応事項 1件をマイルストーンとして登録")
    expect(page.locator("table.decisions")).to_contain_text("調達仕様書の改訂 — 市民課、期限 2026/12/01、未着手")

    action = Action.objects.select_related("milestone").get()
    assert action.decision.agenda_item == AgendaItem.objects.order_by("order").first()
    assert action.milestone.owner_department == cast.shimin

    staff = browser.new_context(locale="ja-JP")
    staff_page = staff.new_page()
    login(staff_page, live_server, "bob")  # 市民課
    expect(staff_page.get_by_role("heading", name="担当の取組")).to_be_visible()
    row = staff_page.get_by_role("row").filter(has_text="調達仕様書の改訂")
    expect(row).to_have_count(1)
    expect(row.get_by_role("link", name="更新")).to_be_visible()  # and they report on it like any milestone

    run_reminders(run_date=RUN_DAY, inline=True)
    to_bob = [m for m in mail.outbox if "bob@example.jp" in m.to]
    assert len(to_bob) == 1
    assert "調達仕様書の改訂" in to_bob[0].body and "市民課" in to_bob[0].subject
    assert Milestone.objects.get(pk=action.milestone_id).reminders.filter(stage="before_7").exists()
    context.close()
    staff.close()
