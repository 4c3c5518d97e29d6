from django.contrib import admin

from concord.records.admin_audit import ReadOnlyAdmin
from concord.records.models import AuditEvent, Decision


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["seq", "at", "actor", "tag", "subject"]
    list_filter = ["tag"]
    search_fields = ["subject", "actor"]


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["number", "reference", "adopted_at", "text_sha256"]
    search_fields = ["number", "reference"]
