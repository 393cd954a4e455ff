"""What an import would do, as the preview page and the command line show it: per-sheet counts of new,
changed and unchanged rows, the changes of each row (before → after), and every error with its place.

Also the one row type every stage passes on (`SheetRow`): reading fills its cleaned cells, the checks decide
what it becomes, apply writes it. This module has no stage logic and reads nothing from the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from core.fiscal import format_fiscal_year

from .resources import AUDIENCE, CHANGE_LEVEL, CHANNEL, DIRECTION, EVALUATION_DIRECTION, KIND, STATUS, TAGS

NEW, CHANGED, UNCHANGED = "new", "changed", "unchanged"
PREVIEW_ROW_LIMIT = 500  # changed/new rows listed per sheet on the preview page (counts are always exact)


@dataclass
class RowError:
    sheet: str
    row: int | None
    column: str
    value: str
    message: str

    def as_text(self) -> str:
        where = _("シート「%(sheet)s」") % {"sheet": self.sheet} if self.sheet else _("ファイル")
        if self.row:
            where += " " + _("%(row)s行目") % {"row": self.row}
        if self.column:
            where += " " + _("列「%(column)s」") % {"column": self.column}
        value = " " + _("値「%(value)s」") % {"value": self.value} if self.value else ""
        return f"{where}{value}: {self.message}"

    def as_dict(self) -> dict:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message,
        }


@dataclass
class FieldChange:
    column: str
    before: str
    after: str


@dataclass
class RowDiff:
    row: int
    key: str
    action: str
    changes: list[FieldChange] = field(default_factory=list)


@dataclass
class SheetReport:
    name: str
    present: bool = False
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    diffs: list[RowDiff] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)  # shown, but they do not block the import

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})

    def add(self, diff: RowDiff) -> None:
        setattr(self, diff.action, getattr(self, diff.action) + 1)
        if diff.action != UNCHANGED and len(self.diffs) < PREVIEW_ROW_LIMIT:
            self.diffs.append(diff)


@dataclass
class Preview:
    """What an import would do: per-sheet counts, diffs and errors; `work` holds the validated rows to write."""

    file_name: str
    sheets: dict[str, SheetReport]
    file_errors: list[RowError] = field(default_factory=list)
    work: Any = None  # checks.Work, kept for apply

    @property
    def errors(self) -> list[RowError]:
        return self.file_errors + [e for s in self.sheets.values() for e in s.errors]

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    @property
    def warnings(self) -> list[RowError]:
        return [w for s in self.sheets.values() for w in s.warnings]

    @property
    def counts(self) -> dict[str, dict[str, int]]:
        return {
            name: {"new": s.new, "changed": s.changed, "unchanged": s.unchanged, "errors": len(s.errors)}
            for name, s in self.sheets.items()
            if s.present
        }

    @property
    def has_changes(self) -> bool:
        return any(s.new or s.changed for s in self.sheets.values())


@dataclass
class SheetRow:
    """One data row of a sheet, from its cleaned cells (reading) to what it will be (checks) and its write (apply)."""

    number: int  # as Excel shows it
    values: dict[str, Any]  # cleaned cells by field name (absent column → absent key)
    sheet: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # field name → header as written in the file
    ok: bool = True
    after: dict[str, Any] = field(default_factory=dict)  # the values the object will have
    action: str = ""
    existing_id: int | None = None
    changed_fields: list[str] = field(default_factory=list)


# --- display of values --------------------------------------------------------------------------


def display(value: object, kind: str = "") -> str:
    if value is None or value == "" or value == ():
        return _("（空欄）")
    if kind == "status":
        return STATUS.label(value)
    if kind == "kind":
        return KIND.label(value)
    if kind == "direction":
        return DIRECTION.label(value)
    if kind == "fy":
        return f"{value}（{format_fiscal_year(value)}）"
    if kind == "change_level":
        return CHANGE_LEVEL.label(value)
    if kind == "channel":
        return CHANNEL.label(value)
    if kind == "audience":
        return AUDIENCE.label(value)
    if kind == "evaluation_direction":
        return EVALUATION_DIRECTION.label(value)
    if kind == "tags":
        return "、".join(TAGS.get(v, v) for v in value)
    if isinstance(value, tuple):
        return "、".join(str(v) for v in value)
    if isinstance(value, dt.date):
        return f"{value.year}/{value.month}/{value.day}"
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    return str(value)


def shown(value: object) -> str:
    """A cell value as an error message quotes it."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return display(value if not isinstance(value, dt.datetime) else value.date())
    return str(value)[:100]
