"""Cell-level parsing for the plan workbook (docs/import-format.md): normalisation, numbers, dates, fiscal years,
Japanese choice labels, national items and departments.

Every function raises `CellError` with a message (gettext; Japanese by default) that the preview shows next to the
cell.
Codes, numbers, dates and references are NFKC-normalised (full-width → half-width); free text (names,
summaries) is only trimmed, so that a title written with full-width brackets round-trips unchanged.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from core.fiscal import JapaneseDateError, parse_date, parse_fiscal_year
from core.formulas import unneutralise
from core.numbers import decimal_column_error
from core.text import CONTROL_CHARACTER_MESSAGE, has_control_characters


class CellError(ValueError):
    """A cell value that cannot be used; str(error) is the reason, in the person's language."""


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number_text(value: float | int) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def clean_text(value: object, *, max_length: int | None = None) -> str:
    """Free text: trimmed, not NFKC-normalised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "TRUE" if value else "FALSE"
    elif isinstance(value, int | float):
        text = _number_text(value)
    elif isinstance(value, dt.datetime | dt.date):
        text = value.isoformat()[:10]
    else:
        text = unneutralise(str(value).strip())
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if max_length is not None and len(text) > max_length:
        raise CellError(
            _("%(max)s文字以内にしてください（%(length)s文字あります）。") % {"max": max_length, "length": len(text)}
        )
    return text


def clean_code(value: object, *, max_length: int = 32) -> str:
    """A code (natural key): NFKC, trimmed, no inner whitespace allowed."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = _number_text(value)
    else:
        text = unicodedata.normalize("NFKC", clean_text(value)).strip()
    if any(ch.isspace() for ch in text):
        raise CellError(_("コードに空白は使えません。"))
    if len(text) > max_length:
        raise CellError(_("コードは%(max)s文字以内にしてください。") % {"max": max_length})
    return text


def nfkc(value: object) -> str:
    return unicodedata.normalize("NFKC", clean_text(value)).strip()


