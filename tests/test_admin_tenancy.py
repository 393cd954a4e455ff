"""A city's admin, tried as an attacker would through the Django admin: history and revert, the national
framework, drop-downs and inlines, compare scope, exports, and the version a staff save is checked against."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from measures.models import Measure
from plans.models import AuditEvent, FrameworkEdition, Membership, NationalItem, Pillar

from .factories import (
    IndicatorFactory,
    IndicatorValueFactory,
    MeasureFactory,
    MilestoneFactory,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def attacker(cast) -> Client:
    """The admin of the other city (札幌市), after さくら台市's data."""
    client = Client()
    client.force_login(make_user("admin_b", "admin", cast.other_city))
    return client


@pytest.fixture
def admin_a(cast) -> Client:
    client = Client()
    client.force_login(cast.admin)
    return client


def _form_data(client: Client, url: str) -> dict:
    """The change form as the browser would post it back (inputs, selected options, textareas)."""
    html = client.get(url).content.decode()
    data: dict[str, object] = {}
    for match in re.finditer(r"<input[^>]*>", html):
        tag = match.group(0)
        name = re.search(r'name="([^"]+)"', tag)
        if not name or 'type="submit"' in tag or 'type="checkbox"' in tag and "checked" not in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        data[name.group(1)] = value.group(1) if value else ""
    for match in re.finditer(r'<select name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        selected = re.findall(r'<option value="([^"]*)"[^>]*selected', match.group(2))
        data[match.group(1)] = selected if "multiple" in match.group(0) else (selected[0] if selected else "")
    for match in re.finditer(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        data[match.group(1)] = match.group(2).strip()
    return data


# --- history ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["plan", "measure", "milestone"])
def test_another_citys_history_page_is_not_found(cast, attacker, which):
    milestone = MilestoneFactory(measure=cast.measure, title="さくら台の内部の期限")
    obj = {"plan": cast.plan, "measure": cast.measure, "milestone": milestone}[which]
    opts = obj._meta
    response = attacker.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk]))
    assert response.status_code == 404
    assert str(obj).encode() not in response.content


def test_reverting_another_citys_plan_into_ones_own_city_is_not_found(cast, attacker):
    plan = cast.plan
    version = plan.history.latest("history_date").history_id
    url = reverse("admin:plans_plan_simple_history", args=[plan.pk, version])
    assert attacker.get(url).status_code == 404
    response = attacker.post(
        url,
        {
            "municipality": cast.other_city.pk,
            "title": "乗っ取り",
            "code": plan.code,
            "start_fy": 2023,
            "end_fy": 2027,
            "status": "approved",
            "edition": plan.edition_id,
            "version": 1,
        },
    )
    assert response.status_code == 404
    plan.refresh_from_db()
    assert plan.municipality_id == cast.city.pk
    assert plan.title != "乗っ取り"


def test_a_revert_of_ones_own_plan_cannot_move_it_to_another_city(cast, admin_a):
    plan = cast.plan
    version = plan.history.latest("history_date").history_id
    url = reverse("admin:plans_plan_simple_history", args=[plan.pk, version])
    data = _form_data(admin_a, url)
    assert "municipality" not in data  # read-only once saved
    data.update(municipality=cast.other_city.pk, title="戻した計画")
    response = admin_a.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    plan.refresh_from_db()
    assert plan.title == "戻した計画"
    assert plan.municipality_id == cast.city.pk


# --- the national framework ---------------------------------------------------------------------------------


