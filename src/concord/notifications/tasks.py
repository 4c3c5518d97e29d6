"""Background tasks (django-tasks, database backend): e-mail and webhook calls, with retries."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from django_tasks import task

from concord.notifications.models import Delivery, Notification

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6


def backoff(attempt: int) -> timedelta:
    """10 s, 20 s, 40 s, … between attempts."""
    return timedelta(seconds=10 * 2 ** max(attempt - 1, 0))


@task()
def send_notification_email(notification_id: int, attempt: int = 1) -> None:
    note = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if note is None:
        return
    link = settings.CONCORD_BASE_URL.rstrip("/") + note.url
    try:
        send_mail(
            subject=f"[Concord] {note.title}",
            message=f"{note.title}\n\n{note.body}\n\n{link}\n",
            from_email=None,
            recipient_list=[note.user.email],
        )
    except OSError as exc:
        if attempt >= MAX_ATTEMPTS:
            log.error("e-mail for notification %s failed for good: %s", notification_id, exc)
            raise
        send_notification_email.using(run_after=timezone.now() + backoff(attempt)).enqueue(
            notification_id, attempt + 1
        )


def signature(secret: str, timestamp: str, body: str) -> str:
    """HMAC-SHA256 over ``timestamp.body``, hex; sent as ``Concord-Signature: sha256=…``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return mac.hexdigest()


@task()
def deliver_webhook(delivery_id: int) -> str:
    delivery = Delivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != Delivery.Status.PENDING:
        return "skipped"
    stamp = str(int(time.time()))
    request = urllib.request.Request(
        delivery.webhook.url,
        data=delivery.payload.encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Concord-Webhook/1",
            "Concord-Delivery": str(delivery.pk),
            "Concord-Event": str(delivery.event_seq),
            "Concord-Timestamp": stamp,
            "Concord-Signature": "sha256="
            + signature(delivery.webhook.secret, stamp, delivery.payload),
        },
    )
    delivery.attempts += 1
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            ok = 200 <= response.status < 300
            error = "" if ok else f"HTTP {response.status}"
    except (urllib.error.URLError, OSError) as exc:
        ok, error = False, str(getattr(exc, "reason", exc))[:500]
    now = timezone.now()
    if ok:
        delivery.status, delivery.delivered_at, delivery.last_error = (
            Delivery.Status.DELIVERED,
            now,
            "",
        )
    else:
        delivery.last_error = error
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = Delivery.Status.FAILED
    delivery.save(update_fields=["status", "attempts", "last_error", "delivered_at"])
    if not ok and delivery.status == Delivery.Status.PENDING:
        deliver_webhook.using(run_after=now + backoff(delivery.attempts)).enqueue(delivery.pk)
    return delivery.status
