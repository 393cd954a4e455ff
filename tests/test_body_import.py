"""The 「推進体制」 sheet: import (all rows or none, clear errors), export, round trip, tenancy."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from governance.body_import import body_import, body_workbook
from governance.models import BodyMember, BodyRole

pytestmark = pytest.mark.django_db

HEADERS = ["役割", "役職", "氏名", "ユーザー名", "所属部署", "外部人材", "氏名の公開", "表示順"]


def _xlsx(rows, *, sheet="推進体制", headers=HEADERS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(headers)
    for row in rows:
        ws.append(row)
    wb.create_sheet("施策").append(["施策コード"])  # the plan workbook's other sheets are ignored
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


ROWS = [
    ["本部長", "市長", "桜井 一郎", None, None, "いいえ", "はい", 1],
    ["CIO補佐官", "CIO補佐官", "高橋 誠", None, None, "はい", "いいえ", 2],
    ["推進員", "推進員", None, "bob", "市民課", None, None, 3],
    ["事務局", "事務局", None, "admin1", "JOHO", None, None, 4],
]


def test_the_sheet_is_imported_and_importing_it_again_changes_nothing(cast):
    result = body_import(user=cast.admin, municipality_id=cast.city.pk, data=_xlsx(ROWS), file_name="plan.xlsx")
    assert (result.errors, result.created) == ([], 4)
    chief = BodyMember.objects.get(role=BodyRole.CHIEF)
    assert (chief.name, chief.name_is_public, chief.is_external) == ("桜井 一郎", True, False)
    promoter = BodyMember.objects.get(role=BodyRole.PROMOTER)
    assert (promoter.user, promoter.department) == (cast.bob, cast.shimin)
    assert BodyMember.objects.get(role=BodyRole.CIO_ADVISER).is_external
    again = body_import(user=cast.admin, municipality_id=cast.city.pk, data=_xlsx(ROWS), file_name="plan.xlsx")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    exported = body_workbook(municipality_id=cast.city.pk)  # export → import round-trips
    third = body_import(user=cast.admin, municipality_id=cast.city.pk, data=exported, file_name="body.xlsx")
    assert (third.errors, third.created, third.updated, third.unchanged) == ([], 0, 0, 4)


def test_a_bad_row_names_row_column_and_value_and_nothing_is_written(cast):
    rows = ROWS + [
        ["理事長", "", "誰か", None, None, None, None, None],
        ["本部員", "部長", "", "", None, None, None, None],
        ["本部員", "部長", "山田", None, "デジタル戦略課", None, None, None],  # another city's department
        ["本部員", "部長", "山田", "mallory", None, "たぶん", None, None],  # another city's user
        ["本部員", "=1+1", "山田", None, None, None, None, None],
    ]
    result = body_import(user=cast.admin, municipality_id=cast.city.pk, data=_xlsx(rows), file_name="plan.xlsx")
    text = "\n".join(result.errors)
    assert "6行目「役割」の「理事長」" in text
    assert "7行目: 「氏名」か「ユーザー名」を入力してください。" in text
    assert "8行目「所属部署」の「デジタル戦略課」" in text and "見つかりません" in text
    assert "9行目「外部人材」の「たぶん」" in text
    assert "9行目「ユーザー名」の「mallory」: この自治体のユーザーではありません。" in text
    assert "10行目「役職」: 数式ではなく値を入力してください。" in text
    assert not BodyMember.objects.exists()


def test_a_missing_sheet_or_column_is_a_clear_message(cast):
    with pytest.raises(ValidationError, match="必須の列「役割」がありません"):
        body_import(
            user=cast.admin, municipality_id=cast.city.pk, data=_xlsx([], headers=["役職", "氏名"]), file_name="x.xlsx"
        )
    with pytest.raises(ValidationError, match="「推進体制」シートが見つかりません"):
        body_import(user=cast.admin, municipality_id=cast.city.pk, data=_xlsx(ROWS, sheet="名簿"), file_name="x.xlsx")
    with pytest.raises(ValidationError, match="読み込めません|壊れて|xlsx"):
        body_import(user=cast.admin, municipality_id=cast.city.pk, data=b"not a zip", file_name="x.xlsx")


def test_only_the_secretariat_imports(cast):
    for user in (cast.alice, cast.council, cast.mallory):
        with pytest.raises(PermissionDenied):
            body_import(user=user, municipality_id=cast.city.pk, data=_xlsx(ROWS), file_name="x.xlsx")
    assert not BodyMember.objects.exists()


def test_the_admin_page_imports_the_sheet(cast):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = Client()
    client.force_login(cast.admin)
    url = reverse("admin:governance_bodymember_import")
    assert client.get(url).status_code == 200
    upload = SimpleUploadedFile("推進体制.xlsx", _xlsx(ROWS))
    page = client.post(url, {"file": upload}).content.decode()
    assert "追加 4件" in page and BodyMember.objects.filter(municipality=cast.city).count() == 4
    export = client.get(reverse("admin:governance_bodymember_export"))
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    client.force_login(cast.alice)  # staff: not in the admin at all
    assert client.get(url).status_code == 302
