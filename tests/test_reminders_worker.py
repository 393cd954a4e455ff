"""Reminders on a real Redis broker and a real Celery worker (a `celery worker` subprocess).

The worker process shares the test database: on PostgreSQL the test database itself (the test is
transactional, so the data is committed); on SQLite a file copy of the in-memory test database.
Mail goes to .eml files (tests.mail_backends.DirectoryBackend) so two processes can count it.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from contextlib import contextmanager
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.db import connection

from measures.models import WorkStatus

from .factories import MeasureFactory, MilestoneFactory
from .services import redis_url

# Not serialized_rollback: after another transactional test's flush (e.g. test_api_fuzz), restoring the serialized
# role groups collides with the ones post_migrate recreated, and the test errors in set-up before it can skip for a
# missing Redis. The `cast` fixture reloads the national framework that a flush removes.
pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

FRIDAY = dt.date(2026, 11, 20)


@pytest.fixture
def broker() -> str:
    url = redis_url()
    redis.Redis.from_url(url).flushdb()  # our own test db number: stale messages from an earlier run go
    return url


@pytest.fixture
def two_departments(cast):
    """情報政策課 with two milestones due, 市民課 with one; both have an address."""
    cast.milestone.due_date = dt.date(2026, 11, 25)
    cast.milestone.save()
    MilestoneFactory(measure=cast.measure, code="LATE", due_date=dt.date(2026, 11, 18), status=WorkStatus.DELAYED)
    shimin_measure = MeasureFactory(plan=cast.plan, owner_department=cast.shimin, code="S01")
    MilestoneFactory(measure=shimin_measure, code="S01-1", due_date=dt.date(2026, 11, 24))
    return cast


class WorkerDatabase:
    """The database URL a worker process should use, and a way to read what it wrote."""

    def __init__(self, tmp_path: Path):
        self.sqlite_file: Path | None = None
        db = connection.settings_dict
        if connection.vendor == "postgresql":
            auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
            self.url = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        else:
            self.sqlite_file = tmp_path / "worker.sqlite3"
            connection.ensure_connection()
            target = sqlite3.connect(self.sqlite_file)
            connection.connection.backup(target)
            target.close()
            self.url = f"sqlite:///{self.sqlite_file}"

    def rows(self, sql: str) -> list[tuple]:
        if self.sqlite_file:
            with sqlite3.connect(self.sqlite_file, timeout=20) as conn:
                return conn.execute(sql).fetchall()
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()

    def log(self) -> list[tuple]:
        return self.rows("SELECT milestone_id, stage, state, attempts, error FROM milestones_reminderlog")


@contextmanager
def celery_worker(*, broker: str, database: WorkerDatabase, mail_dir: Path, log_file: Path, **env_extra: str):
    env = {
        **os.environ,
        "REDIS_URL": broker,
        "DATABASE_URL": database.url,
        "DEBUG": "True",
        "EMAIL_BACKEND": "tests.mail_backends.DirectoryBackend",
        "REMINDER_TEST_MAIL_DIR": str(mail_dir),
        "REMINDER_CLAIM_LEASE_SECONDS": "3",
        "REMINDER_RETRY_BACKOFF_MAX": "1",
        "CELERY_VISIBILITY_TIMEOUT": "5",
        "DJANGO_SETTINGS_MODULE": "dxportal.settings",
        **env_extra,
    }
    with open(log_file, "ab") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "dxportal",
                "worker",
                "--pool",
                "threads",
                "--concurrency",
                "2",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "INFO",
                "--hostname",
                f"reminder-test-{time.monotonic_ns()}@%h",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def enqueue_daily_run(broker: str, run_date: dt.date, times: int = 1) -> None:
    producer = Celery(broker=broker)
    with producer.connection_for_write() as conn:
        for _ in range(times):
            producer.send_task(
                "milestones.tasks.send_daily_reminders", kwargs={"run_date": run_date.isoformat()}, connection=conn
            )


def wait_until(predicate, *, timeout: float, what: str, log_file: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}; worker log:\n{log_file.read_text()[-4000:]}")


def digests_by_department(mail_dir: Path) -> Counter:
    subjects = Counter()
    for path in mail_dir.glob("*.eml"):
        subject = str(make_header(decode_header(message_from_bytes(path.read_bytes())["Subject"])))
        subjects[subject.rsplit("（", 1)[-1].rstrip("）")] += 1
    return subjects


def test_two_concurrent_daily_runs_and_a_failed_send_still_give_each_department_exactly_one_digest(
    two_departments, broker, tmp_path
):
    database = WorkerDatabase(tmp_path)
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    log_file = tmp_path / "worker.log"
    with celery_worker(
        broker=broker, database=database, mail_dir=mail_dir, log_file=log_file, REMINDER_TEST_FAIL_FIRST="1"
    ):
        enqueue_daily_run(broker, FRIDAY, times=2)
        wait_until(
            lambda: len(database.log()) == 3 and {r[2] for r in database.log()} == {"sent"},
            timeout=40,
            what="all reminders sent",
            log_file=log_file,
        )
        time.sleep(2)  # a duplicate, if there were one, would arrive now
    assert digests_by_department(mail_dir) == Counter({"情報政策課": 1, "市民課": 1})
    log = database.log()
    assert Counter((ms, stage) for ms, stage, *_rest in log) == Counter(
        {
            (two_departments.milestone.pk, "before_7"): 1,
            (two_departments.measure.milestones.get(code="LATE").pk, "overdue_1"): 1,
            (MilestoneFactory._meta.model.objects.get(code="S01-1").pk, "before_1"): 1,
        }
    )
    retried = [row for row in log if row[3] == 2]
    assert retried and all("SMTPServerDisconnected" in row[4] for row in retried)  # the forced failure, retried
    assert len(list(mail_dir.glob("attempt-*"))) == 3  # one failed attempt + two digests


def test_a_worker_killed_while_sending_loses_nothing_and_duplicates_nothing(two_departments, broker, tmp_path):
    database = WorkerDatabase(tmp_path)
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    log_file = tmp_path / "worker.log"
    with celery_worker(
        broker=broker, database=database, mail_dir=mail_dir, log_file=log_file, REMINDER_TEST_SEND_DELAY="60"
    ) as doomed:
        enqueue_daily_run(broker, FRIDAY)
        wait_until(
            lambda: len(list(mail_dir.glob("sending-*"))) == 2,
            timeout=30,
            what="both digests being sent",
            log_file=log_file,
        )
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait()
    assert list(mail_dir.glob("*.eml")) == []
    assert {row[2] for row in database.log()} == {"claimed"}  # taken, never finished

    time.sleep(3.5)  # the claims' lease (3 s) runs out
    with celery_worker(broker=broker, database=database, mail_dir=mail_dir, log_file=log_file):
        enqueue_daily_run(broker, FRIDAY)  # the next run (or the redelivered task) takes the stale claims over
        wait_until(
            lambda: {r[2] for r in database.log()} == {"sent"},
            timeout=40,
            what="reminders sent after restart",
            log_file=log_file,
        )
        time.sleep(6)  # the killed worker's unacknowledged messages come back (visibility timeout 5 s)
    assert digests_by_department(mail_dir) == Counter({"情報政策課": 1, "市民課": 1})
    assert len(database.log()) == 3
