import datetime as dt

import django_filters
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.messages.views import SuccessMessageMixin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.views.generic import (
    CreateView,
    DeleteView,
    FormView,
    ListView,
    TemplateView,
    UpdateView,
)
from django_filters.views import FilterView

from campaigns.models import Campaign, Channel
from crm.audit import HistoryMixin, model_history
from crm.csvexport import stream_csv
from crm.errors import TransitionError
from crm.listing import FilteredListMixin, FilterSet
from crm.roles import Role, RoleRequiredMixin
from crm.widgets import DateInput
from leads.filters import sales_reps
from reports import compliance, metrics, periods, selectors, services
from reports.forms import QuotaForm, SlaForm
from reports.models import MQL_FIELD_CHOICES, WEEKDAY_NAMES, Quota, ServiceLevelAgreement
from reports.services import SLA_TERMS
from reports.tables import Column, bar_chart, csv_cell, make_table

User = get_user_model()


class QuotaFilter(FilterSet):
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


class QuotaFormMixin(RoleRequiredMixin, SuccessMessageMixin):
    roles = (Role.MANAGERS,)
    model = Quota
    form_class = QuotaForm
    success_url = reverse_lazy("reports:quota-list")
    success_message = "Quota saved."


class QuotaCreateView(QuotaFormMixin, CreateView):
    def get_initial(self):
        return {"period_start": timezone.localdate().replace(day=1)}


class QuotaUpdateView(QuotaFormMixin, HistoryMixin, UpdateView):
    """The quota's own values in the form (not the new quota's default start)."""


