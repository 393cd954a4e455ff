"""Benchmark: one reminder run's computation at national scale vs the floor (one raw SQL query).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dxportal_scale .venv/bin/python bench/reminder_bench.py [--date YYYY-MM-DD]

Read-only: the run is a dry run (nothing claimed, nothing sent) inside a transaction that is rolled
back whatever happens. Prints both timings, their ratio (target ≤ 3×) and the query counts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dxportal.settings")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from milestones.business_days import is_business_day, next_business_day  # noqa: E402
from milestones.reminders import OPEN_STATUSES, horizon_for, run_reminders  # noqa: E402

FLOOR_SQL = """
SELECT m.id, m.due_date, m.owner_department_id
FROM milestones_milestone m
JOIN plans_plan p ON p.id = m.plan_id
JOIN plans_department d ON d.id = m.owner_department_id
WHERE m.status IN %s AND m.due_date <= %s AND p.status <> 'archived'
  AND (d.email <> '' OR EXISTS (
        SELECT 1 FROM plans_membership_departments md
        JOIN plans_membership ms ON ms.id = md.membership_id JOIN auth_user u ON u.id = ms.user_id
        WHERE md.department_id = d.id AND ms.receives_reminders AND u.is_active AND u.email <> ''))
"""


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--date", help="run date (default: the next business day from today)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    run_date = dt.date.fromisoformat(args.date) if args.date else timezone.localdate()
    if not is_business_day(run_date):
        run_date = next_business_day(run_date)
    limit = horizon_for(run_date) + dt.timedelta(days=max(settings.REMINDER_STAGES_DAYS_BEFORE))
    print(f"database: {connection.settings_dict['NAME']} ({connection.vendor}); run date {run_date}")

    with transaction.atomic():

        def floor():
            with connection.cursor() as cursor:
                cursor.execute(FLOOR_SQL, [tuple(OPEN_STATUSES), limit])
                return cursor.fetchall()

        def run():
            with CaptureQueriesContext(connection) as queries:
                report = run_reminders(run_date=run_date, dry_run=True)
            return report, queries.captured_queries

        # Alternate floor and run so both see the same machine load (the box is shared); report the best
        # of each and the median of the pairwise ratios.
        floor_times, run_times, writes = [], [], 0
        for _ in range(args.repeat):
            t, rows = timed(floor)
            floor_times.append(t)
            t, (report, queries) = timed(run)
            run_times.append(t)
            writes += sum(1 for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")))
        transaction.set_rollback(True)  # read-only, whatever happened

    items = sum(len(d.items) for d in report.digests)
    ratios = sorted(r / f for r, f in zip(run_times, floor_times, strict=True))
    print(f"floor (1 raw SQL):   best {min(floor_times):7.3f} s  {len(rows):>9,} candidate milestones, 1 query")
    print(
        f"run_reminders (dry): best {min(run_times):7.3f} s  {items:>9,} reminders in {len(report.digests):,} "
        f"digests, {len(queries)} queries"
    )
    print(
        f"ratio: best/best {min(run_times) / min(floor_times):.2f}x, median of pairs {ratios[len(ratios) // 2]:.2f}x "
        f"(target <= 3x); writes attempted: {writes}"
    )


if __name__ == "__main__":
    main()
