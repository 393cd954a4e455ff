"""Names are one line of text: no line breaks, tabs or other control characters (a department name copied from an
Excel cell can carry a line break, and a mail header built from it must stay one line)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
CONTROL_CHARACTER_MESSAGE = _("改行・タブなどの制御文字は使えません（1行で入力してください）。")


def has_control_characters(text: object) -> bool:
    return isinstance(text, str) and bool(CONTROL_CHARACTERS.search(text))


def single_line(text: str) -> str:
    """The text on one line: every run of control characters (line breaks included) becomes one space."""
    return re.sub(r"\s+", " ", CONTROL_CHARACTERS.sub(" ", text)).strip()


class SingleLineNames:
    """Model mixin: the fields named in `single_line_fields` refuse control characters in full_clean()
    (every admin and staff form validates through it)."""

    single_line_fields: tuple[str, ...] = ()

    def clean_fields(self, exclude=None):
        errors: dict = {}
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        for name in self.single_line_fields:
            if exclude and name in exclude:
                continue
            if has_control_characters(getattr(self, name, None)):
                errors.setdefault(name, []).append(
                    ValidationError(CONTROL_CHARACTER_MESSAGE, code="control_characters")
                )
        if errors:
            raise ValidationError(errors)
