"""A corpus of broken files: each gets its own Japanese message and leaves the database exactly as it was."""

from __future__ import annotations

import copy
import io
import zipfile

import pytest
from openpyxl import Workbook

from importing import services
from importing.reading import OLE_SIGNATURE
from plans.models import ImportRun

from .import_workbooks import csv_bytes, database_fingerprint, realistic_sheets, xlsx

BASE = realistic_sheets(55)


def _edited(edit) -> bytes:
    sheets = copy.deepcopy(BASE)
    edit(sheets)
    return xlsx(sheets)


def _set(sheet: str, row: int, col: int, value):
    def edit(sheets):
        sheets[sheet][row][col] = value

    return edit


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _with_formula() -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in BASE.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook["施策"]["J3"] = "=1000*12"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _damaged_crc() -> bytes:
    data = bytearray(xlsx(BASE))
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    return bytes(data)


def _without(sheet: str):
    def edit(sheets):
        del sheets[sheet]

    return edit


def _drop_column(sheet: str, col: int):
    def edit(sheets):
        for row in sheets[sheet]:
            del row[col]

    return edit


def _duplicate_row(sheet: str, row: int):
    def edit(sheets):
        sheets[sheet].append(list(sheets[sheet][row]))

    return edit


def _two_measure_sheets(sheets):
    sheets["Measures"] = copy.deepcopy(sheets["施策"])


def _cycle(sheets):
    sheets["部署"][1][2] = "KIKAKU-DX"  # 企画部 under its own child


