"""THE permission matrix: every URL of the project × every role × GET and POST → the expected response.

The URL names come from the resolver, so a view added without an entry in EXPECTED fails
`test_every_url_has_an_entry_in_the_matrix`. To add a view: add its row to EXPECTED (and, if its URL takes
arguments, how to build them to KWARGS; if a POST needs a valid body, to POST_DATA).

Codes: an int is the status code; LOGIN is a redirect to the login page; REDIRECT any other 302.
Rules the rows follow (docs/roles-and-permissions.md): anonymous users are sent to log in; another municipality's objects
are 404 (their existence is not shown); a write by someone who may not change the object is 403;
POST to a read-only page is 405.
Skipped on purpose: the Django admin (its own permission system, scoped in plans/admin_scoping.py),
i18n/ (set_language, public by design) and static files.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from .factories import IndicatorFactory, IndicatorValueFactory

pytestmark = pytest.mark.django_db

LOGIN = "302-login"
REDIRECT = "302"

ROLES = ("anonymous", "council", "viewer", "staff_owner", "staff_other_dept", "staff_other_city", "admin")
CAST_USER = {
    "anonymous": None,
    "council": "council",
    "viewer": "viewer",
    "staff_owner": "alice",
    "staff_other_dept": "bob",
    "staff_other_city": "mallory",
    "admin": "admin",
}

SKIPPED_NAMESPACES = {"admin"}
SKIPPED_NAMES = {"set_language"}


def by_role(*, anonymous, council, viewer, staff_owner, staff_other_dept, staff_other_city, admin) -> dict:
    """One row of the matrix: each role's (GET, POST) result."""
    roles = dict(
        anonymous=anonymous,
        council=council,
        viewer=viewer,
        staff_owner=staff_owner,
        staff_other_dept=staff_other_dept,
        staff_other_city=staff_other_city,
        admin=admin,
    )
    return {role: {"GET": get, "POST": post} for role, (get, post) in roles.items()}


def read_page(**overrides) -> dict:
    """A page of the user's municipality that everyone logged in reads and nobody posts to."""
    row = dict(
        anonymous=(LOGIN, LOGIN),
        council=(200, 405),
        viewer=(200, 405),
        staff_owner=(200, 405),
        staff_other_dept=(200, 405),
        staff_other_city=(404, 405),
        admin=(200, 405),
    )
    return by_role(**(row | overrides))


def owner_write(**overrides) -> dict:
    """A form that changes an object: its department's staff and the admin only; another city's is 404."""
    row = dict(
        anonymous=(LOGIN, LOGIN),
        council=(403, 403),
        viewer=(403, 403),
        staff_owner=(200, REDIRECT),
        staff_other_dept=(403, 403),
        staff_other_city=(404, 404),
        admin=(200, REDIRECT),
    )
    return by_role(**(row | overrides))


def manager_write(**overrides) -> dict:
    """A form only the 事務局 (admin) uses: everyone else is refused (403), another city's object is 404."""
    row = dict(
        anonymous=(LOGIN, LOGIN),
        council=(403, 403),
        viewer=(403, 403),
        staff_owner=(403, 403),
        staff_other_dept=(403, 403),
        staff_other_city=(404, 404),
        admin=(200, REDIRECT),
    )
    return by_role(**(row | overrides))


def manager_post(**overrides) -> dict:
    """A POST-only action of the 事務局 (GET is 405 for everyone logged in)."""
    row = dict(
        anonymous=(LOGIN, LOGIN),
        council=(405, 403),
        viewer=(405, 403),
        staff_owner=(405, 403),
        staff_other_dept=(405, 403),
        staff_other_city=(405, 404),
        admin=(405, REDIRECT),
    )
    return by_role(**(row | overrides))


