"""Staff forms: progress report, KPI actual, and the filters of 「担当の取組」.

Dates are plain text inputs read by plans.fiscal.parse_date, so staff can type what they are used to
(2025/4/1, 2025-04-01, 2025年4月1日, 令和7年4月1日, R7.4.1, full-width digits too) on any browser, with no
JavaScript and no date picker that differs between machines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plans.fiscal import JapaneseDateError, normalize, parse_date, parse_fiscal_year
from plans.models import NationalItem

from .models import WorkStatus
from .progress import Health

DATE_HELP = _("例: 2025/4/1、令和7年4月1日、R7.4.1")


class JapaneseDateField(forms.Field):
    widget = forms.TextInput(attrs={"autocomplete": "off", "size": 16})

    def __init__(self, *, allow_future: bool = False, **kwargs):
        kwargs.setdefault("help_text", DATE_HELP)
        self.allow_future = allow_future
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return f"{value:%Y/%m/%d}" if isinstance(value, dt.date) else value

    def to_python(self, value) -> dt.date | None:
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        try:
            return parse_date(value)
        except JapaneseDateError as exc:
            raise forms.ValidationError(str(exc), code="invalid")

    def validate(self, value) -> None:
        super().validate(value)
        if value and not self.allow_future and value > timezone.localdate():
            raise forms.ValidationError(_("未来の日付は入力できません。"), code="future")


class LooseDecimalField(forms.DecimalField):
    """Accepts full-width digits and thousands separators (１，４５０ → 1450)."""

    def to_python(self, value) -> Decimal | None:
        if isinstance(value, str):
            value = normalize(value).replace(",", "").replace("、", "")
        return super().to_python(value)


class JapaneseForm(forms.Form):
    """Labels without the English colon; required fields say so in the label."""

    required_css_class = "required"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class ProgressReportForm(JapaneseForm):
    status = forms.ChoiceField(label=_("状況"), choices=WorkStatus.choices)
    percent_done = forms.IntegerField(label=_("進捗率（%）"), min_value=0, max_value=100, required=False,
                                      help_text=_("0〜100の整数。「完了」で空欄なら100%"),
                                      widget=forms.NumberInput(attrs={"min": 0, "max": 100, "step": 1}))
    comment = forms.CharField(label=_("コメント"), required=False, max_length=4000,
                              widget=forms.Textarea(attrs={"rows": 3}))
    is_internal = forms.BooleanField(label=_("庁内限り（公開ダッシュボードに表示しない）"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("status") == WorkStatus.DONE and data.get("percent_done") not in (None, 100):
            self.add_error("percent_done", _("状況が「完了」のときは進捗率を100%にしてください。"))
        return data


class IndicatorValueForm(JapaneseForm):
    value = LooseDecimalField(label=_("実績値"), max_digits=18, decimal_places=4,
                              widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
    as_of = JapaneseDateField(label=_("実績日（時点）"))
    source = forms.CharField(label=_("出典"), required=False, max_length=200)
    note = forms.CharField(label=_("備考（訂正の理由など）"), required=False, max_length=500)


class WorkFilterForm(JapaneseForm):
    """GET filters; a bad value is ignored (cleaned to empty) rather than shown as an error."""

    MS_STATUS_CHOICES = [("", _("未完了（既定）")), ("all", _("すべて")), *WorkStatus.choices]
    HEALTH_CHOICES = [("", _("すべて"))] + [(key, Health.LABELS[key]) for key in Health.ORDER]

    health = forms.ChoiceField(label=_("施策の状況"), choices=HEALTH_CHOICES, required=False)
    ms_status = forms.ChoiceField(label=_("マイルストーンの状況"), choices=MS_STATUS_CHOICES, required=False)
    item = forms.ModelChoiceField(label=_("国の取組項目"), queryset=NationalItem.objects.none(), required=False,
                                  empty_label=_("すべて"))
    fy = forms.CharField(label=_("年度"), required=False, max_length=16,
                         help_text=_("例: 2025、令和7年度、R7"), widget=forms.TextInput(attrs={"size": 10}))

    def __init__(self, *args, edition_ids: list[int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        items = NationalItem.objects.select_related("edition")
        self.fields["item"].queryset = items.filter(edition_id__in=edition_ids) if edition_ids \
            else items.filter(edition__is_default=True)

    def clean_fy(self) -> int | None:
        value = self.cleaned_data.get("fy", "")
        if not value:
            return None
        try:
            return parse_fiscal_year(value)
        except JapaneseDateError as exc:
            raise forms.ValidationError(str(exc))
