import datetime as dt

import django_filters
from django.contrib.messages.views import SuccessMessageMixin
from django.urls import reverse_lazy
from django.utils import timezone
from django.views.generic import CreateView, DeleteView, TemplateView, UpdateView
from django_filters.views import FilterView

from crm.listing import FilteredListMixin
from crm.roles import Role, RoleRequiredMixin
from crm.widgets import DateInput
from leads.filters import sales_reps
from reports import selectors
from reports.forms import QuotaForm
from reports.models import Quota, ServiceLevelAgreement


class QuotaFilter(django_filters.FilterSet):
    rep = django_filters.ModelChoiceFilter(
        queryset=lambda request: sales_reps(), empty_label="Any rep", label="Sales rep"
    )
    period = django_filters.ChoiceFilter(choices=Quota.Period.choices, empty_label="Any period")
    covering = django_filters.DateFilter(
        method="by_day",
        label="Covering the day",
        widget=DateInput(),
    )

    class Meta:
        model = Quota
        fields = []

    def by_day(self, queryset, name, value):
        return queryset.covering(value)


class DashboardView(RoleRequiredMixin, TemplateView):
    """The manager's home; marketers and reps read it too."""

    roles = (Role.MARKETING, Role.SALES)
    template_name = "reports/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        start_date, end_date = selectors.month_bounds(today)
        tz = timezone.get_current_timezone()
        start = dt.datetime.combine(start_date, dt.time.min, tzinfo=tz)
        end = dt.datetime.combine(end_date, dt.time.min, tzinfo=tz)
        context.update(
            month=start_date,
            headlines=selectors.month_headlines(start, end, start_date, end_date),
            leads_by_stage=selectors.leads_by_stage(),
            pipeline=selectors.open_pipeline_by_stage(),
            sla=ServiceLevelAgreement.objects.current(),
        )
        return context


class QuotaListView(RoleRequiredMixin, FilteredListMixin, FilterView):
    """Managers set each rep's revenue quota per month or quarter and read the attainment."""

    roles = (Role.MANAGERS,)
    filterset_class = QuotaFilter
    paginate_by = 50
    template_name = "reports/quota_list.html"

    def get_queryset(self):
        return (
            Quota.objects.with_attainment()
            .select_related("rep")
            .order_by("-period_start", "period", "rep__first_name", "rep__username")
        )


class QuotaCreateView(RoleRequiredMixin, SuccessMessageMixin, CreateView):
    roles = (Role.MANAGERS,)
    model = Quota
    form_class = QuotaForm
    success_url = reverse_lazy("reports:quota-list")
    success_message = "Quota saved."

    def get_initial(self):
        return {"period_start": timezone.localdate().replace(day=1)}


class QuotaUpdateView(QuotaCreateView, UpdateView):
    pass


class QuotaDeleteView(RoleRequiredMixin, SuccessMessageMixin, DeleteView):
    roles = (Role.MANAGERS,)
    model = Quota
    success_url = reverse_lazy("reports:quota-list")
    success_message = "Quota removed."
