"""Sales' deal pages: the pipeline board, the deal list, one deal and what is done to it, stage
probabilities, and the accounts the deals are with."""

import datetime as dt
from collections import defaultdict

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.views.generic import CreateView, DetailView, FormView, TemplateView, UpdateView
from django_filters.views import FilterView

from crm.audit import HistoryMixin
from crm.db import BuiltOnce, Compiled, count_of, overall, sum_of
from crm.errors import ConflictError, TransitionError
from crm.listing import FilteredListMixin, is_filtered
from crm.pagination import CountedByTotalsMixin, IdsFirstMixin
from crm.roles import Role, RoleRequiredMixin, is_manager, role_required
from crm.validators import as_id
from leads import services, timeline
from leads.filters import AccountFilter, BoardFilter, OpportunityFilter
from leads.forms import (
    AccountForm,
    CloseLostForm,
    CloseWonForm,
    MoveForm,
    OpportunityForm,
    ReopenForm,
    StageProbabilityFormSet,
    blank_activity_fields,
)
from leads.models import (
    MONEY,
    WEIGHTED_TOTAL,
    Account,
    Activity,
    Lead,
    Opportunity,
    OpportunityStageChange,
    PipelineTally,
    Proposal,
    StageProbability,
    to_cents,
)
from leads.models.deals import visible_owner
from leads.rows import (
    ACCOUNT_ROW_FIELDS,
    CARD_FIELDS,
    DEAL_ROW_FIELDS,
    account_rows,
    board_cards,
    deal_rows,
)
from leads.views.common import back_to, with_edit_rights

# How many cards a board column shows; the deal list has the rest.
CARDS_PER_COLUMN = 20


def _filtered(request, filterset_class, queryset):
    filterset = filterset_class(
        request.GET or None, queryset=queryset, request=request, manager=is_manager(request.user)
    )
    return filterset, (filterset.qs if filterset.is_bound and filterset.is_valid() else queryset)


def _first_cards(deals):
    """Each board column's first cards in one query: the ids of each stage's first cards, read
    in order from the (stage, close date) index, put together with UNION ALL (a window over
    every open deal ranked fourteen thousand rows to keep eighty; an OR of the four lists made
    both engines scan every deal and PostgreSQL join every account). The LIMIT sits inside
    each part, where SQLite allows it."""
    firsts = [
        Opportunity.objects.filter(
            pk__in=deals.filter(stage=stage)
            .order_by("expected_close_date", "pk")
            .values("pk")[:CARDS_PER_COLUMN]
        )
        .order_by()
        .values("pk")
        for stage in Opportunity.OPEN_STAGES
    ]
    return (
        Opportunity.objects.filter(pk__in=firsts[0].union(*firsts[1:], all=True))
        .order_by("expected_close_date", "pk")
        .values_list(*CARD_FIELDS, named=True)
    )


# The bare board's cards, everyone's or one rep's, compiled once (crm.db.Compiled).
_FIRST_CARDS = Compiled(lambda: _first_cards(Opportunity.objects.open()))
_OWNERS_FIRST_CARDS = Compiled(
    lambda owner: _first_cards(Opportunity.objects.filter(owner_id=owner).open()), int
)


