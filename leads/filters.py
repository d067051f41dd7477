import datetime as dt

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from campaigns.models import Campaign, Channel
from crm.db import Prepared
from crm.listing import FilterSet, PeopleChoices
from crm.validators import as_id
from crm.widgets import DateInput
from leads import search
from leads.assignment import active_reps
from leads.models import (
    REASON_LABELS,
    Account,
    Activity,
    CompanySize,
    DisqualifyReason,
    Lead,
    LeadTransition,
    Opportunity,
    Proposal,
    RejectReason,
)
from leads.models.deals import visible_owner

DATE = DateInput()
# Why sales sent a lead back: rejected MQLs and recycled SALs or SQLs.
RECYCLE_REASONS = sorted(
    {**dict(RejectReason.choices), **dict(DisqualifyReason.choices)}.items(), key=lambda c: c[1]
)


class SearchMixin:
    """The `q` filter of a list. Lists of leads, or of rows that belong to a lead, set
    `searches_lead` (the path to the lead) and search the lead index (leads/search.py); the
    others set `search_fields` and keep the rows where one of them contains the text."""

    search_fields: tuple[str, ...] = ()
    searches_lead: str | None = None

    def search(self, queryset, name, value):
        if self.searches_lead is not None:
            return search.matching(queryset, value, lead=self.searches_lead)
        value = value.strip()
        if not value:
            return queryset
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": value})
        return queryset.filter(condition)


# Every campaign's (id, name), by name: the query is compiled once (crm.db.Prepared).
_CAMPAIGNS = Prepared(lambda: Campaign.objects.choices().values_list("pk", "name"))


def campaign_choices():
    """(id, name) of every campaign, for a filter's drop-down."""
    return _CAMPAIGNS.rows()


def sales_reps():
    return active_reps().order_by("first_name", "last_name", "username")


# (id, name) of every active sales rep, for a filter's drop-down.
rep_choices = PeopleChoices(sales_reps)


class LeadAttributesFilter(SearchMixin, FilterSet):
    """The filters every list of leads offers: search, source, score and capture date."""

    q = django_filters.CharFilter(method="search", label="Search name, e-mail or company")
    campaign = django_filters.ChoiceFilter(choices=campaign_choices, empty_label="Any campaign")
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

    class Meta:
        model = Lead
        fields = []

    searches_lead = ""


class LeadFilter(LeadAttributesFilter):
    stage = django_filters.ChoiceFilter(choices=Lead.Stage.choices, empty_label="Any stage")
    owner = django_filters.ChoiceFilter(choices=rep_choices, empty_label="Any owner")
    country = django_filters.CharFilter(lookup_expr="iexact")
    ordering = django_filters.OrderingFilter(
        fields=[
            # Each order has an index to walk (a million leads sort in no time otherwise).
            ("last_name", "name"),
            ("company", "company"),
            ("score", "score"),
            ("created_at", "created"),
        ],
        widget=forms.HiddenInput,
    )

    def search(self, queryset, name, value):
        if not search.words_of(value):
            return queryset
        # Matches come newest-added first (a chosen order still applies): the index gives ids,
        # and sorting tens of thousands of "smith"s by creation date took 0.1–0.3 s.
        return super().search(queryset, name, value).order_by("-pk")


class NurtureFilter(SearchMixin, FilterSet):
    q = django_filters.CharFilter(method="search", label="Search name, e-mail or company")
    reason = django_filters.ChoiceFilter(
        field_name="stage_reason", choices=lambda: RECYCLE_REASONS, empty_label="Any reason"
    )
    campaign = django_filters.ChoiceFilter(choices=campaign_choices, empty_label="Any campaign")

    class Meta:
        model = Lead
        fields = []

    searches_lead = ""


