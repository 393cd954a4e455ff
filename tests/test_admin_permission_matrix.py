"""THE admin permission matrix: every model in `admin.site._registry` × every admin page × four people.

The people: a superuser, the admin (DX推進本部事務局) of city A, the admin of city B, and a staff member of city A
(no Django admin access). The subject of every row is one object of city A (or of the shared national framework),
so "admin_b" is the attacker: another city's admin. A model registered without a row in EXPECTED (and a subject in
SUBJECTS) fails `test_every_registered_model_has_a_row`, like tests/test_permission_matrix.py does for URLs.

Outcomes:
- SHOWN / HIDDEN: the page answers 200 and lists the subject / does not (changelist, export, autocomplete).
- EDIT / VIEW: the change page answers 200 with / without a save button.
- OK: 200. DELETED: the delete POST removed the subject. GONE: 404 or Django's "does not exist" redirect to the
  admin index (another city's object is not shown to exist). DENIED: 403. LOGIN: sent to the admin login.
- NA: the page does not exist for this model (no history revert without django-simple-history, no export, …).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.db import models
from django.test import Client
from django.urls import NoReverseMatch, reverse
from simple_history.admin import SimpleHistoryAdmin

from council import services as council_services
from governance.models import Action, BodyMember, BodyRole, Decision, Meeting, PlanRevision
from jobs.models import Job
from milestones.models import DueDateChangeRequest, ReminderLog
from plans import audit
from plans.admin_scoping import MunicipalityScopedAdmin, MunicipalityScopedInline
from plans.models import FrameworkEdition, ImportRun, ItemCrosswalk, NationalItem, Pillar

from .factories import (
    DepartmentFactory,
    IndicatorFactory,
    IndicatorValueFactory,
    MeasureFactory,
    MilestoneFactory,
    PlanFactory,
    ProgressUpdateFactory,
    make_user,
)

pytestmark = pytest.mark.django_db

SHOWN, HIDDEN, EDIT, VIEW, OK, DELETED = "shown", "hidden", "edit", "view", "200", "deleted"
GONE, DENIED, LOGIN, NA = "gone", "403", "login", "-"

PEOPLE = ("superuser", "admin_a", "admin_b", "staff")
ACTIONS = ("changelist", "add", "change", "history", "revert", "export", "import", "autocomplete", "delete")


def row(superuser: dict, admin_a: dict, admin_b: dict) -> dict[str, dict[str, str]]:
    # Staff have no Django admin access: every admin page sends them to log in as someone who has.
    staff = {action: NA if superuser[action] == NA else LOGIN for action in ACTIONS}
    return {"superuser": superuser, "admin_a": admin_a, "admin_b": admin_b, "staff": staff}


def everything(**overrides) -> dict[str, str]:
    base = dict(
        changelist=SHOWN,
        add=OK,
        change=EDIT,
        history=OK,
        revert=OK,
        export=SHOWN,
        import_=OK,
        autocomplete=SHOWN,
        delete=DELETED,
    )
    base |= overrides
    base["import"] = base.pop("import_")
    return base


def other_city(**overrides) -> dict[str, str]:
    """What another city's admin gets for one of city A's objects: nothing but an empty list."""
    base = dict(
        changelist=HIDDEN,
        add=OK,
        change=GONE,
        history=GONE,
        revert=GONE,
        export=HIDDEN,
        import_=GONE,
        autocomplete=HIDDEN,
        delete=GONE,
    )
    base |= overrides
    base["import"] = base.pop("import_")
    return base


def denied(superuser: dict[str, str]) -> dict[str, str]:
    return {action: NA if superuser[action] == NA else DENIED for action in ACTIONS}


def tenant_row(*, sup: dict | None = None, a: dict | None = None, b: dict | None = None, **common) -> dict:
    """A model owned by one municipality: the superuser and city A's admin may do everything, city B's admin
    sees nothing of it. `common` overrides apply to all three; sup/a/b to one of them."""
    return row(everything(**common | (sup or {})), everything(**common | (a or {})), other_city(**common | (b or {})))


def shared_row(**common) -> dict:
    """The national framework: every city's admin reads it; only a superuser changes it."""
    read_only = dict(add=DENIED, change=VIEW, delete=DENIED)
    return row(everything(**common), everything(**common | read_only), everything(**common | read_only))


def superuser_only_row(**sup) -> dict:
    """Accounts, groups, login-lockout records: not a city's business."""
    superuser = everything(**sup)
    return row(superuser, denied(superuser), denied(superuser))


