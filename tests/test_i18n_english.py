"""English (locale/en) is a complete, compiled catalogue and the portal really renders in it when chosen."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

EN_DIR = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"
PO_PATH = EN_DIR / "django.po"
MO_PATH = EN_DIR / "django.mo"


def _messages(catalogue) -> dict[tuple[str, str], tuple[str, ...]]:
    out = {}
    for entry in catalogue:
        if entry.obsolete or not entry.msgid:
            continue
        if entry.msgid_plural:
            translated = tuple(entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural))
        else:
            translated = (entry.msgstr,)
        out[(entry.msgid, entry.msgid_plural)] = translated
    return out


def _english(client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def _text_nodes(html: str) -> set[str]:
    """The page's visible text pieces (between tags), stripped: labels, not the test data inside them."""
    return {piece.strip() for piece in re.findall(r">([^<>]+)<", html) if piece.strip()}


def test_every_message_in_the_english_catalogue_is_translated_and_none_is_fuzzy():
    po = polib.pofile(str(PO_PATH))
    entries = [e for e in po if not e.obsolete]
    assert len(entries) > 400
    untranslated = [e.msgid for e in entries if not e.translated()]
    assert untranslated == []
    assert [e.msgid for e in entries if "fuzzy" in e.flags] == []
    empty_plurals = [e.msgid for e in entries if e.msgid_plural and not all(e.msgstr_plural.values())]
    assert empty_plurals == []


def test_every_message_marked_in_the_source_has_an_english_translation(tmp_path, settings, monkeypatch):
    """The committed catalogue can be complete and still stale: run makemessages over the source, into a copy.

    makemessages writes to the `locale` directory next to the files it reads, so it runs in a scratch tree of
    symlinks to the project's sources whose only `locale` is a copy of the English catalogue.
    """
    base = Path(settings.BASE_DIR)
    skipped = {"locale", "node_modules", "staticfiles", "artifacts"}
    for child in base.iterdir():
        if child.name not in skipped and not child.name.startswith("."):
            (tmp_path / child.name).symlink_to(child)
    fresh_dir = tmp_path / "locale" / "en" / "LC_MESSAGES"
    fresh_dir.mkdir(parents=True)
    shutil.copy(PO_PATH, fresh_dir / "django.po")
    committed = PO_PATH.read_bytes()
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(tmp_path)
    call_command("makemessages", locale=["en"], symlinks=True, verbosity=0)
    assert PO_PATH.read_bytes() == committed  # the real catalogue was not touched
    fresh = polib.pofile(str(fresh_dir / "django.po"))
    assert len([e for e in fresh if not e.obsolete]) > 400
    untranslated = [e.msgid for e in fresh if not e.obsolete and not e.translated()]
    assert untranslated == [], (
        f"{len(untranslated)} marked string(s) have no English translation: run makemessages, add them to "
        "locale/fill_en.py, run it and compilemessages (see its docstring)"
    )


def test_english_translations_keep_every_placeholder_of_the_japanese_source():
    placeholder = re.compile(r"%\([^)]+\)[sd]|%[sd]|\{[a-z_]*\}")
    po = polib.pofile(str(PO_PATH))
    wrong = []
    for entry in po:
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            if sorted(placeholder.findall(text)) != sorted(placeholder.findall(entry.msgid)):
                wrong.append((entry.msgid, text))
    assert wrong == []


def test_the_committed_mo_file_matches_the_po_file(tmp_path):
    fresh = tmp_path / "django.mo"
    polib.pofile(str(PO_PATH)).save_as_mofile(str(fresh))
    committed = _messages(polib.mofile(str(MO_PATH)))
    assert committed == _messages(polib.mofile(str(fresh))), (
        "locale/en/LC_MESSAGES/django.mo is stale: run `manage.py compilemessages -l en` and commit it"
    )


def test_the_japanese_catalogue_keeps_djangos_form_messages():
    ja = _messages(polib.pofile(str(Path(settings.BASE_DIR) / "locale" / "ja" / "LC_MESSAGES" / "django.po")))
    assert ja[("This field is required.", "")] == ("このフィールドは必須です。",)


