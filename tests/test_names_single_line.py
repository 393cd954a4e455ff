"""Names are one line: a line break or another control character in a name is refused in forms and imports,
and a name that already has one (older data) can never make a department's digest fail."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse

from core.text import single_line
from milestones.models import ReminderLog
from milestones.reminders import run_reminders
from plans.models import Department

from .factories import MeasureFactory, MilestoneFactory

pytestmark = pytest.mark.django_db

FRIDAY = dt.date(2026, 11, 20)


def test_a_department_name_with_a_line_break_still_gets_its_digest(cast):
    # Written past validation, as an older import or a bulk update could have left it.
    Department.objects.filter(pk=cast.joho.pk).update(name="情報\n政策課\r\n（DX担当）")
    cast.milestone.due_date = dt.date(2026, 11, 25)
    cast.milestone.save()
    report = run_reminders(run_date=FRIDAY, inline=True)
    assert report.failed == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "【DX推進】期限の近いマイルストーン 1件（情報 政策課 （DX担当））"
    assert "\n" not in mail.outbox[0].message()["Subject"].replace("\n ", "")  # folded, not broken
    assert set(ReminderLog.objects.values_list("state", flat=True)) == {"sent"}


def test_a_municipality_name_with_a_line_break_still_gets_its_escalation(cast):
    type(cast.city).objects.filter(pk=cast.city.pk).update(name="さくら台\n市")
    cast.milestone.due_date = dt.date(2026, 11, 1)
    cast.milestone.save()
    report = run_reminders(run_date=FRIDAY, inline=True)
    assert report.failed == 0
    assert any(m.subject.endswith("（さくら台 市）") for m in mail.outbox)


@pytest.mark.parametrize("text", ["a\nb", "a\rb", "a\tb", "a\x00b", "a\x1bb", "a\x7fb", "a\u2028b"])
def test_single_line_removes_every_control_character(text):
    assert single_line(text) == "a b"


def _admin_post(client, url, **changes):
    html = client.get(url).content.decode()
    data = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if name and 'type="submit"' not in tag and ('type="checkbox"' not in tag or "checked" in tag):
            value = re.search(r'value="([^"]*)"', tag)
            data[name.group(1)] = value.group(1) if value else ""
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        selected = re.findall(r'<option value="([^"]*)"[^>]*selected', body)
        data[name] = selected[0] if selected else ""
    for name, body in re.findall(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        data[name] = body.strip()
    data.update(changes)
    return client.post(url, data)


@pytest.mark.parametrize("name", ["情報\n政策課", "情報\t政策課", "情報\x00政策課", "情報\u2028政策課"])
def test_the_admin_refuses_a_department_name_with_a_control_character(client, cast, name):
    client.force_login(cast.admin)
    response = _admin_post(client, reverse("admin:plans_department_change", args=[cast.joho.pk]), name=name)
    assert response.status_code == 200
    assert "name" in response.context["adminform"].form.errors  # NUL: Django's own "null characters" message
    if "\x00" not in name:
        assert "制御文字は使えません" in response.content.decode()
    cast.joho.refresh_from_db()
    assert cast.joho.name == "情報政策課"


def test_the_admin_refuses_a_milestone_title_with_a_line_break(client, cast):
    client.force_login(cast.admin)
    response = _admin_post(
        client, reverse("admin:milestones_milestone_change", args=[cast.milestone.pk]), title="期限\n改行"
    )
    assert "制御文字は使えません" in response.content.decode()
    cast.milestone.refresh_from_db()
    assert "\n" not in cast.milestone.title


def test_multi_line_text_is_still_fine_where_it_is_prose(cast):
    measure = MeasureFactory(plan=cast.plan, owner_department=cast.joho, summary="一行目\n二行目")
    measure.full_clean()
    MilestoneFactory(measure=measure, comment="一行目\n二行目").full_clean()
