"""DATABASE_REPLICA_URL adds a read replica: reads go there, writes and migrations stay on the primary."""

import json
import os
import subprocess
import sys
from pathlib import Path

from dxportal.db_router import ReplicaRouter
from plans.models import Plan

ROOT = Path(__file__).resolve().parent.parent


def test_reads_go_to_the_replica_and_writes_to_the_primary():
    router = ReplicaRouter()
    assert router.db_for_read(Plan) == "replica"
    assert router.db_for_write(Plan) == "default"
    assert router.allow_migrate("default", "plans") is True
    assert router.allow_migrate("replica", "plans") is False


def test_an_object_fetched_from_the_primary_keeps_reading_its_relations_there():
    plan = Plan()
    plan._state.db = "default"
    assert ReplicaRouter().db_for_read(Plan, instance=plan) == "default"


def test_the_replica_is_configured_only_when_the_variable_is_set():
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([sorted(s.DATABASES), getattr(s, 'DATABASE_ROUTERS', []), "
        "s.DATABASES.get('replica', {}).get('HOST')]))"
    )
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_REPLICA_URL"}
    base["DJANGO_SETTINGS_MODULE"] = "dxportal.settings"

    def run(env):
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        ).stdout
        return json.loads(out)

    assert run(base) == [["default"], [], None]
    with_replica = run({**base, "DATABASE_REPLICA_URL": "postgres://ro:pw@replica.example:5432/dxportal"})
    assert with_replica == [["default", "replica"], ["dxportal.db_router.ReplicaRouter"], "replica.example"]
