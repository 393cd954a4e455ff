"""One evaluation round in the browser: the 事務局 opens FY2025, two departments submit, one is sent back and
resubmits, the 本部 approves, and the 進捗状況報告書 downloads with those evaluations."""

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from evaluations.models import EvaluationRound, MeasureEvaluation
from tests.factories import IndicatorFactory, IndicatorValueFactory, MeasureFactory

from .conftest import login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]  # not serialized_rollback: see tests/browser/conftest.py


def _fill_and_submit(page, *, achievements: str, grade: str, direction: str, cost: str) -> None:
    page.get_by_label("取組実績").fill(achievements)
    page.get_by_label("自己評価").select_option(grade)
    page.get_by_label("今後の方向性").select_option(label=direction)
    page.get_by_label("事業費 決算（千円）").fill(cost)
    page.get_by_role("button", name="提出する").click()
    expect(page.get_by_role("status").first).to_contain_text("評価を提出しました")


def _open_evaluation(page, code: str) -> None:
    page.get_by_role("row").filter(has_text=code).get_by_role("link").first.click()


def test_one_round_from_opening_to_the_downloaded_report(browser, live_server, cast):
    kpi = IndicatorFactory(measure=cast.measure, name="オンライン申請率", baseline_value=10, target_value=60)
    IndicatorValueFactory(indicator=kpi, value=45)
    MeasureFactory(plan=cast.plan, owner_department=cast.shimin, code="S01", title="窓口のキャッシュレス化")

    secretariat = browser.new_context(locale="ja-JP", accept_downloads=True)
    admin = secretariat.new_page()
    login(admin, live_server, "admin1")
    admin.goto(f"{live_server.url}/evaluations/")
    admin.get_by_label("評価対象年度").fill("令和7年度")
    admin.get_by_role("button", name="開始する").click()
    expect(admin.get_by_role("status").first).to_contain_text("令和7年度の年度評価を開始しました（対象の施策 2件）")
    round_url = admin.url

    joho = browser.new_context(locale="ja-JP").new_page()
    login(joho, live_server, "alice")
    joho.goto(round_url)
    _open_evaluation(joho, "M01")
    expect(joho.get_by_label("オンライン申請率 の実績値（%）")).to_have_value("45")  # pre-filled from the KPI
    _fill_and_submit(joho, achievements="電子申請を20手続に拡大", grade="B", direction="拡充", cost="1,200")

    shimin = browser.new_context(locale="ja-JP").new_page()
    login(shimin, live_server, "bob")
    shimin.goto(round_url)
    _open_evaluation(shimin, "S01")
    _fill_and_submit(shimin, achievements="キャッシュレス", grade="C", direction="継続", cost="300")

    # The 事務局 sends 市民課's evaluation back with a comment and accepts 情報政策課's.
    admin.goto(round_url)
    _open_evaluation(admin, "S01")
    admin.get_by_label("差戻しの理由").fill("取組実績に導入した窓口の数を書いてください")
    admin.get_by_role("button", name="差し戻す").click()
    expect(admin.get_by_role("status").first).to_contain_text("差し戻しました")
    _open_evaluation(admin, "M01")
    admin.get_by_role("button", name="受理する").click()

    shimin.goto(round_url)
    _open_evaluation(shimin, "S01")
    expect(shimin.locator("#evaluation-state")).to_have_text("差戻し")
    expect(shimin.get_by_text("取組実績に導入した窓口の数を書いてください")).to_be_visible()
    _fill_and_submit(
        shimin, achievements="本庁と3支所の窓口でキャッシュレス決済を導入", grade="C", direction="継続", cost="300"
    )

    admin.goto(round_url)
    _open_evaluation(admin, "S01")
    admin.get_by_role("button", name="受理する").click()
    admin.get_by_role("button", name="本部として承認する").click()
    expect(admin.locator("#round-state")).to_have_text("本部承認済み（確定）")

    # After approval the department can no longer change anything.
    shimin.goto(round_url)
    _open_evaluation(shimin, "S01")
    expect(shimin.get_by_role("button", name="提出する")).to_have_count(0)
    expect(shimin.get_by_text("本部承認により確定しているため、変更できません。")).to_be_visible()

    with admin.expect_download() as download_info:
        admin.locator("#report-xlsx").click()
    workbook = load_workbook(io.BytesIO(open(download_info.value.path(), "rb").read()))
    cells = [c.value for row in workbook.active.iter_rows() for c in row]
    assert "本庁と3支所の窓口でキャッシュレス決済を導入" in cells and "電子申請を20手続に拡大" in cells
    assert 1200 in cells and 300 in cells and "拡充" in cells

    admin.get_by_role("link", name="進捗状況報告書（A4）").click()
    expect(admin.get_by_role("heading", level=1)).to_contain_text("進捗状況報告書")
    expect(admin.locator("article.report")).to_contain_text("電子申請を20手続に拡大")
    assert EvaluationRound.objects.get().state == "approved"
    assert set(MeasureEvaluation.objects.values_list("state", flat=True)) == {"accepted"}
    for context in browser.contexts:
        context.close()
