"""Proposals: write a draft, send it, revise it into a new version, record the customer's answer.

The proposals of a deal are versions of one offer. Only the newest may change and only while it
is a draft; a sent version is read-only for good. Each service locks the deal, so two people
writing versions at once get consecutive numbers, never the same one.
"""

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from crm.errors import TransitionError
from leads.models import Opportunity, Proposal, ProposalLine
from leads.services.deals import opportunity_advance_to

Status = Proposal.Status
LINE_FIELDS = ("description", "quantity", "unit_price", "discount_percent")
DEFAULT_VALIDITY = dt.timedelta(days=30)


def _locked_deal(opportunity: Opportunity, by, doing: str) -> Opportunity:
    opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    if not opportunity.is_sales_actor(by):
        raise TransitionError(f"Only the deal's owner or a manager can {doing} its proposals.")
    return opportunity


def _locked(proposal: Proposal, by, doing: str) -> Proposal:
    _locked_deal(proposal.opportunity, by, doing)
    return Proposal.objects.select_for_update().select_related("opportunity").get(pk=proposal.pk)


def _write_lines(proposal: Proposal, lines: Iterable[dict]) -> None:
    """Replace the proposal's lines and store its totals."""
    rows = [
        ProposalLine(proposal=proposal, position=position, **{f: line[f] for f in LINE_FIELDS})
        for position, line in enumerate(lines, start=1)
    ]
    for row in rows:
        if row.quantity <= 0:
            raise TransitionError(f"Line {row.position}: the quantity must be more than zero.")
        if not Decimal(0) <= row.discount_percent <= Decimal(100):
            raise TransitionError(f"Line {row.position}: the discount is a percentage, 0–100.")
        if row.unit_price < 0:
            raise TransitionError(f"Line {row.position}: the unit price cannot be negative.")
    proposal.lines.all().delete()
    ProposalLine.objects.bulk_create(rows)
    totals = proposal.compute_totals(rows)
    proposal.subtotal, proposal.tax_amount, proposal.total = (
        totals["subtotal"],
        totals["tax"],
        totals["total"],
    )
    proposal.save(update_fields=["subtotal", "tax_amount", "total", "updated_at"])


def _newest(opportunity: Opportunity) -> Proposal | None:
    return opportunity.proposals.order_by("-version").first()


@transaction.atomic
def proposal_create(
    *,
    opportunity: Opportunity,
    by,
    title: str,
    valid_until: dt.date,
    lines: list[dict],
    tax_rate: Decimal = Decimal("0"),
    terms: str = "",
) -> Proposal:
    """A new draft version on an open deal. While a draft exists it is edited instead."""
    opportunity = _locked_deal(opportunity, by, "write")
    if not opportunity.is_open:
        raise TransitionError(f"{opportunity} is closed: reopen it before writing a proposal.")
    newest = _newest(opportunity)
    if newest is not None and newest.status == Status.DRAFT:
        raise TransitionError(f"Version {newest.version} is still a draft: edit it instead.")
    if newest is not None and newest.status == Status.ACCEPTED:
        raise TransitionError(f"Version {newest.version} was accepted: close the deal won.")
    if not lines:
        raise TransitionError("Add at least one line.")
    proposal = Proposal.objects.create(
        opportunity=opportunity,
        version=(newest.version + 1) if newest else 1,
        title=(title or "").strip() or opportunity.name,
        valid_until=valid_until,
        tax_rate=tax_rate,
        terms=terms,
        author=by,
    )
    _write_lines(proposal, lines)
    return proposal


@transaction.atomic
def proposal_update(
    *,
    proposal: Proposal,
    by,
    title: str,
    valid_until: dt.date,
    lines: list[dict],
    tax_rate: Decimal = Decimal("0"),
    terms: str = "",
) -> Proposal:
    """Change a draft: its details and all of its lines."""
    proposal = _locked(proposal, by, "edit")
    if not proposal.is_editable:
        raise TransitionError(
            f"Version {proposal.version} is {proposal.get_status_display().lower()} and "
            "read-only: revise it to make a new version."
        )
    if not lines:
        raise TransitionError("Add at least one line.")
    proposal.title = (title or "").strip() or proposal.opportunity.name
    proposal.valid_until = valid_until
    proposal.tax_rate = tax_rate
    proposal.terms = terms
    proposal.save(update_fields=["title", "valid_until", "tax_rate", "terms", "updated_at"])
    _write_lines(proposal, lines)
    return proposal


