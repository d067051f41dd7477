from django.db.models import Count
from django.views.generic import DetailView, ListView

from campaigns.models import Campaign, SpendEntry
from crm.db import count_of, sum_of
from crm.roles import Role, RoleRequiredMixin
from leads.models import Lead


class CampaignListView(RoleRequiredMixin, ListView):
    roles = (Role.MARKETING,)
    paginate_by = 25

    def get_queryset(self):
        return (
            Campaign.objects.visible_to(self.request.user)
            .select_related("owner")
            .annotate(
                spend=sum_of(SpendEntry.objects.all(), "amount", "campaign"),
                lead_count=count_of(Lead.objects.all(), "campaign"),
            )
            .order_by("-start_date", "name")
        )


class CampaignDetailView(RoleRequiredMixin, DetailView):
    roles = (Role.MARKETING, Role.SALES)

    def get_queryset(self):
        return (
            Campaign.objects.visible_to(self.request.user)
            .select_related("owner")
            .annotate(spend=sum_of(SpendEntry.objects.all(), "amount", "campaign"))
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        campaign = self.object
        by_stage = dict(
            campaign.leads.order_by()
            .values_list("stage")
            .annotate(n=Count("*"))
            .values_list("stage", "n")
        )
        context["leads_by_stage"] = [
            (label, by_stage.get(value, 0)) for value, label in Lead.Stage.choices
        ]
        context["lead_total"] = sum(by_stage.values())
        context["spend_entries"] = campaign.spend_entries.all()[:20]
        return context