def dashboard_page() -> dict:
    row = dict(
        anonymous=(LOGIN, 405),
        council=(200, 405),
        viewer=(200, 405),
        staff_owner=(200, 405),
        staff_other_dept=(200, 405),
        staff_other_city=(200, 405),
        admin=(200, 405),
    )
    return by_role(**row)


def api_read(**overrides) -> dict:
    row = dict(
        anonymous=(403, 403),
        council=(200, 403),
        viewer=(200, 403),
        staff_owner=(200, 403),
        staff_other_dept=(200, 403),
        staff_other_city=(200, 403),
        admin=(200, 403),
    )
    return by_role(**(row | overrides))


# --- THE matrix ------------------------------------------------------------------------------------------

EXPECTED: dict[str, dict[str, dict[str, int | str]]] = {
    # public on purpose: the load balancer's health check and the login page
    "healthz": by_role(
        anonymous=(200, 405),
        council=(200, 405),
        viewer=(200, 405),
        staff_owner=(200, 405),
        staff_other_dept=(200, 405),
        staff_other_city=(200, 405),
        admin=(200, 405),
    ),
    "login": by_role(
        anonymous=(200, 200),
        council=(REDIRECT, REDIRECT),
        viewer=(REDIRECT, REDIRECT),
        staff_owner=(REDIRECT, REDIRECT),
        staff_other_dept=(REDIRECT, REDIRECT),
        staff_other_city=(REDIRECT, REDIRECT),
        admin=(REDIRECT, REDIRECT),
    ),
    "logout": by_role(
        anonymous=(405, LOGIN),
        council=(405, LOGIN),
        viewer=(405, LOGIN),
        staff_owner=(405, LOGIN),
        staff_other_dept=(405, LOGIN),
        staff_other_city=(405, LOGIN),
        admin=(405, LOGIN),
    ),
    # account
    "password_change": read_page(
        council=(200, 200),
        viewer=(200, 200),
        staff_owner=(200, 200),
        staff_other_dept=(200, 200),
        staff_other_city=(200, 200),
        admin=(200, 200),
    ),
    "password_change_done": read_page(staff_other_city=(200, 405)),
    # landing: staff go to 「担当の取組」, council and viewer to the dashboard, admins to the 事務局's home
    # (see plans.views.LANDING_BY_ROLE)
    "home": read_page(
        council=(REDIRECT, 405),
        viewer=(REDIRECT, 405),
        staff_owner=(REDIRECT, 405),
        staff_other_dept=(REDIRECT, 405),
        staff_other_city=(REDIRECT, 405),
        admin=(REDIRECT, 405),
    ),
    "work:mine": read_page(staff_other_city=(200, 405)),  # everyone sees their own departments' work
    # detail pages and staff updates
    "measures:detail": read_page(),
    "milestones:detail": read_page(),
    "measures:report_progress": owner_write(),
    "measures:record_value": owner_write(),
    "milestones:update": owner_write(),
    # due-date changes: the owning department asks (a form page; POST refused with 400 when empty), the
    # 事務局 decides (POST only: back to the page it came from; an empty decision is a message, not a write)
    "milestones:request_due_date": owner_write(staff_owner=(200, 400), admin=(200, 400)),
    "milestones:decide_due_date": by_role(
        anonymous=(LOGIN, LOGIN),
        council=(405, 403),
        viewer=(405, 403),
        staff_owner=(405, 403),
        staff_other_dept=(405, 403),
        staff_other_city=(405, 404),
        admin=(405, REDIRECT),
    ),
    # the 事務局's home: admins only (their landing page)
    "office:home": by_role(
        anonymous=(LOGIN, LOGIN),
        council=(403, 405),
        viewer=(403, 405),
        staff_owner=(403, 405),
        staff_other_dept=(403, 405),
        staff_other_city=(403, 405),
        admin=(200, 405),
    ),
    # each user's own reminder opt-out; the department calendar feed (the token in the URL is the
    # secret, so it is public on purpose: calendar apps cannot log in)
    "notification_settings": by_role(
        anonymous=(LOGIN, LOGIN),
        council=(200, REDIRECT),
        viewer=(200, REDIRECT),
        staff_owner=(200, REDIRECT),
        staff_other_dept=(200, REDIRECT),
        staff_other_city=(200, REDIRECT),
        admin=(200, REDIRECT),
    ),
    "department_calendar": by_role(
        anonymous=(200, 405),
        council=(200, 405),
        viewer=(200, 405),
        staff_owner=(200, 405),
        staff_other_dept=(200, 405),
        staff_other_city=(200, 405),
        admin=(200, 405),
    ),
    # dashboards (GET only, even for anonymous; no object in the URL: each user sees their own
    # municipality's plan, so another city's staff get their own dashboard, 200) and the open-data API
    # (read-only: every write is refused by the permission, 403, before any object is looked up)
    **{
        name: dashboard_page()
        for name in (
            "dashboard:overview",
            "dashboard:measures",
            "dashboard:milestones",
            "dashboard:kpis",
            "dashboard:timeline",
            "dashboard:compare",
            "dashboard:export",
        )
    },
    **{
        name: api_read()
        for name in (
            "api:api-root",
            "api:plan-list",
            "api:measure-list",
            "api:milestone-list",
            "api:indicatorvalue-list",
        )
    },
    **{
        name: api_read(staff_other_city=(404, 403))
        for name in (
            "api:plan-detail",
            "api:plan-progress",
            "api:measure-detail",
            "api:milestone-detail",
            "api:indicatorvalue-detail",
        )
    },
    # council: what changed since the last session, sessions and 答弁 commitments (the dashboard's audience and
    # rules: GET only; objects in the URL are the city's own, so another city's staff get 404)
    **{name: dashboard_page() for name in ("council:changes", "council:changes_export", "council:sessions")},
    **{
        name: by_role(
            anonymous=(LOGIN, 405),
            council=(200, 405),
            viewer=(200, 405),
            staff_owner=(200, 405),
            staff_other_dept=(200, 405),
            staff_other_city=(404, 405),
            admin=(200, 405),
        )
        for name in ("council:commitment", "council:briefing", "council:briefing_xlsx")
    },
    "council:commitment_update": owner_write(),  # the commitment belongs to 情報政策課 (alice's department)
    # annual evaluation: everyone of the city reads; the owner department's staff (and the 事務局) draft; only the
    # 事務局 opens, reviews, approves and publishes (another city's users get their own plan's index and 費用対価値)
    "evaluations:index": by_role(
        anonymous=(LOGIN, LOGIN),
        council=(200, 403),
        viewer=(200, 403),
        staff_owner=(200, 403),
        staff_other_dept=(200, 403),
        staff_other_city=(200, 403),
        admin=(200, REDIRECT),
    ),
    "evaluations:value": dashboard_page() | {"anonymous": {"GET": LOGIN, "POST": LOGIN}},
    "evaluations:round": read_page(),
    "evaluations:report": read_page(),
    "evaluations:report_xlsx": read_page(),
    "evaluations:edit": owner_write(council=(200, 403), viewer=(200, 403), staff_other_dept=(200, 403)),
    **{
        name: by_role(
            anonymous=(LOGIN, LOGIN),
            council=(405, 403),
            viewer=(405, 403),
            staff_owner=(405, 403),
            staff_other_dept=(405, 403),
            staff_other_city=(405, 404),
            admin=(405, REDIRECT),
        )
        for name in ("evaluations:review", "evaluations:approve", "evaluations:publish")
    },
    "evaluations_api:evaluation-report-list": api_read(),
    # background jobs: everyone sees the list of their own jobs (an admin: all of the municipality's); a job
    # (here the admin's) is 404 to anyone else, as another city's object is
    "jobs:list": read_page(staff_other_city=(200, 405)),
    **{
        name: read_page(council=(404, 405), viewer=(404, 405), staff_owner=(404, 405), staff_other_dept=(404, 405))
        for name in ("jobs:detail", "jobs:download")
    },
    # governance: the 推進体制 and meeting lists are each user's own municipality's (another city's staff get
    # theirs, 200); meetings and revisions in the URL are 404 for another city; only the 事務局 writes
    "governance:body": read_page(anonymous=(LOGIN, 405), staff_other_city=(200, 405)),  # public in public mode
    "governance:meetings": read_page(staff_other_city=(200, 405)),
    "governance:meeting": read_page(),
    "governance:meeting_print": read_page(),
    "governance:meeting_xlsx": read_page(),
    "governance:meeting_new": manager_write(staff_other_city=(403, 403)),
    "governance:decision_new": manager_write(),
    "governance:minutes": manager_write(),
    "governance:agenda_accept": manager_post(),
    "governance:agenda_add": manager_post(),
    "governance:agenda_item": manager_post(),
    "governance:revisions": read_page(
        council=(200, 403),
        viewer=(200, 403),
        staff_owner=(200, 403),
        staff_other_dept=(200, 403),
        staff_other_city=(200, 403),
        admin=(200, REDIRECT),
    ),
    "governance:revision": read_page(),
    "governance:revision_xlsx": read_page(),
    "governance:revision_approve": manager_post(),
    "governance:revision_withdraw": manager_post(),
    "api:schema": by_role(**{role: (200, 405) for role in ROLES}),  # documentation: public on purpose
    "api:docs": by_role(**{role: (200, 405) for role in ROLES}),
}