def test_a_city_admin_reads_the_national_framework_but_cannot_change_it(cast, admin_a):
    item = NationalItem.objects.filter(edition__is_default=True).first()
    url = reverse("admin:plans_nationalitem_change", args=[item.pk])
    assert admin_a.get(url).status_code == 200
    response = admin_a.post(
        url,
        {
            "edition": item.edition_id,
            "number": item.number,
            "group": item.group,
            "name": "改ざん",
            "short_name": item.short_name,
        },
    )
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.name != "改ざん"

    edition = FrameworkEdition.objects.create(code="2.3", name="第2.3版", published_on="2025-06-13")
    for number in range(1, 8):
        NationalItem.objects.create(
            edition=edition, number=number, group="g", name=f"項目{number}", short_name=f"項目{number}"
        )
    response = admin_a.post(reverse("admin:plans_frameworkedition_delete", args=[edition.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert NationalItem.objects.filter(edition=edition).count() == 7


# --- drop-downs and inlines ---------------------------------------------------------------------------------


def _options(html: str, select_name: str) -> set[str]:
    match = re.search(rf'<select name="{re.escape(select_name)}"[^>]*>(.*?)</select>', html, re.S)
    assert match, select_name
    return set(re.findall(r'<option value="(\d+)"', match.group(1)))


def test_drop_downs_and_inlines_offer_only_ones_own_citys_rows(cast, admin_a):
    other_dept = cast.other_measure.owner_department
    other_pillar = Pillar.objects.create(plan=cast.other_plan, code="P1", name="札幌の柱")
    other_value = IndicatorValueFactory(indicator=IndicatorFactory(measure=cast.other_measure))

    measure_page = admin_a.get(reverse("admin:measures_measure_change", args=[cast.measure.pk])).content.decode()
    assert str(other_dept.pk) not in _options(measure_page, "owner_department")
    assert str(cast.joho.pk) in _options(measure_page, "owner_department")
    assert str(other_pillar.pk) not in _options(measure_page, "pillar")
    # The measure's milestones inline (担当部署 of each milestone).
    assert str(other_dept.pk) not in _options(measure_page, "milestones-0-owner_department")

    own_value = IndicatorValueFactory(indicator=IndicatorFactory(measure=cast.measure))
    value_page = admin_a.get(reverse("admin:measures_indicatorvalue_change", args=[own_value.pk])).content.decode()
    assert str(other_value.pk) not in _options(value_page, "corrects")

    membership = cast.bob.membership
    member_page = admin_a.get(reverse("admin:plans_membership_change", args=[membership.pk])).content.decode()
    assert str(cast.mallory.pk) not in _options(member_page, "user")
    assert str(other_dept.pk) not in _options(member_page, "departments")


def test_saving_a_milestone_with_another_citys_department_is_refused(cast, admin_a):
    other_dept = cast.other_measure.owner_department
    url = reverse("admin:milestones_milestone_change", args=[cast.milestone.pk])
    data = _form_data(admin_a, url)
    data["owner_department"] = other_dept.pk
    response = admin_a.post(url, data)
    assert response.status_code == 200  # the form again, with an error on 担当部署
    assert "owner_department" in response.context["adminform"].form.errors
    cast.milestone.refresh_from_db()
    assert cast.milestone.owner_department_id != other_dept.pk


def test_a_city_admin_cannot_grant_national_comparison(cast, admin_a):
    membership = cast.bob.membership
    url = reverse("admin:plans_membership_change", args=[membership.pk])
    data = _form_data(admin_a, url)
    assert "compare_scope" not in data
    data["compare_scope"] = "national"
    assert admin_a.post(url, data).status_code == 302
    membership.refresh_from_db()
    assert membership.compare_scope == ""
    assert Membership.objects.filter(compare_scope="national").count() == 0


# --- exports ------------------------------------------------------------------------------------------------

FORMULAS = ['==HYPERLINK("http://evil.example","x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)"]


def _export(client: Client, fmt: str) -> bytes:
    url = reverse("admin:measures_measure_export")
    page = client.get(url).content.decode()
    formats = dict((name, value) for value, name in re.findall(r'<option value="(\d+)">(\w+)</option>', page))
    fields = dict.fromkeys(re.findall(r'type="checkbox" name="(\w+)" resource-id', page), "on")
    response = client.post(url, {"format": formats[fmt], "resource": "0", **fields})
    assert response.status_code == 200
    return response.content


@pytest.mark.parametrize("fmt", ["csv", "tsv", "xlsx"])
def test_admin_exports_neutralise_formulas_and_are_audited(cast, admin_a, fmt):
    for n, title in enumerate(FORMULAS):
        MeasureFactory(plan=cast.plan, owner_department=cast.joho, code=f"F{n}", title=title)
    before = AuditEvent.objects.filter(action="export").count()
    content = _export(admin_a, fmt)
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        cells = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
        assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)
    else:
        text = content.decode("utf-8-sig")
        cells = [
            cell for line in csv.reader(io.StringIO(text), delimiter="\t" if fmt == "tsv" else ",") for cell in line
        ]
    for title in FORMULAS:
        assert "'" + title in cells, (title, cells)
        assert title not in cells
    assert AuditEvent.objects.filter(action="export").count() == before + 1
    event = AuditEvent.objects.filter(action="export").latest("at")
    assert event.user == cast.admin
    assert event.detail["model"] == "measures.measure"


def test_the_plan_template_download_is_audited(cast, admin_a):
    before = AuditEvent.objects.filter(action="export").count()
    assert admin_a.get(reverse("admin:plans_plan_template", args=[cast.plan.pk])).status_code == 200
    assert AuditEvent.objects.filter(action="export").count() == before + 1


def test_the_export_command_is_audited(cast, tmp_path):
    from django.core.management import call_command

    call_command("export_plan", cast.plan.code, str(tmp_path / "plan.xlsx"), municipality=cast.city.code)
    event = AuditEvent.objects.get(action="export")
    assert event.username == "manage.py export_plan" and event.detail["plan"] == cast.plan.code


def test_another_citys_admin_exports_none_of_this_citys_rows(cast, attacker):
    content = _export(attacker, "csv").decode("utf-8-sig")
    assert cast.measure.title not in content
    assert cast.other_measure.title in content


# --- versions -----------------------------------------------------------------------------------------------


def test_an_admin_edit_bumps_the_version_so_an_older_staff_page_gets_a_conflict(cast, admin_a):
    milestone = cast.milestone
    seen_by_alice = milestone.version
    url = reverse("admin:milestones_milestone_change", args=[milestone.pk])
    data = _form_data(admin_a, url)
    data["status"] = "cancelled"
    assert admin_a.post(url, data).status_code == 302
    milestone.refresh_from_db()
    assert milestone.status == "cancelled"
    assert milestone.version == seen_by_alice + 1

    alice = Client()
    alice.force_login(cast.alice)
    response = alice.post(
        reverse("milestones:update", args=[milestone.pk]),
        {"status": "in_progress", "comment": "", "version": seen_by_alice},
    )
    assert response.status_code == 409
    milestone.refresh_from_db()
    assert milestone.status == "cancelled"


def test_an_admin_edit_through_the_measure_inline_bumps_the_version(cast, admin_a):
    milestone = cast.milestone
    url = reverse("admin:measures_measure_change", args=[cast.measure.pk])
    data = _form_data(admin_a, url)
    data["milestones-0-status"] = "cancelled"
    response = admin_a.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    milestone.refresh_from_db()
    assert (milestone.status, milestone.version) == ("cancelled", 2)


# --- actions ------------------------------------------------------------------------------------------------


def test_an_action_on_another_citys_rows_changes_nothing(cast, attacker):
    cast.joho.rotate_calendar_token()
    token = cast.joho.calendar_token
    response = attacker.post(
        reverse("admin:plans_department_changelist"),
        {"action": "revoke_calendar_token", "_selected_action": [cast.joho.pk], "index": 0},
    )
    assert response.status_code in (200, 302)
    cast.joho.refresh_from_db()
    assert cast.joho.calendar_token == token
    response = attacker.post(
        reverse("admin:measures_measure_changelist"),
        {"action": "delete_selected", "_selected_action": [cast.measure.pk], "post": "yes"},
    )
    assert Measure.objects.filter(pk=cast.measure.pk).exists()
