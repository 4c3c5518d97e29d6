"""States, dated memberships, delegations, users with roles, bodies and formats."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models

from concord.domain import alliance as domain
from concord.domain.markings import Classification
from concord.domain.rules import DecisionRule

iso3 = RegexValidator(r"^[A-Z]{3}$", "an ISO 3166-1 alpha-3 code: three capital letters")


class State(models.Model):
    iso3 = models.CharField(max_length=3, primary_key=True, validators=[iso3])
    name_en = models.CharField(max_length=100)
    name_fr = models.CharField(max_length=100)
    population_millions = models.DecimalField(max_digits=10, decimal_places=2, default=0)

    class Meta:
        ordering = ["iso3"]

    def __str__(self) -> str:
        return f"{self.iso3} {self.name_en}"


class Membership(models.Model):
    """A state's membership of (or partnership with) the alliance, from a date until another."""

    state = models.ForeignKey(State, on_delete=models.PROTECT, related_name="memberships")
    kind = models.CharField(
        max_length=10, choices=[(k.value, k.value) for k in domain.MembershipKind]
    )
    since = models.DateField()
    until = models.DateField(null=True, blank=True, help_text="exclusive; empty while it lasts")

    class Meta:
        ordering = ["state", "since"]

    def __str__(self) -> str:
        end = f" until {self.until}" if self.until else ""
        return f"{self.state_id} {self.kind} since {self.since}{end}"

    def to_domain(self) -> domain.Membership:
        return domain.Membership(
            self.state_id, domain.MembershipKind(self.kind), self.since, self.until
        )

    def valid_on(self, day: date) -> bool:
        return self.to_domain().valid_on(day)


class Delegation(models.Model):
    """A state's permanent delegation to the alliance."""

    state = models.OneToOneField(State, on_delete=models.PROTECT, related_name="delegation")
    name = models.CharField(max_length=150)

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    role = models.CharField(
        max_length=30, choices=[(r.value, r.value.replace("_", " ")) for r in domain.Role]
    )
    state = models.ForeignKey(
        State,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        help_text="the state the user speaks for; empty for international staff",
    )
    delegation = models.ForeignKey(Delegation, null=True, blank=True, on_delete=models.SET_NULL)
    ministerial_authority = models.BooleanField(
        default=False, help_text="a capital official who may enter or countersign objections"
    )
    clearance = models.IntegerField(
        choices=[(c.value, c.label) for c in Classification], default=Classification.UNCLASSIFIED
    )
    time_zone = models.CharField(max_length=64, default="Europe/Brussels")
    language = models.CharField(
        max_length=5, choices=[("en", "English"), ("fr", "Français")], default="en"
    )
    email_notifications = models.BooleanField(
        default=True, help_text="e-mail me what happens in my procedures"
    )
    email_reminders = models.BooleanField(
        default=True, help_text="e-mail me reminders before deadlines"
    )
    calendar_token = models.CharField(
        max_length=64, blank=True, help_text="the secret of the calendar feed URL"
    )

    def to_actor(self) -> domain.Actor:
        return domain.Actor(
            username=self.username,
            role=domain.Role(self.role) if self.role else domain.Role.ADMINISTRATOR,
            state=self.state_id,
            ministerial=self.ministerial_authority,
        )


class Body(models.Model):
    """A council, committee or working group, with its chair and its settings."""

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=150)
    name_fr = models.CharField(max_length=150, blank=True)
    kind = models.CharField(
        max_length=20, choices=[(k.value, k.value.replace("_", " ")) for k in domain.BodyKind]
    )
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT)
    chair = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="chaired_bodies"
    )
    secretary = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="served_bodies"
    )
    member_states = models.ManyToManyField(
        State,
        blank=True,
        related_name="bodies",
        help_text="empty: every ally whose membership is valid is a member",
    )
    seat_timezone = models.CharField(max_length=64, default="Europe/Brussels")
    rule = models.JSONField(default=dict, blank=True, help_text='e.g. {"kind": "consensus"}')
    minimum_silence = models.DurationField(default=timedelta(0))
    ministerial_objections = models.BooleanField(
        default=False,
        help_text="an objection counts only when entered or countersigned at ministerial level",
    )
    coalitions_within = models.BooleanField(
        default=False, help_text="members may stand aside; the decision then binds the others"
    )
    delegated_authority = models.BooleanField(
        default=False,
        help_text="the chair may decide under delegated authority, subject to call-up",
    )
    consultation_within = models.DurationField(
        default=timedelta(hours=24),
        help_text="a member's request for consultations convenes the body within this time",
    )

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "bodies"

    def __str__(self) -> str:
        return self.code

    def decision_rule(self) -> DecisionRule:
        return DecisionRule.from_data(self.rule)


class Format(models.Model):
    """A body meeting with partners, e.g. the Council with the Indo-Pacific partners."""

    code = models.CharField(max_length=30, unique=True)
    name = models.CharField(max_length=150)
    name_fr = models.CharField(max_length=150, blank=True)
    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="formats")
    partners = models.ManyToManyField(State, related_name="formats")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code
