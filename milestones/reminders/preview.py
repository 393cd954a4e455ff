"""What a run would send to whom: the admin's preview page and `send_reminders --dry-run`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from core.fiscal import format_wareki
from measures.models import Measure

from ..models import Milestone
from .planning import Digest
from .sections import digest_section
from .stages import days_left_label, parse_stage, stage_label


@dataclass
class PreviewLine:
    stage: str
    code: str
    title: str
    due_label: str
    days_left: str = ""  # counted from the run date: honest after a catch-up


@dataclass
class PreviewDigest:
    digest: Digest
    lines: list[PreviewLine]


def preview(digests: list[Digest], *, run_date: dt.date | None = None) -> list[PreviewDigest]:
    """Digests with the names of their items, in two queries."""
    ms_ids = {i.milestone_id for d in digests for i in d.items if i.milestone_id}
    measure_ids = {i.measure_id for d in digests for i in d.items if i.measure_id}
    milestones = {m.id: m for m in Milestone.objects.filter(id__in=ms_ids).only("id", "code", "title", "due_date")}
    measures = {m.id: m for m in Measure.objects.filter(id__in=measure_ids).only("id", "code", "title")}
    section_ids: dict[str, set[int]] = {}
    for d in digests:
        for i in d.items:
            if i.section:
                section_ids.setdefault(i.section, set()).add(i.object_id)
    section_lines = {}
    for key, ids in section_ids.items():
        provider = digest_section(key)
        if provider is not None:
            section_lines |= {(key, oid): (provider.title, line) for oid, line in provider.lines(ids).items()}
    result = []
    for digest in digests:
        lines = []
        for item in sorted(digest.items, key=lambda i: (i.milestone_id is None, i.due_date, i.milestone_id or 0)):
            if item.section:
                found = section_lines.get((item.section, item.object_id))
                if found:
                    title, line = found
                    label = title if line.due_date is None else f"{title}・{stage_label(parse_stage(item.stage))}"
                    lines.append(
                        PreviewLine(
                            label, line.code, line.title, format_wareki(line.due_date or item.due_date, weekday=True)
                        )
                    )
            elif item.milestone_id:
                ms = milestones[item.milestone_id]
                stage = parse_stage(item.stage.replace("escalate_", "overdue_"))
                lines.append(
                    PreviewLine(
                        stage_label(stage),
                        ms.code,
                        ms.title,
                        format_wareki(ms.due_date, weekday=True),
                        days_left_label(ms.due_date, run_date) if run_date else "",
                    )
                )
            else:
                m = measures[item.measure_id]
                lines.append(PreviewLine(_("進捗の更新をお願いします"), m.code, m.title, ""))
        result.append(PreviewDigest(digest, lines))
    return result


def describe_digest(digest: Digest) -> str:
    [p] = preview([digest])
    head = _("管理者へ（期限超過）") if digest.kind == "escalation" else digest.name
    lines = [f"■ {head} → {', '.join(digest.recipients)}（{len(digest.items)}件）"]
    lines += [
        f"  [{line.stage}] {line.code} {line.title} {line.due_label} {line.days_left}".rstrip() for line in p.lines
    ]
    return "\n".join(lines)
