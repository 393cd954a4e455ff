"""A run's plan: the digests it would send, computed without writing anything."""

from __future__ import annotations

import datetime as dt
import gc
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from core.fiscal import fiscal_year
from measures.models import Measure, ProgressUpdate
from plans.models import Department, Membership, Municipality, Plan
from plans.roles import Role

from ..models import Milestone, ReminderLog
from .sections import digest_sections
from .sql import as_date, rows_source
from .stages import OPEN_STATUSES, STAGE_STALE, StageRules, horizon_for, stage_for


class PlannedItem(NamedTuple):  # a tuple: a run makes one per due milestone, 10⁵–10⁶ of them
    milestone_id: int | None
    measure_id: int | None
    stage: str
    due_date: dt.date
    log_id: int | None = None  # set for a stale claim taken over from an earlier run
    department_id: int | None = None  # the owner department (escalation digests span departments)
    section: str = ""  # an extra digest section's key (milestones.reminders.sections) …
    object_id: int | None = None  # … and its object


@dataclass
class Digest:
    """One e-mail: to a department (its milestones and stale measures) or to a municipality's admins
    (escalations)."""

    kind: str  # "department" or "escalation"
    department_id: int | None
    municipality_id: int
    name: str
    recipients: list[str]
    items: list[PlannedItem] = field(default_factory=list)
    log_ids: list[int] = field(default_factory=list)

    @property
    def milestone_count(self) -> int:
        return sum(1 for i in self.items if i.milestone_id)

    @property
    def stale_count(self) -> int:
        return sum(1 for i in self.items if i.measure_id)

    @property
    def section_count(self) -> int:
        return sum(1 for i in self.items if i.section)


@dataclass
class RunReport:
    run_date: dt.date
    business_day: bool
    dry_run: bool
    digests: list[Digest] = field(default_factory=list)
    claimed: int = 0
    taken_over: int = 0
    skipped: int = 0
    failed: int = 0  # digests whose inline send failed (recorded on their rows; the next run retries)
    statements: dict[str, int] = field(default_factory=dict)  # claim statements: {"inserts": n, "updates": n}

    @property
    def email_count(self) -> int:
        return sum(1 for d in self.digests if d.items)


def _departments_with_mail() -> Q:
    """Departments that have somewhere to send to: their own address or an opted-in member with one."""
    members = Membership.objects.filter(
        departments=OuterRef("pk"), receives_reminders=True, user__is_active=True
    ).exclude(user__email="")
    return Q(email__gt="") | Q(Exists(members))


def _recipients(departments_qs) -> tuple[dict[int, dict], dict[int, list[str]]]:
    """Name, municipality and addresses of every department that has mail (two queries)."""
    departments = {d["id"]: d for d in departments_qs.values("id", "name", "email", "municipality_id")}
    emails: dict[int, set[str]] = defaultdict(set)
    for d in departments.values():
        if d["email"]:
            emails[d["id"]].add(d["email"])
    through = Membership.departments.through
    for dept_id, email in (
        through.objects.filter(
            department__in=departments_qs.values("id"),
            membership__receives_reminders=True,
            membership__user__is_active=True,
        )
        .exclude(membership__user__email="")
        .values_list("department_id", "membership__user__email")
    ):
        emails[dept_id].add(email)
    return departments, {k: sorted(v) for k, v in emails.items()}


def _admin_recipients(municipality_id: int | None) -> dict[int, list[str]]:
    """The admins who receive escalations, per municipality (all municipalities, or the one of the run)."""
    result: dict[int, set[str]] = defaultdict(set)
    admins = User.objects.filter(groups__name=Role.ADMIN, is_active=True, membership__receives_reminders=True)
    if municipality_id is not None:
        admins = admins.filter(membership__municipality_id=municipality_id)
    for muni_id, email in admins.exclude(email="").values_list("membership__municipality_id", "email"):
        result[muni_id].add(email)
    return {k: sorted(v) for k, v in result.items()}


