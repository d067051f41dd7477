"""The shared definitions of every funnel and money metric. Pages, CSV downloads and the SLA
page all compute through here, so the two teams read one set of numbers.

A lead "reached" a stage when the transition log has it entering that stage at least once, so a
lead that was accepted, recycled and re-sent still counts once as an SAL.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    DecimalField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber, TruncDate, TruncMonth
from django.utils import timezone

from campaigns.models import SpendEntry
from crm.db import Compiled
from leads.models import (
    REASON_LABELS,
    WEIGHTED_TOTAL,
    Account,
    Activity,
    Lead,
    LeadTransition,
    Opportunity,
    OpportunityStageChange,
)
from reports.models import Quota
from reports.periods import Period

MONEY = DecimalField(max_digits=14, decimal_places=2)


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: Decimal | int | None  # None: not defined (a division by zero), shown as "—"
    kind: str  # "count", "money" or "ratio"
    formula: str


def ratio(numerator, denominator) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001"))


def money_per(amount: Decimal, count: int) -> Decimal | None:
    if not count:
        return None
    return (Decimal(amount) / count).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Scope:
    """What a report page counts: a period and the campaign, channel and rep filters."""

    period: Period
    campaign: object = None
    channel: str | None = None
    rep: object = None

    @property
    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        return self.period.bounds

    def on_leads(self, queryset, path: str = ""):
        """The campaign and channel filters, on a queryset that reaches the lead by `path`."""
        if self.campaign:
            queryset = queryset.filter(**{f"{path}campaign": self.campaign})
        if self.channel:
            queryset = queryset.filter(**{f"{path}channel": self.channel})
        return queryset

    def on_moves(self, queryset):
        """The campaign and channel filters on lead moves, by the source each move carries."""
        return self.on_leads(queryset)

    def by_rep(self, queryset, field: str):
        return queryset.filter(**{field: self.rep}) if self.rep else queryset


def percentiles(rows, value: str, percents, group: str | None = None) -> list[dict]:
    """The nearest-rank percentiles of `value` over `rows`, within each `group` value (or over
    all rows): one query per percentile, whatever the number of rows. Returns, per percent,
    {group value: value} ({None: value} without a group)."""
    partition = [F(group)] if group else None
    found = []
    for percent in percents:
        # ceil(n × p / 100) in integer arithmetic, so both engines agree at every n.
        rank = ExpressionWrapper((F("n") * percent + 99) / 100, output_field=IntegerField())
        picked = (
            rows.order_by()
            .annotate(
                position=Window(
                    RowNumber(), partition_by=partition, order_by=[F(value).asc(), F("pk").asc()]
                ),
                n=Window(Count("pk"), partition_by=partition),
            )
            .filter(position=rank)
        )
        if group:
            found.append(dict(picked.values_list(group, value)))
        else:
            found.append({None: next(iter(picked.values_list(value, flat=True)), None)})
    return found


def _per_campaign(queryset, campaign_field: str, **figures):
    """`figures` over one campaign's rows, as one row grouped by the campaign (none when it has
    no rows): an aggregate() a compiled query can hold."""
    return lambda campaign: (
        queryset.filter(**{campaign_field: campaign})
        .order_by()
        .values(campaign_field)
        .annotate(**figures)
    )


# A campaign page's figures, compiled once (crm.db.Compiled).
_SPEND = Compiled(_per_campaign(SpendEntry.objects.all(), "campaign_id", spend=Sum("amount")), int)
_REACHED = Compiled(
    _per_campaign(
        Lead.objects.all(),
        "campaign_id",
        leads=Count("pk"),
        mqls=Count("pk", filter=Q(reached_mql=True)),
        sals=Count("pk", filter=Q(reached_sal=True)),
        sqls=Count("pk", filter=Q(reached_sql=True)),
    ),
    int,
)
_DEALS = Compiled(
    _per_campaign(
        # Only a converted lead has a deal (lead_convert; conversion is final): said here, so
        # the campaign's converted leads are read from their own index.
        Opportunity.objects.filter(lead__stage=Lead.Stage.CONVERTED),
        "lead__campaign_id",
        opportunities=Count("pk"),
        won=Count("pk", filter=Q(stage=Opportunity.Stage.WON)),
        revenue=Sum("amount", filter=Q(stage=Opportunity.Stage.WON)),
        new_customers=Count(
            "account",
            distinct=True,
            filter=Q(stage=Opportunity.Stage.WON, type=Opportunity.Type.NEW_BUSINESS),
        ),
    ),
    int,
)


def campaign_figures(campaign) -> list[Figure]:
    """The headline figures of one campaign, in three queries whatever its size."""
    (spent,) = _SPEND(campaign.pk) or [{}]
    spend = spent.get("spend") or Decimal("0.00")
    (reached,) = _REACHED(campaign.pk) or [{"leads": 0, "mqls": 0, "sals": 0, "sqls": 0}]
    (deals,) = _DEALS(campaign.pk) or [{"opportunities": 0, "won": 0, "new_customers": 0}]
    deals["revenue"] = deals.get("revenue") or Decimal("0.00")
    leads, mqls, sals, sqls = (reached[key] for key in ("leads", "mqls", "sals", "sqls"))
    revenue = deals["revenue"]
    return [
        Figure("spend", "Spend", spend, "money", "Sum of the campaign's spend entries"),
        Figure("leads", "Leads", leads, "count", "Leads whose source is this campaign"),
        Figure("mqls", "MQLs", mqls, "count", "Leads that became an MQL at least once"),
        Figure("sals", "SALs", sals, "count", "Leads sales accepted at least once"),
        Figure("sqls", "SQLs", sqls, "count", "Leads sales qualified at least once"),
        Figure(
            "opportunities",
            "Opportunities",
            deals["opportunities"],
            "count",
            "Deals converted from the campaign's leads",
        ),
        Figure("won", "Won deals", deals["won"], "count", "Those deals closed won"),
        Figure("revenue", "Won revenue", revenue, "money", "Sum of the won deals' amounts"),
        Figure("cpl", "Cost per lead", money_per(spend, leads), "money", "Spend ÷ leads"),
        Figure("cpmql", "Cost per MQL", money_per(spend, mqls), "money", "Spend ÷ MQLs"),
        Figure("cpsql", "Cost per SQL", money_per(spend, sqls), "money", "Spend ÷ SQLs"),
        Figure(
            "cac",
            "CAC",
            money_per(spend, deals["new_customers"]),
            "money",
            "Spend ÷ new customers won (accounts whose new-business deal closed won)",
        ),
        Figure(
            "roi",
            "ROI",
            ratio(revenue - spend, spend),
            "ratio",
            "(Won revenue − spend) ÷ spend",
        ),
    ]


# --- Funnel -----------------------------------------------------------------------------------

FUNNEL_STEPS = [
    ("leads", "Leads", "Leads created in the period (the cohort)"),
    ("mqls", "MQL", "Of the cohort, leads that became an MQL at least once"),
    ("sals", "SAL", "Of the cohort, leads sales accepted at least once"),
    ("sqls", "SQL", "Of the cohort, leads sales qualified at least once"),
    ("opportunities", "Opportunity", "Of the cohort, leads converted to a deal"),
    ("won", "Won", "Of the cohort, leads whose deal closed won"),
]


def funnel_counts(scope: Scope, group_by: str | None = None) -> list[dict]:
    """How many of the scope's cohort reached each step, once per lead however often it went
    round; one row in all, or one per value of `group_by` (e.g. "channel"). Two queries: the
    leads with the stages they reached (kept on each lead from its transition log), and their
    deals."""
    leads = cohort(scope)
    tally = {
        "leads": Count("pk"),
        "mqls": Count("pk", filter=Q(reached_mql=True)),
        "sals": Count("pk", filter=Q(reached_sal=True)),
        "sqls": Count("pk", filter=Q(reached_sql=True)),
    }
    deal_tally = {
        "opportunities": Count("pk"),
        "won": Count("pk", filter=Q(stage=Opportunity.Stage.WON)),
    }
    deals = Opportunity.objects.filter(cohort_q(scope, "lead__")).order_by()
    if not group_by:
        row = leads.order_by().aggregate(**tally) | deals.aggregate(**deal_tally)
        return [row]
    rows = {
        row[group_by]: row | {"opportunities": 0, "won": 0}
        for row in leads.order_by().values(group_by).annotate(**tally)
    }
    for row in deals.values(f"lead__{group_by}").annotate(**deal_tally):
        found = rows.get(row[f"lead__{group_by}"])
        if found is not None:
            found.update(opportunities=row["opportunities"], won=row["won"])
    return sorted(rows.values(), key=lambda row: (-row["leads"], str(row[group_by] or "")))


def funnel_steps(row: dict) -> list[dict]:
    """Each step with its count, the conversion from the step before and the drop-off."""
    steps, previous = [], None
    for key, label, formula in FUNNEL_STEPS:
        count = row[key]
        steps.append(
            {
                "key": key,
                "label": label,
                "count": count,
                "formula": formula,
                "from_previous": None if previous is None else ratio(count, previous),
                "dropped": None if previous is None else previous - count,
            }
        )
        previous = count
    return steps


def mql_to_sql(row: dict) -> Decimal | None:
    """The handoff's headline: of the leads that became MQLs, the share sales qualified."""
    return ratio(row["sqls"], row["mqls"])