@pytest.mark.django_db
def test_login_page_renders_in_english_with_the_language_cookie(client):
    _english(client)
    response = client.get(reverse("login"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in html
    assert response.headers["Content-Language"] == "en"
    for text in ("Log in to the DX Portal", "Username", "Password", "Skip to main content", "Language"):
        assert text in html
    for japanese in ("ログイン", "パスワード", "ユーザー名", "表示言語", "本文へ移動"):
        assert japanese not in html


def test_staff_work_page_renders_in_english(client, cast):
    _english(client)
    client.force_login(cast.alice)
    response = client.get(reverse("work:mine"))
    html = response.content.decode()
    assert response.status_code == 200
    for text in (
        "My department's work",
        "Milestones (nearest due first)",
        "Owner department",
        "Change password",
        "Notification settings",
        "Log out",
        "Report progress",
    ):
        assert text in html, text
    labels = _text_nodes(html)
    for japanese in ("担当の取組", "マイルストーン", "施策", "担当部署", "パスワード変更", "ログアウト", "進捗を報告"):
        assert japanese not in labels, japanese
    assert "担当の取組" not in html
    # Urgency labels are class-level constants: they must still follow the request's language.
    urgencies = re.findall(r'class="urgency-\w+">([^<]*)<', html)
    assert urgencies and set(urgencies) <= {"Overdue", "Within 30 days", "More than 30 days away", "Done / cancelled"}


def test_council_dashboard_renders_in_english(client, cast):
    _english(client)
    client.force_login(cast.council)
    response = client.get(reverse("dashboard:overview"))
    html = response.content.decode()
    assert response.status_code == 200
    for text in (
        "DX Promotion Plan progress dashboard",
        "Overall status",
        "Overdue milestones",
        "Progress by national item",
        "Timeline",
    ):
        assert text in html, text
    labels = _text_nodes(html)
    for japanese in (
        "進捗ダッシュボード",
        "全体の状況",
        "期限超過のマイルストーン",
        "工程表",
        "マイルストーン",
        "概要",
    ):
        assert japanese not in labels, japanese
    assert "DX推進計画 進捗ダッシュボード" not in html
    assert "基準日" not in html and "年" not in re.search(r'<p class="as-of">.*?</p>', html).group(0)
    assert "担当の取組" not in html  # council has no work page link, in either language


def test_admin_index_renders_in_english(client, cast):
    _english(client)
    client.force_login(cast.admin)
    response = client.get(f"/{settings.ADMIN_URL}")
    html = response.content.decode()
    assert response.status_code == 200
    for text in (
        "DX Portal administration",
        "Municipal DX promotion plan administration",
        "Measures &amp; indicators",
        "Milestones &amp; notifications",
        "Plans &amp; organisation",
    ):
        assert text in html, text
    for japanese in ("管理", "施策・指標", "マイルストーン", "計画・組織", "国の取組事項"):
        assert japanese not in html, japanese


def test_switching_back_to_japanese_restores_the_japanese_navigation(client, cast):
    client.force_login(cast.alice)
    client.post("/i18n/setlang/", {"language": "en", "next": "/work/"})
    assert "My department's work" in client.get(reverse("work:mine")).content.decode()
    client.post("/i18n/setlang/", {"language": "ja", "next": "/work/"})
    html = client.get(reverse("work:mine")).content.decode()
    assert "担当の取組" in html and "My department" not in html


def test_a_cached_japanese_dashboard_is_never_served_to_an_english_reader(client, cast, settings):
    settings.DASHBOARD_CACHE_SECONDS = 60
    client.force_login(cast.council)
    assert "全体の状況" in client.get(reverse("dashboard:overview")).content.decode()  # cached in Japanese
    _english(client)
    html = client.get(reverse("dashboard:overview")).content.decode()
    assert "Overall status" in html and "全体の状況" not in _text_nodes(html)