def _commitment(cast):
    """A council session of the cast's city with one 答弁 commitment (created on first use)."""
    import datetime as dt

    from council.services import commitment_create, session_create

    if not hasattr(cast, "commitment"):
        session = session_create(
            municipality=cast.city, name="第1回定例会", starts_on=dt.date(2025, 6, 1), ends_on=dt.date(2025, 6, 20)
        )
        cast.commitment = commitment_create(
            session=session,
            questioner="議員A",
            answering_official="市長",
            words="検討する",
            owner_department=cast.joho,
            due_fy=2025,
        )
    return cast.commitment


def _admin_job(cast):
    from jobs.models import Job

    return Job.objects.create(
        kind="importing.export",
        municipality=cast.plan.municipality,
        user=cast.admin,
        state=Job.State.SUCCEEDED,
        result_file=b"PK",
        result_file_name="plan.xlsx",
    )


# How to build each URL's arguments from the cast (plus `indicator`, a KPI of cast.measure).
KWARGS: dict[str, Callable] = {
    "measures:detail": lambda c: {"pk": c.measure.pk},
    "measures:report_progress": lambda c: {"pk": c.measure.pk},
    "measures:record_value": lambda c: {"pk": c.indicator.pk},
    "milestones:detail": lambda c: {"pk": c.milestone.pk},
    "milestones:update": lambda c: {"pk": c.milestone.pk},
    "milestones:request_due_date": lambda c: {"pk": c.milestone.pk},
    "milestones:decide_due_date": lambda c: {"pk": _pending_request(c).pk},
    "department_calendar": lambda c: {"token": c.joho.calendar_token or c.joho.rotate_calendar_token()},
    "dashboard:export": lambda c: {"table": "items", "fmt": "csv"},
    "council:changes_export": lambda c: {"fmt": "csv"},
    "council:commitment": lambda c: {"pk": _commitment(c).pk},
    "council:commitment_update": lambda c: {"pk": _commitment(c).pk},
    "council:briefing": lambda c: {"pk": _commitment(c).session_id},
    "council:briefing_xlsx": lambda c: {"pk": _commitment(c).session_id},
    "evaluations:round": lambda c: {"pk": _evaluation_round(c, "open").pk},
    "evaluations:report": lambda c: {"pk": _evaluation_round(c, "approved").pk},
    "evaluations:report_xlsx": lambda c: {"pk": _evaluation_round(c, "approved").pk},
    "evaluations:approve": lambda c: {"pk": _evaluation_round(c, "accepted").pk},
    "evaluations:publish": lambda c: {"pk": _evaluation_round(c, "approved").pk},
    "evaluations:edit": lambda c: {"pk": _evaluation_round(c, "open").evaluations.get().pk},
    "evaluations:review": lambda c: {"pk": _evaluation_round(c, "submitted").evaluations.get().pk},
    "jobs:detail": lambda c: {"pk": _admin_job(c).pk},
    "jobs:download": lambda c: {"pk": _admin_job(c).pk},
    "governance:meeting": lambda c: {"pk": _meeting(c).pk},
    "governance:meeting_print": lambda c: {"pk": _meeting(c).pk},
    "governance:meeting_xlsx": lambda c: {"pk": _meeting(c).pk},
    "governance:decision_new": lambda c: {"pk": _meeting(c).pk},
    "governance:minutes": lambda c: {"pk": _meeting(c).pk},
    "governance:agenda_accept": lambda c: {"pk": _meeting(c).pk},
    "governance:agenda_add": lambda c: {"pk": _meeting(c).pk},
    "governance:agenda_item": lambda c: {"pk": _agenda_item(c).pk},
    "governance:revision": lambda c: {"pk": _revision(c).pk},
    "governance:revision_xlsx": lambda c: {"pk": _revision(c).pk},
    "governance:revision_approve": lambda c: {"pk": _revision(c).pk},
    "governance:revision_withdraw": lambda c: {"pk": _revision(c).pk},
    "api:plan-detail": lambda c: {"pk": c.plan.pk},
    "api:plan-progress": lambda c: {"pk": c.plan.pk},
    "api:measure-detail": lambda c: {"pk": c.measure.pk},
    "api:milestone-detail": lambda c: {"pk": c.milestone.pk},
    "api:indicatorvalue-detail": lambda c: {"pk": c.indicator_value.pk},
}