def cohort_q(scope: Scope, path: str = "") -> Q:
    """The leads created in the scope's period (the funnel's and campaign report's cohort),
    as a condition on a model that reaches the lead through `path` ("" or "lead__"): deals are
    filtered by a join, not by an IN list of half a million lead ids."""
    start, end = scope.bounds
    q = Q(**{f"{path}created_at__gte": start, f"{path}created_at__lt": end})
    if scope.campaign:
        q &= Q(**{f"{path}campaign": scope.campaign})
    if scope.channel:
        q &= Q(**{f"{path}channel": scope.channel})
    if scope.rep:
        q &= Q(**{f"{path}owner": scope.rep})
    return q


def cohort(scope: Scope):
    return Lead.objects.filter(cohort_q(scope))


# --- Campaign performance ---------------------------------------------------------------------

CAMPAIGN_COLUMNS = [
    ("spend", "Spend", "money", "Spend entries dated in the period"),
    ("leads", "Leads", "count", "Leads created in the period (the cohort)"),
    ("mqls", "MQLs", "count", "Of the cohort, leads that became an MQL at least once"),
    ("sqls", "SQLs", "count", "Of the cohort, leads sales qualified at least once"),
    ("opportunities", "Opportunities", "count", "Of the cohort, leads converted to a deal"),
    ("won", "Won", "count", "Of the cohort, leads whose deal closed won"),
    ("revenue", "Revenue", "money", "Amounts of the cohort's won deals"),
    ("cpl", "Cost per lead", "money", "Spend ÷ leads"),
    ("cpmql", "Cost per MQL", "money", "Spend ÷ MQLs"),
    ("cac", "CAC", "money", "Spend ÷ new customers (accounts won by a new-business deal)"),
    ("roi", "ROI", "ratio", "(Revenue − spend) ÷ spend"),
]


def campaign_performance(scope: Scope, by: str) -> tuple[list[dict], dict]:
    """Per campaign (`by`="campaign") or per channel ("channel"): spend in the period and what
    the period's leads became. Returns the rows (with a "key") and the total row."""
    first, last = scope.period.first, scope.period.last
    spend_path = "campaign" if by == "campaign" else "campaign__channel"
    spend_entries = SpendEntry.objects.filter(date__gte=first, date__lte=last)
    if scope.campaign:
        spend_entries = spend_entries.filter(campaign=scope.campaign)
    if scope.channel:
        spend_entries = spend_entries.filter(campaign__channel=scope.channel)
    spend = dict(spend_entries.order_by().values_list(spend_path).annotate(total=Sum("amount")))
    won = Opportunity.objects.won().filter(cohort_q(scope, "lead__")).order_by()
    money = {
        row[f"lead__{by}"]: row
        for row in won.values(f"lead__{by}").annotate(
            revenue=Sum("amount"),
            new_customers=Count(
                "account", distinct=True, filter=Q(type=Opportunity.Type.NEW_BUSINESS)
            ),
        )
    }
    counts = {row[by]: row for row in funnel_counts(scope, by)}
    rows = []
    for key in {*counts, *spend, *money}:
        funnel = counts.get(key, {})
        row = {"key": key, **{k: funnel.get(k, 0) for k, _, _ in FUNNEL_STEPS}}
        row["spend"] = spend.get(key) or Decimal("0")
        row["revenue"] = money.get(key, {}).get("revenue") or Decimal("0")
        row["new_customers"] = money.get(key, {}).get("new_customers", 0)
        rows.append(_campaign_ratios(row))
    total = {k: sum(row[k] for row in rows) for k in ("spend", "revenue", "new_customers")}
    total |= {k: sum(row[k] for row in rows) for k, _, _ in FUNNEL_STEPS}
    # An account won through two campaigns is one new customer overall.
    total["new_customers"] = won.aggregate(
        n=Count("account", distinct=True, filter=Q(type=Opportunity.Type.NEW_BUSINESS))
    )["n"]
    return rows, _campaign_ratios(total)


