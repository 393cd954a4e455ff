"""Plan import/export services: the admin views and the management commands call only these.

An import runs in three stages, one module each: reading.py (the file → sheets → cleaned rows), checks.py (the
rows against each other and the database → the preview) and apply.py (the one-transaction write).
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from plans import audit
from plans.imports import import_change_reason
from plans.models import ImportRun, Plan

from .apply import apply_preview
from .checks import build_preview
from .preview import Preview, RowError
from .template import build_workbook


class ImportBlocked(Exception):
    """The import cannot be applied; `preview` holds the errors."""

    def __init__(self, preview: Preview):
        super().__init__("; ".join(e.as_text() for e in preview.errors[:5]))
        self.preview = preview


def _record(run: ImportRun, preview: Preview, status: str) -> None:
    run.status = status
    run.counts = preview.counts
    run.errors = [e.as_dict() for e in preview.errors[:200]]
    run.save(update_fields=["status", "counts", "errors"])


def _record_failure(run: ImportRun, preview: Preview) -> None:
    """Mark the run failed unless another confirm of the same preview applied it meanwhile: a conditional UPDATE,
    so the record never says エラー for an import the audit log (written with it) says was applied."""
    try:
        ImportRun.objects.filter(pk=run.pk, status=ImportRun.Status.PREVIEWED).update(
            status=ImportRun.Status.FAILED, counts=preview.counts, errors=[e.as_dict() for e in preview.errors[:200]]
        )
    except DatabaseError:  # still locked by the confirm that is applying it: it records the outcome
        pass
    run.refresh_from_db(fields=["status", "counts", "errors"])


def _no_progress(**kwargs) -> None:
    pass


def _rows(preview: Preview) -> int:
    return sum(s.new + s.changed + s.unchanged + s.error_rows for s in preview.sheets.values())


def plan_import_preview(
    *, plan: Plan, data: bytes, file_name: str, user: User | None, progress: Callable[..., None] = _no_progress
) -> tuple[ImportRun, Preview]:
    """Validate the file and compare it with the plan. Writes nothing but the ImportRun record.

    `progress(stage=..., done=..., total=...)` hears how far it got (a background job's progress page).
    """
    progress(stage="read", done=0, total=0)
    run = ImportRun.objects.create(
        plan=plan,
        user=user,
        file_name=file_name[:255],
        file_sha256=hashlib.sha256(data).hexdigest(),
        status=ImportRun.Status.PREVIEWED,
    )
    preview = build_preview(plan=plan, data=data, file_name=file_name)
    rows = _rows(preview)
    progress(stage="validate", done=rows, total=rows)
    _record(run, preview, ImportRun.Status.FAILED if preview.has_errors else ImportRun.Status.PREVIEWED)
    return run, preview


def plan_import_apply(
    *, run: ImportRun, data: bytes, user: User | None, request=None, progress: Callable[..., None] = _no_progress
) -> Preview:
    """Validate again against the current database and write all of it in one transaction, or nothing.

    Raises ImportBlocked when the file (or the database, changed since the preview) has errors.
    """
    if hashlib.sha256(data).hexdigest() != run.file_sha256:
        raise ValueError("The file differs from the one previewed.")
    progress(stage="validate", done=0, total=0)
    preview = build_preview(plan=run.plan, data=data, file_name=run.file_name)
    if preview.has_errors:
        _record_failure(run, preview)
        raise ImportBlocked(preview)
    rows = _rows(preview)
    progress(stage="apply", done=0, total=rows, force=True)
    try:
        with transaction.atomic():
            # Two confirms of one preview (a double click, two tabs): the row lock lets one apply it.
            locked = ImportRun.objects.select_for_update().get(pk=run.pk)
            if locked.status != ImportRun.Status.PREVIEWED:
                preview.file_errors.append(
                    RowError("", None, "", "", _("このプレビューは既に取り込み済みか、確定できない状態です。"))
                )
                raise ImportBlocked(preview)
            apply_preview(preview=preview, user=user, reason=import_change_reason(run))
            _record(run, preview, ImportRun.Status.APPLIED)
            # In the same transaction: the audit row exists exactly when the import was written.
            audit.record(
                request=request,
                user=user,
                action="import",
                target=f"{run.plan} ← {run.file_name}",
                import_run=run.pk,
                plan=run.plan.code,
                counts=preview.counts,
            )
    except DatabaseError as exc:
        # A concurrent change (e.g. a code taken meanwhile): nothing was written.
        preview.file_errors.append(
            RowError(
                "",
                None,
                "",
                "",
                _(
                    "データベースへの書き込みに失敗したため、何も取り込んでいません（%(error)s）。もう一度プレビューからやり直してください。"
                )
                % {"error": exc.__class__.__name__},
            )
        )
        _record_failure(run, preview)
        raise ImportBlocked(preview)
    progress(stage="apply", done=rows, total=rows)
    return preview


def plan_import(
    *,
    plan: Plan,
    data: bytes,
    file_name: str,
    user: User | None,
    dry_run: bool = False,
    progress: Callable[..., None] = _no_progress,
) -> tuple[ImportRun, Preview]:
    """Preview and, unless dry_run, apply: the command line's one-shot import."""
    run, preview = plan_import_preview(plan=plan, data=data, file_name=file_name, user=user, progress=progress)
    if preview.has_errors:
        raise ImportBlocked(preview)
    if not dry_run:
        preview = plan_import_apply(run=run, data=data, user=user, progress=progress)
    return run, preview


def plan_export(*, plan: Plan) -> bytes:
    return build_workbook(plan=plan, with_data=True)


def plan_template(*, plan: Plan) -> bytes:
    return build_workbook(plan=plan, with_data=False)


# --- staging the uploaded file between preview and confirm ---------------------------------------


def _staging_dir() -> Path:
    path = Path(getattr(settings, "IMPORT_STAGING_DIR", "") or Path(tempfile.gettempdir()) / "dxportal-imports")
    path.mkdir(parents=True, exist_ok=True)
    return path


STAGED_MAX_AGE_SECONDS = 24 * 60 * 60


def stage_file(*, run: ImportRun, data: bytes) -> None:
    directory = _staging_dir()
    # Previews nobody confirmed: drop their uploads after a day.
    cutoff = time.time() - STAGED_MAX_AGE_SECONDS
    for old in directory.glob("*.upload"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass
    (directory / f"{run.pk}-{run.file_sha256}.upload").write_bytes(data)


def staged_file(*, run: ImportRun) -> bytes | None:
    path = _staging_dir() / f"{run.pk}-{run.file_sha256}.upload"
    return path.read_bytes() if path.exists() else None


def discard_staged_file(*, run: ImportRun) -> None:
    (_staging_dir() / f"{run.pk}-{run.file_sha256}.upload").unlink(missing_ok=True)
