"""Benchmark of the plan workbook import (city scale: docs/import-format.md).

Builds a city-scale workbook (40 departments, 500 measures, 3,000 milestones, 1,000 KPIs) and measures, in one
run on the same database:
  (a) ours  — the workbook import: preview (read, validate, diff) + confirm (one-transaction bulk write, history);
  (b) floor — openpyxl read-only parse of the same file + bulk_create of the same rows (no checks, no history);
  (c) peer  — plain django-import-export ModelResources with default options, sheet by sheet (its per-row
              save() also writes simple-history rows). The peer gets ready-made datasets with foreign-key ids,
              so its file reading is not timed: that favours the peer.
and prints a/b (target ≤ 3), c/a (target ≥ 5), and the peak RSS of a 20,000-row sheet import (target ≤ 300 MB),
measured in a child process so the figure is that import's alone.

    .venv/bin/python bench/import_bench.py                       # SQLite (a fresh temporary database)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dxportal_issue3 .venv/bin/python bench/import_bench.py

On PostgreSQL it migrates the database if needed, works in its own benchmark municipality and deletes it at
the end. Never point it at dxportal_scale (it writes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dxportal.settings")
if not os.environ.get("DATABASE_URL"):
    _tmp = Path(tempfile.gettempdir()) / f"dxportal-import-bench-{os.getpid()}.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{_tmp}"
    os.environ["DXPORTAL_BENCH_TMP_DB"] = str(_tmp)

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from import_export import resources  # noqa: E402
from openpyxl import Workbook, load_workbook  # noqa: E402
from tablib import Dataset  # noqa: E402

from importing import reading, services  # noqa: E402
from measures.models import Indicator, Measure  # noqa: E402
from milestones.models import Milestone  # noqa: E402
from plans.models import Department, FrameworkEdition, ImportRun, Municipality, NationalItem, Plan  # noqa: E402

BENCH_CITY = "139971"  # 13 + 997 + check digit: a fictional city kept apart from demo/test data
STATUSES = ["未着手", "進行中", "完了", "遅延", "中止"]


def city_workbook(measures: int = 500, milestones_per: int = 6, kpis_per: int = 2, departments: int = 40) -> bytes:
    workbook = Workbook(write_only=True)
    depts = workbook.create_sheet("部署")
    depts.append(["部署コード", "部署名", "上位部署コード", "メールアドレス"])
    for d in range(departments):
        depts.append([f"D{d:03d}", f"第{d}課", "", f"d{d}@example.lg.jp"])
    ms = workbook.create_sheet("施策")
    ms.append(
        [
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
    )
    ml = workbook.create_sheet("マイルストーン")
    ml.append(["マイルストーンコード", "施策コード", "マイルストーン名", "種別", "期限", "担当部署", "状況", "完了日"])
    kp = workbook.create_sheet("指標")
    kp.append(
        [
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
    )
    base = dt.date(2025, 4, 1)
    for i in range(measures):
        code = f"S{i:04d}"
        ms.append(
            [
                code,
                f"施策{i}",
                f"施策{i}の概要",
                "",
                f"{i % 11 + 1}、{(i + 3) % 11 + 1}",
                f"D{i % departments:03d}",
                f"柱{i % 4}",
                2025,
                2027,
                1000 + i,
            ]
        )
        for j in range(milestones_per):
            status = STATUSES[(i + j) % 5]
            ml.append(
                [
                    f"{code}-{j}",
                    code,
                    f"工程{i}-{j}",
                    "中間指標",
                    base + dt.timedelta(days=(i * 7 + j * 30) % 700),
                    "",
                    status,
                    base if status == "完了" else None,
                ]
            )
        for k in range(kpis_per):
            kp.append(
                [f"K{i:04d}-{k}", code, f"指標{i}-{k}", "件", "増加", 10, base, 100, 2027, 40 + k, dt.date(2025, 3, 31)]
            )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def big_sheet_workbook(rows: int = 20_000) -> bytes:
    """500 measures and one 20,000-row milestone sheet."""
    return city_workbook(measures=500, milestones_per=rows // 500, kpis_per=0)


def setup_city() -> tuple[Municipality, User]:
    city, _ = Municipality.objects.get_or_create(code=BENCH_CITY, defaults={"name": "ベンチ市"})
    user, _ = User.objects.get_or_create(username="import-bench")
    return city, user


def new_plan(city: Municipality, code: str) -> Plan:
    return Plan.objects.create(
        municipality=city,
        code=code,
        title=code,
        start_fy=2025,
        end_fy=2029,
        edition=FrameworkEdition.objects.get(is_default=True),
    )


def cleanup(city: Municipality) -> None:
    ImportRun.objects.filter(plan__municipality=city).delete()
    for plan in Plan.objects.filter(municipality=city):
        for model in (Milestone, Indicator, Measure):
            model.history.filter(plan_id=plan.pk).delete()
        plan.delete()
    Department.objects.filter(municipality=city).update(parent=None)
    Department.objects.filter(municipality=city).delete()


def ours(city, user, data: bytes, *, code: str = "bench-a", cold_confirm: bool = False) -> tuple[float, dict]:
    """cold_confirm: the confirm parses the file again, as when another web worker serves it."""
    plan = new_plan(city, code)
    reading._RECENT.clear()
    started = time.perf_counter()
    run, preview = services.plan_import_preview(plan=plan, data=data, file_name="city.xlsx", user=user)
    assert not preview.has_errors, [e.as_text() for e in preview.errors[:5]]
    if cold_confirm:
        reading._RECENT.clear()
    services.plan_import_apply(run=run, data=data, user=user)
    return time.perf_counter() - started, preview.counts


def floor(city, data: bytes) -> float:
    """openpyxl read-only parse + bulk_create of the same rows, nothing else."""
    plan = new_plan(city, "bench-b")
    started = time.perf_counter()
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    sheets = {
        name: [r + (None,) * (12 - len(r)) for r in workbook[name].iter_rows(min_row=2, values_only=True)]
        for name in workbook.sheetnames
    }
    workbook.close()
    items = {i.number: i.pk for i in NationalItem.objects.filter(edition_id=plan.edition_id)}
    depts = dict(Department.objects.filter(municipality=city).values_list("code", "pk"))
    status = {"未着手": "not_started", "進行中": "in_progress", "完了": "done", "遅延": "delayed", "中止": "cancelled"}
    with transaction.atomic():
        measures = Measure.objects.bulk_create(
            [
                Measure(
                    plan=plan,
                    code=r[0],
                    title=r[1],
                    summary=r[2] or "",
                    current_issues=r[3] or "",
                    owner_department_id=depts[r[5]],
                    start_fy=r[7],
                    end_fy=r[8],
                    budget_thousand_yen=r[9],
                )
                for r in sheets["施策"]
            ]
        )
        ids = {m.code: m for m in measures}
        through = Measure.national_items.through
        through.objects.bulk_create(
            [
                through(measure_id=ids[r[0]].pk, nationalitem_id=items[int(n)])
                for r in sheets["施策"]
                for n in str(r[4]).split("、")
            ]
        )
        Milestone.objects.bulk_create(
            [
                Milestone(
                    plan=plan,
                    measure_id=ids[r[1]].pk,
                    code=r[0],
                    title=r[2],
                    kind="interim",
                    due_date=r[4],
                    owner_department_id=ids[r[1]].owner_department_id,
                    status=status[r[6]],
                    completed_on=r[7],
                )
                for r in sheets["マイルストーン"]
            ]
        )
        Indicator.objects.bulk_create(
            [
                Indicator(
                    plan=plan,
                    measure_id=ids[r[1]].pk,
                    code=r[0],
                    name=r[2],
                    unit=r[3],
                    baseline_value=r[5],
                    baseline_date=r[6],
                    target_value=r[7],
                    target_fy=r[8],
                )
                for r in sheets["指標"]
            ]
        )
    return time.perf_counter() - started


class PeerMeasureResource(resources.ModelResource):
    class Meta:
        model = Measure
        fields = (
            "id",
            "plan",
            "code",
            "title",
            "summary",
            "current_issues",
            "national_items",
            "owner_department",
            "start_fy",
            "end_fy",
            "budget_thousand_yen",
        )


class PeerMilestoneResource(resources.ModelResource):
    class Meta:
        model = Milestone
        fields = ("id", "measure", "code", "title", "kind", "due_date", "owner_department", "status", "completed_on")


class PeerIndicatorResource(resources.ModelResource):
    class Meta:
        model = Indicator
        fields = (
            "id",
            "measure",
            "code",
            "name",
            "unit",
            "direction",
            "baseline_value",
            "baseline_date",
            "target_value",
            "target_fy",
        )


def peer(city, data: bytes) -> float:
    """Plain django-import-export, default options, one sheet after another."""
    plan = new_plan(city, "bench-c")
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    sheets = {
        name: [r + (None,) * (12 - len(r)) for r in workbook[name].iter_rows(min_row=2, values_only=True)]
        for name in workbook.sheetnames
    }
    workbook.close()
    items = {i.number: i.pk for i in NationalItem.objects.filter(edition_id=plan.edition_id)}
    depts = dict(Department.objects.filter(municipality=city).values_list("code", "pk"))
    status = {"未着手": "not_started", "進行中": "in_progress", "完了": "done", "遅延": "delayed", "中止": "cancelled"}
    measures = Dataset(headers=list(PeerMeasureResource._meta.fields))
    for r in sheets["施策"]:
        measures.append(
            [
                "",
                plan.pk,
                r[0],
                r[1],
                r[2] or "",
                r[3] or "",
                ",".join(str(items[int(n)]) for n in str(r[4]).split("、")),
                depts[r[5]],
                r[7],
                r[8],
                r[9],
            ]
        )
    elapsed = 0.0
    started = time.perf_counter()
    result = PeerMeasureResource().import_data(measures, dry_run=False)
    elapsed += time.perf_counter() - started
    assert not result.has_errors() and not result.has_validation_errors()
    ids = dict(Measure.objects.filter(plan=plan).values_list("code", "pk"))
    owner = dict(Measure.objects.filter(plan=plan).values_list("code", "owner_department_id"))
    milestones = Dataset(headers=list(PeerMilestoneResource._meta.fields))
    for r in sheets["マイルストーン"]:
        milestones.append(["", ids[r[1]], r[0], r[2], "interim", r[4], owner[r[1]], status[r[6]], r[7]])
    indicators = Dataset(headers=list(PeerIndicatorResource._meta.fields))
    for r in sheets["指標"]:
        indicators.append(["", ids[r[1]], r[0], r[2], r[3], "higher", r[5], r[6], r[7], r[8]])
    for resource_class, dataset in ((PeerMilestoneResource, milestones), (PeerIndicatorResource, indicators)):
        started = time.perf_counter()
        result = resource_class().import_data(dataset, dry_run=False)
        elapsed += time.perf_counter() - started
        assert not result.has_errors() and not result.has_validation_errors()
    return elapsed


def rss_child() -> None:
    """Child process: import a 20,000-row sheet and print this process's peak RSS in MB."""
    city, user = setup_city()
    data = big_sheet_workbook()
    plan = new_plan(city, "bench-rss")
    started = time.perf_counter()
    run, preview = services.plan_import_preview(plan=plan, data=data, file_name="big.xlsx", user=user)
    assert not preview.has_errors, [e.as_text() for e in preview.errors[:5]]
    services.plan_import_apply(run=run, data=data, user=user)
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{peak_mb:.1f} {elapsed:.2f} {preview.counts['マイルストーン']['new']}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rss-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--skip-rss", action="store_true")
    args = parser.parse_args()
    if connection.settings_dict["NAME"] == "dxportal_scale":
        sys.exit("Refusing to write into dxportal_scale.")
    call_command("migrate", verbosity=0)
    if args.rss_child:
        rss_child()
        return
    city, user = setup_city()
    cleanup(city)
    try:
        data = city_workbook()
        print(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")
        print(f"workbook: {len(data) / 1024:.0f} KB — 40 departments, 500 measures, 3,000 milestones, 1,000 KPIs")
        a, counts = ours(city, user, data)
        b = floor(city, data)
        c = peer(city, data)
        a_cold, _ = ours(city, user, data, code="bench-a2", cold_confirm=True)
        print(f"counts (a): {counts}")
        print(f"(a) ours, preview + confirm      : {a:7.2f} s")
        print(f"(b) floor, openpyxl + bulk_create: {b:7.2f} s")
        print(f"(c) peer, django-import-export   : {c:7.2f} s")
        print(f"(a') ours, confirm in another worker: {a_cold:7.2f} s  (a'/b = {a_cold / b:.2f})")
        print(f"a/b = {a / b:.2f}  (target ≤ 3)")
        print(f"c/a = {c / a:.2f}  (target ≥ 5)")
        print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    finally:
        cleanup(city)
    if not args.skip_rss:
        out = subprocess.run(
            [sys.executable, __file__, "--rss-child"], capture_output=True, text=True, env=os.environ.copy(), check=True
        ).stdout.split()
        print(
            f"20,000-row sheet: {out[2]} milestones imported in {float(out[1]):.2f} s, "
            f"peak RSS {float(out[0]):.0f} MB  (target ≤ 300 MB)"
        )
        cleanup(city)
    Municipality.objects.filter(code=BENCH_CITY).delete()
    User.objects.filter(username="import-bench").delete()
    if os.environ.get("DXPORTAL_BENCH_TMP_DB") and not args.rss_child:
        Path(os.environ["DXPORTAL_BENCH_TMP_DB"]).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
