from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class JapaneseFirstLocaleMiddleware:
    """Japanese unless the user chose another language (the language cookie set by /i18n/setlang/).

    Django's LocaleMiddleware follows the browser's Accept-Language; many municipal PCs and every headless
    browser send en-US, and staff would get a half-English portal they never asked for.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


SESSION_SEEN_KEY = "_dx_seen"


class SlidingSessionMiddleware:
    """Log out after SESSION_COOKIE_AGE seconds of inactivity without writing the session on every request.

    SESSION_SAVE_EVERY_REQUEST would turn every page view (a council member reading the dashboard) into a
    database write. Instead the session's expiry is pushed forward at most once per SESSION_REFRESH_SECONDS, so
    the idle timeout is SESSION_COOKIE_AGE minus at most that interval.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if session is None or user is None or not user.is_authenticated or session.session_key is None:
            return response
        now = int(time.time())
        if now - session.get(SESSION_SEEN_KEY, 0) >= settings.SESSION_REFRESH_SECONDS:
            session[SESSION_SEEN_KEY] = now  # modified: SessionMiddleware saves it with a fresh expiry
        return response
