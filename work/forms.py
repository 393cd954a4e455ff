"""The filters of 「担当の取組」."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.fiscal import JapaneseDateError, parse_fiscal_year
from core.forms import JapaneseForm
from measures.models import WorkStatus
from measures.progress import Health
from plans.models import NationalItem


class WorkFilterForm(JapaneseForm):
    """GET filters; a bad value is ignored (cleaned to empty) rather than shown as an error."""

    MS_STATUS_CHOICES = [("", _("未完了（既定）")), ("all", _("すべて")), *WorkStatus.choices]
    HEALTH_CHOICES = [("", _("すべて"))] + [(key, Health.LABELS[key]) for key in Health.ORDER]

    health = forms.ChoiceField(label=_("施策の状況"), choices=HEALTH_CHOICES, required=False)
    ms_status = forms.ChoiceField(label=_("マイルストーンの状況"), choices=MS_STATUS_CHOICES, required=False)
    item = forms.ModelChoiceField(
        label=_("国の取組項目"), queryset=NationalItem.objects.none(), required=False, empty_label=_("すべて")
    )
    fy = forms.CharField(
        label=_("年度"),
        required=False,
        max_length=16,
        help_text=_("例: 2025、令和7年度、R7"),
        widget=forms.TextInput(attrs={"size": 10}),
    )

    def __init__(self, *args, edition_ids: list[int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        items = NationalItem.objects.select_related("edition")
        self.fields["item"].queryset = (
            items.filter(edition_id__in=edition_ids) if edition_ids else items.filter(edition__is_default=True)
        )

    def clean_fy(self) -> int | None:
        value = self.cleaned_data.get("fy", "")
        if not value:
            return None
        try:
            return parse_fiscal_year(value)
        except JapaneseDateError as exc:
            raise forms.ValidationError(str(exc))
