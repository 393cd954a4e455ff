"""Forms of the 事務局's governance pages. Choices are limited to the user's municipality (and the meeting's
plan); the services check again."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import JapaneseDateField, JapaneseForm
from measures.models import Measure
from plans.models import Department, Plan

from .models import AgendaItem, BodyMember, Meeting


class MeetingForm(JapaneseForm):
    plan = forms.ModelChoiceField(label=_("計画"), queryset=Plan.objects.none())
    kind = forms.ChoiceField(label=_("会議の種類"), choices=Meeting.Kind.choices)
    number = forms.IntegerField(
        label=_("回"), required=False, min_value=1, max_value=999, help_text=_("第何回か（空欄可）")
    )
    held_on = JapaneseDateField(label=_("開催日"), allow_future=True)
    place = forms.CharField(label=_("場所"), required=False, max_length=200)
    attendees = forms.ModelMultipleChoiceField(
        label=_("出席者"), queryset=BodyMember.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    attendees_note = forms.CharField(label=_("出席者（その他）"), required=False, max_length=500)

    def __init__(self, *args, municipality_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = Plan.objects.filter(municipality_id=municipality_id).exclude(
            status=Plan.Status.ARCHIVED
        )
        self.fields["attendees"].queryset = BodyMember.objects.filter(municipality_id=municipality_id)
        current = list(self.fields["plan"].queryset.filter(status=Plan.Status.APPROVED)[:2])
        if len(current) == 1:  # the usual case: one current plan, chosen already
            self.fields["plan"].initial = current[0].pk


class MinutesForm(JapaneseForm):
    summary_public = forms.CharField(
        label=_("議事要旨（公開）"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 5})
    )
    summary_internal = forms.CharField(
        label=_("議事要旨（庁内限り）"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 5})
    )
    materials = forms.CharField(
        label=_("資料"),
        required=False,
        max_length=5000,
        help_text=_("資料名を1行に1つ"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AgendaAddForm(JapaneseForm):
    title = forms.CharField(label=_("議題"), max_length=300)
    note = forms.CharField(label=_("事務局メモ"), required=False, max_length=4000)


class AgendaItemForm(JapaneseForm):
    order = forms.IntegerField(label=_("順番"), min_value=0, max_value=999)
    note = forms.CharField(label=_("事務局メモ"), required=False, max_length=4000)


ACTION_ROWS = 3


class DecisionForm(JapaneseForm):
    """A decision and up to three actions it creates (a row left blank creates none)."""

    agenda_item = forms.ModelChoiceField(label=_("議題"), queryset=AgendaItem.objects.none(), required=False)
    text = forms.CharField(label=_("決定事項"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    is_public = forms.BooleanField(label=_("公開する（外すと庁内限り）"), required=False, initial=True)

    def __init__(self, *args, meeting: Meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agenda_item"].queryset = meeting.agenda_items.all()
        departments = Department.objects.filter(municipality_id=meeting.municipality_id)
        measures = Measure.objects.filter(plan_id=meeting.plan_id)
        for n in range(1, ACTION_ROWS + 1):
            self.fields[f"action{n}_title"] = forms.CharField(
                label=_("対応事項%(n)s: 内容") % {"n": n}, required=False, max_length=200
            )
            self.fields[f"action{n}_owner"] = forms.ModelChoiceField(
                label=_("対応事項%(n)s: 担当部署") % {"n": n}, queryset=departments, required=False
            )
            self.fields[f"action{n}_due"] = JapaneseDateField(
                label=_("対応事項%(n)s: 期限") % {"n": n}, required=False, allow_future=True
            )
            self.fields[f"action{n}_measure"] = forms.ModelChoiceField(
                label=_("対応事項%(n)s: 関連する施策") % {"n": n},
                queryset=measures,
                required=False,
                help_text=_("空欄なら議題の施策、議題に施策がなければ「本部会議の決定事項」に入ります"),
            )

    def action_rows(self) -> list[dict]:
        """The filled action rows (any field given), for the service to validate and create."""
        rows = []
        for n in range(1, ACTION_ROWS + 1):
            row = {k: self.cleaned_data.get(f"action{n}_{k}") for k in ("title", "owner", "due", "measure")}
            if any(v not in (None, "") for v in row.values()):
                rows.append(row)
        return rows

    def action_field_groups(self):
        return [
            [self[f"action{n}_{k}"] for k in ("title", "owner", "due", "measure")] for n in range(1, ACTION_ROWS + 1)
        ]


class RevisionForm(JapaneseForm):
    plan = forms.ModelChoiceField(label=_("改定する計画"), queryset=Plan.objects.none())
    reason = forms.CharField(
        label=_("改定の理由"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, municipality_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = Plan.objects.filter(municipality_id=municipality_id).exclude(
            status=Plan.Status.ARCHIVED
        )
