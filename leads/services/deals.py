"""Every change to a deal: create, edit, move, close won or lost, reopen. Each locks the row, checks
who may do it, writes the change and records it in the deal's append-only history."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from crm.errors import ConflictError, TransitionError
from crm.roles import is_manager, is_rep
from leads.models import Account, Lead, Opportunity, StageProbability, to_cents


def parse_money(value) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as e:
        raise TransitionError(f"“{value}” is not an amount.") from e
    if not amount.is_finite() or amount < 0:
        raise TransitionError("The amount must be zero or more.")
    return to_cents(amount)


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


def _check_version(opportunity: Opportunity, version: int | None) -> None:
    """Refuse a change made from a page older than the deal's last change (`version` is the
    one the page showed; None when the caller read the deal itself)."""
    if version is not None and version != opportunity.version:
        raise ConflictError(
            f"{opportunity} was changed by someone else after you opened it: it is now in "
            f"{opportunity.get_stage_display()}, {opportunity.amount:,.2f}, closing "
            f"{opportunity.expected_close_date:%d %b %Y}. Nothing was saved: check it and "
            "make your change again."
        )


def _save_opportunity(opportunity: Opportunity, *fields: str) -> None:
    opportunity.save(
        update_fields=["stage", "probability", "stage_changed_at", "updated_at", *fields]
    )


def default_type(account: Account | None) -> str:
    """A deal with an account that has already bought is an upsell; otherwise new business."""
    if account is not None and account.pk and account.is_customer:
        return Opportunity.Type.UPSELL
    return Opportunity.Type.NEW_BUSINESS


def account_find_or_create(*, name: str, by, **details) -> Account:
    """The account called `name` (case-insensitively), created with `details` if new."""
    name = (name or "").strip()
    if not name:
        raise TransitionError("Name the account.")
    return Account.objects.find_or_create(name, owner=by, **details)


@transaction.atomic
def opportunity_create(
    *,
    by,
    name: str,
    amount,
    expected_close_date: dt.date,
    account: Account | None = None,
    account_name: str = "",
    owner=None,
    type: str = "",
    product: str = "",
) -> Opportunity:
    """A sales-sourced deal (converted leads get theirs from `lead_convert`). Reps own what they
    open; a manager may give it to a rep."""
    if not (is_rep(by) or is_manager(by)):
        raise TransitionError("Only sales reps and managers open deals.")
    name = (name or "").strip()
    if not name:
        raise TransitionError("Name the opportunity.")
    if owner is not None and owner != by and not is_manager(by):
        raise TransitionError("Only a manager can open a deal for another rep.")
    if account is None:
        account = account_find_or_create(name=account_name, by=by)
    stage = Opportunity.Stage.DISCOVERY
    now = timezone.now()
    opportunity = Opportunity.objects.create(
        account=account,
        name=name,
        owner=owner or by,
        stage=stage,
        probability=StageProbability.for_stage(stage),
        amount=parse_money(amount),
        expected_close_date=expected_close_date,
        type=type or default_type(account),
        product=(product or "").strip(),
        stage_changed_at=now,
    )
    opportunity.record_change(by=by, at=now, note="Opened by sales.")
    return opportunity


EDITABLE = (
    "name",
    "amount",
    "expected_close_date",
    "type",
    "product",
    "account",
    "account_name",
    "owner",
)


@transaction.atomic
def opportunity_update(
    *, opportunity: Opportunity, by, version: int | None = None, **changes
) -> Opportunity:
    """Edit an open deal's details. An amount change is recorded like a stage change; only a
    manager hands a deal to another rep. `version`: the one the editor's form was filled from."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise TypeError(f"Cannot edit {', '.join(sorted(unknown))} here.")
    opportunity = _locked_opportunity(opportunity)
    _check_version(opportunity, version)
    _check_open(opportunity, by, "edited")
    if "owner" in changes and changes["owner"].pk != opportunity.owner_id and not is_manager(by):
        raise TransitionError("Only a manager can give a deal to another rep.")
    if "account_name" in changes:
        changes["account"] = account_find_or_create(name=changes.pop("account_name"), by=by)
    if "amount" in changes:
        changes["amount"] = parse_money(changes["amount"])
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
        if not changes["name"]:
            raise TransitionError("Name the opportunity.")
    from_amount = opportunity.amount
    changed = [field for field, value in changes.items() if getattr(opportunity, field) != value]
    for field in changed:
        setattr(opportunity, field, changes[field])
    if not changed:
        return opportunity
    opportunity.save(update_fields=[*changed, "updated_at"])
    if "amount" in changed:
        opportunity.record_change(
            by=by, from_stage=opportunity.stage, from_amount=from_amount, note="Amount changed."
        )
    return opportunity


