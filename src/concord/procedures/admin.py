from django.contrib import admin

from concord.procedures.models import Position, Procedure
from concord.records.admin_audit import AccessFiltered, ReadOnlyAdmin
from concord.services import access


class PositionInline(admin.TabularInline):
    model = Position
    extra = 0
    can_delete = False
    readonly_fields = [
        "state",
        "kind",
        "grounds",
        "statement",
        "paragraph",
        "filed_by",
        "ministerial",
        "at",
    ]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Procedure)
class ProcedureAdmin(AccessFiltered, ReadOnlyAdmin):
    """Procedures change only through their services, so that every step is audited."""

    list_display = ["id", "kind", "body", "title", "state", "expires_at"]
    list_filter = ["kind", "state", "body"]
    inlines = [PositionInline]

    def access_filter(self, request, queryset):
        return queryset.filter(pk__in=access.procedures(request.user).values("pk"))