def _campaign_ratios(row: dict) -> dict:
    spend = Decimal(row["spend"])
    row["cpl"] = money_per(spend, row["leads"])
    row["cpmql"] = money_per(spend, row["mqls"])
    row["cac"] = money_per(spend, row["new_customers"])
    row["roi"] = ratio(Decimal(row["revenue"]) - spend, spend)
    return row


# --- Lead response ----------------------------------------------------------------------------

MQL = Lead.Stage.MQL


def answers(start: dt.datetime, end: dt.datetime):
    """Sales' answers (accept or reject) to the MQL passes that began in [start, end): each
    row carries its pass's start and due time, the rep who answered and the response time."""
    return LeadTransition.objects.filter(
        from_stage=MQL, pass_started_at__gte=start, pass_started_at__lt=end
    ).order_by()


def unanswered(start: dt.datetime, end: dt.datetime):
    """The passes that began in [start, end) and still wait for an answer: a lead waits only
    on its current pass."""
    return Lead.objects.filter(stage=MQL, mql_at__gte=start, mql_at__lt=end).order_by()


def mql_moves(start: dt.datetime, end: dt.datetime):
    """Moves to MQL in [start, end): each is an MQL pass; a lead delivered is one with any."""
    return LeadTransition.objects.filter(to_stage=MQL, at__gte=start, at__lt=end).order_by()


def first_contacts(start: dt.datetime, end: dt.datetime, now: dt.datetime) -> dict:
    """The SLA's first-contact promise for the MQL passes begun in [start, end) that sales did
    not reject: contacted (a call, e-mail or meeting logged on the lead) by the due time, late
    (no such touch by a due time already gone) and still open."""
    passes = mql_moves(start, end).filter(contact_due_at__isnull=False)
    # Not bounded by the period like the touches below: a range on `pass_started_at` beside
    # the exact match takes SQLite off the exact match (minutes at a million leads), and a
    # bound on the answer's time sends it to a lookup per lead.
    rejected = LeadTransition.objects.filter(
        from_stage=MQL,
        pass_started_at=OuterRef("at"),
        lead=OuterRef("lead"),
        to_stage=Lead.Stage.RECYCLED,
    )
    # The bound on `start` repeats what the correlation implies, so that a database joining
    # the two sides as sets reads only the period's touches.
    contacted = Exists(
        Activity.objects.filter(
            Q(occurred_at__gte=start),
            lead=OuterRef("lead"),
            kind__in=Activity.TOUCH_KINDS,
            occurred_at__gte=OuterRef("at"),
            occurred_at__lte=OuterRef("contact_due_at"),
        )
    )
    # `contacted` as a filter of its own query: the database can run it as one semi-join
    # rather than a lookup per pass.
    owed = passes.filter(~Exists(rejected))
    return _kept(owed, owed.filter(contacted), "contact_due_at", now, "passes")


def _kept(promises, kept, due: str, now: dt.datetime, total: str) -> dict:
    """Count `promises` kept in time (`kept`: the rows that count as kept, read by a query of
    their own), late (not kept by a due time already gone) and still open. Late is the gone
    ones less those kept among them."""
    counts = promises.aggregate(
        **{total: Count("pk")}, gone=Count("pk", filter=Q(**{f"{due}__lt": now}))
    )
    counts |= kept.aggregate(
        in_time=Count("pk"), kept_gone=Count("pk", filter=Q(**{f"{due}__lt": now}))
    )
    counts["late"] = counts.pop("gone") - counts.pop("kept_gone")
    counts["open"] = counts[total] - counts["in_time"] - counts["late"]
    counts["share"] = ratio(counts["in_time"], counts["in_time"] + counts["late"])
    return counts


def decisions(start: dt.datetime, end: dt.datetime, now: dt.datetime) -> dict:
    """The SLA's qualify-or-recycle promise for the leads accepted from the passes begun in
    [start, end): moved on from SAL (qualified, recycled or disqualified) by the due time, late
    (moved on after it, or not yet and it is gone) and still open. Each move out of SAL carries
    its stint's pass start and due time, so both sides are read from one index without a join."""
    accepted = answers(start, end).filter(to_stage=Lead.Stage.SAL, decide_due_at__isnull=False)
    decided = LeadTransition.objects.filter(
        from_stage=Lead.Stage.SAL,
        pass_started_at__gte=start,
        pass_started_at__lt=end,
        decide_due_at__isnull=False,
        at__lte=F("decide_due_at"),
    ).order_by()
    # Not moved on by the due time is late once that time has gone, decided since or not.
    return _kept(accepted, decided, "decide_due_at", now, "accepted")


HOUR = 3600
RESPONSE_BUCKETS = [
    ("Under 1 hour", 0, HOUR),
    ("1–4 hours", HOUR, 4 * HOUR),
    ("4–8 hours", 4 * HOUR, 8 * HOUR),
    ("8–24 hours", 8 * HOUR, 24 * HOUR),
    ("1–3 days", 24 * HOUR, 72 * HOUR),
    ("3–7 days", 72 * HOUR, 168 * HOUR),
    ("A week or more", 168 * HOUR, None),
]
RESPONSE_COLUMNS = [
    ("passes", "MQL passes", "count", "Moves to MQL in the period (a re-sent lead counts again)"),
    ("answered", "Answered", "count", "Passes sales accepted or rejected"),
    (
        "median",
        "Median response",
        "seconds",
        "Half the answered passes had their first sales touch sooner (clock time)",
    ),
    ("p90", "90th percentile", "seconds", "Nine in ten answered passes were touched sooner"),
    ("in_time", "Answered in time", "count", "Accepted or rejected by the SLA's due time"),
    ("late", "Late", "count", "Answered after the due time, or past it and still waiting"),
    ("waiting", "Waiting, not yet due", "count", "Unanswered and still within the window"),
    (
        "share",
        "Within SLA",
        "ratio",
        "Answered in time ÷ (answered in time + late): passes whose window has closed",
    ),
]


