"""Read-only queries behind the report pages. Every figure is computed in the database."""

import datetime as dt
from decimal import Decimal

from django.db.models import Count, DecimalField, Q, Sum
from django.db.models.functions import Coalesce

from leads.models import Lead, Opportunity

MONEY = DecimalField(max_digits=14, decimal_places=2)


def month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    """The first day of `day`'s month and the first day of the next."""
    start = day.replace(day=1)
    return start, (start + dt.timedelta(days=32)).replace(day=1)


def leads_by_stage() -> list[tuple[str, int]]:
    counts = dict(Lead.objects.order_by().values_list("stage").annotate(n=Count("*")))
    return [(label, counts.get(value, 0)) for value, label in Lead.Stage.choices]


def month_headlines(start: dt.datetime, end: dt.datetime, start_date: dt.date, end_date: dt.date):
    """New leads, new MQLs and won revenue in [start, end)."""
    leads = Lead.objects.aggregate(
        created=Count("pk", filter=Q(created_at__gte=start, created_at__lt=end)),
        mqls=Count("pk", filter=Q(mql_at__gte=start, mql_at__lt=end)),
    )
    won = (
        Opportunity.objects.won()
        .filter(closed_date__gte=start_date, closed_date__lt=end_date)
        .aggregate(
            count=Count("pk"), revenue=Coalesce(Sum("amount"), Decimal("0"), output_field=MONEY)
        )
    )
    return {**leads, "won_count": won["count"], "won_revenue": won["revenue"]}


def open_pipeline_by_stage() -> list[dict]:
    rows = {
        row["stage"]: row
        for row in Opportunity.objects.open()
        .order_by()
        .values("stage")
        .annotate(
            count=Count("pk"),
            amount=Coalesce(Sum("amount"), Decimal("0"), output_field=MONEY),
        )
    }
    return [
        {
            "stage": label,
            "count": rows.get(value, {}).get("count", 0),
            "amount": rows.get(value, {}).get("amount", Decimal("0")),
        }
        for value, label in Opportunity.Stage.choices
        if value in Opportunity.OPEN_STAGES
    ]
