"""A year of history for the demo plan, so the as-of views, "what changed since the last session" and the
session briefing have something to show: the plan as it was registered a year ago, milestones started,
completed and moved on past dates, progress reports through the year, KPI values recorded when they were
measured (one corrected later), the past year's four 定例会, the next one, and a few 答弁 commitments.

History rows are written with past dates (simple-history tables, ProgressUpdate.created_at,
IndicatorValue.recorded_at) by queryset updates, never by editing the live rows' meaning. Runs once per demo
municipality: when it already has council sessions, it does nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from core.fiscal import era_year, fiscal_year
from council.models import Commitment, CouncilSession
from measures.models import Indicator, IndicatorValue, Measure, ProgressUpdate, WorkStatus
from milestones.models import Milestone
from plans.models import Department, Plan

HISTORY_DAYS = 380  # the plan was registered in the portal this many days before the seed runs

# milestone code → (days before today it was moved, its original due date's offset from the current one)
MOVED = {"M03-2": (45, -60), "M12-3": (20, -65), "M07-3": (130, -90)}
# measure code → days ago it was added to the plan (the others are there from the start)
ADDED_LATER = {"M14": 60}


def _moment(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


def _copy_history(instance, when: dt.datetime, history_type: str = "~", **overrides) -> None:
    model = type(instance)
    values = {f.attname: getattr(instance, f.attname) for f in model._meta.concrete_fields}
    values.update(overrides)
    model.history.model.objects.create(
        history_date=when, history_type=history_type, history_change_reason="demo history", **values
    )


def seed_history(*, plan: Plan, today: dt.date, users: dict) -> bool:
    """Give the freshly seeded demo plan a year of history. False if it already has one."""
    municipality = plan.municipality
    if CouncilSession.objects.filter(municipality=municipality).exists():
        return False
    start = today - dt.timedelta(days=HISTORY_DAYS)
    t0 = _moment(start, 9)
    Plan.objects.filter(pk=plan.pk).update(created_at=t0)
    Plan.history.filter(id=plan.pk).update(history_date=t0)

    measures = {m.code: m for m in Measure.objects.filter(plan=plan)}
    for code, m in measures.items():
        born = _moment(today - dt.timedelta(days=ADDED_LATER[code]), 9) if code in ADDED_LATER else t0
        Measure.objects.filter(pk=m.pk).update(created_at=born)
        Measure.history.filter(id=m.pk).update(history_date=born)
    for ind in Indicator.objects.filter(plan=plan).select_related("measure"):
        born = (
            _moment(today - dt.timedelta(days=ADDED_LATER[ind.measure.code]), 9)
            if ind.measure.code in ADDED_LATER
            else t0
        )
        Indicator.history.filter(id=ind.pk).update(history_date=born)

    for ms in Milestone.objects.filter(plan=plan).select_related("measure"):
        born_day = today - dt.timedelta(days=ADDED_LATER.get(ms.measure.code, HISTORY_DAYS))
        born = _moment(born_day, 9)
        # The first version: not started, at its original due date.
        original_due = ms.due_date
        moved = MOVED.get(ms.code)
        if moved:
            original_due = ms.due_date + dt.timedelta(days=moved[1])
        Milestone.history.filter(id=ms.pk).delete()
        _copy_history(ms, born, "+", status=WorkStatus.NOT_STARTED, completed_on=None, due_date=original_due)
        last = born_day
        if moved:
            moved_day = max(born_day + dt.timedelta(days=1), today - dt.timedelta(days=moved[0]))
            _copy_history(ms, _moment(moved_day, 11), status=WorkStatus.NOT_STARTED, completed_on=None)
            last = moved_day
        if ms.status != WorkStatus.NOT_STARTED:
            if ms.status == WorkStatus.DONE:
                started = ms.due_date - dt.timedelta(days=45)
                changed = ms.completed_on or ms.due_date
            elif ms.status == WorkStatus.DELAYED:
                started = ms.due_date - dt.timedelta(days=40)
                changed = ms.due_date + dt.timedelta(days=3)
            else:
                started = changed = ms.due_date - dt.timedelta(days=40)
            started = min(max(started, last + dt.timedelta(days=1)), today)
            changed = min(max(changed, started), today)
            if started < changed:
                _copy_history(ms, _moment(started, 14), status=WorkStatus.IN_PROGRESS, completed_on=None)
            _copy_history(ms, _moment(changed, 15))

    # Progress reports through the year (the seed wrote one, today: it becomes the latest of four).
    for code, m in measures.items():
        latest = ProgressUpdate.objects.filter(measure=m).order_by("-created_at").first()
        if latest is None:
            continue
        author = latest.author
        begin = today - dt.timedelta(days=ADDED_LATER.get(code, HISTORY_DAYS) - 20)
        percent = latest.percent_done or 0
        for n, days_ago in enumerate((300, 200, 100)):
            day = max(begin, today - dt.timedelta(days=days_ago))
            report = ProgressUpdate.objects.create(
                measure=m,
                author=author,
                status=WorkStatus.IN_PROGRESS,
                percent_done=max(0, percent - 30 + n * 10),
                comment=f"{m.title}：{('着手しました', '関係課と調整しています', '予定どおり進めています')[n]}。",
            )
            ProgressUpdate.objects.filter(pk=report.pk).update(created_at=_moment(day, 16))
        ProgressUpdate.objects.filter(pk=latest.pk).update(created_at=_moment(today - dt.timedelta(days=7), 16))

    # KPI values were recorded a few days after the day they measure; one was corrected later.
    for v in IndicatorValue.objects.filter(indicator__plan=plan):
        recorded = min(max(v.as_of + dt.timedelta(days=3), start), today)
        IndicatorValue.objects.filter(pk=v.pk).update(recorded_at=_moment(recorded, 11))
    first_k01 = (
        IndicatorValue.objects.filter(indicator__plan=plan, indicator__code="K01", is_current=True)
        .order_by("as_of")
        .filter(as_of__gte=start)
        .first()
    )
    if first_k01 is not None:
        IndicatorValue.objects.filter(pk=first_k01.pk).update(is_current=False)
        fixed = IndicatorValue.objects.create(
            indicator=first_k01.indicator,
            value=first_k01.value + Decimal("0.9"),
            as_of=first_k01.as_of,
            source=first_k01.source,
            corrects=first_k01,
            note="集計漏れ（出張申請分）を訂正",
            recorded_by=users.get("admin"),
        )
        IndicatorValue.objects.filter(pk=fixed.pk).update(recorded_at=_moment(today - dt.timedelta(days=100), 11))

    sessions = _seed_sessions(municipality=municipality, today=today)
    _seed_commitments(sessions=sessions, plan=plan, today=today, measures=measures)
    return True


def _session_name(starts_on: dt.date) -> str:
    era, year = era_year(starts_on)
    number = {3: 1, 6: 2, 9: 3, 12: 4}[starts_on.month]
    return f"{era.name}{'元' if year == 1 else year}年第{number}回定例会"


def _seed_sessions(*, municipality, today: dt.date) -> list[CouncilSession]:
    """The past year's four 定例会 (opening on the 1st of Mar/Jun/Sep/Dec, 20 days) and the next one."""
    year = today.year
    candidates = [dt.date(y, m, 1) for y in (year - 1, year, year + 1) for m in (3, 6, 9, 12)]
    past = [d for d in candidates if d + dt.timedelta(days=19) < today][-4:]
    upcoming = [d for d in candidates if d + dt.timedelta(days=19) >= today][:1]
    starts = past + upcoming
    sessions = []
    for s in starts:
        session, _ = CouncilSession.objects.update_or_create(
            municipality=municipality,
            name=_session_name(s),
            defaults={"kind": CouncilSession.Kind.REGULAR, "starts_on": s, "ends_on": s + dt.timedelta(days=19)},
        )
        sessions.append(session)
    return sessions


