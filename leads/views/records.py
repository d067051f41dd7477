"""One lead, deal or account: its page, the sales actions on it, its notes and activities."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST
from django.views.generic import (
    DetailView,
    FormView,
)

from crm.audit import HistoryMixin
from crm.db import Compiled
from crm.errors import TransitionError
from crm.roles import Role, RoleRequiredMixin, has_role, is_manager, is_rep, role_required
from leads import scoring, services, timeline
from leads.forms import (
    ActivityEditForm,
    ActivityForm,
    ConvertForm,
    DisqualifyForm,
    QualifyForm,
    ReassignForm,
    RejectForm,
    SendToSalesForm,
    blank_activity_fields,
)
from leads.models import (
    Activity,
    FormSubmission,
    Lead,
    LeadTransition,
    Opportunity,
)
from leads.views.common import back_to, with_edit_rights


def _lead_page(queryset):
    return queryset.select_related("campaign", "owner", "account", "opportunity")


# A lead page's reads, compiled once (crm.db.Compiled): the ORM took 3 of the page's 9 ms to
# build and compile them, the database 0.3 ms to answer.
_LEAD = Compiled(lambda pk: _lead_page(Lead.objects.filter(pk=pk)), int)
_REPS_LEAD = Compiled(
    lambda pk, rep: _lead_page(Lead.objects.open_to_rep(rep).filter(pk=pk)), int, int
)
_TRANSITIONS = Compiled(
    lambda lead: LeadTransition.objects.filter(lead_id=lead).select_related("actor", "sla"), int
)
_ACTIVITIES = Compiled(
    lambda lead: Activity.objects.filter(lead_id=lead).select_related("author")[:50], int
)
_SUBMISSIONS = Compiled(
    lambda lead: FormSubmission.objects.filter(lead_id=lead).select_related("campaign")[:20], int
)


class LeadDetailView(RoleRequiredMixin, HistoryMixin, DetailView):
    roles = (Role.MARKETING, Role.SALES)

    def get_queryset(self):
        return _lead_page(Lead.objects.visible_to(self.request.user))

    def get_object(self, queryset=None):
        """The lead, as `get_queryset` would find it, read by a compiled query."""
        user, pk = self.request.user, self.kwargs["pk"]
        if has_role(user, Role.MARKETING):
            found = _LEAD(pk)
        elif is_rep(user):
            found = _REPS_LEAD(pk, user.pk)
        else:
            found = []
        if not found:
            raise Http404("No lead here.")
        return found[0]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        lead = self.object
        transitions = _TRANSITIONS(lead.pk)
        activities = with_edit_rights(_ACTIVITIES(lead.pk), self.request.user)
        submissions = _SUBMISSIONS(lead.pk)
        # One timeline, newest first: stage changes, notes and activities, form submissions.
        context["timeline"] = sorted(
            [("transition", t.at, t) for t in transitions]
            + [("activity", a.occurred_at, a) for a in activities]
            + [("submission", s.submitted_at, s) for s in submissions],
            key=lambda item: item[1],
            reverse=True,
        )
        context["timeline_entries"] = timeline.lead_timeline(context["timeline"], lead)
        context["recycles"] = [t for t in transitions if t.to_stage == Lead.Stage.RECYCLED]
        context["activity_fields"] = blank_activity_fields()
        context["score_breakdown"] = scoring.breakdown(lead, scoring.active_rules())
        context["score_rows"] = timeline.score_rows(context["score_breakdown"])
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
    return redirect(back_to(request, lead))


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
