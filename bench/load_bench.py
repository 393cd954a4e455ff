"""Mixed-load test, bounded and loopback only: gunicorn against PostgreSQL at national scale, council members
reading dashboards in their municipalities while staff post progress updates.

    .venv/bin/python bench/load_bench.py [--db postgres://postgres@127.0.0.1:5432/dx_load_nat] \\
        [--redis redis://127.0.0.1:6379/5] [--workers 3] [--duration 60] [--council 18] [--staff 2] \\
        [--updates-per-second 1.3]

What it does, in order (everything it starts is stopped in a `finally`):

1. refuses the shared read-only dataset (`dxportal_scale`) and any non-loopback database or Redis: it writes
   users, memberships, sessions and progress updates, so point it at a writable copy
   (`CREATE DATABASE dx_load_nat TEMPLATE dxportal_scale`, then `manage.py migrate` on it);
2. runs ANALYZE if the database has no planner statistics (a fresh TEMPLATE copy of generated data has none,
   and its plans are then 10× slower than a production database's); creates, idempotently, council users `load-council-NN` in --council municipalities and staff users
   `load-staff-NN` (all departments of their municipality) in --staff of those same municipalities, with the
   role Groups and Memberships the portal uses (tests/factories.make_user does the same);
3. runs `collectstatic` (DEBUG is off: whitenoise's manifest), flushes the Redis database (the dashboard cache
   is shared by the workers through it: use a database of its own), and starts
   `gunicorn dxportal.wsgi` with --workers sync workers on 127.0.0.1:<free port>, DEBUG=False;
4. logs every user in through /accounts/login/ (GET for the CSRF cookie, POST the form): real sessions;
5. for --duration seconds: one thread per council member GETs /dashboard/, the 工程表 (/dashboard/timeline/) and
   the drill-downs (items, milestones, KPIs, with and without filters; 3 national items each) back to back;
   each staff user POSTs progress updates to /measures/<pk>/progress/ on a fixed schedule (--updates-per-second
   in total, up to 3 in flight per user through 3 sessions) and follows each redirect to the measure's page,
   as a browser does;
6. prints requests/s, p50/p95/p99 latency (all and per kind), errors (a GET answered other than 200, a POST
   answered other than 302, any exception) by kind, dashboard renders (distinct new `dash:body:*` keys seen in
   Redis, sampled every second), and the gunicorn workers' own CPU time (utime+stime from /proc/<pid>/stat of
   the master's children, before and after the run) per request — target ≤ 15 ms with 0 errors — with the
   machine's `uptime` load at the start and the end.

Requests: a timeout of 30 s each; the whole run ends after --duration plus at most that timeout.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
PASSWORD = "load-bench-passw0rd-2026"
READ_ONLY_DATASET = "dxportal_scale"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
TIMEOUT = (5, 30)
CPU_TARGET_MS = 15.0
STAFF_SESSIONS = 3  # concurrent sessions per staff user: at most this many of their updates in flight
ITEMS_PER_MEMBER = 3  # national items a council member filters by (so their repeated views can hit the cache)


def _uptime() -> str:
    env = {**os.environ, "TZ": "UTC"}  # django.setup() sets TZ to the portal's zone
    return subprocess.run(["uptime"], capture_output=True, text=True, timeout=10, env=env).stdout.strip() + " (UTC)"


def _check_targets(db_url: str, redis_url: str) -> None:
    db = urllib.parse.urlparse(db_url)
    if db.scheme not in ("postgres", "postgresql", "pgsql"):
        raise SystemExit("the load test runs against PostgreSQL (a writable national-scale copy)")
    if db.path.lstrip("/") == READ_ONLY_DATASET:
        raise SystemExit(f"refusing to write into {READ_ONLY_DATASET}: use a copy (CREATE DATABASE … TEMPLATE …)")
    if (db.hostname or "localhost") not in LOOPBACK or (
        urllib.parse.urlparse(redis_url).hostname or ""
    ) not in LOOPBACK:
        raise SystemExit("database and Redis must be on this machine (loopback only)")


# --- 1. users ------------------------------------------------------------------------------------------


@dataclass
class Client:
    username: str
    role: str
    municipality: str
    measure_ids: list[int] = field(default_factory=list)
    item_numbers: list[int] = field(default_factory=list)


def ensure_users(db_url: str, n_council: int, n_staff: int) -> list[Client]:
    """Council and staff users with memberships, created or brought back to the state the test needs."""
    os.environ["DATABASE_URL"] = db_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dxportal.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.db import connection, transaction

    from measures.models import Measure
    from plans.models import Department, Membership, NationalItem, Plan

    with connection.cursor() as cursor:  # a fresh copy (CREATE DATABASE … TEMPLATE) may have no statistics
        cursor.execute("SELECT count(*) FROM pg_stats WHERE tablename = 'milestones_milestone'")
        if cursor.fetchone()[0] == 0:
            print("no planner statistics in this database: running ANALYZE first (production has autovacuum's)")
            cursor.execute("ANALYZE")
    plans = list(
        Plan.objects.filter(status=Plan.Status.APPROVED, measures__isnull=False)
        .distinct()
        .order_by("municipality__code", "-start_fy", "-id")
        .select_related("municipality", "edition")
    )
    newest = {}
    for plan in plans:  # the plan each municipality's dashboard shows
        newest.setdefault(plan.municipality_id, plan)
    candidates = list(newest.values())
    if len(candidates) < n_council:
        raise SystemExit(f"only {len(candidates)} municipalities have an approved plan with measures")
    step = len(candidates) // n_council
    chosen = [candidates[i * step] for i in range(n_council)]  # spread over the country, the same every run
    groups = {name: Group.objects.get(name=name) for name in ("council", "staff")}
    clients = []
    with transaction.atomic():
        for role, count in (("council", n_council), ("staff", n_staff)):
            for n in range(count):
                plan = chosen[n]
                username = f"load-{role}-{n:02d}"
                user = User.objects.filter(username=username).first()
                if user is None:
                    user = User.objects.create_user(username, password=PASSWORD)
                elif not user.is_active or not user.check_password(PASSWORD):
                    user.is_active = True
                    user.set_password(PASSWORD)
                    user.save()
                user.groups.set([groups[role]])
                membership, _created = Membership.objects.update_or_create(
                    user=user,
                    defaults={"municipality": plan.municipality, "display_name": username, "compare_scope": ""},
                )
                client = Client(username, role, plan.municipality.code)
                if role == "staff":
                    membership.departments.set(Department.objects.filter(municipality=plan.municipality))
                    client.measure_ids = list(
                        Measure.objects.filter(plan=plan).order_by("id").values_list("id", flat=True)[:500]
                    )
                else:
                    membership.departments.clear()
                    numbers = list(NationalItem.objects.filter(edition=plan.edition).values_list("number", flat=True))
                    client.item_numbers = random.Random(n).sample(numbers, min(ITEMS_PER_MEMBER, len(numbers)))
                clients.append(client)
    from django.db import connections

    connections.close_all()
    return clients


# --- 2. the server -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(db_url: str, redis_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)}
    env.update(
        DATABASE_URL=db_url,
        REDIS_URL=redis_url,
        DEBUG="False",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="False",  # plain http on loopback (docs/operations.md)
        SECURE_COOKIES="False",
        SECURE_HSTS_SECONDS="0",
        DJANGO_SETTINGS_MODULE="dxportal.settings",
    )
    return env


def start_gunicorn(env: dict, workers: int, port: int, log: Path) -> subprocess.Popen:
    """gunicorn in a process group of its own (stopped as a group); its output goes to `log`."""
    gunicorn = Path(PYTHON).with_name("gunicorn")
    cmd = [str(gunicorn), "dxportal.wsgi:application", "--workers", str(workers), "--worker-class", "sync"]
    cmd += ["--bind", f"127.0.0.1:{port}", "--timeout", "60", "--error-logfile", str(log)]
    with log.open("ab") as out:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True, stdout=out, stderr=out)


def stop_gunicorn(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)  # the group this script started: the master and its workers
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


def worker_pids(master: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == master:
            pids.append(int(entry))
    return sorted(pids)


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all cores since boot, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def cpu_ms(pid: int) -> float:
    """utime + stime of one process, in milliseconds (its own CPU, children not included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


# --- 3. clients --------------------------------------------------------------------------------------


@dataclass
class Result:
    kind: str
    ms: float
    error: str = ""


class Recorder:
    def __init__(self):
        self.results: list[Result] = []
        self.lock = threading.Lock()

    def add(self, result: Result) -> None:
        with self.lock:
            self.results.append(result)


def _request(session, recorder: Recorder, kind: str, method: str, url: str, expect: int, **kwargs):
    started = time.perf_counter()
    try:
        response = session.request(method, url, timeout=TIMEOUT, allow_redirects=False, **kwargs)
    except Exception as exc:  # every failure counts, by its kind
        recorder.add(Result(kind, (time.perf_counter() - started) * 1000, type(exc).__name__))
        return None
    ms = (time.perf_counter() - started) * 1000
    error = "" if response.status_code == expect else f"HTTP {response.status_code} on {method} {kind}"
    recorder.add(Result(kind, ms, error))
    return response


def login(base: str, username: str):
    import requests

    session = requests.Session()
    r = session.get(f"{base}/accounts/login/", timeout=TIMEOUT)
    r.raise_for_status()
    r = session.post(
        f"{base}/accounts/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=TIMEOUT,
        allow_redirects=False,
    )
    if r.status_code != 302 or "sessionid" not in session.cookies:
        raise SystemExit(f"login of {username} failed: HTTP {r.status_code}")
    return session


def council_paths(client: Client, rng: random.Random) -> tuple[str, str]:
    item = rng.choice(client.item_numbers) if client.item_numbers else 1
    choices = [
        (30, "/dashboard/", "dashboard"),
        (12, "/dashboard/timeline/", "timeline"),
        (5, f"/dashboard/?item={item}", "dashboard"),
        (12, "/dashboard/items/", "items"),
        (6, f"/dashboard/items/?item={item}", "items"),
        (5, "/dashboard/items/?health=late", "items"),
        (10, "/dashboard/milestones/", "milestones"),
        (6, "/dashboard/milestones/?state=overdue", "milestones"),
        (10, "/dashboard/kpis/", "kpis"),
        (4, "/dashboard/milestones/?state=due_soon", "milestones"),
    ]
    total = sum(w for w, _p, _k in choices)
    pick = rng.uniform(0, total)
    for weight, path, kind in choices:
        pick -= weight
        if pick <= 0:
            return path, kind
    return choices[0][1], choices[0][2]


def council_loop(base: str, session, client: Client, recorder: Recorder, deadline: float, seed: int) -> None:
    rng = random.Random(seed)
    while time.monotonic() < deadline:
        path, kind = council_paths(client, rng)
        _request(session, recorder, kind, "GET", base + path, 200)


class Schedule:
    """The fixed times of one staff user's updates (open loop: a slow answer does not lower the rate while
    another of the user's sessions is free)."""

    def __init__(self, start: float, interval: float, deadline: float):
        self.next_at, self.interval, self.deadline, self.lock = start, interval, deadline, threading.Lock()

    def take(self) -> float | None:
        with self.lock:
            at, self.next_at = self.next_at, self.next_at + self.interval
        return at if at < self.deadline else None


def staff_loop(base: str, session, client: Client, recorder: Recorder, schedule: Schedule, seed: int) -> None:
    rng = random.Random(seed)
    while True:
        at = schedule.take()
        if at is None:
            return
        wait = at - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        measure_id = rng.choice(client.measure_ids)
        response = _request(
            session,
            recorder,
            "progress POST",
            "POST",
            f"{base}/measures/{measure_id}/progress/",
            302,
            data={
                "csrfmiddlewaretoken": session.cookies.get("csrftoken", ""),
                "status": rng.choice(["in_progress", "delayed", "not_started"]),
                "percent_done": str(rng.randint(0, 99)),
                "comment": "負荷試験による進捗報告",
            },
            headers={"Referer": f"{base}/measures/{measure_id}/progress/"},
        )
        if response is not None and response.status_code == 302:
            location = urllib.parse.urljoin(base + "/", response.headers.get("Location", ""))
            _request(session, recorder, "measure page", "GET", location, 200)


class RenderCounter(threading.Thread):
    """Distinct dashboard body keys seen in Redis (sampled every second): each one is a render."""

    def __init__(self, redis_url: str, pattern: str, stop: threading.Event):
        super().__init__(daemon=True)
        import redis

        self.redis = redis.Redis.from_url(redis_url, socket_timeout=5)
        self.pattern, self.stop_event, self.seen = pattern, stop, set()
        self.error = ""

    def sample(self) -> None:
        try:
            self.seen.update(self.redis.scan_iter(match=self.pattern, count=1000))
        except Exception as exc:  # reported, never fatal
            self.error = f"{type(exc).__name__}: {exc}"

    def run(self) -> None:
        while not self.stop_event.wait(1.0):
            self.sample()


# --- 4. the run --------------------------------------------------------------------------------------


def _pct(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="postgres://postgres@127.0.0.1:5432/dx_load_nat")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--council", type=int, default=18)
    parser.add_argument("--staff", type=int, default=2)
    parser.add_argument("--updates-per-second", type=float, default=1.3)
    parser.add_argument("--render-keys", default="*dash:body:*", help="Redis pattern of a rendered dashboard body")
    args = parser.parse_args()
    if not 0 < args.duration <= 600 or not 1 <= args.workers <= 16 or not 0 <= args.staff <= args.council:
        raise SystemExit("bounds: 0 < duration ≤ 600 s, 1 ≤ workers ≤ 16, staff ≤ council")
    _check_targets(args.db, args.redis)
    import redis

    print("uptime at start:", _uptime(), flush=True)
    clients = ensure_users(args.db, args.council, args.staff)
    env = server_env(args.db, args.redis)
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=600
    )
    redis.Redis.from_url(args.redis, socket_timeout=5).flushdb()  # a cold, shared dashboard cache
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = Path(f"/tmp/load_bench_gunicorn_{port}.log")
    proc = start_gunicorn(env, args.workers, port, log)
    stop = threading.Event()
    try:
        import requests

        up_by = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"gunicorn exited ({proc.returncode}); see {log}")
            try:
                if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > up_by:
                raise SystemExit(f"gunicorn did not answer /healthz within 90 s; see {log}")
            time.sleep(0.5)
        # One session per council member; STAFF_SESSIONS per staff user (browser tabs), so updates keep their rate.
        sessions = {
            c.username: [login(base, c.username) for _ in range(STAFF_SESSIONS if c.role == "staff" else 1)]
            for c in clients
        }  # logging in also warms every worker up
        workers = worker_pids(proc.pid)
        if len(workers) != args.workers:
            raise SystemExit(f"expected {args.workers} workers, found {workers}")
        cpu_before = {pid: cpu_ms(pid) for pid in workers}
        machine_before, client_before = machine_busy(), time.process_time()
        counter = RenderCounter(args.redis, args.render_keys, stop)
        counter.sample()
        keys_before = set(counter.seen)
        recorder = Recorder()
        counter.start()
        started = time.monotonic()
        deadline = started + args.duration
        staff = [c for c in clients if c.role == "staff"]
        interval = len(staff) / args.updates_per_second if staff and args.updates_per_second > 0 else None
        threads = []
        for n, client in enumerate(clients):
            if client.role == "council":
                jobs = [(council_loop, (base, sessions[client.username][0], client, recorder, deadline, 1000 + n))]
            elif interval is not None:
                schedule = Schedule(started + interval * n / len(clients), interval, deadline)
                jobs = [
                    (staff_loop, (base, session, client, recorder, schedule, 1000 + n * 10 + k))
                    for k, session in enumerate(sessions[client.username])
                ]
            else:
                continue
            threads += [threading.Thread(target=target, args=a, daemon=True) for target, a in jobs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=args.duration + TIMEOUT[0] + TIMEOUT[1] + 5)
        elapsed = time.monotonic() - started
        alive = [pid for pid in workers if Path(f"/proc/{pid}").exists()]
        cpu_after = {pid: cpu_ms(pid) for pid in alive}
        machine_after, client_cpu = machine_busy(), time.process_time() - client_before
        stop.set()
        counter.sample()
        renders = len(counter.seen - keys_before)
        now_workers = worker_pids(proc.pid)
    finally:
        stop.set()
        stop_gunicorn(proc)

    results = list(recorder.results)
    n = len(results)
    errors = collections.Counter(r.error for r in results if r.error)
    latencies = [r.ms for r in results]
    cpu_total = sum(cpu_after[pid] - cpu_before[pid] for pid in alive)
    per_request = cpu_total / n if n else float("inf")
    posts = sum(1 for r in results if r.kind == "progress POST" and not r.error)
    print(
        f"load test: {args.workers} sync gunicorn workers, {args.council} council members in {args.council} "
        f"municipalities, {args.staff} staff in {args.staff} of them, {elapsed:.1f} s, database "
        f"{urllib.parse.urlparse(args.db).path.lstrip('/')}, Redis {args.redis}"
    )
    print(f"  requests {n}  ({n / elapsed:.1f}/s)   progress updates posted {posts} ({posts / elapsed:.2f}/s)")
    print(
        f"  latency all      p50 {_pct(latencies, 50):7.1f} ms  p95 {_pct(latencies, 95):7.1f} ms  "
        f"p99 {_pct(latencies, 99):7.1f} ms"
    )
    by_kind = collections.defaultdict(list)
    for r in results:
        by_kind[r.kind].append(r.ms)
    for kind, values in sorted(by_kind.items()):
        print(
            f"  {kind:<16} n {len(values):5d}  p50 {_pct(values, 50):7.1f} ms  p95 {_pct(values, 95):7.1f} ms  "
            f"p99 {_pct(values, 99):7.1f} ms"
        )
    print(
        f"  errors {sum(errors.values())}"
        + (": " + ", ".join(f"{k} ×{v}" for k, v in errors.items()) if errors else "")
    )
    print(
        f"  dashboard renders (new '{args.render_keys}' keys in Redis) {renders}"
        + (f"   (Redis sampling error: {counter.error})" if counter.error else "")
    )
    if len(alive) != len(workers) or now_workers != workers:
        print(
            f"  WARNING: workers changed during the run ({workers} -> {now_workers}): CPU of the lost ones is missing"
        )
    print(
        f"  worker CPU {cpu_total:.0f} ms in total over {len(alive)} workers = {per_request:.1f} ms per request "
        f"(worker CPU {cpu_total / elapsed / 10:.0f}% of one core)"
    )
    busy = (machine_after[0] - machine_before[0]) / max(1, machine_after[1] - machine_before[1])
    print(
        f"  machine CPU busy {busy * 100:.0f}% of {os.cpu_count()} cores during the run (everything: workers, "
        f"PostgreSQL, this client at {client_cpu * 1000 / max(n, 1):.1f} ms per request, other users)"
    )
    ok = per_request <= CPU_TARGET_MS and not errors
    print(
        f"  => worker CPU per request {per_request:.1f} ms (target <= {CPU_TARGET_MS:.0f} ms) with "
        f"{sum(errors.values())} errors (target 0): {'OK' if ok else 'MISSED'}"
    )
    print("uptime at end:", _uptime())


if __name__ == "__main__":
    main()
