"""Personal API tokens: created and revoked by their owner (or an operator), stored as a SHA-256
digest, scoped to reading or writing, expiring; each creation and revocation is audited, each use
is logged."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.db import transaction

from concord.alliance.models import User
from concord.api.models import ApiToken
from concord.domain.errors import InvalidInput, NotFound, _
from concord.domain.events import Tag
from concord.services import audit, common

PREFIX = "cnc_"
MAX_DAYS = 366
#: ``last_used_at`` is kept to the minute: no write per request just to move it by a second.
LAST_USED_PRECISION = timedelta(minutes=1)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(
    *,
    user: User,
    scope: str = "read",
    days: int | None = 90,
    name: str = "",
    now: datetime | None = None,
) -> tuple[str, ApiToken]:
    """A new token for ``user``; the plain token is returned once and never stored."""
    if scope not in (ApiToken.Scope.READ, ApiToken.Scope.WRITE):
        raise InvalidInput(_("the scope is read or write, not {scope!r}"), scope=scope)
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise InvalidInput(_("a token lasts from 1 to {days} days"), days=MAX_DAYS)
    plain = PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        at = now or common.now()
        token = ApiToken.objects.create(
            user=user,
            name=name.strip()[:100],
            prefix=plain[:12],
            digest=digest(plain),
            scope=scope,
            created_at=at,
            expires_at=at + timedelta(days=days) if days else None,
        )
        audit.append(
            actor=user.username,
            tag=Tag.TOKEN_CREATED,
            subject=f"token:{token.pk}",
            payload={
                "token": token.pk,
                "user": user.username,
                "scope": scope,
                "prefix": token.prefix,
                "expires_at": token.expires_at,
            },
            at=at,
        )
    return plain, token


def authenticate(plain: str, now: datetime | None = None) -> ApiToken | None:
    """The live token matching ``plain``, or None; its use is recorded."""
    if not plain.startswith(PREFIX):
        return None
    at = now or common.now()
    token = ApiToken.objects.select_related("user").filter(digest=digest(plain)).first()
    if token is None or not usable(token, token.user, at):
        return None
    if stale_use(token, at):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=at)
    return token


def usable(token: ApiToken, user: User, at: datetime) -> bool:
    """Not revoked, not expired, and its owner still active."""
    if token.revoked_at is not None or not user.is_active:
        return False
    return token.expires_at is None or token.expires_at > at


def stale_use(token: ApiToken, at: datetime) -> bool:
    """Whether ``last_used_at`` is to move (it is kept to the minute)."""
    return token.last_used_at is None or at - token.last_used_at > LAST_USED_PRECISION


def revoke(*, user: User, token_id: int, now: datetime | None = None) -> ApiToken:
    """Revoke one of ``user``'s tokens (administrators may revoke anyone's)."""
    with transaction.atomic():
        qs = ApiToken.objects.select_for_update()
        if user.role != "administrator":
            qs = qs.filter(user=user)
        token = qs.filter(pk=token_id).first()
        if token is None:
            raise NotFound(_("no token {number}"), number=token_id)
        if token.revoked_at is None:
            at = now or common.now()
            token.revoked_at = at
            token.save(update_fields=["revoked_at"])
            audit.append(
                actor=user.username,
                tag=Tag.TOKEN_REVOKED,
                subject=f"token:{token.pk}",
                payload={"token": token.pk, "user": token.user.username},
                at=at,
            )
    return token


def of(user: User):
    return ApiToken.objects.filter(user=user)
