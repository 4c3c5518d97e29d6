from django.contrib import admin

from concord.records.admin_audit import AccessFiltered, AuditorsOnly, ReadOnlyAdmin
from concord.records.models import AccessLog, AuditEvent, Decision
from concord.services import access


@admin.register(AuditEvent)
class AuditEventAdmin(AuditorsOnly):
    list_display = ["seq", "at", "actor", "tag", "subject"]
    list_filter = ["tag"]
    search_fields = ["subject", "actor"]


@admin.register(AccessLog)
class AccessLogAdmin(AuditorsOnly):
    list_display = ["at", "username", "channel", "action", "subject", "level"]
    list_filter = ["channel", "action"]
    search_fields = ["username", "subject"]


@admin.register(Decision)
class DecisionAdmin(AccessFiltered, ReadOnlyAdmin):
    list_display = ["number", "reference", "adopted_at", "text_sha256"]
    search_fields = ["number", "reference"]

    def access_filter(self, request, queryset):
        return queryset.filter(pk__in=access.decisions(request.user).values("pk"))
