from decimal import Decimal

from django.contrib import messages
from django.contrib.messages.views import SuccessMessageMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST
from django.views.generic import CreateView, DetailView, UpdateView
from django_filters.views import FilterView

from campaigns.filters import CampaignFilter
from campaigns.forms import CampaignForm, SpendEntryForm
from campaigns.models import Campaign, SpendEntry
from campaigns.rows import (
    RECENT_LEAD_FIELDS,
    SPEND_ENTRY_FIELDS,
    campaign_rows,
    recent_lead_rows,
    spend_rows,
)
from crm.audit import HistoryMixin
from crm.db import BuiltOnce, Compiled, overall, sum_of
from crm.listing import is_filtered
from crm.pagination import CountedByTotalsMixin
from crm.roles import Role, RoleRequiredMixin, role_required
from leads.models import Lead
from reports.metrics import MONEY, campaign_figures

_CAMPAIGNS_WITH_FIGURES = BuiltOnce(
    lambda: (
        Campaign.objects.select_related("owner")
        .annotate(
            spend=sum_of(SpendEntry.objects.all(), "amount", "campaign"),
            # Kept by triggers on the lead table (CampaignTally): no counting here.
            lead_count=Coalesce(F("tally__leads"), 0),
            mql_count=Coalesce(F("tally__mqls"), 0),
        )
        .order_by("-start_date", "name")
    )
)


# The bare list's totals and first page, compiled once (crm.db.Compiled).
_ALL_CAMPAIGNS_TOTALS = Compiled(
    lambda: overall(
        Campaign.objects.all(),
        count=Count("pk"),
        budget=Sum("budget"),
        leads=Sum("tally__leads"),
        mqls=Sum("tally__mqls"),
    )
)
_ALL_SPEND = Compiled(lambda: overall(SpendEntry.objects.all(), spend=Sum("amount")))
_FIRST_CAMPAIGNS = Compiled(lambda: _CAMPAIGNS_WITH_FIGURES()[: CampaignListView.paginate_by])


class CampaignListView(RoleRequiredMixin, CountedByTotalsMixin, FilterView):
    roles = (Role.MARKETING,)
    filterset_class = CampaignFilter
    paginate_by = 25
    template_name = "campaigns/campaign_list.html"

    def get_queryset(self):
        return _CAMPAIGNS_WITH_FIGURES().visible_to(self.request.user)

    def list_totals(self, queryset):
        # Over the list's own rows, which carry their tallies. (Not their spend: Django 5.2
        # leaves a subquery annotation out of the aggregate's inner query, and sums nothing.)
        totals = queryset.aggregate(
            count=Count("pk"),
            budget=Coalesce(Sum("budget"), Decimal("0"), output_field=MONEY),
            leads=Coalesce(Sum("lead_count"), 0),
            mqls=Coalesce(Sum("mql_count"), 0),
        )
        return totals | SpendEntry.objects.filter(campaign__in=queryset.values("pk")).aggregate(
            spend=Coalesce(Sum("amount"), Decimal("0"), output_field=MONEY)
        )

    def bare_visit(self):
        # Every campaign: what the marketers who may open the list read.
        (totals,) = _ALL_CAMPAIGNS_TOTALS()
        (spend,) = _ALL_SPEND()
        zero = Decimal("0.00")
        return {
            "count": totals["count"],
            "budget": totals["budget"] or zero,
            "leads": totals["leads"] or 0,
            "mqls": totals["mqls"] or 0,
            "spend": spend["spend"] or zero,
        }, _FIRST_CAMPAIGNS()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filtered"] = is_filtered(self.request)
        context["rows"] = campaign_rows(context["object_list"])
        return context


class CampaignCreateView(RoleRequiredMixin, SuccessMessageMixin, CreateView):
    roles = (Role.MARKETING,)
    model = Campaign
    form_class = CampaignForm
    success_message = "Campaign “%(name)s” created."

    def get_initial(self):
        return {"owner": self.request.user, "status": Campaign.Status.PLANNED}