def response_scope(scope: Scope):
    """The scope's answers and waiting passes: campaign and channel by the lead, the rep as
    the one who answered (or, for a pass still waiting, the lead's owner)."""
    start, end = scope.bounds
    answered = scope.by_rep(scope.on_moves(answers(start, end)), "actor")
    waiting = scope.by_rep(scope.on_leads(unanswered(start, end)), "owner")
    return answered, waiting


def timing(answered, waiting, now, group_answered=None, group_waiting=None, steps_of=None) -> dict:
    """Per group (or {None: ...}): passes, answered, in time, late (answered late, or past due
    and still waiting), waiting within the window, and the median and 90th-percentile response
    time. Two grouped queries: the answers as a histogram of response steps (or `steps_of`,
    that histogram read already), and the waiting passes."""
    rows: dict = {}

    def counts(key):
        zero = {"passes": 0, "answered": 0, "in_time": 0, "late": 0, "waiting": 0}
        return rows.setdefault(key, zero)

    if steps_of is None:
        steps_of = answer_steps(answered, group_answered)
    for key, steps in steps_of.items():
        figures = counts(key)
        n = sum(step[1] for step in steps)
        on_time = sum(step[2] for step in steps)
        figures["passes"] += n
        figures["answered"] += n
        figures["in_time"] += on_time
        figures["late"] += n - on_time
    tally = {"n": Count("pk"), "overdue": Count("pk", filter=Q(response_due_at__lt=now))}
    found = (
        waiting.values(group_waiting).annotate(**tally)
        if group_waiting
        else [waiting.aggregate(**tally)]
    )
    for row in found:
        figures = counts(row.get(group_waiting))
        figures["passes"] += row["n"]
        figures["late"] += row["overdue"]
        figures["waiting"] += row["n"] - row["overdue"]
    median, p90 = percentiles_of_steps(steps_of, (50, 90))
    for key, figures in rows.items():
        figures["share"] = ratio(figures["in_time"], figures["in_time"] + figures["late"])
        figures["median"], figures["p90"] = median.get(key), p90.get(key)
    return rows


def response_step():
    """A response time's step in the histogram percentiles are read from: a minute under an
    hour, five minutes under a day, an hour beyond (integer arithmetic on both engines)."""
    took = F("response_seconds")
    return Case(
        When(response_seconds__lt=HOUR, then=took / 60),
        When(response_seconds__lt=24 * HOUR, then=60 + (took - HOUR) / 300),
        default=400 + took / HOUR,
        output_field=IntegerField(),
    )


def answer_steps(answered, group: str | None = None) -> dict:
    """The answers per `group` value (or {None: ...}) as a histogram of response steps:
    sorted (step, answers, answered in time, longest response) tuples, in one grouped query
    over the answers' covering index."""
    fields = [group] if group else []
    histogram = (
        answered.filter(response_seconds__isnull=False)
        .annotate(step=response_step())
        .values(*fields, "step")
        .annotate(
            n=Count("pk"),
            on_time=Count("pk", filter=Q(at__lte=F("due_at"))),
            longest=Max("response_seconds"),
        )
        .order_by()
    )
    steps_of: dict = {}
    for row in histogram:
        steps_of.setdefault(row.get(group) if group else None, []).append(
            (row["step"], row["n"], row["on_time"], row["longest"])
        )
    for steps in steps_of.values():
        steps.sort()
    return steps_of


def merged_steps(steps_of: dict) -> list[tuple]:
    """The histograms of every group of `answer_steps` as one."""
    merged: dict = {}
    for steps in steps_of.values():
        for step, n, on_time, longest in steps:
            seen = merged.get(step, (step, 0, 0, longest))
            merged[step] = (step, seen[1] + n, seen[2] + on_time, max(seen[3], longest))
    return sorted(merged.values())


def percentiles_of_steps(steps_of: dict, percents) -> list[dict]:
    """Nearest-rank percentiles of the response time per group, read from `answer_steps`: the
    longest response in the step where the rank falls, so exact to the step (a minute under
    an hour, five minutes under a day, an hour beyond). Sorting every answer instead takes
    seconds at a million leads. Returns, per percent, {group value: seconds}."""
    found: list[dict] = [{} for _ in percents]
    for key, steps in steps_of.items():
        total = sum(step[1] for step in steps)
        for index, percent in enumerate(percents):
            rank, seen = (total * percent + 99) // 100, 0
            for _step, n, _on_time, longest in steps:
                seen += n
                if seen >= rank:
                    found[index][key] = longest
                    break
    return found


def response_percentiles(answered, percents, group: str | None = None) -> list[dict]:
    """`percentiles_of_steps` of `answered`, with {None: None} when there is no answer."""
    found = percentiles_of_steps(answer_steps(answered, group), percents)
    return found if group else [values or {None: None} for values in found]


def week_index(field: str, period: Period):
    """Which week of `period` (0 for the one holding its first day, weeks from Monday) the
    datetime `field` falls in: plain comparisons, no date function per row. Returns the
    expression and each week's Monday."""
    monday = period.first - dt.timedelta(days=period.first.weekday())
    mondays = []
    while monday <= period.last:
        mondays.append(monday)
        monday += dt.timedelta(days=7)
    tz = timezone.get_current_timezone()
    whens = [
        When(
            **{f"{field}__lt": dt.datetime.combine(start + dt.timedelta(days=7), dt.time.min, tz)},
            then=Value(index),
        )
        for index, start in enumerate(mondays)
    ]
    return Case(*whens, default=Value(len(mondays)), output_field=IntegerField()), mondays


def response_by(scope: Scope, now: dt.datetime, group: str | None) -> dict:
    """Response figures per rep (`group`="rep"), per week of the pass's start ("week", keyed
    by the week's Monday) or in all (None): {key: {passes, answered, median, p90, in_time,
    late, waiting, share}}."""
    answered, waiting = response_scope(scope)
    mondays = None
    if group == "week":
        week, mondays = week_index("pass_started_at", scope.period)
        answered = answered.annotate(week=week)
        waiting = waiting.annotate(week=week_index("mql_at", scope.period)[0])
        keys = ("week", "week")
    elif group == "rep":
        keys = ("actor_id", "owner_id")
    else:
        keys = (None, None)
    rows = timing(answered, waiting, now, *keys)
    if mondays is not None:
        return {mondays[key]: counts for key, counts in rows.items() if key < len(mondays)}
    return rows


def step_start(step: int) -> int:
    """The first second of a `response_step`: the inverse of its integer arithmetic."""
    if step < 60:
        return step * 60
    if step < 400:
        return HOUR + (step - 60) * 300
    return (step - 400) * HOUR


