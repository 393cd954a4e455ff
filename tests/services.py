"""Tests that need a real service (PostgreSQL, Redis, Chromium) ask here.

On a newcomer's laptop without the service the test is skipped with the reason. In CI
(DXPORTAL_REQUIRE_SERVICES=1, set by .ci/run through ./dx.sh test) a missing service fails the test:
CI must never pass by skipping.
"""

from __future__ import annotations

import os
import shutil

import pytest

REQUIRE = os.getenv("DXPORTAL_REQUIRE_SERVICES", "") == "1"


def require(service: str, available: bool, how: str) -> None:
    if available:
        return
    message = f"{service} is not available ({how})"
    if REQUIRE:
        pytest.fail(f"CI requires {message}", pytrace=False)
    pytest.skip(message)


def redis_url() -> str:
    """A Redis URL for tests that need a real broker (DXPORTAL_TEST_REDIS_URL), or skip/fail."""
    url = os.getenv("DXPORTAL_TEST_REDIS_URL", "")
    available = False
    if url:
        import redis

        try:
            redis.Redis.from_url(url, socket_connect_timeout=2).ping()
            available = True
        except redis.RedisError:
            pass
    require("Redis", available, "set DXPORTAL_TEST_REDIS_URL to a running Redis, e.g. redis://127.0.0.1:6379/15")
    return url


def chromium_path() -> str:
    path = os.getenv("CHROMIUM_PATH", "/usr/bin/chromium")
    require(
        "Chromium",
        bool(shutil.which(path) or os.path.exists(path)),
        "install the Debian packages chromium and chromium-driver",
    )
    return path


def require_postgresql() -> None:
    from django.db import connection

    require("PostgreSQL", connection.vendor == "postgresql", "run with DATABASE_URL=postgres://…")
