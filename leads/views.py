from django.contrib import messages
from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.views.generic import (
    CreateView,
    DeleteView,
    DetailView,
    ListView,
    TemplateView,
    UpdateView,
)

from crm.db import count_of, sum_of
from crm.roles import Role, RoleRequiredMixin, is_manager
from leads import scoring, services
from leads.forms import ScoringRuleForm
from leads.models import Account, Lead, Opportunity, ProposalLine, ScoringRule

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
        context["submissions"] = lead.submissions.select_related("campaign")[:20]
        context["score_breakdown"] = scoring.breakdown(lead, scoring.active_rules())
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


# --- Scoring rules -----------------------------------------------------------------------------


class ScoringRuleListView(RoleRequiredMixin, ListView):
    roles = (Role.MARKETING,)
    model = ScoringRule
    paginate_by = 50


class _RescoreAfterChange:
    """Every change to the rules rescores all leads in the database and promotes the new
    leads that now meet the MQL definition."""

    roles = (Role.MARKETING,)
    success_url = reverse_lazy("leads:rule-list")
    done = "saved"

    def _rescore_and_report(self, rule_label: str):
        promoted = services.leads_rescore_all()
        extra = (
            f" {promoted} new lead{'s' if promoted != 1 else ''} became MQLs." if promoted else ""
        )
        messages.success(
            self.request, f"Rule {rule_label} {self.done}; every lead was rescored.{extra}"
        )


class ScoringRuleCreateView(_RescoreAfterChange, RoleRequiredMixin, CreateView):
    model = ScoringRule
    form_class = ScoringRuleForm
    done = "added"

    @transaction.atomic
    def form_valid(self, form):
        form.instance.created_by = self.request.user
        response = super().form_valid(form)
        self._rescore_and_report(f"“{self.object}”")
        return response


class ScoringRuleUpdateView(_RescoreAfterChange, RoleRequiredMixin, UpdateView):
    model = ScoringRule
    form_class = ScoringRuleForm

    @transaction.atomic
    def form_valid(self, form):
        response = super().form_valid(form)
        self._rescore_and_report(f"“{self.object}”")
        return response


class ScoringRuleDeleteView(_RescoreAfterChange, RoleRequiredMixin, DeleteView):
    model = ScoringRule
    done = "deleted"

    @transaction.atomic
    def form_valid(self, form):
        label = f"“{self.object}”"
        self.object.delete()
        self._rescore_and_report(label)
        return redirect(self.success_url)
