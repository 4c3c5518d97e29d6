"""The audit chain and the decision register."""

from __future__ import annotations

from django.db import models

from concord.domain.audit import GENESIS, ChainLink
from concord.records.append_only import AppendOnly


class AuditEvent(AppendOnly):
    seq = models.BigIntegerField(primary_key=True)
    at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    tag = models.CharField(max_length=80)
    subject = models.CharField(max_length=120)
    payload = models.TextField(help_text="canonical JSON")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        # Plain b-tree indexes and constraint: every audited write pays for each index, so the
        # pattern-matching twins Django would add to indexed text columns are left out (the live
        # streams' filter on a subject's prefix is driven by the sequence number, not by these).
        indexes = [
            models.Index(fields=["tag"], name="auditevent_tag"),
            models.Index(fields=["subject"], name="auditevent_subject"),
        ]
        constraints = [models.UniqueConstraint(fields=["hash"], name="auditevent_hash_unique")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.tag} {self.subject}"

    def to_link(self) -> ChainLink:
        return ChainLink(
            self.seq,
            self.at,
            self.actor,
            self.tag,
            self.subject,
            self.payload,
            self.prev_hash,
            self.hash,
        )


class AuditHead(models.Model):
    """The single row holding the chain's newest sequence and hash; appenders lock it."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS)


class Decision(AppendOnly):
    """The decision sheet of an adopted procedure."""

    number = models.CharField(max_length=40, unique=True)
    procedure = models.OneToOneField(
        "procedures.Procedure", on_delete=models.PROTECT, related_name="decision"
    )
    reference = models.CharField(max_length=60, help_text="the adopted revision's reference")
    text_sha256 = models.CharField(max_length=64)
    canonical_text = models.TextField()
    adopted_at = models.DateTimeField()
    bound = models.JSONField(help_text="states bound by the decision")
    standing_aside = models.JSONField(default=list)
    footnotes = models.JSONField(default=list)
    statements = models.JSONField(default=list)
    timeline = models.JSONField(default=list)
    recorded_at = models.DateTimeField()
    search_text = models.TextField(
        blank=True, help_text="lower-case words searched by the register"
    )

    class Meta:
        ordering = ["-adopted_at"]

    def __str__(self) -> str:
        return self.number


class AccessLog(AppendOnly):
    """Reads of classified material, token uses and refusals: who, what, when, through which
    channel. Reviewed by auditors; never changed."""

    at = models.DateTimeField(db_index=True)
    username = models.CharField(max_length=150)
    channel = models.CharField(max_length=20, help_text="web, api, feed, stream, export, admin")
    action = models.CharField(max_length=20, help_text="read, token_used, refused")
    subject = models.CharField(max_length=200)
    level = models.IntegerField(null=True, blank=True, help_text="classification of what was read")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["username"], name="accesslog_username")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.subject} ({self.channel})"
