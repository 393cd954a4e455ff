"""Pages of the drill-down lists and the 工程表 (the exports stay complete). A page number that is not a
number, or is out of range, shows the first or the last page — never an error."""

from __future__ import annotations

from dataclasses import dataclass

PER_PAGE = 100  # rows of a drill-down list or the 工程表 per page
KPI_PER_PAGE = 20  # KPI cards (each with its chart and values) per page


@dataclass(frozen=True)
class Pager:
    number: int  # 1-based
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.per_page

    @property
    def start(self) -> int:  # 1-based index of the first row shown (0 when there is none)
        return self.offset + 1 if self.total else 0

    @property
    def end(self) -> int:
        return min(self.total, self.offset + self.per_page)

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def several(self) -> bool:
        return self.pages > 1

    def window(self, items):
        """This page's part of a list or queryset."""
        return items[self.offset : self.offset + self.per_page]


def page_number(raw: str | None) -> int:
    """The requested page: anything but a positive number is page 1 (clamped to the last page by paginate)."""
    try:
        return max(1, int((raw or "").strip()[:9]))
    except ValueError:
        return 1


def paginate(total: int, number: int, per_page: int = PER_PAGE) -> Pager:
    pages = max(1, -(-total // per_page))
    return Pager(number=min(max(1, number), pages), per_page=per_page, total=total)