class CampaignUpdateView(RoleRequiredMixin, SuccessMessageMixin, UpdateView):
    roles = (Role.MARKETING,)
    model = Campaign
    form_class = CampaignForm
    success_message = "Campaign “%(name)s” saved."

    def get_queryset(self):
        return Campaign.objects.visible_to(self.request.user)

    def get_object(self, queryset=None):
        campaign = super().get_object(queryset)
        # The name and address as saved: a form sent back with errors has already written its
        # values (an empty slug, say) onto the object, and the page's links must not use them.
        self.saved = {"name": campaign.name, "url": campaign.get_absolute_url()}
        return campaign

    def get_context_data(self, **kwargs):
        return super().get_context_data(saved=self.saved, **kwargs)


# A campaign page's reads, compiled once (crm.db.Compiled).
_CAMPAIGN = Compiled(lambda slug: Campaign.objects.filter(slug=slug).select_related("owner"), str)
_SPEND_ENTRIES = Compiled(
    lambda campaign: SpendEntry.objects.filter(campaign_id=campaign).values_list(
        *SPEND_ENTRY_FIELDS, named=True
    )[:20],
    int,
)
_RECENT_LEADS = Compiled(
    lambda campaign: (
        Lead.objects.filter(campaign_id=campaign)
        .order_by("-created_at", "-pk")
        .values_list(*RECENT_LEAD_FIELDS, named=True)[:20]
    ),
    int,
)


class CampaignDetailView(RoleRequiredMixin, HistoryMixin, DetailView):
    """The campaign's figures for everyone; marketers also record spend here (POST)."""

    roles = (Role.MARKETING, Role.SALES)

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        if not self.object.can_be_edited_by(request.user):
            raise PermissionDenied("Only marketing records campaign spend.")
        form = SpendEntryForm(request.POST)
        if not form.is_valid():
            messages.error(request, "The spend was not recorded: correct the fields below.")
            context = self.get_context_data(object=self.object, spend_form=form)
            return self.render_to_response(context, status=400)
        entry = form.save(commit=False)
        entry.campaign, entry.created_by = self.object, request.user
        entry.save()
        messages.success(request, f"Recorded {entry.amount} of spend on {entry.date:%d %b %Y}.")
        return redirect(self.object)

    def get_queryset(self):
        return Campaign.objects.visible_to(self.request.user).select_related("owner")

    def get_object(self, queryset=None):
        """The campaign, as `get_queryset` would find it (every role that may open the page
        reads every campaign), read by a compiled query."""
        found = _CAMPAIGN(self.kwargs["slug"])
        if not found:
            raise Http404("No campaign here.")
        return found[0]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        campaign = self.object
        figures = campaign_figures(campaign)
        spend = figures[0].value
        context.update(
            figures=figures,
            spend=spend,
            budget_used=min(100, round(spend / campaign.budget * 100)) if campaign.budget else None,
            over_budget=spend > campaign.budget,
            spend_entries=_SPEND_ENTRIES(campaign.pk),
            recent_leads=_RECENT_LEADS(campaign.pk),
            can_edit=campaign.can_be_edited_by(self.request.user),
        )
        context["spend_rows"] = spend_rows(context["spend_entries"])
        context["recent_lead_rows"] = recent_lead_rows(context["recent_leads"])
        context.setdefault("spend_form", SpendEntryForm())
        return context


@role_required(Role.MARKETING)
@require_POST
def campaign_complete(request, slug):
    campaign = get_object_or_404(Campaign.objects.visible_to(request.user), slug=slug)
    updated = (
        Campaign.objects.filter(pk=campaign.pk)
        .exclude(status=Campaign.Status.COMPLETED)
        .update(status=Campaign.Status.COMPLETED)
    )
    if updated:
        messages.success(
            request, f"“{campaign}” is archived as completed; its public form now says closed."
        )
    else:
        messages.error(request, f"“{campaign}” is already completed.")
    return redirect(campaign)