NO_HISTORY_PAGES = dict(revert=NA)  # Django's own history page only (no django-simple-history)
NO_EXPORT = dict(export=NA, import_=NA)

EXPECTED: dict[str, dict[str, dict[str, str]]] = {
    "auth.user": superuser_only_row(**NO_HISTORY_PAGES, **NO_EXPORT),
    "auth.group": superuser_only_row(**NO_HISTORY_PAGES, **NO_EXPORT, autocomplete=NA),  # no FK points to it
    "axes.accessattempt": superuser_only_row(**NO_HISTORY_PAGES, **NO_EXPORT, add=DENIED, autocomplete=NA),
    "axes.accesslog": superuser_only_row(**NO_HISTORY_PAGES, **NO_EXPORT, add=DENIED, autocomplete=NA),
    "axes.accessfailurelog": superuser_only_row(**NO_HISTORY_PAGES, **NO_EXPORT, add=DENIED, autocomplete=NA),
    # Only a superuser adds or deletes a municipality (its delete page lists what protects it: OK, not DELETED).
    "plans.municipality": tenant_row(
        **NO_HISTORY_PAGES,
        **NO_EXPORT,
        sup={"delete": OK},
        a={"add": DENIED, "delete": DENIED},
        b={"add": DENIED, "delete": DENIED},
    ),
    "plans.department": tenant_row(**NO_HISTORY_PAGES, import_=NA),
    "plans.frameworkedition": shared_row(**NO_HISTORY_PAGES, **NO_EXPORT, autocomplete=NA),  # no search fields
    "plans.nationalitem": shared_row(**NO_HISTORY_PAGES, **NO_EXPORT),
    "plans.itemcrosswalk": shared_row(**NO_HISTORY_PAGES, **NO_EXPORT, autocomplete=NA),
    # The plan's Excel pages: export = its workbook download, import = its upload page.
    "plans.plan": tenant_row(export=OK, b={"export": GONE}),
    "plans.pillar": tenant_row(**NO_HISTORY_PAGES, **NO_EXPORT),
    "plans.membership": tenant_row(**NO_HISTORY_PAGES, **NO_EXPORT, autocomplete=NA),
    "plans.importrun": tenant_row(
        **NO_HISTORY_PAGES, **NO_EXPORT, add=DENIED, change=VIEW, autocomplete=NA, b={"change": GONE}
    ),
    # The audit log is append-only, for everyone.
    "plans.auditevent": tenant_row(
        **NO_HISTORY_PAGES, **NO_EXPORT, add=DENIED, change=VIEW, delete=DENIED, autocomplete=NA, b={"change": GONE}
    ),
    "measures.measure": tenant_row(import_=NA),
    "measures.indicator": tenant_row(import_=NA),
    "measures.indicatorvalue": tenant_row(**NO_EXPORT),
    # Progress updates are append-only: read-only fields once written, never deleted.
    "measures.progressupdate": tenant_row(
        **NO_HISTORY_PAGES, **NO_EXPORT, delete=DENIED, autocomplete=NA, b={"delete": DENIED}
    ),
    "milestones.milestone": tenant_row(import_=NA),
    "milestones.reminderlog": tenant_row(**NO_HISTORY_PAGES, **NO_EXPORT, add=DENIED, autocomplete=NA),
    # governance: the 推進体制 sheet (export/import without an object), meetings and their records.
    # (Its sheet pages work on the user's own municipality: a superuser, who has none, is refused.)
    "governance.bodymember": tenant_row(
        **NO_HISTORY_PAGES,
        export=OK,
        import_=OK,
        autocomplete=NA,
        sup={"export": DENIED, "import_": DENIED},
        b={"export": OK, "import_": OK},
    ),
    "governance.meeting": tenant_row(**NO_HISTORY_PAGES, **NO_EXPORT, autocomplete=NA),
    "governance.decision": tenant_row(**NO_HISTORY_PAGES, **NO_EXPORT, add=DENIED, autocomplete=NA),
    "governance.action": tenant_row(**NO_HISTORY_PAGES, **NO_EXPORT, add=DENIED, autocomplete=NA),
    "governance.planrevision": tenant_row(**NO_HISTORY_PAGES, **NO_EXPORT, add=DENIED, autocomplete=NA),
    # Read-only records written by the portal's own pages (evaluations run through evaluations/services.py, jobs
    # through jobs/, due-date requests are decided on the 事務局's home): visible to their city's admin, to no one
    # else, changed by no one here.
    "evaluations.evaluationround": tenant_row(
        **NO_EXPORT,
        add=DENIED,
        change=VIEW,
        delete=DENIED,
        autocomplete=NA,
        b={"change": GONE, "delete": DENIED, "revert": GONE},
    ),
    "evaluations.measureevaluation": tenant_row(
        **NO_EXPORT,
        add=DENIED,
        change=VIEW,
        delete=DENIED,
        autocomplete=NA,
        b={"change": GONE, "delete": DENIED, "revert": GONE},
    ),
    "jobs.job": tenant_row(
        **NO_HISTORY_PAGES, **NO_EXPORT, add=DENIED, change=VIEW, autocomplete=NA, b={"change": GONE}
    ),
    "milestones.duedatechangerequest": tenant_row(
        **NO_HISTORY_PAGES, **NO_EXPORT, add=DENIED, change=VIEW, autocomplete=NA, b={"change": GONE}
    ),
    # council: the 事務局 keeps its sessions and the 答弁 commitments.
    "council.councilsession": tenant_row(**NO_EXPORT),
    "council.commitment": tenant_row(**NO_EXPORT, autocomplete=NA),
}