class PipelineBoardView(RoleRequiredMixin, TemplateView):
    """One column per open stage: the first cards by expected close date, the column's count,
    amount and weighted amount. Reps see their own deals; managers and marketing all."""

    roles = (Role.MARKETING, Role.SALES)
    template_name = "leads/pipeline_board.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        base = Opportunity.objects.visible_to(user).open()
        filterset, deals = _filtered(self.request, BoardFilter, base)
        tallied, owner = filterset.tallied_owner(user)
        if tallied:
            # Narrowed by owner alone (or not at all): the pipeline tally has the figures.
            totals = PipelineTally.by_stage(Opportunity.OPEN_STAGES, owner)
        else:
            # Annotation names must not shadow the `amount` column that WEIGHTED_TOTAL reads.
            totals = {
                row["stage"]: {
                    "count": row["n"],
                    "amount": to_cents(row["total"]),
                    "weighted": to_cents(row["total_weighted"]),
                }
                for row in deals.order_by()
                .values("stage")
                .annotate(
                    n=Count("pk"),
                    total=Coalesce(Sum("amount"), 0, output_field=MONEY),
                    total_weighted=Coalesce(WEIGHTED_TOTAL, 0, output_field=MONEY),
                )
            }
        cards = defaultdict(list)
        stages = Opportunity.OPEN_STAGES
        whose = visible_owner(user)
        if self.request.GET or whose == 0:
            first_cards = _first_cards(deals)
        else:  # the bare board, every visit alike: its query is compiled once
            first_cards = _FIRST_CARDS() if whose is None else _OWNERS_FIRST_CARDS(whose)
        for deal in first_cards:
            cards[deal.stage].append(deal)
        now, today = timezone.now(), timezone.localdate()
        csrf_token, here = get_token(self.request), self.request.get_full_path()
        context["columns"] = []
        for i, stage in enumerate(stages):
            previous = stages[i - 1] if i else None
            following = stages[i + 1] if i + 1 < len(stages) else None
            context["columns"].append(
                {
                    "stage": stage,
                    "label": stage.label,
                    "cards": cards[stage],
                    "card_html": board_cards(
                        cards[stage],
                        previous=previous and (previous.value, previous.label),
                        following=following and (following.value, following.label),
                        user=user,
                        csrf_token=csrf_token,
                        here=here,
                        now=now,
                        today=today,
                    ),
                    "count": totals.get(stage, {}).get("count", 0),
                    "amount": totals.get(stage, {}).get("amount", 0),
                    "weighted": totals.get(stage, {}).get("weighted", 0),
                }
            )
        context["board_total"] = {
            key: sum(column[key] for column in context["columns"])
            for key in ("count", "amount", "weighted")
        }
        context["filter"] = filterset
        context["filtered"] = is_filtered(self.request)
        context["query"] = self.request.GET.urlencode()
        context["cards_per_column"] = CARDS_PER_COLUMN
        return context


class OpportunityListView(RoleRequiredMixin, FilteredListMixin, IdsFirstMixin, FilterView):
    roles = (Role.MARKETING, Role.SALES)
    always_bound = True  # open deals unless the stage filter says otherwise
    filters_by_owner = True
    filterset_class = OpportunityFilter
    paginate_by = 50
    template_name = "leads/opportunity_list.html"

    def get_queryset(self):
        return Opportunity.objects.visible_to(self.request.user).order_by(
            "expected_close_date", "pk"
        )

    def page_rows(self, ids):
        return Opportunity.objects.filter(pk__in=ids).values_list(*DEAL_ROW_FIELDS, named=True)

    def list_totals(self, queryset):
        tallied, owner = self.filterset.tallied_owner(self.request.user)
        if not (tallied and self.filterset.is_valid()):
            return queryset.totals()
        # Narrowed by owner and stage alone (or not at all): the pipeline tally has them.
        stage = self.filterset.form.cleaned_data.get("stage")
        stages = {"": Opportunity.OPEN_STAGES, "all": Opportunity.Stage.values}.get(stage, [stage])
        return PipelineTally.totals(stages, owner)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["showing_open"] = not self.request.GET.get("stage")
        context["rows"] = deal_rows(context["object_list"])
        return context


class OpportunityCreateView(RoleRequiredMixin, CreateView):
    """A sales-sourced deal; deals from leads are opened by converting the lead."""

    roles = (Role.SALES,)
    model = Opportunity
    form_class = OpportunityForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs() | {"manager": is_manager(self.request.user)}
        account = as_id(self.request.GET.get("account", ""))
        if account is not None:
            name = Account.objects.filter(pk=account).values_list("name", flat=True).first()
            kwargs.setdefault("initial", {})["account_name"] = name
        return kwargs

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            self.object = services.opportunity_create(
                by=self.request.user,
                name=data["name"],
                amount=data["amount"],
                expected_close_date=data["expected_close_date"],
                account_name=data["account_name"],
                owner=data.get("owner"),
                type=data["type"],
                product=data["product"],
            )
        except TransitionError as e:
            form.add_error(None, str(e))
            return self.form_invalid(form)
        messages.success(self.request, f"{self.object} is open in discovery.")
        return redirect(self.object)


