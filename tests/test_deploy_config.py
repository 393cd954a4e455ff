"""docker-compose.yml, the Dockerfile and .env.example agree with the settings module (Docker itself is not
needed: the files are parsed)."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import dj_database_url
import pytest
import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = ("web", "worker", "beat")
DOCKERFILE = (ROOT / "Dockerfile").read_text()
ENV_EXAMPLE = (ROOT / ".env.example").read_text()


def settings_env_vars() -> set[str]:
    """Every environment variable dxportal/settings.py reads (os.getenv, os.environ.get/[...], envbool/int/list)."""
    tree = ast.parse((ROOT / "dxportal" / "settings.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            if (isinstance(func, ast.Name) and func.id in {"envbool", "envint", "envlist"}) or (
                isinstance(func, ast.Attribute)
                and (
                    func.attr == "getenv"
                    or (func.attr == "get" and isinstance(func.value, ast.Attribute) and func.value.attr == "environ")
                )
            ):
                names.add(node.args[0].value)
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "environ"
            and isinstance(node.slice, ast.Constant)
        ):
            names.add(node.slice.value)
    return names


def documented_env_vars() -> set[str]:
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE, flags=re.MULTILINE))


def compose_interpolated_vars() -> set[str]:
    text = (ROOT / "docker-compose.yml").read_text().replace("$$", "")
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", text))


def command_text(service: str) -> str:
    command = SERVICES[service].get("command", "")
    return " ".join(command) if isinstance(command, list) else command


def test_the_settings_parser_finds_the_variables_we_know_about():
    found = settings_env_vars()
    assert {
        "DATABASE_URL",
        "REDIS_URL",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DEBUG",
        "EMAIL_HOST",
        "TRUSTED_PROXY",
        "AXES_FAILURE_LIMIT",
        "ADMIN_URL",
    } <= found


def test_every_variable_the_settings_read_is_documented_in_env_example():
    missing = settings_env_vars() - documented_env_vars()
    assert not missing, f"add these to .env.example: {sorted(missing)}"


def test_every_variable_the_compose_file_interpolates_is_documented():
    missing = compose_interpolated_vars() - documented_env_vars()
    assert not missing, f"add these to .env.example: {sorted(missing)}"


def test_every_variable_compose_sets_for_the_app_is_read_by_the_settings():
    read = settings_env_vars()
    for service in APP_SERVICES:
        assert set(SERVICES[service]["environment"]) <= read
        assert SERVICES[service]["env_file"] == ".env"


def test_env_example_is_not_a_usable_production_secret():
    example = dict(re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", ENV_EXAMPLE, flags=re.MULTILINE))
    assert example["SECRET_KEY"].startswith("change-me")
    assert example["POSTGRES_PASSWORD"].startswith("change-me")


def test_the_stack_has_exactly_the_expected_services():
    assert set(SERVICES) == {"db", "redis", "web", "worker", "beat", "mailpit"}
    assert SERVICES["mailpit"]["profiles"] == ["mail"]
    assert all("profiles" not in SERVICES[name] for name in ("db", "redis", "web", "worker", "beat"))


@pytest.mark.parametrize("service", ["db", "redis", "web", "worker", "beat", "mailpit"])
def test_every_service_has_a_healthcheck(service):
    test = SERVICES[service]["healthcheck"]["test"]
    assert test[0] in {"CMD", "CMD-SHELL"} and len(test) >= 2


def test_postgresql_keeps_its_data_in_a_named_volume():
    volume, mount = SERVICES["db"]["volumes"][0].split(":")
    assert mount == "/var/lib/postgresql/data"
    assert volume in COMPOSE["volumes"]


def test_the_app_talks_to_the_compose_database_and_redis():
    db_env = SERVICES["db"]["environment"]
    for service in APP_SERVICES:
        env = SERVICES[service]["environment"]
        db = dj_database_url.parse(
            env["DATABASE_URL"].replace("${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}", "pw")
        )
        assert db["ENGINE"] == "django.db.backends.postgresql"
        assert (db["HOST"], db["NAME"], db["USER"]) == ("db", db_env["POSTGRES_DB"], db_env["POSTGRES_USER"])
        assert env["REDIS_URL"].startswith("redis://redis:6379/")
        assert env["DEBUG"] == "False"


def test_app_services_start_only_after_their_dependencies_are_healthy():
    for service in APP_SERVICES:
        deps = SERVICES[service]["depends_on"]
        assert deps["db"]["condition"] == deps["redis"]["condition"] == "service_healthy"
    for service in ("worker", "beat"):
        assert SERVICES[service]["depends_on"]["web"]["condition"] == "service_healthy"  # migrations ran


def test_web_migrates_then_execs_gunicorn_on_the_wsgi_application():
    command = command_text("web")
    assert command.index("manage.py migrate --noinput") < command.index("exec gunicorn dxportal.wsgi:application")
    assert "--bind 0.0.0.0:8000" in command
    assert SERVICES["web"]["ports"][0].endswith(":8000")
    from dxportal.wsgi import application

    assert callable(application)


def test_static_files_are_collected_into_the_image_and_served_by_whitenoise():
    assert "manage.py collectstatic --noinput" in DOCKERFILE
    assert settings.MIDDLEWARE[:2] == [
        "django.middleware.security.SecurityMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
    ]
    requirements = (ROOT / "requirements.txt").read_text()
    assert re.search(r"^whitenoise==", requirements, re.MULTILINE)
    assert re.search(r"^gunicorn==", requirements, re.MULTILINE)


def test_exactly_one_beat_and_workers_without_an_embedded_beat():
    beats = [name for name in SERVICES if re.search(r"\bcelery\b.*\bbeat\b", command_text(name))]
    assert beats == ["beat"]
    assert "deploy" not in SERVICES["beat"] or SERVICES["beat"]["deploy"].get("replicas", 1) == 1
    worker = command_text("worker")
    assert "celery -A dxportal worker" in worker
    assert " -B" not in worker and "--beat" not in worker


def test_the_celery_app_named_in_the_commands_exists():
    from dxportal.celery import app

    assert app.main == "dxportal"


def test_healthcheck_scripts_named_in_compose_exist_and_reach_the_image():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for service in SERVICES.values():
        for part in service["healthcheck"]["test"]:
            if part.endswith(".py"):
                assert (ROOT / part).is_file()
                assert part.split("/")[0] not in ignored


def test_the_dockerfile_builds_from_requirements_and_runs_unprivileged():
    assert re.search(r"^FROM python:3\.11", DOCKERFILE, re.MULTILINE)
    assert "COPY requirements.txt" in DOCKERFILE and "pip install -r requirements.txt" in DOCKERFILE
    user_line = re.findall(r"^USER (\S+)", DOCKERFILE, re.MULTILINE)
    assert user_line and user_line[-1] not in {"root", "0"}
    assert "EXPOSE 8000" in DOCKERFILE


def test_secrets_and_local_state_stay_out_of_the_image():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", ".venv", ".git"} <= set(ignored)
    assert any(pattern.startswith("*.sqlite3") for pattern in ignored)


def _run_healthcheck(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "healthcheck.py"), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_the_web_healthcheck_passes_against_a_running_server(live_server):
    result = _run_healthcheck(HEALTHCHECK_URL=f"{live_server.url}/healthz", ALLOWED_HOSTS="localhost,dx.example.lg.jp")
    assert result.returncode == 0, result.stderr


def test_the_web_healthcheck_fails_when_nothing_answers():
    result = _run_healthcheck(HEALTHCHECK_URL="http://127.0.0.1:1/healthz")
    assert result.returncode == 1 and "unhealthy" in result.stderr


def test_the_broker_healthcheck_pings_redis():
    from tests.services import redis_url

    assert _run_healthcheck("redis", REDIS_URL=redis_url()).returncode == 0
    assert _run_healthcheck("redis", REDIS_URL="redis://127.0.0.1:1/0").returncode == 1
