"""Benchmark: reminder runs at national scale, day 1 (empty log) and day 2 (the log full from day 1), against a
raw SQL floor that selects the due milestones, measured in the same run (alternating).

    .venv/bin/python bench/reminder_bench.py --database-url postgres://postgres@127.0.0.1:5432/dx_remind_nat \\
        [--date YYYY-MM-DD] [--repeat 3] [--no-send] [--commit]

For each day it prints the dry run (plan only) and the real run (plan + claim + render + send, inline, to Django's
in-memory backend ``locmem``; the outbox is counted and emptied as it goes), with their ratios to the floor, the
query counts, the statements written (claim phase and send phase), digests and e-mails.

The real run writes. Everything happens in ONE transaction that is rolled back at the end (day 2 runs inside it,
after day 1; the reminder log is ANALYZEd in between, as autovacuum would overnight), unless ``--commit``. It
refuses to run on ``dxportal_scale`` (read-only, shared): use a copy (CREATE DATABASE x TEMPLATE dxportal_scale).
``--no-send``: the real run claims but does not send (queued on commit, which never comes): the issue's "real
run (plan + claim)", comparable with a version of the code that interleaves claims and sends.

Targets (issue 14): real run <= 5x its floor; day-2 dry run <= 2x. The floor is the faster of the raw query
with the server's JIT setting and with JIT off (the strictest baseline). Load (`uptime`) is printed at the start
and the end: the machine is shared.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from collections import deque
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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
READ_ONLY_DATABASES = {"dxportal_scale"}
WRITES = ("INSERT", "UPDATE", "DELETE")


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return f"load average: {os.getloadavg()}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", help="a writable copy of the national data (default: $DATABASE_URL)")
    parser.add_argument("--date", help="day 1 (default: the next business day from today); day 2 is the next one")
    parser.add_argument("--repeat", type=int, default=3, help="dry runs (and floors) per day")
    parser.add_argument("--no-send", action="store_true", help="real run = plan + claim (no render, no send)")
    parser.add_argument("--commit", action="store_true", help="keep day 1 and day 2's writes (default: roll back)")
    args = parser.parse_args()
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dxportal.settings")
    os.environ.pop("REDIS_URL", None)  # no broker: nothing leaves the process

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    name = connection.settings_dict["NAME"]
    if name in READ_ONLY_DATABASES:
        sys.exit(f"refusing to run on {name}: the real run writes. Use a copy (--database-url …/dx_…_nat).")
    if args.commit and args.no_send:
        sys.exit("--no-send queues the sends on commit: use it without --commit")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    print(f"start: {uptime()}")
    run(args)
    print(f"end:   {uptime()}")


def run(args) -> None:
    from django.core import mail
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from milestones.business_days import is_business_day, next_business_day
    from milestones.models import ReminderLog
    from milestones.reminders import OPEN_STATUSES, horizon_for, run_reminders

    mail.outbox = []  # the locmem backend appends here (no setup_test_environment: it instruments templates)
    # CaptureQueriesContext keeps the last 9,000 queries by default: a national run makes more.
    connection.queries_log = deque(maxlen=10_000_000)
    from django.conf import settings

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    day1 = dt.date.fromisoformat(args.date) if args.date else timezone.localdate()
    if not is_business_day(day1):
        day1 = next_business_day(day1)
    day2 = next_business_day(day1)
    postgres = connection.vendor == "postgresql"
    print(
        f"database: {connection.settings_dict['NAME']} ({connection.vendor}); day 1 {day1}, day 2 {day2}; "
        f"{'commit' if args.commit else 'one transaction, rolled back at the end'}; "
        f"real run = plan + claim{'' if args.no_send else ' + render + send (locmem, inline)'}"
    )

    def floor(run_date: dt.date, jit: str | None):
        limit = horizon_for(run_date) + dt.timedelta(days=max(settings.REMINDER_STAGES_DAYS_BEFORE))
        with connection.cursor() as cursor:
            if jit and postgres:
                cursor.execute("SELECT set_config('jit', %s, true)", [jit])
            start = time.perf_counter()
            cursor.execute(FLOOR_SQL, [tuple(OPEN_STATUSES), limit])
            rows = cursor.fetchall()
            elapsed = time.perf_counter() - start
        return elapsed, len(rows)

    with connection.cursor() as cursor:
        server_jit = "n/a"
        if postgres:
            cursor.execute("SHOW jit")
            server_jit = cursor.fetchone()[0]

    def floors(run_date: dt.date) -> tuple[float, int, dict]:
        """One floor with the server's JIT setting and one with JIT off; the faster is the baseline."""
        times = {}
        for jit in [server_jit, "off"] if postgres else [None]:
            times[jit or "-"], count = floor(run_date, jit)
        if postgres:
            floor(run_date, server_jit)  # back to the server's setting for what follows
        return min(times.values()), count, times

    def dry(run_date: dt.date):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            report = run_reminders(run_date=run_date, dry_run=True)
            elapsed = time.perf_counter() - start
        return elapsed, report, queries.captured_queries

    def real(run_date: dt.date):
        marks = {}
        sent = [0]

        def progress(*, stage=None, done=None, total=None, **_kw):
            if stage == "send" and "claimed" not in marks:
                marks["claimed"] = time.perf_counter()
                marks["claim_queries"] = len(queries.captured_queries)
            sent[0] += len(mail.outbox)  # count and drop: 10⁴ digests would not fit in memory
            mail.outbox.clear()

        mail.outbox = []
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            report = run_reminders(run_date=run_date, inline=not args.no_send, progress=progress)
            elapsed = time.perf_counter() - start
        sent[0] += len(mail.outbox)
        mail.outbox.clear()
        captured = queries.captured_queries
        split = marks.get("claim_queries", len(captured))
        claim_phase, send_phase = captured[:split], captured[split:]
        claim_time = marks.get("claimed", start + elapsed) - start
        return elapsed, claim_time, report, claim_phase, send_phase, sent[0]

    def writes(queries) -> str:
        counts = {}
        for q in queries:
            verb = q["sql"].lstrip().split(None, 1)[0].upper()
            if verb in WRITES:
                counts[verb] = counts.get(verb, 0) + 1
        return ", ".join(f"{v} {n:,}" for v, n in sorted(counts.items())) or "none"

    def sql_time(queries, verbs=None) -> float:
        return sum(
            float(q["time"]) for q in queries if verbs is None or q["sql"].lstrip().split(None, 1)[0].upper() in verbs
        )

    results = {}
    atomic = transaction.atomic()
    atomic.__enter__()
    try:
        for label, run_date in (("day 1", day1), ("day 2", day2)):
            existing = ReminderLog.objects.count()
            print(f"\n== {label} ({run_date}): reminder log holds {existing:,} rows")
            floor_times, dry_times, floor_detail = [], [], []
            for _ in range(args.repeat):  # alternate: both see the same machine load
                f, candidates, detail = floors(run_date)
                floor_times.append(f)
                floor_detail.append(detail)
                t, dry_report, dry_queries = dry(run_date)
                dry_times.append(t)
            f_before, _n, detail_before = floors(run_date)
            elapsed, claim_time, report, claim_q, send_q, emails = real(run_date)
            f_after, _n, detail_after = floors(run_date)
            floor_times += [f_before, f_after]
            floor_detail += [detail_before, detail_after]
            best_floor = min(floor_times)
            items = sum(len(d.items) for d in dry_report.digests)
            dry_ratio = statistics.median(d / f for d, f in zip(dry_times, floor_times, strict=False))
            real_floor = min(f_before, f_after)
            print(
                f"floor (1 raw SQL):        best {best_floor:8.3f} s  {candidates:>9,} due milestones, 1 query  "
                f"(JIT {server_jit}: best {min(d.get(server_jit, 1e9) for d in floor_detail):.3f} s, "
                f"JIT off: best {min(d.get('off', 1e9) for d in floor_detail):.3f} s)"
            )
            print(
                f"dry run (plan):           best {min(dry_times):8.3f} s  {items:>9,} reminders in "
                f"{len(dry_report.digests):,} digests, {len(dry_queries)} queries ({sql_time(dry_queries):.3f} s in "
                "the database); "
                f"ratio best/best {min(dry_times) / best_floor:.2f}x, median of pairs {dry_ratio:.2f}x"
            )
            print(
                f"real run, plan + claim:        {claim_time:8.3f} s  {report.claimed:>9,} claims "
                f"({report.taken_over:,} taken over), {len(claim_q)} queries ({sql_time(claim_q):.3f} s in the "
                f"database, of which writes {sql_time(claim_q, WRITES):.3f} s), writes: {writes(claim_q)}; "
                f"ratio {claim_time / real_floor:.2f}x"
            )
            if not args.no_send:
                print(
                    f"real run, render + send:       {elapsed - claim_time:8.3f} s  {len(report.digests):,} digests, "
                    f"{emails:,} e-mails, {len(send_q):,} queries, writes: {writes(send_q)}"
                    + (
                        f"; {1000 * (elapsed - claim_time) / max(1, len(report.digests)):.1f} ms per digest"
                        if report.digests
                        else ""
                    )
                )
            print(
                f"real run, total:               {elapsed:8.3f} s  ratio {elapsed / real_floor:.2f}x its floor "
                f"({real_floor:.3f} s, measured just before and after); {len(claim_q) + len(send_q):,} queries"
            )
            results[label] = {
                "dry": min(dry_times) / best_floor,
                "claim": claim_time / real_floor,
                "real": elapsed / real_floor,
            }
            if label == "day 1" and postgres:
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE milestones_reminderlog")  # what autovacuum does after a big insert
    finally:
        atomic.__exit__(None, None, None) if args.commit else _rollback(atomic)

    print("\n== targets (issue 14)")
    for label in ("day 1", "day 2"):
        r = results.get(label)
        if not r:
            continue
        what = "real run (plan + claim)" if args.no_send else "real run (plan + claim + render + send)"
        print(f"{label}: {what} {r['real']:.2f}x <= 5x: {'OK' if r['real'] <= 5 else 'MISSED'}")
        if not args.no_send:
            print(f"{label}: plan + claim alone {r['claim']:.2f}x <= 5x: {'OK' if r['claim'] <= 5 else 'MISSED'}")
    if "day 2" in results:
        r = results["day 2"]["dry"]
        print(f"day 2: dry run {r:.2f}x <= 2x: {'OK' if r <= 2 else 'MISSED'}")


def _rollback(atomic) -> None:
    from django.db import transaction

    transaction.set_rollback(True)
    atomic.__exit__(None, None, None)
    print("(rolled back: the database is as it was)")


if __name__ == "__main__":
    main()
