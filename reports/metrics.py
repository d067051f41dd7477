"""The shared definitions of every funnel and money metric. Pages, CSV downloads and the SLA
page all compute through here, so the two teams read one set of numbers.

A lead "reached" a stage when the transition log has it entering that stage at least once, so a
lead that was accepted, recycled and re-sent still counts once as an SAL.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, Exists, OuterRef, Q, Sum
from django.db.models.functions import Coalesce

from campaigns.models import SpendEntry
from leads.models import Lead, LeadTransition, Opportunity

MONEY = DecimalField(max_digits=14, decimal_places=2)
REACHED_STAGES = [Lead.Stage.MQL, Lead.Stage.SAL, Lead.Stage.SQL]


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


def campaign_figures(campaign) -> list[Figure]:
    """The headline figures of one campaign, in five queries whatever its size."""
    spend = SpendEntry.objects.filter(campaign=campaign).aggregate(
        total=Coalesce(Sum("amount"), Decimal("0"), output_field=MONEY)
    )["total"]
    leads = Lead.objects.filter(campaign=campaign).count()
    reached = dict(
        LeadTransition.objects.filter(lead__campaign=campaign, to_stage__in=REACHED_STAGES)
        .order_by()
        .values_list("to_stage")
        .annotate(n=Count("lead", distinct=True))
    )
    deals = Opportunity.objects.filter(lead__campaign=campaign).aggregate(
        opportunities=Count("pk"),
        won=Count("pk", filter=Q(stage=Opportunity.Stage.WON)),
        revenue=Coalesce(
            Sum("amount", filter=Q(stage=Opportunity.Stage.WON)), Decimal("0"), output_field=MONEY
        ),
        new_customers=Count(
            "account",
            distinct=True,
            filter=Q(stage=Opportunity.Stage.WON, type=Opportunity.Type.NEW_BUSINESS),
        ),
    )
    mqls, sals, sqls = (reached.get(stage, 0) for stage in REACHED_STAGES)
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


def _reached(stage):
    return Exists(LeadTransition.objects.filter(lead=OuterRef("pk"), to_stage=stage))


def funnel_counts(leads, group_by: str | None = None) -> list[dict]:
    """How many of `leads` reached each step, once per lead however often it went round; one
    row in all, or one per value of `group_by` (e.g. "channel"), in one query."""
    counted = leads.order_by().annotate(
        r_mql=_reached(Lead.Stage.MQL),
        r_sal=_reached(Lead.Stage.SAL),
        r_sql=_reached(Lead.Stage.SQL),
        r_opp=Exists(Opportunity.objects.filter(lead=OuterRef("pk"))),
        r_won=Exists(Opportunity.objects.won().filter(lead=OuterRef("pk"))),
    )
    if group_by:
        counted = counted.values(group_by)
    aggregates = {
        "leads": Count("pk"),
        "mqls": Count("pk", filter=Q(r_mql=True)),
        "sals": Count("pk", filter=Q(r_sal=True)),
        "sqls": Count("pk", filter=Q(r_sql=True)),
        "opportunities": Count("pk", filter=Q(r_opp=True)),
        "won": Count("pk", filter=Q(r_won=True)),
    }
    if group_by:
        return list(counted.annotate(**aggregates).order_by("-leads", group_by))
    return [counted.aggregate(**aggregates)]


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