# A valid POST body where the matrix expects the write to succeed (others POST an empty body).
POST_DATA: dict[str, Callable] = {
    "measures:report_progress": lambda c: {"status": "in_progress", "percent_done": "10", "comment": "matrix"},
    "measures:record_value": lambda c: {"value": "1", "as_of": "2025/4/1"},
    "milestones:update": lambda c: {
        "status": "in_progress",
        "completed_on": "",
        "comment": "matrix",
        "version": c.milestone.version,
    },
    "notification_settings": lambda c: {"receives_reminders": ""},
    "council:commitment_update": lambda c: {"status": "in_progress", "completed_on": "", "progress_note": "matrix"},
    "evaluations:index": lambda c: {"fiscal_year": "2026", "grade_scale": "A,B,C,D"},
    "evaluations:edit": lambda c: {"achievements": "matrix", "settled_cost_thousand_yen": "10", "save": "1"},
    "evaluations:review": lambda c: {"action": "accept"},
    "governance:meeting_new": lambda c: {"plan": c.plan.pk, "kind": "headquarters", "held_on": "2026/12/1"},
    "governance:decision_new": lambda c: {
        "text": "matrix",
        "is_public": "on",
        "action1_title": "matrix",
        "action1_owner": c.joho.pk,
        "action1_due": "2026/12/1",
    },
    "governance:minutes": lambda c: {"summary_public": "matrix"},
    "governance:agenda_add": lambda c: {"title": "matrix"},
    "governance:agenda_item": lambda c: {"order": "2", "note": "matrix"},
    "governance:revisions": lambda c: {"plan": c.plan.pk, "reason": "matrix"},
    "milestones:decide_due_date": lambda c: {"decision": "reject", "comment": "matrix"},
}


