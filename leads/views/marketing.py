"""Marketing's lead pages: all leads, export, create and edit, send to sales, nurture, scoring."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import (
    CreateView,
    DeleteView,
    ListView,
    UpdateView,
)
from django_filters.views import FilterView

from crm.csvexport import stream_csv
from crm.db import BuiltOnce, UtcText
from crm.errors import TransitionError
from crm.listing import FilteredListMixin
from crm.pagination import KeysetPaginationMixin
from crm.roles import Role, RoleRequiredMixin, role_required
from leads import services
from leads.filters import LeadFilter, NurtureFilter
from leads.forms import (
    LeadForm,
    ScoringRuleForm,
    SendToSalesForm,
)
from leads.models import (
    Lead,
    LeadTransition,
    ScoringRule,
)
from leads.rows import LEAD_ROW_FIELDS, NURTURE_ROW_FIELDS, lead_rows, nurture_rows
from leads.views.common import apply_to_each, back_to, ticked_ids

# --- Marketing's lead pages ----------------------------------------------------------------------


class LeadListView(RoleRequiredMixin, FilteredListMixin, KeysetPaginationMixin, FilterView):
    """Every lead, for marketing: filters, search, sorting, bulk send to sales, CSV export.
    Paged by cursor: a million leads page as fast at the end as at the start."""

    roles = (Role.MARKETING,)
    filterset_class = LeadFilter
    paginate_by = 50
    template_name = "leads/lead_list.html"

    row_fields = LEAD_ROW_FIELDS  # the page is read as values, not model instances

    def get_queryset(self):
        return Lead.objects.order_by("-created_at", "-pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["export_query"] = self.request.GET.urlencode()
        context["rows"] = lead_rows(context["object_list"])
        return context


EXPORT_COLUMNS = [
    ("id", "Id"),
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("email", "E-mail"),
    ("phone", "Phone"),
    ("company", "Company"),
    ("job_title", "Job title"),
    ("industry", "Industry"),
    ("company_size", "Company size"),
    ("country", "Country"),
    ("campaign__name", "Campaign"),
    ("channel", "Channel"),
    ("score", "Score"),
    ("stage", "Stage"),
    ("owner__username", "Owner"),
    ("external_id", "External id"),
    (UtcText("created_at"), "Created (UTC)"),
    (UtcText("mql_at"), "Became MQL (UTC)"),
]


@role_required(Role.MARKETING)
@require_GET
def lead_export(request):
    """The filtered lead list as CSV, streamed row by row in constant memory."""
    leads = LeadFilter(request.GET, queryset=Lead.objects.order_by("pk")).qs
    rows = leads.values_list(*(column for column, _ in EXPORT_COLUMNS)).iterator(chunk_size=2000)
    return stream_csv(
        f"leads-{timezone.localdate():%Y-%m-%d}.csv", [label for _, label in EXPORT_COLUMNS], rows
    )


class LeadCreateView(RoleRequiredMixin, CreateView):
    roles = (Role.MARKETING,)
    model = Lead
    form_class = LeadForm

    @transaction.atomic
    def form_valid(self, form):
        self.object = form.save()
        lead = services.lead_rescore(lead=self.object)
        promoted = " It meets the MQL definition and went to sales." if lead.stage == "mql" else ""
        messages.success(self.request, f"Lead {lead} created with score {lead.score}.{promoted}")
        return redirect(lead)


class LeadUpdateView(RoleRequiredMixin, UpdateView):
    roles = (Role.MARKETING, Role.SALES)
    form_class = LeadForm

    def get_queryset(self):
        return Lead.objects.visible_to(self.request.user)

    def get_object(self, queryset=None):
        lead = super().get_object(queryset)
        if not lead.can_be_edited_by(self.request.user):
            raise PermissionDenied("You may read this lead but not edit it.")
        return lead

    @transaction.atomic
    def form_valid(self, form):
        self.object = form.save()
        lead = services.lead_rescore(lead=self.object)
        messages.success(self.request, f"Lead {lead} saved; its score is {lead.score}.")
        return redirect(lead)


@role_required(Role.MARKETING)
@require_POST
def lead_send(request, pk):
    lead = get_object_or_404(Lead.objects.visible_to(request.user), pk=pk)
    form = SendToSalesForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The justification is too long (2,000 characters at most).")
        return redirect(lead)
    try:
        services.lead_send_to_sales(
            lead=lead, by=request.user, justification=form.cleaned_data["justification"]
        )
    except TransitionError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, f"{lead} was sent to sales as an MQL.")
    return redirect(back_to(request, lead))


@role_required(Role.MARKETING)
@require_POST
def lead_bulk_send(request):
    """Send the ticked leads to sales; those short of the MQL definition need one by one."""
    ids = ticked_ids(request, limit=200)
    if not ids:
        messages.error(request, "Tick the leads to send first.")
    apply_to_each(
        request,
        Lead.objects.visible_to(request.user).filter(pk__in=ids).order_by("pk"),
        lambda lead: services.lead_send_to_sales(lead=lead, by=request.user),
        done="Sent {count} lead{s} to sales.",
        refused_word="not sent",
    )
    return redirect(back_to(request, "leads:lead-list"))


def _in_nurture():
    """Leads in nurture with who sent each back and why (their last return), newest first."""
    last_return = LeadTransition.objects.filter(
        lead=OuterRef("pk"), to_stage=Lead.Stage.RECYCLED
    ).order_by("-at", "-pk")
    return (
        Lead.objects.in_nurture()
        .annotate(
            returned_detail=Subquery(last_return.values("detail")[:1]),
            returned_by=Subquery(last_return.values("actor__username")[:1]),
        )
        .order_by("-stage_changed_at", "-pk")
    )


_IN_NURTURE = BuiltOnce(_in_nurture)


class NurtureView(RoleRequiredMixin, KeysetPaginationMixin, FilterView):
    """Leads sales sent back, with why and when, ready to be re-sent."""

    roles = (Role.MARKETING,)
    filterset_class = NurtureFilter
    paginate_by = 50
    template_name = "leads/nurture.html"
    row_fields = NURTURE_ROW_FIELDS

    def get_queryset(self):
        return _IN_NURTURE()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["rows"] = nurture_rows(
            context["object_list"],
            csrf_token=get_token(self.request),
            here=self.request.get_full_path(),
        )
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