class OpportunityUpdateView(RoleRequiredMixin, UpdateView):
    roles = (Role.SALES,)
    form_class = OpportunityForm

    def get_queryset(self):
        return Opportunity.objects.visible_to(self.request.user).select_related("account")

    def get_form_kwargs(self):
        return super().get_form_kwargs() | {"manager": is_manager(self.request.user)}

    def get_object(self, queryset=None):
        opportunity = super().get_object(queryset)
        if not opportunity.is_sales_actor(self.request.user):
            raise Http404("Not your deal.")
        return opportunity

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        if not self.object.is_open:
            messages.error(request, f"{self.object} is closed: a manager reopens it first.")
            return redirect(self.object)
        return self.render_to_response(self.get_context_data())  # the deal is read once

    def form_valid(self, form):
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        changes.pop("version", None)
        if "account_name" in changes and (
            changes["account_name"].casefold() == self.object.account.name.casefold()
        ):
            del changes["account_name"]  # the same account, written another way
        try:
            services.opportunity_update(
                opportunity=Opportunity.objects.get(pk=self.object.pk),
                by=self.request.user,
                version=form.cleaned_data["version"],
                **changes,
            )
        except ConflictError as e:
            # The form keeps what this person typed; sent again, it is made from the version
            # they have now been told about.
            form.data = form.data.copy()
            form.data["version"] = Opportunity.objects.get(pk=self.object.pk).version
            form.add_error(None, str(e))
            return self.form_invalid(form)
        except TransitionError as e:
            form.add_error(None, str(e))
            return self.form_invalid(form)
        messages.success(self.request, f"{self.object} is saved.")
        return redirect(self.object)


def stage_durations(changes, now, is_open: bool) -> list[tuple[str, object]]:
    """How long the deal spent in each stage it was in, in the order it first reached them,
    from its history rows (oldest first). An open deal is still in its last stage."""
    spent = {}
    for i, change in enumerate(changes):
        following = changes[i + 1] if i + 1 < len(changes) else None
        end = following.at if following else (now if is_open else None)
        if end is None:
            continue
        spent[change.to_stage] = spent.get(change.to_stage, timezone.timedelta()) + (
            end - change.at
        )
    labels = dict(Opportunity.Stage.choices)
    return [(labels[stage], duration) for stage, duration in spent.items()]


def _deal_page(queryset):
    return queryset.select_related("account", "owner", "lead__campaign")


# A deal page's reads, compiled once (crm.db.Compiled), as a lead page's are.
_DEAL = Compiled(lambda pk: _deal_page(Opportunity.objects.filter(pk=pk)), int)
_OWNERS_DEAL = Compiled(
    lambda pk, owner: _deal_page(Opportunity.objects.filter(pk=pk, owner_id=owner)), int, int
)
_STAGE_CHANGES = Compiled(
    lambda deal: OpportunityStageChange.objects.filter(opportunity_id=deal).select_related("actor"),
    int,
)
_DEAL_PROPOSALS = Compiled(
    lambda deal, today: (
        Proposal.objects.filter(opportunity_id=deal).select_related("author").with_state(today)
    ),
    int,
    dt.date,
)
_DEAL_ACTIVITIES = Compiled(
    lambda deal: Activity.objects.filter(opportunity_id=deal).select_related("author")[:50], int
)