@transaction.atomic
def proposal_send(*, proposal: Proposal, by) -> Proposal:
    """Draft → sent. Earlier sent versions are superseded, and a deal still in discovery or demo
    moves to the proposal stage."""
    proposal = _locked(proposal, by, "send")
    if proposal.status != Status.DRAFT:
        raise TransitionError(f"Version {proposal.version} was already sent.")
    if not proposal.opportunity.is_open:
        raise TransitionError(f"{proposal.opportunity} is closed: reopen it first.")
    today = timezone.localdate()
    if proposal.valid_until < today:
        raise TransitionError("The valid-until date has passed: set a later one before sending.")
    if not proposal.lines.exists():
        raise TransitionError("Add at least one line before sending.")
    now = timezone.now()
    proposal.opportunity.proposals.filter(status=Status.SENT).update(
        status=Status.SUPERSEDED, updated_at=now
    )
    proposal.status = Status.SENT
    proposal.sent_at = now
    proposal.save(update_fields=["status", "sent_at", "updated_at"])
    opportunity_advance_to(
        opportunity=proposal.opportunity,
        stage=Opportunity.Stage.PROPOSAL,
        by=by,
        note=f"Proposal v{proposal.version} sent.",
    )
    return proposal


@transaction.atomic
def proposal_revise(*, proposal: Proposal, by) -> Proposal:
    """A new draft version copied from a sent, declined or expired one, which stays as it was."""
    proposal = _locked(proposal, by, "revise")
    newest = _newest(proposal.opportunity)
    if newest.pk != proposal.pk:
        raise TransitionError(f"Version {newest.version} is newer: revise that one.")
    if proposal.status in (Status.DRAFT, Status.ACCEPTED):
        raise TransitionError(
            f"Version {proposal.version} is {proposal.get_status_display().lower()}; "
            "only a sent, declined or expired proposal is revised."
        )
    if not proposal.opportunity.is_open:
        raise TransitionError(f"{proposal.opportunity} is closed: reopen it first.")
    today = timezone.localdate()
    revision = Proposal.objects.create(
        opportunity=proposal.opportunity,
        version=proposal.opportunity.proposals.aggregate(v=Max("version"))["v"] + 1,
        title=proposal.title,
        valid_until=max(proposal.valid_until, today + DEFAULT_VALIDITY),
        tax_rate=proposal.tax_rate,
        terms=proposal.terms,
        author=by,
    )
    _write_lines(
        revision, [{f: getattr(line, f) for f in LINE_FIELDS} for line in proposal.lines.all()]
    )
    return revision


def _answer(proposal: Proposal, by, status: str) -> Proposal:
    proposal.status = status
    proposal.answered_at = timezone.now()
    proposal.save(update_fields=["status", "answered_at", "updated_at"])
    return proposal


@transaction.atomic
def proposal_accept(*, proposal: Proposal, by) -> Proposal:
    """The customer said yes. Closing the deal won is the next step, offered, not automatic."""
    proposal = _locked(proposal, by, "answer")
    if proposal.state == Status.EXPIRED:
        raise TransitionError(
            f"Version {proposal.version} expired on {proposal.valid_until.day} "
            f"{proposal.valid_until:%b %Y}: "
            "revise it with a new date."
        )
    if proposal.status != Status.SENT:
        raise TransitionError(
            f"Version {proposal.version} is {proposal.get_status_display().lower()}; "
            "only a sent proposal can be accepted."
        )
    if not proposal.opportunity.is_open:
        raise TransitionError(f"{proposal.opportunity} is closed.")
    return _answer(proposal, by, Status.ACCEPTED)


@transaction.atomic
def proposal_decline(*, proposal: Proposal, by) -> Proposal:
    proposal = _locked(proposal, by, "answer")
    if proposal.status != Status.SENT:
        raise TransitionError(
            f"Version {proposal.version} is {proposal.get_status_display().lower()}; "
            "only a sent proposal can be declined."
        )
    return _answer(proposal, by, Status.DECLINED)