def response_report(scope: Scope, now: dt.datetime) -> dict:
    """The lead response page's figures in all and per rep, and the histogram of response
    bands, from the same two grouped queries: {"overall": row, "reps": {key: row},
    "histogram": [{band, answers, share}]}. (The band limits fall on step limits, so each
    step lies in one band.)"""
    answered, waiting = response_scope(scope)
    steps_of = answer_steps(answered, "actor_id")
    reps = timing(answered, waiting, now, "actor_id", "owner_id", steps_of=steps_of)
    merged = merged_steps(steps_of)
    overall = {
        key: sum(row[key] for row in reps.values())
        for key in ("passes", "answered", "in_time", "late", "waiting")
    }
    overall["share"] = ratio(overall["in_time"], overall["in_time"] + overall["late"])
    median, p90 = percentiles_of_steps({None: merged}, (50, 90))
    overall["median"], overall["p90"] = median.get(None), p90.get(None)
    answers = [0] * len(RESPONSE_BUCKETS)
    for step, n, _on_time, _longest in merged:
        began = step_start(step)
        for index, (_label, low, high) in enumerate(RESPONSE_BUCKETS):
            if low <= began and (high is None or began < high):
                answers[index] += n
                break
    histogram = [
        {"band": label, "answers": n, "share": ratio(n, overall["answered"])}
        for (label, _low, _high), n in zip(RESPONSE_BUCKETS, answers, strict=True)
    ]
    return {"overall": overall, "reps": reps, "histogram": histogram}


# --- Rejections and recycling -----------------------------------------------------------------

EXIT_KINDS = [
    ("rejected", "Rejected MQL", "Sales sent an MQL back to marketing unaccepted"),
    ("recycled", "Recycled", "Sales returned an accepted or qualified lead to nurture"),
    ("disqualified", "Disqualified", "Sales took the lead out of the funnel for good"),
]
REJECTION_COLUMNS = [
    ("rejected", "Rejected MQLs", "count", "Moves from MQL back to nurture in the period"),
    ("recycled", "Recycled", "count", "Moves from SAL or SQL back to nurture in the period"),
    ("disqualified", "Disqualified", "count", "Moves from MQL, SAL or SQL to disqualified"),
    ("total", "All exits", "count", "Rejected + recycled + disqualified"),
    (
        "came_back",
        "Came back as MQL",
        "count",
        "Of the rejected and recycled, those marketing sent to sales again afterwards (to date)",
    ),
    ("came_back_share", "Came back", "ratio", "Came back ÷ (rejected + recycled)"),
]


def exits(scope: Scope):
    """Sales' moves of a lead out of the funnel's sales stages in the period, with their kind."""

    start, end = scope.bounds
    moves = LeadTransition.objects.filter(
        at__gte=start,
        at__lt=end,
        from_stage__in=[MQL, Lead.Stage.SAL, Lead.Stage.SQL],
        to_stage__in=[Lead.Stage.RECYCLED, Lead.Stage.DISQUALIFIED],
    ).order_by()
    moves = scope.by_rep(scope.on_moves(moves), "actor")
    return moves.annotate(
        kind=Case(
            When(to_stage=Lead.Stage.DISQUALIFIED, then=Value("disqualified")),
            When(from_stage=MQL, then=Value("rejected")),
            default=Value("recycled"),
            output_field=CharField(),
        ),
    )


def rejection_reasons(scope: Scope) -> list[dict]:
    """Each (kind, reason) with its count, most frequent first."""
    kinds = {key: label for key, label, _ in EXIT_KINDS}
    rows = list(
        exits(scope).values("kind", "reason").annotate(n=Count("pk")).order_by("-n", "kind")
    )
    total = sum(row["n"] for row in rows)
    return [
        {
            "reason": REASON_LABELS.get(row["reason"], row["reason"] or "No reason given"),
            "kind": kinds[row["kind"]],
            "count": row["n"],
            "share": ratio(row["n"], total),
        }
        for row in rows
    ]


EXIT_COUNTS = ("rejected", "recycled", "disqualified", "came_back")


def rejections_by(scope: Scope) -> dict:
    """Exits per campaign and per channel, and how many of the rejected and recycled leads
    came back as MQLs: two queries grouped by both (the exits, and those that came back as a
    semi-join rather than a lookup per exit), summed each way here. Returns
    {"campaign": rows, "channel": rows, "total": row}; rows carry their "key"."""
    start, _end = scope.bounds
    came_back = Exists(
        LeadTransition.objects.filter(
            Q(at__gte=start),  # implied by the next one; bounds a set join
            lead=OuterRef("lead"),
            to_stage=MQL,
            at__gt=OuterRef("at"),
        )
    )
    keys = ("campaign", "channel")
    found = {
        tuple(row[key] for key in keys): row
        for row in exits(scope)
        .values(*keys)
        .annotate(
            rejected=Count("pk", filter=Q(kind="rejected")),
            recycled=Count("pk", filter=Q(kind="recycled")),
            disqualified=Count("pk", filter=Q(kind="disqualified")),
        )
    }
    for row in found.values():
        row["came_back"] = 0
    back = exits(scope).filter(came_back, to_stage=Lead.Stage.RECYCLED)
    for *group, n in back.values_list(*keys).annotate(n=Count("pk")):
        found[tuple(group)]["came_back"] = n
    groups: dict = {"campaign": {}, "channel": {}}
    total = dict.fromkeys(EXIT_COUNTS, 0)
    for row in found.values():
        for group in groups:
            key = row[group]
            summed = groups[group].setdefault(key, {"key": key, **dict.fromkeys(EXIT_COUNTS, 0)})
            for name in EXIT_COUNTS:
                summed[name] += row[name]
        for name in EXIT_COUNTS:
            total[name] += row[name]
    result = {"total": total}
    for group, rows in groups.items():
        result[group] = list(rows.values())
    for row in [*result["campaign"], *result["channel"], total]:
        row["total"] = row["rejected"] + row["recycled"] + row["disqualified"]
        row["came_back_share"] = ratio(row["came_back"], row["rejected"] + row["recycled"])
    for group in groups:
        result[group].sort(key=lambda row: -row["total"])
    return result