def _evaluation_round(cast, stage: str):
    """FY2025's evaluation round of cast.plan (one evaluation: cast.measure's), taken to a stage:
    open → submitted → accepted → approved."""
    from evaluations import services

    round_ = services.open_round(plan=cast.plan, fiscal_year=2025, user=cast.admin)
    if stage == "open":
        return round_
    evaluation = round_.evaluations.get()
    services.save_draft(
        evaluation=evaluation, user=cast.alice, achievements="実施", self_grade="A", direction="continue"
    )
    services.submit(evaluation=evaluation, user=cast.alice)
    if stage != "submitted":
        services.accept(evaluation=evaluation, user=cast.admin)
    if stage == "approved":
        services.approve_round(round=round_, user=cast.admin)
    return round_


def _meeting(c):
    """A meeting of the cast's city (created once per test)."""
    if not hasattr(c, "meeting"):
        import datetime as dt

        from governance.models import Meeting

        c.meeting = Meeting.objects.create(municipality=c.city, plan=c.plan, held_on=dt.date(2026, 11, 20))
    return c.meeting


def _agenda_item(c):
    from governance.models import AgendaItem

    return AgendaItem.objects.create(meeting=_meeting(c), title="matrix")


def _revision(c):
    from governance.services import revision_start

    return revision_start(user=c.admin, plan=c.plan)


