"""Real Chromium (Debian's, never a downloaded one) driven by Playwright's sync API against pytest-django's
live_server. Browser tests need `@pytest.mark.django_db(transaction=True)` so the live server thread sees their
data (on SQLite in memory and on PostgreSQL alike). Not serialized_rollback: after another transactional test's
flush, restoring the serialized role groups collides with the ones post_migrate recreated; the `national_framework`
fixture (and `cast`) reload the national items a flush removes."""

from __future__ import annotations

import os

import pytest

from tests.services import chromium_path

# Playwright's sync API runs an event loop in this thread; the ORM calls of fixtures are still synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def login(page, live_server, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, f"login as {username} failed"


@pytest.fixture
def national_framework(transactional_db):
    """The national framework, reloaded after an earlier transactional test's flush removed it."""
    from tests.factories import ensure_national_framework

    ensure_national_framework()
