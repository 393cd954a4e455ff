"""Background jobs (jobs/): the runner, its progress writes, the time limit, a dead worker's job, tenancy, and the
embedded default (no broker) running the import inline."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from jobs.models import Job
from jobs.registry import JobFailed, register
from jobs.runner import Progress, execute, reap_stale
from jobs.services import start_job
from measures.models import Measure
from plans.models import ImportRun

from .factories import make_user
from .import_workbooks import realistic_sheets, xlsx

pytestmark = pytest.mark.django_db


def _counting(*, job, progress):
    for done in range(1, 201):
        progress(stage=Job.Stage.APPLY, done=done, total=200)
    return {"message": f"counted {job.parameters['n']}"}


def _slow(*, job, progress):
    while True:
        progress(stage=Job.Stage.BUILD)


def _refusing(*, job, progress):
    progress(stage=Job.Stage.VALIDATE, done=3, total=10, force=True)
    raise JobFailed("ファイルが壊れています。")


def _crashing(*, job, progress):
    raise RuntimeError("secret internals")


register("test.counting", label="数える", run=_counting)
register("test.slow", label="終わらない", run=_slow)
register("test.refusing", label="断る", run=_refusing)
register("test.crashing", label="落ちる", run=_crashing)


def test_a_job_runs_inline_records_its_progress_and_its_result(cast):
    job = start_job(kind_name="test.counting", municipality=cast.city, user=cast.admin, parameters={"n": 7})
    assert job.state == Job.State.SUCCEEDED and job.result == {"message": "counted 7"}
    assert (job.stage, job.done, job.total) == ("apply", 200, 200)
    assert job.started_at and job.finished_at and job.finished_at >= job.started_at and job.error == ""


def test_progress_writes_are_throttled_but_every_stage_change_is_written(cast, settings):
    settings.JOBS_PROGRESS_INTERVAL = 3600
    job = Job.objects.create(kind="test.counting", municipality=cast.city, state=Job.State.RUNNING)
    progress = Progress(job)
    for done in range(100):
        progress(stage=Job.Stage.VALIDATE, done=done, total=100)
    progress(stage=Job.Stage.APPLY, done=0, total=100)
    assert progress.writes == 2  # the first report and the stage change, not 101 writes
    job.refresh_from_db()
    assert (job.stage, job.done, job.total) == ("apply", 0, 100)


def test_a_job_past_its_soft_time_limit_fails_with_a_clear_message(cast, settings):
    settings.JOBS_SOFT_TIME_LIMIT = 0
    job = start_job(kind_name="test.slow", municipality=cast.city, user=cast.admin)
    assert job.state == Job.State.FAILED and job.finished_at is not None
    assert "時間の上限（0秒）を超えたため中断しました" in job.error


def test_a_refusal_keeps_its_message_and_a_crash_shows_no_internals(cast):
    refused = start_job(kind_name="test.refusing", municipality=cast.city, user=cast.admin)
    assert refused.state == Job.State.FAILED and refused.error == "ファイルが壊れています。" and refused.done == 3
    crashed = start_job(kind_name="test.crashing", municipality=cast.city, user=cast.admin)
    assert crashed.state == Job.State.FAILED and "予期しないエラー" in crashed.error
    assert "secret" not in crashed.error


def test_a_job_is_run_once_a_redelivered_task_does_nothing(cast):
    job = start_job(kind_name="test.counting", municipality=cast.city, user=cast.admin, parameters={"n": 1})
    Job.objects.filter(pk=job.pk).update(result={"message": "first"})
    assert execute(job.pk).result == {"message": "first"}


def test_a_running_job_whose_worker_stopped_answering_is_marked_failed(cast, settings, client):
    settings.JOBS_LEASE_SECONDS = 60
    now = timezone.now()
    dead = Job.objects.create(
        kind="test.counting",
        municipality=cast.city,
        user=cast.admin,
        state=Job.State.RUNNING,
        started_at=now - dt.timedelta(minutes=5),
        heartbeat_at=now - dt.timedelta(seconds=61),
    )
    alive = Job.objects.create(
        kind="test.counting",
        municipality=cast.city,
        user=cast.admin,
        state=Job.State.RUNNING,
        started_at=now - dt.timedelta(minutes=5),
        heartbeat_at=now - dt.timedelta(seconds=5),
    )
    client.force_login(cast.admin)
    page = client.get(reverse("jobs:detail", args=[dead.pk])).content.decode()  # viewing the page reaps
    assert "ワーカーが応答しなくなったため中断しました" in page
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.state == Job.State.FAILED and alive.state == Job.State.RUNNING
    assert reap_stale() == 0
    # a redelivered task of the dead run does not run it again
    assert execute(dead.pk).state == Job.State.FAILED


def test_the_progress_page_refreshes_itself_until_the_job_ends(cast, client):
    job = Job.objects.create(
        kind="test.counting",
        municipality=cast.city,
        user=cast.admin,
        state=Job.State.RUNNING,
        stage="validate",
        done=40,
        total=160,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    client.force_login(cast.admin)
    html = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in html
    assert "検証" in html and "40 / 160 行" in html and 'max="160" value="40"' in html
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.SUCCEEDED, finished_at=timezone.now(), result={"message": "できました"}
    )
    html = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "http-equiv" not in html and "できました" in html


def test_jobs_are_scoped_to_the_municipality_and_to_their_owner(cast, client):
    own = start_job(kind_name="test.counting", municipality=cast.city, user=cast.alice, parameters={"n": 1})
    admins = start_job(kind_name="test.counting", municipality=cast.city, user=cast.admin, parameters={"n": 2})
    other_admin = make_user("admin_other", "admin", cast.other_city)
    theirs = start_job(kind_name="test.counting", municipality=cast.other_city, user=other_admin, parameters={"n": 3})
    client.force_login(cast.admin)  # an admin: every job of the city, none of another
    assert client.get(reverse("jobs:detail", args=[own.pk])).status_code == 200
    assert client.get(reverse("jobs:detail", args=[theirs.pk])).status_code == 404
    listed = client.get(reverse("jobs:list")).context["jobs"]
    assert {j.pk for j in listed} == {own.pk, admins.pk}
    client.force_login(cast.alice)  # staff: their own jobs only
    assert client.get(reverse("jobs:detail", args=[admins.pk])).status_code == 404
    assert [j.pk for j in client.get(reverse("jobs:list")).context["jobs"]] == [own.pk]
    client.force_login(cast.admin)
    admin_list = client.get(reverse("admin:jobs_job_changelist"))
    assert admin_list.status_code == 200
    assert {j.pk for j in admin_list.context["cl"].result_list} == {own.pk, admins.pk}


def test_the_embedded_default_imports_inline_with_no_broker(cast, client, settings, tmp_path):
    assert settings.CELERY_TASK_ALWAYS_EAGER and not settings.REDIS_URL
    client.force_login(cast.admin)
    upload = client.post(
        reverse("admin:plans_plan_import", args=[cast.plan.pk]),
        {"file": SimpleUploadedFile("plan.xlsx", xlsx(realistic_sheets(30)))},
    )
    preview_job = Job.objects.get(kind="importing.preview")
    assert upload.url == reverse("jobs:detail", args=[preview_job.pk])
    assert preview_job.state == Job.State.SUCCEEDED and preview_job.stage == "preview"
    assert preview_job.total == preview_job.done > 30
    page = client.get(upload.url)
    assert "プレビューを見る" in page.content.decode()
    assert "施策その1（デジタル化）" in client.get(page.context["next_url"]).content.decode()
    run = ImportRun.objects.get()
    confirm = client.post(reverse("admin:plans_plan_import_confirm", args=[cast.plan.pk, run.pk]))
    apply_job = Job.objects.get(kind="importing.apply")
    assert confirm.url == reverse("jobs:detail", args=[apply_job.pk])
    assert apply_job.state == Job.State.SUCCEEDED and apply_job.stage == "apply"
    assert Measure.objects.filter(plan=cast.plan).count() == 31
    assert Job.objects.filter(pk=preview_job.pk).values_list("input_file", flat=True).get() is None  # upload dropped


def test_another_citys_admin_cannot_see_a_preview_or_its_job(cast, client):
    client.force_login(cast.admin)
    client.post(
        reverse("admin:plans_plan_import", args=[cast.plan.pk]),
        {"file": SimpleUploadedFile("plan.xlsx", xlsx(realistic_sheets(5)))},
    )
    job, run = Job.objects.get(), ImportRun.objects.get()
    client.force_login(make_user("admin_other", "admin", cast.other_city))
    assert client.get(reverse("jobs:detail", args=[job.pk])).status_code == 404
    assert client.get(reverse("admin:plans_plan_import_preview", args=[cast.plan.pk, run.pk])).status_code == 404


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _import_plan(cast, tmp_path, stderr, *extra) -> str:
    path = tmp_path / "plan.xlsx"
    path.write_bytes(xlsx(realistic_sheets(20)))
    out = io.StringIO()
    call_command(
        "import_plan",
        str(path),
        "--plan",
        cast.plan.code,
        "--municipality",
        cast.city.code,
        *extra,
        stdout=out,
        stderr=stderr,
    )
    return out.getvalue()


def test_import_plan_draws_a_progress_bar_per_stage_on_a_terminal(cast, tmp_path):
    terminal = _Terminal()
    out = _import_plan(cast, tmp_path, terminal)
    assert "取り込みました" in out
    bars = terminal.getvalue()
    assert "読込" in bars and "検証" in bars and "反映" in bars and "100%" in bars
    assert Measure.objects.filter(plan=cast.plan).count() == 21


def test_command_line_bars_are_quiet_off_a_terminal_and_with_verbosity_zero(cast, tmp_path):
    piped = io.StringIO()
    _import_plan(cast, tmp_path, piped, "--dry-run")
    assert piped.getvalue() == ""
    terminal = _Terminal()
    _import_plan(cast, tmp_path, terminal, "--dry-run", "-v", "0")
    assert terminal.getvalue() == ""


def test_the_comparison_export_is_a_job_with_a_broker_and_its_file_is_the_askers_view(cast, client, settings):
    from dashboard.jobs import COMPARE_EXPORT

    settings.CELERY_TASK_ALWAYS_EAGER = False  # a broker is configured: the view only records and queues the job
    client.force_login(cast.admin)
    response = client.get(reverse("dashboard:export", kwargs={"table": "compare", "fmt": "csv"}))
    job = Job.objects.get(kind=COMPARE_EXPORT)
    assert response.url == reverse("jobs:detail", args=[job.pk])
    assert job.state == Job.State.QUEUED and job.parameters["fmt"] == "csv" and job.municipality == cast.city
    assert execute(job.pk).state == Job.State.SUCCEEDED  # what the worker does
    download = client.get(reverse("jobs:download", args=[job.pk]))
    text = download.content.decode("utf-8-sig")
    assert download.status_code == 200 and cast.city.name in text and cast.other_city.name not in text
    client.force_login(cast.mallory)
    assert client.get(reverse("jobs:download", args=[job.pk])).status_code == 404


def test_files_are_kept_for_a_day_then_dropped(cast, settings):
    settings.JOBS_KEEP_FILES_SECONDS = 3600
    old = Job.objects.create(
        kind="test.counting",
        municipality=cast.city,
        state=Job.State.SUCCEEDED,
        input_file=b"upload",
        result_file=b"PK",
        result_file_name="a.xlsx",
        finished_at=timezone.now() - dt.timedelta(hours=2),
    )
    Job.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(hours=2))
    new = Job.objects.create(
        kind="test.counting",
        municipality=cast.city,
        state=Job.State.SUCCEEDED,
        input_file=b"upload",
        result_file=b"PK",
        result_file_name="b.xlsx",
        finished_at=timezone.now(),
    )
    reap_stale()
    assert Job.objects.filter(pk=old.pk, input_file__isnull=True, result_file__isnull=True).exists()
    assert Job.objects.filter(pk=new.pk, input_file__isnull=False, result_file_name="b.xlsx").exists()


def test_a_confirm_blocked_by_a_change_since_the_preview_fails_and_links_to_the_errors(cast, client):
    from plans.models import Department

    client.force_login(cast.admin)
    client.post(
        reverse("admin:plans_plan_import", args=[cast.plan.pk]),
        {"file": SimpleUploadedFile("plan.xlsx", xlsx(realistic_sheets(10)))},
    )
    run = ImportRun.objects.get()
    Department.objects.filter(pk=cast.shimin.pk).update(code="SHIMIN-OLD")  # the file still names SHIMIN
    confirm = client.post(reverse("admin:plans_plan_import_confirm", args=[cast.plan.pk, run.pk]))
    page = client.get(confirm.url)
    job = page.context["job"]
    assert job.state == Job.State.FAILED and "プレビューの後にデータが変わった" in job.error
    errors = client.get(page.context["next_url"]).content.decode()
    assert "SHIMIN" in errors and "取り込む" not in errors
    assert Measure.objects.filter(plan=cast.plan).count() == 1
