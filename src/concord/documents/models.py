"""Series, gap-free reference counters, documents, revisions and their paragraphs."""

from __future__ import annotations

from django.db import models

from concord.domain.markings import Classification, Marking
from concord.domain.references import Reference
from concord.records.append_only import AppendOnly


class Series(models.Model):
    code = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=150)
    body = models.ForeignKey("alliance.Body", null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "series"

    def __str__(self) -> str:
        return self.code


class ReferenceCounter(models.Model):
    """The last number given in a series for a year; allocation locks this row, so a number is
    used only if its transaction commits: no gaps, no duplicates."""

    series = models.ForeignKey(Series, on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["series", "year"], name="one_counter_per_series_year")
        ]


class Document(models.Model):
    series = models.ForeignKey(Series, on_delete=models.PROTECT, related_name="documents")
    year = models.PositiveSmallIntegerField()
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    title_fr = models.CharField(max_length=300, blank=True)
    classification = models.IntegerField(choices=[(c.value, c.label) for c in Classification])
    releasable_to = models.ManyToManyField(
        "alliance.State", blank=True, related_name="releasable_documents"
    )
    body = models.ForeignKey("alliance.Body", on_delete=models.PROTECT, related_name="documents")
    distribution = models.ManyToManyField(
        "alliance.User",
        blank=True,
        related_name="distributed_documents",
        help_text="people given a need to know beyond the owning body",
    )
    created_by = models.ForeignKey("alliance.User", on_delete=models.PROTECT)
    created_at = models.DateTimeField()
    # Identity counters, never reused: paragraph ids p1, p2, ...; bracket ids b1, b2, ...;
    # amendment labels A1, A2, ... Raised under the document's row lock.
    last_paragraph = models.PositiveIntegerField(default=0)
    last_bracket = models.PositiveIntegerField(default=0)
    last_amendment = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-year", "series__code", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "year", "number"], name="one_document_per_reference"
            )
        ]

    def __str__(self) -> str:
        return str(self.reference)

    @property
    def reference(self) -> Reference:
        return Reference(self.series.code, self.year, self.number)

    def marking(self) -> Marking:
        return Marking.of(
            Classification(self.classification), (s.iso3 for s in self.releasable_to.all())
        )


class Revision(AppendOnly):
    """An immutable version of a document's text; revision 0 is the original."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveSmallIntegerField()
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey("alliance.User", on_delete=models.PROTECT)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["document", "number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="one_revision_number")
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return self.document.reference.revision(self.number)


class Paragraph(AppendOnly):
    """A paragraph of a revision: its number there, its stable identity across revisions
    (``key``), its wording in the bracket notation in both languages, and its full structure
    (brackets, holders, alignment) as data for the negotiation model."""

    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="paragraphs")
    number = models.PositiveIntegerField()
    key = models.CharField(max_length=64, default="")
    text = models.TextField()
    text_fr = models.TextField(blank=True)
    structure = models.JSONField(default=dict)
    classification = models.IntegerField(
        null=True,
        blank=True,
        choices=[(c.value, c.label) for c in Classification],
        help_text="portion marking; empty: the document's own level",
    )

    class Meta:
        ordering = ["revision", "number"]
        constraints = [
            models.UniqueConstraint(fields=["revision", "number"], name="one_paragraph_number")
        ]

    def __str__(self) -> str:
        return f"{self.revision} §{self.number}"


class TextMark(AppendOnly):
    """A change to the standing of a revision's text that is not a change of wording: a
    delegation holds or releases an alternative of a bracket, or the language services align a
    paragraph's English and French. Applied in order on top of the revision."""

    class Action(models.TextChoices):
        HOLD = "hold"
        RELEASE = "release"
        ALIGN = "align"

    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="marks")
    action = models.CharField(max_length=8, choices=Action.choices)
    target = models.CharField(max_length=64, help_text="a bracket id, or a paragraph id to align")
    state = models.ForeignKey("alliance.State", null=True, blank=True, on_delete=models.PROTECT)
    alternative = models.PositiveSmallIntegerField(null=True, blank=True)
    by = models.ForeignKey("alliance.User", on_delete=models.PROTECT)
    at = models.DateTimeField()

    class Meta:
        ordering = ["revision", "pk"]


class Amendment(models.Model):
    """A delegation's proposed change to a text, with its rationale, and the chair's decision
    on it. Proposed against one revision; ``applied_in`` is the revision that carries it."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="amendments")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="amendments")
    number = models.PositiveIntegerField()
    delegation = models.ForeignKey("alliance.State", on_delete=models.PROTECT)
    rationale = models.TextField()
    change = models.JSONField()
    state = models.CharField(max_length=10, default="proposed")
    proposed_by = models.ForeignKey(
        "alliance.User", on_delete=models.PROTECT, related_name="amendments_proposed"
    )
    proposed_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        "alliance.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="amendments_decided",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    applied_in = models.ForeignKey(
        Revision, null=True, blank=True, on_delete=models.PROTECT, related_name="applied"
    )

    class Meta:
        ordering = ["document", "number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="one_amendment_number")
        ]

    def __str__(self) -> str:
        return f"{self.document} A{self.number}"

    @property
    def label(self) -> str:
        return f"A{self.number}"


class ParagraphPosition(AppendOnly):
    """A delegation's stance on a paragraph of a revision; the latest counts."""

    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="stances")
    key = models.CharField(max_length=64)
    state = models.ForeignKey("alliance.State", on_delete=models.PROTECT)
    stance = models.CharField(max_length=24)
    by = models.ForeignKey("alliance.User", on_delete=models.PROTECT)
    at = models.DateTimeField()

    class Meta:
        ordering = ["revision", "pk"]
