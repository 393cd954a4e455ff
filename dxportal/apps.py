"""App configs of third-party apps, named in Japanese for the admin (their model names are translated in
locale/ja)."""

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _


class AxesConfig(AxesAppConfig):
    verbose_name = _("ログイン保護")
