"""The 「推進体制」 sheet: the 推進体制 read from an .xlsx (the plan workbook can carry the sheet) or a CSV, and
written back in the same format. Read with the plan import's reader and cell parsers (limits, damaged files,
formulas, Japanese and full-width input); every row is checked before anything is written, then all rows are
written in one transaction. Rows are matched by 役割 + 役職 + 氏名 (or ユーザー名): importing the same file twice
changes nothing; rows absent from the file are not deleted."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.formulas import neutralise
from importing import parsing
from importing.reading import ImportFileError, RawSheet, read_file
from plans.models import Department

from .models import BodyMember, BodyRole
from .services import _require_manager

SHEET = "推進体制"
# column key → (Japanese header, English alias, required)
COLUMNS = {
    "role": ("役割", "role", True),
    "position": ("役職", "position", False),
    "name": ("氏名", "name", False),
    "username": ("ユーザー名", "username", False),
    "department": ("所属部署", "department", False),
    "external": ("外部人材", "external", False),
    "public": ("氏名の公開", "name public", False),
    "order": ("表示順", "order", False),
}
ROLE = parsing.ChoiceParser(
    {r.value: str(r.label) for r in BodyRole},
    default="",
    aliases={"CIO": BodyRole.CIO, "最高情報責任者": BodyRole.CIO, "本部長代理": BodyRole.DEPUTY},
)
YES = {"はい", "○", "〇", "1", "true", "yes", "y", "公開", "外部"}
NO = {"", "いいえ", "×", "0", "false", "no", "n", "非公開", "内部"}


@dataclass
class BodyImportResult:
    errors: list[str] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _flag(value: object) -> bool:
    text = parsing.nfkc(value).lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise parsing.CellError(_("「%(v)s」は使えません。「はい」か「いいえ」を入力してください。") % {"v": text})


def _sheet(sheets: list[RawSheet]) -> RawSheet:
    for sheet in sheets:
        if sheet.name.strip() == SHEET:
            return sheet
    if len(sheets) == 1:  # a CSV, or a workbook of this one sheet under another name
        return sheets[0]
    raise ValidationError(
        _("「%(sheet)s」シートが見つかりません。ファイルにあるシート: %(found)s")
        % {"sheet": SHEET, "found": "、".join(s.name for s in sheets)}
    )


def _columns(sheet: RawSheet) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, header in enumerate(sheet.headers):
        key = parsing.nfkc(header).lower()
        for name, (ja, en, _required) in COLUMNS.items():
            if key in (ja.lower(), en):
                index[name] = i
    missing = [ja for name, (ja, _en, required) in COLUMNS.items() if required and name not in index]
    if missing:
        raise ValidationError(
            _(
                "「%(sheet)s」シートに必須の列「%(missing)s」がありません。見出し行に %(expected)s を並べてください"
                "（見つかった見出し: %(found)s）。"
            )
            % {
                "sheet": sheet.name,
                "missing": "、".join(missing),
                "expected": "、".join(ja for ja, _en, _r in COLUMNS.values()),
                "found": "、".join(h for h in sheet.headers if h) or _("なし"),
            }
        )
    return index


def body_import(*, user: User, municipality_id: int, data: bytes, file_name: str) -> BodyImportResult:
    """Check every row, then write all of them or none. Errors name the row as Excel shows it, the column, the
    value and what is wrong."""
    _require_manager(user, municipality_id)
    try:
        sheet = _sheet(read_file(data, file_name))
    except ImportFileError as exc:
        raise ValidationError(str(exc))
    columns = _columns(sheet)
    departments = list(Department.objects.filter(municipality_id=municipality_id).values_list("code", "name"))
    lookup = parsing.DepartmentLookup(departments)
    department_ids = dict(Department.objects.filter(municipality_id=municipality_id).values_list("code", "id"))
    users = {u.username: u for u in User.objects.filter(membership__municipality_id=municipality_id)}
    result = BodyImportResult()
    rows = []
    for row_number, values in sheet.rows:

        def cell(name: str, values=values) -> object:
            i = columns.get(name)
            return values[i] if i is not None and i < len(values) else None

        row, row_errors = {}, []
        for name, parse in (
            ("role", ROLE.parse),
            ("position", lambda v: parsing.clean_text(v, max_length=100)),
            ("name", lambda v: parsing.clean_text(v, max_length=100)),
            ("username", parsing.nfkc),
            ("department", lambda v: None if parsing.is_blank(v) else lookup.resolve(v)),
            ("external", _flag),
            ("public", _flag),
            ("order", parsing.clean_integer),
        ):
            header = COLUMNS[name][0]
            value = cell(name)
            if name in columns and (row_number, columns[name]) in sheet.formulas:
                row_errors.append(
                    _("%(row)s行目「%(col)s」: 数式ではなく値を入力してください。") % {"row": row_number, "col": header}
                )
                continue
            try:
                row[name] = parse(value)
            except parsing.CellError as exc:
                row_errors.append(
                    _("%(row)s行目「%(col)s」の「%(value)s」: %(error)s")
                    % {"row": row_number, "col": header, "value": parsing.clean_text(value)[:40], "error": exc}
                )
        if row.get("role") == "" and "role" in row:
            row_errors.append(_("%(row)s行目「役割」: 入力してください。") % {"row": row_number})
        if row.get("username") and row["username"] not in users:
            row_errors.append(
                _("%(row)s行目「ユーザー名」の「%(value)s」: この自治体のユーザーではありません。")
                % {"row": row_number, "value": row["username"]}
            )
        if "name" in row and "username" in row and not row["name"] and not row["username"]:
            row_errors.append(_("%(row)s行目: 「氏名」か「ユーザー名」を入力してください。") % {"row": row_number})
        result.errors.extend(row_errors)
        rows.append(row)
    if result.errors:
        return result
    existing = {
        (m.role, m.position, m.name, m.user.username if m.user_id else ""): m
        for m in BodyMember.objects.filter(municipality_id=municipality_id).select_related("user")
    }
    with transaction.atomic():
        for order, row in enumerate(rows):
            key = (row["role"], row["position"], row["name"], row["username"])
            wanted = {
                "department_id": department_ids.get(row["department"]),
                "is_external": row["external"],
                "name_is_public": row["public"],
                "sort_order": row["order"] if row["order"] is not None else order,
            }
            member = existing.get(key)
            if member is None:
                member = BodyMember(
                    municipality_id=municipality_id,
                    role=row["role"],
                    position=row["position"],
                    name=row["name"],
                    user=users.get(row["username"]),
                    **wanted,
                )
                member.full_clean()
                member.save()
                existing[key] = member
                result.created += 1
            elif all(getattr(member, k) == v for k, v in wanted.items()):
                result.unchanged += 1
            else:
                for k, v in wanted.items():
                    setattr(member, k, v)
                member.full_clean()
                member.save()
                result.updated += 1
    return result


def body_workbook(*, municipality_id: int) -> bytes:
    """The 推進体制 as a 「推進体制」 sheet (the import's format: export → edit → import round-trips)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append([ja for ja, _en, _r in COLUMNS.values()])
    for m in (
        BodyMember.objects.filter(municipality_id=municipality_id)
        .select_related("user", "department")
        .order_by("sort_order", "id")
    ):
        ws.append(
            [
                neutralise(v) if isinstance(v, str) else v
                for v in (
                    str(m.get_role_display()),
                    m.position,
                    m.name,
                    m.user.username if m.user_id else "",
                    m.department.code if m.department_id else "",
                    "はい" if m.is_external else "いいえ",
                    "はい" if m.name_is_public else "いいえ",
                    m.sort_order,
                )
            ]
        )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