def _seed_commitments(*, sessions: list[CouncilSession], plan: Plan, today: dt.date, measures: dict) -> None:
    departments = {d.code: d for d in Department.objects.filter(municipality=plan.municipality)}
    past = sessions[:-1]
    specs = [
        (
            past[0],
            "小金井 一郎",
            "総務部長",
            "DX推進計画の到達目標と中間指標",
            "計画の工程表に到達目標と中間指標を定め、年度ごとに進捗を公表してまいります。",
            None,
            fiscal_year(today),
            "SOM-JOHO",
            ["M15"],
            WorkStatus.IN_PROGRESS,
            "工程表を議会に報告済み。指標の公表方法を検討中。",
        ),
        (
            past[1],
            "元SE 花子",
            "市長",
            "基幹業務システムの標準化",
            "国の期限である2025年度末までの移行に向け、移行計画を10月を目途として策定いたします。",
            today - dt.timedelta(days=20),
            None,
            "SOM-JOHO",
            ["M01"],
            WorkStatus.DELAYED,
            "ベンダーの作業見積りの遅れにより、移行計画の策定が遅れている。",
        ),
        (
            past[2],
            "小金井 一郎",
            "市民部長",
            "書かない窓口",
            "転入手続から書かない窓口の試行を始め、来年度には本庁舎の全窓口へ広げます。",
            None,
            fiscal_year(today) + 1,
            "SHI-SHIMIN",
            ["M03"],
            WorkStatus.IN_PROGRESS,
            "",
        ),
        (
            past[2],
            "元SE 花子",
            "総務部長",
            "押印の見直し",
            "規則改正による押印の廃止を進め、次の定例会までに結果を報告します。",
            sessions[-1].starts_on,
            None,
            "SOM-SOMU",
            ["M10"],
            WorkStatus.NOT_STARTED,
            "",
        ),
        (
            past[0],
            "山田 三郎",
            "福祉部長",
            "高齢者のデジタルデバイド対策",
            "スマートフォン教室を地域センター5か所で開始します。",
            today - dt.timedelta(days=80),
            None,
            "FUK-KOREI",
            ["M09"],
            WorkStatus.DONE,
            "5か所で開始済み。",
        ),
    ]
    for session, questioner, official, subject, words, due, due_fy, dept, codes, status, note in specs:
        commitment, created = Commitment.objects.get_or_create(
            session=session,
            subject=subject,
            defaults={
                "questioner": questioner,
                "answering_official": official,
                "words": words,
                "due_date": due,
                "due_fy": due_fy,
                "owner_department": departments[dept],
                "status": status,
                "completed_on": due if status == WorkStatus.DONE else None,
                "progress_note": note,
                "internal_note": "答弁調整: 企画政策課と協議済み（庁内限り）",
                "record_url": "https://www.example.jp/gikai/kaigiroku/",
            },
        )
        if created:
            commitment.measures.set([measures[c] for c in codes if c in measures])
            Commitment.history.filter(id=commitment.pk).update(history_date=_moment(session.ends_on, 17))
