"""Proposals: the list every manager reads, writing and revising a proposal with its lines, the
customer's answer, and the printable document."""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, Prefetch, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.views.generic import DetailView
from django_filters.views import FilterView

from crm.audit import HistoryMixin
from crm.db import Compiled, overall
from crm.errors import TransitionError
from crm.listing import FilteredListMixin
from crm.pagination import IdsFirstMixin
from crm.roles import Role, RoleRequiredMixin, role_required
from leads import services
from leads.filters import ProposalFilter
from leads.forms import ProposalForm, ProposalLineFormSet
from leads.models import MONEY, Opportunity, Proposal, ProposalLine
from leads.models.deals import visible_owner
from leads.rows import PROPOSAL_ROW_FIELDS, proposal_rows

DEFAULT_TERMS = "Payment within 30 days of invoice. Prices exclude travel."


PROPOSAL_TOTALS = {"count": Count("*"), "total": Coalesce(Sum("total"), 0, output_field=MONEY)}


def _owners(owner):
    # As Proposal.objects.visible_to(a rep) reads them.
    return Proposal.objects.filter(opportunity__in=Opportunity.objects.filter(owner_id=owner))


def _awaiting_parts(proposals, today):
    """What `awaiting_answer()` reads, as its two parts: the drafts, and the sent proposals
    still valid. Each is one range of the covering (status, valid until, total) index; as
    one OR, PostgreSQL read both ranges' rows from the table (5,300 at a million leads: the
    totals took 5 ms, now 1.7 ms) and sorted them all for the first page (7 ms, now 0.9)."""
    return [
        proposals.filter(status=Proposal.Status.DRAFT),
        proposals.filter(status=Proposal.Status.SENT, valid_until__gte=today),
    ]


def _open_totals(proposals, today):
    """The count and total of each part, one row each (`overall`), put together by UNION ALL."""
    drafts, sent = (overall(part, **PROPOSAL_TOTALS) for part in _awaiting_parts(proposals, today))
    return drafts.union(sent, all=True)


def _first_open(proposals, today):
    """The first page of proposals awaiting an answer: each part's first ids, read in order
    from the index (the LIMIT inside each part, where SQLite allows it), then the page's rows
    from those (as IdsFirstPaginator reads any page)."""
    size = ProposalListView.paginate_by
    first, *others = (
        Proposal.objects.filter(pk__in=part.order_by("valid_until", "pk").values("pk")[:size])
        .order_by()
        .values("pk")
        for part in _awaiting_parts(proposals, today)
    )
    return (
        Proposal.objects.filter(pk__in=first.union(*others, all=True))
        .with_state(today)
        .order_by("valid_until", "pk")
        .values_list(*PROPOSAL_ROW_FIELDS, named=True)[:size]
    )


# The bare list's totals and first page, everyone's or a rep's, compiled once
# (crm.db.Compiled).
_OPEN_TOTALS = Compiled(lambda today: _open_totals(Proposal.objects.all(), today), dt.date)
_OWNERS_OPEN_TOTALS = Compiled(
    lambda owner, today: _open_totals(_owners(owner), today), int, dt.date
)
_FIRST_OPEN = Compiled(lambda today: _first_open(Proposal.objects.all(), today), dt.date)
_OWNERS_FIRST_OPEN = Compiled(lambda owner, today: _first_open(_owners(owner), today), int, dt.date)


class ProposalListView(RoleRequiredMixin, FilteredListMixin, IdsFirstMixin, FilterView):
    """Every proposal a user may read, with filters and the count and total of those shown."""

    roles = (Role.MARKETING, Role.SALES)
    always_bound = True  # drafts and proposals awaiting an answer unless told otherwise
    filters_by_owner = True
    filterset_class = ProposalFilter
    paginate_by = 50
    template_name = "leads/proposal_list.html"

    def get_queryset(self):
        return (
            Proposal.objects.visible_to(self.request.user)
            .with_state()
            .order_by("valid_until", "pk")
        )

    def page_rows(self, ids):
        return (
            Proposal.objects.filter(pk__in=ids)
            .with_state()
            .values_list(*PROPOSAL_ROW_FIELDS, named=True)
        )

    def list_totals(self, queryset):
        return queryset.aggregate(**PROPOSAL_TOTALS)

    def bare_visit(self):
        # Drafts and proposals awaiting an answer, of the deals the user reads.
        owner, today = visible_owner(self.request.user), timezone.localdate()
        if owner == 0:
            return None
        if owner is None:
            parts, rows = _OPEN_TOTALS(today), _FIRST_OPEN(today)
        else:
            parts, rows = _OWNERS_OPEN_TOTALS(owner, today), _OWNERS_FIRST_OPEN(owner, today)
        totals = {name: sum(part[name] for part in parts) for name in PROPOSAL_TOTALS}
        return totals, rows

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["showing_open"] = not self.request.GET.get("state")
        context["rows"] = proposal_rows(context["object_list"])
        return context


def _lines_initial(proposal: Proposal | None) -> list[dict]:
    if proposal is None:
        return []
    return [
        {
            "description": line.description,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "discount_percent": line.discount_percent,
        }
        for line in proposal.lines.all()
    ]


