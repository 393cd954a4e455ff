"""Does a number fit a DecimalField on every database the project runs on?

PostgreSQL refuses more digits than the column has; SQLite stores a decimal as a double and Django turns it back
into a Decimal of the column's precision when reading, so a value a double rounds up past the column's integer
digits (99999999999999.9999 → 1e14) is stored fine and then fails every page that reads it
(decimal.InvalidOperation). This rule refuses both before anything is written."""

from __future__ import annotations

from decimal import Context, Decimal

from django.utils.translation import gettext as _

# How Django reads a decimal back from SQLite: the stored double, to 15 significant digits.
_AS_SQLITE_READS = Context(prec=15).create_decimal_from_float


def decimal_column_error(number: Decimal, *, max_digits: int, decimal_places: int) -> str | None:
    """A reason (for the person, through gettext) why `number` does not fit DecimalField(max_digits,
    decimal_places), or None."""
    whole_digits = max_digits - decimal_places
    limit = Decimal(10) ** whole_digits
    too_big = _("数値が大きすぎます。整数部は%(digits)s桁まで（絶対値 %(largest)s まで）にしてください。") % {
        "digits": whole_digits,
        "largest": f"{limit - Decimal('0.1'):,}",
    }
    if not number.is_finite():
        return _("数値として読めません。")
    if abs(number) >= limit:
        return too_big
    if number != number.quantize(Decimal(1).scaleb(-decimal_places)):
        return _("桁数が多すぎます。小数部は%(places)s桁までにしてください（整数部は%(digits)s桁まで）。") % {
            "places": decimal_places,
            "digits": whole_digits,
        }
    if abs(_AS_SQLITE_READS(float(number))) >= limit:  # rounded up past the column when read back
        return too_big
    return None


class DecimalsThatFit:
    """Model mixin: every DecimalField is checked with `decimal_column_error` in full_clean() (admin and forms)."""

    def clean_fields(self, exclude=None):
        from django.core.exceptions import ValidationError
        from django.db import models

        errors: dict = {}
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        for field in self._meta.concrete_fields:
            if not isinstance(field, models.DecimalField) or (exclude and field.name in exclude):
                continue
            if field.name in errors:
                continue
            value = getattr(self, field.attname)
            if isinstance(value, Decimal):
                message = decimal_column_error(value, max_digits=field.max_digits, decimal_places=field.decimal_places)
                if message:
                    errors[field.name] = [ValidationError(message, code="decimal_column")]
        if errors:
            raise ValidationError(errors)