class InboxFilter(LeadAttributesFilter):
    overdue = django_filters.BooleanFilter(
        method="only_overdue", label="Overdue only", widget=forms.CheckboxInput
    )
    rep = django_filters.ChoiceFilter(
        field_name="owner", choices=rep_choices, empty_label="Every rep"
    )

    def __init__(self, *args, manager: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not manager:
            del self.filters["rep"]

    def only_overdue(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(stage=Lead.Stage.MQL, response_due_at__lt=timezone.now())


# What a handoff event is, from its transition's stages.
HANDOFF_EVENTS = {
    "sent": ("Sent to sales", Q(from_stage="new", to_stage="mql")),
    "resent": ("Re-sent from nurture", Q(from_stage="recycled", to_stage="mql")),
    "accepted": ("Accepted", Q(to_stage="sal")),
    "rejected": ("Rejected", Q(from_stage="mql", to_stage="recycled")),
    "recycled": ("Recycled by sales", Q(from_stage__in=["sal", "sql"], to_stage="recycled")),
    "qualified": ("Qualified", Q(to_stage="sql")),
    "disqualified": ("Disqualified", Q(to_stage="disqualified")),
    "converted": ("Converted", Q(to_stage="converted")),
}


class HandoffFilter(SearchMixin, FilterSet):
    q = django_filters.CharFilter(method="search", label="Search lead name, e-mail or company")
    outcome = django_filters.ChoiceFilter(
        choices=[(key, label) for key, (label, _) in HANDOFF_EVENTS.items()],
        method="by_event",
        label="Event",
        empty_label="Any event",
    )
    reason = django_filters.ChoiceFilter(
        choices=lambda: sorted(REASON_LABELS.items(), key=lambda c: c[1]), empty_label="Any reason"
    )
    campaign = django_filters.ChoiceFilter(
        field_name="lead__campaign", choices=campaign_choices, empty_label="Any campaign"
    )
    channel = django_filters.ChoiceFilter(
        field_name="lead__channel", choices=Channel.choices, empty_label="Any channel"
    )
    rep = django_filters.ChoiceFilter(
        field_name="actor", choices=rep_choices, empty_label="Anyone", label="By"
    )
    date_from = django_filters.DateFilter(
        field_name="at", lookup_expr="date__gte", label="On or after", widget=DATE
    )
    date_to = django_filters.DateFilter(
        field_name="at", lookup_expr="date__lte", label="On or before", widget=DATE
    )
    # Time only: a million-row log sorts by a lead's name or a computed duration in seconds,
    # not milliseconds (the lead response report ranks response times).
    ordering = django_filters.OrderingFilter(fields=[("at", "when")], widget=forms.HiddenInput)

    class Meta:
        model = LeadTransition
        fields = []

    searches_lead = "lead__"

    def by_event(self, queryset, name, value):
        return queryset.filter(HANDOFF_EVENTS[value][1]) if value in HANDOFF_EVENTS else queryset


# (id, name) of every active user, for the activity list's "by" drop-down.
author_choices = PeopleChoices(
    lambda: (
        get_user_model()
        .objects.filter(is_active=True)
        .order_by("first_name", "last_name", "username")
    )
)


class ActivityFilter(FilterSet):
    author = django_filters.ChoiceFilter(choices=author_choices, empty_label="Anyone")
    kind = django_filters.ChoiceFilter(choices=Activity.Kind.choices, empty_label="Any kind")
    outcome = django_filters.ChoiceFilter(
        choices=[c for c in Activity.Outcome.choices if c[0]], empty_label="Any outcome"
    )
    record = django_filters.ChoiceFilter(
        choices=[("lead", "Leads"), ("opportunity", "Opportunities")],
        method="by_record",
        label="On",
        empty_label="Leads and opportunities",
    )
    date_from = django_filters.DateFilter(
        field_name="occurred_at", lookup_expr="date__gte", label="On or after", widget=DATE
    )
    date_to = django_filters.DateFilter(
        field_name="occurred_at", lookup_expr="date__lte", label="On or before", widget=DATE
    )

    class Meta:
        model = Activity
        fields = []

    def by_record(self, queryset, name, value):
        if value == "lead":
            return queryset.filter(lead__isnull=False)
        if value == "opportunity":
            return queryset.filter(opportunity__isnull=False)
        return queryset


# --- Deals, accounts and proposals ------------------------------------------------------------


def by_account_name(queryset, value: str, path: str):
    """An account's id (links from the account page) or words of its name."""
    value = value.strip()
    if (pk := as_id(value)) is not None:
        return queryset.filter(**{f"{path}_id": pk})
    return queryset.filter(**{f"{path}__name__icontains": value}) if value else queryset


class DealAttributesFilter(FilterSet):
    """What the pipeline board and the deal list both filter by."""

    owner = django_filters.ChoiceFilter(choices=rep_choices, empty_label="Any owner")
    # A name, not a list to pick from: there may be tens of thousands of accounts.
    account = django_filters.CharFilter(method="by_account", label="Account")
    type = django_filters.ChoiceFilter(choices=Opportunity.Type.choices, empty_label="Any type")
    close_after = django_filters.DateFilter(
        field_name="expected_close_date",
        lookup_expr="gte",
        label="Expected close on or after",
        widget=DATE,
    )
    close_before = django_filters.DateFilter(
        field_name="expected_close_date",
        lookup_expr="lte",
        label="Expected close on or before",
        widget=DATE,
    )

    class Meta:
        model = Opportunity
        fields = []

    def __init__(self, *args, manager: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not manager:
            # A rep sees their own deals only: choosing an owner would mean nothing.
            del self.filters["owner"]

    def by_account(self, queryset, name, value):
        return by_account_name(queryset, value, "account")

    def tallied_owner(self, user) -> tuple[bool, int | None]:
        """(True, whose deals) when the deals `user` sees are narrowed by owner and stage
        alone, so the pipeline tally (PipelineTally) holds their figures: whose deals is an
        owner's id, or None for everyone's. (False, None) when any other filter is set."""
        data = self.form.cleaned_data if self.is_bound and self.form.is_valid() else {}
        if any(value not in (None, "") for name, value in data.items() if name not in TALLIED):
            return False, None
        owner = visible_owner(user)
        chosen = data.get("owner")
        if chosen:
            owner = int(chosen) if owner is None or owner == int(chosen) else 0
        return True, owner


# The filters the pipeline tally can answer for; `ordering` only sorts.
TALLIED = frozenset({"owner", "stage", "ordering"})


class BoardFilter(DealAttributesFilter):
    pass


class OpportunityFilter(SearchMixin, DealAttributesFilter):
    q = django_filters.CharFilter(method="search", label="Search deal or account")
    stage = django_filters.ChoiceFilter(
        choices=[("all", "Any stage, open or closed"), *Opportunity.Stage.choices],
        method="by_stage",
        empty_label="Open deals",
    )
    amount_min = django_filters.NumberFilter(
        field_name="amount", lookup_expr="gte", label="Amount at least"
    )
    amount_max = django_filters.NumberFilter(
        field_name="amount", lookup_expr="lte", label="Amount at most"
    )
    ordering = django_filters.OrderingFilter(
        fields=[
            ("name", "name"),
            ("account__name", "account"),
            ("stage", "stage"),
            ("amount", "amount"),
            ("expected_close_date", "close"),
            ("closed_date", "closed"),
            ("created_at", "created"),
        ],
        widget=forms.HiddenInput,
    )

    search_fields = ("name", "account__name")

    def by_stage(self, queryset, name, value):
        return queryset if value == "all" else queryset.filter(stage=value)

    def filter_queryset(self, queryset):
        # With no stage chosen the list shows the open deals: the ones someone works on.
        if not self.form.cleaned_data.get("stage"):
            queryset = queryset.open()
        return super().filter_queryset(queryset)


class AccountFilter(SearchMixin, FilterSet):
    q = django_filters.CharFilter(method="search", label="Search name or website")
    industry = django_filters.CharFilter(lookup_expr="iexact")
    company_size = django_filters.ChoiceFilter(
        choices=CompanySize.choices, empty_label="Any size", label="Size"
    )
    customer = django_filters.ChoiceFilter(
        choices=[("yes", "Customers"), ("no", "Not customers yet")],
        method="by_customer",
        empty_label="Customers or not",
        label="Customer",
    )
    ordering = django_filters.OrderingFilter(
        fields=[
            ("name", "name"),
            ("customer_since", "since"),
            ("won_revenue", "revenue"),
            ("open_pipeline", "pipeline"),
        ],
        widget=forms.HiddenInput,
    )

    class Meta:
        model = Account
        fields = []

    search_fields = ("name", "website")

    def by_customer(self, queryset, name, value):
        return queryset.filter(customer_since__isnull=(value == "no"))


class ProposalFilter(SearchMixin, FilterSet):
    q = django_filters.CharFilter(method="search", label="Search title, deal or account")
    state = django_filters.ChoiceFilter(
        choices=[("all", "Any status"), *Proposal.Status.choices],
        method="by_state",
        empty_label="Draft or awaiting an answer",
        label="Status",
    )
    owner = django_filters.ChoiceFilter(
        field_name="opportunity__owner",
        choices=rep_choices,
        empty_label="Any owner",
        label="Owner",
    )
    account = django_filters.CharFilter(method="by_account", label="Account")
    total_min = django_filters.NumberFilter(
        field_name="total", lookup_expr="gte", label="Total at least"
    )
    total_max = django_filters.NumberFilter(
        field_name="total", lookup_expr="lte", label="Total at most"
    )
    expiring_within = django_filters.NumberFilter(
        method="by_expiry", label="Sent, expiring within (days)", min_value=0
    )
    ordering = django_filters.OrderingFilter(
        fields=[
            ("title", "title"),
            ("opportunity__account__name", "account"),
            ("status", "status"),
            ("total", "total"),
            ("valid_until", "valid"),
            ("sent_at", "sent"),
        ],
        widget=forms.HiddenInput,
    )

    class Meta:
        model = Proposal
        fields = []

    def __init__(self, *args, manager: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not manager:
            del self.filters["owner"]

    search_fields = ("title", "opportunity__name", "opportunity__account__name")

    def by_account(self, queryset, name, value):
        return by_account_name(queryset, value, "opportunity__account")

    def by_state(self, queryset, name, value):
        return queryset if value == "all" else queryset.in_state(value)

    def filter_queryset(self, queryset):
        # With no status chosen the list shows what still needs something: drafts and
        # proposals awaiting the customer's answer.
        if not self.form.cleaned_data.get("state"):
            queryset = queryset.awaiting_answer()
        return super().filter_queryset(queryset)

    def by_expiry(self, queryset, name, value):
        today = timezone.localdate()
        return queryset.filter(
            status=Proposal.Status.SENT,
            valid_until__gte=today,
            valid_until__lte=today + dt.timedelta(days=int(value)),
        )
