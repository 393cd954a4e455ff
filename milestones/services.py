"""Writes to milestones from the staff pages (milestones/views.py). Each service checks permissions itself.

The Excel import (importing/, admins only) writes milestones in bulk in its own transaction, and the Django
admin saves through its ModelAdmin; neither goes through these functions."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.people import person_label
from plans.permissions import can_change

from .models import Milestone


class MilestoneConflict(Exception):
    """Someone saved the milestone after the user loaded it: their save is refused (no lost update)."""

    def __init__(self, current: Milestone):
        self.current = current
        when = timezone.localtime(current.updated_at)
        super().__init__(_("このマイルストーンは %(who)s が %(when)s に更新しました。最新の内容を確認してから、"
                           "もう一度保存してください（入力内容は残してあります）。")
                         % {"who": person_label(current.updated_by), "when": f"{when:%Y/%m/%d %H:%M}"})


def milestone_update(*, milestone: Milestone, user: User, status: str, completed_on: dt.date | None,
                     comment: str, expected_version: int) -> Milestone:
    """Set a milestone's status, completion date and comment, if nobody saved it since `expected_version`.

    The claim is a conditional UPDATE (… WHERE version = expected): of two concurrent saves exactly one
    changes a row; the other gets MilestoneConflict naming who saved and when. The save that follows in the
    same transaction writes the history record (who, when, before → after)."""
    if not can_change(user, milestone):
        raise PermissionDenied(_("このマイルストーンを更新する権限がありません。担当部署の職員または管理者に依頼してください。"))
    milestone.status = status
    milestone.completed_on = completed_on
    milestone.comment = comment
    milestone.updated_by = user
    milestone.full_clean()
    with transaction.atomic():
        claimed = Milestone.objects.filter(pk=milestone.pk, version=expected_version).update(
            version=F("version") + 1)
        if not claimed:
            current = Milestone.objects.select_related("updated_by__membership").get(pk=milestone.pk)
            raise MilestoneConflict(current)
        milestone.version = expected_version + 1
        milestone._history_user = user
        milestone._change_reason = None  # a user's edit; never inherit a reason (e.g. an import's) left on the instance
        milestone.save()
    return milestone

