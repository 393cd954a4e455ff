"""Security plumbing that Django does not ship: the Content-Security-Policy header, a request-size guard
with a Japanese 413 page, and the login-lockout backend.

Why a tiny middleware rather than django-csp: the policy is one static string (no nonces, no per-view
exceptions, because templates carry no inline script or style), and every extra package is one more thing a
city's vendor must mirror onto an offline LGWAN server and keep patched.
"""

from __future__ import annotations

from collections.abc import Callable

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", "")
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        permissions = getattr(settings, "PERMISSIONS_POLICY", "")
        if permissions and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = permissions
        return response


class MalformedRequestMiddleware:
    """A NUL byte in the path or the query string, or a number in the query string too long for any integer column
    (or for a date), is never a real request: answer 400 before a view hands it to the database (PostgreSQL refuses
    NUL in text; Python's datetime and SQLite refuse such numbers) and turns it into a 500."""

    MAX_DIGITS = 18  # every id and year fits in a signed 64-bit integer

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or "\x00" in request.path_info:
            raise BadRequest("NUL byte in the path")
        for key, values in request.GET.lists():
            for value in (key, *values):
                if "\x00" in value:
                    raise BadRequest("NUL byte in the query string")
                digits = value.strip().lstrip("+-")
                if len(digits) > self.MAX_DIGITS and digits.isdigit():
                    raise BadRequest("Number out of range in the query string")
        return self.get_response(request)


class RequestSizeLimitMiddleware:
    """Refuse a body larger than REQUEST_MAX_BYTES from its Content-Length, before anything reads it.

    Bodies without a Content-Length (chunked) are still bounded by DATA_UPLOAD_MAX_MEMORY_SIZE for form data;
    the reverse proxy's body limit (documented in the README) is the outer wall.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.REQUEST_MAX_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            return request_too_large(request, limit=limit)
        return self.get_response(request)


def request_too_large(request: HttpRequest, *, limit: int) -> HttpResponse:
    body = render_to_string("errors/413.html", {"limit_mb": f"{limit / (1024 * 1024):.1f}"}, request=request)
    response = HttpResponse(body, status=413)
    # The client may still be sending: make sure the connection is not reused for a half-read body.
    response["Connection"] = "close"
    return response


class AxesBackend(AxesStandaloneBackend):
    """django-axes' lockout check, skipped when there is no request.

    Every HTTP login (our login page, the admin) passes the request, so the lockout applies there. Calls without
    one — `Client.login()` in tests, a shell — have no client to lock out; axes would raise, so we step aside
    and let ModelBackend decide.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' lockout page, in Japanese, with the cool-off in minutes (status 429)."""
    from django.shortcuts import render

    minutes = max(1, round(settings.AXES_COOLOFF_TIME * 60))
    return render(
        request,
        "registration/lockout.html",
        {"cooloff_minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )
