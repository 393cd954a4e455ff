"""The 「年度評価」 sheet and the value-lens columns of 「施策」 in the plan workbook: export → import changes
nothing, an edited cell updates exactly that evaluation, and bad rows are explained with nothing written."""

from __future__ import annotations

import hashlib
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from evaluations import services as evaluation_services
from evaluations.models import MeasureEvaluation
from importing import services
from importing.services import ImportBlocked
from measures.models import Measure

from .factories import MeasureFactory
from .import_workbooks import database_fingerprint

pytestmark = pytest.mark.django_db


@pytest.fixture
def evaluated(cast):
    """FY2024 approved (M01 accepted), FY2025 open: M01 submitted, S01 returned, S02 draft."""
    cast.measure.change_level, cast.measure.channel, cast.measure.audience = "transformation", "both", "residents"
    cast.measure.is_gx = True
    cast.measure.save()
    MeasureFactory(plan=cast.plan, owner_department=cast.shimin, code="S01", start_fy=2025)
    MeasureFactory(plan=cast.plan, owner_department=cast.shimin, code="S02", start_fy=2025)
    fy24 = evaluation_services.open_round(plan=cast.plan, fiscal_year=2024, user=cast.admin)
    m01 = fy24.evaluations.get()
    evaluation_services.save_draft(
        evaluation=m01,
        user=cast.alice,
        achievements="=移行計画を策定",
        self_grade="B",
        direction="continue",
        settled_cost_thousand_yen=800,
        hours_saved_per_year=Decimal("12.5"),
        evidence_links="https://example.jp/a.pdf\nhttps://example.jp/b.pdf",
    )
    evaluation_services.submit(evaluation=m01, user=cast.alice)
    evaluation_services.accept(evaluation=m01, user=cast.admin)
    evaluation_services.approve_round(round=fy24, user=cast.admin)
    fy25 = evaluation_services.open_round(plan=cast.plan, fiscal_year=2025, user=cast.admin)
    by_code = {e.measure.code: e for e in fy25.evaluations.select_related("measure")}
    evaluation_services.save_draft(
        evaluation=by_code["M01"],
        user=cast.alice,
        achievements="移行",
        self_grade="A",
        direction="expand",
        settled_cost_thousand_yen=1200,
    )
    evaluation_services.submit(evaluation=by_code["M01"], user=cast.alice)
    evaluation_services.save_draft(
        evaluation=by_code["S01"], user=cast.bob, achievements="導入", self_grade="C", direction="improve"
    )
    evaluation_services.submit(evaluation=by_code["S01"], user=cast.bob)
    evaluation_services.return_evaluation(evaluation=by_code["S01"], user=cast.admin, comment="数字で")
    return cast


def _fingerprint():
    rows = list(MeasureEvaluation.objects.order_by("pk").values_list())
    return database_fingerprint(), hashlib.sha256(repr(rows).encode()).hexdigest(), MeasureEvaluation.history.count()


def _sheet_rows(data: bytes, name: str) -> list[list]:
    return [list(r) for r in load_workbook(io.BytesIO(data))[name].iter_rows(values_only=True)]


def _with_rows(data: bytes, name: str, edit) -> bytes:
    """The exported workbook with `edit(rows_by_key, headers)` applied to one sheet."""
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook[name]
    headers = [c.value for c in sheet[1]]
    edit(sheet, headers)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _set(sheet, headers, *, fy: int, code: str, column: str, value) -> None:
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == fy and row[1].value == code:
            row[headers.index(column)].value = value
            return
    raise AssertionError(f"no row {fy} {code}")


def test_exporting_and_importing_back_changes_nothing(evaluated):
    before = _fingerprint()
    data = services.plan_export(plan=evaluated.plan)
    rows = _sheet_rows(data, "年度評価")
    assert rows[0][:3] == ["年度", "施策コード", "取組実績"]
    assert {(r[0], r[1]) for r in rows[1:]} == {(2024, "M01"), (2025, "M01"), (2025, "S01"), (2025, "S02")}
    fy24 = next(r for r in rows if r[0] == 2024)
    assert fy24[2] == "'=移行計画を策定" and fy24[6] == "継続" and fy24[7] == 800 and fy24[8] == 12.5
    measures = _sheet_rows(data, "施策")
    m01 = dict(zip(measures[0], next(r for r in measures if r[0] == "M01"), strict=True))
    assert (m01["変革の段階"], m01["チャネル"], m01["対象"], m01["タグ"]) == (
        "変革",
        "オンラインと窓口",
        "住民サービス",
        "GX",
    )

    _, preview = services.plan_import(plan=evaluated.plan, data=data, file_name="export.xlsx", user=evaluated.admin)
    assert not preview.errors and not preview.has_changes
    assert preview.counts["年度評価"] == {"new": 0, "changed": 0, "unchanged": 4, "errors": 0}
    assert _fingerprint() == before


