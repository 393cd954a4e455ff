"""Writes of the council app: keyword-only, full_clean() then save."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from measures.models import Measure, WorkStatus
from plans.models import Department, Municipality

from .models import Commitment, CouncilSession


def session_create(
    *,
    municipality: Municipality,
    name: str,
    starts_on: dt.date,
    ends_on: dt.date,
    kind: str = CouncilSession.Kind.REGULAR,
) -> CouncilSession:
    session = CouncilSession(municipality=municipality, name=name, starts_on=starts_on, ends_on=ends_on, kind=kind)
    session.full_clean()
    session.save()
    return session


@transaction.atomic
def commitment_create(
    *,
    session: CouncilSession,
    questioner: str,
    answering_official: str,
    words: str,
    owner_department: Department,
    subject: str = "",
    due_date: dt.date | None = None,
    due_fy: int | None = None,
    record_url: str = "",
    measures: list[Measure] | None = None,
    internal_note: str = "",
) -> Commitment:
    commitment = Commitment(
        session=session,
        municipality=session.municipality,
        questioner=questioner,
        answering_official=answering_official,
        words=words,
        owner_department=owner_department,
        subject=subject,
        due_date=due_date,
        due_fy=due_fy,
        record_url=record_url,
        internal_note=internal_note,
    )
    commitment.full_clean()
    commitment.save()
    if measures:
        commitment.measures.set(measures)
    return commitment


def commitment_set_status(
    *, commitment: Commitment, status: str, completed_on: dt.date | None = None, progress_note: str | None = None
) -> Commitment:
    commitment.status = status
    commitment.completed_on = completed_on if status == WorkStatus.DONE else None
    if progress_note is not None:
        commitment.progress_note = progress_note
    commitment.full_clean()
    commitment.save()
    return commitment
