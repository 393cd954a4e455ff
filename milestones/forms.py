from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import JapaneseDateField, JapaneseForm
from measures.models import WorkStatus


class MilestoneUpdateForm(JapaneseForm):
    """Status, completion date and comment of a milestone; `version` is the one the user saw (no lost updates).

    完了 needs a 完了日: left blank it is today. Any other status takes no 完了日 (the message says so)."""

    status = forms.ChoiceField(label=_("状況"), choices=WorkStatus.choices)
    completed_on = JapaneseDateField(
        label=_("完了日"),
        required=False,
        help_text=_("「完了」のときだけ入力。空欄なら今日。例: 2025/4/1、令和7年4月1日"),
    )
    comment = forms.CharField(
        label=_("コメント"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def clean(self):
        data = super().clean()
        status = data.get("status")
        if status == WorkStatus.DONE and not data.get("completed_on") and "completed_on" not in self.errors:
            data["completed_on"] = timezone.localdate()
        elif status and status != WorkStatus.DONE and data.get("completed_on"):
            self.add_error(
                "completed_on",
                _("完了日は状況が「完了」のときだけ入力できます。ほかの状況にするときは空欄にしてください。"),
            )
        return data


class DueDateRequestForm(JapaneseForm):
    """A department asks the 事務局 to move a due date: the new date and why."""

    requested_due_date = JapaneseDateField(
        label=_("新しい期限"), allow_future=True, help_text=_("今日以降の日付。例: 2026/3/31、令和8年3月31日")
    )
    reason = forms.CharField(
        label=_("変更の理由"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("議会や市民への説明に使われます。遅れの原因と見通しを書いてください。"),
    )


class DueDateDecisionForm(JapaneseForm):
    """The 事務局's decision on a request: 承認 or 却下 (the button pressed) and a comment."""

    decision = forms.ChoiceField(choices=[("approve", _("承認")), ("reject", _("却下"))], widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("事務局のコメント"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
