from django import forms
from django.contrib import admin

from concord.documents.models import Document, Paragraph, Revision, Series
from concord.domain.markings import Classification
from concord.records.admin_audit import AccessFiltered, AuditedAdmin, ReadOnlyAdmin
from concord.services import access, documents


@admin.register(Series)
class SeriesAdmin(AuditedAdmin):
    list_display = ["code", "name", "body"]


class NewDocumentForm(forms.ModelForm):
    """Registering through the back office goes through the same service as everywhere, so the
    reference is allocated without gaps and the audit event is written."""

    series_code = forms.CharField(max_length=16, help_text="e.g. PO or C-M")
    text = forms.CharField(widget=forms.Textarea, help_text="paragraphs, separated by a blank line")
    text_fr = forms.CharField(
        widget=forms.Textarea,
        required=False,
        help_text="the French version, paragraph for paragraph",
    )

    class Meta:
        model = Document
        fields = ["title", "title_fr", "classification", "releasable_to", "body"]

    @staticmethod
    def _paragraphs(text: str) -> list[str]:
        return [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]

    def clean(self):
        data = super().clean()
        en = self._paragraphs(data.get("text", ""))
        fr = self._paragraphs(data.get("text_fr", ""))
        if fr and len(fr) != len(en):
            raise forms.ValidationError(
                f"the French version has {len(fr)} paragraphs and the English {len(en)}"
            )
        data["paragraphs"] = [(e, fr[i] if fr else "") for i, e in enumerate(en)]
        return data


@admin.register(Document)
class DocumentAdmin(AccessFiltered, AuditedAdmin):
    def access_filter(self, request, queryset):
        return queryset.filter(pk__in=access.documents(request.user).values("pk"))

    list_display = ["__str__", "title", "classification", "body", "created_at"]
    list_filter = ["classification", "body", "series"]
    search_fields = ["title", "title_fr"]
    readonly_fields = ["series", "year", "number", "created_by", "created_at"]
    filter_horizontal = ["releasable_to", "distribution"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = NewDocumentForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return [
                "series_code",
                "title",
                "title_fr",
                "classification",
                "releasable_to",
                "body",
                "text",
                "text_fr",
            ]
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        data = form.cleaned_data
        revision = documents.register(
            by=request.user,
            body=data["body"],
            series_code=data["series_code"].strip().upper(),
            title=data["title"],
            title_fr=data.get("title_fr", ""),
            paragraphs=data["paragraphs"],
            classification=Classification(int(data["classification"])),
            releasable_to=[s.iso3 for s in data["releasable_to"]],
        )
        registered = revision.document
        for field in ("pk", "series_id", "year", "number", "created_by_id", "created_at"):
            setattr(obj, field, getattr(registered, field))
        obj._state.adding = False
        obj._state.db = registered._state.db


class ParagraphInline(admin.TabularInline):
    model = Paragraph
    extra = 0
    can_delete = False
    readonly_fields = ["number", "text", "text_fr"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Revision)
class RevisionAdmin(AccessFiltered, ReadOnlyAdmin):
    def access_filter(self, request, queryset):
        return queryset.filter(document__in=access.documents(request.user).values("pk"))

    list_display = ["__str__", "note", "created_by", "created_at"]
    inlines = [ParagraphInline]
