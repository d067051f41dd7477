from django.contrib import admin

from campaigns.models import Campaign, CampaignTally, SpendEntry
from crm.admin import ReadOnlyAdmin


class SpendEntryInline(admin.TabularInline):
    model = SpendEntry
    extra = 0
    fields = ["date", "amount", "note", "created_by"]
    raw_id_fields = ["created_by"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "channel",
        "objective",
        "status",
        "start_date",
        "end_date",
        "budget",
        "owner",
    ]
    list_filter = ["status", "channel", "objective", "start_date"]
    search_fields = ["name", "slug", "target_segment"]
    prepopulated_fields = {"slug": ["name"]}
    raw_id_fields = ["owner"]
    date_hierarchy = "start_date"
    inlines = [SpendEntryInline]


@admin.register(SpendEntry)
class SpendEntryAdmin(admin.ModelAdmin):
    list_display = ["campaign", "date", "amount", "note"]
    list_filter = ["date", "campaign__channel"]
    search_fields = ["campaign__name", "note"]
    list_select_related = ["campaign"]
    raw_id_fields = ["campaign", "created_by"]
    date_hierarchy = "date"


@admin.register(CampaignTally)
class CampaignTallyAdmin(ReadOnlyAdmin):
    """The database's triggers keep these counts (migration campaigns 0003)."""

    list_display = ["campaign", "leads", "mqls"]
    search_fields = ["campaign__name"]
    list_select_related = ["campaign"]
