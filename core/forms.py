"""Form pieces every app's forms share: Japanese dates typed as text, loose decimals, labels without the
English colon, and a service's ValidationError shown beside the fields.

Dates are plain text inputs read by core.fiscal.parse_date, so staff can type what they are used to
(2025/4/1, 2025-04-01, 2025年4月1日, 令和7年4月1日, R7.4.1, full-width digits too) on any browser, with no
JavaScript and no date picker that differs between machines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .fiscal import JapaneseDateError, normalize, parse_date

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


def add_validation_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError beside the form's fields (or above the form)."""
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)
