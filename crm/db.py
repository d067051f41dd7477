"""Query helpers shared by the apps' list and report pages."""

from decimal import Decimal

from django.db import models
from django.db.models import Count, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce


def count_of(queryset: models.QuerySet, outer_field: str, outer_ref: str = "pk") -> Coalesce:
    """A correlated COUNT(*) of `queryset` rows whose `outer_field` is the outer row's
    `outer_ref`: one per row, without the row multiplication of joining two to-many tables."""
    counted = (
        queryset.filter(**{outer_field: OuterRef(outer_ref)})
        .order_by()
        .values(outer_field)
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=models.IntegerField()), 0)


def sum_of(
    queryset: models.QuerySet, field: str, outer_field: str, outer_ref: str = "pk"
) -> Coalesce:
    """A correlated SUM(`field`) twin of `count_of`, zero when there are no rows."""
    summed = (
        queryset.filter(**{outer_field: OuterRef(outer_ref)})
        .order_by()
        .values(outer_field)
        .annotate(total=Sum(field))
        .values("total")
    )
    money = models.DecimalField(max_digits=14, decimal_places=2)
    return Coalesce(Subquery(summed, output_field=money), Decimal("0.00"), output_field=money)
