"""Request wrappers: the second factor is required, and each user's language and time zone apply."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode

from concord.web.errors import problem

#: Paths open to a user who has given a password but not yet a second factor.
OPEN_BEFORE_SECOND_FACTOR = ("/accounts/", "/static/", "/i18n/", "/calendar/")


class SecondFactorRequired:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        # Without a second factor: nothing at all by default; where the deployment allows
        # reading up to a level without one, reading only (the access policy caps the level).
        reading_allowed = not settings.CONCORD_SECOND_FACTOR_REQUIRED and request.method in (
            "GET",
            "HEAD",
        )
        if (
            user.is_authenticated
            and not user.is_verified()
            and not reading_allowed
            and not request.path.startswith(OPEN_BEFORE_SECOND_FACTOR)
            and not request.path.startswith("/api/")
        ):
            return HttpResponseRedirect(
                reverse("verify") + "?" + urlencode({"next": request.get_full_path()})
            )
        return self.get_response(request)


class UserPreferences:
    """The signed-in user's language (unless a page chose another) and time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            if user.language and not request.COOKIES.get("django_language"):
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        response = self.get_response(request)
        timezone.deactivate()
        return response


class RefuseNul:
    """A NUL character has no place in any text Concord keeps (PostgreSQL refuses it outright):
    a request carrying one, in its path, query or body, is refused before anything runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            "\x00" in request.path
            or "%00" in request.META.get("QUERY_STRING", "")
            or any("\x00" in value for values in request.GET.lists() for value in values[1])
            or (request.method in ("POST", "PUT", "PATCH") and self._nul_in_body(request))
        ):
            if request.path.startswith("/api/"):
                return problem(
                    422, "Unprocessable content", "the request contains a NUL character", "invalid"
                )
            return HttpResponse(
                "The request contains a NUL character.",
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)

    @staticmethod
    def _nul_in_body(request: HttpRequest) -> bool:
        """A NUL in the body's text. An uploaded file (a Word draft) is binary and may hold
        NUL bytes: of a multipart body, only the fields and the file names are text."""
        if request.content_type == "multipart/form-data":
            fields = (v for _k, values in request.POST.lists() for v in values)
            names = (f.name or "" for _k, files in request.FILES.lists() for f in files)
            return any("\x00" in value for value in (*fields, *names))
        return b"\x00" in request.body or b"\\u0000" in request.body