def clean_decimal(value: object) -> Decimal | None:
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CellError(_("数値を入力してください。"))
    if isinstance(value, int | float):
        return Decimal(str(value))
    text = nfkc(value).replace(",", "").replace("，", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CellError(_("「%(value)s」は数値として読めません。") % {"value": value})
    if not number.is_finite():
        raise CellError(_("「%(value)s」は数値として読めません。") % {"value": value})
    if abs(number) >= Decimal(10) ** 14:
        raise CellError(_("数値が大きすぎます。"))
    return number


def check_digits(number: Decimal | None, *, max_digits: int, decimal_places: int) -> Decimal | None:
    """The number fits a DecimalField(max_digits, decimal_places) on every database (core.numbers), or CellError."""
    if number is None:
        return None
    error = decimal_column_error(number, max_digits=max_digits, decimal_places=decimal_places)
    if error:
        raise CellError(error)
    return number


def clean_name(value: object, *, max_length: int | None = None) -> str:
    """A name (部署名, 施策名 …): one line of text."""
    text = clean_text(value, max_length=max_length)
    if has_control_characters(text):
        raise CellError(str(CONTROL_CHARACTER_MESSAGE))
    return text


def clean_integer(value: object) -> int | None:
    number = clean_decimal(value)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise CellError(_("「%(value)s」は整数で入力してください。") % {"value": value})
    return int(number)


def clean_date(value: object) -> dt.date | None:
    if is_blank(value):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        # A date typed into a cell formatted as number (Excel serial) or 20250401.
        if 20000 <= value < 80000:
            return dt.date(1899, 12, 30) + dt.timedelta(days=int(value))
        value = _number_text(value)
    try:
        return parse_date(value)
    except JapaneseDateError as exc:
        raise CellError(str(exc))


def clean_fiscal_year(value: object) -> int | None:
    if is_blank(value):
        return None
    try:
        return parse_fiscal_year(value if isinstance(value, int | float) else nfkc(value))
    except JapaneseDateError as exc:
        raise CellError(str(exc))


def clean_email(value: object) -> str:
    text = nfkc(value)
    if not text:
        return ""
    try:
        validate_email(text)
    except ValidationError:
        raise CellError(_("「%(value)s」はメールアドレスとして正しくありません。") % {"value": text})
    return text


class ChoiceParser:
    """Japanese labels (未着手, 完了 …) ↔ stored values, also accepting the stored values and English."""

    def __init__(self, labels: dict[str, str], *, aliases: dict[str, str] | None = None, default: str):
        self.labels = labels  # value → label
        self.default = default
        self._lookup = {}
        for stored, label in labels.items():
            self._lookup[_key(label)] = stored
            self._lookup[_key(stored)] = stored
        for alias, stored in (aliases or {}).items():
            self._lookup[_key(alias)] = stored

    def parse(self, value: object) -> str:
        if is_blank(value):
            return self.default
        text = nfkc(value)
        try:
            return self._lookup[_key(text)]
        except KeyError:
            raise CellError(
                _("「%(value)s」は選べません。%(choices)s のいずれかを入力してください。")
                % {"value": text, "choices": "、".join(self.labels.values())}
            )

    def label(self, stored: str) -> str:
        return self.labels.get(stored, stored)


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", str(text)).strip().lower().replace(" ", "")


_LIST_SPLIT_RE = re.compile(r"[、,;\n]+")
_NUMBERED_RE = re.compile(r"^(\d{1,2})(?:[.．:：\s]\s*.*)?$")


def split_list(value: object) -> list[str]:
    """「1、3」「1,3」「標準化・共通化、テレワークの推進」 → parts (NFKC turns ， into ,)."""
    if is_blank(value):
        return []
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [_number_text(value)]
    return [part.strip() for part in _LIST_SPLIT_RE.split(nfkc(value)) if part.strip()]


class NationalItemLookup:
    """Resolves national items of one edition by number (1–11), "3. name", full name or short name."""

    def __init__(self, items: Iterable):
        self.by_number: dict[int, object] = {}
        self.by_name: dict[str, object] = {}
        for item in items:
            self.by_number[item.number] = item
            for name in (item.name, item.short_name):
                if name:
                    self.by_name[_key(name)] = item
        self.max_number = max(self.by_number, default=0)

    def resolve(self, value: object) -> tuple[int, ...]:
        parts = split_list(value)
        if not parts:
            raise CellError(
                _("国の取組項目を1つ以上入力してください（番号1〜%(max)s または項目名）。") % {"max": self.max_number}
            )
        numbers = set()
        for part in parts:
            item = self.by_name.get(_key(part))
            if item is None and (m := _NUMBERED_RE.match(part)):
                item = self.by_number.get(int(m[1]))
                if item is None:
                    raise CellError(
                        _("国の取組項目「%(item)s」はありません。番号は1〜%(max)sです。")
                        % {"item": part, "max": self.max_number}
                    )
            if item is None:
                raise CellError(
                    _("国の取組項目「%(item)s」が見つかりません。番号（1〜%(max)s）か項目名を入力してください。")
                    % {"item": part, "max": self.max_number}
                )
            numbers.add(item.number)
        return tuple(sorted(numbers))


class DepartmentLookup:
    """Resolves a department by code or name: the municipality's departments plus those in the file."""

    def __init__(self, departments: Iterable[tuple[str, str]]):
        self.codes: set[str] = set()
        self.by_name: dict[str, str | None] = {}
        for code, name in departments:
            self.add(code, name)

    def add(self, code: str, name: str) -> None:
        self.codes.add(code)
        key = _key(name)
        # Two departments with the same name: the name is ambiguous, only the code works.
        self.by_name[key] = None if key in self.by_name and self.by_name[key] != code else code

    def resolve(self, value: object) -> str:
        text = nfkc(value)
        if text in self.codes:
            return text
        key = _key(text)
        if key in self.by_name:
            code = self.by_name[key]
            if code is None:
                raise CellError(_("部署名「%(name)s」は複数あります。部署コードで指定してください。") % {"name": text})
            return code
        # 「部署」 is the sheet's name in the file, the same in every language.
        raise CellError(
            _(
                "部署「%(name)s」が見つかりません。部署コードか部署名を入力してください（「部署」シートで追加できます）。"
            )
            % {"name": text}
        )
