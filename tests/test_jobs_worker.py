"""Imports through the admin on a real Redis broker and a real Celery worker (a `celery worker` subprocess).

PostgreSQL only: the web side (this test's client) and the worker must share one database, and the kill test needs
a table lock that holds the worker inside its write transaction while it still records its progress.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import psycopg2
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from jobs.models import Job
from measures.models import Measure
from plans.models import ImportRun

from .import_workbooks import database_fingerprint, realistic_sheets, xlsx
from .test_reminders_worker import WorkerDatabase, broker, celery_worker, wait_until  # noqa: F401

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]  # not serialized_rollback: see tests/browser/conftest.py


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("the worker tests share the database with the web side: run them on PostgreSQL")


@pytest.fixture
def queue_to(broker, settings):  # noqa: F811
    """The web side sends its jobs to the test broker instead of running them inline."""
    from dxportal.celery import app

    saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url")}
    settings.CELERY_TASK_ALWAYS_EAGER = False
    _reset_pools(app)
    app.conf.update(task_always_eager=False, broker_url=broker)
    yield broker
    _reset_pools(app)
    app.conf.update(saved)


def _reset_pools(app) -> None:
    """Connections made for the previous broker go; the next send opens new ones for the current one."""
    from kombu import pools

    pools.reset()  # closes and forgets every pool (a closed pool stays registered under its broker URL otherwise)
    app._pool = None
    app.amqp._producer_pool = None


def _poll(client, url: str, *, timeout: float, log_file: Path):
    """Reload the progress page (as its meta refresh does) until the job ends; the stages it showed on the way."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page = client.get(url)
        assert page.status_code == 200
        job = page.context["job"]
        seen.append(job.stage)
        if job.finished:
            return page, seen
        assert 'http-equiv="refresh"' in page.content.decode()
        time.sleep(0.3)
    pytest.fail(f"the job did not end; worker log:\n{log_file.read_text()[-4000:]}")


def _start(tmp_path: Path, broker_url: str, **env):
    log_file = tmp_path / "worker.log"
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir(exist_ok=True)
    return log_file, celery_worker(
        broker=broker_url,
        database=WorkerDatabase(tmp_path),
        mail_dir=mail_dir,
        log_file=log_file,
        JOBS_HEARTBEAT_SECONDS="1",
        **env,
    )


def test_an_admin_imports_a_workbook_on_a_worker_and_follows_its_progress(
    on_postgres, queue_to, cast, client, tmp_path
):
    client.force_login(cast.admin)
    log_file, worker = _start(tmp_path, queue_to)
    with worker:
        upload = client.post(
            reverse("admin:plans_plan_import", args=[cast.plan.pk]),
            {"file": SimpleUploadedFile("plan.xlsx", xlsx(realistic_sheets(200)))},
        )
        assert upload.status_code == 302 and upload.url.startswith("/jobs/")
        page, _stages = _poll(client, upload.url, timeout=90, log_file=log_file)
        job = page.context["job"]
        assert job.state == Job.State.SUCCEEDED, job.error
        assert job.stage == "preview" and job.total == job.done > 200
        assert Measure.objects.filter(plan=cast.plan).count() == 1  # a preview writes nothing
        preview = client.get(page.context["next_url"])
        assert "施策その1（デジタル化）" in preview.content.decode() and "取り込む" in preview.content.decode()

        run = ImportRun.objects.get()
        confirm = client.post(reverse("admin:plans_plan_import_confirm", args=[cast.plan.pk, run.pk]))
        page, stages = _poll(client, confirm.url, timeout=90, log_file=log_file)
        job = page.context["job"]
        assert job.state == Job.State.SUCCEEDED, job.error
        assert "を取り込みました" in page.content.decode() and job.stage == "apply"
        assert job.started_at and job.finished_at
    assert Measure.objects.filter(plan=cast.plan).count() == 201
    assert Measure.objects.get(plan=cast.plan, code="S001").title == "施策その1（デジタル化）"
    run.refresh_from_db()
    assert run.status == ImportRun.Status.APPLIED and run.user == cast.admin


def test_a_worker_killed_mid_confirm_leaves_the_job_failed_and_the_plan_unchanged(
    on_postgres, queue_to, cast, client, tmp_path, settings
):
    settings.JOBS_LEASE_SECONDS = 3
    client.force_login(cast.admin)
    log_file, worker = _start(tmp_path, queue_to)
    db = connection.settings_dict
    blocker = psycopg2.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
    )
    cursor = blocker.cursor()
    try:
        with worker as doomed:
            upload = client.post(
                reverse("admin:plans_plan_import", args=[cast.plan.pk]),
                {"file": SimpleUploadedFile("plan.xlsx", xlsx(realistic_sheets(100)))},
            )
            page, _stages = _poll(client, upload.url, timeout=90, log_file=log_file)
            assert page.context["job"].state == Job.State.SUCCEEDED
            before = database_fingerprint()
            # Hold writes to the measures (reads go on): the worker's apply gets inside its transaction and waits.
            cursor.execute("LOCK TABLE measures_measure IN EXCLUSIVE MODE")
            run = ImportRun.objects.get()
            confirm = client.post(reverse("admin:plans_plan_import_confirm", args=[cast.plan.pk, run.pk]))
            job_id = int(confirm.url.rstrip("/").rsplit("/", 1)[1])
            wait_until(
                lambda: Job.objects.filter(pk=job_id, stage="apply").exists(),
                timeout=60,
                what="the apply stage",
                log_file=log_file,
            )
            time.sleep(1)  # well inside the transaction (the departments are written, the measures wait)
            os.killpg(doomed.pid, signal.SIGKILL)
            doomed.wait()
        # The dead worker's connection goes (as a lost TCP connection would); its transaction is rolled back.
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
        )
        blocker.rollback()
    finally:
        blocker.close()

    assert Job.objects.get(pk=job_id).state == Job.State.RUNNING  # nobody has looked yet
    time.sleep(3.5)  # the lease (3 s) runs out: no heartbeat since the kill
    page = client.get(confirm.url)
    assert page.context["job"].state == Job.State.FAILED
    assert "ワーカーが応答しなくなったため中断しました。何も書き込まれていません" in page.content.decode()
    assert database_fingerprint() == before
    assert Measure.objects.filter(plan=cast.plan).count() == 1
    assert ImportRun.objects.get().status == ImportRun.Status.PREVIEWED