def resent(scope: Scope) -> dict:
    """Recycled leads marketing sent to sales again in the period, and how sales answered."""
    start, end = scope.bounds
    passes = scope.on_moves(
        LeadTransition.objects.filter(
            at__gte=start, at__lt=end, from_stage=Lead.Stage.RECYCLED, to_stage=MQL
        ).order_by()
    )
    return passes.aggregate(resent=Count("pk"), leads=Count("lead", distinct=True))


# --- Sales performance ------------------------------------------------------------------------

SALES_COLUMNS = [
    (
        "assigned",
        "MQLs assigned",
        "count",
        "MQL passes begun in the period that the rep answered or that wait in their inbox",
    ),
    ("accepted_share", "Accepted", "ratio", "Accepted ÷ answered, of those passes"),
    ("sqls", "SQLs", "count", "Leads the rep qualified in the period"),
    ("opportunities", "Opportunities", "count", "Deals the rep owns opened in the period"),
    ("won", "Won", "count", "The rep's deals closed won in the period"),
    ("lost", "Lost", "count", "The rep's deals closed lost in the period"),
    ("win_rate", "Win rate", "ratio", "Won ÷ (won + lost), deals closed in the period"),
    ("avg_deal", "Average deal", "money", "Revenue ÷ won deals"),
    ("avg_cycle", "Average cycle", "days", "Days from opening to close of the won deals, averaged"),
    ("median_cycle", "Median cycle", "days", "Half the won deals closed in fewer days"),
    ("revenue", "Revenue", "money", "Amounts of the deals closed won in the period"),
    ("quota", "Quota", "money", "The rep's quotas for months or quarters inside the period"),
    ("attainment", "Quota attainment", "ratio", "Revenue ÷ quota"),
]
CYCLE = ExpressionWrapper(F("closed_date") - TruncDate("created_at"), output_field=DurationField())


def days_of(value) -> Decimal | None:
    """A duration as days with one decimal."""
    if value is None:
        return None
    return (Decimal(value.total_seconds()) / 86400).quantize(Decimal("0.1"))


def sales_performance(scope: Scope) -> tuple[list[dict], dict]:
    """Per rep, the figures of SALES_COLUMNS; deals follow the campaign and channel filters
    through the lead they came from. About nine grouped queries."""
    start, end = scope.bounds
    first, last = scope.period.first, scope.period.last
    rows: dict = {}

    def rep(pk) -> dict:
        return rows.setdefault(pk, {"key": pk})

    answered, waiting = response_scope(scope)
    for key, figures in timing(answered, waiting, end, "actor_id", "owner_id").items():
        rep(key)["assigned"] = figures["passes"]
    for row in answered.values("actor_id").annotate(
        n=Count("pk"), accepted=Count("pk", filter=Q(to_stage=Lead.Stage.SAL))
    ):
        rep(row["actor_id"])["accepted_share"] = ratio(row["accepted"], row["n"])
    qualified = LeadTransition.objects.filter(at__gte=start, at__lt=end, to_stage=Lead.Stage.SQL)
    qualified = scope.by_rep(scope.on_moves(qualified), "actor").order_by()
    for actor, n in qualified.values_list("actor_id").annotate(n=Count("lead", distinct=True)):
        rep(actor)["sqls"] = n
    deals = scope.by_rep(scope.on_leads(Opportunity.objects.order_by(), "lead__"), "owner")
    opened = deals.filter(created_at__gte=start, created_at__lt=end)
    for owner, n in opened.values_list("owner_id").annotate(n=Count("pk")):
        rep(owner)["opportunities"] = n
    closed = deals.closed_between(first, last)
    won = closed.filter(stage=Opportunity.Stage.WON).annotate(cycle=CYCLE)
    tally = {
        "won": Count("pk", filter=Q(stage=Opportunity.Stage.WON)),
        "lost": Count("pk", filter=Q(stage=Opportunity.Stage.LOST)),
        "revenue": Coalesce(
            Sum("amount", filter=Q(stage=Opportunity.Stage.WON)), Decimal("0"), output_field=MONEY
        ),
    }
    for row in closed.values("owner_id").annotate(**tally):
        rep(row["owner_id"]).update(won=row["won"], lost=row["lost"], revenue=row["revenue"])
    for owner, average in won.values_list("owner_id").annotate(average=Avg("cycle")):
        rep(owner)["avg_cycle"] = days_of(average)
    (medians,) = percentiles(won, "cycle", (50,), "owner_id")
    quotas = Quota.objects.filter(period_start__gte=first, period_end__lte=last)
    for owner, amount in scope.by_rep(quotas, "rep").values_list("rep").annotate(Sum("amount")):
        rep(owner)["quota"] = amount
    rows.pop(None, None)  # the unassigned queue and system moves are nobody's performance
    names = {
        user.pk: user.get_full_name() or user.username
        for user in get_user_model().objects.filter(pk__in=rows)
    }
    total = closed.aggregate(**tally) | won.aggregate(avg_cycle=Avg("cycle"))
    total["avg_cycle"] = days_of(total["avg_cycle"])
    total["median_cycle"] = days_of(percentiles(won, "cycle", (50,))[0].get(None))
    for key, row in rows.items():
        row["name"] = names.get(key, "—")
        row["median_cycle"] = days_of(medians.get(key))
        for name in ("assigned", "sqls", "opportunities", "won", "lost"):
            row.setdefault(name, 0)
        row.setdefault("revenue", Decimal("0"))
    for name in ("assigned", "sqls", "opportunities", "quota"):
        total[name] = sum(row.get(name) or 0 for row in rows.values())
    answered_total = answered.aggregate(
        n=Count("pk"), accepted=Count("pk", filter=Q(to_stage=Lead.Stage.SAL))
    )
    total["accepted_share"] = ratio(answered_total["accepted"], answered_total["n"])
    for row in [*rows.values(), total]:
        row["win_rate"] = ratio(row["won"], row["won"] + row["lost"])
        row["avg_deal"] = money_per(row["revenue"], row["won"])
        row["attainment"] = ratio(row["revenue"], row.get("quota"))
    total["name"] = "All reps"
    return sorted(rows.values(), key=lambda row: row["name"]), total


# --- Pipeline and forecast --------------------------------------------------------------------

