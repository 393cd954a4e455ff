"""The admin's browser flow through the Django test client: upload → preview → confirm, downloads, permissions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from measures.models import Measure
from milestones.models import Milestone
from plans.models import ImportRun

from .factories import make_user
from .import_workbooks import database_fingerprint, realistic_sheets, xlsx
from .test_import_broken_files import CORPUS, _bytes


@pytest.fixture(autouse=True)
def _staging_in_tmp(settings, tmp_path):
    settings.IMPORT_STAGING_DIR = str(tmp_path / "staged")


def _follow_job(client, response):
    """The upload and the confirm answer with their job's progress page; follow it to the page it links to."""
    assert response.status_code == 302 and response.url.startswith("/jobs/"), response
    page = client.get(response.url)
    assert page.status_code == 200
    job = page.context["job"]
    assert job.finished, "the embedded default runs the job inline"
    return job, (client.get(page.context["next_url"]) if page.context["next_url"] else page)


def _upload(client, plan, data, name="plan.xlsx"):
    """The preview page of an upload (or the upload form again, when the form refused the file)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(reverse("admin:plans_plan_import", args=[plan.pk]), {"file": SimpleUploadedFile(name, data)})
    if response.status_code != 302:
        return response
    return _follow_job(client, response)[1]


def _confirm(client, plan, run):
    return client.post(reverse("admin:plans_plan_import_confirm", args=[plan.pk, run.pk]))


def test_an_admin_previews_then_confirms_a_workbook(client, cast):
    client.force_login(cast.admin)
    page = client.get(reverse("admin:plans_plan_change", args=[cast.plan.pk]))
    assert "Excelから取込" in page.content.decode() and "テンプレート" in page.content.decode()
    assert client.get(reverse("admin:plans_plan_import", args=[cast.plan.pk])).status_code == 200

    before = database_fingerprint()
    preview = _upload(client, cast.plan, xlsx(realistic_sheets(50)))
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "取り込む" in html and "施策その1（デジタル化）" in html
    run = ImportRun.objects.get()
    assert run.counts["施策"] == {"new": 50, "changed": 0, "unchanged": 0, "errors": 0}
    assert database_fingerprint() == before  # nothing written before confirm
    # open milestones whose due date has passed are pointed out (a warning: the import may still go ahead)
    assert "期限がすでに過ぎています" in html and preview.context["preview"]["warnings"]

    assert run.status == ImportRun.Status.PREVIEWED
    job, done = _follow_job(client, _confirm(client, cast.plan, run))
    result_url = reverse("admin:plans_plan_import_result", args=[cast.plan.pk, run.pk])
    assert job.state == "succeeded" and done.request["PATH_INFO"] == result_url  # lands on what the import changed
    assert f"を取り込みました（インポート #{run.pk}: 新規" in job.result["message"]
    result = done.content.decode()
    s001 = Measure.objects.get(plan=cast.plan, code="S001")
    assert reverse("measures:detail", args=[s001.pk]) in result and "この取込で登録・変更した施策（50件）" in result
    assert Measure.objects.filter(plan=cast.plan).count() == 51
    run.refresh_from_db()
    assert run.status == ImportRun.Status.APPLIED and run.user == cast.admin
    history = client.get(reverse("admin:measures_measure_history", args=[Measure.objects.get(code="S001").pk]))
    assert f"インポート #{run.pk} (plan.xlsx)" in history.content.decode()
    # the same confirm again does nothing more
    again = _confirm(client, cast.plan, run)
    assert (
        again.status_code == 302
        and again.url.endswith("/import/")
        and Milestone.objects.filter(plan=cast.plan).count() == 151
    )


def test_the_preview_shows_changes_before_and_after(client, cast):
    client.force_login(cast.admin)
    sheets = realistic_sheets(50)
    _upload(client, cast.plan, xlsx(sheets))
    _confirm(client, cast.plan, ImportRun.objects.get())
    sheets["施策"][3][1] = "改名した施策"
    html = _upload(client, cast.plan, xlsx(sheets)).content.decode()
    assert "<del>施策その3（デジタル化）</del> → <ins>改名した施策</ins>" in html


def test_errors_are_listed_and_there_is_no_confirm_button(client, cast):
    client.force_login(cast.admin)
    sheets = realistic_sheets(50)
    sheets["マイルストーン"][4][4] = "来月末"
    response = _upload(client, cast.plan, xlsx(sheets))
    html = response.content.decode()
    assert response.status_code == 200
    assert "「来月末」は日付として読めません" in html and "マイルストーン" in html and ">5<" in html
    assert "取り込む" not in html
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.FAILED
    refused = _confirm(client, cast.plan, run)
    assert (
        refused.status_code == 302
        and refused.url.endswith("/import/")
        and Measure.objects.filter(plan=cast.plan).count() == 1
    )


@pytest.mark.parametrize(("name", "file_name", "source", "message", "overrides"), CORPUS, ids=[c[0] for c in CORPUS])
def test_no_broken_upload_gives_a_server_error(client, cast, settings, name, file_name, source, message, overrides):
    for key, value in overrides.items():
        setattr(settings, key, value)
    client.force_login(cast.admin)
    response = _upload(client, cast.plan, _bytes(source), file_name)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Measure.objects.filter(plan=cast.plan).count() == 1


def test_the_template_and_the_export_download_as_xlsx(client, cast):
    client.force_login(cast.admin)
    for name in ("admin:plans_plan_template", "admin:plans_plan_export"):
        response = client.get(reverse(name, args=[cast.plan.pk]))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        assert response.content[:2] == b"PK"


URLS = ["admin:plans_plan_import", "admin:plans_plan_template", "admin:plans_plan_export"]


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("who", ["anonymous", "alice", "bob", "council", "viewer", "mallory"])
def test_only_admins_reach_the_import_pages(client, cast, url, who):
    if who != "anonymous":
        client.force_login(getattr(cast, who))
    response = client.get(reverse(url, args=[cast.plan.pk]))
    assert response.status_code == 302 and "/login/" in response.url


@pytest.mark.parametrize("url", URLS)
def test_a_staff_flagged_non_admin_is_forbidden(client, cast, url):
    cast.alice.is_staff = True
    cast.alice.save()
    client.force_login(cast.alice)
    assert client.get(reverse(url, args=[cast.plan.pk])).status_code == 403


@pytest.mark.parametrize("url", URLS)
def test_an_admin_of_another_city_gets_not_found(client, cast, url):
    client.force_login(make_user("other_admin", "admin", cast.other_city))
    assert client.get(reverse(url, args=[cast.plan.pk])).status_code == 404


def test_confirm_rejects_get_and_another_citys_admin(client, cast):
    client.force_login(cast.admin)
    _upload(client, cast.plan, xlsx(realistic_sheets(3)))
    run = ImportRun.objects.get()
    confirm = reverse("admin:plans_plan_import_confirm", args=[cast.plan.pk, run.pk])
    assert client.get(confirm).status_code == 405
    client.force_login(make_user("other_admin", "admin", cast.other_city))
    assert client.post(confirm).status_code == 404
    assert Measure.objects.filter(plan=cast.plan).count() == 1


def test_the_measure_admin_exports_with_the_sheet_resource(client, cast):
    """django-import-export's own export button on a model admin uses the workbook's 施策 columns."""
    import csv
    import io

    client.force_login(cast.admin)
    url = reverse("admin:measures_measure_export")
    assert client.get(url).status_code == 200
    fields = [
        "code",
        "title",
        "summary",
        "current_issues",
        "national_items",
        "owner_department",
        "pillar",
        "start_fy",
        "end_fy",
        "budget",
    ]
    response = client.post(url, {"format": "0", "resource": "0", **{f"measureresource_{f}": "on" for f in fields}})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["施策コード", "施策名", "概要", "現状・課題", "国の取組項目"]
    assert rows[1][0] == "M01" and rows[1][4] == "1、3" and rows[1][5] == "JOHO"
    assert len(rows) == 2  # the other city's M01 is not exported


@pytest.mark.parametrize("url", ["admin:plans_plan_template", "admin:plans_plan_export"])
def test_downloads_refuse_post(client, cast, url):
    client.force_login(cast.admin)
    assert client.post(reverse(url, args=[cast.plan.pk])).status_code == 405


def test_an_applied_import_and_an_export_are_audited_but_a_preview_is_not(client, cast):
    from plans.models import AuditEvent

    client.force_login(cast.admin)
    _upload(client, cast.plan, xlsx(realistic_sheets(50)))
    assert not AuditEvent.objects.filter(action="import").exists()  # nothing written yet, nothing to audit
    run = ImportRun.objects.get()
    _confirm(client, cast.plan, run)
    event = AuditEvent.objects.get(action="import")
    assert event.user == cast.admin and "plan.xlsx" in event.target
    assert event.detail["import_run"] == run.pk and event.detail["counts"]["施策"]["new"] == 50
    assert event.ip_address == "127.0.0.1"
    client.get(reverse("admin:plans_plan_export", args=[cast.plan.pk]))
    assert AuditEvent.objects.filter(action="export", user=cast.admin, detail__plan=cast.plan.code).count() == 1
