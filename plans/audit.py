"""The audit log: who did what, when, from where.

`record()` is the one way to write an AuditEvent; imports and exports call it with action="import" / "export".
Logins, logouts, failed logins, permission changes (role groups, departments, memberships) and data changes
(every history record simple-history writes, plus progress reports and due-date requests when created) are
recorded by the signal receivers below, connected in PlansConfig.ready(). Passwords are never stored.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.http import HttpRequest
from django.utils import timezone
from simple_history.signals import post_create_historical_record

from .models import AuditEvent, Membership

_SENSITIVE_KEY_PARTS = ("password", "secret", "token")


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or — only when settings.TRUSTED_PROXY says a proxy of ours sits in
    front — the last X-Forwarded-For entry (the one that proxy appended; earlier ones are client-supplied)."""
    remote = request.META.get("REMOTE_ADDR", "")
    if getattr(settings, "TRUSTED_PROXY", False):
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded and _is_ip(forwarded[-1]):
            return forwarded[-1]
    return remote if _is_ip(remote) else ""


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        return False


def record(
    *, request: HttpRequest | None = None, user=None, action: str, target: str = "", username: str = "", **detail
) -> AuditEvent:
    """Append one AuditEvent. `user` defaults to the request's user; `detail` must be JSON-able (dates are fine)
    and never keeps keys that look like passwords, secrets or tokens."""
    if action not in AuditEvent.Action.values:
        raise ValueError(f"Unknown audit action {action!r}; expected one of {AuditEvent.Action.values}")
    if user is None and request is not None and getattr(request, "user", None) is not None:
        if request.user.is_authenticated:
            user = request.user
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    clean = {k: v for k, v in detail.items() if not any(part in k.lower() for part in _SENSITIVE_KEY_PARTS)}
    return AuditEvent.objects.create(
        user=user,
        username=(username or (user.get_username() if user is not None else ""))[:150],
        action=action,
        target=str(target)[:255],
        ip_address=(client_ip(request) or None) if request is not None else None,
        detail=json.loads(json.dumps(clean, cls=DjangoJSONEncoder)),
    )


def _current_request() -> HttpRequest | None:
    # simple_history's HistoryRequestMiddleware keeps the request of this thread; reuse it to know who acted.
    from simple_history.models import HistoricalRecords

    return getattr(HistoricalRecords.context, "request", None)


# --- logins ----------------------------------------------------------------------------------


def on_logged_in(sender, request, user, **kwargs) -> None:
    record(request=request, user=user, action=AuditEvent.Action.LOGIN, target=user.get_username())


def on_logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        record(request=request, user=user, action=AuditEvent.Action.LOGOUT, target=user.get_username())


def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    # Only the name that was tried: Django has already masked the password, and we do not keep even that.
    tried = str(credentials.get(get_user_model().USERNAME_FIELD) or credentials.get("username") or "")[:150]
    record(request=request, action=AuditEvent.Action.LOGIN_FAILED, target=tried, username=tried)


# --- permission changes ----------------------------------------------------------------------


def _mark_raw(sender, instance, raw=False, **kwargs) -> None:
    # loaddata (a restore) saves with raw=True and then sets m2m on the same instance: not a change by anyone.
    if raw:
        instance._audit_raw = True


def _permission_change(*, target: str, **detail) -> None:
    request = _current_request()
    record(request=request, action=AuditEvent.Action.PERMISSION_CHANGE, target=target, **detail)