class QuotaHistoryView(RoleRequiredMixin, ListView):
    """Every quota set, changed or removed, newest first: a removed quota has no page of its
    own, so its record is read here."""

    roles = (Role.MANAGERS,)
    paginate_by = 50
    template_name = "reports/quota_history.html"
    context_object_name = "history"

    def get_queryset(self):
        return model_history(Quota)


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
    if name == "mql_targets_by_channel":
        labels = dict(Channel.choices)
        return ", ".join(f"{labels.get(k, k)} {n}" for k, n in sorted(value.items())) or "none"
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
    figures as CSV with ?format=csv.

    Most pages only define `figures()`: headline figures, charts and tables, which the shared
    template draws and the CSV writes block by block, so the two always agree."""

    roles = (Role.MARKETING, Role.SALES)
    template_name = "reports/report.html"
    title = ""
    intro = ""

    def get(self, request, *args, **kwargs):
        self.filters = periods.ReportFilterForm(request.GET or None)
        self.period = self.filters.chosen_period()
        self.chosen = self.filters.chosen_filters()
        self.scope = metrics.Scope(period=self.period, **self.chosen)
        if request.GET.get("format") == "csv":
            header, rows = self.csv_rows()
            name = f"{self.slug}-{self.period.first:%Y%m%d}-{self.period.last:%Y%m%d}.csv"
            return stream_csv(name, header, rows)
        return super().get(request, *args, **kwargs)

    def figures(self) -> dict:
        """{"headlines": [Figure], "charts": [Chart], "tables": [Table]} for the scope."""
        raise NotImplementedError

    def sorted_tables(self, figures: dict) -> dict:
        """A table marked sortable follows ?sort=key (or -key); undefined values go last."""
        wanted = self.request.GET.get("sort", "")
        key, descending = wanted.lstrip("-"), wanted.startswith("-")
        for table in figures.get("tables", []):
            if table.sortable and key in {column.key for column in table.columns}:
                present = [row for row in table.rows if row.get(key) is not None]
                missing = [row for row in table.rows if row.get(key) is None]
                present.sort(key=lambda row: row[key], reverse=descending)
                table.rows = present + missing
                table.sorted_by = wanted
        return figures

    def csv_rows(self):
        figures = self.sorted_tables(self.figures())
        header = [self.title, self.period.label]

        def rows():
            yield ["Figure", "Value", "Formula"]
            for figure in figures.get("headlines", []):
                yield [figure.label, csv_cell(figure.value, figure.kind), figure.formula]
            yield []
            for table in figures.get("tables", []):
                yield from table.csv_rows()

        return header, rows()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query["format"] = "csv"
        context.update(
            filters=self.filters,
            period=self.period,
            csv_query=query.urlencode(),
            title=self.title,
            intro=self.intro,
        )
        if self.template_name == ReportView.template_name:
            context.update(self.sorted_tables(self.figures()))
        return context


class FunnelView(ReportView):
    """Leads created in the period as a cohort: how many reached each stage."""

    template_name = "reports/funnel.html"
    slug = "funnel"
    SPLITS = {"channel": "channel", "campaign": "campaign"}

    def split(self) -> str:
        return self.request.GET.get("split") if self.request.GET.get("split") in self.SPLITS else ""

    def rows(self):
        """The total row, then one per channel or campaign when split: page and CSV alike."""
        split = self.split()
        groups = metrics.funnel_counts(self.scope, self.SPLITS[split]) if split else []
        if groups:  # every lead of the cohort is in one group: the total is their sum
            total = {key: sum(row[key] for row in groups) for key, _, _ in metrics.FUNNEL_STEPS}
        else:
            total = metrics.funnel_counts(self.scope)[0]
        if split == "channel":
            labels = dict(Channel.choices)
            for row in groups:
                row["group"] = labels.get(row["channel"], row["channel"] or "—")
        elif split == "campaign":  # by id (two campaigns may share a name), named afterwards
            names = dict(
                Campaign.objects.filter(pk__in=[row["campaign"] for row in groups]).values_list(
                    "pk", "name"
                )
            )
            for row in groups:
                row["group"] = names.get(row["campaign"], "No campaign")
        for row in groups:
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


def headline(columns, key: str, row: dict, prefix: str = "") -> metrics.Figure:
    """The figure `key` of `row`, labelled and explained by its column definition."""
    _, label, kind, formula = next(c for c in columns if c[0] == key)
    if prefix:
        label = prefix + label.lower()
    return metrics.Figure(key, label, row.get(key), kind, formula)


def _labelled(rows: list[dict], labels: dict, fallback: str) -> list[dict]:
    for row in rows:
        row["name"] = labels.get(row["key"], fallback) if row["key"] else fallback
    return rows


class CampaignReportView(ReportView):
    slug = "campaigns"
    title = "Campaign performance"
    intro = (
        "Spend in the period against what the period's leads became: each campaign's cohort is "
        "the leads it brought in during the period, followed to today."
    )

    def figures(self):
        by = "channel" if self.request.GET.get("by") == "channel" else "campaign"
        rows, total = metrics.campaign_performance(self.scope, by)
        if by == "channel":
            _labelled(rows, dict(Channel.choices), "No channel")
            first = Column("name", "Channel", "text")
        else:
            names = dict(
                Campaign.objects.filter(pk__in=[r["key"] for r in rows]).values_list("pk", "name")
            )
            _labelled(rows, names, "No campaign")
            first = Column("name", "Campaign", "text")
        rows.sort(key=lambda row: (-row["spend"], -row["leads"]))
        total["name"] = "All"
        by_label = "channel" if by == "channel" else "campaign"
        columns = metrics.CAMPAIGN_COLUMNS
        return {
            "headlines": [
                headline(columns, k, total)
                for k in ("spend", "leads", "mqls", "revenue", "cpl", "cac", "roi")
            ],
            "charts": [
                bar_chart(
                    f"Spend and revenue per {by_label} (the 12 largest)",
                    rows[:12],
                    "name",
                    [("spend", "Spend"), ("revenue", "Revenue")],
                    "money",
                )
            ],
            "tables": [
                make_table(
                    "campaigns",
                    f"Per {by_label}",
                    first,
                    columns,
                    rows,
                    total,
                    sortable=True,
                )
            ],
            "views": [("campaign", "By campaign"), ("channel", "By channel")],
            "view_param": "by",
            "view": by,
        }


class ResponseReportView(ReportView):
    slug = "lead-response"
    title = "Lead response"
    intro = (
        "How fast sales touched each MQL: from the lead becoming an MQL to the first call, "
        "e-mail or meeting a rep logged, or the accept or reject, whichever came first. Each "
        "move to MQL in the period is a pass; a re-sent lead counts again."
    )

    def figures(self):
        now = timezone.now()
        report = metrics.response_report(self.scope, now)
        overall, reps, histogram = report["overall"], report["reps"], report["histogram"]
        columns = metrics.RESPONSE_COLUMNS
        names = {
            u.pk: u.get_full_name() or u.username
            for u in User.objects.filter(pk__in=[pk for pk in reps if pk])
        }
        rep_rows = _labelled(
            [{"key": key, **row} for key, row in reps.items()], names, "Unassigned queue"
        )
        rep_rows.sort(key=lambda row: (row["key"] is None, row["name"]))
        weeks = metrics.response_by(self.scope, now, "week")
        week_rows = [
            {"key": key, "name": f"Week of {key:%d %b}", **row}
            for key, row in sorted(weeks.items(), key=lambda item: item[0])
        ]
        return {
            "headlines": [
                headline(columns, k, overall) for k in ("passes", "median", "p90", "share")
            ],
            "charts": [
                bar_chart(
                    "Answered passes by time to first touch",
                    histogram,
                    "band",
                    [("answers", "Answered passes")],
                    "count",
                )
            ],
            "tables": [
                make_table(
                    "histogram",
                    "Time to first touch",
                    Column("band", "Time to first touch", "text"),
                    [
                        ("answers", "Answered passes", "count", ""),
                        ("share", "Share", "ratio", "Passes in the band ÷ answered passes"),
                    ],
                    histogram,
                ),
                make_table("reps", "By rep", Column("name", "Rep", "text"), columns, rep_rows),
                make_table(
                    "weeks",
                    "By week the MQL arrived",
                    Column("name", "Week", "text"),
                    columns,
                    week_rows,
                ),
            ],
        }


class RejectionReportView(ReportView):
    slug = "rejections"
    title = "Rejections and recycling"
    intro = (
        "Why sales sent leads back or closed them, where those leads came from, and how many "
        "marketing nurtured back into MQLs: the feedback loop between the two teams."
    )

    def figures(self):
        reasons = metrics.rejection_reasons(self.scope)
        by = metrics.rejections_by(self.scope)
        campaigns, channels, total = by["campaign"], by["channel"], by["total"]
        names = dict(
            Campaign.objects.filter(pk__in=[r["key"] for r in campaigns]).values_list("pk", "name")
        )
        _labelled(campaigns, names, "No campaign")
        _labelled(channels, dict(Channel.choices), "No channel")
        total["name"] = "All"
        resent = metrics.resent(self.scope)
        columns = metrics.REJECTION_COLUMNS
        return {
            "headlines": [
                *[
                    headline(columns, k, total)
                    for k in ("rejected", "recycled", "disqualified", "came_back_share")
                ],
                metrics.Figure(
                    "resent",
                    "Re-sent as MQL",
                    resent["resent"],
                    "count",
                    "Moves from recycled back to MQL in the period",
                ),
            ],
            "charts": [
                bar_chart(
                    "Reasons given",
                    # A reason may be given for more than one kind of exit: name both.
                    [
                        {**row, "what": f"{row['reason']} ({row['kind'].lower()})"}
                        for row in reasons[:12]
                    ],
                    "what",
                    [("count", "Leads")],
                    "count",
                )
            ],
            "tables": [
                make_table(
                    "reasons",
                    "Reasons",
                    Column("reason", "Reason", "text"),
                    [
                        ("kind", "What sales did", "text", ""),
                        ("count", "Leads", "count", "Moves with this reason in the period"),
                        ("share", "Share", "ratio", "Moves with this reason ÷ all exits"),
                    ],
                    reasons,
                ),
                make_table(
                    "campaigns",
                    "By campaign",
                    Column("name", "Campaign", "text"),
                    columns,
                    campaigns,
                    total,
                ),
                make_table(
                    "channels", "By channel", Column("name", "Channel", "text"), columns, channels
                ),
            ],
        }


class SalesReportView(ReportView):
    slug = "sales"
    title = "Sales performance"
    intro = (
        "Each rep's handling of the MQLs they were given and the deals they closed in the "
        "period. Deals follow the campaign and channel filters through the lead they came from."
    )

    def figures(self):
        rows, total = metrics.sales_performance(self.scope)
        columns = metrics.SALES_COLUMNS
        return {
            "headlines": [
                headline(columns, k, total)
                for k in ("revenue", "win_rate", "avg_deal", "median_cycle", "attainment")
            ],
            "charts": [
                bar_chart(
                    "Revenue and quota per rep",
                    rows,
                    "name",
                    [("revenue", "Revenue"), ("quota", "Quota")],
                    "money",
                )
            ],
            "tables": [
                make_table(
                    "reps",
                    "Per rep",
                    Column("name", "Rep", "text"),
                    columns,
                    rows,
                    total,
                    sortable=True,
                )
            ],
        }


class PipelineReportView(ReportView):
    slug = "pipeline"
    title = "Pipeline and forecast"
    intro = (
        "The open deals as they stand now, by stage and by the month they are expected to "
        "close; the flow columns (entered, moved on, days in stage) count the chosen period."
    )

    def figures(self):
        stages, total = metrics.pipeline_by_stage(self.scope)
        months, month_total = metrics.forecast_by_month(self.scope, timezone.localdate())
        columns = metrics.PIPELINE_COLUMNS
        return {
            "headlines": [
                headline(columns, k, total, prefix="Open ") for k in ("count", "amount", "weighted")
            ],
            "charts": [
                bar_chart(
                    "Open pipeline by stage",
                    stages,
                    "stage",
                    [("amount", "Amount"), ("weighted", "Weighted")],
                    "money",
                ),
                bar_chart(
                    "Forecast by expected close month",
                    months,
                    "month",
                    [("amount", "Amount"), ("weighted", "Weighted")],
                    "money",
                ),
            ],
            "tables": [
                make_table(
                    "stages", "By stage", Column("stage", "Stage", "text"), columns, stages, total
                ),
                make_table(
                    "months",
                    "By expected close month",
                    Column("month", "Expected close", "text"),
                    metrics.FORECAST_COLUMNS,
                    months,
                    month_total,
                ),
            ],
        }


class RevenueReportView(ReportView):
    slug = "revenue"
    title = "Revenue"
    intro = (
        "Won revenue by the month deals closed, from new and from existing customers, how many "
        "customers bought again, and the accounts that brought the most."
    )

    def figures(self):
        months, total = metrics.revenue_by_month(self.scope)
        kept = metrics.retention(self.scope)
        accounts = metrics.top_accounts(self.scope)
        columns = metrics.REVENUE_COLUMNS
        return {
            "headlines": [
                *[headline(columns, k, total) for k in ("revenue", "new", "existing")],
                metrics.Figure(
                    "retention",
                    "Customers who bought again",
                    kept["share"],
                    "ratio",
                    f"Of the {kept['customers']} accounts that were customers before the period, "
                    f"those with a deal won in it ({kept['again']})",
                ),
            ],
            "charts": [
                bar_chart(
                    "Won revenue by month",
                    months,
                    "month",
                    [("new", "New customers"), ("existing", "Existing customers")],
                    "money",
                )
            ],
            "tables": [
                make_table(
                    "months", "By month", Column("month", "Month", "text"), columns, months, total
                ),
                make_table(
                    "accounts",
                    "Top accounts",
                    Column("account__name", "Account", "text"),
                    metrics.ACCOUNT_COLUMNS,
                    accounts,
                ),
            ],
        }


class DashboardView(ReportView):
    """The manager's home: each report's headline for the period against the period before,
    linking to the page that explains it. Marketers and reps read it too."""

    slug = "dashboard"
    title = "Dashboard"
    template_name = "reports/dashboard.html"

    @property
    def previous(self) -> periods.Period:
        return self.period.comparable_previous(timezone.localdate())

    def headlines(self) -> list[dict]:
        now = timezone.now()
        current = metrics.headline_values(self.scope, now)
        previous_scope = metrics.Scope(period=self.previous, **self.chosen)
        before = metrics.headline_values(previous_scope, now)
        rows = []
        for key, label, kind, formula, page, higher_is_better in metrics.HEADLINES:
            moved = metrics.change(current[key], before[key], kind)
            rows.append(
                {
                    "key": key,
                    "label": label,
                    "kind": kind,
                    "formula": formula,
                    "value": current[key],
                    "previous": before[key],
                    "change": moved,
                    "better": (
                        None
                        if not moved or higher_is_better is None
                        else (moved > 0) == higher_is_better
                    ),
                    "url": reverse(f"reports:{page}"),
                }
            )
        return rows

    def csv_rows(self):
        header = ["Figure", self.period.label, self.previous.label, "Change", "Formula"]
        return header, (
            [
                row["label"],
                csv_cell(row["value"], row["kind"]),
                csv_cell(row["previous"], row["kind"]),
                "" if row["change"] is None else f"{row['change'] * 100:.1f}",
                row["formula"],
            ]
            for row in self.headlines()
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        pipeline = selectors.open_pipeline_by_stage()
        context.update(
            headlines=self.headlines(),
            previous=self.previous,
            running=self.period.first <= timezone.localdate() < self.period.last,
            pipeline=pipeline,
            pipeline_total=sum(row["amount"] for row in pipeline),
            sla=ServiceLevelAgreement.objects.current(),
            query=self.request.GET.urlencode(),
        )
        return context
