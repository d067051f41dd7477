"""Every change to a deal: create, edit, move, close won or lost, reopen. Each locks the row, checks
who may do it, writes the change and records it in the deal's append-only history."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from crm.errors import TransitionError
from leads.models import (
    Account,
    Lead,
    Opportunity,
)


def parse_money(value) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as e:
        raise TransitionError(f"“{value}” is not an amount.") from e
    if not amount.is_finite() or amount < 0:
        raise TransitionError("The amount must be zero or more.")
    return amount.quantize(Decimal("0.01"))


# --- Deals ------------------------------------------------------------------------------------


def _locked_opportunity(opportunity: Opportunity) -> Opportunity:
    return Opportunity.objects.select_for_update().get(pk=opportunity.pk)


def _check_open(opportunity: Opportunity, by, doing: str) -> None:
    if not opportunity.is_open:
        raise TransitionError(
            f"{opportunity} is {opportunity.get_stage_display().lower()} and cannot be {doing}."
        )
    if not opportunity.is_sales_actor(by):
        raise TransitionError(f"Only the deal's owner or a manager can do that to {opportunity}.")


def _save_opportunity(opportunity: Opportunity, *fields: str) -> None:
    opportunity.save(
        update_fields=["stage", "probability", "stage_changed_at", "updated_at", *fields]
    )


@transaction.atomic
def opportunity_move(*, opportunity: Opportunity, stage: str, by) -> Opportunity:
    """Move an open deal to another open stage."""
    opportunity = _locked_opportunity(opportunity)
    _check_open(opportunity, by, "moved")
    if stage not in Opportunity.OPEN_STAGES:
        raise TransitionError("Choose an open stage; close the deal as won or lost instead.")
    if stage == opportunity.stage:
        raise TransitionError(f"{opportunity} is already in {opportunity.get_stage_display()}.")
    from_stage = opportunity.stage
    opportunity.stage = stage
    opportunity.probability = Opportunity.DEFAULT_PROBABILITY[stage]
    opportunity.stage_changed_at = timezone.now()
    _save_opportunity(opportunity)
    opportunity.record_change(by=by, from_stage=from_stage, at=opportunity.stage_changed_at)
    return opportunity


@transaction.atomic
def opportunity_close_won(
    *, opportunity: Opportunity, by, closed_date: dt.date | None = None
) -> Opportunity:
    """Won: the account becomes a customer if it was not one yet."""
    opportunity = _locked_opportunity(opportunity)
    _check_open(opportunity, by, "closed")
    now = timezone.now()
    from_stage = opportunity.stage
    opportunity.stage = Opportunity.Stage.WON
    opportunity.probability = 100
    opportunity.closed_date = closed_date or timezone.localdate(now)
    opportunity.stage_changed_at = now
    _save_opportunity(opportunity, "closed_date")
    opportunity.record_change(by=by, from_stage=from_stage, at=now)
    Account.objects.filter(pk=opportunity.account_id, customer_since__isnull=True).update(
        customer_since=opportunity.closed_date
    )
    if opportunity.lead_id:
        Lead.objects.filter(pk=opportunity.lead_id).update(closed_at=now)
    return opportunity


@transaction.atomic
def opportunity_close_lost(
    *, opportunity: Opportunity, by, reason: str, detail: str = ""
) -> Opportunity:
    opportunity = _locked_opportunity(opportunity)
    _check_open(opportunity, by, "closed")
    if reason not in Opportunity.LostReason.values:
        raise TransitionError("Choose why the deal was lost.")
    detail = (detail or "").strip()
    if reason == Opportunity.LostReason.OTHER and not detail:
        raise TransitionError("Say why in the detail when the reason is “Other”.")
    now = timezone.now()
    from_stage = opportunity.stage
    opportunity.stage = Opportunity.Stage.LOST
    opportunity.probability = 0
    opportunity.closed_date = timezone.localdate(now)
    opportunity.lost_reason = reason
    opportunity.lost_detail = detail
    opportunity.stage_changed_at = now
    _save_opportunity(opportunity, "closed_date", "lost_reason", "lost_detail")
    opportunity.record_change(by=by, from_stage=from_stage, at=now, note=detail)
    if opportunity.lead_id:
        Lead.objects.filter(pk=opportunity.lead_id).update(closed_at=now)
    return opportunity