PIPELINE_COLUMNS = [
    ("count", "Deals", "count", "Open deals in the stage now"),
    ("amount", "Amount", "money", "Sum of their amounts"),
    ("weighted", "Weighted", "money", "Sum of amount × the stage's probability"),
    (
        "entered",
        "Entered in period",
        "count",
        "Deals that moved into the stage during the period",
    ),
    (
        "moved_on",
        "Moved on",
        "count",
        "Of those, deals that later reached a stage further along (won included), to date",
    ),
    ("conversion", "Stage conversion", "ratio", "Moved on ÷ entered"),
    (
        "avg_days",
        "Average days in stage",
        "days",
        "For deals that left the stage during the period: days from entering to leaving",
    ),
]
FORECAST_COLUMNS = [
    ("count", "Deals", "count", "Open deals expected to close in the month"),
    ("amount", "Amount", "money", "Sum of their amounts"),
    ("weighted", "Weighted", "money", "Sum of amount × probability: the forecast"),
]
STAGE_ORDER = {stage: index for index, stage in enumerate(Opportunity.Stage.values)}


def _stage_order(field: str):

    return Case(
        *[When(**{field: stage}, then=Value(index)) for stage, index in STAGE_ORDER.items()],
        output_field=IntegerField(),
    )


def open_deals(scope: Scope):
    deals = scope.by_rep(scope.on_leads(Opportunity.objects.open().order_by(), "lead__"), "owner")
    return deals


def _open_totals(grouped) -> list[dict]:
    """Count, amount and weighted amount per group (the aggregates must not take the names of
    the fields WEIGHTED_TOTAL reads)."""
    rows = grouped.annotate(
        n=Count("pk"),
        total=Coalesce(Sum("amount"), Decimal("0"), output_field=MONEY),
        total_weighted=Coalesce(WEIGHTED_TOTAL, Decimal("0"), output_field=MONEY),
    )
    return [
        {
            **{k: v for k, v in row.items() if k not in ("n", "total", "total_weighted")},
            "count": row["n"],
            "amount": row["total"],
            "weighted": row["total_weighted"],
        }
        for row in rows
    ]


def pipeline_by_stage(scope: Scope) -> tuple[list[dict], dict]:
    """Open deals per stage now, and each stage's flow in the period. Three grouped queries."""
    start, end = scope.bounds
    now = {row["stage"]: row for row in _open_totals(open_deals(scope).values("stage"))}
    changes = scope.by_rep(
        scope.on_leads(OpportunityStageChange.objects.order_by(), "opportunity__lead__"),
        "opportunity__owner",
    )
    later = (
        OpportunityStageChange.objects.filter(
            opportunity=OuterRef("opportunity"), at__gt=OuterRef("at")
        )
        .annotate(order=_stage_order("to_stage"))
        .filter(order__gt=OuterRef("order"))
        .exclude(to_stage=Opportunity.Stage.LOST)
    )
    # Entries in the period, and those of them that moved on later: the second as a filter,
    # which the database can run as one semi-join rather than a lookup per entry.
    entries = changes.filter(at__gte=start, at__lt=end).exclude(from_stage=F("to_stage"))
    entered = {
        row["to_stage"]: row
        for row in entries.values("to_stage").annotate(entered=Count("opportunity", distinct=True))
    }
    moved_on = (
        entries.annotate(order=_stage_order("to_stage"))
        .filter(Exists(later))
        .values_list("to_stage")
        .annotate(n=Count("opportunity", distinct=True))
    )
    for stage, n in moved_on:
        entered.setdefault(stage, {"entered": 0})["moved_on"] = n
    since = Subquery(
        OpportunityStageChange.objects.filter(
            opportunity=OuterRef("opportunity"),
            to_stage=OuterRef("from_stage"),
            at__lte=OuterRef("at"),
        )
        .exclude(from_stage=F("to_stage"))
        .order_by("-at", "-pk")
        .values("at")[:1]
    )
    stayed = ExpressionWrapper(F("at") - F("entered_at"), output_field=DurationField())
    days = dict(
        changes.filter(at__gte=start, at__lt=end, from_stage__in=Opportunity.OPEN_STAGES)
        .exclude(from_stage=F("to_stage"))
        .annotate(entered_at=since)
        .values_list("from_stage")
        .annotate(average=Avg(stayed))
    )
    rows = []
    for stage, label in Opportunity.Stage.choices:
        if stage not in Opportunity.OPEN_STAGES:
            continue
        row = {"key": stage, "stage": label, "count": 0, "amount": Decimal("0")}
        row["weighted"] = Decimal("0")
        row |= {k: v for k, v in now.get(stage, {}).items() if k != "stage"}
        row["entered"] = entered.get(stage, {}).get("entered", 0)
        row["moved_on"] = entered.get(stage, {}).get("moved_on", 0)
        row["conversion"] = ratio(row["moved_on"], row["entered"])
        row["avg_days"] = days_of(days.get(stage))
        rows.append(row)
    total = {k: sum(row[k] for row in rows) for k in ("count", "amount", "weighted")}
    total["stage"] = "All open deals"
    return rows, total


def forecast_by_month(scope: Scope, today: dt.date) -> tuple[list[dict], dict]:
    """Open deals by expected close month; months already gone are one "overdue" row."""
    rows, overdue = [], {"month": "Overdue", "count": 0, "amount": Decimal("0")}
    overdue["weighted"] = Decimal("0")
    overdue["overdue"] = True
    this_month = today.replace(day=1)
    grouped = open_deals(scope).annotate(month=TruncMonth("expected_close_date")).values("month")
    for row in sorted(_open_totals(grouped), key=lambda row: row["month"]):
        if row["month"] < this_month:
            for k in ("count", "amount", "weighted"):
                overdue[k] += row[k]
        else:
            rows.append({**row, "key": row["month"], "month": f"{row['month']:%b %Y}"})
    if overdue["count"]:
        rows.insert(0, overdue)
    total = {k: sum(row[k] for row in rows) for k in ("count", "amount", "weighted")}
    total["month"] = "All open deals"
    return rows, total


# --- Revenue ----------------------------------------------------------------------------------

REVENUE_COLUMNS = [
    ("deals", "Deals won", "count", "Deals closed won in the month"),
    ("revenue", "Revenue", "money", "Their amounts"),
    (
        "new",
        "From new customers",
        "money",
        "Won from accounts whose first win it was (customer since the close date)",
    ),
    ("existing", "From existing customers", "money", "Won from accounts that were customers"),
    ("existing_share", "Existing share", "ratio", "From existing customers ÷ revenue"),
]
ACCOUNT_COLUMNS = [
    ("deals", "Deals won", "count", "The account's deals closed won in the period"),
    ("revenue", "Revenue", "money", "Their amounts"),
    ("customer_since", "Customer since", "text", "The close date of the account's first win"),
]


