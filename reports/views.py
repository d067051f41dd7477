import datetime as dt

import django_filters
from django.contrib import messages
from django.contrib.messages.views import SuccessMessageMixin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils import timezone
from django.views.generic import CreateView, DeleteView, FormView, TemplateView, UpdateView
from django_filters.views import FilterView

from campaigns.models import Channel
from crm.csvexport import stream_csv
from crm.errors import TransitionError
from crm.listing import FilteredListMixin
from crm.roles import Role, RoleRequiredMixin
from crm.widgets import DateInput
from leads.filters import sales_reps
from leads.models import Lead
from reports import compliance, metrics, periods, selectors, services
from reports.forms import QuotaForm, SlaForm
from reports.models import MQL_FIELD_CHOICES, WEEKDAY_NAMES, Quota, ServiceLevelAgreement
from reports.services import SLA_TERMS


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


# --- The service-level agreement ------------------------------------------------------------

MONTHS_SHOWN = 12


def _months(today: dt.date) -> list[dt.date]:
    """The first days of this month and the eleven before it, newest first."""
    months, first = [], today.replace(day=1)
    for _ in range(MONTHS_SHOWN):
        months.append(first)
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return months


def _chosen_month(value: str, months: list[dt.date]) -> dt.date:
    try:
        chosen = dt.datetime.strptime(value, "%Y-%m").date()
    except (TypeError, ValueError):
        return months[0]
    return chosen if chosen in months else months[0]


def version_changes(versions: list[ServiceLevelAgreement]) -> list[tuple]:
    """Each version (newest first) with what changed from the one before: (label, was, now)."""
    rows = []
    ordered = sorted(versions, key=lambda v: v.version)
    for previous, version in zip([None, *ordered], ordered, strict=False):
        changes = []
        if previous is not None:
            for name in SLA_TERMS:
                old, new = getattr(previous, name), getattr(version, name)
                if old != new:
                    label = ServiceLevelAgreement._meta.get_field(name).verbose_name
                    changes.append((label, _term_text(name, old), _term_text(name, new)))
        rows.append((version, changes))
    return list(reversed(rows))


def _term_text(name: str, value) -> str:
    if name == "working_days":
        return ", ".join(WEEKDAY_NAMES[d] for d in sorted(value)) or "none"
    if name == "mql_required_fields":
        labels = dict(MQL_FIELD_CHOICES)
        return ", ".join(labels.get(f, f) for f in value) or "none"
    if name == "assignment":
        return ServiceLevelAgreement.Assignment(value).label
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return "never" if value is None else str(value)


class SlaView(RoleRequiredMixin, TemplateView):
    """The agreement in plain words, both teams' live compliance for a month, the glossary and
    the history of versions. Everyone reads it; managers change it."""

    roles = (Role.MARKETING, Role.SALES)
    template_name = "reports/sla.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        months = _months(timezone.localdate(now))
        month = _chosen_month(self.request.GET.get("month"), months)
        versions = list(ServiceLevelAgreement.objects.select_related("created_by"))
        context.update(
            sla=ServiceLevelAgreement.objects.in_force_at(now),
            month=month,
            months=months,
            report=compliance.sla_compliance(month, now),
            versions=version_changes(versions),
            glossary=compliance.GLOSSARY,
            thresholds=(compliance.GREEN, compliance.AMBER),
        )
        return context


class SlaUpdateView(RoleRequiredMixin, FormView):
    """A manager writes the next version; the one in force is never edited."""

    roles = (Role.MANAGERS,)
    form_class = SlaForm
    template_name = "reports/sla_form.html"

    def get_initial(self):
        current = ServiceLevelAgreement.objects.current()
        if current is None:
            return {}
        return {name: getattr(current, name) for name in SLA_TERMS}

    def form_valid(self, form):
        try:
            version = services.sla_revise(
                by=self.request.user,
                change_note=form.cleaned_data["change_note"],
                **form.terms(),
            )
        except TransitionError as e:
            form.add_error(None, str(e))
            return self.form_invalid(form)
        except ValidationError as e:
            for name, errors in e.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
            return self.form_invalid(form)
        messages.success(
            self.request, f"Version {version.version} of the agreement is in force from now."
        )
        return redirect("reports:sla")


# --- Report pages ---------------------------------------------------------------------------


class ReportView(RoleRequiredMixin, TemplateView):
    """A report page: the period and filters form, figures computed for them, and the same
    figures as CSV with ?format=csv."""

    roles = (Role.MARKETING, Role.SALES)

    def get(self, request, *args, **kwargs):
        self.filters = periods.ReportFilterForm(request.GET or None)
        self.period = self.filters.chosen_period()
        self.chosen = self.filters.chosen_filters()
        if request.GET.get("format") == "csv":
            header, rows = self.csv_rows()
            name = f"{self.slug}-{self.period.first:%Y%m%d}-{self.period.last:%Y%m%d}.csv"
            return stream_csv(name, header, rows)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query["format"] = "csv"
        context.update(filters=self.filters, period=self.period, csv_query=query.urlencode())
        return context


class FunnelView(ReportView):
    """Leads created in the period as a cohort: how many reached each stage."""

    template_name = "reports/funnel.html"
    slug = "funnel"
    SPLITS = {"channel": "channel", "campaign": "campaign__name"}

    def leads(self):
        start, end = self.period.bounds
        leads = Lead.objects.filter(created_at__gte=start, created_at__lt=end)
        if self.chosen["campaign"]:
            leads = leads.filter(campaign=self.chosen["campaign"])
        if self.chosen["channel"]:
            leads = leads.filter(channel=self.chosen["channel"])
        if self.chosen["rep"]:
            leads = leads.filter(owner=self.chosen["rep"])
        return leads

    def split(self) -> str:
        return self.request.GET.get("split") if self.request.GET.get("split") in self.SPLITS else ""

    def rows(self):
        """The total row, then one per channel or campaign when split: page and CSV alike."""
        leads = self.leads()
        total = metrics.funnel_counts(leads)[0]
        split = self.split()
        groups = metrics.funnel_counts(leads, self.SPLITS[split]) if split else []
        if split == "channel":
            labels = dict(Channel.choices)
            for row in groups:
                row["group"] = labels.get(row["channel"], row["channel"] or "—")
        for row in groups:
            row.setdefault("group", row.get("campaign__name") or "No campaign")
            row["mql_to_sql"] = metrics.mql_to_sql(row)
        total["group"] = "All leads"
        total["mql_to_sql"] = metrics.mql_to_sql(total)
        return total, groups

    def csv_rows(self):
        total, groups = self.rows()
        header = ["Group", *[label for _, label, _ in metrics.FUNNEL_STEPS], "MQL→SQL rate"]
        keys = [key for key, _, _ in metrics.FUNNEL_STEPS]
        return header, (
            [row["group"], *[row[k] for k in keys], _rate(row["mql_to_sql"])]
            for row in [total, *groups]
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        total, groups = self.rows()
        steps = metrics.funnel_steps(total)
        top = max(total["leads"], 1)
        for step in steps:
            step["width"] = round(step["count"] * 100 / top, 1)
        context.update(
            total=total,
            steps=steps,
            groups=groups,
            split=self.split(),
            step_keys=[key for key, _, _ in metrics.FUNNEL_STEPS],
        )
        return context


def _rate(value) -> str:
    return "" if value is None else f"{value * 100:.1f}"
