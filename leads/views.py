import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import pluralize
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import (
    CreateView,
    DeleteView,
    DetailView,
    FormView,
    ListView,
    TemplateView,
    UpdateView,
)
from django_filters.views import FilterView

from crm.csvexport import stream_csv
from crm.db import count_of, sum_of
from crm.errors import TransitionError
from crm.roles import Role, RoleRequiredMixin, is_manager, role_required
from leads import importer, imports, scoring, services
from leads.filters import InboxFilter, LeadFilter, NurtureFilter
from leads.forms import (
    ActivityEditForm,
    ActivityForm,
    ConvertForm,
    DisqualifyForm,
    ImportMappingForm,
    ImportUploadForm,
    LeadForm,
    QualifyForm,
    ReassignForm,
    RejectForm,
    ScoringRuleForm,
    SendToSalesForm,
)
from leads.models import (
    Account,
    Activity,
    Lead,
    LeadImport,
    LeadTransition,
    Opportunity,
    ProposalLine,
    ScoringRule,
)
from reports import workhours
from reports.models import ServiceLevelAgreement

INBOX_PAGE_SIZE = 25
AT_RISK_WITHIN = dt.timedelta(hours=2)


class DueClock:
    """The response clock of MQLs, in the working hours of the SLA each one arrived under."""

    def __init__(self, now):
        self.now = now
        self.versions = list(ServiceLevelAgreement.objects.order_by("-effective_from", "-version"))
        self.schedules = {}

    def _schedule(self, mql_at):
        sla = next((v for v in self.versions if v.effective_from <= mql_at), None)
        if sla is None:
            return None
        if sla.pk not in self.schedules:
            self.schedules[sla.pk] = workhours.Schedule.of(sla)
        return self.schedules[sla.pk]

    def badge(self, lead) -> tuple[str, str] | None:
        """("due in 2 h 10 min" or "overdue by 1 day", css) for an MQL waiting for sales."""
        if lead.stage != Lead.Stage.MQL or not lead.response_due_at or not lead.mql_at:
            return None
        schedule = self._schedule(lead.mql_at)
        if schedule is None:
            return None
        if lead.response_due_at <= self.now:
            late = schedule.between(lead.response_due_at, self.now)
            return f"overdue by {workhours.describe(late)}", "text-bg-danger"
        left = schedule.between(self.now, lead.response_due_at)
        css = (
            "text-bg-warning"
            if lead.response_due_at - self.now <= AT_RISK_WITHIN
            else "text-bg-light border"
        )
        return f"due in {workhours.describe(left)}", css


class InboxView(RoleRequiredMixin, TemplateView):
    """The rep's home: MQLs to accept or reject, accepted leads to qualify, the unassigned
    queue and what is overdue, each sorted by its SLA due time. Managers see every rep's, can
    filter by rep and see the leads about to breach."""

    roles = (Role.SALES,)
    template_name = "leads/inbox.html"

    def get_context_data(self, **kwargs):
        user, now = self.request.user, timezone.now()
        manager = is_manager(user)
        filterset = InboxFilter(
            self.request.GET,
            queryset=Lead.objects.filter(stage__in=[Lead.Stage.MQL, Lead.Stage.SAL]),
            request=self.request,
            manager=manager,
        )
        base = filterset.qs
        mine = Q(owner__isnull=False) if manager else Q(owner=user)
        mql, sal = Q(stage=Lead.Stage.MQL), Q(stage=Lead.Stage.SAL)
        late = Q(response_due_at__lt=now)
        sections = {
            "to-accept": ("New MQLs to accept or reject", mql & mine, ["response_due_at", "pk"]),
            "to-qualify": ("Accepted — to qualify", sal & mine, ["accepted_at", "pk"]),
            "queue": ("Unassigned queue", mql & Q(owner__isnull=True), ["response_due_at", "pk"]),
            "overdue": (
                "Overdue",
                mql & late & (mine | Q(owner__isnull=True)),
                ["response_due_at", "pk"],
            ),
        }
        if manager:
            soon = Q(response_due_at__gte=now, response_due_at__lt=now + AT_RISK_WITHIN)
            sections["at-risk"] = ("About to breach", mql & soon, ["response_due_at", "pk"])
        counts = base.aggregate(
            **{key.replace("-", "_"): Count("pk", filter=q) for key, (_, q, _) in sections.items()}
        )
        key = self.request.GET.get("section", "to-accept")
        if key not in sections:
            key = "to-accept"
        title, condition, order = sections[key]
        leads = base.filter(condition).select_related("campaign", "owner").order_by(*order)
        paginator = Paginator(leads, INBOX_PAGE_SIZE)
        paginator.count = counts[key.replace("-", "_")]  # already counted with the others
        page = paginator.get_page(self.request.GET.get("page"))
        clock = DueClock(now)
        rows = [(lead, clock.badge(lead)) for lead in page.object_list]
        context = super().get_context_data(**kwargs)
        context.update(
            filter=filterset,
            tabs=[(k, label, counts[k.replace("-", "_")]) for k, (label, _, _) in sections.items()],
            section=key,
            section_title=title,
            rows=rows,
            page_obj=page,
            is_paginated=page.has_other_pages(),
            show_owner=manager,
            reassign_form=ReassignForm() if manager else None,
            filtered=any(v for k, v in self.request.GET.items() if k not in {"page", "section"}),
        )
        return context


