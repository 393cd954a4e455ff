"""Django's loaddata, without re-recording change history.

A dump already carries the historical rows; Django sets many-to-many fields after the raw save, and
django-simple-history would record each of those as a fresh change, so a restore would not give back the
same rows. (The audit receivers skip raw loads on their own.) Everything else is Django's command.
"""

from django.conf import settings
from django.core.management.commands.loaddata import Command as LoadDataCommand


class Command(LoadDataCommand):
    help = LoadDataCommand.help + " 変更履歴は再記録しません（ダンプに含まれているため）。"

    def handle(self, *fixture_labels, **options):
        previous = getattr(settings, "SIMPLE_HISTORY_ENABLED", True)
        settings.SIMPLE_HISTORY_ENABLED = False
        try:
            return super().handle(*fixture_labels, **options)
        finally:
            settings.SIMPLE_HISTORY_ENABLED = previous
