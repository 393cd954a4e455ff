from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import JapaneseDateField, JapaneseForm
from measures.models import WorkStatus


class CommitmentStatusForm(JapaneseForm):
    """Status of a 答弁 commitment, as a milestone's: 完了 needs a 完了日 (blank: today)."""

    status = forms.ChoiceField(label=_("状況"), choices=WorkStatus.choices)
    completed_on = JapaneseDateField(
        label=_("完了日"),
        required=False,
        help_text=_("「完了」のときだけ入力。空欄なら今日。例: 2025/4/1、令和7年4月1日"),
    )
    progress_note = forms.CharField(
        label=_("進捗の説明（公開版にも表示）"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

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
