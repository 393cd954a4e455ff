"""Benchmark of the staff pages' selectors on the national-scale dataset (read-only).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dxportal_scale .venv/bin/python bench/staff_pages_bench.py

Prints, for the busiest department, the time of 「担当の取組」 (work_list) and of a measure's detail data and
timeline, as ratios against a baseline measured in the same run: fetching the ids of that department's
milestones (the least any such page must do). Nothing is written."""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dxportal.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from measures.models import Measure  # noqa: E402
from milestones.models import Milestone  # noqa: E402
from milestones.timeline import measure_timeline  # noqa: E402
from plans.permissions import _CACHE_ATTR, Access  # noqa: E402
from plans.roles import Role  # noqa: E402
from work import selectors  # noqa: E402

RUNS = 7


def timed(fn) -> float:
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def staff_of(department_id: int, municipality_id: int) -> User:
    """An unsaved staff user of the department (the scale data has no users; nothing is written)."""
    user = User(username="bench", id=0)
    access = Access.__new__(Access)
    access.user, access.is_superuser, access.role = user, False, Role.STAFF.value
    access.municipality_id, access.department_ids, access.compare_scope = (
        municipality_id,
        frozenset({department_id}),
        "",
    )
    setattr(user, _CACHE_ATTR, access)
    return user


def main() -> None:
    busiest = (
        Milestone.objects.values("owner_department_id", "plan__municipality_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    dept, city = busiest["owner_department_id"], busiest["plan__municipality_id"]
    user = staff_of(dept, city)
    today = timezone.localdate()
    measure_id = Measure.objects.filter(owner_department_id=dept).values_list("id", flat=True).first()

    def baseline():
        list(Milestone.objects.filter(owner_department_id=dept).values_list("id", flat=True))

    def work():
        selectors.work_list(user=user, today=today, filters=selectors.WorkFilters(milestone_status="all"))

    def detail():
        measure = selectors.measure_detail(pk=measure_id, today=today)
        selectors.measure_detail_data(measure=measure, user=user)
        measure_timeline(measure=measure)

    base = timed(baseline)
    connection.force_debug_cursor = True  # record connection.queries for the per-query summary
    print(
        f"dataset: {Measure.objects.count():,} measures, {Milestone.objects.count():,} milestones; "
        f"department {dept}: {busiest['n']} milestones"
    )
    print(f"baseline (ids of the department's milestones): {base * 1000:.2f} ms")
    for label, fn in (("work_list (all statuses)", work), ("measure detail + timeline", detail)):
        t = timed(fn)
        reset_queries()
        fn()
        slowest = max(connection.queries, key=lambda q: float(q["time"]))
        print(
            f"{label}: {t * 1000:.2f} ms  = {t / base:.1f}x baseline  ({len(connection.queries)} queries; "
            f"slowest {float(slowest['time']) * 1000:.0f} ms: {slowest['sql'][:90]}…)"
        )


if __name__ == "__main__":
    main()
