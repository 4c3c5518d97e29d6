from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from concord.alliance.models import Body, Delegation, Format, Membership, State, User
from concord.records.admin_audit import AuditedAdmin


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(State)
class StateAdmin(AuditedAdmin):
    list_display = ["iso3", "name_en", "name_fr", "population_millions"]
    search_fields = ["iso3", "name_en", "name_fr"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin):
    list_display = ["state", "kind", "since", "until"]
    list_filter = ["kind"]


@admin.register(Delegation)
class DelegationAdmin(AuditedAdmin):
    list_display = ["name", "state"]


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    list_display = [
        "username",
        "first_name",
        "last_name",
        "role",
        "state",
        "clearance",
        "ministerial_authority",
    ]
    list_filter = ["role", "state", "ministerial_authority", "clearance"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (
            "Concord",
            {
                "fields": (
                    "role",
                    "state",
                    "delegation",
                    "ministerial_authority",
                    "clearance",
                    "time_zone",
                )
            },
        ),
    )


class FormatInline(admin.TabularInline):
    model = Format
    extra = 0
    filter_horizontal = ["partners"]


@admin.register(Body)
class BodyAdmin(AuditedAdmin):
    list_display = [
        "code",
        "name",
        "kind",
        "chair",
        "ministerial_objections",
        "coalitions_within",
        "delegated_authority",
    ]
    list_filter = ["kind"]
    filter_horizontal = ["member_states"]
    inlines = [FormatInline]


@admin.register(Format)
class FormatAdmin(AuditedAdmin):
    list_display = ["code", "name", "body"]
    filter_horizontal = ["partners"]
