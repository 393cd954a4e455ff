"""National comparison benchmark: the comparison page against one raw GROUP BY over all milestones, in one run.

    DATABASE_URL=… is ignored; pass the database:
    .venv/bin/python bench/compare_bench.py [--db postgres://postgres@127.0.0.1:5432/dx_load_nat] [--runs 9]

The database must be migrated (measures.0005_plan_item_rollup: the per-(plan, item) sums). The session is set
READ ONLY, so the shared national dataset may be named too once it is migrated. Printed, all medians of --runs:

- the floor: `SELECT plan_id, status, count(*) FROM milestones_milestone GROUP BY plan_id, status`;
- the comparison page for a national viewer (all prefectures) and for one prefecture (13), through the view;
- compare_municipalities() alone, for today and for a day beyond every stored "late" window (each plan's late
  counts then come from the per-measure roll-up: the worst case, long after the last
  `refresh_progress_rollup --plan-items`);
- the SQL alone: the previous GROUP BY over the per-measure roll-up, the pre-aggregate read with "late" from its
  stored window, and the alternative that counts "late" live for every cell.

Target (issue 14): national comparison ≤ 1× the raw GROUP BY.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_OLD_SQL = """
SELECT r.plan_id, r.item_id,
       SUM(CASE WHEN r.ms_total > 0 THEN r.ms_done * 1.0
                WHEN r.latest_percent IS NULL THEN 0.0
                WHEN r.latest_percent > 100 THEN 1.0 ELSE r.latest_percent / 100.0 END),
       SUM(CASE WHEN r.ms_total > 0 THEN r.ms_total ELSE 1 END),
       COUNT(*),
       SUM(CASE WHEN r.first_open_due < %s THEN 1 ELSE 0 END)
FROM measures_measurerollup r
WHERE r.item_id IN ({items})
GROUP BY r.plan_id, r.item_id
"""

_LIVE_LATE_SQL = """
SELECT r.plan_id, r.item_id, COUNT(*) FROM measures_measurerollup r
WHERE r.item_id IN ({items}) AND r.first_open_due < %s GROUP BY r.plan_id, r.item_id
"""
_SUMS_SQL = (
    "SELECT plan_id, item_id, num_hundredths, den, measures FROM measures_planitemrollup WHERE item_id IN ({items})"
)


def _uptime() -> str:
    env = {**os.environ, "TZ": "UTC"}  # django.setup() sets TZ to the portal's zone
    return subprocess.run(["uptime"], capture_output=True, text=True, timeout=10, env=env).stdout.strip() + " (UTC)"


def _median_ms(fn, runs: int) -> float:
    fn()  # warm up
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="postgres://postgres@127.0.0.1:5432/dx_load_nat")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.db
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dxportal.settings")
    os.environ.setdefault("DEBUG", "1")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth.models import AnonymousUser, User
    from django.db import connection
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from dashboard import compare as compare_module
    from dashboard import views
    from plans.models import FrameworkEdition, Municipality, NationalItem
    from plans.permissions import _CACHE_ATTR, Access

    if connection.vendor != "postgresql":
        raise SystemExit("needs PostgreSQL")
    print("uptime at start:", _uptime())
    with connection.cursor() as cursor:
        cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        cursor.execute("SELECT count(*) FROM milestones_milestone")
        milestones = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM measures_measurerollup")
        rollup_rows = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM measures_planitemrollup")
        cells = cursor.fetchone()[0]
    today = timezone.localdate()
    edition = FrameworkEdition.objects.get(is_default=True)
    items = ", ".join(str(i) for i in NationalItem.objects.filter(edition=edition).values_list("id", flat=True))

    user = User(username="bench-national", is_superuser=False)  # in memory only: nothing is written
    access = Access(AnonymousUser())
    access.role, access.compare_scope = "viewer", "national"
    access.municipality_id = Municipality.objects.order_by("code").values_list("id", flat=True)[0]
    setattr(user, _CACHE_ATTR, access)
    factory = RequestFactory()

    def page(path: str):
        def call():
            request = factory.get(path)
            request.user = user
            response = views.compare(request)
            assert response.status_code == 200, response.status_code
            return response

        return call

    def sql(text: str, params: list):
        def call():
            with connection.cursor() as cursor:
                cursor.execute(text, params)
                return cursor.fetchall()

        return call

    def data_only(day):
        return lambda: compare_module.compare_municipalities(municipality_filter={}, today=day)

    raw = sql("SELECT plan_id, status, count(*) FROM milestones_milestone GROUP BY plan_id, status", [])
    new_sql = compare_module._SQL.format(items=items, plans="")
    far = today + dt.timedelta(days=3650)  # beyond every stored window: each cell's late count is counted live
    r = args.runs
    figures = {
        "raw GROUP BY over all milestones (floor)": _median_ms(raw, r),
        "comparison page, national (per prefecture)": _median_ms(page("/dashboard/compare/"), r),
        "comparison page, one prefecture (13)": _median_ms(page("/dashboard/compare/?pref=13"), r),
        "compare_municipalities() alone (no template)": _median_ms(data_only(today), r),
        "the same, every late window missed (worst case)": _median_ms(data_only(far), r),
        "SQL before: GROUP BY over the per-measure roll-up": _median_ms(sql(_OLD_SQL.format(items=items), [today]), r),
        "SQL now: pre-aggregate, late from its window": _median_ms(sql(new_sql, [today, today]), r),
        "SQL alternative: sums + late counted live": _median_ms(
            lambda: (
                sql(_SUMS_SQL.format(items=items), [])(),
                sql(_LIVE_LATE_SQL.format(items=items), [today])(),
            ),
            r,
        ),
    }
    with CaptureQueriesContext(connection) as queries:
        page("/dashboard/compare/")()
    floor = figures["raw GROUP BY over all milestones (floor)"]
    print(
        f"national scale: {milestones} milestones, per-measure roll-up {rollup_rows} rows, pre-aggregate {cells} rows"
    )
    for label, ms in figures.items():
        print(f"  {label:<52} median {ms:8.1f} ms  {ms / floor:5.2f}x the floor")
    ratio = figures["comparison page, national (per prefecture)"] / floor
    print(f"  comparison page queries: {len(queries.captured_queries)}")
    print(f"  => national comparison vs raw GROUP BY: {ratio:.2f}x (target <= 1x) {'OK' if ratio <= 1 else 'MISSED'}")
    print("uptime at end:", _uptime())


if __name__ == "__main__":
    main()
