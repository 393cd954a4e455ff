"""A staff member completes a milestone in the browser; a council member sees it, with no edit controls."""

import pytest
from playwright.sync_api import expect

from milestones.models import Milestone

from .conftest import login

# Not serialized_rollback: after another transactional test's flush, restoring the serialized role groups collides
# with the ones post_migrate recreated (test_dashboard.py); `cast` reloads the national framework.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_completes_a_milestone_and_council_sees_it_read_only(browser, live_server, cast):
    staff = browser.new_context(locale="ja-JP")
    page = staff.new_page()
    login(page, live_server, "alice")
    expect(page.get_by_role("heading", name="担当の取組")).to_be_visible()  # staff land on their work

    row = page.get_by_role("row").filter(has_text=cast.milestone.title)
    row.get_by_role("link", name="更新").click()
    page.get_by_label("状況", exact=True).select_option(label="完了")
    page.get_by_label("コメント").fill("本番稼働を確認しました")
    page.get_by_label("コメント").press("Tab")  # keyboard: move on to the submit button and press it
    page.keyboard.press("Tab")
    page.get_by_role("button", name="保存する").click()

    expect(page.get_by_role("status").first).to_contain_text("を更新しました")
    expect(page.locator("dd.milestone-status")).to_have_text("完了")
    timeline = page.locator("section.timeline")
    expect(timeline.locator("li").first).to_contain_text("状況: 未着手 → 完了")
    expect(timeline.locator("li").first).to_contain_text("alice")
    assert Milestone.objects.get(pk=cast.milestone.pk).status == "done"

    council = browser.new_context(locale="ja-JP")
    reader = council.new_page()
    login(reader, live_server, "council1")
    reader.goto(f"{live_server.url}/milestones/{cast.milestone.pk}/")
    expect(reader.locator("dd.milestone-status")).to_have_text("完了")
    expect(reader.locator("section.timeline li").first).to_contain_text("状況: 未着手 → 完了")
    expect(reader.get_by_role("button", name="保存する")).to_have_count(0)
    expect(reader.locator("form[action$='/update/']")).to_have_count(0)
    reader.goto(f"{live_server.url}/measures/{cast.measure.pk}/")
    expect(reader.locator("a[href$='/update/']")).to_have_count(0)
    expect(reader.get_by_role("button", name="報告する")).to_have_count(0)
    response = reader.goto(f"{live_server.url}/milestones/{cast.milestone.pk}/update/")
    assert response.status == 403
    expect(reader.get_by_role("alert")).to_contain_text("権限がありません")
    staff.close()
    council.close()
