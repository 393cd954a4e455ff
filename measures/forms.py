"""Staff forms: progress report and KPI actual (dates typed as text: core.forms.JapaneseDateField)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import JapaneseDateField, JapaneseForm, LooseDecimalField

from .models import WorkStatus


class ProgressReportForm(JapaneseForm):
    status = forms.ChoiceField(
        label=_("状況"),
        choices=WorkStatus.choices,
        help_text=_("前回の報告の状況が入っています。変わったときだけ選び直してください。"),
    )
    percent_done = forms.IntegerField(
        label=_("進捗率（%）"),
        min_value=0,
        max_value=100,
        required=False,
        help_text=_("0〜100の整数。空欄なら前回の値のまま。「完了」で空欄なら100%"),
        widget=forms.NumberInput(attrs={"min": 0, "max": 100, "step": 1}),
    )
    comment = forms.CharField(
        label=_("コメント"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    is_internal = forms.BooleanField(label=_("庁内限り（公開ダッシュボードに表示しない）"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("status") == WorkStatus.DONE and data.get("percent_done") not in (None, 100):
            self.add_error("percent_done", _("状況が「完了」のときは進捗率を100%にしてください。"))
        return data


class IndicatorValueForm(JapaneseForm):
    value = LooseDecimalField(
        label=_("実績値"),
        max_digits=18,
        decimal_places=4,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    as_of = JapaneseDateField(label=_("実績日（時点）"))
    source = forms.CharField(label=_("出典"), required=False, max_length=200)
    note = forms.CharField(label=_("備考（訂正の理由など）"), required=False, max_length=500)
