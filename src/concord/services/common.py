"""What every use case needs: looking up users, states and bodies by what people type."""

from __future__ import annotations

from django.utils import timezone

from concord.alliance.models import Body, State, User
from concord.domain.errors import NotFound, _


def now():
    """The server clock, the only authority on time. Services accept ``now`` to let tests move it."""
    return timezone.now()


def user(username: str) -> User:
    try:
        return User.objects.select_related("state").get(username=username, is_active=True)
    except User.DoesNotExist:
        raise NotFound(_("no active user {user!r}"), user=username) from None


def state(iso3: str) -> State:
    code = iso3.strip().upper()
    try:
        return State.objects.get(iso3=code)
    except State.DoesNotExist:
        raise NotFound(
            _("unknown state {state!r} (use an ISO 3166 alpha-3 code, e.g. FRA)"), state=iso3
        ) from None


def body(code: str) -> Body:
    try:
        return Body.objects.select_related("chair").get(code=code.strip().upper())
    except Body.DoesNotExist:
        raise NotFound(_("unknown body {body!r}"), body=code) from None