# --- subjects: one object of city A per model, with a search term that finds it ---------------------------


def _reminder_log(cast):
    return ReminderLog.objects.create(
        milestone=cast.milestone,
        department=cast.joho,
        stage="before_7",
        due_date=cast.milestone.due_date,
        run_date=dt.date(2026, 3, 20),
    )


def _edition(cast):
    return FrameworkEdition.objects.create(code="9.9", name="第9.9版", published_on=dt.date(2026, 4, 1))


def _item(cast):
    return NationalItem.objects.create(
        edition=_edition(cast), number=1, group="マトリクス", name="マトリクス項目", short_name="マトリクス"
    )


def _crosswalk(cast):
    item = _item(cast)
    other = NationalItem.objects.create(
        edition=item.edition, number=2, group="マトリクス", name="別項目", short_name="別"
    )
    return ItemCrosswalk.objects.create(from_item=item, to_item=other, note="マトリクス")


def _meeting(cast):
    return Meeting.objects.create(
        municipality=cast.city, plan=cast.plan, held_on=dt.date(2026, 5, 1), place="マトリクス"
    )


SUBJECTS: dict[str, tuple[Callable, str]] = {
    "auth.user": (lambda cast: cast.bob, "bob"),
    "auth.group": (lambda cast: Group.objects.get(name="viewer"), "viewer"),
    "axes.accessattempt": (
        lambda cast: AccessAttempt.objects.create(
            username="bob",
            ip_address="127.0.0.1",
            user_agent="t",
            get_data="",
            post_data="",
            http_accept="",
            path_info="/login/",
            failures_since_start=1,
        ),
        "bob",
    ),
    "axes.accesslog": (
        lambda cast: AccessLog.objects.create(
            username="bob", ip_address="127.0.0.1", user_agent="t", http_accept="", path_info="/login/"
        ),
        "bob",
    ),
    "axes.accessfailurelog": (
        lambda cast: AccessFailureLog.objects.create(
            username="bob", ip_address="127.0.0.1", user_agent="t", http_accept="", path_info="/login/"
        ),
        "bob",
    ),
    "plans.municipality": (lambda cast: cast.city, "さくら台"),
    "plans.department": (
        lambda cast: DepartmentFactory(municipality=cast.city, code="MATRIX", name="マトリクス課"),
        "マトリクス",
    ),
    "plans.frameworkedition": (_edition, "9.9"),
    "plans.nationalitem": (_item, "マトリクス項目"),
    "plans.itemcrosswalk": (_crosswalk, "マトリクス"),
    "plans.plan": (
        lambda cast: PlanFactory(municipality=cast.city, code="matrix", title="マトリクス計画"),
        "マトリクス",
    ),
    "plans.pillar": (
        lambda cast: Pillar.objects.create(plan=cast.plan, code="P9", name="マトリクスの柱"),
        "マトリクス",
    ),
    "plans.membership": (lambda cast: cast.bob.membership, "bob"),
    "plans.importrun": (
        lambda cast: ImportRun.objects.create(plan=cast.plan, file_name="matrix.xlsx", status=ImportRun.Status.FAILED),
        "matrix",
    ),
    "plans.auditevent": (lambda cast: audit.record(user=cast.bob, action="login", target="matrix"), "matrix"),
    "measures.measure": (
        lambda cast: MeasureFactory(plan=cast.plan, owner_department=cast.joho, code="MATRIX", title="マトリクス施策"),
        "MATRIX",
    ),
    "measures.indicator": (
        lambda cast: IndicatorFactory(measure=cast.measure, code="MATRIX", name="マトリクス指標"),
        "MATRIX",
    ),
    "measures.indicatorvalue": (
        lambda cast: IndicatorValueFactory(
            indicator=IndicatorFactory(measure=cast.measure, code="MATRIX", name="マトリクス指標")
        ),
        "MATRIX",
    ),
    "measures.progressupdate": (
        lambda cast: ProgressUpdateFactory(measure=cast.measure, comment="マトリクス"),
        "マトリクス",
    ),
    "milestones.milestone": (
        lambda cast: MilestoneFactory(measure=cast.measure, code="MATRIX", title="マトリクスの期限"),
        "MATRIX",
    ),
    "milestones.reminderlog": (_reminder_log, "M01-1"),
    "governance.bodymember": (
        lambda cast: BodyMember.objects.create(municipality=cast.city, role=BodyRole.values[0], name="マトリクス委員"),
        "マトリクス",
    ),
    "governance.meeting": (_meeting, "マトリクス"),
    "governance.decision": (
        lambda cast: Decision.objects.create(meeting=_meeting(cast), text="マトリクス決定"),
        "マトリクス",
    ),
    "governance.action": (
        lambda cast: Action.objects.create(
            decision=Decision.objects.create(meeting=_meeting(cast), text="マトリクス決定"),
            milestone=MilestoneFactory(measure=cast.measure, code="ACT"),
        ),
        "マトリクス",
    ),
    "governance.planrevision": (
        lambda cast: PlanRevision.objects.create(
            municipality=cast.city, old_plan=cast.plan, new_plan=PlanFactory(municipality=cast.city, code="dx-v2")
        ),
        "マトリクス",
    ),
    "evaluations.evaluationround": (lambda cast: _evaluation_round(cast), "テストDX"),
    "evaluations.measureevaluation": (lambda cast: _evaluation_round(cast).evaluations.get(), "M01"),
    "jobs.job": (
        lambda cast: Job.objects.create(
            kind="importing.export", municipality=cast.city, user=cast.admin, state=Job.State.SUCCEEDED
        ),
        "計画のExcelエクスポート",
    ),
    "milestones.duedatechangerequest": (
        lambda cast: DueDateChangeRequest.objects.create(
            milestone=cast.milestone,
            previous_due_date=cast.milestone.due_date,
            requested_due_date=cast.milestone.due_date + dt.timedelta(days=30),
            reason="マトリクス",
            requested_by=cast.alice,
        ),
        "M01-1",
    ),
    "council.councilsession": (
        lambda cast: council_services.session_create(
            municipality=cast.city, name="マトリクス定例会", starts_on=dt.date(2026, 6, 1), ends_on=dt.date(2026, 6, 20)
        ),
        "マトリクス",
    ),
    "council.commitment": (
        lambda cast: council_services.commitment_create(
            session=council_services.session_create(
                municipality=cast.city, name="定例会M", starts_on=dt.date(2026, 6, 1), ends_on=dt.date(2026, 6, 20)
            ),
            questioner="マトリクス議員",
            answering_official="市長",
            words="検討する",
            owner_department=cast.joho,
            due_fy=2026,
        ),
        "マトリクス",
    ),
}


