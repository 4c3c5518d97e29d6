"""Procedures, their fixed deciding participants, and the append-only history of positions."""

from __future__ import annotations

from datetime import timedelta

from django.db import models

from concord.domain import procedures as domain
from concord.records.append_only import AppendOnly


class Procedure(models.Model):
    kind = models.CharField(max_length=12, choices=[(k.value, k.label) for k in domain.Kind])
    body = models.ForeignKey("alliance.Body", on_delete=models.PROTECT, related_name="procedures")
    format = models.ForeignKey("alliance.Format", null=True, blank=True, on_delete=models.PROTECT)
    revision = models.ForeignKey(
        "documents.Revision", null=True, blank=True, on_delete=models.PROTECT
    )
    title = models.CharField(max_length=300)
    rule = models.JSONField(default=dict)
    minimum_silence = models.DurationField(default=timedelta(0))
    ministerial_objections = models.BooleanField(default=False)
    coalitions_within = models.BooleanField(default=False)
    opened_by = models.ForeignKey("alliance.User", on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    concluded_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(
        max_length=24,
        choices=[(s.value, s.value) for s in domain.State],
        default=domain.State.OPEN,
        db_index=True,
        help_text="as last recorded; the outcome itself is derived from the positions",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            # The workers' claim: running procedures whose expiry has passed, soonest first.
            models.Index(fields=["state", "expires_at"], name="procedure_due"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.title}"


class Participant(models.Model):
    """A deciding state, fixed when the procedure opened (with its population then)."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="participants")
    state = models.ForeignKey("alliance.State", on_delete=models.PROTECT)
    population_millions = models.DecimalField(max_digits=10, decimal_places=2, default=0)

    class Meta:
        ordering = ["state"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "state"], name="one_participation")
        ]


class Position(AppendOnly):
    # Indexed by position_history (procedure first) and position_state below.
    procedure = models.ForeignKey(
        Procedure, on_delete=models.PROTECT, related_name="positions", db_index=False
    )
    state = models.ForeignKey("alliance.State", on_delete=models.PROTECT, db_index=False)
    kind = models.CharField(
        max_length=24, choices=[(k.value, k.value) for k in domain.PositionKind]
    )
    statement = models.TextField(blank=True)
    grounds = models.CharField(
        max_length=12, blank=True, help_text="for a break: objection or amendment"
    )
    paragraph = models.PositiveIntegerField(null=True, blank=True)
    filed_by = models.ForeignKey("alliance.User", on_delete=models.PROTECT)
    ministerial = models.BooleanField(default=False)
    at = models.DateTimeField()

    class Meta:
        ordering = ["procedure", "id"]
        # A procedure's history in commit order, and what was committed since a known entry;
        # a state's positions. Each index costs every position filed: no pattern-matching twin.
        indexes = [
            models.Index(fields=["procedure", "id"], name="position_history"),
            models.Index(fields=["state"], name="position_state"),
        ]

    def __str__(self) -> str:
        return f"{self.state_id} {self.kind} on #{self.procedure_id}"

    def to_entry(self) -> domain.Entry:
        return domain.Entry(
            seq=self.pk,
            state=self.state_id,
            kind=domain.PositionKind(self.kind),
            at=self.at,
            ministerial=self.ministerial,
            statement=self.statement,
            paragraph=self.paragraph,
        )
