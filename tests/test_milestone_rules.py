"""Milestone rules kept by the model: 完了 needs a 完了日, defaults, unique reminder claims, history."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from measures.models import WorkStatus
from milestones.models import Milestone, ReminderLog

from .factories import (
    MilestoneFactory,
)

pytestmark = pytest.mark.django_db


def test_done_milestone_needs_a_completion_date():
    ms = MilestoneFactory()
    ms.status = WorkStatus.DONE
    with pytest.raises(ValidationError, match="完了日"):
        ms.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Milestone.objects.filter(pk=ms.pk).update(status=WorkStatus.DONE, completed_on=None)


def test_milestone_defaults_to_the_measures_department_and_plan():
    ms = MilestoneFactory()
    assert ms.owner_department_id == ms.measure.owner_department_id
    assert ms.plan_id == ms.measure.plan_id


def test_reminder_claim_is_unique_per_milestone_stage_and_due_date():
    ms = MilestoneFactory()
    ReminderLog.objects.create(
        milestone=ms, department=ms.owner_department, stage="d7", due_date=ms.due_date, run_date=ms.due_date
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ReminderLog.objects.create(
            milestone=ms, department=ms.owner_department, stage="d7", due_date=ms.due_date, run_date=ms.due_date
        )


def test_history_records_who_changed_a_milestone():
    ms = MilestoneFactory(title="旧")
    ms.title = "新"
    ms.save()
    assert [h.title for h in ms.history.all()] == ["新", "旧"]
    assert ms.history.first().prev_record.title == "旧"
