from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from crm.errors import TransitionError
from crm.roles import is_manager
from reports.models import ServiceLevelAgreement

# The terms of an SLA version; everything else on the row is bookkeeping.
SLA_TERMS = [
    "mql_target_per_month",
    "mql_min_score",
    "mql_required_fields",
    "mql_targets_by_channel",
    "accept_within_hours",
    "first_contact_within_hours",
    "qualify_within_days",
    "escalate_after_hours",
    "workday_start",
    "workday_end",
    "working_days",
    "timezone",
    "assignment",
]


@transaction.atomic
def sla_revise(*, by, change_note: str = "", **terms) -> ServiceLevelAgreement:
    """Put a new SLA version in force from now. Terms not given are carried over from the
    current version. Only managers change the agreement (`by=None` is the system's first one)."""
    if by is not None and not is_manager(by):
        raise TransitionError("Only a manager can change the service-level agreement.")
    unknown = set(terms) - set(SLA_TERMS)
    if unknown:
        raise TypeError(f"Unknown SLA terms: {', '.join(sorted(unknown))}")
    # Lock the newest version so two managers saving at once get consecutive numbers.
    current = ServiceLevelAgreement.objects.select_for_update().order_by("-version").first()
    carried = {name: getattr(current, name) for name in SLA_TERMS} if current else {}
    new = ServiceLevelAgreement(
        version=(ServiceLevelAgreement.objects.aggregate(v=Max("version"))["v"] or 0) + 1,
        effective_from=timezone.now(),
        created_by=by,
        change_note=(change_note or "").strip(),
        **{**carried, **terms},
    )
    new.full_clean(exclude=["created_by"])
    new.save()
    return new