def _move(opportunity: Opportunity, stage: str, by, note: str = "", *fields: str) -> None:
    from_stage = opportunity.stage
    opportunity.stage = stage
    opportunity.probability = StageProbability.for_stage(stage)
    opportunity.stage_changed_at = timezone.now()
    _save_opportunity(opportunity, *fields)
    opportunity.record_change(
        by=by, from_stage=from_stage, at=opportunity.stage_changed_at, note=note
    )


@transaction.atomic
def opportunity_move(
    *, opportunity: Opportunity, stage: str, by, note: str = "", version: int | None = None
) -> Opportunity:
    """Move an open deal to another open stage; it takes that stage's probability."""
    opportunity = _locked_opportunity(opportunity)
    _check_version(opportunity, version)
    _check_open(opportunity, by, "moved")
    if stage not in Opportunity.OPEN_STAGES:
        raise TransitionError("Choose an open stage; close the deal as won or lost instead.")
    if stage == opportunity.stage:
        raise TransitionError(f"{opportunity} is already in {opportunity.get_stage_display()}.")
    _move(opportunity, stage, by, note)
    return opportunity


def opportunity_advance_to(*, opportunity: Opportunity, stage: str, by, note: str) -> bool:
    """Move an open deal forward to `stage` if it is in an earlier one (sending a proposal moves
    a deal in discovery or demo to the proposal stage). Call inside the caller's transaction."""
    opportunity = _locked_opportunity(opportunity)
    order = Opportunity.OPEN_STAGES
    if opportunity.stage not in order or order.index(opportunity.stage) >= order.index(stage):
        return False
    _move(opportunity, stage, by, note)
    return True


@transaction.atomic
def opportunity_close_won(
    *,
    opportunity: Opportunity,
    by,
    closed_date: dt.date | None = None,
    note: str = "",
    version: int | None = None,
) -> Opportunity:
    """Won: the account becomes a customer if it was not one yet."""
    opportunity = _locked_opportunity(opportunity)
    _check_version(opportunity, version)
    _check_open(opportunity, by, "closed")
    now = timezone.now()
    closed_date = closed_date or timezone.localdate(now)
    if closed_date > timezone.localdate(now):
        raise TransitionError("A deal cannot be won on a date still to come.")
    from_stage = opportunity.stage
    opportunity.stage = Opportunity.Stage.WON
    opportunity.probability = 100
    opportunity.closed_date = closed_date
    opportunity.stage_changed_at = now
    _save_opportunity(opportunity, "closed_date")
    opportunity.record_change(by=by, from_stage=from_stage, at=now, note=note)
    _set_customer_since(opportunity.account_id)
    if opportunity.lead_id:
        Lead.objects.filter(pk=opportunity.lead_id).update(closed_at=now)
    return opportunity


@transaction.atomic
def opportunity_close_lost(
    *, opportunity: Opportunity, by, reason: str, detail: str = "", version: int | None = None
) -> Opportunity:
    opportunity = _locked_opportunity(opportunity)
    _check_version(opportunity, version)
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


@transaction.atomic
def opportunity_reopen(
    *, opportunity: Opportunity, by, stage: str, note: str, version: int | None = None
) -> Opportunity:
    """A manager puts a closed deal back in an open stage, with a reason. A reopened won deal no
    longer makes its account a customer unless another won deal does."""
    opportunity = _locked_opportunity(opportunity)
    _check_version(opportunity, version)
    if not is_manager(by):
        raise TransitionError("Only a manager can reopen a closed deal.")
    if opportunity.is_open:
        raise TransitionError(f"{opportunity} is still open.")
    if stage not in Opportunity.OPEN_STAGES:
        raise TransitionError("Choose the open stage the deal goes back to.")
    note = (note or "").strip()
    if not note:
        raise TransitionError("Say why the deal is reopened.")
    was_won = opportunity.stage == Opportunity.Stage.WON
    opportunity.closed_date = None
    opportunity.lost_reason = ""
    opportunity.lost_detail = ""
    _move(opportunity, stage, by, f"Reopened: {note}", "closed_date", "lost_reason", "lost_detail")
    if was_won:
        _set_customer_since(opportunity.account_id)
    if opportunity.lead_id:
        Lead.objects.filter(pk=opportunity.lead_id).update(closed_at=None)
    return opportunity


def _set_customer_since(account_id: int) -> None:
    """An account is a customer from the date of its first won deal (none: not a customer)."""
    first = (
        Opportunity.objects.won()
        .filter(account_id=account_id)
        .order_by("closed_date")
        .values_list("closed_date", flat=True)
        .first()
    )
    Account.objects.filter(pk=account_id).update(customer_since=first)
