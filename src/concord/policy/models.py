"""The issues-and-threats register, consultations on request, national measures, options papers
and commitments. The rules live in ``concord.domain.topics``, ``options`` and ``commitments``;
rows change only through ``concord.services.policy``, which writes the audit event of each change.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from concord.domain import commitments as commitments_core
from concord.domain import options as options_core
from concord.domain import topics as topics_core
from concord.records.append_only import AppendOnly


def _choices(enum: type) -> list[tuple[str, str]]:
    return [(m.value, m.value.replace("_", " ")) for m in enum]  # type: ignore[attr-defined]


class Topic(models.Model):
    """An issue or threat the alliance follows, owned by the body (the Council) that handles it."""

    code = models.CharField(max_length=64, unique=True, help_text="e.g. eastern-build-up")
    title = models.CharField(max_length=300)
    title_fr = models.CharField(max_length=300, blank=True)
    threats = models.JSONField(help_text='threat kinds, e.g. ["military_build_up"]')
    tracks = models.JSONField(help_text="one or both tracks; both for a dual-track policy")
    body = models.ForeignKey("alliance.Body", on_delete=models.PROTECT, related_name="topics")
    created_by = models.ForeignKey("alliance.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    def to_domain(self) -> topics_core.Topic:
        return topics_core.Topic(
            self.code,
            self.title,
            frozenset(topics_core.Threat(t) for t in self.threats),
            frozenset(topics_core.Track(t) for t in self.tracks),
        )


class ConsultationRequest(models.Model):
    """A member's request for consultations on a topic, and the meeting convened for it.
    Only ``closed_at``/``closed_by`` change after it is made."""

    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="requests")
    state = models.ForeignKey("alliance.State", on_delete=models.PROTECT, related_name="+")
    grounds = models.TextField()
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey("alliance.User", on_delete=models.PROTECT, related_name="+")
    convene_by = models.DateTimeField(help_text="the latest instant for the meeting")
    meeting = models.ForeignKey(
        "procedures.Procedure",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="consultation_requests",
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        "alliance.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.state_id} on {self.topic_id}"

    def to_domain(self) -> topics_core.ConsultationRequest:
        return topics_core.ConsultationRequest(
            self.state_id, self.topic.code, self.grounds, self.requested_at, self.closed_at
        )


class MeasureNotification(AppendOnly):
    """A member's notice of a national measure it takes on a topic."""

    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="measures")
    state = models.ForeignKey("alliance.State", on_delete=models.PROTECT, related_name="+")
    description = models.TextField()
    effective_on = models.DateField()
    notified_by = models.ForeignKey("alliance.User", on_delete=models.PROTECT, related_name="+")
    notified_at = models.DateTimeField()

    class Meta:
        ordering = ["-notified_at", "-id"]

    def to_domain(self) -> topics_core.MeasureNotification:
        return topics_core.MeasureNotification(
            self.state_id, self.topic.code, self.description, self.effective_on, self.notified_at
        )


class OptionsPaper(models.Model):
    """The secretariat's options for a topic; ``document`` is the draft decision once made."""

    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="papers")
    title = models.CharField(max_length=300)
    title_fr = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey("alliance.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    document = models.ForeignKey(
        "documents.Document", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class Option(models.Model):
    paper = models.ForeignKey(OptionsPaper, on_delete=models.PROTECT, related_name="options")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=500)
    title_fr = models.CharField(max_length=500, blank=True)
    instrument = models.CharField(max_length=20, choices=_choices(topics_core.Instrument))
    track = models.CharField(max_length=20, choices=_choices(topics_core.Track))
    cost_note = models.CharField(max_length=500, blank=True)
    cost_note_fr = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["paper", "number"]
        constraints = [
            models.UniqueConstraint(fields=["paper", "number"], name="one_option_number_per_paper")
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"

    def to_domain(self) -> options_core.Option:
        return options_core.Option(
            str(self.number),
            self.title,
            topics_core.Instrument(self.instrument),
            topics_core.Track(self.track),
            self.cost_note,
        )


class OptionMark(AppendOnly):
    """A delegation's mark on an option; the latest for a state and option counts."""

    option = models.ForeignKey(Option, on_delete=models.PROTECT, related_name="marks")
    state = models.ForeignKey("alliance.State", on_delete=models.PROTECT, related_name="+")
    mark = models.CharField(max_length=20, choices=_choices(options_core.Mark))
    reason = models.TextField(blank=True)
    by = models.ForeignKey("alliance.User", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def to_domain(self) -> options_core.OptionMark:
        return options_core.OptionMark(
            self.pk,
            self.state_id,
            str(self.option.number),
            options_core.Mark(self.mark),
            self.reason,
        )


class Commitment(models.Model):
    """What a decision (or the secretariat, standalone) asks of each bound state by a date."""

    decision = models.ForeignKey(
        "records.Decision", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    topic = models.ForeignKey(
        Topic, null=True, blank=True, on_delete=models.PROTECT, related_name="commitments"
    )
    kind = models.CharField(max_length=20, choices=_choices(commitments_core.CommitmentKind))
    title = models.CharField(max_length=300)
    title_fr = models.CharField(max_length=300, blank=True)
    due = models.DateField()
    target = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    baseline_on = models.DateField(null=True, blank=True)
    baselines = models.JSONField(default=dict, blank=True, help_text="state → share on baseline_on")
    states = models.JSONField(help_text="the bound states, sorted ISO 3166 alpha-3 codes")
    created_by = models.ForeignKey("alliance.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["due", "id"]

    def __str__(self) -> str:
        return self.title

    def to_domain(self) -> commitments_core.Commitment:
        return commitments_core.Commitment(
            str(self.pk),
            commitments_core.CommitmentKind(self.kind),
            self.title,
            frozenset(self.states),
            self.due,
            self.target,
            self.baseline_on,
            {s: Decimal(v) for s, v in self.baselines.items()},
        )


class CommitmentReport(AppendOnly):
    """A state's report on a commitment: a figure where one applies (for spending, the share of
    GDP in ``year``), its evidence, and whether the state considers it delivered."""

    commitment = models.ForeignKey(Commitment, on_delete=models.PROTECT, related_name="reports")
    state = models.ForeignKey("alliance.State", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    year = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="the year the figure is for (spending)"
    )
    figure = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    evidence = models.TextField()
    delivered = models.BooleanField(default=False)
    by = models.ForeignKey("alliance.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["at", "id"]


class ReportReview(AppendOnly):
    """The secretariat's verdict on a report: accepted, or queried with a note."""

    report = models.OneToOneField(CommitmentReport, on_delete=models.PROTECT, related_name="review")
    verdict = models.CharField(max_length=10, choices=_choices(commitments_core.Verdict))
    note = models.TextField(blank=True)
    by = models.ForeignKey("alliance.User", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()


class ReminderSent(AppendOnly):
    """A reminder sent to a state before a commitment's due date; each (lead time) once."""

    commitment = models.ForeignKey(Commitment, on_delete=models.PROTECT, related_name="reminders")
    state = models.ForeignKey("alliance.State", on_delete=models.PROTECT, related_name="+")
    lead = models.DurationField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["commitment", "state", "lead"], name="one_commitment_reminder"
            )
        ]
