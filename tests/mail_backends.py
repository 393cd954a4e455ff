"""E-mail backends for reminder tests. The worker subprocess loads them by dotted path, so their
behaviour is driven by environment variables and files, not by in-process state."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from smtplib import SMTPServerDisconnected

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


class AlwaysFailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise SMTPServerDisconnected("Connection unexpectedly closed")


class DirectoryBackend(BaseEmailBackend):
    """One .eml file per message in $REMINDER_TEST_MAIL_DIR.

    $REMINDER_TEST_FAIL_FIRST=n: the first n sends (counted across processes) raise an SMTP error.
    $REMINDER_TEST_SEND_DELAY=s: each send touches `sending-*` then sleeps s seconds (time to kill the worker).
    """

    def send_messages(self, email_messages):
        folder = Path(os.environ["REMINDER_TEST_MAIL_DIR"])
        fail_first = int(os.getenv("REMINDER_TEST_FAIL_FIRST", "0"))
        (folder / f"attempt-{uuid.uuid4().hex}").touch()
        for n in range(fail_first):
            try:  # O_EXCL: exactly one sender, in whatever process or thread, wins failure slot n
                os.close(os.open(folder / f"failure-{n}", os.O_CREAT | os.O_EXCL))
            except FileExistsError:
                continue
            raise SMTPServerDisconnected("Connection unexpectedly closed (test)")
        delay = float(os.getenv("REMINDER_TEST_SEND_DELAY", "0"))
        if delay:
            (folder / f"sending-{uuid.uuid4().hex}").touch()
            time.sleep(delay)
        for message in email_messages:
            (folder / f"{uuid.uuid4().hex}.eml").write_bytes(message.message().as_bytes())
        return len(email_messages)


__all__ = ["AlwaysFailingBackend", "DirectoryBackend", "LocmemBackend"]
