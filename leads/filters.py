import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from campaigns.models import Campaign, Channel
from crm.roles import Role
from leads.models import DisqualifyReason, Lead, RejectReason

DATE = forms.DateInput(attrs={"type": "date"})
# Why sales sent a lead back: rejected MQLs and recycled SALs or SQLs.
RECYCLE_REASONS = sorted(
    {**dict(RejectReason.choices), **dict(DisqualifyReason.choices)}.items(), key=lambda c: c[1]
)


def sales_reps():
    return (
        get_user_model()
        .objects.filter(groups__name=Role.SALES, is_active=True)
        .order_by("first_name", "last_name", "username")
    )


class LeadFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search name, e-mail or company")
    stage = django_filters.ChoiceFilter(choices=Lead.Stage.choices, empty_label="Any stage")
    campaign = django_filters.ModelChoiceFilter(
        queryset=lambda request: Campaign.objects.order_by("name"), empty_label="Any campaign"
    )
    channel = django_filters.ChoiceFilter(choices=Channel.choices, empty_label="Any channel")
    score_min = django_filters.NumberFilter(
        field_name="score", lookup_expr="gte", label="Score at least"
    )
    score_max = django_filters.NumberFilter(
        field_name="score", lookup_expr="lte", label="Score at most"
    )
    created_after = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label="Created on or after", widget=DATE
    )
    created_before = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label="Created on or before", widget=DATE
    )
    owner = django_filters.ModelChoiceFilter(
        queryset=lambda request: sales_reps(), empty_label="Any owner"
    )
    country = django_filters.CharFilter(lookup_expr="iexact")
    ordering = django_filters.OrderingFilter(
        fields=[
            ("last_name", "name"),
            ("company", "company"),
            ("score", "score"),
            ("stage", "stage"),
            ("created_at", "created"),
        ],
        widget=forms.HiddenInput,
    )

    class Meta:
        model = Lead
        fields = []

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(first_name__icontains=value)
            | Q(last_name__icontains=value)
            | Q(email__icontains=value)
            | Q(company__icontains=value)
        )


class NurtureFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search name, e-mail or company")
    reason = django_filters.ChoiceFilter(
        field_name="stage_reason", choices=lambda: RECYCLE_REASONS, empty_label="Any reason"
    )
    campaign = django_filters.ModelChoiceFilter(
        queryset=lambda request: Campaign.objects.order_by("name"), empty_label="Any campaign"
    )

    class Meta:
        model = Lead
        fields = []

    search = LeadFilter.search


class InboxFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search name, e-mail or company")
    campaign = django_filters.ModelChoiceFilter(
        queryset=lambda request: Campaign.objects.order_by("name"), empty_label="Any campaign"
    )
    channel = django_filters.ChoiceFilter(choices=Channel.choices, empty_label="Any channel")
    score_min = django_filters.NumberFilter(
        field_name="score", lookup_expr="gte", label="Score at least"
    )
    score_max = django_filters.NumberFilter(
        field_name="score", lookup_expr="lte", label="Score at most"
    )
    created_after = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label="Created on or after", widget=DATE
    )
    created_before = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label="Created on or before", widget=DATE
    )
    overdue = django_filters.BooleanFilter(
        method="only_overdue", label="Overdue only", widget=forms.CheckboxInput
    )
    rep = django_filters.ModelChoiceFilter(
        field_name="owner", queryset=lambda request: sales_reps(), empty_label="Every rep"
    )

    class Meta:
        model = Lead
        fields = []

    search = LeadFilter.search

    def __init__(self, *args, manager: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not manager:
            del self.filters["rep"]

    def only_overdue(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(stage=Lead.Stage.MQL, response_due_at__lt=timezone.now())
