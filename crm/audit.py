"""The audit trail: who created, changed or deleted which record, when, and which fields went
from what to what (django-auditlog, one log for every model here, written by model signals).

What the app's own append-only logs already record is left out, so no change is kept twice:
a lead's stage and its dates are in its transition log, a deal's stage, probability, amount and
closing are in its stage log. Bulk writes (CSV imports, the cron's SLA sweep, rescoring) go
around model signals: their rows carry their own trace (transitions, import records).
"""

from decimal import Decimal, InvalidOperation

from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.signals import pre_save

from crm.db import Compiled

STAMPS = ["created_at", "updated_at"]

# model label -> fields left out of its entries
AUDITED = {
    "campaigns.Campaign": STAMPS,
    "leads.Lead": [
        *STAMPS,
        "score",  # recomputed by the scoring rules, which are audited themselves
        "stage",
        "stage_changed_at",
        "stage_reason",
        "recycle_count",
        "submission_count",
        "mql_at",
        "response_due_at",
        "accepted_at",
        "first_response_at",
        "qualified_at",
        "converted_at",
        "closed_at",
        "reached_mql",
        "reached_sal",
        "reached_sql",
    ],
    "leads.Opportunity": [
        *STAMPS,
        "stage",
        "probability",
        "stage_changed_at",
        "amount",
        "closed_date",
        "lost_reason",
        "lost_detail",
        "version",
    ],
    "leads.Proposal": [*STAMPS, "subtotal", "tax_amount", "total"],  # totals follow the lines
    "leads.Account": [*STAMPS, "customer_since"],  # set by won deals
    "leads.ScoringRule": STAMPS,
    "reports.ServiceLevelAgreement": [],
    "reports.Quota": STAMPS,
}


def _stored_scale(sender, instance, **kwargs) -> None:
    """Each decimal at its column's scale before the audit compares it with the stored value:
    a form's 61000 and the row's 61000.00 are one amount, not a change to record."""
    for field in sender._meta.concrete_fields:
        value = getattr(instance, field.attname)
        if isinstance(field, models.DecimalField) and isinstance(value, Decimal):
            try:
                value = value.quantize(Decimal(1).scaleb(-field.decimal_places))
            except InvalidOperation:
                continue  # too many digits for the column: the database will say so
            setattr(instance, field.attname, value)


def register_all() -> None:
    from django.apps import apps

    for label, left_out in AUDITED.items():
        model = apps.get_model(label)
        # Connected before auditlog's own receiver, so it runs first.
        pre_save.connect(_stored_scale, sender=model, dispatch_uid=f"stored-scale-{label}")
        # The model's own columns only: reading a reverse one-to-one (a campaign's tally) to
        # compare it would cache its absence on the object being saved.
        fields = [f.name for f in model._meta.concrete_fields if f.name not in left_out]
        auditlog.register(model, include_fields=fields)


def _readable(entries):
    """Entries with what the history table reads of each (who, and the record's type, which
    auditlog's display of the changes looks up): one query, not one per entry."""
    return entries.select_related("actor", "content_type")


def _record_history(content_type, pk):
    from auditlog.models import LogEntry

    # What LogEntry.objects.get_for_object() asks for a record with a number for its key.
    entries = LogEntry.objects.filter(content_type_id=content_type, object_id=pk)
    return _readable(entries)[:HISTORY_LIMIT]


HISTORY_LIMIT = 50
_RECORD_HISTORY = Compiled(_record_history, int, int)  # on every page managers open


def history_for(record, user, limit: int = HISTORY_LIMIT):
    """The record's audit entries, newest first, for a manager; None for anyone else (the page
    shows no history section)."""
    from auditlog.models import LogEntry

    from crm.roles import is_manager

    if not is_manager(user):
        return None
    if limit == HISTORY_LIMIT and isinstance(record.pk, int):
        content_type = ContentType.objects.get_for_model(type(record))  # cached by Django
        return _RECORD_HISTORY(content_type.pk, record.pk)
    return list(_readable(LogEntry.objects.get_for_object(record))[:limit])


def model_history(model):
    """Every audit entry of `model`'s records, removed ones included, newest first."""
    from auditlog.models import LogEntry

    return _readable(LogEntry.objects.get_for_model(model)).order_by("-pk")


class HistoryMixin:
    """For a record's page (a DetailView): its audit trail in the context as `history`, for
    managers (None for others: the page shows no history section)."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["history"] = history_for(self.object, self.request.user)
        return context
