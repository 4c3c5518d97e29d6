"""The back office shows the register, options papers and commitments read-only, under the access
policy: they change only through their services, so that every step has its audit event."""

from django.contrib import admin

from concord.policy.models import (
    Commitment,
    CommitmentReport,
    ConsultationRequest,
    MeasureNotification,
    Option,
    OptionMark,
    OptionsPaper,
    ReminderSent,
    ReportReview,
    Topic,
)
from concord.records.admin_audit import AccessFiltered, ReadOnlyAdmin
from concord.services import policy


class _TopicFiltered(AccessFiltered, ReadOnlyAdmin):
    topic_path = "topic__"

    def access_filter(self, request, queryset):
        return queryset.filter(policy.topic_filter(request.user, self.topic_path))


@admin.register(Topic)
class TopicAdmin(_TopicFiltered):
    topic_path = ""
    list_display = ["code", "title", "body", "created_at"]
    list_filter = ["body"]
    search_fields = ["code", "title", "title_fr"]


@admin.register(ConsultationRequest)
class ConsultationRequestAdmin(_TopicFiltered):
    list_display = ["topic", "state", "requested_at", "convene_by", "meeting", "closed_at"]
    list_filter = ["state"]


@admin.register(MeasureNotification)
class MeasureNotificationAdmin(_TopicFiltered):
    list_display = ["topic", "state", "effective_on", "notified_at"]


class OptionInline(admin.TabularInline):
    model = Option
    extra = 0
    can_delete = False
    readonly_fields = ["number", "title", "instrument", "track", "cost_note"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(OptionsPaper)
class OptionsPaperAdmin(_TopicFiltered):
    list_display = ["id", "title", "topic", "document", "created_at"]
    inlines = [OptionInline]


@admin.register(OptionMark)
class OptionMarkAdmin(_TopicFiltered):
    topic_path = "option__paper__topic__"
    list_display = ["option", "state", "mark", "by", "at"]
    list_filter = ["mark", "state"]


@admin.register(Commitment)
class CommitmentAdmin(AccessFiltered, ReadOnlyAdmin):
    list_display = ["id", "title", "kind", "due", "target"]
    list_filter = ["kind"]

    def access_filter(self, request, queryset):
        return queryset.filter(pk__in=policy.commitments(request.user).values("pk"))


class _CommitmentFiltered(AccessFiltered, ReadOnlyAdmin):
    commitment_path = "commitment"

    def access_filter(self, request, queryset):
        visible = policy.commitments(request.user).values("pk")
        return queryset.filter(**{f"{self.commitment_path}__in": visible})


@admin.register(CommitmentReport)
class CommitmentReportAdmin(_CommitmentFiltered):
    list_display = ["commitment", "state", "year", "figure", "delivered", "at"]
    list_filter = ["state", "delivered"]


@admin.register(ReportReview)
class ReportReviewAdmin(_CommitmentFiltered):
    commitment_path = "report__commitment"
    list_display = ["report", "verdict", "by", "at"]


@admin.register(ReminderSent)
class ReminderSentAdmin(_CommitmentFiltered):
    list_display = ["commitment", "state", "lead", "sent_at"]
