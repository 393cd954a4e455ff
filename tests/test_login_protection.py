"""Failed-login lockout (django-axes), password policy, session expiry and a configurable admin URL."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory


def _post_login(client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_a_correct_password_logs_in(client, cast):
    response = _post_login(client, "alice", PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse("home")


def test_the_account_is_locked_after_the_failure_limit_even_with_the_right_password(client, cast):
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5  # the documented default
    for _ in range(limit - 1):
        assert _post_login(client, "alice", "wrong-password").status_code == 200  # the form again
    locked = _post_login(client, "alice", "wrong-password")
    assert locked.status_code == 429
    assert "ログインが一時的に制限されています" in locked.content.decode()
    assert "30分間" in locked.content.decode()

    again = _post_login(client, "alice", PASSWORD)
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_lockout_of_one_account_does_not_lock_colleagues_behind_the_same_address(client, cast):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _post_login(client, "alice", "wrong-password")
    assert _post_login(client, "bob", PASSWORD).status_code == 302


def test_failures_below_the_limit_are_forgotten_after_a_successful_login(client, cast):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _post_login(client, "alice", "wrong-password")
    assert _post_login(client, "alice", PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _post_login(client, "alice", "wrong-password")
    assert _post_login(client, "alice", PASSWORD).status_code == 302


def test_the_admin_login_is_locked_out_too(client, cast):
    url = reverse("admin:login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": "admin1", "password": "wrong-password"})
    response = client.post(url, {"username": "admin1", "password": PASSWORD})
    assert response.status_code == 429


def test_the_test_clients_login_helper_still_works_with_axes_installed(client, cast):
    assert client.login(username="alice", password=PASSWORD) is True
    assert client.get(reverse("work:mine")).status_code == 200  # logged in: not sent to the login page
    assert client.login(username="alice", password="wrong-password") is False


@pytest.mark.parametrize("password", ["short1!", "dxportal", "1234567890123", "password123"])
def test_weak_passwords_are_rejected(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_a_long_uncommon_password_is_accepted():
    validate_password("sakuradai-dx-2026-kanri")


def _logged_in(client) -> bool:
    response = client.get(reverse("work:mine"))
    return response.status_code == 200


def test_an_idle_session_expires_but_an_active_one_lives_on(client, cast, settings):
    settings.SESSION_COOKIE_AGE = 3600
    settings.SESSION_REFRESH_SECONDS = 300
    start = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        client.force_login(cast.alice)
        assert _logged_in(client)
        assert client.cookies[settings.SESSION_COOKIE_NAME]["httponly"]
        for _ in range(8):  # active every 10 minutes for 80 minutes: longer than the session age
            clock.shift(dt.timedelta(minutes=10))
            assert _logged_in(client)
        clock.shift(dt.timedelta(seconds=3600 + 1))  # then idle for more than an hour
        assert not _logged_in(client)


def test_a_page_view_within_the_refresh_interval_does_not_write_the_session(client, cast, settings):
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(cast.alice)
    client.get(reverse("work:mine"))  # refreshes the expiry once
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("work:mine")).status_code == 200
    writes = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].startswith(("UPDATE", "INSERT")) and Session._meta.db_table in q["sql"]
    ]
    assert writes == []


def test_the_admin_url_comes_from_the_environment():
    env = {**os.environ, "ADMIN_URL": "/kanri-3f9a/", "DJANGO_SETTINGS_MODULE": "dxportal.settings"}
    code = "import django; django.setup(); from django.urls import reverse; print(reverse('admin:index'))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "/kanri-3f9a/"
