from django.contrib import admin

from crm.admin import ReadOnlyAdmin
from reports.models import Quota, ServiceLevelAgreement


@admin.register(ServiceLevelAgreement)
class ServiceLevelAgreementAdmin(ReadOnlyAdmin):
    """Versions are read here; a change is a new version made on the SLA page."""

    list_display = [
        "version",
        "effective_from",
        "created_by",
        "mql_target_per_month",
        "mql_min_score",
        "accept_within_hours",
        "assignment",
    ]
    list_filter = ["assignment", "effective_from"]
    search_fields = ["change_note"]


@admin.register(Quota)
class QuotaAdmin(admin.ModelAdmin):
    list_display = ["rep", "period", "period_start", "amount"]
    list_filter = ["period", "period_start"]
    search_fields = ["rep__username", "rep__first_name", "rep__last_name"]
    list_select_related = ["rep"]
    raw_id_fields = ["rep"]
