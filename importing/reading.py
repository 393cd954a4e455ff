"""Reading an uploaded file into raw sheets: .xlsx (openpyxl read-only, formulas detected) or one CSV sheet
(UTF-8 with or without BOM, or CP932). File-level problems raise `ImportFileError` with a Japanese message."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
import zipfile
from collections import OrderedDict
from dataclasses import dataclass, field

from django.conf import settings

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# A run of this many blank rows ends a sheet: LibreOffice can declare (and even write) a million rows.
BLANK_RUN_LIMIT = 500
MAX_COLUMNS = 60
MAX_UNCOMPRESSED = 200 * 1024 * 1024  # zip bomb guard


class ImportFileError(Exception):
    """The file as a whole cannot be read; str(error) is the Japanese message."""


@dataclass
class RawSheet:
    name: str  # as in the file
    headers: list[str]
    rows: list[tuple[int, list]] = field(default_factory=list)  # (Excel row number, values)
    formulas: set[tuple[int, int]] = field(default_factory=set)  # (row number, column index)


def max_bytes() -> int:
    return getattr(settings, "IMPORT_MAX_BYTES", 10 * 1024 * 1024)


def max_rows() -> int:
    return getattr(settings, "IMPORT_MAX_ROWS", 20_000)


def check_size(size: int) -> None:
    limit = max_bytes()
    if size > limit:
        raise ImportFileError(f"ファイルが大きすぎます（{size / 1024 / 1024:.1f} MB）。上限は {limit / 1024 / 1024:.0f} MB です。")
    if size == 0:
        raise ImportFileError("ファイルが空です。")


# The last files read, by content hash: the confirm after a preview in the same process (the command line,
# or the same web worker) need not parse the XML again. The database checks are always redone.
_RECENT: OrderedDict[tuple, list[RawSheet]] = OrderedDict()
_RECENT_SIZE = 2


def read_file(data: bytes, file_name: str) -> list[RawSheet]:
    key = (hashlib.sha256(data).hexdigest(), file_name, max_bytes(), max_rows())
    if key in _RECENT:
        _RECENT.move_to_end(key)
        return _RECENT[key]
    sheets = _read_file(data, file_name)
    _RECENT[key] = sheets
    while len(_RECENT) > _RECENT_SIZE:
        _RECENT.popitem(last=False)
    return sheets


def _read_file(data: bytes, file_name: str) -> list[RawSheet]:
    check_size(len(data))
    lower = file_name.lower()
    if lower.endswith(".csv"):
        return [read_csv(data, file_name)]
    if data.startswith(OLE_SIGNATURE):
        if "EncryptedPackage".encode("utf-16-le") in data or b"EncryptionInfo" in data:
            raise ImportFileError("パスワードで保護（暗号化）されたブックは読み込めません。"
                                  "Excelでパスワードを解除して保存し直してからアップロードしてください。")
        raise ImportFileError("古い形式（.xls）のExcelファイルです。Excelで「Excel ブック (*.xlsx)」形式で"
                              "保存し直してからアップロードしてください。")
    if not (lower.endswith(".xlsx") or lower.endswith(".xlsm")):
        raise ImportFileError("読み込めるのは Excel ブック（.xlsx）と CSV（.csv）だけです。")
    if not data.startswith(b"PK"):
        raise ImportFileError("Excel ブック（.xlsx）ではありません。拡張子だけが .xlsx になっている可能性があります。")
    return read_xlsx(data)


def _damaged() -> ImportFileError:
    return ImportFileError("ファイルが壊れているため読み込めません（zip 形式として不正です）。"
                           "Excelで開けるか確かめ、保存し直してからアップロードしてください。")


def read_xlsx(data: bytes) -> list[RawSheet]:
    import openpyxl

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except Exception:  # BadZipFile, zlib.error, EOFError, OSError … all mean the same to the admin
        raise _damaged()
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names:
        if "word/document.xml" in names:
            raise ImportFileError("Word の文書です。Excel ブック（.xlsx）をアップロードしてください。")
        raise ImportFileError("Excel ブック（.xlsx）ではありません（zip ファイルですがブックの中身がありません）。")
    if sum(info.file_size for info in infos) > MAX_UNCOMPRESSED:
        raise ImportFileError("ブックの中身が大きすぎます（展開後の大きさが上限を超えています）。")
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many types (KeyError, XML errors…) for damaged parts
        raise ImportFileError("ブックの内容が壊れているため読み込めません。Excelで開いて保存し直してからアップロードしてください。")
    try:
        sheets = []
        for name in workbook.sheetnames:
            worksheet = workbook[name]
            if getattr(worksheet, "sheet_state", "visible") != "visible" and name.startswith("選択肢"):
                continue
            try:
                xml = archive.read(worksheet._worksheet_path)
                sheets.append(_read_worksheet(name, worksheet, has_formulas=bool(_FORMULA_TAG.search(xml))))
            except ImportFileError:
                raise
            except Exception:
                raise ImportFileError(f"シート「{name}」の内容が壊れているため読み込めません。")
        return sheets
    finally:
        workbook.close()


# A formula cell is <c><f>…</f></c>; <formula1> of a data validation is not one.
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _read_worksheet(name: str, worksheet, *, has_formulas: bool = True) -> RawSheet:
    limit = max_rows()
    declared_cols = worksheet.max_column if isinstance(getattr(worksheet, "max_column", None), int) else MAX_COLUMNS
    header_cells = next(worksheet.iter_rows(min_row=1, max_row=1, max_col=min(declared_cols or 1, MAX_COLUMNS)), ())
    headers = [_header_text(c.value) for c in header_cells]
    while headers and not headers[-1]:
        headers.pop()
    sheet = RawSheet(name=name, headers=headers)
    if not headers:
        return sheet
    width = len(headers)
    blank_run = 0
    count = 0
    # Cell objects (to see which cells are formulas) only when the sheet has any: plain values are faster.
    for row_number, cells in enumerate(worksheet.iter_rows(min_row=2, max_col=width, values_only=not has_formulas),
                                       start=2):
        if has_formulas:
            values = [cell.value for cell in cells]
            for index, cell in enumerate(cells):
                if getattr(cell, "data_type", None) == "f" and cell.value is not None:
                    sheet.formulas.add((row_number, index))
        else:
            values = list(cells)
        blank = all(v is None or (isinstance(v, str) and not v.strip()) for v in values)
        if blank:
            blank_run += 1
            if blank_run >= BLANK_RUN_LIMIT:
                break
            continue
        blank_run = 0
        count += 1
        if count > limit:
            raise ImportFileError(f"シート「{name}」のデータが多すぎます（上限 {limit:,} 行）。シートを分けて取り込んでください。")
        if len(values) < width:
            values.extend([None] * (width - len(values)))
        sheet.rows.append((row_number, values))
    return sheet


def _header_text(value: object) -> str:
    return "" if value is None else str(value).strip()


def decode_csv(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932")
    except UnicodeDecodeError:
        raise ImportFileError("CSV の文字コードが読み取れません。UTF-8 か Shift_JIS（CP932）で保存してください。")


def read_csv(data: bytes, file_name: str) -> RawSheet:
    if data.startswith(b"PK") or data.startswith(OLE_SIGNATURE) or b"\x00" in data[:4096]:
        raise ImportFileError("CSV ファイルではありません（中身が Excel などのバイナリ形式です）。")
    text = decode_csv(data)
    try:
        rows = csv.reader(io.StringIO(text, newline=""))
        header = next(rows, [])
        headers = [h.strip() for h in header]
        while headers and not headers[-1]:
            headers.pop()
        stem = unicodedata.normalize("NFKC", file_name.rsplit("/", 1)[-1].rsplit(".", 1)[0]).strip()
        sheet = RawSheet(name=stem, headers=headers)
        count = 0
        blank_run = 0
        for row_number, values in enumerate(rows, start=2):
            if not any(v.strip() for v in values):
                blank_run += 1
                if blank_run >= BLANK_RUN_LIMIT:
                    break
                continue
            blank_run = 0
            count += 1
            if count > max_rows():
                raise ImportFileError(f"CSV のデータが多すぎます（上限 {max_rows():,} 行）。")
            values = (values + [None] * len(headers))[: max(len(headers), 1)]
            sheet.rows.append((row_number, [v if v is None or v.strip() else None for v in values]))
    except csv.Error as exc:
        raise ImportFileError(f"CSV の形式が正しくありません（{exc}）。")
    return sheet
