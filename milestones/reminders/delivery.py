"""One digest e-mail: built from its claimed rows, sent once, its rows marked with conditional updates."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.fiscal import format_wareki
from core.text import single_line

from ..models import ReminderLog
from .planning import lease_cutoff
from .sections import SectionLine, digest_section
from .stages import OPEN_STATUSES, Stage, days_left_label, parse_stage, stage_label


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
    url: str  # straight to the item's update form (a milestone's status, a measure's progress report)


def section_lines(rows: list[ReminderLog]) -> dict[int, SectionLine]:
    """ReminderLog id → its section object as the provider describes it (one call per section)."""
    by_section: dict[str, list[ReminderLog]] = defaultdict(list)
    for row in rows:
        if row.section:
            by_section[row.section].append(row)
    result: dict[int, SectionLine] = {}
    for key, section_rows in by_section.items():
        provider = digest_section(key)
        lines = provider.lines([r.object_id for r in section_rows]) if provider else {}
        for r in section_rows:
            if r.object_id in lines:
                result[r.id] = lines[r.object_id]
    return result


def build_email(
    rows: list[ReminderLog], *, run_date: dt.date, lines: dict[int, SectionLine] | None = None
) -> EmailMultiAlternatives:
    """The digest e-mail for a set of claimed rows of one department (or one municipality's admins)."""
    milestone_items: list[DigestItem] = []
    stale_items: list[DigestItem] = []
    lines = section_lines(rows) if lines is None else lines
    sections: dict[str, list[DigestItem]] = defaultdict(list)
    for row in rows:
        if row.section:
            line = lines.get(row.id)
            provider = digest_section(row.section)
            if line is None or provider is None:
                continue
            stage = parse_stage(row.stage)
            due = line.due_date or row.due_date  # None: a periodic notice (its period date is the claim's)
            sections[str(provider.title)].append(
                DigestItem(
                    stage,
                    line.code,
                    line.title,
                    line.detail,
                    "",
                    due,
                    format_wareki(due, weekday=True),
                    days_left_label(line.due_date, run_date) if line.due_date else "",
                    line.status,
                    row.department.name,
                    line.url,
                )
            )
        elif row.milestone_id:
            ms = row.milestone
            milestone_items.append(
                DigestItem(
                    parse_stage(row.stage.replace("escalate_", "overdue_")),
                    ms.code,
                    ms.title,
                    f"{ms.measure.code} {ms.measure.title}",
                    "、".join(f"{i.number}. {i.short_name or i.name}" for i in ms.measure.national_items.all()),
                    ms.due_date,
                    format_wareki(ms.due_date, weekday=True),
                    days_left_label(ms.due_date, run_date),
                    ms.get_status_display(),
                    ms.owner_department.name,
                    settings.SITE_URL + reverse("milestones:update", args=[ms.pk]),
                )
            )
        else:
            m = row.measure
            stale_items.append(
                DigestItem(
                    None,
                    m.code,
                    m.title,
                    f"{m.code} {m.title}",
                    "、".join(f"{i.number}. {i.short_name or i.name}" for i in m.national_items.all()),
                    None,
                    format_wareki(row.due_date),
                    "",
                    "",
                    m.owner_department.name,
                    settings.SITE_URL + reverse("measures:report_progress", args=[m.pk]),
                )
            )
    groups: dict[str, list[DigestItem]] = defaultdict(list)
    for item in sorted(milestone_items, key=lambda i: (i.stage.urgency, i.due_date, i.code)):
        groups[stage_label(item.stage)].append(item)
    escalation = bool(rows) and rows[0].escalated
    first = rows[0]
    if escalation:
        place = first.department.municipality.name
        subject = _("【DX推進】期限を%(days)s日以上過ぎたマイルストーン %(count)s件（%(place)s）") % {
            "days": settings.REMINDER_ESCALATE_AFTER_DAYS,
            "count": len(milestone_items),
            "place": place,
        }
    else:
        place = first.department.name
        if milestone_items:
            subject = _("【DX推進】期限の近いマイルストーン %(count)s件（%(place)s）") % {
                "count": len(milestone_items),
                "place": place,
            }
        elif len(sections) == 1:  # one section only: its own heading says what it asks
            [(heading, section_items)] = sections.items()
            subject = _("【DX推進】%(heading)s %(count)s件（%(place)s）") % {
                "heading": heading,
                "count": len(section_items),
                "place": place,
            }
        elif sections:
            subject = _("【DX推進】期限のお知らせ %(count)s件（%(place)s）") % {
                "count": sum(len(v) for v in sections.values()),
                "place": place,
            }
        else:
            subject = _("【DX推進】進捗の更新をお願いします %(count)s件（%(place)s）") % {
                "count": len(stale_items),
                "place": place,
            }
    # A mail header is one line: a name imported with a line break must not make this digest fail on every run.
    subject = single_line(subject)
    context = {
        "subject": subject,
        "place": place,
        "groups": list(groups.items()),
        "stale_items": stale_items,
        "sections": [
            (title, sorted(items, key=lambda i: (i.stage.urgency, i.due_date, i.code)))
            for title, items in sections.items()
        ],
        "escalation": escalation,
        "run_date_label": format_wareki(run_date, weekday=True),
        "stale_days": settings.REMINDER_STALE_DAYS,
        "site_url": settings.SITE_URL,
        "escalate_days": settings.REMINDER_ESCALATE_AFTER_DAYS,
    }
    text = render_to_string("milestones/email/digest.txt", context)
    html = render_to_string("milestones/email/digest.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, to=list(first.recipients))
    message.attach_alternative(html, "text/html")
    return message


def _rows_for_email(ids: list[int]) -> list[ReminderLog]:
    return list(
        ReminderLog.objects.filter(id__in=ids)
        .select_related(
            "milestone__measure", "milestone__owner_department", "measure__owner_department", "department__municipality"
        )
        .prefetch_related("milestone__measure__national_items", "measure__national_items")
        .order_by("id")
    )


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
    takeable = (
        Q(claimed_at=token, state=ReminderLog.State.CLAIMED)
        | Q(state=ReminderLog.State.FAILED)
        | Q(state=ReminderLog.State.CLAIMED, claimed_at__lt=lease_cutoff(now))
    )
    base = ReminderLog.objects.filter(id__in=log_ids)
    taken = base.filter(takeable).update(claimed_at=mine, state=ReminderLog.State.CLAIMED, attempts=F("attempts") + 1)
    if not taken:
        return Delivery(busy=base.filter(state=ReminderLog.State.CLAIMED).count())
    rows = _rows_for_email(list(base.filter(claimed_at=mine).values_list("id", flat=True)))
    ids = [r.id for r in rows]
    # Items that became moot between the claim and now (completed, due date moved) are not sent.
    lines = section_lines(rows)
    moot = [
        r.id
        for r in rows
        if r.milestone_id and (r.milestone.status not in OPEN_STATUSES or r.milestone.due_date != r.due_date)
    ]
    moot += [
        r.id
        for r in rows
        if r.section
        and (r.id not in lines or not lines[r.id].still_due or lines[r.id].due_date not in (None, r.due_date))
    ]
    if moot:
        ReminderLog.objects.filter(id__in=moot, claimed_at=mine).update(
            state=ReminderLog.State.SKIPPED, error=_("送信前に完了または期限変更されました")
        )
        rows = [r for r in rows if r.id not in moot]
    if not rows:
        return Delivery()
    run_date = max(r.run_date for r in rows)
    try:
        build_email(rows, run_date=run_date, lines=lines).send()
    except Exception as exc:
        ReminderLog.objects.filter(id__in=ids, claimed_at=mine, state=ReminderLog.State.CLAIMED).update(
            state=ReminderLog.State.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    ReminderLog.objects.filter(id__in=[r.id for r in rows], claimed_at=mine).update(
        state=ReminderLog.State.SENT, sent_at=timezone.now()
    )
    return Delivery(sent=len(rows))
