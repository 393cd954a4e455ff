"""Workbooks the import tests upload, written with openpyxl directly (independent of the portal's export)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io

from openpyxl import Workbook

from measures.models import Indicator, IndicatorValue, Measure
from milestones.models import Milestone
from plans.models import Department, Pillar

DEPT_HEADERS = ["部署コード", "部署名", "上位部署コード", "メールアドレス"]
MEASURE_HEADERS = [
    "施策コード",
    "施策名",
    "概要",
    "現状・課題",
    "国の取組項目",
    "担当部署",
    "施策の柱",
    "開始年度",
    "終了年度",
    "予算（千円）",
]
MILESTONE_HEADERS = [
    "マイルストーンコード",
    "施策コード",
    "マイルストーン名",
    "種別",
    "期限",
    "担当部署",
    "状況",
    "完了日",
]
INDICATOR_HEADERS = [
    "指標コード",
    "施策コード",
    "指標名",
    "単位",
    "方向",
    "基準値",
    "基準日",
    "目標値",
    "目標年度",
    "実績値",
    "実績日",
]
STATUSES = ["未着手", "進行中", "完了", "遅延", "中止"]


def realistic_sheets(measures: int = 60) -> dict[str, list[list]]:
    """A city plan: 3 new departments, `measures` measures (3 milestones and 1 KPI each), every form of
    date and fiscal year the design accepts, full-width digits, item names and numbers."""
    depts = [
        DEPT_HEADERS,
        ["KIKAKU", "企画部", "", ""],
        ["KIKAKU-DX", "ＤＸ推進課", "KIKAKU", "dx@example.lg.jp"],
        ["KIKAKU-KOHO", "広報課", "KIKAKU", ""],
    ]
    date_forms = [
        "2025/4/1",
        "2025年6月30日",
        "令和7年9月30日",
        "R7.12.1",
        "R7/12/15",
        dt.date(2026, 3, 31),
        "2026-01-20",
        "令和元年5月1日",
    ]
    fy_forms = [2025, "2025年度", "令和7年度", "R7", "２０２５"]
    owners = ["JOHO", "情報政策課", "SHIMIN", "KIKAKU-DX", "広報課"]
    pillars = ["利便性の向上", "業務の効率化", "基盤と人材"]
    ms, ml, ind = [MEASURE_HEADERS], [MILESTONE_HEADERS], [INDICATOR_HEADERS]
    for i in range(1, measures + 1):
        code = f"S{i:03d}"
        items = [f"{i % 11 + 1}", "1、3", "テレワークの推進", "4,6", "オープンデータの推進、１１"][i % 5]
        ms.append(
            [
                code,
                f"施策その{i}（デジタル化）",
                f"概要{i}",
                "" if i % 2 else f"課題{i}",
                items,
                owners[i % 5],
                pillars[i % 3],
                fy_forms[i % 5],
                2027,
                1000 * i if i % 4 else None,
            ]
        )
        for j in range(1, 4):
            status = STATUSES[(i + j) % 5]
            completed = "2025/5/1" if status == "完了" else None
            ml.append(
                [
                    f"{code}-{j}",
                    code,
                    f"工程{i}-{j}",
                    "到達目標" if j == 3 else "中間指標",
                    date_forms[(i + j) % len(date_forms)],
                    "" if j != 2 else "SHIMIN",
                    status,
                    completed,
                ]
            )
        ind.append(
            [
                f"K{i:03d}",
                code,
                f"指標{i}",
                "件",
                "増加" if i % 3 else "減少",
                10,
                "2023/4/1",
                100 + i,
                "令和9年度",
                40 + i if i % 2 else None,
                "2025/3/31" if i % 2 else None,
            ]
        )
    return {"部署": depts, "施策": ms, "マイルストーン": ml, "指標": ind}


def xlsx(sheets: dict[str, list[list]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list], encoding: str = "utf-8", bom: bool = False) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["" if v is None else v for v in row] for row in rows])
    data = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def database_fingerprint() -> tuple:
    """Counts and a checksum of every row the import may write (plan data and its history)."""
    parts = []
    for model in (Department, Pillar, Measure, Milestone, Indicator, IndicatorValue):
        rows = list(model.objects.order_by("pk").values_list())
        parts.append((model.__name__, len(rows)))
        parts.append(hashlib.sha256(repr(rows).encode()).hexdigest())
        history = getattr(model, "history", None)
        if history is not None:
            parts.append((f"{model.__name__}.history", history.count()))
    through = Measure.national_items.through
    parts.append(hashlib.sha256(repr(list(through.objects.order_by("pk").values_list())).encode()).hexdigest())
    return tuple(parts)