class OpportunityDetailView(RoleRequiredMixin, HistoryMixin, DetailView):
    roles = (Role.MARKETING, Role.SALES)

    def get_queryset(self):
        return _deal_page(Opportunity.objects.visible_to(self.request.user))

    def get_object(self, queryset=None):
        """The deal, as `get_queryset` would find it, read by a compiled query."""
        pk, owner = self.kwargs["pk"], visible_owner(self.request.user)
        found = _DEAL(pk) if owner is None else _OWNERS_DEAL(pk, owner) if owner else []
        if not found:
            raise Http404("No deal here.")
        return found[0]

    def get_context_data(self, bound_forms=None, open_action="", **kwargs):
        context = super().get_context_data(**kwargs)
        opportunity, user = self.object, self.request.user
        changes = _STAGE_CHANGES(opportunity.pk)
        context["durations"] = stage_durations(changes, timezone.now(), opportunity.is_open)
        context["proposals"] = _DEAL_PROPOSALS(opportunity.pk, timezone.localdate())
        context["stage_history"] = timeline.deal_history(changes)
        context["activities"] = timeline.activity_entries(
            with_edit_rights(_DEAL_ACTIVITIES(opportunity.pk), user)
        )
        acts = opportunity.is_sales_actor(user)
        context["activity_fields"] = blank_activity_fields() if acts else None
        bound = bound_forms or {}
        forms = {}
        seen = {"version": opportunity.version}
        if acts and opportunity.is_open:
            forms["move"] = bound.get("move") or MoveForm(
                initial={"stage": _next_stage(opportunity.stage), **seen}
            )
            forms["won"] = bound.get("won") or CloseWonForm(initial=seen)
            forms["lost"] = bound.get("lost") or CloseLostForm(initial=seen)
        if opportunity.can_be_reopened_by(user):
            forms["reopen"] = bound.get("reopen") or ReopenForm(initial=seen)
        context["action_forms"] = forms
        context["can_act"] = acts
        context["open_action"] = open_action or self.request.GET.get("action", "")
        return context


def _next_stage(stage):
    stages = Opportunity.OPEN_STAGES
    return stages[min(stages.index(stage) + 1, len(stages) - 1)]


# action → (form, what it does, the message when it worked)
DEAL_ACTIONS = {
    "move": (
        MoveForm,
        lambda deal, by, data: services.opportunity_move(opportunity=deal, by=by, **data),
        "{deal} moved to {stage}.",
    ),
    "won": (
        CloseWonForm,
        lambda deal, by, data: services.opportunity_close_won(opportunity=deal, by=by, **data),
        "{deal} is won. {account} is a customer.",
    ),
    "lost": (
        CloseLostForm,
        lambda deal, by, data: services.opportunity_close_lost(opportunity=deal, by=by, **data),
        "{deal} is closed as lost.",
    ),
    "reopen": (
        ReopenForm,
        lambda deal, by, data: services.opportunity_reopen(opportunity=deal, by=by, **data),
        "{deal} is open again, in {stage}.",
    ),
}


@role_required(Role.SALES)
@require_POST
def opportunity_action(request, pk, action):
    """One change to one deal through its service: a board move, close won or lost, reopen."""
    if action not in DEAL_ACTIONS:
        raise Http404("No such action.")
    deal = get_object_or_404(Opportunity.objects.visible_to(request.user), pk=pk)
    form_class, run, done = DEAL_ACTIONS[action]
    form = form_class(request.POST)
    if not form.is_valid():
        if "next" in request.POST and action == "move":
            messages.error(request, "Choose an open stage to move the deal to.")
            return redirect(back_to(request, deal))
        messages.error(request, "Nothing changed: correct the highlighted fields.")
        view = OpportunityDetailView(request=request, kwargs={"pk": pk})
        view.object = deal
        context = view.get_context_data(object=deal, bound_forms={action: form}, open_action=action)
        return view.render_to_response(context, status=400)
    try:
        run(deal, request.user, form.cleaned_data)
    except TransitionError as e:
        messages.error(request, str(e))
        return redirect(back_to(request, deal))
    deal.refresh_from_db()
    messages.success(
        request,
        done.format(deal=deal, stage=deal.get_stage_display(), account=deal.account),
    )
    return redirect(back_to(request, deal))


