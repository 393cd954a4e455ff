"""Reading an uploaded file, the import's first stage.

1. The file into raw sheets: .xlsx (openpyxl read-only, formulas detected) or one CSV sheet (UTF-8 with or without
   BOM, or CP932). File-level problems raise `ImportFileError` with a message for the person (gettext).
2. The raw sheets into the workbook's sheets (by name or alias; a CSV by its columns), each header into a Resource
   field, each row's cells into cleaned values (`SheetRow`) with the Resources' widgets. Problems become
   `RowError`s in the preview; the cross-sheet checks and the comparison with the database come next (checks.py).

Sheet names and headers (「施策」, 「施策コード」 …) are the file format: messages quote them as the file has them, in
every language, because that is what the person must find or type in the workbook.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
import zipfile
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from . import parsing
from .preview import Preview, RowError, SheetReport, SheetRow, shown
from .resources import REQUIRED_SHEETS, SHEET_RESOURCES, SheetResource

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# A run of this many blank rows ends a sheet: LibreOffice can declare (and even write) a million rows.
BLANK_RUN_LIMIT = 500
MAX_COLUMNS = 60
MAX_UNCOMPRESSED = 200 * 1024 * 1024  # zip bomb guard: all parts together, unpacked


class ImportFileError(Exception):
    """The file as a whole cannot be read; str(error) is the message for the person."""


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


def max_part_bytes() -> int:
    """The largest one part of a workbook may unpack to (a 20,000-row plan's biggest part is a few MB)."""
    return getattr(settings, "IMPORT_MAX_PART_BYTES", 40 * 1024 * 1024)


def max_cells() -> int:
    """Cells (and shared strings) a workbook may declare in all; counted in the XML before parsing."""
    return getattr(settings, "IMPORT_MAX_CELLS", max_rows() * MAX_COLUMNS)


def check_size(size: int) -> None:
    limit = max_bytes()
    if size > limit:
        raise ImportFileError(
            _("ファイルが大きすぎます（%(size)s MB）。上限は %(limit)s MB です。")
            % {"size": f"{size / 1024 / 1024:.1f}", "limit": f"{limit / 1024 / 1024:.0f}"}
        )
    if size == 0:
        raise ImportFileError(_("ファイルが空です。"))


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
            raise ImportFileError(
                _(
                    "パスワードで保護（暗号化）されたブックは読み込めません。"
                    "Excelでパスワードを解除して保存し直してからアップロードしてください。"
                )
            )
        raise ImportFileError(
            _(
                "古い形式（.xls）のExcelファイルです。Excelで「Excel ブック (*.xlsx)」形式で"
                "保存し直してからアップロードしてください。"
            )
        )
    if not (lower.endswith(".xlsx") or lower.endswith(".xlsm")):
        raise ImportFileError(_("読み込めるのは Excel ブック（.xlsx）と CSV（.csv）だけです。"))
    if not data.startswith(b"PK"):
        raise ImportFileError(
            _("Excel ブック（.xlsx）ではありません。拡張子だけが .xlsx になっている可能性があります。")
        )
    return read_xlsx(data)


def _damaged() -> ImportFileError:
    return ImportFileError(
        _(
            "ファイルが壊れているため読み込めません（zip 形式として不正です）。"
            "Excelで開けるか確かめ、保存し直してからアップロードしてください。"
        )
    )


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
            raise ImportFileError(_("Word の文書です。Excel ブック（.xlsx）をアップロードしてください。"))
        raise ImportFileError(_("Excel ブック（.xlsx）ではありません（zip ファイルですがブックの中身がありません）。"))
    try:
        check_archive(archive, infos)
    except ImportFileError:
        raise
    except Exception:  # a damaged part (bad CRC, truncated deflate stream) while counting its cells
        raise _damaged()
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many types (KeyError, XML errors…) for damaged parts
        raise ImportFileError(
            _("ブックの内容が壊れているため読み込めません。Excelで開いて保存し直してからアップロードしてください。")
        )
    try:
        sheets = []
        for name in workbook.sheetnames:
            worksheet = workbook[name]
            # The template's hidden drop-down list sheet (template.CHOICES_SHEET, a name of the file format).
            if getattr(worksheet, "sheet_state", "visible") != "visible" and name.startswith("選択肢"):
                continue
            try:
                xml = archive.read(worksheet._worksheet_path)
                sheets.append(_read_worksheet(name, worksheet, has_formulas=bool(_FORMULA_TAG.search(xml))))
            except ImportFileError:
                raise
            except Exception:
                raise ImportFileError(_("シート「%(sheet)s」の内容が壊れているため読み込めません。") % {"sheet": name})
        return sheets
    finally:
        workbook.close()


# A cell is <c …> (or <x:c …>); a shared string is <si>.
_CELL_TAG = re.compile(rb"<(?:\w+:)?(?:c|si)[\s>/]")


def check_archive(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    """Refuse a zip bomb before openpyxl parses anything: each part's unpacked size (zipfile never yields more
    than the size a part declares), all parts together, and the number of cells and shared strings."""
    part_limit = max_part_bytes()
    for info in infos:
        if info.file_size > part_limit:
            raise ImportFileError(
                _(
                    "ブックの中身が大きすぎます（部品「%(part)s」の展開後の大きさ %(size)s MB が上限 %(limit)s MB を"
                    "超えています）。不要な書式や行を削除して保存し直してください。"
                )
                % {
                    "part": info.filename,
                    "size": f"{info.file_size / 1024 / 1024:.0f}",
                    "limit": f"{part_limit / 1024 / 1024:.0f}",
                }
            )
    if sum(info.file_size for info in infos) > MAX_UNCOMPRESSED:
        raise ImportFileError(_("ブックの中身が大きすぎます（展開後の大きさが上限を超えています）。"))
    cell_limit = max_cells()
    cells = 0
    for info in infos:
        if not (info.filename.startswith("xl/worksheets/") or info.filename == "xl/sharedStrings.xml"):
            continue
        tail = b""
        with archive.open(info) as part:
            while chunk := part.read(1024 * 1024):
                cells += len(_CELL_TAG.findall(tail + chunk))
                tail = chunk[-16:]
                cells -= len(_CELL_TAG.findall(tail))  # counted again with the next chunk
                if cells > cell_limit:
                    raise ImportFileError(
                        _(
                            "ブックのセルが多すぎます（上限 %(limit)s セル）。"
                            "シートを分けるか、不要な行と列を削除してから取り込んでください。"
                        )
                        % {"limit": f"{cell_limit:,}"}
                    )
            cells += len(_CELL_TAG.findall(tail))


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
    for row_number, cells in enumerate(
        worksheet.iter_rows(min_row=2, max_col=width, values_only=not has_formulas), start=2
    ):
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
            raise ImportFileError(
                _("シート「%(sheet)s」のデータが多すぎます（上限 %(limit)s 行）。シートを分けて取り込んでください。")
                % {"sheet": name, "limit": f"{limit:,}"}
            )
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
        raise ImportFileError(_("CSV の文字コードが読み取れません。UTF-8 か Shift_JIS（CP932）で保存してください。"))


def read_csv(data: bytes, file_name: str) -> RawSheet:
    head = data[:4096]
    # Many NULs: a binary file or UTF-16 text. A few: a stray NUL in a text CSV, named by its line below.
    if data.startswith(b"PK") or data.startswith(OLE_SIGNATURE) or head.count(b"\x00") > max(2, len(head) // 100):
        raise ImportFileError(_("CSV ファイルではありません（中身が Excel などのバイナリ形式です）。"))
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise ImportFileError(
            _(
                "CSV の%(line)s行目に NUL 文字（ヌル文字、\\0）が含まれています。"
                "表計算ソフトで開いて保存し直すか、該当の文字を削除してからアップロードしてください。"
            )
            % {"line": line}
        )
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
                raise ImportFileError(
                    _("CSV のデータが多すぎます（上限 %(limit)s 行）。") % {"limit": f"{max_rows():,}"}
                )
            values = (values + [None] * len(headers))[: max(len(headers), 1)]
            sheet.rows.append((row_number, [v if v is None or v.strip() else None for v in values]))
    except csv.Error as exc:
        raise ImportFileError(_("CSV の形式が正しくありません（%(error)s）。") % {"error": exc})
    return sheet


# --- sheets, headers, rows ----------------------------------------------------------------------

# Sheet names of the file format (never translated) → the other names a sheet may have in an uploaded file.
SHEET_ALIASES = {
    "部署": ("departments", "department", "部署一覧"),
    "施策": ("measures", "measure", "施策一覧"),
    "マイルストーン": ("milestones", "milestone", "工程", "工程表"),
    "指標": ("indicators", "indicator", "kpi", "kpis", "指標(kpi)"),
    "年度評価": ("evaluations", "evaluation", "評価", "事業評価"),
}


def norm_key(text: str) -> str:
    """A sheet name, header or pillar name as compared: NFKC, lower case, no spaces or 必須 marks."""
    text = unicodedata.normalize("NFKC", str(text)).strip().lower()
    for mark in ("*", "※", "(必須)", "必須"):  # how people mark required headers in Japanese workbooks
        text = text.replace(mark, "")
    return text.replace(" ", "").replace("　", "")


def match_sheets(raw_sheets: list[RawSheet], file_name: str, preview: Preview) -> dict[str, RawSheet]:
    """Workbook sheet name → the raw sheet that holds it; missing or doubled sheets go to preview.file_errors."""
    lookup = {}
    for resource in SHEET_RESOURCES:
        lookup[norm_key(resource.sheet_name)] = resource.sheet_name
        for alias in SHEET_ALIASES[resource.sheet_name]:
            lookup[norm_key(alias)] = resource.sheet_name
    matched: dict[str, RawSheet] = {}
    is_csv = file_name.lower().endswith(".csv")
    for raw in raw_sheets:
        target = lookup.get(norm_key(raw.name))
        if target is None and is_csv:
            target = _guess_sheet(raw)
        if target is None:
            continue
        if target in matched:
            preview.file_errors.append(
                RowError(
                    raw.name,
                    None,
                    "",
                    "",
                    _("シート「%(sheet)s」が2つあります。1つにまとめてください。") % {"sheet": target},
                )
            )
            continue
        matched[target] = raw
        preview.sheets[target].present = True
    if is_csv:
        if not matched:
            expected = "／".join(
                f"{r.sheet_name}: {'、'.join(r.header_of(f) for f in r.required)}" for r in SHEET_RESOURCES
            )
            found = "、".join(raw_sheets[0].headers) if raw_sheets else ""
            preview.file_errors.append(
                RowError(
                    "",
                    1,
                    "",
                    "",
                    _(
                        "CSV がどのシートのものか判別できません。必須の列をそろえてください（%(expected)s）。見つかった列: %(found)s"
                    )
                    % {"expected": expected, "found": found or _("なし")},
                )
            )
        return matched
    missing = [name for name in REQUIRED_SHEETS if name not in matched]
    if missing:
        found = "、".join(raw.name for raw in raw_sheets) or _("なし")
        # The sheet names are the file's: the same in every language.
        preview.file_errors.append(
            RowError(
                "",
                None,
                "",
                "",
                _(
                    "シート「%(missing)s」がありません。必要なシート: 施策、マイルストーン、指標"
                    "（部署と年度評価は任意）。見つかったシート: %(found)s"
                )
                % {"missing": "」「".join(missing), "found": found},
            )
        )
    return matched


def _guess_sheet(raw: RawSheet) -> str | None:
    best, best_score = None, 0
    for resource in SHEET_RESOURCES:
        lookup = _column_lookup(resource)
        found = {lookup.get(norm_key(h)) for h in raw.headers} - {None}
        if all(f in found for f in resource.required) and len(found) > best_score:
            best, best_score = resource.sheet_name, len(found)
    return best


def _column_lookup(resource: type[SheetResource]) -> dict[str, str]:
    lookup = {}
    for name, _fld in resource.column_fields():
        for alias in resource.aliases.get(name, ()):
            lookup.setdefault(norm_key(alias), name)
    for name, fld in resource.column_fields():
        lookup[norm_key(fld.column_name)] = name  # the Japanese header wins over any alias
    return lookup


def map_headers(resource: type[SheetResource], raw: RawSheet, report: SheetReport) -> dict[int, str] | None:
    """Column index → field name, or None (with an error) when a required column is missing."""
    lookup = _column_lookup(resource)
    mapping: dict[int, str] = {}
    seen: dict[str, str] = {}
    for index, header in enumerate(raw.headers):
        name = lookup.get(norm_key(header)) if header else None
        if name is None:
            continue
        if name in seen:
            report.errors.append(
                RowError(
                    raw.name,
                    1,
                    header,
                    "",
                    _("列「%(column)s」が2つあります（「%(first)s」と「%(second)s」）。")
                    % {"column": resource.header_of(name), "first": seen[name], "second": header},
                )
            )
            return None
        seen[name] = header
        mapping[index] = name
    missing = [resource.header_of(f) for f in resource.required if f not in seen]
    if missing:
        expected = "、".join(fld.column_name for _, fld in resource.column_fields())
        found = "、".join(h for h in raw.headers if h) or _("なし")
        report.errors.append(
            RowError(
                raw.name,
                1,
                "、".join(missing),
                "",
                _(
                    "必須の列「%(missing)s」がありません。1行目に見出しが必要です。期待する見出し: %(expected)s。見つかった見出し: %(found)s"
                )
                % {"missing": "」「".join(missing), "expected": expected, "found": found},
            )
        )
        return None
    return mapping


def clean_rows(
    resource: SheetResource, raw: RawSheet, header_map: dict[int, str] | None, report: SheetReport
) -> list[SheetRow]:
    """Each data row's cells through the Resource's widgets; a cell that cannot be used is a RowError."""
    if header_map is None:
        return []
    rows = []
    widgets = {name: resource.fields[name].widget for name in header_map.values()}
    headers = {name: raw.headers[index] for index, name in header_map.items()}
    for number, values in raw.rows:
        cleaned: dict[str, Any] = {}
        ok = True
        for index, name in header_map.items():
            value = values[index] if index < len(values) else None
            if (number, index) in raw.formulas:
                report.errors.append(
                    RowError(
                        raw.name,
                        number,
                        headers[name],
                        str(value),
                        _("数式は使えません。値として貼り付け（「値のみ貼り付け」）してください。"),
                    )
                )
                ok = False
                continue
            widget = widgets[name]
            if name in resource.required and parsing.is_blank(value):
                report.errors.append(
                    RowError(raw.name, number, headers[name], "", _("必須の項目です。入力してください。"))
                )
                ok = False
                continue
            try:
                cleaned[name] = widget.clean(value)
            except parsing.CellError as exc:
                report.errors.append(RowError(raw.name, number, headers[name], shown(value), str(exc)))
                ok = False
        rows.append(SheetRow(number=number, values=cleaned, sheet=raw.name, headers=headers, ok=ok))
    return rows