def lease_cutoff(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(seconds=settings.REMINDER_CLAIM_LEASE_SECONDS)


def plan_run(
    *, run_date: dt.date, municipality_id: int | None = None, now: dt.datetime | None = None
) -> tuple[list[Digest], list[int]]:
    """Compute (without writing) the digests of a run and the ids of stale claims to skip.

    A fixed number of queries, whatever the number of milestones: unfinished claims, the earliest due date,
    candidates joined to their claims (the already-claimed check is SQL), stale measures, recipients.
    """
    with no_cyclic_gc():
        return _plan_run(run_date=run_date, municipality_id=municipality_id, now=now)


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Hundreds of thousands of small objects, none of them cyclic: the cyclic GC would rescan them again and
    again (planning, then claiming) and triple the run time. Reference counting still frees them."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _plan_run(
    *, run_date: dt.date, municipality_id: int | None, now: dt.datetime | None
) -> tuple[list[Digest], list[int]]:
    now = now or timezone.now()
    horizon = horizon_for(run_date)
    look_ahead = max(settings.REMINDER_STAGES_DAYS_BEFORE, default=0)
    mail_departments = Department.objects.filter(_departments_with_mail())
    if municipality_id is not None:
        mail_departments = mail_departments.filter(municipality_id=municipality_id)

    limit = horizon + dt.timedelta(days=look_ahead)
    candidates = (
        Milestone.objects.filter(status__in=OPEN_STATUSES, due_date__lte=limit, owner_department__in=mail_departments)
        .filter(Plan.in_force_q("plan"))
        .order_by()
        .values_list("id", "due_date", "owner_department_id", "owner_department__municipality_id")
    )
    # Escalations go to a municipality's admins: only where there are some are they planned (and claimed).
    admins = _admin_recipients(municipality_id)
    # Unfinished claims of the last stage gap (plus a closure): the ones that are no longer a milestone's
    # current stage will never be sent (skipped below). Few rows (state index), no ordering.
    gaps = sorted({*settings.REMINDER_STAGES_DAYS_BEFORE, 0})
    max_gap = max([b - a for a, b in zip(gaps, gaps[1:], strict=False)] + [settings.REMINDER_OVERDUE_REPEAT_DAYS])
    since = run_date - dt.timedelta(days=max_gap + 14)
    rules = StageRules.from_settings()
    cutoff = lease_cutoff(now)
    unfinished = ReminderLog.objects.filter(
        milestone__isnull=False,
        run_date__gte=since,
        state__in=[ReminderLog.State.CLAIMED, ReminderLog.State.FAILED],
        claimed_at__lt=cutoff,
    )
    if municipality_id is not None:
        unfinished = unfinished.filter(department__municipality_id=municipality_id)
    unfinished_ids = set(unfinished.order_by().values_list("id", flat=True))

    items: dict[int, list[PlannedItem]] = defaultdict(list)
    escalations: dict[int, list[PlannedItem]] = defaultdict(list)  # owner department → items
    current: set[int] = set()  # claims that are a milestone's current stage (taken over, not skipped)
    new_item = tuple.__new__  # PlannedItem(…) with all its fields, without the keyword-default wrapper (10⁵ calls)
    # The already-claimed check is done by the database: only milestones with a stage to claim or a stale
    # claim to take over come back (on the second day of a run, a few rows instead of the whole log).
    for ms_id, due_date, dept_id, stage_key, escalation_key, log_id, action, esc_id, esc_action in _due_milestones(
        candidates,
        run_date=run_date,
        horizon=horizon,
        limit=limit,
        rules=rules,
        cutoff=cutoff,
        escalating=sorted(admins),
    ):
        if action == _NEW:
            items[dept_id].append(new_item(PlannedItem, (ms_id, None, stage_key, due_date, None, None, "", None)))
        elif action == _TAKE_OVER:
            current.add(log_id)
            items[dept_id].append(PlannedItem(ms_id, None, stage_key, due_date, log_id=log_id))
        if esc_action == _NEW:
            escalations[dept_id].append(PlannedItem(ms_id, None, escalation_key, due_date, department_id=dept_id))
        elif esc_action == _TAKE_OVER:
            current.add(esc_id)
            escalations[dept_id].append(
                PlannedItem(ms_id, None, escalation_key, due_date, log_id=esc_id, department_id=dept_id)
            )
    # Unfinished claims that are no longer the milestone's current stage (superseded, completed,
    # due date moved): they will never be sent.
    to_skip: list[int] = sorted(unfinished_ids - current)

    _plan_sections(
        run_date=run_date,
        horizon=horizon,
        rules=rules,
        since=since,
        cutoff=cutoff,
        departments=mail_departments,
        municipality_id=municipality_id,
        items=items,
        to_skip=to_skip,
    )

    for dept_id, measure_id, period_start in _stale_measures(
        run_date=run_date, departments=mail_departments, cutoff=cutoff
    ):
        items[dept_id].append(PlannedItem(None, measure_id, STAGE_STALE, period_start[0], log_id=period_start[1]))

    departments, emails = _recipients(mail_departments)
    digests: list[Digest] = []
    for dept_id in sorted(items):
        dept = departments[dept_id]
        if emails.get(dept_id):
            digests.append(
                Digest("department", dept_id, dept["municipality_id"], dept["name"], emails[dept_id], items[dept_id])
            )
    muni_ids = {departments[d]["municipality_id"] for d in escalations}
    names = dict(Municipality.objects.filter(id__in=muni_ids).values_list("id", "name")) if muni_ids else {}
    by_muni: dict[int, list[PlannedItem]] = defaultdict(list)
    for dept_id, dept_items in escalations.items():
        by_muni[departments[dept_id]["municipality_id"]] += dept_items
    for muni_id in sorted(by_muni):
        if admins.get(muni_id):
            digests.append(Digest("escalation", None, muni_id, names[muni_id], admins[muni_id], by_muni[muni_id]))
    return digests, to_skip


