"""Dashboard benchmark, in one run, ratios against baselines measured in the same run:

1. city scale: median server time of /dashboard/ (and the timeline) vs /healthz, through Django's test
   client, on a throw-away test database filled with devdata.scale.generate("city")   — target ≤ 4×;
2. national scale: the comparison page for a national viewer vs one raw SQL GROUP BY over all milestones,
   on the same PostgreSQL database (read-only: the session is set READ ONLY)      — target ≤ 2×.

    .venv/bin/python bench/dashboard_bench.py \
        [--city-db postgres://postgres@127.0.0.1:5432/dxportal_issue5] \
        [--national-db postgres://postgres@127.0.0.1:5432/dxportal_scale] [--runs 30]

The national database needs the roll-up table (migration measures.0003_progress_rollup).
Each phase runs in a subprocess so each can use its own DATABASE_URL.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dxportal.settings")
    os.environ.setdefault("DEBUG", "1")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _median_ms(fn, runs: int) -> float:
    fn()  # warm up
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def _count_queries(fn) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def phase_city(database_url: str, runs: int) -> dict:
    _django(database_url)
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    settings.ALLOWED_HOSTS = ["*"]
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from devdata.scale import SCALE_PLAN_CODE, generate
        from plans.models import Plan
        from tests.factories import make_user

        t = time.perf_counter()
        counts = generate("city")
        gen_s = time.perf_counter() - t
        plan = Plan.objects.get(code=SCALE_PLAN_CODE)
        client = Client()
        client.force_login(make_user("bench-council", "council", plan.municipality))
        pages = {
            "healthz": "/healthz",
            "dashboard": f"/dashboard/?plan={plan.code}",
            "timeline": f"/dashboard/timeline/?plan={plan.code}",
            "dashboard_item3": f"/dashboard/?plan={plan.code}&item=3",
        }
        for url in pages.values():
            assert client.get(url).status_code == 200, url
        result = {"vendor": connection.vendor, "generated": counts, "generate_s": round(gen_s, 1)}
        for name, url in pages.items():  # warm: the rendered body cached (as served between writes)
            settings.DASHBOARD_CACHE_SECONDS = 60
            result[f"{name}_ms"] = round(_median_ms(lambda u=url: client.get(u), runs), 2)
            result[f"{name}_queries"] = _count_queries(lambda u=url: client.get(u))
            settings.DASHBOARD_CACHE_SECONDS = 0  # cold: computed and rendered on every request
            result[f"{name}_cold_ms"] = round(_median_ms(lambda u=url: client.get(u), max(5, runs // 3)), 2)
            result[f"{name}_cold_queries"] = _count_queries(lambda u=url: client.get(u))
        return result
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def phase_national(database_url: str, runs: int) -> dict:
    _django(database_url)
    from django.contrib.auth.models import AnonymousUser, User
    from django.db import connection
    from django.test import RequestFactory

    from dashboard import views
    from plans.permissions import _CACHE_ATTR, Access

    if connection.vendor != "postgresql":
        raise SystemExit("the national phase needs PostgreSQL")
    with connection.cursor() as cursor:  # never write into the shared national dataset
        cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        cursor.execute("SELECT count(*) FROM milestones_milestone")
        milestones = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM measures_measurerollup")
        rollup_rows = cursor.fetchone()[0]

    # A national viewer that exists only in memory (no user row, no session row is written).
    user = User(username="bench-national", is_superuser=False)
    access = Access(AnonymousUser())
    from plans.models import Municipality

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

    def raw_group_by():
        with connection.cursor() as cursor:
            cursor.execute("SELECT plan_id, status, count(*) FROM milestones_milestone GROUP BY plan_id, status")
            return cursor.fetchall()

    result = {"milestones": milestones, "rollup_rows": rollup_rows}
    result["raw_group_by_ms"] = round(_median_ms(raw_group_by, runs), 1)
    result["compare_national_ms"] = round(_median_ms(page("/dashboard/compare/"), runs), 1)
    result["compare_prefecture_ms"] = round(_median_ms(page("/dashboard/compare/?pref=13"), runs), 1)
    result["compare_national_queries"] = _count_queries(page("/dashboard/compare/"))
    result["rows_national"] = page("/dashboard/compare/")().content.count(b'<th scope="row">')
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--city-db", default=os.getenv("DATABASE_URL", "sqlite:///" + str(ROOT / "bench-city.sqlite3")))
    parser.add_argument("--national-db", default="postgres://postgres@127.0.0.1:5432/dxportal_scale")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--phase", choices=["city", "national"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "city":
        print(json.dumps(phase_city(args.city_db, args.runs)))
        return
    if args.phase == "national":
        print(json.dumps(phase_national(args.national_db, max(5, args.runs // 3))))
        return
    results = {}
    for phase in ("city", "national"):
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--phase",
                phase,
                "--city-db",
                args.city_db,
                "--national-db",
                args.national_db,
                "--runs",
                str(args.runs),
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        if out.returncode:
            print(out.stderr[-3000:], file=sys.stderr)
            raise SystemExit(f"{phase} phase failed")
        results[phase] = json.loads(out.stdout.strip().splitlines()[-1])
    c, n = results["city"], results["national"]
    print(
        f"city scale ({c['vendor']}; {c['generated']['measures']} measures, {c['generated']['milestones']} "
        f"milestones, {c['generated']['progress_updates']} progress updates, {c['generated']['indicators']} KPIs)"
    )
    print(f"  /healthz            median {c['healthz_ms']:8.2f} ms  queries {c['healthz_queries']}")
    for key in ("dashboard", "dashboard_item3", "timeline"):
        print(
            f"  {key:<19} median {c[key + '_ms']:8.2f} ms  queries {c[key + '_queries']:>2}  "
            f"ratio {c[key + '_ms'] / c['healthz_ms']:.2f}x   (cache off: {c[key + '_cold_ms']:.2f} ms, "
            f"{c[key + '_cold_queries']} queries, {c[key + '_cold_ms'] / c['healthz_ms']:.1f}x)"
        )
    ratio1 = c["dashboard_ms"] / c["healthz_ms"]
    print(f"  => /dashboard/ vs /healthz: {ratio1:.2f}x (target <= 4x) {'OK' if ratio1 <= 4 else 'MISSED'}")
    print(f"national scale (PostgreSQL; {n['milestones']} milestones, roll-up {n['rollup_rows']} rows)")
    print(f"  raw GROUP BY over all milestones  median {n['raw_group_by_ms']:8.1f} ms")
    print(
        f"  comparison, national (per prefecture, {n['rows_national']} rows) median {n['compare_national_ms']:8.1f} "
        f"ms  queries {n['compare_national_queries']}"
    )
    print(f"  comparison, one prefecture (13)   median {n['compare_prefecture_ms']:8.1f} ms")
    ratio2 = n["compare_national_ms"] / n["raw_group_by_ms"]
    print(f"  => national comparison vs raw GROUP BY: {ratio2:.2f}x (target <= 2x) {'OK' if ratio2 <= 2 else 'MISSED'}")


if __name__ == "__main__":
    main()