class StageProbabilityView(RoleRequiredMixin, FormView):
    """Managers set each open stage's chance of winning; deals take it on their next move."""

    roles = (Role.MANAGERS,)
    template_name = "leads/stage_probabilities.html"
    form_class = StageProbabilityFormSet

    def get_form_kwargs(self):
        return super().get_form_kwargs() | {"queryset": StageProbability.objects.all()}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        order = {stage: i for i, stage in enumerate(Opportunity.OPEN_STAGES)}
        # The stored rows in stage order (a tampered post's unknown rows last, as errors).
        context["rows"] = sorted(
            context["form"].initial_forms, key=lambda f: order.get(f.instance.stage, len(order))
        )
        context["closed"] = [
            (s.label, Opportunity.DEFAULT_PROBABILITY[s])
            for s in (Opportunity.Stage.WON, Opportunity.Stage.LOST)
        ]
        return context

    def form_valid(self, formset):
        with transaction.atomic():
            for form in formset.initial_forms:  # the stored rows, whatever count was posted
                if form.has_changed():
                    row = form.save(commit=False)
                    row.updated_by = self.request.user
                    row.save()
        messages.success(
            self.request, "Stage probabilities saved: deals take them on their next move."
        )
        return redirect("leads:stage-probabilities")


# --- Accounts ---------------------------------------------------------------------------------


_ACCOUNTS_WITH_FIGURES = BuiltOnce(
    lambda: Account.objects.select_related("owner").annotate(
        won_revenue=sum_of(Opportunity.objects.won(), "amount", "account"),
        open_pipeline=sum_of(Opportunity.objects.open(), "amount", "account"),
        deal_count=count_of(Opportunity.objects.all(), "account"),
        won_count=count_of(Opportunity.objects.won(), "account"),
        contact_count=count_of(Lead.objects.all(), "account"),
    )
)


def _accounts_with_figures(user):
    return _ACCOUNTS_WITH_FIGURES().visible_to(user)


# How many accounts, and how many of them customers, in one query. COUNT(*) and
# COUNT(customer_since) (which skips nulls): PostgreSQL answers them from an index alone, where
# COUNT(id) FILTER (WHERE …) read every row (5 → 3 ms at 25,600).
ACCOUNT_TOTALS = {"count": Count("*"), "customers": Count("customer_since")}
# The bare list's, compiled once (crm.db.Compiled).
_ALL_ACCOUNTS_TOTALS = Compiled(lambda: overall(Account.objects.all(), **ACCOUNT_TOTALS))
_FIRST_ACCOUNTS = Compiled(
    lambda: (
        _ACCOUNTS_WITH_FIGURES()
        .order_by("name", "pk")
        .values_list(*ACCOUNT_ROW_FIELDS, named=True)[: AccountListView.paginate_by]
    )
)


class AccountListView(RoleRequiredMixin, FilteredListMixin, CountedByTotalsMixin, FilterView):
    roles = (Role.MARKETING, Role.SALES)
    filterset_class = AccountFilter
    paginate_by = 50
    template_name = "leads/account_list.html"

    def get_queryset(self):
        # Read as values: the page shows a few columns, not fifty Account instances.
        return (
            _accounts_with_figures(self.request.user)
            .order_by("name", "pk")
            .values_list(*ACCOUNT_ROW_FIELDS, named=True)
        )

    def list_totals(self, queryset):
        return queryset.aggregate(**ACCOUNT_TOTALS)

    def bare_visit(self):
        # Every account: what each role that may open the list reads.
        (totals,) = _ALL_ACCOUNTS_TOTALS()
        del totals["overall"]
        return totals, _FIRST_ACCOUNTS()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["rows"] = account_rows(context["object_list"])
        return context


class AccountDetailView(RoleRequiredMixin, DetailView):
    roles = (Role.MARKETING, Role.SALES)

    def get_queryset(self):
        return _accounts_with_figures(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        account, user = self.object, self.request.user
        context["opportunities"] = (
            Opportunity.objects.visible_to(user)
            .filter(account=account)
            .select_related("owner")
            .order_by("-created_at")[:50]
        )
        context["contacts"] = Lead.objects.visible_to(user).filter(account=account)[:50]
        return context


class AccountUpdateView(RoleRequiredMixin, UpdateView):
    roles = (Role.SALES,)
    form_class = AccountForm
    model = Account

    def form_valid(self, form):
        messages.success(self.request, f"{form.instance} is saved.")
        return super().form_valid(form)