def _pending_request(cast):
    from milestones.models import DueDateChangeRequest

    return DueDateChangeRequest.objects.create(
        milestone=cast.milestone,
        previous_due_date=cast.milestone.due_date,
        requested_due_date=cast.milestone.due_date,
        reason="matrix",
        requested_by=cast.alice,
    )


# --- machinery ------------------------------------------------------------------------------------------


def url_names(patterns=None, namespace: str = "") -> set[str]:
    """Every named URL in the project, as reverse() spells it, walking includes recursively."""
    names: set[str] = set()
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            if ns in SKIPPED_NAMESPACES:
                continue
            names |= url_names(entry.url_patterns, f"{namespace}{ns}:" if ns else namespace)
        elif isinstance(entry, URLPattern) and entry.name and entry.name not in SKIPPED_NAMES:
            names.add(namespace + entry.name)
    return names


def test_every_url_has_an_entry_in_the_matrix():
    missing = url_names() - set(EXPECTED)
    assert not missing, f"add these views to EXPECTED in tests/test_permission_matrix.py: {sorted(missing)}"
    stale = set(EXPECTED) - url_names()
    assert not stale, f"EXPECTED lists views that no longer exist: {sorted(stale)}"


def test_every_entry_covers_every_role_and_method():
    for name, row in EXPECTED.items():
        assert set(row) == set(ROLES), name
        assert all(set(cell) == {"GET", "POST"} for cell in row.values()), name


CASES = [(name, role, method) for name in sorted(EXPECTED) for role in ROLES for method in ("GET", "POST")]


@pytest.mark.parametrize("name, role, method", CASES, ids=[f"{n}-{r}-{m}" for n, r, m in CASES])
def test_permission_matrix(cast, name, role, method):
    cast.indicator = IndicatorFactory(measure=cast.measure)
    cast.indicator_value = IndicatorValueFactory(indicator=cast.indicator)
    client = Client()
    username = CAST_USER[role]
    user = getattr(cast, username) if username else AnonymousUser()
    if username:
        client.force_login(user)
    url = reverse(name, kwargs=KWARGS[name](cast) if name in KWARGS else None)
    expected = EXPECTED[name][role][method]
    if method == "GET":
        response = client.get(url)
    else:
        data = POST_DATA[name](cast) if name in POST_DATA and expected == REDIRECT else {}
        response = client.post(url, data)
    if expected == LOGIN:
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), response
    elif expected == REDIRECT:
        assert response.status_code == 302 and not response["Location"].startswith(reverse("login")), response
    else:
        assert response.status_code == expected, (response.status_code, response.content.decode()[:500])
    if expected == 403:
        assert "権限がありません" in response.content.decode()
