"""Forms of the annual evaluation. Numbers accept full-width digits and separators; bad input is explained in
Japanese beside the field and nothing is written."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.fiscal import JapaneseDateError, normalize, parse_fiscal_year
from core.forms import JapaneseForm, LooseDecimalField

from .models import DEFAULT_GRADE_SCALE, Direction, MeasureEvaluation


class LooseIntegerField(forms.IntegerField):
    """An integer typed the way people write money: 1,200 / １２００ / 1200千円."""

    def to_python(self, value):
        if isinstance(value, str):
            value = normalize(value).replace(",", "").replace("、", "").removesuffix("千円").strip()
        return super().to_python(value)


def _plain(value):
    """45.0000 → "45", 12.5000 → "12.5": the figure as a person would type it."""
    return None if value is None else format(value.normalize(), "f")


class OpenRoundForm(JapaneseForm):
    fiscal_year = forms.CharField(label=_("評価対象年度"), max_length=16, help_text=_("例: 2025、令和7年度、R7"))
    grade_scale = forms.CharField(
        label=_("自己評価の段階"),
        max_length=100,
        initial=DEFAULT_GRADE_SCALE,
        help_text=_("良い順にカンマ区切り（例: A,B,C,D）"),
    )

    def clean_fiscal_year(self) -> int:
        try:
            return parse_fiscal_year(self.cleaned_data["fiscal_year"])
        except JapaneseDateError as exc:
            raise forms.ValidationError(str(exc))


class EvaluationForm(JapaneseForm):
    achievements = forms.CharField(
        label=_("取組実績"), required=False, max_length=8000, widget=forms.Textarea(attrs={"rows": 4})
    )
    self_grade = forms.ChoiceField(label=_("自己評価"), required=False)
    outcomes = forms.CharField(
        label=_("成果"), required=False, max_length=8000, widget=forms.Textarea(attrs={"rows": 3})
    )
    issues = forms.CharField(label=_("課題"), required=False, max_length=8000, widget=forms.Textarea(attrs={"rows": 3}))
    direction = forms.ChoiceField(
        label=_("今後の方向性"), required=False, choices=[("", _("選択してください")), *Direction.choices]
    )
    settled_cost_thousand_yen = LooseIntegerField(
        label=_("事業費 決算（千円）"),
        required=False,
        min_value=0,
        max_value=10**12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={
            "invalid": _("事業費（決算）は0以上の整数（千円）で入力してください。"),
            "min_value": _("事業費（決算）は0以上の整数（千円）で入力してください。"),
            "max_value": _("事業費（決算）が大きすぎます。千円単位で入力してください。"),
        },
    )
    hours_saved_per_year = LooseDecimalField(
        label=_("削減された業務時間（時間/年）"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=1,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        error_messages={
            "invalid": _("削減された業務時間は0以上の数値（時間/年）で入力してください。"),
            "min_value": _("削減された業務時間は0以上の数値（時間/年）で入力してください。"),
        },
    )
    evidence_links = forms.CharField(
        label=_("根拠資料のリンク"),
        required=False,
        max_length=4000,
        help_text=_("1行に1つのURL"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, evaluation: MeasureEvaluation, **kwargs):
        super().__init__(*args, **kwargs)
        self.evaluation = evaluation
        self.fields["self_grade"].choices = [("", _("選択してください"))] + [(g, g) for g in evaluation.round.grades]
        self.kpi_fields: list[tuple[str, object]] = []
        for figure in evaluation.kpis.select_related("indicator"):
            name = f"kpi_{figure.pk}"
            ind = figure.indicator
            self.fields[name] = LooseDecimalField(
                label=_("%(name)s の実績値（%(unit)s）") % {"name": ind.name, "unit": ind.unit or "-"},
                required=False,
                max_digits=18,
                decimal_places=4,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
                error_messages={"invalid": _("実績値は数値で入力してください。")},
            )
            self.initial.setdefault(name, _plain(figure.actual_value))
            self.kpi_fields.append((name, figure))

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        kpi_actuals = {figure.pk: data.pop(name) for name, figure in self.kpi_fields}
        return {**data, "kpi_actuals": kpi_actuals}


class ReturnForm(JapaneseForm):
    comment = forms.CharField(
        label=_("差戻しの理由"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("差戻しの理由を入力してください。")},
    )
