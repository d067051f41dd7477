"""Admin-style lists of what happened: every handoff event, every note and activity."""

from django.db.models import (
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.views.decorators.http import require_GET
from django_filters.views import FilterView

from crm.csvexport import stream_csv
from crm.db import BuiltOnce
from crm.listing import is_filtered
from crm.pagination import KeysetPaginationMixin
from crm.roles import Role, RoleRequiredMixin, has_role, role_required
from leads.filters import ActivityFilter, HandoffFilter
from leads.models import Activity, LeadTransition
from leads.rows import ACTIVITY_ROW_FIELDS, HANDOFF_ROW_FIELDS, activity_rows, handoff_rows


def _handoffs():
    previous = LeadTransition.objects.filter(lead=OuterRef("lead"), at__lt=OuterRef("at")).order_by(
        "-at", "-pk"
    )
    # How long the decision took: since the lead's previous stage change (or its capture).
    started = Coalesce(
        Subquery(previous.values("at")[:1], output_field=DateTimeField()), F("lead__created_at")
    )
    return LeadTransition.objects.select_related("lead__campaign", "actor").annotate(
        took=ExpressionWrapper(F("at") - started, output_field=DurationField())
    )


_HANDOFFS = BuiltOnce(_handoffs)


def handoffs_visible_to(user):
    """Marketing and managers audit every handoff; a rep sees their own and their leads'."""
    transitions = _HANDOFFS()
    if not has_role(user, Role.MARKETING):
        transitions = transitions.filter(Q(actor=user) | Q(lead__owner=user))
    return transitions


class HandoffListView(RoleRequiredMixin, KeysetPaginationMixin, FilterView):
    roles = (Role.MARKETING, Role.SALES)
    filterset_class = HandoffFilter
    paginate_by = 50
    template_name = "leads/handoff_list.html"
    row_fields = HANDOFF_ROW_FIELDS

    def get_queryset(self):
        return handoffs_visible_to(self.request.user).order_by("-at", "-pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["rows"] = handoff_rows(context["object_list"])
        context["export_query"] = self.request.GET.urlencode()
        context["filtered"] = is_filtered(self.request)
        return context


@role_required(Role.MARKETING, Role.SALES)
@require_GET
def handoff_export(request):
    transitions = HandoffFilter(
        request.GET, queryset=handoffs_visible_to(request.user).order_by("at", "pk")
    ).qs
    rows = (
        (
            t.at.isoformat(),
            t.event,
            t.lead.full_name,
            t.lead.email,
            t.lead.campaign.name if t.lead.campaign else "",
            t.lead.channel,
            t.actor_label,
            t.reason_label,
            t.detail,
            round(t.took.total_seconds() / 3600, 2) if t.took is not None else "",
        )
        for t in transitions.iterator(chunk_size=2000)
    )
    header = [
        "When",
        "Event",
        "Lead",
        "E-mail",
        "Campaign",
        "Channel",
        "By",
        "Reason",
        "Detail",
        "Hours it took",
    ]
    return stream_csv(f"handoffs-{timezone.localdate():%Y-%m-%d}.csv", header, rows)


class ActivityListView(RoleRequiredMixin, KeysetPaginationMixin, FilterView):
    roles = (Role.MARKETING, Role.SALES)
    filterset_class = ActivityFilter
    paginate_by = 50
    template_name = "leads/activity_list.html"
    row_fields = ACTIVITY_ROW_FIELDS

    def get_queryset(self):
        activities = Activity.objects.all()
        user = self.request.user
        if not has_role(user, Role.MARKETING):
            activities = activities.filter(
                Q(author=user) | Q(lead__owner=user) | Q(opportunity__owner=user)
            )
        return activities.order_by("-occurred_at", "-pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["rows"] = activity_rows(context["object_list"])
        return context
