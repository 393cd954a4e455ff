"""Four `manage.py send_reminders` at once on PostgreSQL: each department still gets exactly one digest.

Every department has a new claim to make and a failed claim (past its lease) to retry, the two halves of a claim;
four processes set up Django, wait for the same instant and run the command. The mail goes to .eml files
(tests.mail_backends.DirectoryBackend) so the four processes can be counted together.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections import Counter
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from milestones.models import ReminderLog

from .factories import DepartmentFactory, MeasureFactory, MilestoneFactory

# Transactional (the processes must see the data); not serialized_rollback (see tests/test_reminders_worker.py).
pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

FRIDAY = dt.date(2026, 11, 20)
DEPARTMENTS = 40
PROCESSES = 4

RUNNER = """
import os, sys, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dxportal.settings")
django.setup()
from django.core.management import call_command
from django.db import connection
connection.ensure_connection()
start = float(sys.argv[1])
time.sleep(max(0.0, start - time.time()))
call_command("send_reminders", "--date", sys.argv[2])
"""


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def departments(cast):
    """DEPARTMENTS departments, each with a milestone due in 5 days (a new claim) and one overdue whose earlier
    send failed an hour ago (a claim to take over)."""
    cast.milestone.status = "done"
    cast.milestone.completed_on = dt.date(2026, 3, 31)
    cast.milestone.save()
    long_ago = timezone.now() - dt.timedelta(hours=1)
    for n in range(DEPARTMENTS):
        dept = DepartmentFactory(municipality=cast.city, code=f"C{n:03d}", name=f"並行{n:03d}課")
        measure = MeasureFactory(plan=cast.plan, owner_department=dept, code=f"C{n:03d}")
        MilestoneFactory(measure=measure, code=f"C{n:03d}-new", due_date=dt.date(2026, 11, 25))
        failed = MilestoneFactory(measure=measure, code=f"C{n:03d}-retry", due_date=dt.date(2026, 11, 18))
        log = ReminderLog.objects.create(
            milestone=failed,
            department=dept,
            stage="overdue_1",
            due_date=failed.due_date,
            run_date=dt.date(2026, 11, 19),
            state=ReminderLog.State.FAILED,
            attempts=1,
            error="SMTP down",
            recipients=[dept.email],
        )
        ReminderLog.objects.filter(pk=log.pk).update(claimed_at=long_ago)
    return cast


def _subjects(mail_dir: Path) -> Counter:
    places = Counter()
    for path in mail_dir.glob("*.eml"):
        subject = str(make_header(decode_header(message_from_bytes(path.read_bytes())["Subject"])))
        places[subject.rsplit("（", 1)[-1].rstrip("）")] += 1
    return places


def test_four_concurrent_runs_send_each_department_one_digest(departments, tmp_path):
    if connection.vendor != "postgresql":  # the suite's PostgreSQL pass runs it (./dx.sh test)
        pytest.skip("row locks between processes: PostgreSQL only")
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "EMAIL_BACKEND": "tests.mail_backends.DirectoryBackend",
        "REMINDER_TEST_MAIL_DIR": str(mail_dir),
        "REMINDER_STALE_DAYS": "0",
        "DEBUG": "True",
    }
    start = time.time() + 6  # every process has set Django up by then
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", RUNNER, str(start), FRIDAY.isoformat()],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(PROCESSES)
    ]
    outputs = [p.communicate(timeout=120)[0].decode() for p in processes]
    assert all(p.returncode == 0 for p in processes), "\n".join(outputs)

    digests = _subjects(mail_dir)
    expected = {f"並行{n:03d}課" for n in range(DEPARTMENTS)}
    assert set(digests) == expected
    split = {place: count for place, count in digests.items() if count != 1}
    assert split == {}, f"digests split or repeated: {split}"

    rows = list(ReminderLog.objects.filter(department__code__startswith="C").values_list("department_id", "state"))
    assert len(rows) == 2 * DEPARTMENTS  # one claim row per milestone and stage, never two
    assert Counter(state for _dept, state in rows) == Counter({"sent": 2 * DEPARTMENTS})
