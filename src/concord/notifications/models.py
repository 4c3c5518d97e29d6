"""What each user is told, and the bookkeeping that makes it happen exactly once."""

from __future__ import annotations

from django.db import models


class Notification(models.Model):
    user = models.ForeignKey(
        "alliance.User", on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40, help_text="the audit tag or reminder that caused it")
    event_seq = models.BigIntegerField(
        null=True, blank=True, help_text="the audit event it reports"
    )
    procedure = models.ForeignKey(
        "procedures.Procedure", null=True, blank=True, on_delete=models.CASCADE
    )
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "event_seq"], name="one_notification_per_event"
            ),
        ]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.title}"


class Cursor(models.Model):
    """How far a consumer of the audit chain has got; the consumer locks its row."""

    name = models.CharField(max_length=40, primary_key=True)
    seq = models.BigIntegerField(default=0)


class Reminder(models.Model):
    """A reminder sent for a procedure, so that it is sent once whatever the workers do."""

    procedure = models.ForeignKey(
        "procedures.Procedure", on_delete=models.CASCADE, related_name="reminders"
    )
    hours_before = models.PositiveIntegerField()
    expires_at = models.DateTimeField(
        help_text="the expiry it reminded of (an extension re-arms it)"
    )
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "hours_before", "expires_at"], name="one_reminder"
            ),
        ]


class Webhook(models.Model):
    """A user's endpoint that receives signed JSON for the events they may see."""

    owner = models.ForeignKey("alliance.User", on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=64)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.url


class Delivery(models.Model):
    """One webhook call for one event, with its attempts."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed"

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event_seq = models.BigIntegerField()
    payload = models.TextField(help_text="canonical JSON, exactly the bytes signed")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["webhook", "event_seq"], name="one_delivery_per_event")
        ]
