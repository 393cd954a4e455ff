"""What the database would refuse (or store and then fail to read back) is refused at preview, naming the sheet,
row and column; oversized archives are refused before parsing; a CSV with NUL bytes and names with control
characters get a clear message; two confirms of one preview leave the import record and the audit log agreeing.

Run on PostgreSQL too: DATABASE_URL=$DXPORTAL_TEST_POSTGRES_URL pytest tests/test_import_limits.py
"""

from __future__ import annotations

import io
import threading
import time
import zipfile
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from importing import services
from measures.models import Indicator
from plans.models import AuditEvent, ImportRun

from .factories import IndicatorFactory
from .import_workbooks import csv_bytes, database_fingerprint, realistic_sheets, xlsx
from .test_import_broken_files import BASE, _edited, _set

pytestmark = pytest.mark.django_db

INDICATOR_BASELINE = 5  # column index of 基準値 on the 指標 sheet
INDICATOR_TARGET = 7


def _errors(cast, data: bytes, file_name: str = "plan.xlsx") -> list:
    before = database_fingerprint()
    with pytest.raises(services.ImportBlocked) as blocked:
        services.plan_import(plan=cast.plan, data=data, file_name=file_name, user=cast.admin)
    assert database_fingerprint() == before
    return blocked.value.preview.errors


# --- numbers and lengths against the model fields ---------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("99999999999999.99999", "小数部は4桁まで"),
        ("99999999999999.9999", "数値が大きすぎます"),  # fits 18 digits, but SQLite's double rounds it to 1e14
        ("12.34567", "小数部は4桁まで"),
        ("1e20", "数値が大きすぎます"),
        ("123456789012345", "数値が大きすぎます"),
        (12.345678, "小数部は4桁まで"),
    ],
)
def test_a_kpi_value_beyond_the_column_is_refused_at_preview_naming_the_cell(cast, value, message):
    errors = _errors(cast, _edited(_set("指標", 3, INDICATOR_BASELINE, value)))
    [error] = errors
    assert (error.sheet, error.row, error.column) == ("指標", 4, "基準値")
    assert message in error.message


def test_the_largest_value_the_column_holds_imports_and_the_dashboard_reads_it(cast, client):
    data = _edited(
        lambda s: (
            s["指標"][3].__setitem__(INDICATOR_BASELINE, "99999999999999.9"),
            s["指標"][3].__setitem__(INDICATOR_TARGET, "-12345678901234.5678"),
        )
    )
    services.plan_import(plan=cast.plan, data=data, file_name="plan.xlsx", user=cast.admin)
    indicator = Indicator.objects.get(plan=cast.plan, code="K003")
    assert indicator.baseline_value == Decimal("99999999999999.9")
    # PostgreSQL keeps every digit; SQLite keeps 15 significant ones.
    assert abs(indicator.target_value - Decimal("-12345678901234.5678")) < Decimal("0.1")
    client.force_login(cast.council)
    for url in ("/dashboard/", "/dashboard/kpis/", f"/dashboard/export/kpis.csv?plan={cast.plan.code}"):
        assert client.get(url).status_code == 200, url


def test_the_admin_refuses_what_the_import_refuses(client, cast):
    indicator = IndicatorFactory(measure=cast.measure, code="KX", name="上限の指標")
    indicator.baseline_value = Decimal("99999999999999.9999")
    with pytest.raises(ValidationError) as refused:
        indicator.full_clean()
    assert "数値が大きすぎます" in str(refused.value.message_dict["baseline_value"])


def test_text_longer_than_its_column_is_refused_at_preview(cast):
    [error] = _errors(cast, _edited(_set("施策", 2, 1, "長" * 201)))
    assert (error.sheet, error.column) == ("施策", "施策名")
    assert "200文字以内" in error.message


# --- names are one line -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sheet", "row", "col", "header"),
    [
        ("部署", 2, 1, "部署名"),
        ("施策", 2, 1, "施策名"),
        ("マイルストーン", 2, 2, "マイルストーン名"),
        ("指標", 2, 2, "指標名"),
        ("施策", 2, 6, "施策の柱"),
    ],
)
def test_a_name_with_a_line_break_is_refused(cast, sheet, row, col, header):
    errors = _errors(cast, _edited(_set(sheet, row, col, "一行目\n二行目")))
    assert any((e.sheet, e.column) == (sheet, header) and "制御文字は使えません" in e.message for e in errors), [
        e.as_text() for e in errors
    ]