def _evaluation_round(cast):
    from evaluations import services as evaluation_services

    return evaluation_services.open_round(plan=cast.plan, fiscal_year=2026, user=cast.admin)


# --- how each page is tried -------------------------------------------------------------------------------


def _url(name: str, *args, **query) -> str | None:
    try:
        url = reverse(f"admin:{name}", args=args)
    except NoReverseMatch:
        return None
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def _status(response) -> str:
    if response.status_code == 302:
        location = response["Location"]
        if "/login/" in location:
            return LOGIN
        if location.rstrip("/") == reverse("admin:index").rstrip("/"):
            return GONE  # Django admin: "… with ID … doesn't exist. Perhaps it was deleted?"
        return f"302 {location}"
    if response.status_code == 404:
        return GONE
    if response.status_code == 403:
        return DENIED
    return str(response.status_code)


def _listed(response, marker: str) -> str:
    status = _status(response)
    if status != OK:
        return status
    body = response.content.decode("utf-8", "replace")
    return SHOWN if marker in body else HIDDEN


def try_page(client: Client, action: str, model_admin, obj, term: str) -> str:
    opts = model_admin.model._meta
    info = f"{opts.app_label}_{opts.model_name}"
    change_url = reverse(f"admin:{info}_change", args=[obj.pk])
    if action == "changelist":
        return _listed(client.get(_url(f"{info}_changelist")), change_url)
    if action == "add":
        return _status(client.get(_url(f"{info}_add")))
    if action == "change":
        response = client.get(change_url)
        status = _status(response)
        if status != OK:
            return status
        return EDIT if b'name="_save"' in response.content else VIEW
    if action == "history":
        return _status(client.get(_url(f"{info}_history", obj.pk)))
    if action == "revert":
        if not isinstance(model_admin, SimpleHistoryAdmin):
            return NA
        version = obj.history.latest("history_date").history_id
        return _status(client.get(_url(f"{info}_simple_history", obj.pk, version)))
    if action == "export":
        if opts.model_name == "plan":
            return _status(client.get(_url("plans_plan_export", obj.pk)))
        url = _url(f"{info}_export")
        if url is None:
            return NA
        page = client.get(url)
        if _status(page) != OK:
            return _status(page)
        if page.has_header("Content-Disposition"):  # a download of the user's own city, no form
            return OK
        # Every field of the resource ticked, as the export form comes; format 0 = CSV.
        fields = dict.fromkeys(re.findall(r'type="checkbox" name="(\w+)" resource-id', page.content.decode()), "on")
        return _listed(client.post(url, {"format": "0", "resource": "0", **fields}), term)
    if action == "import":
        url = _url(f"{info}_import", obj.pk) or _url(f"{info}_import")
        return NA if url is None else _status(client.get(url))
    if action == "autocomplete":
        source = _autocomplete_source(model_admin.model)
        if source is None or not model_admin.get_search_fields(None):
            return NA
        source_model, field_name = source
        response = client.get(
            _url(
                "autocomplete",
                app_label=source_model._meta.app_label,
                model_name=source_model._meta.model_name,
                field_name=field_name,
                term=term,
            )
        )
        status = _status(response)
        if status != OK:
            return status
        ids = {item["id"] for item in json.loads(response.content)["results"]}
        return SHOWN if str(obj.pk) in ids else HIDDEN
    if action == "delete":
        response = client.post(_url(f"{info}_delete", obj.pk), {"post": "yes"})
        if not model_admin.model._default_manager.filter(pk=obj.pk).exists():
            return DELETED
        status = _status(response)
        return "kept" if status.startswith("302 ") else status
    raise AssertionError(action)


