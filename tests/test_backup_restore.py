"""The README's backup commands work: a dumpdata of the demo data, loaded into an empty, freshly migrated
database, gives back every table with the same row count.

Both databases are scratch databases next to the test database (SQLite: temp files; PostgreSQL: <name>_backup_src
and <name>_restore, created and dropped here), driven through manage.py in subprocesses exactly as documented.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dj_database_url
import pytest

ROOT = Path(__file__).resolve().parent.parent
# The same exclusions as the README: rebuilt by migrate, or per-session noise.
DUMP_EXCLUDES = ["contenttypes", "auth.permission", "sessions", "admin.logentry"]
COUNT_SCRIPT = """
import json, django
django.setup()
from django.apps import apps
skip = {"contenttypes.contenttype", "auth.permission", "sessions.session", "admin.logentry"}
print(json.dumps({m._meta.label_lower: m.objects.count() for m in apps.get_models()
                  if m._meta.label_lower not in skip}))
"""


def manage(database_url: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "True"}
    env.pop("DATABASE_REPLICA_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)}: {result.stdout}\n{result.stderr}"
    return result.stdout


def counts(database_url: str) -> dict[str, int]:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "dxportal.settings"}
    out = subprocess.run(
        [sys.executable, "-c", COUNT_SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=120
    ).stdout
    return json.loads(out)


@pytest.fixture(scope="module")
def scratch_databases(tmp_path_factory):
    """(source_url, restore_url): two empty databases of the engine the suite runs on."""
    configured = dj_database_url.parse(os.getenv("DATABASE_URL", "sqlite:///db.sqlite3"))
    tmp_path = tmp_path_factory.mktemp("backup")
    if configured["ENGINE"] != "django.db.backends.postgresql":
        yield f"sqlite:///{tmp_path / 'source.sqlite3'}", f"sqlite:///{tmp_path / 'restore.sqlite3'}"
        return
    import psycopg2

    base = configured["NAME"].removeprefix("test_")
    names = [f"{base}_backup_src", f"{base}_restore"]
    admin = psycopg2.connect(
        dbname="postgres",
        user=configured["USER"],
        password=configured["PASSWORD"],
        host=configured["HOST"],
        port=configured["PORT"] or 5432,
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        for name in names:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    yield f"{url}/{names[0]}", f"{url}/{names[1]}"
    with admin.cursor() as cursor:
        for name in names:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(scope="module")
def restored(scratch_databases, tmp_path_factory):
    """The README's procedure: dump the demo data, then migrate an empty database and load the dump into it."""
    source, restore = scratch_databases
    manage(source, "migrate", "--noinput", "-v0")
    manage(source, "seed_demo")
    dump = tmp_path_factory.mktemp("dump") / "dxportal.json.gz"
    excludes = [arg for app in DUMP_EXCLUDES for arg in ("--exclude", app)]
    manage(source, "dumpdata", "--natural-foreign", "--natural-primary", *excludes, "--output", str(dump))
    manage(restore, "migrate", "--noinput", "-v0")
    manage(restore, "loaddata", str(dump))
    return source, restore


def test_a_dump_of_the_demo_data_restores_into_an_empty_database_with_the_same_row_counts(restored):
    source, restore = restored
    before, after = counts(source), counts(restore)
    assert before["measures.measure"] > 0 and before["milestones.milestone"] > 0 and before["auth.user"] >= 5
    assert before["plans.auditevent"] > 0  # the audit log is part of the backup too
    assert before["measures.historicalmeasure"] > 0  # and so is the change history, not re-recorded
    assert after == before


def test_the_restored_users_can_still_log_in_with_their_roles(restored):
    _source, restore = restored
    code = (
        "import django; django.setup(); from django.contrib.auth.models import User; "
        "u = User.objects.get(username='admin'); print(u.check_password('dxportal-demo'), "
        "sorted(u.groups.values_list('name', flat=True)))"
    )
    env = {**os.environ, "DATABASE_URL": restore, "DJANGO_SETTINGS_MODULE": "dxportal.settings"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True ['admin']"
