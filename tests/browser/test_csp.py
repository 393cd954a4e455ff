"""With the Content-Security-Policy on, the portal and the Django admin load without a single CSP violation.

To check another page (a dashboard, a chart), add one line to PAGES: a label and a function of the cast
that returns its path.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import reverse

from .conftest import login

# The live server needs committed data, so these tests are transactional (each ends with a flush).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES: list[tuple[str, Callable]] = [
    ("home", lambda cast: reverse("home")),
    ("admin index", lambda cast: reverse("admin:index")),
    ("admin measure list", lambda cast: reverse("admin:measures_measure_changelist")),
    ("admin measure change", lambda cast: reverse("admin:measures_measure_change", args=[cast.measure.pk])),
    ("admin measure history", lambda cast: reverse("admin:measures_measure_history", args=[cast.measure.pk])),
    ("admin membership change", lambda cast: reverse("admin:plans_membership_change", args=[cast.bob.membership.pk])),
    ("admin audit log", lambda cast: reverse("admin:plans_auditevent_changelist")),
    ("dashboard overview", lambda cast: reverse("dashboard:overview")),
    ("dashboard timeline", lambda cast: reverse("dashboard:timeline")),
    ("dashboard drill-down", lambda cast: reverse("dashboard:milestones")),
    ("dashboard KPIs", lambda cast: reverse("dashboard:kpis")),
    ("municipality comparison", lambda cast: reverse("dashboard:compare")),
    ("my department's work", lambda cast: reverse("work:mine")),
    ("measure detail", lambda cast: reverse("measures:detail", args=[cast.measure.pk])),
    ("milestone update form", lambda cast: reverse("milestones:update", args=[cast.milestone.pk])),
    ("notification settings", lambda cast: reverse("notification_settings")),
    ("admin plan import", lambda cast: reverse("admin:plans_plan_import", args=[cast.plan.pk])),
    ("admin reminder preview", lambda cast: reverse("admin:milestones_reminderlog_preview")),
    ("API docs", lambda cast: reverse("api:docs")),
    ("governance body", lambda cast: reverse("governance:body")),
    ("meeting with agenda proposals", lambda cast: reverse("governance:meeting", args=[_meeting(cast).pk])),
    ("decision form", lambda cast: reverse("governance:decision_new", args=[_meeting(cast).pk])),
    ("meeting material", lambda cast: reverse("governance:meeting_print", args=[_meeting(cast).pk])),
    ("plan revisions", lambda cast: reverse("governance:revisions")),
    ("background jobs", lambda cast: reverse("jobs:list")),
    ("a running job's progress", lambda cast: reverse("jobs:detail", args=[_running_job(cast).pk])),
    ("admin meeting change", lambda cast: reverse("admin:governance_meeting_change", args=[_meeting(cast).pk])),
]


def _meeting(cast):
    import datetime as dt

    from governance.models import Meeting

    return Meeting.objects.create(municipality=cast.city, plan=cast.plan, held_on=dt.date(2026, 11, 20))


def _running_job(cast):
    from django.utils import timezone

    from jobs.models import Job

    return Job.objects.create(
        kind="importing.preview",
        municipality=cast.city,
        user=cast.admin,
        state=Job.State.RUNNING,
        stage="validate",
        done=10,
        total=40,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )


# Runs before any page script; devtools-injected, so the policy itself does not block it.
COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def admin_page(national_framework, browser, live_server, cast):
    context = browser.new_context()
    page = context.new_page()
    page.add_init_script(COLLECT_VIOLATIONS)
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text) if msg.type in ("error", "warning") else None)
    page.on("pageerror", lambda exc: console.append(f"pageerror: {exc}"))
    page.console_messages = console
    login(page, live_server, cast.admin.username)
    yield page
    context.close()


def _violations(page) -> list[str]:
    events = page.evaluate("window.__cspViolations || []")
    logged = [m for m in page.console_messages if "Content Security Policy" in m or m.startswith("pageerror")]
    return events + logged


@pytest.mark.parametrize(("label", "path_for"), PAGES, ids=[label for label, _ in PAGES])
def test_the_page_loads_without_csp_violations(admin_page, live_server, cast, label, path_for):
    response = admin_page.goto(f"{live_server.url}{path_for(cast)}")
    admin_page.wait_for_load_state("networkidle")
    assert response.status == 200, f"{label}: HTTP {response.status}"
    assert response.headers["content-security-policy"].startswith("default-src 'self'; script-src 'self'")
    assert _violations(admin_page) == [], label


def test_the_admins_javascript_runs_under_the_policy(admin_page, live_server, cast):
    # filter_horizontal's two-box widget only exists when SelectFilter2.js ran.
    admin_page.goto(f"{live_server.url}{reverse('admin:plans_membership_change', args=[cast.bob.membership.pk])}")
    admin_page.wait_for_selector("#id_departments_from", state="visible", timeout=5000)
    assert _violations(admin_page) == []


def test_the_detector_sees_an_inline_script_being_blocked(admin_page, live_server):
    admin_page.goto(f"{live_server.url}{reverse('home')}")
    admin_page.evaluate("""() => {
        const s = document.createElement("script"); s.textContent = "window.__ran = true"; document.body.append(s);
        const d = document.createElement("div"); d.setAttribute("style", "color: red"); document.body.append(d);
    }""")
    admin_page.wait_for_timeout(300)
    assert admin_page.evaluate("window.__ran === undefined")
    found = _violations(admin_page)
    assert any("script-src" in v for v in found), found


def test_the_progress_page_reloads_itself_until_the_job_ends_without_javascript(admin_page, live_server, cast):
    from django.utils import timezone

    from jobs.models import Job

    job = _running_job(cast)
    admin_page.goto(f"{live_server.url}{reverse('jobs:detail', args=[job.pk])}")
    assert "10 / 40" in admin_page.inner_text(".job-rows")
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.SUCCEEDED, finished_at=timezone.now(), done=40, result={"message": "取込の準備ができました"}
    )
    admin_page.wait_for_selector("text=取込の準備ができました", timeout=8000)  # the meta refresh (2 s) reloaded it
    assert admin_page.inner_text(".job-state") == "完了"
    assert _violations(admin_page) == []
