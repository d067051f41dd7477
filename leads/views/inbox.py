"""The rep's inbox: what waits for sales, by SLA due time."""

import datetime as dt
from functools import partial

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.views.generic import (
    TemplateView,
)

from crm.db import Compiled
from crm.listing import is_filtered
from crm.roles import Role, RoleRequiredMixin, is_manager, role_required
from crm.templatetags.fields import select_options
from leads import services
from leads.assignment import active_reps
from leads.filters import InboxFilter
from leads.forms import (
    ReassignForm,
)
from leads.models import (
    AcceptedLeadTally,
    Lead,
)
from leads.rows import INBOX_ROW_FIELDS, inbox_rows
from leads.views.common import apply_to_each, back_to, ticked_ids
from reports import workhours
from reports.models import Quota

INBOX_PAGE_SIZE = 25
AT_RISK_WITHIN = dt.timedelta(hours=2)


class DueClock:
    """The response clock of MQLs, in the working hours of the SLA each one arrived under."""

    def __init__(self, now):
        self.now = now
        self.history = workhours.SlaHistory()

    def badge(self, lead) -> tuple[str, str] | None:
        """("due in 2 h 10 min" or "overdue by 1 day", css) for an MQL waiting for sales."""
        if lead.stage != Lead.Stage.MQL or not lead.response_due_at or not lead.mql_at:
            return None
        schedule = self.history.schedule_at(lead.mql_at)
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


def inbox_tallies(scope, *, mine: Q, late: Q, soon: Q, accepted_tally: bool = False):
    """The inbox's leads tallied in one query of three rows: the user's MQLs (`mine`: a rep's
    own, for a manager every assigned one) and the unassigned ones, each with how many are
    overdue (`late`) and about to breach (`soon`), and the user's SALs.

    Three parts joined by UNION ALL, each read from the (stage, owner, due) index and each an
    aggregate without GROUP BY (its stage is a constant): grouped by stage, SQLite took twice
    as long to count a manager's 15,000 SALs, and counting when they were due, which no tab
    shows, as long again (4.7 ms for the three, now 1.5 ms). With `accepted_tally` (every
    rep's SALs, unfiltered: a manager's bare inbox) the SALs are the accepted-lead tally's
    sum, a row per rep, where PostgreSQL took 2.7 ms to count them."""
    nothing = Value(0, output_field=IntegerField())

    def part(condition: Q, stage: str, unassigned: bool, *, due: bool):
        return (
            scope.filter(condition, stage=stage)
            .annotate(tally_stage=Value(stage), unassigned=Value(unassigned))
            .values("tally_stage", "unassigned")  # constants: no GROUP BY
            .annotate(
                n=Count("pk"),
                late=Count("pk", filter=late) if due else nothing,
                soon=Count("pk", filter=soon) if due else nothing,
            )
            .order_by()
        )

    accepted = (
        AcceptedLeadTally.objects.annotate(
            tally_stage=Value(Lead.Stage.SAL), unassigned=Value(False)
        )
        .values("tally_stage", "unassigned")
        .annotate(n=Coalesce(Sum("leads"), 0), late=nothing, soon=nothing)
        .order_by()
        if accepted_tally
        else part(mine, Lead.Stage.SAL, False, due=False)
    )
    return part(mine, Lead.Stage.MQL, False, due=True).union(
        accepted,
        part(Q(owner__isnull=True), Lead.Stage.MQL, True, due=True),
        all=True,
    )


def inbox_counts(tallies) -> dict[str, int]:
    """Every inbox tab's count, from the rows of `inbox_tallies`."""
    found = {(row["tally_stage"], bool(row["unassigned"])): row for row in tallies}
    none = {"n": 0, "late": 0, "soon": 0}
    mine_mql = found.get((Lead.Stage.MQL, False), none)
    queue = found.get((Lead.Stage.MQL, True), none)
    return {
        "to-accept": mine_mql["n"],
        "to-qualify": found.get((Lead.Stage.SAL, False), none)["n"],
        "queue": queue["n"],
        "overdue": mine_mql["late"] + queue["late"],
        "at-risk": mine_mql["soon"] + queue["soon"],
    }


class Inbox:
    """What one user's inbox shows at one moment: its tabs (title, condition, order), its
    counts and its rows, over `scope` (the leads the filters let through)."""

    def __init__(self, *, manager: bool, mine: Q, now, soon_until):
        self.manager, self.mine = manager, mine
        mql, sal = Q(stage=Lead.Stage.MQL), Q(stage=Lead.Stage.SAL)
        self.late = Q(response_due_at__lt=now)
        self.soon = Q(response_due_at__gte=now, response_due_at__lt=soon_until)
        self.sections = {
            "to-accept": ("New MQLs to accept or reject", mql & mine, ["response_due_at", "pk"]),
            "to-qualify": ("Accepted — to qualify", sal & mine, ["accepted_at", "pk"]),
            "queue": ("Unassigned queue", mql & Q(owner__isnull=True), ["response_due_at", "pk"]),
            "overdue": (
                "Overdue",
                mql & self.late & (mine | Q(owner__isnull=True)),
                ["response_due_at", "pk"],
            ),
        }
        if manager:
            self.sections["at-risk"] = (
                "About to breach",
                mql & self.soon,
                ["response_due_at", "pk"],
            )

    def tallies(self, scope, *, accepted_tally: bool = False):
        return inbox_tallies(
            scope, mine=self.mine, late=self.late, soon=self.soon, accepted_tally=accepted_tally
        )

    def leads(self, scope, key: str):
        _, condition, order = self.sections[key]
        # The filters, over every lead: each section names its own stage. (The counts read the
        # two inbox stages; with that condition repeated in a section's list, PostgreSQL took
        # the list for 22 rows where it holds thousands and sorted them all.)
        return scope.filter(condition).order_by(*order).values_list(*INBOX_ROW_FIELDS, named=True)


