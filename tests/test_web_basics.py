import pytest
from django.db import connections
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_healthz_reports_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["database"]["ok"] is True


def test_healthz_reports_a_down_database_as_unhealthy_json(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        from django.db import OperationalError

        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(connections["default"], "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy"
    assert "Connection refused" in body["checks"]["database"]["detail"]


def test_healthz_reports_unreachable_redis(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"]["ok"] is False


def test_login_page_is_japanese(client):
    response = client.get(reverse("login"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="ja">' in html
    assert "ログイン" in html and "パスワード" in html


def test_login_page_stays_japanese_for_an_english_browser(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="ja">' in response.content.decode()


def test_english_is_available_when_the_user_chooses_it(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    page = client.get(reverse("login")).content.decode()
    assert '<html lang="en">' in page
    assert '<option value="en" selected>' in page


def test_wrong_password_gets_a_japanese_error_not_a_500(client, cast):
    response = client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert "正しいユーザー名とパスワードを入力してください" in response.content.decode()


def test_home_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_home_shows_only_the_users_municipality(client, cast):
    client.force_login(cast.admin)  # staff land on 「担当の取組」 instead (tests/test_staff_updates.py)
    html = client.get("/").content.decode()
    assert cast.plan.title in html
    assert cast.other_plan.title not in html


def test_admin_shows_the_demo_plan_with_all_eleven_items(client, settings):
    from django.contrib.auth.models import User

    from devdata.demo import seed_demo

    seed_demo()
    client.force_login(User.objects.get(username="admin"))
    assert "さくら台市DX推進計画" in client.get("/admin/plans/plan/").content.decode()
    from plans.models import FrameworkEdition

    v1 = FrameworkEdition.objects.get(code="v1.0")
    items_page = client.get(f"/admin/plans/nationalitem/?edition__id__exact={v1.pk}").content.decode()
    assert "デジタルデバイド対策" in items_page and "官民データ活用推進計画策定の推進" in items_page
    from measures.models import Measure

    measure = Measure.objects.get(code="M01", plan__code="dx-plan")
    page = client.get(f"/admin/measures/measure/{measure.pk}/change/").content.decode()
    assert "M01-1" in page  # milestones inline under their measure


def test_non_superuser_admin_sees_only_their_city_in_django_admin(client, cast):
    client.force_login(cast.admin)
    html = client.get("/admin/measures/measure/").content.decode()
    assert str(cast.plan) in html
    assert str(cast.other_plan) not in html
    assert client.get(f"/admin/measures/measure/{cast.other_measure.pk}/change/").status_code in (302, 404)


def test_detail_pages_show_own_city_and_hide_other_cities(client, cast):
    client.force_login(cast.bob)
    assert cast.measure.title in client.get(f"/measures/{cast.measure.pk}/").content.decode()
    assert cast.milestone.title in client.get(f"/milestones/{cast.milestone.pk}/").content.decode()
    assert client.get(f"/measures/{cast.other_measure.pk}/").status_code == 404
