"""Request and upload size limits enforced by Django itself: a Japanese 413 page, never a 500."""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_limits_fit_the_import_size():
    assert settings.IMPORT_MAX_BYTES == 10 * 1024 * 1024
    assert settings.IMPORT_MAX_BYTES < settings.REQUEST_MAX_BYTES <= settings.IMPORT_MAX_BYTES + 1024 * 1024
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 2_621_440
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= 2_621_440


def test_an_upload_over_the_limit_gets_a_japanese_413_page(client, cast):
    client.force_login(cast.admin)
    big = SimpleUploadedFile("計画.xlsx", b"x" * (settings.REQUEST_MAX_BYTES + 1))
    response = client.post(reverse("home"), {"file": big})
    assert response.status_code == 413
    html = response.content.decode()
    assert "ファイルが大きすぎます" in html and "10.5 MB" in html
    assert response["Connection"] == "close"


def test_the_413_page_is_served_to_anonymous_clients_too(client):
    response = client.post(
        reverse("login"), data=b"a" * (settings.REQUEST_MAX_BYTES + 1), content_type="application/octet-stream"
    )
    assert response.status_code == 413


def test_an_import_sized_upload_passes_the_guard(client, cast, settings):
    # Just under the limit passes the guard; what the view then does with the file is the view's business.
    settings.REQUEST_MAX_BYTES = 3 * 1024 * 1024
    client.force_login(cast.admin)
    response = client.post(reverse("home"), {"file": SimpleUploadedFile("a.csv", b"x" * (3 * 1024 * 1024 - 1024))})
    assert response.status_code != 413
    assert response.status_code < 500


def test_too_much_form_data_under_the_hard_limit_is_a_400_not_a_500(client, cast):
    client.force_login(cast.admin)
    response = client.post(
        reverse("login"), {"username": "a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10), "password": "x"}
    )
    assert response.status_code == 400
    assert "リクエストを処理できません" in response.content.decode()


def test_a_malformed_content_length_is_not_a_server_error(client):
    response = client.get(reverse("login"), CONTENT_LENGTH="not-a-number")
    assert response.status_code == 200