def _compiled_inbox(manager: bool, read):
    """`read(inbox)`'s query for the unfiltered inbox, compiled once (crm.db.Compiled): a rep's
    takes the rep's id and the time, a manager's the time."""
    if manager:
        return Compiled(
            lambda now, until: read(
                Inbox(manager=True, mine=Q(owner__isnull=False), now=now, soon_until=until)
            ),
            dt.datetime,
            dt.datetime,
        )
    return Compiled(
        lambda rep, now, until: read(
            Inbox(manager=False, mine=Q(owner_id=rep), now=now, soon_until=until)
        ),
        int,
        dt.datetime,
        dt.datetime,
    )


# A bare visit's counts and first page, by manager or rep (and tab): two thirds of what the
# ORM spent on the inbox was building and compiling these, every visit alike.
_TALLIES = {
    manager: _compiled_inbox(
        manager, lambda inbox: inbox.tallies(Lead.objects.all(), accepted_tally=inbox.manager)
    )
    for manager in (False, True)
}
_FIRST_PAGES = {
    (manager, key): _compiled_inbox(
        manager,
        lambda inbox, key=key: inbox.leads(Lead.objects.all(), key)[:INBOX_PAGE_SIZE],
    )
    for manager in (False, True)
    for key in ("to-accept", "to-qualify", "queue", "overdue", "at-risk")
    if manager or key != "at-risk"
}
_QUOTAS = Compiled(
    lambda rep, day: (
        Quota.objects.filter(rep_id=rep).covering(day).with_attainment().order_by("period")
    ),
    int,
    dt.date,
)


# The reps a manager may hand leads to (what ReassignForm offers): the form's own drop-down
# read them through the ORM on every visit, 0.5 ms.
_ACTIVE_REPS = Compiled(lambda: active_reps().values_list("pk", "username"))


def _reassign_options():
    return select_options(_ACTIVE_REPS(), empty_label=ReassignForm.base_fields["owner"].empty_label)


class _SectionLeads:
    """A section's leads as the paginator slices them: its first page from `first_page()` when
    there is one (the compiled query), any other from the queryset `build()` gives, built only
    then."""

    def __init__(self, build, first_page=None):
        self.build, self.first_page = build, first_page

    def __getitem__(self, rows: slice):
        if rows.start == 0 and self.first_page is not None:
            return self.first_page()
        return self.build()[rows]


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
            queryset=Lead.objects.all(),
            request=self.request,
            manager=manager,
        )
        mine = Q(owner__isnull=False) if manager else Q(owner=user)
        soon_until = now + AT_RISK_WITHIN
        inbox = Inbox(manager=manager, mine=mine, now=now, soon_until=soon_until)
        key = self.request.GET.get("section", "to-accept")
        if key not in inbox.sections:
            key = "to-accept"
        filtered = is_filtered(self.request, ignore={"page", "section"})
        values = (now, soon_until) if manager else (user.pk, now, soon_until)
        if filtered:
            counts = inbox_counts(inbox.tallies(filterset.qs))
        else:
            counts = inbox_counts(_TALLIES[manager](*values))
        first_page = None if filtered else partial(_FIRST_PAGES[manager, key], *values)
        # The filtered leads only when a page needs them: filtering validates the filter form.
        leads = _SectionLeads(lambda: inbox.leads(filterset.qs, key), first_page)
        paginator = Paginator(leads, INBOX_PAGE_SIZE)
        paginator.count = counts[key]  # already counted with the others
        page = paginator.get_page(self.request.GET.get("page"))
        clock = DueClock(now)
        rows = [(lead, clock.badge(lead)) for lead in page.object_list]
        context = super().get_context_data(**kwargs)
        context.update(
            filter=filterset,
            tabs=[(k, label, counts[k]) for k, (label, _, _) in inbox.sections.items()],
            section=key,
            section_title=inbox.sections[key][0],
            rows=rows,
            row_html=inbox_rows(rows, show_owner=manager),
            page_obj=page,
            is_paginated=page.has_other_pages(),
            show_owner=manager,
            reassign_options=_reassign_options() if manager else None,
            quotas=[] if manager else _QUOTAS(user.pk, timezone.localdate(now)),
            filtered=filtered,
        )
        return context


@role_required(Role.SALES)
@require_POST
def inbox_bulk(request):
    """Accept, claim or (managers) reassign the ticked leads, one service call each."""
    action = request.POST.get("action")
    ids = ticked_ids(request, limit=100)
    leads = Lead.objects.visible_to(request.user).filter(pk__in=ids).order_by("pk")
    if action == "accept":
        run = lambda lead: services.lead_accept(lead=lead, by=request.user)  # noqa: E731
    elif action == "claim":
        run = lambda lead: services.lead_claim(lead=lead, by=request.user)  # noqa: E731
    elif action == "reassign":
        form = ReassignForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose the rep to reassign the leads to.")
            return redirect(back_to(request, "leads:inbox"))
        to = form.cleaned_data["owner"]
        run = lambda lead: services.lead_reassign(lead=lead, by=request.user, to=to)  # noqa: E731
    else:
        messages.error(request, "Choose what to do with the ticked leads.")
        return redirect(back_to(request, "leads:inbox"))
    if not ids:
        messages.error(request, "Tick the leads first.")
    verb = {"accept": "Accepted", "claim": "Claimed", "reassign": "Reassigned"}[action]
    apply_to_each(request, leads, run, done=verb + " {count} lead{s}.", refused_word="not done")
    return redirect(back_to(request, "leads:inbox"))
