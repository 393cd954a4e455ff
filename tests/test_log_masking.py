"""Logs never carry a password, a secret or a personal e-mail address (the handler-level filter masks them)."""

import io
import logging

import pytest
from django.urls import reverse

from dxportal.logging_filters import mask

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


@pytest.fixture
def log_output():
    """Everything the configured console handler writes, at DEBUG level, with the real filter chain."""
    root = logging.getLogger()
    handlers = [h for h in root.handlers if isinstance(h, logging.StreamHandler) and h.filters]
    assert handlers, "settings.LOGGING's console handler (with its filter) is not installed"
    stream = io.StringIO()
    old = [(h, h.setStream(stream)) for h in handlers]
    old_levels = {name: logging.getLogger(name).level for name in ("", "axes", "django")}
    for name in old_levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield stream
    for handler, previous in old:
        handler.setStream(previous)
    for name, level in old_levels.items():
        logging.getLogger(name).setLevel(level)


def test_a_failed_login_with_an_email_address_leaves_neither_address_nor_password_in_the_logs(
    client, cast, log_output, settings
):
    settings.AXES_VERBOSE = True  # axes then logs every attempt with the name tried
    cast.alice.email = "hanako.yamada@city.sakuradai.lg.jp"
    cast.alice.save()
    client.post(reverse("login"), {"username": "hanako.yamada@city.sakuradai.lg.jp", "password": "Himitsu-pass-2026"})
    client.post(reverse("login"), {"username": "alice", "password": "Himitsu-pass-2026"})
    logging.getLogger("plans").warning("reminder bounced for %s", cast.alice.email)
    written = log_output.getvalue()
    assert "reminder bounced for ***" in written  # the pipeline did write
    assert "AXES: User login failed" in written
    assert "hanako.yamada" not in written
    assert "Himitsu-pass-2026" not in written


def test_a_password_change_leaves_no_password_or_hash_in_the_logs(client, cast, log_output):
    cast.admin.is_superuser = True
    cast.admin.save()
    client.force_login(cast.admin)
    new = "Sakuradai-kanri-2026!"
    response = client.post(
        reverse("admin:password_change"), {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    cast.admin.refresh_from_db()
    logging.getLogger("django.request").error(
        "debug dump: user=%r hash=%s new_password1=%s", cast.admin.username, cast.admin.password, new
    )
    written = log_output.getvalue()
    assert "debug dump" in written
    assert new not in written and PASSWORD not in written
    assert cast.admin.password not in written


def test_a_secret_key_or_database_password_in_a_message_is_masked(settings, log_output):
    settings.SECRET_KEY = "k3y-" + "q" * 60
    logging.getLogger("celery").error(
        "boot with %s and postgres://dxportal:S3cretDb@db:5432/dxportal", settings.SECRET_KEY
    )
    written = log_output.getvalue()
    assert "postgres://dxportal:***@db:5432/dxportal" in written
    assert settings.SECRET_KEY not in written and "S3cretDb" not in written


def test_an_exception_traceback_is_masked_too(log_output):
    try:
        raise ValueError("could not mail taro@example.jp with password=hunter22")
    except ValueError:
        logging.getLogger("django.request").exception("failed")
    written = log_output.getvalue()
    assert "ValueError" in written
    assert "taro@example.jp" not in written and "hunter22" not in written


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("password=abc123&next=/", "password=***&next=/"),
        ("{'new_password1': 'x y', 'user': 'bob'}", "{'new_password1': ***, 'user': 'bob'}"),
        ("Authorization token: 8f0e", "Authorization token: ***"),
        ("mail to a.b+c@x.lg.jp failed", "mail to *** failed"),
        ("hash pbkdf2_sha256$870000$salt$abc=", "hash ***"),
        ("measure M01 updated by alice", "measure M01 updated by alice"),
    ],
)
def test_mask_rewrites_only_what_is_sensitive(raw, masked):
    assert mask(raw) == masked