def won_deals(scope: Scope):
    deals = Opportunity.objects.won().closed_between(scope.period.first, scope.period.last)
    return scope.by_rep(scope.on_leads(deals.order_by(), "lead__"), "owner")


def revenue_by_month(scope: Scope) -> tuple[list[dict], dict]:
    existing = Q(account__customer_since__lt=F("closed_date"))
    tally = {
        "deals": Count("pk"),
        "revenue": Coalesce(Sum("amount"), Decimal("0"), output_field=MONEY),
        "existing": Coalesce(Sum("amount", filter=existing), Decimal("0"), output_field=MONEY),
    }
    rows = [
        {**row, "key": row["month"], "month": f"{row['month']:%b %Y}"}
        for row in won_deals(scope)
        .annotate(month=TruncMonth("closed_date"))
        .values("month")
        .annotate(**tally)
        .order_by("month")
    ]
    total = {k: sum(row[k] for row in rows) for k in ("deals", "revenue", "existing")}
    total["month"] = "Whole period"
    for row in [*rows, total]:
        row["new"] = row["revenue"] - row["existing"]
        row["existing_share"] = ratio(row["existing"], row["revenue"])
    return rows, total


def retention(scope: Scope) -> dict:
    """Of the accounts that were customers before the period began, the share that bought
    again within it."""
    first = scope.period.first
    again = won_deals(scope).filter(account=OuterRef("pk"))
    counts = Account.objects.filter(customer_since__lt=first).aggregate(
        customers=Count("pk"), again=Count("pk", filter=Q(Exists(again)))
    )
    counts["share"] = ratio(counts["again"], counts["customers"])
    return counts


def top_accounts(scope: Scope, limit: int = 10) -> list[dict]:
    return [
        {
            **row,
            "key": row["account"],
            "customer_since": f"{row['account__customer_since']:%d %b %Y}"
            if row["account__customer_since"]
            else "",
        }
        for row in won_deals(scope)
        .values("account", "account__name", "account__customer_since")
        .annotate(deals=Count("pk"), revenue=Sum("amount"))
        .order_by("-revenue", "account__name")[:limit]
    ]


# --- The manager's dashboard ------------------------------------------------------------------

# (key, label, kind, formula, report page, whether higher is better: None when neither)
HEADLINES = [
    ("leads", "New leads", "count", "Leads created in the period", "funnel", True),
    ("mqls", "MQLs delivered", "count", "Leads that became an MQL in the period", "sla", True),
    (
        "mql_to_sql",
        "MQL → SQL rate",
        "ratio",
        "Of the period's new leads that became MQLs, the share sales qualified",
        "funnel",
        True,
    ),
    (
        "median_response",
        "Median response",
        "seconds",
        "Half the period's MQL passes had their first sales touch sooner",
        "response",
        False,
    ),
    (
        "within_sla",
        "Answered within SLA",
        "ratio",
        "MQL passes answered by their due time ÷ passes whose window has closed",
        "response",
        True,
    ),
    (
        "rejected",
        "Rejected MQLs",
        "count",
        "MQLs sales sent back to marketing",
        "rejections",
        False,
    ),
    ("spend", "Spend", "money", "Spend entries dated in the period", "campaigns", None),
    (
        "cac",
        "CAC",
        "money",
        "Spend ÷ new customers won from the period's leads",
        "campaigns",
        False,
    ),
    (
        "win_rate",
        "Win rate",
        "ratio",
        "Won ÷ (won + lost), deals closed in the period",
        "sales",
        True,
    ),
    ("avg_deal", "Average deal", "money", "Revenue ÷ deals won in the period", "sales", True),
    (
        "revenue",
        "Won revenue",
        "money",
        "Amounts of the deals closed won in the period",
        "revenue",
        True,
    ),
]


def headline_values(scope: Scope, now: dt.datetime) -> dict:
    """The dashboard's figures for one scope, each computed as its report page computes it."""
    start, end = scope.bounds
    leads = cohort(scope)
    funnel = leads.order_by().aggregate(
        leads=Count("pk"),
        mqls=Count("pk", filter=Q(reached_mql=True)),
        sqls=Count("pk", filter=Q(reached_sql=True)),
    )
    mqls = scope.on_moves(mql_moves(start, end))
    timing_all = response_by(scope, now, None).get(None, {})
    rejected = exits(scope).filter(kind="rejected").count()
    spend_entries = SpendEntry.objects.filter(
        date__gte=scope.period.first, date__lte=scope.period.last
    )
    if scope.campaign:
        spend_entries = spend_entries.filter(campaign=scope.campaign)
    if scope.channel:
        spend_entries = spend_entries.filter(campaign__channel=scope.channel)
    spend = spend_entries.aggregate(
        total=Coalesce(Sum("amount"), Decimal("0"), output_field=MONEY)
    )["total"]
    new_customers = (
        Opportunity.objects.won()
        .filter(cohort_q(scope, "lead__"), type=Opportunity.Type.NEW_BUSINESS)
        .aggregate(n=Count("account", distinct=True))["n"]
    )
    deals = scope.by_rep(scope.on_leads(Opportunity.objects.order_by(), "lead__"), "owner")
    closed = deals.closed_between(scope.period.first, scope.period.last).aggregate(
        won=Count("pk", filter=Q(stage=Opportunity.Stage.WON)),
        lost=Count("pk", filter=Q(stage=Opportunity.Stage.LOST)),
        revenue=Coalesce(
            Sum("amount", filter=Q(stage=Opportunity.Stage.WON)), Decimal("0"), output_field=MONEY
        ),
    )
    return {
        "leads": funnel["leads"],
        "mqls": mqls.order_by().aggregate(n=Count("lead", distinct=True))["n"],
        "mql_to_sql": ratio(funnel["sqls"], funnel["mqls"]),
        "median_response": timing_all.get("median"),
        "within_sla": timing_all.get("share"),
        "rejected": rejected,
        "spend": spend,
        "cac": money_per(spend, new_customers),
        "win_rate": ratio(closed["won"], closed["won"] + closed["lost"]),
        "avg_deal": money_per(closed["revenue"], closed["won"]),
        "revenue": closed["revenue"],
    }


def change(now, before, kind: str):
    """How a figure moved: percentage points for a ratio, else the relative change; None when
    either side is undefined or the previous value is zero."""
    if now is None or before is None:
        return None
    if kind == "ratio":
        return Decimal(now) - Decimal(before)
    if not before:
        return None
    return ratio(Decimal(now) - Decimal(before), before)