@role_required(Role.SALES)
@require_POST
def inbox_bulk(request):
    """Accept, claim or (managers) reassign the ticked leads, one service call each."""
    action = request.POST.get("action")
    ids = [int(pk) for pk in request.POST.getlist("lead") if pk.isdigit()][:100]
    leads = Lead.objects.visible_to(request.user).filter(pk__in=ids).order_by("pk")
    if action == "accept":
        run = lambda lead: services.lead_accept(lead=lead, by=request.user)  # noqa: E731
    elif action == "claim":
        run = lambda lead: services.lead_claim(lead=lead, by=request.user)  # noqa: E731
    elif action == "reassign":
        form = ReassignForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose the rep to reassign the leads to.")
            return redirect(_back(request, "leads:inbox"))
        to = form.cleaned_data["owner"]
        run = lambda lead: services.lead_reassign(lead=lead, by=request.user, to=to)  # noqa: E731
    else:
        messages.error(request, "Choose what to do with the ticked leads.")
        return redirect(_back(request, "leads:inbox"))
    done, refused = 0, []
    for lead in leads:
        try:
            run(lead)
            done += 1
        except TransitionError as e:
            refused.append(str(e))
    if not ids:
        messages.error(request, "Tick the leads first.")
    if done:
        verb = {"accept": "Accepted", "claim": "Claimed", "reassign": "Reassigned"}[action]
        messages.success(request, f"{verb} {done} lead{pluralize(done)}.")
    if refused:
        more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
        messages.warning(request, f"{len(refused)} not done: {refused[0]}{more}")
    return redirect(_back(request, "leads:inbox"))


def _back(request, fallback: str):
    back = request.POST.get("next")
    return back if _is_local(back) else fallback


def _with_edit_rights(activities, user) -> list:
    now = timezone.now()
    activities = list(activities)
    for activity in activities:
        activity.editable = activity.can_be_changed_by(user, now)
    return activities