def test_an_edited_draft_evaluation_and_measure_attributes_are_updated(evaluated):
    def edit(sheet, headers):
        _set(sheet, headers, fy=2025, code="S02", column="取組実績", value="窓口の予約をオンライン化")
        _set(sheet, headers, fy=2025, code="S02", column="事業費 決算（千円）", value="１，５００")
        _set(sheet, headers, fy=2025, code="S02", column="今後の方向性", value="拡充")

    data = _with_rows(services.plan_export(plan=evaluated.plan), "年度評価", edit)
    data = _with_rows(
        data,
        "施策",
        lambda sheet, headers: next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "S01")[
            headers.index("タグ")
        ].__setattr__("value", "ウェルビーイング、GX"),
    )
    run, preview = services.plan_import_preview(
        plan=evaluated.plan, data=data, file_name="e.xlsx", user=evaluated.admin
    )
    assert not preview.errors
    assert preview.counts["年度評価"]["changed"] == 1 and preview.counts["施策"]["changed"] == 1
    [diff] = preview.sheets["年度評価"].diffs
    assert diff.key == "2025 S02"
    assert {(c.column, c.before, c.after) for c in diff.changes} == {
        ("取組実績", "（空欄）", "窓口の予約をオンライン化"),
        ("事業費 決算（千円）", "（空欄）", "1500"),
        ("今後の方向性", "（空欄）", "拡充"),
    }
    services.plan_import_apply(run=run, data=data, user=evaluated.admin)
    s02 = MeasureEvaluation.objects.get(round__fiscal_year=2025, measure__code="S02")
    assert (s02.achievements, s02.settled_cost_thousand_yen, s02.direction, s02.state) == (
        "窓口の予約をオンライン化",
        1500,
        "expand",
        "draft",
    )
    assert s02.history.latest().history_change_reason.startswith("インポート #")
    s01 = Measure.objects.get(code="S01")
    assert (s01.is_gx, s01.is_wellbeing) == (True, True)


@pytest.mark.parametrize(
    "fy, code, column, value, message",
    [
        (2025, "S02", "事業費 決算（千円）", -5, "0以上の整数"),
        (2025, "S02", "事業費 決算（千円）", "たくさん", "数値として読めません"),
        (2025, "S02", "削減された業務時間（時間/年）", "1.25", "小数点以下1桁"),
        (2025, "S02", "自己評価", "S", "A・B・C・D のいずれか"),
        (2025, "S02", "根拠資料のリンク", "javascript:alert(1)", "http:// または https://"),
        (2025, "S01", "取組実績", "差戻し後に直した", None),  # 差戻し: editable, no error
        (2025, "M01", "取組実績", "提出後に変えた", "「提出済み」のため変更できません"),
        (2024, "M01", "取組実績", "承認後に変えた", "確定しているため、変更できません"),
    ],
)
def test_bad_rows_are_explained_and_nothing_is_written(evaluated, fy, code, column, value, message):
    before = _fingerprint()

    def edit(sheet, headers):
        _set(sheet, headers, fy=fy, code=code, column=column, value=value)
        _set(sheet, headers, fy=2025, code="S02", column="課題", value="別の正しい変更")

    data = _with_rows(services.plan_export(plan=evaluated.plan), "年度評価", edit)
    if message is None:
        _, preview = services.plan_import_preview(plan=evaluated.plan, data=data, file_name="x.xlsx", user=None)
        assert not preview.errors
        return
    with pytest.raises(ImportBlocked) as exc:
        services.plan_import(plan=evaluated.plan, data=data, file_name="bad.xlsx", user=evaluated.admin)
    [error] = exc.value.preview.errors
    assert error.sheet == "年度評価" and message in error.message and error.row >= 2
    assert _fingerprint() == before  # the valid 課題 change was not written either


@pytest.mark.parametrize("fy, message", [(2030, "計画期間"), (2026, "開始されていません")])
def test_a_year_outside_the_plan_or_not_opened_is_refused(evaluated, fy, message):
    def edit(sheet, headers):
        sheet.append([fy, "M01", "実績"])

    data = _with_rows(services.plan_export(plan=evaluated.plan), "年度評価", edit)
    with pytest.raises(ImportBlocked) as exc:
        services.plan_import(plan=evaluated.plan, data=data, file_name="bad.xlsx", user=evaluated.admin)
    assert message in exc.value.preview.errors[0].message
    assert not MeasureEvaluation.objects.filter(round__fiscal_year=fy).exists()


def test_the_template_explains_the_sheet_and_offers_the_directions(cast):
    data = services.plan_template(plan=cast.plan)
    workbook = load_workbook(io.BytesIO(data))
    assert workbook["年度評価"]["A1"].value == "年度" and workbook["年度評価"].max_row == 1
    explanation = [r[1] for r in workbook["説明"].iter_rows(values_only=True) if r[0] == "年度評価"]
    assert "今後の方向性" in explanation and "事業費 決算（千円）" in explanation
    choices = [c.value for c in next(col for col in workbook["選択肢"].columns if col[0].value == "今後の方向性")]
    assert [c for c in choices[1:] if c] == ["拡充", "継続", "改善", "縮小", "廃止", "完了"]
