"""Security events: sign-ins, failures and refusals go into the audit chain."""

from __future__ import annotations

from django.db import transaction

from concord.domain.events import Tag
from concord.services import access, audit, common


def signed_in(username: str, method: str, address: str = "") -> None:
    with transaction.atomic():
        audit.append(
            actor=username,
            tag=Tag.SIGNED_IN,
            subject=f"user:{username}",
            payload={"second_factor": method, "address": address},
            at=common.now(),
        )


def sign_in_failed(username: str, reason: str, address: str = "") -> None:
    with transaction.atomic():
        audit.append(
            actor=username or "anonymous",
            tag=Tag.SIGN_IN_FAILED,
            subject=f"user:{username}",
            payload={"reason": reason, "address": address},
            at=common.now(),
        )


def signed_out(username: str) -> None:
    with transaction.atomic():
        audit.append(
            actor=username,
            tag=Tag.SIGNED_OUT,
            subject=f"user:{username}",
            payload={},
            at=common.now(),
        )


def refused(user, *, channel: str, subject: str, reason: str) -> None:
    """An action refused for want of a role or authority (the action itself wrote nothing)."""
    username = getattr(user, "username", "") or "anonymous"
    with transaction.atomic():
        audit.append(
            actor=username,
            tag=Tag.ACCESS_REFUSED,
            subject=subject,
            payload={"channel": channel, "reason": reason},
            at=common.now(),
        )
        access.log_read(user, channel, subject, None, action="refused")