# (id, file name, bytes or a factory, expected message fragment, settings overrides)
CORPUS = [
    ("not-a-zip", "plan.xlsx", b"this is plain text, not a workbook", "Excel ブック（.xlsx）ではありません", {}),
    ("truncated-zip", "plan.xlsx", lambda: xlsx(BASE)[: len(xlsx(BASE)) // 2], "壊れているため読み込めません", {}),
    ("corrupted-zip", "plan.xlsx", _damaged_crc, "壊れているため読み込めません", {}),
    (
        "encrypted",
        "plan.xlsx",
        OLE_SIGNATURE + bytes(504) + "EncryptedPackage".encode("utf-16-le") + bytes(512),
        "パスワードで保護",
        {},
    ),
    (
        "xls-renamed",
        "plan.xlsx",
        OLE_SIGNATURE + bytes(504) + "Workbook".encode("utf-16-le") + bytes(512),
        "古い形式（.xls）",
        {},
    ),
    (
        "docx-renamed",
        "plan.xlsx",
        lambda: _zip({"word/document.xml": b"<w:document/>", "[Content_Types].xml": b"<x/>"}),
        "Word の文書です",
        {},
    ),
    ("zip-not-workbook", "plan.xlsx", lambda: _zip({"readme.txt": b"hello"}), "ブックの中身がありません", {}),
    ("too-big", "plan.xlsx", lambda: xlsx(BASE), "ファイルが大きすぎます", {"IMPORT_MAX_BYTES": 2000}),
    ("too-many-rows", "plan.xlsx", lambda: xlsx(BASE), "データが多すぎます（上限 50 行）", {"IMPORT_MAX_ROWS": 50}),
    ("empty-file", "plan.xlsx", b"", "ファイルが空です", {}),
    ("pdf", "plan.pdf", b"%PDF-1.4 ...", "読み込めるのは Excel ブック（.xlsx）と CSV（.csv）だけです", {}),
    ("formula", "plan.xlsx", _with_formula, "数式は使えません", {}),
    ("missing-sheet", "plan.xlsx", lambda: _edited(_without("指標")), "シート「指標」がありません", {}),
    ("missing-column", "plan.xlsx", lambda: _edited(_drop_column("施策", 5)), "必須の列「担当部署」がありません", {}),
    (
        "duplicate-measure",
        "plan.xlsx",
        lambda: _edited(_duplicate_row("施策", 7)),
        "コード「S007」が8行目と重複しています",
        {},
    ),
    (
        "duplicate-milestone",
        "plan.xlsx",
        lambda: _edited(_duplicate_row("マイルストーン", 2)),
        "コード「S001-2」が3行目と重複しています",
        {},
    ),
    (
        "unknown-department",
        "plan.xlsx",
        lambda: _edited(_set("施策", 4, 5, "存在しない課")),
        "部署「存在しない課」が見つかりません",
        {},
    ),
    (
        "unknown-item-number",
        "plan.xlsx",
        lambda: _edited(_set("施策", 4, 4, "1、12")),
        "国の取組項目「12」はありません",
        {},
    ),
    (
        "unknown-item-name",
        "plan.xlsx",
        lambda: _edited(_set("施策", 4, 4, "宇宙開発")),
        "国の取組項目「宇宙開発」が見つかりません",
        {},
    ),
    (
        "end-before-start",
        "plan.xlsx",
        lambda: _edited(lambda s: s["施策"][3].__setitem__(slice(7, 9), [2026, "令和6年度"])),
        "終了年度（2024年度）が開始年度（2026年度）より前です",
        {},
    ),
    (
        "impossible-date",
        "plan.xlsx",
        lambda: _edited(_set("マイルストーン", 5, 4, "2025/2/30")),
        "存在しない日付です",
        {},
    ),
    (
        "unreadable-date",
        "plan.xlsx",
        lambda: _edited(_set("マイルストーン", 5, 4, "来月末")),
        "日付として読めません",
        {},
    ),
    ("bad-fiscal-year", "plan.xlsx", lambda: _edited(_set("施策", 6, 7, "来年度")), "年度として読めません", {}),
    (
        "done-without-date",
        "plan.xlsx",
        lambda: _edited(_set("マイルストーン", 4, 6, "完了")),
        "完了日を入力してください",
        {},
    ),
    (
        "date-without-done",
        "plan.xlsx",
        lambda: _edited(_set("マイルストーン", 2, 7, "2025/5/1")),
        "完了日は状況が「完了」のときだけ",
        {},
    ),
    (
        "unknown-measure",
        "plan.xlsx",
        lambda: _edited(_set("マイルストーン", 3, 1, "ZZZ")),
        "施策コード「ZZZ」の施策がありません",
        {},
    ),
    (
        "bad-status",
        "plan.xlsx",
        lambda: _edited(_set("マイルストーン", 3, 6, "たぶん終わった")),
        "「たぶん終わった」は選べません",
        {},
    ),
    (
        "bad-number",
        "plan.xlsx",
        lambda: _edited(_set("施策", 2, 9, "たくさん")),
        "「たくさん」は数値として読めません",
        {},
    ),
    ("blank-required", "plan.xlsx", lambda: _edited(_set("施策", 2, 1, "  ")), "必須の項目です", {}),
    (
        "bad-email",
        "plan.xlsx",
        lambda: _edited(_set("部署", 2, 3, "dx@@example")),
        "メールアドレスとして正しくありません",
        {},
    ),
    ("department-cycle", "plan.xlsx", lambda: _edited(_cycle), "部署の親子関係が循環しています", {}),
    ("actual-without-date", "plan.xlsx", lambda: _edited(_set("指標", 1, 10, None)), "実績日も入力してください", {}),
    ("two-measure-sheets", "plan.xlsx", lambda: _edited(_two_measure_sheets), "シート「施策」が2つあります", {}),
    ("csv-undecodable", "measures.csv", b"\x85\x40\xff,\x85\x41\n", "文字コードが読み取れません", {}),
    (
        "csv-unknown-columns",
        "data.csv",
        lambda: csv_bytes([["a", "b"], ["1", "2"]]),
        "どのシートのものか判別できません",
        {},
    ),
    ("csv-that-is-a-workbook", "measures.csv", lambda: xlsx(BASE), "CSV ファイルではありません", {}),
]


def _bytes(source) -> bytes:
    return source() if callable(source) else source


def test_the_corpus_has_at_least_25_broken_files():
    assert len(CORPUS) >= 25
    assert len({c[0] for c in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize(("name", "file_name", "source", "message", "overrides"), CORPUS, ids=[c[0] for c in CORPUS])
def test_a_broken_file_gets_its_message_and_writes_nothing(cast, settings, name, file_name, source, message, overrides):
    data = _bytes(source)
    for key, value in overrides.items():
        setattr(settings, key, value)
    before = database_fingerprint()
    with pytest.raises(services.ImportBlocked) as blocked:
        services.plan_import(plan=cast.plan, data=data, file_name=file_name, user=cast.admin)
    texts = [e.as_text() for e in blocked.value.preview.errors]
    assert any(message in t for t in texts), texts
    assert database_fingerprint() == before
    assert not ImportRun.objects.filter(status=ImportRun.Status.APPLIED).exists()
    assert ImportRun.objects.get().status == ImportRun.Status.FAILED


def test_a_cell_error_names_sheet_excel_row_column_and_value(cast):
    data = _edited(_set("施策", 4, 5, "存在しない課"))
    with pytest.raises(services.ImportBlocked) as blocked:
        services.plan_import(plan=cast.plan, data=data, file_name="plan.xlsx", user=cast.admin)
    [error] = blocked.value.preview.errors
    assert (error.sheet, error.row, error.column, error.value) == ("施策", 5, "担当部署", "存在しない課")


def test_a_missing_column_lists_the_expected_and_the_found_headers(cast):
    with pytest.raises(services.ImportBlocked) as blocked:
        services.plan_import(plan=cast.plan, data=_edited(_drop_column("施策", 5)), file_name="p.xlsx", user=None)
    message = blocked.value.preview.errors[0].message
    assert "期待する見出し: 施策コード、施策名、概要" in message and "見つかった見出し: 施策コード、施策名" in message


def test_an_error_in_the_last_sheet_keeps_every_earlier_sheet_out_too(cast):
    before = database_fingerprint()
    data = _edited(_set("指標", 55, 2, ""))  # the very last row of the last sheet
    with pytest.raises(services.ImportBlocked):
        services.plan_import(plan=cast.plan, data=data, file_name="plan.xlsx", user=cast.admin)
    assert database_fingerprint() == before
