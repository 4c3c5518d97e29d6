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
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="paragraphs")
    number = models.PositiveIntegerField()
    text = models.TextField()
    text_fr = models.TextField(blank=True)
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
