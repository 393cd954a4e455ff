"""Deadline reminders (DESIGN.md §5): which milestone is at which stage on a run date, one digest per
department per run, claimed exactly once, sent by a Celery task (or inline).

How "exactly once" works (healthchecks' conditional-update idea, with a unique row as the claim):
- A run inserts one ReminderLog row per (milestone, stage, due date) with INSERT … ON CONFLICT DO NOTHING
  RETURNING id, one statement per department. Only the rows a run got back are its to send; a second
  run (or a retried task) inserting the same keys gets nothing back and sends nothing.
- The row's `claimed_at` is the owner's token. Whoever sends first moves the rows to a fresh token with one
  conditional UPDATE (only if the token is still the one it was given, or the claim has gone stale), then
  sends, then marks them sent with another conditional UPDATE. A killed worker leaves rows `claimed`;
  once older than REMINDER_CLAIM_LEASE_SECONDS the next run (or the redelivered task) takes them over.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from measures.models import Measure, ProgressUpdate
from plans.fiscal import fiscal_year, format_wareki
from plans.models import Department, Membership, Municipality, Plan
from plans.roles import Role

from .business_days import is_business_day, next_business_day
from .models import Milestone, ReminderLog

logger = logging.getLogger(__name__)

STAGE_DUE = "due"
STAGE_STALE = "stale"
OPEN_STATUSES = [str(s) for s in Milestone.OPEN_STATUSES]


# --- stages ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    key: str  # before_30, before_7, before_1, due, overdue_1, overdue_8, …
    kind: str  # "before", "due" or "overdue"
    days: int  # days before (before) or after (overdue) the due date; 0 for due

    @property
    def escalates(self) -> bool:
        return self.kind == "overdue" and self.days >= settings.REMINDER_ESCALATE_AFTER_DAYS

    @property
    def urgency(self) -> int:
        """Sort key: most urgent first (overdue, due, 1 day before, 7, 30)."""
        return {"overdue": 0, "due": 1}.get(self.kind, 2) * 1000 + (self.days if self.kind == "before" else 0)


def parse_stage(key: str) -> Stage:
    if key == STAGE_DUE:
        return Stage(key, "due", 0)
    kind, _sep, days = key.partition("_")
    return Stage(key, kind, int(days))


def horizon_for(run_date: dt.date) -> dt.date:
    """The last day this run speaks for: warnings falling on the closed days before the next business
    day are sent now, while there is still time to act."""
    return next_business_day(run_date) - dt.timedelta(days=1)


@dataclass(frozen=True)
class StageRules:
    """The stage settings, read once per run (settings lookups are slow in a loop over 10⁶ milestones)."""

    days_before: tuple[int, ...]
    overdue_repeat: int
    escalate_after: int

    @classmethod
    def from_settings(cls) -> StageRules:
        return cls(tuple(sorted(settings.REMINDER_STAGES_DAYS_BEFORE)), settings.REMINDER_OVERDUE_REPEAT_DAYS,
                   settings.REMINDER_ESCALATE_AFTER_DAYS)


def stage_for(*, due_date: dt.date, run_date: dt.date, horizon: dt.date | None = None,
              rules: StageRules | None = None) -> Stage | None:
    """The most urgent stage a milestone has reached on `run_date` (None: nothing to say yet).

    Only the most urgent one is ever sent: after an outage a milestone gets one reminder, not a burst.
    Warnings (before / due) look ahead to `horizon`; "overdue" is said only once it is true.
    """
    horizon = horizon or run_date
    rules = rules or StageRules.from_settings()
    if due_date < run_date:
        days_over = (run_date - due_date).days
        days = 1 + ((days_over - 1) // rules.overdue_repeat) * rules.overdue_repeat
        return Stage(f"overdue_{days}", "overdue", days)
    if due_date <= horizon:
        return Stage(STAGE_DUE, "due", 0)
    ahead = (due_date - horizon).days
    for days in rules.days_before:
        if days >= ahead:
            return Stage(f"before_{days}", "before", days)
    return None


def stage_label(stage: Stage) -> str:
    if stage.kind == "overdue":
        return _("期限を過ぎています")
    if stage.kind == "due":
        return _("期限当日")
    return _("期限の%(days)s日前") % {"days": stage.days}


# --- the run's plan ------------------------------------------------------------------------------


class PlannedItem(NamedTuple):  # a tuple: a run makes one per due milestone, 10⁵–10⁶ of them
    milestone_id: int | None
    measure_id: int | None
    stage: str
    due_date: dt.date
    log_id: int | None = None  # set for a stale claim taken over from an earlier run
    department_id: int | None = None  # the owner department (escalation digests span departments)


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

    @property
    def email_count(self) -> int:
        return sum(1 for d in self.digests if d.items)


def _departments_with_mail() -> Q:
    """Departments that have somewhere to send to: their own address or an opted-in member with one."""
    members = Membership.objects.filter(departments=OuterRef("pk"), receives_reminders=True,
                                        user__is_active=True).exclude(user__email="")
    return Q(email__gt="") | Q(Exists(members))


def _recipients(departments_qs) -> tuple[dict[int, dict], dict[int, list[str]]]:
    """Name, municipality and addresses of every department that has mail (two queries)."""
    departments = {d["id"]: d for d in departments_qs.values("id", "name", "email", "municipality_id")}
    emails: dict[int, set[str]] = defaultdict(set)
    for d in departments.values():
        if d["email"]:
            emails[d["id"]].add(d["email"])
    through = Membership.departments.through
    for dept_id, email in (through.objects.filter(department__in=departments_qs.values("id"),
                                                  membership__receives_reminders=True,
                                                  membership__user__is_active=True)
                           .exclude(membership__user__email="")
                           .values_list("department_id", "membership__user__email")):
        emails[dept_id].add(email)
    return departments, {k: sorted(v) for k, v in emails.items()}


def _admin_recipients(municipality_ids: set[int]) -> dict[int, list[str]]:
    result: dict[int, set[str]] = defaultdict(set)
    for muni_id, email in (User.objects.filter(groups__name=Role.ADMIN, is_active=True,
                                               membership__municipality_id__in=municipality_ids,
                                               membership__receives_reminders=True)
                           .exclude(email="").values_list("membership__municipality_id", "email")):
        result[muni_id].add(email)
    return {k: sorted(v) for k, v in result.items()}


def _lease_cutoff(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(seconds=settings.REMINDER_CLAIM_LEASE_SECONDS)


def plan_run(*, run_date: dt.date, municipality_id: int | None = None,
             now: dt.datetime | None = None) -> tuple[list[Digest], list[int]]:
    """Compute (without writing) the digests of a run and the ids of stale claims to skip.

    A fixed number of queries, whatever the number of milestones: candidates, their existing claims,
    stale claims, stale measures, recipients.
    """
    # Hundreds of thousands of small objects, none of them cyclic: the cyclic GC would rescan them
    # again and again and triple the run time.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _plan_run(run_date=run_date, municipality_id=municipality_id, now=now)
    finally:
        if gc_was_enabled:
            gc.enable()


def _plan_run(*, run_date: dt.date, municipality_id: int | None,
              now: dt.datetime | None) -> tuple[list[Digest], list[int]]:
    now = now or timezone.now()
    horizon = horizon_for(run_date)
    look_ahead = max(settings.REMINDER_STAGES_DAYS_BEFORE, default=0)
    mail_departments = Department.objects.filter(_departments_with_mail())
    if municipality_id is not None:
        mail_departments = mail_departments.filter(municipality_id=municipality_id)

    candidates = (Milestone.objects.filter(status__in=OPEN_STATUSES,
                                           due_date__lte=horizon + dt.timedelta(days=look_ahead),
                                           owner_department__in=mail_departments)
                  .exclude(plan__status=Plan.Status.ARCHIVED)
                  .order_by().values_list("id", "due_date", "owner_department_id"))
    # Claims already made. The most urgent stage was reached at most one stage gap (plus a closure)
    # ago, so older claims cannot matter.
    gaps = sorted({*settings.REMINDER_STAGES_DAYS_BEFORE, 0})
    max_gap = max([b - a for a, b in zip(gaps, gaps[1:], strict=False)] + [settings.REMINDER_OVERDUE_REPEAT_DAYS])
    since = run_date - dt.timedelta(days=max_gap + 14)
    existing: dict[tuple[int, str, dt.date], tuple[int, str, dt.datetime]] = {}
    claims = ReminderLog.objects.filter(milestone__isnull=False, run_date__gte=since)
    if municipality_id is not None:
        claims = claims.filter(department__municipality_id=municipality_id)
    for log_id, ms_id, stage_key, due_date, state, claimed_at in claims.values_list(
            "id", "milestone_id", "stage", "due_date", "state", "claimed_at"):
        existing[(ms_id, stage_key, due_date)] = (log_id, state, claimed_at)

    rules = StageRules.from_settings()
    cutoff = _lease_cutoff(now)
    done_states = (ReminderLog.State.SENT, ReminderLog.State.SKIPPED)
    # A few thousand distinct due dates for 10⁶ milestones: stage once per date.
    stages: dict[dt.date, tuple[str, str | None] | None] = {}
    items: dict[int, list[PlannedItem]] = defaultdict(list)
    escalations: dict[int, list[PlannedItem]] = defaultdict(list)  # owner department → items
    to_skip: list[int] = []
    sql, params = candidates.query.sql_with_params()
    with connection.cursor() as cursor:  # fetchall: 10⁵ rows are cheaper in one go than in ORM chunks of 100
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for ms_id, due_date, dept_id in rows:
        try:
            staged = stages[due_date]
        except KeyError:
            stage = stage_for(due_date=due_date, run_date=run_date, horizon=horizon, rules=rules)
            staged = stages[due_date] = None if stage is None else (
                stage.key, f"escalate_{stage.days}" if stage.kind == "overdue" and stage.days >= rules.escalate_after
                else None)
        if staged is None:
            continue
        stage_key, escalation_key = staged
        claim = existing.pop((ms_id, stage_key, due_date), None) if existing else None
        if claim is None:
            items[dept_id].append(PlannedItem(ms_id, None, stage_key, due_date))
        elif claim[1] in done_states or claim[2] >= cutoff:
            continue  # done, or someone is sending it right now
        else:
            items[dept_id].append(PlannedItem(ms_id, None, stage_key, due_date, log_id=claim[0]))
        if escalation_key:
            esc_claim = existing.pop((ms_id, escalation_key, due_date), None) if existing else None
            if esc_claim is None:
                escalations[dept_id].append(PlannedItem(ms_id, None, escalation_key, due_date, department_id=dept_id))
            elif esc_claim[1] not in done_states and esc_claim[2] < cutoff:
                escalations[dept_id].append(PlannedItem(ms_id, None, escalation_key, due_date, log_id=esc_claim[0],
                                                       department_id=dept_id))
    # Unfinished claims that are no longer the milestone's current stage (superseded, completed,
    # due date moved): they will never be sent.
    for log_id, state, claimed_at in existing.values():
        if state in (ReminderLog.State.CLAIMED, ReminderLog.State.FAILED) and claimed_at < cutoff:
            to_skip.append(log_id)

    for dept_id, measure_id, period_start in _stale_measures(run_date=run_date, departments=mail_departments,
                                                              cutoff=cutoff):
        items[dept_id].append(PlannedItem(None, measure_id, STAGE_STALE, period_start[0], log_id=period_start[1]))

    departments, emails = _recipients(mail_departments)
    digests: list[Digest] = []
    for dept_id in sorted(items):
        dept = departments[dept_id]
        if emails.get(dept_id):
            digests.append(Digest("department", dept_id, dept["municipality_id"], dept["name"], emails[dept_id],
                                  items[dept_id]))
    muni_ids = {departments[d]["municipality_id"] for d in escalations}
    admins = _admin_recipients(muni_ids)
    names = dict(Municipality.objects.filter(id__in=muni_ids).values_list("id", "name")) if muni_ids else {}
    by_muni: dict[int, list[PlannedItem]] = defaultdict(list)
    for dept_id, dept_items in escalations.items():
        by_muni[departments[dept_id]["municipality_id"]] += dept_items
    for muni_id in sorted(by_muni):
        if admins.get(muni_id):
            digests.append(Digest("escalation", None, muni_id, names[muni_id], admins[muni_id],
                                  by_muni[muni_id]))
    return digests, to_skip


def _stale_measures(*, run_date: dt.date, departments, cutoff: dt.datetime):
    """(department, measure, (period start, stale claim id or None)) for measures with no progress update
    for REMINDER_STALE_DAYS days. One notice per stale period of that length, never two."""
    days = settings.REMINDER_STALE_DAYS
    if days <= 0:
        return []
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(run_date - dt.timedelta(days=days - 1), dt.time.min, tzinfo=tz)
    latest = ProgressUpdate.objects.filter(measure=OuterRef("pk")).order_by("-created_at").values("created_at")[:1]
    measures = (Measure.objects.filter(owner_department__in=departments, created_at__lt=since)
                .exclude(plan__status=Plan.Status.ARCHIVED)
                .filter(Q(end_fy__isnull=True) | Q(end_fy__gte=fiscal_year(run_date)))
                .exclude(Exists(ProgressUpdate.objects.filter(measure=OuterRef("pk"), created_at__gte=since)))
                .annotate(last_update=Subquery(latest))
                .values_list("id", "owner_department_id", "created_at", "last_update"))
    rows = []
    for measure_id, dept_id, created_at, last_update in measures:
        last = timezone.localtime(last_update or created_at, tz).date()
        period_start = last + dt.timedelta(days=days * ((run_date - last).days // days))
        rows.append((measure_id, dept_id, period_start))
    if not rows:
        return []
    claims = {(m, d): (log_id, state, at) for log_id, m, d, state, at in ReminderLog.objects.filter(
        measure_id__in=[r[0] for r in rows], stage=STAGE_STALE).values_list(
        "id", "measure_id", "due_date", "state", "claimed_at")}
    result = []
    for measure_id, dept_id, period_start in rows:
        claim = claims.get((measure_id, period_start))
        if claim is None:
            result.append((dept_id, measure_id, (period_start, None)))
        elif claim[1] in (ReminderLog.State.CLAIMED, ReminderLog.State.FAILED) and claim[2] < cutoff:
            result.append((dept_id, measure_id, (period_start, claim[0])))
    return result


# --- claiming ----------------------------------------------------------------------------------


def _claim(digest: Digest, *, run_date: dt.date, token: dt.datetime, now: dt.datetime) -> list[int]:
    """Insert the digest's new claims and take over its stale ones; return the ids this run owns."""
    new = [i for i in digest.items if i.log_id is None]
    owned: list[int] = []
    if new:
        fields = [ReminderLog._meta.get_field(name) for name in (
            "milestone", "measure", "department", "stage", "due_date", "run_date", "state", "recipients",
            "attempts", "error", "escalated", "claimed_at")]
        rows = []
        for item in sorted(new, key=lambda i: (i.milestone_id or 0, i.measure_id or 0, i.stage)):
            values = (item.milestone_id, item.measure_id,
                      digest.department_id or item.department_id, item.stage, item.due_date,
                      run_date, ReminderLog.State.CLAIMED, digest.recipients, 0, "",
                      digest.kind == "escalation", token)
            rows.append([f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True)])
        table = connection.ops.quote_name(ReminderLog._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
        for start in range(0, len(rows), 500):
            chunk = rows[start:start + 500]
            sql = (f"INSERT INTO {table} ({columns}) VALUES {', '.join([placeholders] * len(chunk))} "
                   f"ON CONFLICT DO NOTHING RETURNING id")
            with connection.cursor() as cursor:
                cursor.execute(sql, [v for row in chunk for v in row])
                owned.extend(r[0] for r in cursor.fetchall())
    stale = [i.log_id for i in digest.items if i.log_id is not None]
    if stale:
        taken = (ReminderLog.objects.filter(id__in=stale, claimed_at__lt=_lease_cutoff(now),
                                            state__in=[ReminderLog.State.CLAIMED, ReminderLog.State.FAILED])
                 .update(claimed_at=token, recipients=digest.recipients, run_date=run_date))
        if taken:
            owned.extend(ReminderLog.objects.filter(id__in=stale, claimed_at=token).values_list("id", flat=True))
    return owned


def run_reminders(*, run_date: dt.date, dry_run: bool = False, inline: bool = False,
                  municipality_id: int | None = None) -> RunReport:
    """Compute a run's digests, claim them and queue one send task per digest (or send inline).

    Called by the beat task, `manage.py send_reminders` (inline) and the admin's 今すぐ送信.
    """
    report = RunReport(run_date=run_date, business_day=is_business_day(run_date), dry_run=dry_run)
    if not report.business_day:
        return report
    now = timezone.now()
    digests, to_skip = plan_run(run_date=run_date, municipality_id=municipality_id, now=now)
    report.digests = digests
    if dry_run:
        return report
    if to_skip:
        report.skipped = (ReminderLog.objects.filter(id__in=to_skip, claimed_at__lt=_lease_cutoff(now),
                                                     state__in=[ReminderLog.State.CLAIMED, ReminderLog.State.FAILED])
                          .update(state=ReminderLog.State.SKIPPED, error=_("より新しい通知に置き換えられました")))
    token = now
    for digest in digests:
        digest.log_ids = _claim(digest, run_date=run_date, token=token, now=now)
        report.claimed += len(digest.log_ids)
        report.taken_over += sum(1 for i in digest.items if i.log_id is not None)
        if digest.log_ids and not _queue(digest.log_ids, token, inline=inline):
            report.failed += 1
    report.digests = [d for d in digests if d.log_ids]
    return report


def _queue(log_ids: list[int], token: dt.datetime, *, inline: bool) -> bool:
    """Send now (inline) or queue the send for after the commit. False: the inline send failed."""
    from .tasks import send_digest

    if inline:
        try:
            deliver_digest(log_ids=log_ids, token=token)
        except Exception:  # recorded on the rows; the other departments still get theirs
            logger.exception("A reminder digest could not be sent; the next run will retry it.")
            return False
        return True

    def enqueue() -> None:
        try:
            send_digest.delay(log_ids, token.isoformat())
        except Exception as exc:  # broker down: the claims stay; the next run (after the lease) takes them
            logger.warning("Could not queue a reminder digest (%s); the next run will send it.", exc)

    transaction.on_commit(enqueue)
    return True


# --- sending -----------------------------------------------------------------------------------


@dataclass
class DigestItem:
    stage: Stage | None
    code: str
    title: str
    measure: str
    national_items: str
    due_date: dt.date | None
    due_label: str
    remaining: str
    status: str
    department: str
    url: str


def _remaining(due_date: dt.date, run_date: dt.date) -> str:
    days = (due_date - run_date).days
    if days > 0:
        return _("あと%(days)s日") % {"days": days}
    if days == 0:
        return _("本日")
    return _("%(days)s日超過") % {"days": -days}


def build_email(rows: list[ReminderLog], *, run_date: dt.date) -> EmailMultiAlternatives:
    """The digest e-mail for a set of claimed rows of one department (or one municipality's admins)."""
    milestone_items: list[DigestItem] = []
    stale_items: list[DigestItem] = []
    for row in rows:
        if row.milestone_id:
            ms = row.milestone
            milestone_items.append(DigestItem(
                parse_stage(row.stage.replace("escalate_", "overdue_")), ms.code, ms.title,
                f"{ms.measure.code} {ms.measure.title}",
                "、".join(f"{i.number}. {i.short_name or i.name}" for i in ms.measure.national_items.all()),
                ms.due_date, format_wareki(ms.due_date, weekday=True), _remaining(ms.due_date, run_date),
                ms.get_status_display(), ms.owner_department.name, f"{settings.SITE_URL}/milestones/{ms.pk}/"))
        else:
            m = row.measure
            stale_items.append(DigestItem(
                None, m.code, m.title, f"{m.code} {m.title}",
                "、".join(f"{i.number}. {i.short_name or i.name}" for i in m.national_items.all()),
                None, format_wareki(row.due_date), "", "", m.owner_department.name,
                f"{settings.SITE_URL}/measures/{m.pk}/"))
    groups: dict[str, list[DigestItem]] = defaultdict(list)
    for item in sorted(milestone_items, key=lambda i: (i.stage.urgency, i.due_date, i.code)):
        groups[stage_label(item.stage)].append(item)
    escalation = bool(rows) and rows[0].escalated
    first = rows[0]
    if escalation:
        place = first.department.municipality.name
        subject = _("【DX推進】期限を%(days)s日以上過ぎたマイルストーン %(count)s件（%(place)s）") % {
            "days": settings.REMINDER_ESCALATE_AFTER_DAYS, "count": len(milestone_items), "place": place}
    else:
        place = first.department.name
        if milestone_items:
            subject = _("【DX推進】期限の近いマイルストーン %(count)s件（%(place)s）") % {
                "count": len(milestone_items), "place": place}
        else:
            subject = _("【DX推進】進捗の更新をお願いします %(count)s件（%(place)s）") % {
                "count": len(stale_items), "place": place}
    context = {"subject": subject, "place": place, "groups": list(groups.items()), "stale_items": stale_items,
               "escalation": escalation, "run_date_label": format_wareki(run_date, weekday=True),
               "stale_days": settings.REMINDER_STALE_DAYS, "site_url": settings.SITE_URL,
               "escalate_days": settings.REMINDER_ESCALATE_AFTER_DAYS}
    text = render_to_string("milestones/email/digest.txt", context)
    html = render_to_string("milestones/email/digest.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, to=list(first.recipients))
    message.attach_alternative(html, "text/html")
    return message


def _rows_for_email(ids: list[int]) -> list[ReminderLog]:
    return list(ReminderLog.objects.filter(id__in=ids)
                .select_related("milestone__measure", "milestone__owner_department", "measure__owner_department",
                                "department__municipality")
                .prefetch_related("milestone__measure__national_items", "measure__national_items")
                .order_by("id"))


@dataclass
class Delivery:
    sent: int = 0
    busy: int = 0  # rows someone else holds right now (retry later)


def deliver_digest(*, log_ids: list[int], token: dt.datetime) -> Delivery:
    """Send one digest: take the rows (conditional UPDATE), send, mark them sent.

    Raises the mail error after recording it on the rows, so the Celery task can retry with back-off.
    """
    now = timezone.now()
    mine = now if now != token else now + dt.timedelta(microseconds=1)
    takeable = (Q(claimed_at=token, state=ReminderLog.State.CLAIMED) | Q(state=ReminderLog.State.FAILED)
                | Q(state=ReminderLog.State.CLAIMED, claimed_at__lt=_lease_cutoff(now)))
    base = ReminderLog.objects.filter(id__in=log_ids)
    taken = base.filter(takeable).update(claimed_at=mine, state=ReminderLog.State.CLAIMED,
                                         attempts=F("attempts") + 1)
    if not taken:
        return Delivery(busy=base.filter(state=ReminderLog.State.CLAIMED).count())
    rows = _rows_for_email(list(base.filter(claimed_at=mine).values_list("id", flat=True)))
    ids = [r.id for r in rows]
    # Items that became moot between the claim and now (completed, due date moved) are not sent.
    moot = [r.id for r in rows if r.milestone_id and (r.milestone.status not in OPEN_STATUSES
                                                       or r.milestone.due_date != r.due_date)]
    if moot:
        ReminderLog.objects.filter(id__in=moot, claimed_at=mine).update(
            state=ReminderLog.State.SKIPPED, error=_("送信前に完了または期限変更されました"))
        rows = [r for r in rows if r.id not in moot]
    if not rows:
        return Delivery()
    run_date = max(r.run_date for r in rows)
    try:
        build_email(rows, run_date=run_date).send()
    except Exception as exc:
        ReminderLog.objects.filter(id__in=ids, claimed_at=mine, state=ReminderLog.State.CLAIMED).update(
            state=ReminderLog.State.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    ReminderLog.objects.filter(id__in=[r.id for r in rows], claimed_at=mine).update(
        state=ReminderLog.State.SENT, sent_at=timezone.now())
    return Delivery(sent=len(rows))


# --- preview (admin page, --dry-run) --------------------------------------------------------------


@dataclass
class PreviewLine:
    stage: str
    code: str
    title: str
    due_label: str


@dataclass
class PreviewDigest:
    digest: Digest
    lines: list[PreviewLine]


def preview(digests: list[Digest]) -> list[PreviewDigest]:
    """Digests with the names of their items, in two queries."""
    ms_ids = {i.milestone_id for d in digests for i in d.items if i.milestone_id}
    measure_ids = {i.measure_id for d in digests for i in d.items if i.measure_id}
    milestones = {m.id: m for m in Milestone.objects.filter(id__in=ms_ids).only("id", "code", "title", "due_date")}
    measures = {m.id: m for m in Measure.objects.filter(id__in=measure_ids).only("id", "code", "title")}
    result = []
    for digest in digests:
        lines = []
        for item in sorted(digest.items, key=lambda i: (i.milestone_id is None, i.due_date, i.milestone_id or 0)):
            if item.milestone_id:
                ms = milestones[item.milestone_id]
                stage = parse_stage(item.stage.replace("escalate_", "overdue_"))
                lines.append(PreviewLine(stage_label(stage), ms.code, ms.title, format_wareki(ms.due_date, weekday=True)))
            else:
                m = measures[item.measure_id]
                lines.append(PreviewLine(_("進捗の更新をお願いします"), m.code, m.title, ""))
        result.append(PreviewDigest(digest, lines))
    return result


def describe_digest(digest: Digest) -> str:
    [p] = preview([digest])
    head = _("管理者へ（期限超過）") if digest.kind == "escalation" else digest.name
    lines = [f"■ {head} → {', '.join(digest.recipients)}（{len(digest.items)}件）"]
    lines += [f"  [{line.stage}] {line.code} {line.title} {line.due_label}".rstrip() for line in p.lines]
    return "\n".join(lines)