def on_membership_saved(sender, instance: Membership, created: bool, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    _permission_change(
        target=instance.user.get_username(),
        field="membership",
        change="created" if created else "changed",
        municipality=instance.municipality_id,
        compare_scope=instance.compare_scope,
    )


def on_groups_changed(sender, instance, action: str, reverse: bool, model, pk_set, **kwargs) -> None:
    _m2m_changed(instance=instance, action=action, reverse=reverse, model=model, pk_set=pk_set, field="groups")


def on_departments_changed(sender, instance, action: str, reverse: bool, model, pk_set, **kwargs) -> None:
    _m2m_changed(instance=instance, action=action, reverse=reverse, model=model, pk_set=pk_set, field="departments")


def _m2m_changed(*, instance, action: str, reverse: bool, model, pk_set, field: str) -> None:
    if action not in ("post_add", "post_remove", "post_clear") or getattr(instance, "_audit_raw", False):
        return
    if action != "post_clear" and not pk_set:
        return
    change = action.removeprefix("post_")
    if reverse:
        # e.g. group.user_set.add(user): one event per affected user, naming the group/department.
        for other in model.objects.filter(pk__in=pk_set or []):
            _permission_change(target=_name(other), field=field, change=change, values=[str(instance)])
        return
    values = sorted(str(obj) for obj in model.objects.filter(pk__in=pk_set)) if pk_set else []
    _permission_change(target=_name(instance), field=field, change=change, values=values)


def _name(obj) -> str:
    if isinstance(obj, Membership):
        return obj.user.get_username()
    if hasattr(obj, "get_username"):
        return obj.get_username()
    return str(obj)


# --- data changes ----------------------------------------------------------------------------
# Every model with a simple-history record (plans, measures, milestones, KPIs and their values) is audited
# through the history it already writes; the append-only records without one (progress reports, due-date
# requests) when they are created. By model label, so this module needs no import of the apps above it.

AUDITED_CREATES = {"measures.progressupdate", "milestones.duedatechangerequest"}
_SKIPPED_FIELDS = {"updated_at", "version", "updated_by", "sort_order"}


def _json_value(value):
    if isinstance(value, dt.datetime):
        return f"{timezone.localtime(value):%Y/%m/%d %H:%M:%S} JST"  # the log reads in Japanese time
    if isinstance(value, dt.date):
        return f"{value:%Y/%m/%d}"
    return value if isinstance(value, (int, float, bool, type(None))) else str(value)


def on_history_record(sender, instance, history_instance, **kwargs) -> None:
    kind = {"+": "created", "~": "changed", "-": "deleted"}.get(history_instance.history_type, "changed")
    changes = []
    if kind == "changed":
        previous = history_instance.prev_record
        if previous is not None:
            delta = history_instance.diff_against(previous)
            changes = [
                {
                    "field": str(instance._meta.get_field(c.field).verbose_name),
                    "before": _json_value(c.old),
                    "after": _json_value(c.new),
                }
                for c in delta.changes
                if c.field not in _SKIPPED_FIELDS
            ]
            if not changes:
                return  # a save that changed nothing a reader cares about
    user = history_instance.history_user
    record(
        request=_current_request(),
        user=user,
        action=AuditEvent.Action.DATA_CHANGE,
        target=f"{instance._meta.verbose_name} {instance}",
        model=instance._meta.label_lower,
        pk=instance.pk,
        change=kind,
        history_id=history_instance.pk,
        changes=changes,
        reason=history_instance.history_change_reason or "",
    )


def on_created(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if not created or raw or sender._meta.label_lower not in AUDITED_CREATES:
        return
    user = getattr(instance, "author", None) or getattr(instance, "requested_by", None)
    fields = {
        str(f.verbose_name): _json_value(f.value_from_object(instance))
        for f in sender._meta.concrete_fields
        if not f.is_relation and f.name not in ("id",)
    }
    record(
        request=_current_request(),
        user=user,
        action=AuditEvent.Action.DATA_CHANGE,
        target=f"{sender._meta.verbose_name} {instance}",
        model=sender._meta.label_lower,
        pk=instance.pk,
        change="created",
        values=fields,
    )


def connect_signals() -> None:
    User = get_user_model()
    user_logged_in.connect(on_logged_in, dispatch_uid="audit.logged_in")
    user_logged_out.connect(on_logged_out, dispatch_uid="audit.logged_out")
    user_login_failed.connect(on_login_failed, dispatch_uid="audit.login_failed")
    pre_save.connect(_mark_raw, sender=User, dispatch_uid="audit.raw_user")
    pre_save.connect(_mark_raw, sender=Membership, dispatch_uid="audit.raw_membership")
    post_save.connect(on_membership_saved, sender=Membership, dispatch_uid="audit.membership_saved")
    m2m_changed.connect(on_groups_changed, sender=User.groups.through, dispatch_uid="audit.groups")
    m2m_changed.connect(on_departments_changed, sender=Membership.departments.through, dispatch_uid="audit.departments")
    post_create_historical_record.connect(on_history_record, dispatch_uid="audit.history_record")
    post_save.connect(on_created, dispatch_uid="audit.created")