def test_prose_keeps_its_line_breaks(cast):
    data = _edited(_set("施策", 2, 2, "一行目\n二行目"))
    services.plan_import(plan=cast.plan, data=data, file_name="plan.xlsx", user=cast.admin)


# --- CSV with NUL bytes -----------------------------------------------------------------------------------


def test_a_csv_with_a_nul_byte_gets_a_clear_message(cast, client, settings, tmp_path):
    settings.IMPORT_STAGING_DIR = str(tmp_path)
    rows = [list(r) for r in BASE["施策"][:6]]
    data = csv_bytes(rows).replace("施策その3".encode(), "施策\x00その3".encode())
    [error] = _errors(cast, data, "施策.csv")
    assert "NUL" in error.message and "4行目" in error.message
    # And through the admin pages: a message, never a 500 (the confirm button is not offered).
    client.force_login(cast.admin)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("admin:plans_plan_import", args=[cast.plan.pk]), {"file": SimpleUploadedFile("施策.csv", data)}
    )
    if response.status_code == 302:  # the preview runs as a job: its page, then the page it links to
        page = client.get(response.url)
        assert page.status_code == 200
        response = client.get(page.context["next_url"]) if page.context["next_url"] else page
    assert response.status_code == 200
    assert "NUL" in response.content.decode()


# --- archive caps, before parsing -------------------------------------------------------------------------


def _bomb(shared_strings_mb: int) -> bytes:
    """A valid small workbook whose sharedStrings part unpacks to `shared_strings_mb` MB."""
    source = zipfile.ZipFile(io.BytesIO(xlsx({"施策": [["施策コード"], ["M01"]]})))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for info in source.infolist():
            if info.filename != "xl/sharedStrings.xml":
                archive.writestr(info.filename, source.read(info.filename))
        count = shared_strings_mb * 1024 * 1024 // 16
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            chunk = b"<si><t>a</t></si>" * 65536
            for _ in range(count // 65536):
                part.write(chunk)
            part.write(b"</sst>")
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_in_about_a_second(cast):
    data = _bomb(190)
    assert len(data) < 1024 * 1024  # under 1 MB on disk
    started = time.monotonic()
    [error] = _errors(cast, data)
    elapsed = time.monotonic() - started
    assert "展開後" in error.message and "xl/sharedStrings.xml" in error.message
    assert elapsed < 2.0, elapsed


def test_too_many_cells_are_refused_before_parsing(cast, settings):
    settings.IMPORT_MAX_CELLS = 500
    [error] = _errors(cast, xlsx(realistic_sheets(55)))
    assert "セルが多すぎます" in error.message and "500" in error.message


def test_an_ordinary_workbook_is_well_under_the_caps(cast):
    services.plan_import(plan=cast.plan, data=xlsx(realistic_sheets(60)), file_name="plan.xlsx", user=cast.admin)


# --- two confirms of one preview at once ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_confirms_at_once_leave_the_record_and_the_audit_log_agreeing(cast):
    data = xlsx(realistic_sheets(40))
    run, preview = services.plan_import_preview(plan=cast.plan, data=data, file_name="plan.xlsx", user=cast.admin)
    assert not preview.has_errors
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def confirm():
        try:
            barrier.wait()
            services.plan_import_apply(run=ImportRun.objects.get(pk=run.pk), data=data, user=cast.admin)
            outcomes.append("applied")
        except services.ImportBlocked as blocked:
            outcomes.append("blocked: " + "; ".join(e.message for e in blocked.preview.errors))
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes.count("applied") == 1, outcomes
    run.refresh_from_db()
    audited = AuditEvent.objects.filter(action="import", detail__import_run=run.pk).count()
    assert audited == 1
    assert run.status == ImportRun.Status.APPLIED
    assert Indicator.objects.filter(plan=cast.plan).count() == 40


def test_a_failed_confirm_never_overwrites_an_applied_record(cast):
    """The late half of a race: the other confirm applied the preview (and wrote its audit row) while this one
    failed; recording this failure must leave the record saying 取込済み, as the audit log does."""
    data = xlsx(realistic_sheets(5))
    run, _preview = services.plan_import_preview(plan=cast.plan, data=data, file_name="plan.xlsx", user=cast.admin)
    stale = ImportRun.objects.get(pk=run.pk)  # loaded by the slower confirm while still 'previewed'
    applied = services.plan_import_apply(run=run, data=data, user=cast.admin)
    services._record_failure(stale, applied)
    run.refresh_from_db()
    assert run.status == ImportRun.Status.APPLIED
    assert AuditEvent.objects.filter(action="import", detail__import_run=run.pk).count() == 1
