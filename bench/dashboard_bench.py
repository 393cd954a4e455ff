"""Dashboard benchmark: the hard case (cache off) first, ratios against /healthz measured in the same run.

1. city scale (devdata.scale.generate("city"): 500 measures, 3,000 milestones, 30,000 progress updates,
   1,000 KPIs) on a throw-away test database, through Django's test client (every middleware):
   /dashboard/, the 工程表 and each drill-down (items, milestones, KPIs), cold (DASHBOARD_CACHE_SECONDS=0:
   computed and rendered on every request) and warm (the rendered body cached), with query counts and
   response sizes;
2. one municipality at national scale (the database `dxportal_scale`, its session READ ONLY; a council user
   that exists only in memory, no session row), the same pages through the views (RequestFactory) against
   /healthz called the same way;
3. the national comparison for a national viewer vs one raw SQL GROUP BY over all milestones.

Targets (printed OK / MISSED): cold /dashboard/ ≤ 10× /healthz, every drill-down cold ≤ 10×, the national
comparison ≤ 1× the raw GROUP BY. Cold numbers are the headline; warm ones are printed beside them.

    .venv/bin/python bench/dashboard_bench.py \
        [--city-db postgres://postgres@127.0.0.1:5432/dx_dash] \
        [--national-db postgres://postgres@127.0.0.1:5432/dxportal_scale] [--muni CODE] [--runs 15]
        [--skip-national]

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
PAGES = ("dashboard", "timeline", "items", "milestones", "kpis")
DRILL_DOWNS = ("items", "milestones", "kpis")
TARGET_COLD = 10.0  # × /healthz, cold
TARGET_COMPARE = 1.0  # × the raw GROUP BY


def _django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dxportal.settings")
    os.environ.setdefault("DEBUG", "1")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _median_ms(fn, runs: int) -> float:
    fn()  # warm up (and fill the cache when it is on)
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


def _urls(plan_code: str) -> dict[str, str]:
    return {
        "healthz": "/healthz",
        "dashboard": f"/dashboard/?plan={plan_code}",
        "timeline": f"/dashboard/timeline/?plan={plan_code}",
        "items": f"/dashboard/items/?plan={plan_code}",
        "milestones": f"/dashboard/milestones/?plan={plan_code}",
        "kpis": f"/dashboard/kpis/?plan={plan_code}",
    }


def _measure_pages(get, urls: dict[str, str], runs: int) -> dict:
    """Cold and warm medians, queries and sizes of each page; /healthz before and after (its median used)."""
    from django.conf import settings
    from django.core.cache import caches

    out: dict = {}
    health = [_median_ms(lambda: get(urls["healthz"]), runs * 2)]
    out["healthz_queries"] = _count_queries(lambda: get(urls["healthz"]))
    for name in PAGES:
        url = urls[name]
        settings.DASHBOARD_CACHE_SECONDS = 0  # cold: computed and rendered on every request
        out[f"{name}_cold_ms"] = round(_median_ms(lambda u=url: get(u), runs), 2)
        out[f"{name}_cold_queries"] = _count_queries(lambda u=url: get(u))
        out[f"{name}_bytes"] = len(get(url).content)
        settings.DASHBOARD_CACHE_SECONDS = 60  # warm: the body cached (as served between writes)
        caches[settings.DASHBOARD_CACHE].clear()
        out[f"{name}_warm_ms"] = round(_median_ms(lambda u=url: get(u), runs), 2)
        out[f"{name}_warm_queries"] = _count_queries(lambda u=url: get(u))
    health.append(_median_ms(lambda: get(urls["healthz"]), runs * 2))
    out["healthz_ms"] = round(statistics.mean(health), 3)
    out["healthz_ms_before_after"] = [round(h, 3) for h in health]
    return out


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
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("ANALYZE")
        plan = Plan.objects.get(code=SCALE_PLAN_CODE)
        client = Client()
        client.force_login(make_user("bench-council", "council", plan.municipality))
        urls = _urls(plan.code)
        for url in urls.values():
            assert client.get(url).status_code == 200, url
        result = {"vendor": connection.vendor, "generated": counts, "generate_s": round(gen_s, 1)}
        result.update(_measure_pages(client.get, urls, runs))
        return result
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def _memory_user(*, role: str, municipality_id: int, compare_scope: str = ""):
    """A user that exists only in memory (no user row, no session row is written)."""
    from django.contrib.auth.models import AnonymousUser, User

    from plans.permissions import _CACHE_ATTR, Access

    user = User(username=f"bench-{role}", is_superuser=False)
    access = Access(AnonymousUser())
    access.role, access.compare_scope, access.municipality_id = role, compare_scope, municipality_id
    setattr(user, _CACHE_ATTR, access)
    return user


def _read_only(connection) -> None:
    with connection.cursor() as cursor:  # never write into the shared national dataset
        cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")


def phase_national_muni(database_url: str, runs: int, muni: str | None) -> dict:
    _django(database_url)
    from django.conf import settings
    from django.db import connection

    from plans.models import Plan

    if connection.vendor != "postgresql":
        raise SystemExit("the national phase needs PostgreSQL")
    settings.ALLOWED_HOSTS = ["*"]
    _read_only(connection)
    plans = Plan.objects.filter(status=Plan.Status.APPROVED).select_related("municipality")
    if muni:
        plan = plans.filter(municipality__code=muni).order_by("-start_fy").first()
    else:  # the hardest municipality: the approved plan with the most milestones
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT plan_id FROM milestones_milestone GROUP BY plan_id ORDER BY count(*) DESC, plan_id LIMIT 1"
            )
            plan = plans.filter(pk=cursor.fetchone()[0]).first()
    if plan is None:
        raise SystemExit("no approved plan for that municipality")
    user = _memory_user(role="council", municipality_id=plan.municipality_id)
    # Every middleware, as in the city phase, with the in-memory user and sessions in a signed cookie: nothing
    # is written (the session is READ ONLY anyway).
    from django.contrib import auth
    from django.test import Client

    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    auth.get_user = lambda request: user
    client = Client()

    def get(path: str):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response

    result = {
        "municipality": f"{plan.municipality.code} {plan.municipality.name}",
        "measures": plan.measures.count(),
        "milestones": plan.milestones.count(),
        "indicators": plan.indicators.count(),
    }
    result.update(_measure_pages(get, _urls(plan.code), runs))
    return result


def phase_national(database_url: str, runs: int) -> dict:
    _django(database_url)
    from django.db import connection
    from django.test import RequestFactory

    from dashboard import views
    from plans.models import Municipality

    if connection.vendor != "postgresql":
        raise SystemExit("the national phase needs PostgreSQL")
    _read_only(connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM milestones_milestone")
        milestones = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM measures_measurerollup")
        rollup_rows = cursor.fetchone()[0]
    first = Municipality.objects.order_by("code").values_list("id", flat=True)[0]
    user = _memory_user(role="viewer", municipality_id=first, compare_scope="national")
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


def _uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "load " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def _ok(ratio: float, target: float) -> str:
    return "OK" if ratio <= target else "MISSED"


def _print_pages(r: dict) -> list[str]:
    """The table of one phase; returns the lines of the target verdicts."""
    h = r["healthz_ms"]
    before, after = r["healthz_ms_before_after"]
    print(
        f"  /healthz        median {h:7.2f} ms (before {before:.2f}, after {after:.2f})  queries {r['healthz_queries']}"
    )
    print(
        f"  {'page':<12} {'cold ms':>9} {'× healthz':>9} {'queries':>7}   {'warm ms':>8} {'×':>6} {'q':>3}   {'size':>8}"
    )
    verdicts = []
    for name in PAGES:
        cold, warm = r[f"{name}_cold_ms"], r[f"{name}_warm_ms"]
        print(
            f"  {name:<12} {cold:9.2f} {cold / h:8.1f}x {r[f'{name}_cold_queries']:>7}   {warm:8.2f} "
            f"{warm / h:5.1f}x {r[f'{name}_warm_queries']:>3}   {r[f'{name}_bytes'] / 1024:6.0f} KB"
        )
        if name == "dashboard" or name in DRILL_DOWNS:
            ratio = cold / h
            verdicts.append(
                f"cold {name} vs /healthz: {ratio:.1f}x (target <= {TARGET_COLD:g}x) {_ok(ratio, TARGET_COLD)}"
            )
    return verdicts


def _run_phase(phase: str, args) -> dict:
    cmd = [sys.executable, __file__, "--phase", phase, "--city-db", args.city_db, "--national-db", args.national_db]
    cmd += ["--runs", str(args.runs)] + (["--muni", args.muni] if args.muni else [])
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        print(out.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"{phase} phase failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--city-db", default=os.getenv("DATABASE_URL", "sqlite:///" + str(ROOT / "bench-city.sqlite3")))
    parser.add_argument("--national-db", default="postgres://postgres@127.0.0.1:5432/dxportal_scale")
    parser.add_argument("--muni", help="municipality code for the national-scale pages (default: the largest plan)")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--skip-national", action="store_true")
    parser.add_argument("--phase", choices=["city", "national-muni", "national"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "city":
        print(json.dumps(phase_city(args.city_db, args.runs)))
        return
    if args.phase == "national-muni":
        print(json.dumps(phase_national_muni(args.national_db, args.runs, args.muni)))
        return
    if args.phase == "national":
        print(json.dumps(phase_national(args.national_db, max(5, args.runs // 3))))
        return

    print(f"load at start: {_uptime()}")
    verdicts: list[str] = []
    c = _run_phase("city", args)
    g = c["generated"]
    print(
        f"city scale ({c['vendor']}; {g['measures']} measures, {g['milestones']} milestones, "
        f"{g['progress_updates']} progress updates, {g['indicators']} KPIs; test client, every middleware)"
    )
    verdicts += [f"city: {v}" for v in _print_pages(c)]
    if not args.skip_national:
        m = _run_phase("national-muni", args)
        print(
            f"one municipality at national scale ({m['municipality']}: {m['measures']} measures, "
            f"{m['milestones']} milestones, {m['indicators']} KPIs; test client, in-memory council user, READ ONLY)"
        )
        verdicts += [f"national municipality: {v}" for v in _print_pages(m)]
        n = _run_phase("national", args)
        print(f"national comparison (PostgreSQL; {n['milestones']} milestones, roll-up {n['rollup_rows']} rows)")
        print(f"  raw GROUP BY over all milestones  median {n['raw_group_by_ms']:8.1f} ms")
        print(
            f"  comparison, national ({n['rows_national']} rows) median {n['compare_national_ms']:8.1f} ms  "
            f"queries {n['compare_national_queries']}"
        )
        print(f"  comparison, one prefecture (13)   median {n['compare_prefecture_ms']:8.1f} ms")
        ratio = n["compare_national_ms"] / n["raw_group_by_ms"]
        verdicts.append(
            f"national comparison vs raw GROUP BY: {ratio:.2f}x (target <= {TARGET_COMPARE:g}x) "
            f"{_ok(ratio, TARGET_COMPARE)}"
        )
    print("targets:")
    for v in verdicts:
        print(f"  => {v}")
    print(f"load at end: {_uptime()}")


if __name__ == "__main__":
    main()
