"""Keep secrets, passwords and personal e-mail addresses out of the logs.

Attached to every handler in settings.LOGGING, so whatever a library logs (axes, Django, Celery) is masked
before it is written. The message is rendered once, masked, and stored back without args.
"""

from __future__ import annotations

import logging
import re

MASK = "***"

_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
# password=..., "password": "...", secret: ..., token=... (also in query strings and dict reprs)
_KEY_VALUE = re.compile(
    r"""(?P<key>["']?[\w-]*(?:password|passwd|secret|token|api_key|apikey|sessionid|csrftoken)[\w-]*["']?)"""
    r"""(?P<sep>\s*[:=]\s*)(?P<value>"[^"]*"|'[^']*'|[^\s&,;}\]]+)""",
    re.IGNORECASE,
)
# scheme://user:password@host
_URL_CREDENTIALS = re.compile(r"(?P<prefix>\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s/]+(?=@)", re.IGNORECASE)
# Django password hashes, e.g. pbkdf2_sha256$870000$salt$hash
_PASSWORD_HASH = re.compile(r"\b(?:pbkdf2_sha\d+|argon2|bcrypt(?:_sha256)?|scrypt|md5|sha1)\$[^\s'\",]+")


def mask(text: str) -> str:
    text = _URL_CREDENTIALS.sub(lambda m: m.group("prefix") + MASK, text)
    text = _KEY_VALUE.sub(lambda m: f"{m.group('key')}{m.group('sep')}{MASK}", text)
    text = _PASSWORD_HASH.sub(MASK, text)
    text = _EMAIL.sub(MASK, text)
    return _mask_known_secrets(text)


def _mask_known_secrets(text: str) -> str:
    from django.conf import settings

    for name in ("SECRET_KEY", "EMAIL_HOST_PASSWORD"):
        value = getattr(settings, name, "")
        if value and len(value) >= 8 and value in text:
            text = text.replace(value, MASK)
    return text


class MaskSensitiveDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the record
            message = str(record.msg)
        record.msg = mask(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        return True
