"""An admin base class whose every save and delete writes an audit event in the same transaction."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction

from concord.services import backoffice


class AuditedAdmin(admin.ModelAdmin):
    def save_related(self, request: Any, form: Any, formsets: Any, change: bool) -> None:
        # Called after save_model, inside the admin view's transaction, once the many-to-many
        # fields are saved too: the event sees the whole record.
        with transaction.atomic():
            super().save_related(request, form, formsets, change)
            backoffice.saved(username=request.user.username, obj=form.instance, change=change)

    def delete_model(self, request: Any, obj: Any) -> None:
        with transaction.atomic():
            backoffice.deleted(username=request.user.username, obj=obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        with transaction.atomic():
            for obj in queryset:
                backoffice.deleted(username=request.user.username, obj=obj)
            super().delete_queryset(request, queryset)


class ReadOnlyAdmin(admin.ModelAdmin):
    """For append-only records: they can be read in the back office, never changed there."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class AccessFiltered(admin.ModelAdmin):
    """The back office applies the access policy too: a staff member sees only what they may read.
    Subclasses name the filter in ``access_filter``."""

    def access_filter(self, request: Any, queryset: Any) -> Any:
        return queryset.none()

    def get_queryset(self, request: Any) -> Any:
        return self.access_filter(request, super().get_queryset(request))


class AuditorsOnly(ReadOnlyAdmin):
    """The record itself (its events and the access log) is for auditors."""

    def has_view_permission(self, request: Any, obj: Any = None) -> bool:
        return getattr(request.user, "role", "") == "auditor"

    def has_module_permission(self, request: Any) -> bool:
        return self.has_view_permission(request)
