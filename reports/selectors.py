"""Read-only queries behind the report pages. Every figure is computed in the database."""

import datetime as dt
from decimal import Decimal

from django.db.models import Count, DecimalField, Sum
from django.db.models.functions import Coalesce

from leads.models import Opportunity

MONEY = DecimalField(max_digits=14, decimal_places=2)


def month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    """The first day of `day`'s month and the first day of the next."""
    start = day.replace(day=1)
    return start, (start + dt.timedelta(days=32)).replace(day=1)


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