def _editor(request, *, opportunity: Opportunity, proposal: Proposal | None):
    """The proposal editor for a new draft (`proposal` None) or an existing one."""
    if not opportunity.is_sales_actor(request.user):
        raise Http404("Not your deal.")
    if request.method == "POST":
        form = ProposalForm(request.POST, instance=proposal)
        lines = ProposalLineFormSet(request.POST, prefix="lines")
        if form.is_valid() and lines.is_valid():
            data = form.cleaned_data | {"lines": lines.lines()}
            try:
                if proposal is None:
                    proposal = services.proposal_create(
                        opportunity=opportunity, by=request.user, **data
                    )
                    messages.success(request, f"{proposal} is saved as a draft.")
                else:
                    services.proposal_update(proposal=proposal, by=request.user, **data)
                    messages.success(request, f"{proposal} is saved.")
                return redirect(proposal)
            except TransitionError as e:
                form.add_error(None, str(e))
        else:
            messages.error(request, "Nothing was saved: correct the highlighted fields.")
        status = 400
    else:
        if proposal is None:
            previous = opportunity.proposals.order_by("-version").first()
            form = ProposalForm(
                initial={
                    "title": f"Proposal for {opportunity.account}",
                    "valid_until": timezone.localdate() + dt.timedelta(days=30),
                    "tax_rate": previous.tax_rate if previous else 0,
                    "terms": previous.terms if previous else DEFAULT_TERMS,
                }
            )
        else:
            form = ProposalForm(instance=proposal)
        lines = ProposalLineFormSet(initial=_lines_initial(proposal), prefix="lines")
        if proposal is None:
            lines.extra = 3
        status = 200
    context = {
        "form": form,
        "lines": lines,
        "opportunity": opportunity,
        "proposal": proposal,
        "currency": settings.HANDOFF_CURRENCY,
    }
    return render(request, "leads/proposal_form.html", context, status=status)


@role_required(Role.SALES)
def proposal_create(request, pk):
    opportunity = get_object_or_404(
        Opportunity.objects.visible_to(request.user).select_related("account"), pk=pk
    )
    draft = opportunity.proposals.filter(status=Proposal.Status.DRAFT).first()
    if draft is not None:
        messages.info(request, f"Version {draft.version} is still a draft: edit it.")
        return redirect("leads:proposal-update", pk=draft.pk)
    if not opportunity.is_open:
        messages.error(request, f"{opportunity} is closed: a manager reopens it first.")
        return redirect(opportunity)
    return _editor(request, opportunity=opportunity, proposal=None)


@role_required(Role.SALES)
def proposal_update(request, pk):
    proposal = get_object_or_404(
        Proposal.objects.visible_to(request.user).select_related("opportunity__account"), pk=pk
    )
    if not proposal.is_editable:
        messages.error(
            request, f"{proposal} is {proposal.get_state_display().lower()}: revise it instead."
        )
        return redirect(proposal)
    return _editor(request, opportunity=proposal.opportunity, proposal=proposal)


class ProposalDetailView(RoleRequiredMixin, HistoryMixin, DetailView):
    """The proposal as the customer reads it, with its versions and what can be done next."""

    roles = (Role.MARKETING, Role.SALES)
    template_name = "leads/proposal_detail.html"

    def get_queryset(self):
        return (
            Proposal.objects.visible_to(self.request.user)
            .with_state()
            .select_related("opportunity__account", "opportunity__owner", "author")
            .prefetch_related(
                Prefetch("lines", queryset=ProposalLine.objects.order_by("position", "pk"))
            )
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        proposal = self.object
        versions = list(
            proposal.opportunity.proposals.with_state().only(
                "pk", "version", "status", "valid_until", "total", "opportunity_id"
            )
        )
        newest = versions[0] if versions else proposal
        acts = proposal.opportunity.is_sales_actor(self.request.user)
        state = proposal.state
        context |= {
            "versions": versions,
            "company": _company(),
            "can_edit": acts and proposal.is_editable,
            "can_send": acts and proposal.is_editable,
            "can_answer": acts and state == Proposal.Status.SENT,
            "can_decline": acts and proposal.status == Proposal.Status.SENT,
            "can_revise": acts
            and newest.pk == proposal.pk
            and proposal.status
            in {Proposal.Status.SENT, Proposal.Status.DECLINED, Proposal.Status.EXPIRED}
            and proposal.opportunity.is_open,
        }
        return context


class ProposalPrintView(ProposalDetailView):
    """The document alone, for the browser's “Save as PDF”."""

    template_name = "leads/proposal_print.html"


def _company() -> dict:
    return {
        "name": settings.HANDOFF_COMPANY_NAME,
        "address": settings.HANDOFF_COMPANY_ADDRESS,
        "email": settings.HANDOFF_COMPANY_EMAIL,
        "currency": settings.HANDOFF_CURRENCY,
    }


PROPOSAL_ACTIONS = {
    "send": (services.proposal_send, "{proposal} is sent."),
    "accept": (services.proposal_accept, "{proposal} is accepted. Close the deal as won?"),
    "decline": (services.proposal_decline, "{proposal} is declined."),
    "revise": (services.proposal_revise, "{proposal} is a new draft: change what you need."),
}


@role_required(Role.SALES)
@require_POST
def proposal_action(request, pk, action):
    """Send, accept, decline or revise one proposal through its service."""
    if action not in PROPOSAL_ACTIONS:
        raise Http404("No such action.")
    proposal = get_object_or_404(
        Proposal.objects.visible_to(request.user).select_related("opportunity"), pk=pk
    )
    run, done = PROPOSAL_ACTIONS[action]
    try:
        outcome = run(proposal=proposal, by=request.user)
    except TransitionError as e:
        messages.error(request, str(e))
        return redirect(proposal)
    messages.success(request, done.format(proposal=outcome))
    if action == "revise":
        return redirect("leads:proposal-update", pk=outcome.pk)
    if action == "accept":
        # Offer the next step: the deal page opens on its close-won form.
        return redirect(
            reverse("leads:opportunity-detail", args=[proposal.opportunity_id])
            + "?action=won#actions"
        )
    return redirect(outcome)