_NEW, _TAKE_OVER, _NOTHING = 0, 1, 2  # what a milestone's current stage (or escalation) needs


def _stage_table(
    *, first: dt.date, limit: dt.date, run_date: dt.date, horizon: dt.date, rules: StageRules
) -> list[tuple[dt.date, str, str | None]]:
    """(due date, stage, escalation stage or None) for every due date from `first` to `limit` that has a stage
    on `run_date`: stage_for, once per date (a few thousand dates for 10⁶ milestones), joined in SQL."""
    table = []
    day = first
    while day <= limit:
        stage = stage_for(due_date=day, run_date=run_date, horizon=horizon, rules=rules)
        if stage is not None:
            escalation = (
                f"escalate_{stage.days}" if stage.kind == "overdue" and stage.days >= rules.escalate_after else None
            )
            table.append((day, stage.key, escalation))
        day += dt.timedelta(days=1)
    return table


def _due_milestones(
    candidates, *, run_date: dt.date, horizon: dt.date, limit: dt.date, rules, cutoff, escalating: list[int]
):
    """Candidate milestones with their current stage, joined to their claims in SQL (two queries).

    Rows: (milestone, due date, department, stage, escalation stage, claim id, action, escalation claim id,
    escalation action), action being _NEW (no claim yet), _TAKE_OVER (an unfinished claim past its lease) or
    _NOTHING (sent, skipped, or being sent right now). Rows where neither needs anything are not returned.
    Escalations are looked at only in the `escalating` municipalities (those with admins to tell)."""
    # The earliest open due date (one index probe per open status on milestone_status_due_idx).
    per_status = " UNION ALL ".join(
        f"SELECT MIN(due_date) AS d FROM {Milestone._meta.db_table} WHERE status = %s" for _s in OPEN_STATUSES
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(d) FROM ({per_status}) AS firsts", OPEN_STATUSES)
        first = cursor.fetchone()[0]
    if first is None:
        return []
    table = _stage_table(first=as_date(first), limit=limit, run_date=run_date, horizon=horizon, rules=rules)
    if not table:
        return []
    stages_sql, stages_params = rows_source([("due_date", "date"), ("stage", "text"), ("escalation", "text")], table)
    candidates_sql, candidates_params = candidates.query.sql_with_params()
    log = ReminderLog._meta.db_table
    done = [ReminderLog.State.SENT.value, ReminderLog.State.SKIPPED.value]
    cutoff_db = ReminderLog._meta.get_field("claimed_at").get_db_prep_save(cutoff, connection)

    def action(alias: str) -> str:
        return (
            f"CASE WHEN {alias}.id IS NULL THEN {_NEW} "
            f"WHEN {alias}.state NOT IN (%s, %s) AND {alias}.claimed_at < %s THEN {_TAKE_OVER} ELSE {_NOTHING} END"
        )

    if escalating:
        munis_sql, munis_params = rows_source([("id", "bigint")], [(m,) for m in escalating])
        escalation_sql = (
            f"e.id AS esc_id, CASE WHEN st.escalation IS NULL OR mu.id IS NULL THEN {_NOTHING} "
            f"ELSE {action('e')} END AS esc_action "
        )
        escalation_joins = (
            f"LEFT JOIN ({munis_sql}) AS mu ON mu.id = m.municipality_id "
            f"LEFT JOIN {log} AS e ON mu.id IS NOT NULL AND e.milestone_id = m.id AND e.stage = st.escalation "
            "AND e.due_date = m.due_date "
        )
        escalation_params = [*done, cutoff_db]
    else:  # nobody to escalate to: no second look at the log
        escalation_sql = f"NULL AS esc_id, {_NOTHING} AS esc_action "
        escalation_joins, munis_params, escalation_params = "", [], []
    sql = (
        "SELECT * FROM ("
        "SELECT m.id, m.due_date, m.owner_department_id, st.stage, st.escalation, "
        f"c.id AS claim_id, {action('c')} AS action, {escalation_sql}"
        f"FROM (SELECT id, due_date, owner_department_id, owner_department__municipality_id AS municipality_id "
        f"FROM ({candidates_sql}) AS cand) AS m "
        f"JOIN ({stages_sql}) AS st ON st.due_date = m.due_date "
        f"LEFT JOIN {log} AS c ON c.milestone_id = m.id AND c.stage = st.stage AND c.due_date = m.due_date "
        f"{escalation_joins}"
        f") AS due WHERE action <> {_NOTHING} OR esc_action <> {_NOTHING}"
    )
    params = [
        *done,
        cutoff_db,
        *escalation_params,
        *candidates_params,
        *stages_params,
        *munis_params,
    ]
    with connection.cursor() as cursor:  # fetchall: 10⁵ rows are cheaper in one go than in ORM chunks of 100
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if rows and not isinstance(rows[0][1], dt.date):  # SQLite: ISO text
        rows = [(r[0], as_date(r[1]), *r[2:]) for r in rows]
    return rows


def _plan_sections(
    *,
    run_date: dt.date,
    horizon: dt.date,
    rules: StageRules,
    since: dt.date,
    cutoff: dt.datetime,
    departments,
    municipality_id: int | None,
    items: dict[int, list[PlannedItem]],
    to_skip: list[int],
) -> None:
    """The registered extra sections' items, staged and checked against their claims like milestones."""
    providers = digest_sections()
    if not providers:
        return
    department_ids = set(departments.values_list("id", flat=True))
    claims = ReminderLog.objects.filter(object_id__isnull=False, run_date__gte=since)
    if municipality_id is not None:
        claims = claims.filter(department__municipality_id=municipality_id)
    existing = {
        (section, object_id, stage_key, due_date): (log_id, state, claimed_at)
        for log_id, section, object_id, stage_key, due_date, state, claimed_at in claims.order_by().values_list(
            "id", "section", "object_id", "stage", "due_date", "state", "claimed_at"
        )
    }
    done_states = (ReminderLog.State.SENT, ReminderLog.State.SKIPPED)
    for provider in providers:
        for c in provider.candidates(run_date=run_date, department_ids=department_ids):
            if c.department_id not in department_ids:
                continue
            stage_key = c.stage
            if stage_key is None:
                stage = stage_for(due_date=c.due_date, run_date=run_date, horizon=horizon, rules=rules)
                if stage is None:
                    continue
                stage_key = stage.key
            claim = existing.pop((provider.key, c.object_id, stage_key, c.due_date), None)
            if claim is None:
                items[c.department_id].append(
                    PlannedItem(None, None, stage_key, c.due_date, None, c.department_id, provider.key, c.object_id)
                )
            elif claim[1] not in done_states and claim[2] < cutoff:
                items[c.department_id].append(
                    PlannedItem(None, None, stage_key, c.due_date, claim[0], c.department_id, provider.key, c.object_id)
                )
    for log_id, state, claimed_at in existing.values():
        if state in (ReminderLog.State.CLAIMED, ReminderLog.State.FAILED) and claimed_at < cutoff:
            to_skip.append(log_id)


def _stale_measures(*, run_date: dt.date, departments, cutoff: dt.datetime):
    """(department, measure, (period start, stale claim id or None)) for measures with no progress update
    for REMINDER_STALE_DAYS days. One notice per stale period of that length, never two."""
    days = settings.REMINDER_STALE_DAYS
    if days <= 0:
        return []
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(run_date - dt.timedelta(days=days - 1), dt.time.min, tzinfo=tz)
    latest = ProgressUpdate.objects.filter(measure=OuterRef("pk")).order_by("-created_at").values("created_at")[:1]
    measures = (
        Measure.objects.filter(owner_department__in=departments, created_at__lt=since)
        .filter(Plan.in_force_q("plan"))
        .filter(Q(end_fy__isnull=True) | Q(end_fy__gte=fiscal_year(run_date)))
        .exclude(Exists(ProgressUpdate.objects.filter(measure=OuterRef("pk"), created_at__gte=since)))
        .annotate(last_update=Subquery(latest))
        .values_list("id", "owner_department_id", "created_at", "last_update")
    )
    rows = []
    for measure_id, dept_id, created_at, last_update in measures:
        last = timezone.localtime(last_update or created_at, tz).date()
        period_start = last + dt.timedelta(days=days * ((run_date - last).days // days))
        rows.append((measure_id, dept_id, period_start))
    if not rows:
        return []
    claims = {
        (m, d): (log_id, state, at)
        for log_id, m, d, state, at in ReminderLog.objects.filter(
            measure_id__in=[r[0] for r in rows], stage=STAGE_STALE, due_date__in={r[2] for r in rows}
        )
        .order_by()
        .values_list("id", "measure_id", "due_date", "state", "claimed_at")
    }
    result = []
    for measure_id, dept_id, period_start in rows:
        claim = claims.get((measure_id, period_start))
        if claim is None:
            result.append((dept_id, measure_id, (period_start, None)))
        elif claim[1] in (ReminderLog.State.CLAIMED, ReminderLog.State.FAILED) and claim[2] < cutoff:
            result.append((dept_id, measure_id, (period_start, claim[0])))
    return result
