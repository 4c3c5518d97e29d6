from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_verified():
        return {"server_now": timezone.now()}
    from concord.services import notifications

    return {"unread_count": notifications.unread(user).count(), "server_now": timezone.now()}
