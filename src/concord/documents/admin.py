from django.contrib import admin

from concord.documents.models import Document, Paragraph, Revision, Series
from concord.records.admin_audit import AuditedAdmin, ReadOnlyAdmin


@admin.register(Series)
class SeriesAdmin(AuditedAdmin):
    list_display = ["code", "name", "body"]


@admin.register(Document)
class DocumentAdmin(AuditedAdmin):
    list_display = ["__str__", "title", "classification", "body", "created_at"]
    list_filter = ["classification", "body", "series"]
    search_fields = ["title", "title_fr"]
    readonly_fields = ["series", "year", "number", "created_by", "created_at"]
    filter_horizontal = ["releasable_to"]

    def has_add_permission(self, request, obj=None):  # numbers are allocated by the service only
        return False


class ParagraphInline(admin.TabularInline):
    model = Paragraph
    extra = 0
    can_delete = False
    readonly_fields = ["number", "text", "text_fr"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "note", "created_by", "created_at"]
    inlines = [ParagraphInline]
