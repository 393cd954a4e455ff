"""Production settings: `check --deploy` is clean, security headers are sent, HTTPS is enforced behind a proxy."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'"
)


def production_env(**overrides: str) -> dict[str, str]:
    # Start from this shell minus anything that would change the verdict (the browser tests' async switch included).
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SECURE_", "SESSION_", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "dxportal.settings",
            "DEBUG": "False",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "dx.example.lg.jp",
            "CSRF_TRUSTED_ORIGINS": "https://dx.example.lg.jp",
            "TRUSTED_PROXY": "True",
        }
    )
    env.update(overrides)
    return env


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_the_production_environment():
    result = check_deploy(production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr


def test_check_deploy_would_catch_a_production_setting_turned_off():
    result = check_deploy(production_env(SECURE_SSL_REDIRECT="False", SECURE_COOKIES="False"))
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "security.W008" in output and "security.W012" in output and "security.W016" in output


def test_the_settings_refuse_to_start_without_a_secret_key_in_production():
    env = production_env()
    del env["SECRET_KEY"]
    result = check_deploy(env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.django_db
def test_every_response_carries_the_security_headers(client):
    response = client.get(reverse("login"))
    assert response["Content-Security-Policy"].startswith(CSP)
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "camera=()" in response["Permissions-Policy"]


@pytest.mark.django_db
def test_the_admin_gets_the_same_policy(client, cast):
    client.force_login(cast.admin)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert response["Content-Security-Policy"].startswith(CSP)


@pytest.fixture
def production_https(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True


@pytest.mark.django_db
def test_plain_http_is_redirected_to_https(client, production_https):
    response = client.get(reverse("login"))
    assert response.status_code == 301
    assert response.url.startswith("https://")


@pytest.mark.django_db
def test_https_from_the_trusted_proxy_is_served_with_hsts_and_secure_cookies(client, production_https):
    response = client.get(reverse("login"), HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response.cookies[settings.CSRF_COOKIE_NAME]["secure"]


@pytest.mark.django_db
def test_the_container_healthcheck_is_not_redirected(client, production_https):
    assert client.get("/healthz").status_code == 200


def test_production_defaults_follow_debug_off():
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=production_env(), capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == [False, True, True, True, 31536000, ["HTTP_X_FORWARDED_PROTO", "https"]]
