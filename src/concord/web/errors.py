"""Error pages. While the database cannot be reached, every request answers 503 at once (with
Retry-After) instead of hanging or failing with a 500: nothing half-done is acknowledged."""

from __future__ import annotations

import json
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.views.defaults import server_error as django_server_error


def problem(status: int, title: str, detail: str, code: str) -> HttpResponse:
    """An RFC 9457 problem response, for answers given outside the API's own handlers."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, "code": code}
    return HttpResponse(json.dumps(body), status=status, content_type="application/problem+json")


def server_error(request: HttpRequest) -> HttpResponse:
    exc = sys.exc_info()[1]
    if not isinstance(exc, OperationalError | InterfaceError):
        return django_server_error(request)
    if request.path.startswith("/api/"):
        response = problem(
            503,
            "Service unavailable",
            "the database cannot be reached; nothing was changed",
            "unavailable",
        )
    else:
        response = HttpResponse(
            "<!doctype html><html lang='en'><title>Concord: unavailable</title>"
            "<h1>Concord is unavailable</h1><p>The database cannot be reached; nothing was "
            "changed. Try again in a few seconds.</p></html>",
            status=503,
            content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = "5"
    return response