class LeadDetailView(RoleRequiredMixin, DetailView):
    roles = (Role.MARKETING, Role.SALES)

    def get_queryset(self):
        return Lead.objects.visible_to(self.request.user).select_related(
            "campaign", "owner", "account", "opportunity"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        lead = self.object
        context["transitions"] = lead.transitions.select_related("actor", "sla")
        context["activities"] = _with_edit_rights(
            lead.activities.select_related("author")[:50], self.request.user
        )
        context["submissions"] = lead.submissions.select_related("campaign")[:20]
        context["activity_form"] = ActivityForm()
        context["score_breakdown"] = scoring.breakdown(lead, scoring.active_rules())
        user = self.request.user
        context["can_edit"] = lead.can_be_edited_by(user)
        context["can_send"] = lead.can_be_sent_to_sales_by(user)
        context["send_form"] = SendToSalesForm()
        bound = kwargs.get("bound_forms", {})
        allowed = {
            "claim": lead.stage == Lead.Stage.MQL
            and lead.owner_id is None
            and lead.is_sales_actor(user),
            "accept": lead.can_be_accepted_by(user),
            "reject": lead.can_be_rejected_by(user),
            "qualify": lead.can_be_qualified_by(user),
            "disqualify": lead.can_be_disqualified_by(user),
            "convert": lead.can_be_converted_by(user),
            "reassign": is_manager(user) and lead.stage in {"mql", "sal", "sql"},
        }
        initial = {
            "convert": {
                "account_name": lead.company,
                "opportunity_name": f"{lead.company or lead.full_name} — new business",
            }
        }
        context["actions"] = {
            name: bound.get(name) or (form_class(initial=initial.get(name)) if form_class else None)
            for name, (form_class, _, _) in LEAD_ACTIONS.items()
            if allowed[name]
        }
        context["open_action"] = kwargs.get("open_action")
        return context


class OpportunityDetailView(RoleRequiredMixin, DetailView):
    roles = (Role.MARKETING, Role.SALES)

    def get_queryset(self):
        return Opportunity.objects.visible_to(self.request.user).select_related(
            "account", "owner", "lead__campaign"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        opportunity = self.object
        context["stage_changes"] = opportunity.stage_changes.select_related("actor")
        context["proposals"] = opportunity.proposals.select_related("author").prefetch_related(
            Prefetch("lines", queryset=ProposalLine.objects.order_by("position", "pk"))
        )
        context["activities"] = _with_edit_rights(
            opportunity.activities.select_related("author")[:50], self.request.user
        )
        context["activity_form"] = (
            ActivityForm() if opportunity.is_sales_actor(self.request.user) else None
        )
        return context


class AccountDetailView(RoleRequiredMixin, DetailView):
    roles = (Role.MARKETING, Role.SALES)

    def get_queryset(self):
        won = Opportunity.objects.won()
        return (
            Account.objects.visible_to(self.request.user)
            .select_related("owner")
            .annotate(
                won_revenue=sum_of(won, "amount", "account"),
                open_pipeline=sum_of(Opportunity.objects.open(), "amount", "account"),
                deal_count=count_of(Opportunity.objects.all(), "account"),
            )
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        account = self.object
        context["opportunities"] = (
            Opportunity.objects.visible_to(self.request.user)
            .filter(account=account)
            .select_related("owner")[:50]
        )
        context["contacts"] = Lead.objects.visible_to(self.request.user).filter(account=account)[
            :50
        ]
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


# --- Marketing's lead pages ----------------------------------------------------------------------


class LeadListView(RoleRequiredMixin, FilterView):
    """Every lead, for marketing: filters, search, sorting, bulk send to sales, CSV export."""

    roles = (Role.MARKETING,)
    filterset_class = LeadFilter
    paginate_by = 50
    template_name = "leads/lead_list.html"

    def get_queryset(self):
        return Lead.objects.select_related("campaign", "owner").order_by("-created_at", "-pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filtered"] = any(
            value for key, value in self.request.GET.items() if key not in {"page", "ordering"}
        )
        context["export_query"] = self.request.GET.urlencode()
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
    ("created_at", "Created"),
    ("mql_at", "Became MQL"),
]


@role_required(Role.MARKETING)
@require_GET
def lead_export(request):
    """The filtered lead list as CSV, streamed row by row in constant memory."""
    leads = LeadFilter(request.GET, queryset=Lead.objects.order_by("pk")).qs
    rows = leads.values_list(*(name for name, _ in EXPORT_COLUMNS)).iterator(chunk_size=2000)
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
    return redirect(_back(request, lead))


def _is_local(url) -> bool:
    return bool(url) and url_has_allowed_host_and_scheme(url, allowed_hosts=None)


@role_required(Role.MARKETING)
@require_POST
def lead_bulk_send(request):
    """Send the ticked leads to sales; those short of the MQL definition need one by one."""
    ids = [int(pk) for pk in request.POST.getlist("lead") if pk.isdigit()][:200]
    leads = Lead.objects.visible_to(request.user).filter(pk__in=ids).order_by("pk")
    sent, refused = 0, []
    for lead in leads:
        try:
            services.lead_send_to_sales(lead=lead, by=request.user)
            sent += 1
        except TransitionError as e:
            refused.append(str(e))
    if not ids:
        messages.error(request, "Tick the leads to send first.")
    if sent:
        messages.success(request, f"Sent {sent} lead{pluralize(sent)} to sales.")
    if refused:
        messages.warning(
            request,
            f"{len(refused)} not sent: {refused[0]}"
            + (f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""),
        )
    return redirect(_back(request, "leads:lead-list"))


class NurtureView(RoleRequiredMixin, FilterView):
    """Leads sales sent back, with why and when, ready to be re-sent."""

    roles = (Role.MARKETING,)
    filterset_class = NurtureFilter
    paginate_by = 50
    template_name = "leads/nurture.html"

    def get_queryset(self):
        last_return = LeadTransition.objects.filter(
            lead=OuterRef("pk"), to_stage=Lead.Stage.RECYCLED
        ).order_by("-at", "-pk")
        return (
            Lead.objects.in_nurture()
            .select_related("campaign")
            .annotate(
                returned_detail=Subquery(last_return.values("detail")[:1]),
                returned_by=Subquery(last_return.values("actor__username")[:1]),
            )
            .order_by("-stage_changed_at", "-pk")
        )


# --- CSV import ----------------------------------------------------------------------------------


class ImportUploadView(RoleRequiredMixin, FormView):
    roles = (Role.MARKETING,)
    form_class = ImportUploadForm
    template_name = "leads/import_upload.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["recent"] = LeadImport.objects.select_related("created_by")[:10]
        return context

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        try:
            lead_import = imports.import_create(
                by=self.request.user,
                raw=upload.read(),
                filename=upload.name,
                campaign=form.cleaned_data["campaign"],
                dayfirst=form.cleaned_data["dayfirst"],
                on_duplicate=form.cleaned_data["on_duplicate"],
            )
        except importer.FileProblem as e:
            form.add_error("file", str(e))
            return self.form_invalid(form)
        return redirect(lead_import)


PREVIEW_ROWS = 5


class ImportMappingView(RoleRequiredMixin, DetailView):
    """Map the columns, see the first rows as they will be imported, then import."""

    roles = (Role.MARKETING,)
    model = LeadImport
    template_name = "leads/import_mapping.html"

    def get_queryset(self):
        return LeadImport.objects.filter(status=LeadImport.Status.UPLOADED)

    def _form(self, data=None):
        lead_import = self.object
        initial = {
            "channel_map": "\n".join(f"{k} = {v}" for k, v in lead_import.channel_map.items())
        }
        return ImportMappingForm(
            data, header=lead_import.header, mapping=lead_import.mapping, initial=initial
        )

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        form = self._form()
        preview = self._preview(self.object.mapping, self.object.channel_map)
        return self.render_to_response(self.get_context_data(form=form, preview=preview))

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        form = self._form(request.POST)
        if not form.is_valid():
            context = self.get_context_data(form=form, preview=None)
            return self.render_to_response(context, status=400)
        mapping, channel_map = form.cleaned_data["mapping"], form.cleaned_data["channel_map"]
        if "import" not in request.POST:
            LeadImport.objects.filter(pk=self.object.pk).update(
                mapping=mapping, channel_map=channel_map
            )
            preview = self._preview(mapping, channel_map)
            return self.render_to_response(self.get_context_data(form=form, preview=preview))
        imports.import_queue(lead_import=self.object, mapping=mapping, channel_map=channel_map)
        messages.success(request, f"Importing {self.object.filename}.")
        return redirect("leads:import-status", pk=self.object.pk)

    def _preview(self, mapping, channel_map):
        options = importer.Options(
            mapping=mapping,
            campaign=self.object.campaign,
            channel_map={k.casefold(): v for k, v in channel_map.items()},
            dayfirst=self.object.dayfirst,
        )
        header, rows = importer.read(self.object.content)
        preview = []
        for line, cells in enumerate(rows, start=2):
            if len(preview) == PREVIEW_ROWS:
                break
            if not any(cell.strip() for cell in cells):
                continue
            errors = []
            parsed = importer.parse_row(
                line, dict(zip(header, cells, strict=False)), options, errors
            )
            preview.append(
                {"line": line, "values": parsed.values if parsed else {}, "errors": errors}
            )
        columns = [name for name in importer.FIELDS if name in mapping and name != "full_name"]
        if "full_name" in mapping:
            columns = ["first_name", "last_name", *columns]
        labels = {name: label for name, (label, _) in importer.FIELDS.items()}
        return {"columns": [(c, labels[c]) for c in columns], "rows": preview}


class ImportStatusView(RoleRequiredMixin, DetailView):
    roles = (Role.MARKETING,)
    model = LeadImport
    template_name = "leads/import_status.html"


@role_required(Role.MARKETING)
@require_GET
def import_errors(request, pk):
    lead_import = get_object_or_404(LeadImport, pk=pk)
    response = HttpResponse(lead_import.error_report, content_type="text/csv; charset=utf-8")
    name = lead_import.filename.rsplit(".", 1)[0]
    response["Content-Disposition"] = f'attachment; filename="{name}-errors.csv"'
    return response


# --- Sales actions on one lead -------------------------------------------------------------------


def _disqualify_or_recycle(lead, by, form):
    data = form.cleaned_data
    service = services.lead_disqualify if data["action"] == "disqualify" else services.lead_recycle
    return service(lead=lead, by=by, reason=data["reason"], detail=data["detail"])


# action → (form, what it does, the message when it worked)
LEAD_ACTIONS = {
    "accept": (
        None,
        lambda lead, by, form: services.lead_accept(lead=lead, by=by),
        "You accepted {lead}.",
    ),
    "claim": (
        None,
        lambda lead, by, form: services.lead_claim(lead=lead, by=by),
        "{lead} is yours now.",
    ),
    "reject": (
        RejectForm,
        lambda lead, by, form: services.lead_reject(lead=lead, by=by, **form.cleaned_data),
        "{lead} went back to marketing's nurture.",
    ),
    "qualify": (
        QualifyForm,
        lambda lead, by, form: services.lead_qualify(lead=lead, by=by, detail=form.as_detail()),
        "{lead} is sales-qualified.",
    ),
    "disqualify": (DisqualifyForm, _disqualify_or_recycle, "{lead} is now {stage}."),
    "convert": (
        ConvertForm,
        lambda lead, by, form: services.lead_convert(lead=lead, by=by, **form.cleaned_data),
        "{lead} is converted: the opportunity is open.",
    ),
    "reassign": (
        ReassignForm,
        lambda lead, by, form: services.lead_reassign(
            lead=lead, by=by, to=form.cleaned_data["owner"]
        ),
        "{lead} is reassigned.",
    ),
}


@role_required(Role.SALES)
@require_POST
def lead_action(request, pk, action):
    """One sales decision on one lead, through its service; refusals become messages."""
    if action not in LEAD_ACTIONS:
        raise Http404("No such action.")
    lead = get_object_or_404(Lead.objects.visible_to(request.user), pk=pk)
    form_class, run, done = LEAD_ACTIONS[action]
    form = form_class(request.POST) if form_class else None
    if form is not None and not form.is_valid():
        messages.error(request, "Nothing changed: correct the highlighted fields.")
        view = LeadDetailView(request=request, kwargs={"pk": pk})
        view.object = lead
        context = view.get_context_data(object=lead, bound_forms={action: form}, open_action=action)
        return view.render_to_response(context, status=400)
    try:
        outcome = run(lead, request.user, form)
    except TransitionError as e:
        messages.error(request, str(e))
        return redirect(lead)
    lead.refresh_from_db()
    messages.success(request, done.format(lead=lead, stage=lead.get_stage_display().lower()))
    if isinstance(outcome, Opportunity):
        return redirect(outcome)
    return redirect(_back(request, lead))


# --- Notes and activities ------------------------------------------------------------------------


def _log_activity(request, **subject):
    form = ActivityForm(request.POST)
    target = subject.get("lead") or subject.get("opportunity")
    if not form.is_valid():
        errors = "; ".join(e for errs in form.errors.values() for e in errs)
        messages.error(request, f"Nothing was logged: {errors}")
        return redirect(target)
    try:
        services.activity_log(by=request.user, **subject, **form.cleaned_data)
    except TransitionError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, f"{form.cleaned_data['kind'].capitalize()} logged.")
    return redirect(target)


@role_required(Role.MARKETING, Role.SALES)
@require_POST
def lead_activity(request, pk):
    lead = get_object_or_404(Lead.objects.visible_to(request.user), pk=pk)
    return _log_activity(request, lead=lead)


@role_required(Role.SALES)
@require_POST
def opportunity_activity(request, pk):
    opportunity = get_object_or_404(Opportunity.objects.visible_to(request.user), pk=pk)
    return _log_activity(request, opportunity=opportunity)


def _visible_activity(user, pk):
    activity = get_object_or_404(Activity.objects.select_related("lead", "opportunity"), pk=pk)
    if activity.lead_id:
        visible = Lead.objects.visible_to(user).filter(pk=activity.lead_id).exists()
    else:
        visible = Opportunity.objects.visible_to(user).filter(pk=activity.opportunity_id).exists()
    if not visible:
        raise Http404("No such activity.")
    return activity


class ActivityUpdateView(RoleRequiredMixin, FormView):
    roles = (Role.MARKETING, Role.SALES)
    form_class = ActivityEditForm
    template_name = "leads/activity_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.activity = _visible_activity(request.user, kwargs["pk"])
            if not self.activity.can_be_changed_by(request.user):
                raise PermissionDenied("Only its author can change an activity, within 15 minutes.")
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.activity}

    def get_context_data(self, **kwargs):
        return super().get_context_data(activity=self.activity, **kwargs)

    def form_valid(self, form):
        try:
            services.activity_change(
                activity=self.activity, by=self.request.user, **form.cleaned_data
            )
        except TransitionError as e:
            messages.error(self.request, str(e))
        else:
            messages.success(self.request, "Activity saved.")
        return redirect(self.activity.subject)


class ActivityDeleteView(ActivityUpdateView):
    template_name = "leads/activity_confirm_delete.html"

    def post(self, request, *args, **kwargs):
        subject = self.activity.subject
        try:
            services.activity_delete(activity=self.activity, by=request.user)
        except TransitionError as e:
            messages.error(request, str(e))
        else:
            messages.success(request, "Activity deleted.")
        return redirect(subject)
