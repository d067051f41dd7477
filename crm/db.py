"""Query helpers shared by the apps' list and report pages."""

import json
from datetime import timezone
from decimal import Decimal

from django.core.management.color import no_style
from django.db import connections, models, router
from django.db.models import Count, Max, OuterRef, Subquery, Sum
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


def _adapter(field, vendor: str):
    """A cheap Python → database value converter for one concrete field, for `bulk_insert`."""
    internal = field.get_internal_type()
    if vendor == "sqlite":
        if internal == "DateTimeField":
            return lambda v: (
                None
                if v is None
                else v.astimezone(timezone.utc).replace(tzinfo=None).isoformat(" ")
            )
        if internal == "DateField":
            return lambda v: None if v is None else v.isoformat()
        if internal == "TimeField":
            return lambda v: None if v is None else v.isoformat()
        if internal == "DecimalField":
            return lambda v: None if v is None else str(v)
    if internal == "JSONField":
        return lambda v: json.dumps(v)
    return None


def bulk_insert(objs: list[models.Model], *, next_pk: int) -> int:
    """Insert unsaved model instances of one model fast, giving them primary keys from
    `next_pk` on; returns the next free key. On PostgreSQL it uses COPY, on SQLite one
    executemany. Values travel as parameters, never as SQL text. The caller owns the key range
    (no concurrent writer) and resets PostgreSQL's sequences afterwards (`reset_sequences`).

    Django's bulk_create spends most of its time compiling per-value SQL placeholders; at a
    million rows that is minutes, this is seconds."""
    if not objs:
        return next_pk
    model = type(objs[0])
    meta = model._meta
    fields = list(meta.concrete_fields)
    stamped = [
        f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    for obj in objs:
        for f in stamped:
            f.pre_save(obj, add=True)
        # Copies related objects' keys into the *_id attributes, as bulk_create does.
        obj._prepare_related_fields_for_save(operation_name="bulk_insert")
        obj.pk = next_pk
        obj._state.adding = False
        next_pk += 1
    connection = connections[router.db_for_write(model)]
    vendor = connection.vendor
    adapters = [_adapter(f, vendor) for f in fields]
    attnames = [f.attname for f in fields]
    rows = (
        tuple(
            adapt(getattr(obj, name)) if adapt else getattr(obj, name)
            for name, adapt in zip(attnames, adapters, strict=True)
        )
        for obj in objs
    )
    table = connection.ops.quote_name(meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", list(rows)
            )
    return next_pk


def next_pk(model: type[models.Model]) -> int:
    return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


def reset_sequences(*model_classes: type[models.Model]) -> None:
    """After inserting explicit keys, move PostgreSQL's id sequences past them."""
    connection = connections[router.db_for_write(model_classes[0])]
    statements = connection.ops.sequence_reset_sql(no_style(), list(model_classes))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
