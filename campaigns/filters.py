import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from campaigns.models import Campaign, Channel
from crm.listing import FilterSet, PeopleChoices
from crm.roles import Role
from crm.widgets import DateInput


def campaign_owners():
    return (
        get_user_model()
        .objects.filter(groups__name__in=[Role.MARKETING, Role.MANAGERS], is_active=True)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


# (id, name) of whoever may own a campaign, for the filter's drop-down.
owner_choices = PeopleChoices(campaign_owners)


class CampaignFilter(FilterSet):
    q = django_filters.CharFilter(
        field_name="name", lookup_expr="icontains", label="Search by name"
    )
    channel = django_filters.ChoiceFilter(choices=Channel.choices, empty_label="Any channel")
    status = django_filters.ChoiceFilter(choices=Campaign.Status.choices, empty_label="Any status")
    objective = django_filters.ChoiceFilter(
        choices=Campaign.Objective.choices, empty_label="Any stage"
    )
    owner = django_filters.ChoiceFilter(choices=owner_choices, empty_label="Anyone")
    running_from = django_filters.DateFilter(
        method="filter_running_from",
        label="Running on or after",
        widget=DateInput(),
    )
    running_to = django_filters.DateFilter(
        method="filter_running_to",
        label="Running on or before",
        widget=DateInput(),
    )
    ordering = django_filters.OrderingFilter(
        fields=[
            ("name", "name"),
            ("channel", "channel"),
            ("status", "status"),
            ("start_date", "start"),
            ("budget", "budget"),
            ("spend", "spend"),
            ("lead_count", "leads"),
            ("mql_count", "mqls"),
        ],
        widget=forms.HiddenInput,
    )

    class Meta:
        model = Campaign
        fields = []

    def filter_running_from(self, queryset, name, value):
        # Still running on that day: no end date, or an end on or after it.
        return queryset.filter(Q(end_date__isnull=True) | Q(end_date__gte=value))

    def filter_running_to(self, queryset, name, value):
        return queryset.filter(start_date__lte=value)