def _autocomplete_source(model) -> tuple[type[models.Model], str] | None:
    """A foreign key (on any registered model) whose target is `model`: the autocomplete view's source field."""
    for source in admin.site._registry:
        for field in source._meta.fields:
            if field.is_relation and field.related_model is model:
                return source, field.name
    return None


# --- the tests --------------------------------------------------------------------------------------------


def test_every_registered_model_has_a_row():
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert registered - set(EXPECTED) == set(), "add a row to EXPECTED (and a subject to SUBJECTS)"
    assert set(EXPECTED) - registered == set(), "remove the rows of models no longer registered"
    assert set(SUBJECTS) == set(EXPECTED)
    for label, rows in EXPECTED.items():
        assert set(rows) == set(PEOPLE), label
        for person, cells in rows.items():
            assert set(cells) == set(ACTIONS), (label, person)


def test_every_project_admin_and_inline_goes_through_the_scoped_classes():
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label in ("auth", "axes"):
            continue  # superuser-only: a city's admin has no permission on them at all (rows above)
        assert isinstance(model_admin, MunicipalityScopedAdmin), model
        for inline in model_admin.inlines:
            assert issubclass(inline, MunicipalityScopedInline), (model, inline)


def test_matrix_size():
    cells = sum(len(cells) for rows in EXPECTED.values() for cells in rows.values())
    assert cells == len(admin.site._registry) * len(ACTIONS) * len(PEOPLE)


@pytest.fixture
def people(cast) -> dict[str, User]:
    superuser = User.objects.create_superuser("root", "root@example.jp", "pw")
    admin_b = make_user("admin_b", "admin", cast.other_city)
    return {"superuser": superuser, "admin_a": cast.admin, "admin_b": admin_b, "staff": cast.alice}


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("label", sorted(EXPECTED))
def test_admin_matrix(cast, people, label, person):
    model = next(m for m in admin.site._registry if m._meta.label_lower == label)
    model_admin = admin.site._registry[model]
    make, term = SUBJECTS[label]
    obj = make(cast)
    client = Client()
    client.force_login(people[person])
    got = {action: try_page(client, action, model_admin, obj, term) for action in ACTIONS}
    assert got == EXPECTED[label][person], (label, person)
