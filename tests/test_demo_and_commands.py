import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from devdata.scale import scale_municipality_codes
from measures.models import IndicatorValue, Measure, ProgressUpdate
from milestones.models import Milestone
from plans.models import Department, Municipality, NationalItem, Plan
from plans.validators import validate_municipality_code

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _debug(settings):
    settings.DEBUG = True  # seed_demo refuses to run with DEBUG off (pytest-django turns it off)


def _counts():
    return [
        m.objects.count() for m in (Municipality, Department, Plan, Measure, Milestone, ProgressUpdate, IndicatorValue)
    ]


def test_seed_demo_covers_all_eleven_items_and_every_role():
    from django.contrib.auth.models import User

    call_command("seed_demo", stdout=io.StringIO())
    plan = Plan.objects.get(code="dx-plan")
    validate_municipality_code(plan.municipality.code)
    assert plan.municipality.departments.count() >= 12
    covered = set(NationalItem.objects.filter(measures__plan=plan).values_list("number", flat=True))
    assert covered == set(range(1, 12))
    assert {"admin", "staff", "staff2", "council"} <= set(User.objects.values_list("username", flat=True))
    staff_depts = set(User.objects.get(username="staff").membership.departments.values_list("code", flat=True))
    staff2_depts = set(User.objects.get(username="staff2").membership.departments.values_list("code", flat=True))
    assert staff_depts and staff2_depts and not staff_depts & staff2_depts
    from django.utils import timezone

    today = timezone.localdate()
    dues = list(plan.milestones.values_list("due_date", flat=True))
    assert any(d < today for d in dues) and any(0 <= (d - today).days <= 30 for d in dues)
    assert any((d - today).days > 180 for d in dues)
    assert IndicatorValue.objects.filter(indicator__plan=plan).exists()


def test_seed_demo_is_idempotent_and_keeps_what_users_changed():
    call_command("seed_demo", stdout=io.StringIO())
    before = _counts()
    ms = Milestone.objects.filter(status="not_started").first()
    ms.status = "in_progress"
    ms.save()
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert _counts() == before
    assert Milestone.objects.get(pk=ms.pk).status == "in_progress"
    assert "dxportal-demo" in out.getvalue()


def test_seed_demo_refuses_in_production(settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=False"):
        call_command("seed_demo", stdout=io.StringIO())


def test_generate_scale_city_has_the_design_sizes():
    out = io.StringIO()
    call_command("generate_scale", "--profile", "city", stdout=out)
    plan = Plan.objects.get(code="scale")
    assert plan.municipality.departments.count() == 40
    assert plan.measures.count() == 500
    assert plan.milestones.count() == 3_000
    assert ProgressUpdate.objects.filter(measure__plan=plan).count() == 30_000
    assert plan.indicators.count() == 1_000
    call_command("generate_scale", "--profile", "city", stdout=io.StringIO())  # replaces, does not add
    assert Milestone.objects.filter(plan__code="scale").count() == 3_000


def test_scale_municipality_codes_are_valid_and_distinct():
    codes = scale_municipality_codes(1741)
    assert len(set(codes)) == 1741
    for code in codes[::97]:
        validate_municipality_code(code)


def test_manage_check_and_no_missing_migrations():
    env = {**os.environ}
    for args in (["check", "--fail-level", "WARNING"], ["makemigrations", "--check", "--dry-run"]):
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stdout + result.stderr
