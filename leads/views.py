from django.db.models import Prefetch
from django.views.generic import DetailView, TemplateView

from crm.db import count_of, sum_of
from crm.roles import Role, RoleRequiredMixin, is_manager
from leads.models import Account, Lead, Opportunity, ProposalLine

INBOX_SECTION_SIZE = 25


class InboxView(RoleRequiredMixin, TemplateView):
    """The rep's home: MQLs waiting for a decision, accepted leads to qualify, the open queue.
    A manager sees every rep's."""

    roles = (Role.SALES,)
    template_name = "leads/inbox.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        leads = Lead.objects.select_related("campaign", "owner")
        mine = leads.filter(owner__isnull=False) if is_manager(user) else leads.owned_by(user)
        sections = [
            ("to-accept", "New MQLs to accept or reject", mine.awaiting_acceptance()),
            ("to-qualify", "Accepted — to qualify", mine.filter(stage=Lead.Stage.SAL)),
            ("queue", "Unassigned queue", leads.awaiting_acceptance().unassigned()),
        ]
        context = super().get_context_data(**kwargs)
        context["sections"] = [
            {
                "key": key,
                "title": title,
                "count": queryset.count(),
                "leads": list(queryset.order_by("mql_at", "pk")[:INBOX_SECTION_SIZE]),
            }
            for key, title, queryset in sections
        ]
        context["show_owner"] = is_manager(user)
        return context


class LeadDetailView(RoleRequiredMixin, DetailView):
    roles = (Role.MARKETING, Role.SALES)

    def get_queryset(self):
        return Lead.objects.visible_to(self.request.user).select_related(
            "campaign", "owner", "account", "opportunity"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        lead = self.object
        context["transitions"] = lead.transitions.select_related("actor", "sla")
        context["activities"] = lead.activities.select_related("author")[:50]
        return context


class OpportunityDetailView(RoleRequiredMixin, DetailView):
    roles = (Role.MARKETING, Role.SALES)

    def get_queryset(self):
        return Opportunity.objects.visible_to(self.request.user).select_related(
            "account", "owner", "lead__campaign"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        opportunity = self.object
        context["stage_changes"] = opportunity.stage_changes.select_related("actor")
        context["proposals"] = opportunity.proposals.select_related("author").prefetch_related(
            Prefetch("lines", queryset=ProposalLine.objects.order_by("position", "pk"))
        )
        context["activities"] = opportunity.activities.select_related("author")[:50]
        return context


class AccountDetailView(RoleRequiredMixin, DetailView):
    roles = (Role.MARKETING, Role.SALES)

    def get_queryset(self):
        won = Opportunity.objects.won()
        return (
            Account.objects.visible_to(self.request.user)
            .select_related("owner")
            .annotate(
                won_revenue=sum_of(won, "amount", "account"),
                open_pipeline=sum_of(Opportunity.objects.open(), "amount", "account"),
                deal_count=count_of(Opportunity.objects.all(), "account"),
            )
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        account = self.object
        context["opportunities"] = (
            Opportunity.objects.visible_to(self.request.user)
            .filter(account=account)
            .select_related("owner")[:50]
        )
        context["contacts"] = Lead.objects.visible_to(self.request.user).filter(account=account)[
            :50
        ]
        return context
