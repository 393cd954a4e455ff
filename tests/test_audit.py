"""The audit log: logins, failed logins, logouts, permission changes, and record() for imports/exports."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.urls import reverse

from plans import audit
from plans.models import AuditEvent, Membership

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def test_a_login_is_recorded_with_user_time_and_address(client, cast):
    client.post(reverse("login"), {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="10.1.2.3")
    (event,) = _events("login")
    assert event.user == cast.alice and event.username == "alice"
    assert event.ip_address == "10.1.2.3"
    assert event.at is not None


def test_a_failed_login_keeps_the_name_tried_but_never_the_password(client, cast):
    client.post(reverse("login"), {"username": "alice", "password": "Tsukishima-secret-99"}, REMOTE_ADDR="10.9.9.9")
    (event,) = _events("login_failed")
    assert event.user is None
    assert event.username == "alice" and event.target == "alice"
    assert event.ip_address == "10.9.9.9"
    stored = f"{event.detail} {event.target} {event.username}"
    assert "Tsukishima" not in stored and "password" not in stored.lower()


def test_a_logout_is_recorded(client, cast):
    client.force_login(cast.alice)
    client.post(reverse("logout"))
    (event,) = _events("logout")
    assert event.user == cast.alice


def test_the_forwarded_address_is_ignored_unless_a_trusted_proxy_is_configured(rf, settings, cast):
    request = rf.get("/", REMOTE_ADDR="172.18.0.5", HTTP_X_FORWARDED_FOR="203.0.113.7, 198.51.100.20")
    settings.TRUSTED_PROXY = False
    assert audit.client_ip(request) == "172.18.0.5"
    settings.TRUSTED_PROXY = True
    # Only the entry our proxy appended (the last) is believed; the first one is whatever the client sent.
    assert audit.client_ip(request) == "198.51.100.20"


def test_a_garbage_forwarded_header_falls_back_to_the_socket_address(rf, settings):
    settings.TRUSTED_PROXY = True
    request = rf.get("/", REMOTE_ADDR="172.18.0.5", HTTP_X_FORWARDED_FOR="<script>")
    assert audit.client_ip(request) == "172.18.0.5"


def test_record_is_what_imports_and_exports_call(cast):
    request = RequestFactory().post("/imports/", REMOTE_ADDR="10.0.0.8")
    request.user = cast.admin
    event = audit.record(
        request=request,
        action="import",
        target=f"plan:{cast.plan.pk}",
        file_name="計画.xlsx",
        rows=120,
        on=datetime.date(2026, 4, 1),
        password="never-kept",
        api_token="nope",
    )
    event.refresh_from_db()
    assert event.action == "import" and event.user == cast.admin and event.ip_address == "10.0.0.8"
    assert event.detail == {"file_name": "計画.xlsx", "rows": 120, "on": "2026-04-01"}

    export = audit.record(user=cast.council, action="export", target="measures.csv")
    assert export.username == "council1" and export.ip_address is None


def test_record_refuses_an_unknown_action(cast):
    with pytest.raises(ValueError):
        audit.record(user=cast.admin, action="imprt")


def test_adding_and_removing_a_role_group_is_a_permission_change(cast):
    AuditEvent.objects.all().delete()
    admin_group = Group.objects.get(name="admin")
    cast.bob.groups.add(admin_group)
    cast.bob.groups.remove(admin_group)
    add, remove = _events("permission_change")
    assert (add.target, add.detail["field"], add.detail["change"], add.detail["values"]) == (
        "bob",
        "groups",
        "add",
        ["admin"],
    )
    assert (remove.target, remove.detail["change"]) == ("bob", "remove")


def test_adding_a_user_from_the_group_side_is_recorded_against_the_user(cast):
    AuditEvent.objects.all().delete()
    Group.objects.get(name="council").user_set.add(cast.viewer)
    (event,) = _events("permission_change")
    assert event.target == "viewer1" and event.detail["values"] == ["council"]


def test_changing_a_members_departments_is_a_permission_change(cast):
    AuditEvent.objects.all().delete()
    cast.bob.membership.departments.add(cast.joho)
    (event,) = _events("permission_change")
    assert event.target == "bob"
    assert event.detail["field"] == "departments" and event.detail["values"] == [str(cast.joho)]


def test_saving_a_membership_is_a_permission_change(cast):
    AuditEvent.objects.all().delete()
    membership = Membership.objects.get(user=cast.viewer)
    membership.compare_scope = "national"
    membership.save()
    (event,) = _events("permission_change")
    assert event.detail["change"] == "changed" and event.detail["compare_scope"] == "national"


def test_a_change_in_the_admin_names_the_admin_who_made_it(client, cast):
    AuditEvent.objects.all().delete()
    superuser = cast.admin
    superuser.is_superuser = True
    superuser.save()
    client.force_login(superuser)
    url = reverse("admin:plans_membership_change", args=[cast.bob.membership.pk])
    response = client.post(
        url,
        {
            "user": cast.bob.pk,
            "municipality": cast.city.pk,
            "departments": [cast.shimin.pk, cast.joho.pk],
            "display_name": "bob",
            "receives_reminders": "on",
            "compare_scope": "",
        },
        REMOTE_ADDR="10.4.4.4",
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    events = _events("permission_change")
    assert {e.detail["field"] for e in events} >= {"membership", "departments"}
    assert all(e.user == superuser and e.ip_address == "10.4.4.4" for e in events)


def test_the_audit_log_is_readable_but_not_editable_in_the_admin(client, cast):
    event = audit.record(user=cast.alice, action="export", target="x.csv")
    client.force_login(cast.admin)
    assert client.get(reverse("admin:plans_auditevent_changelist")).status_code == 200
    assert client.get(reverse("admin:plans_auditevent_change", args=[event.pk])).status_code == 200
    assert client.get(reverse("admin:plans_auditevent_add")).status_code == 403
    assert client.post(reverse("admin:plans_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_staff_cannot_open_the_audit_log(client, cast):
    client.force_login(cast.alice)
    assert client.get(reverse("admin:plans_auditevent_changelist")).status_code == 302  # not is_staff: to login


def test_a_city_admin_sees_only_the_audit_events_of_its_own_people(client, cast):
    audit.record(user=cast.alice, action="export", target="ours.csv")
    audit.record(user=cast.mallory, action="export", target="theirs.csv")
    audit.record(action="login_failed", username="mallory", target="mallory")
    audit.record(action="login_failed", username="bob", target="bob")
    client.force_login(cast.admin)
    html = client.get(reverse("admin:plans_auditevent_changelist") + "?action__exact=export").content.decode()
    assert "ours.csv" in html and "theirs.csv" not in html
    failed = client.get(reverse("admin:plans_auditevent_changelist") + "?action__exact=login_failed")
    assert ">bob<" in failed.content.decode() and ">mallory<" not in failed.content.decode()


def test_dashboard_and_api_csv_exports_are_audited(client, cast):
    from django.urls import reverse

    from plans.models import AuditEvent

    client.force_login(cast.council)
    response = client.get(reverse("dashboard:export", kwargs={"table": "items", "fmt": "csv"}))
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="export", user=cast.council)
    assert event.detail["table"] == "items" and event.detail["format"] == "csv"
    assert client.get("/api/measures/?format=csv").status_code == 200
    assert AuditEvent.objects.filter(action="export", user=cast.council, target__startswith="API").count() == 1
