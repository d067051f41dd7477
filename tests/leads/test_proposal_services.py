"""Proposals: Decimal sums, versions and the draft → sent → accepted/declined/expired rules."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.errors import TransitionError
from leads import services
from leads.models import Proposal
from leads.models.proposals import line_total
from tests.factories import OpportunityFactory, ProposalFactory

D = Decimal
Status = Proposal.Status


def _line(description="Seats", quantity="1", unit_price="100", discount="0"):
    return {
        "description": description,
        "quantity": D(quantity),
        "unit_price": D(unit_price),
        "discount_percent": D(discount),
    }


def _draft(opportunity, by, lines=None, **kwargs):
    values = {
        "title": "Offer",
        "valid_until": timezone.localdate() + dt.timedelta(days=30),
        "lines": [_line()] if lines is None else lines,
    }
    return services.proposal_create(opportunity=opportunity, by=by, **(values | kwargs))


@pytest.fixture
def deal(rep):
    return OpportunityFactory(owner=rep, stage="discovery")


# --- Arithmetic -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "price", "discount", "expected"),
    [
        ("3", "33.33", "10", "89.99"),  # 89.991
        ("2", "10.01", "12.5", "17.52"),  # 17.5175, half up
        ("1", "0.05", "50", "0.03"),  # 0.025 → 0.03, not banker's 0.02
        ("1.5", "19.99", "0", "29.99"),  # 29.985 → 29.99
        ("4", "250", "100", "0.00"),
        ("0.01", "0.01", "0", "0.00"),
    ],
)
def test_each_line_is_rounded_half_up_to_the_cent(quantity, price, discount, expected):
    assert line_total(D(quantity), D(price), D(discount)) == D(expected)


def test_totals_round_each_line_then_the_tax_once(deal, rep):
    proposal = _draft(
        deal,
        rep,
        [_line("A", "3", "33.33", "10"), _line("B", "2", "10.01", "12.5"), _line("C", "1", "0.05")],
        tax_rate=D("20"),
    )
    # 89.99 + 17.52 + 0.05 = 107.56; tax 21.512 → 21.51
    assert (proposal.subtotal, proposal.tax_amount, proposal.total) == (
        D("107.56"),
        D("21.51"),
        D("129.07"),
    )
    assert proposal.totals() == proposal.compute_totals()
    assert [line.position for line in proposal.lines.all()] == [1, 2, 3]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (_line(quantity="0"), "quantity must be more than zero"),
        (_line(quantity="-1"), "quantity must be more than zero"),
        (_line(discount="100.5"), "discount is a percentage"),
        (_line(discount="-1"), "discount is a percentage"),
        (_line(unit_price="-1"), "unit price cannot be negative"),
    ],
)
def test_bad_lines_are_refused_and_nothing_is_written(deal, rep, line, message):
    with pytest.raises(TransitionError, match=message):
        _draft(deal, rep, [_line(), line])
    assert not Proposal.objects.exists()


def test_a_proposal_needs_a_line(deal, rep):
    with pytest.raises(TransitionError, match="at least one line"):
        _draft(deal, rep, lines=[])


# --- Who ------------------------------------------------------------------------------------


def test_only_the_deal_owner_or_a_manager_writes_proposals(deal, other_rep, manager):
    with pytest.raises(TransitionError, match="owner or a manager"):
        _draft(deal, other_rep)
    assert _draft(deal, manager).author == manager


def test_no_proposal_on_a_closed_deal(deal, rep):
    services.opportunity_close_lost(opportunity=deal, by=rep, reason="price")
    with pytest.raises(TransitionError, match="closed"):
        _draft(deal, rep)


# --- Status and versions ----------------------------------------------------------------------


def test_sending_moves_an_early_deal_to_the_proposal_stage(deal, rep):
    proposal = services.proposal_send(proposal=_draft(deal, rep), by=rep)
    assert (proposal.status, proposal.sent_at is not None) == (Status.SENT, True)
    deal.refresh_from_db()
    assert (deal.stage, deal.probability) == ("proposal", 50)
    change = deal.stage_changes.last()
    assert (change.from_stage, change.to_stage, change.note) == (
        "discovery",
        "proposal",
        "Proposal v1 sent.",
    )


def test_sending_leaves_a_deal_in_negotiation_where_it_is(rep):
    deal = OpportunityFactory(owner=rep, stage="negotiation", probability=75)
    services.proposal_send(proposal=_draft(deal, rep), by=rep)
    deal.refresh_from_db()
    assert deal.stage == "negotiation"
    assert not deal.stage_changes.exists()


def test_a_sent_proposal_is_read_only(deal, rep):
    proposal = services.proposal_send(proposal=_draft(deal, rep), by=rep)
    with pytest.raises(TransitionError, match="read-only: revise it"):
        services.proposal_update(
            proposal=proposal, by=rep, title="x", valid_until=proposal.valid_until, lines=[_line()]
        )
    with pytest.raises(TransitionError, match="already sent"):
        services.proposal_send(proposal=proposal, by=rep)


def test_a_draft_is_edited_with_its_lines_replaced(deal, rep):
    proposal = _draft(deal, rep, [_line("A"), _line("B")])
    services.proposal_update(
        proposal=proposal,
        by=rep,
        title="Better offer",
        valid_until=proposal.valid_until,
        lines=[_line("C", "2", "50")],
        tax_rate=D("10"),
    )
    proposal.refresh_from_db()
    assert [line.description for line in proposal.lines.all()] == ["C"]
    assert (proposal.title, proposal.total) == ("Better offer", D("110.00"))


def test_while_a_draft_exists_a_new_proposal_is_refused(deal, rep):
    _draft(deal, rep)
    with pytest.raises(TransitionError, match="still a draft: edit it"):
        _draft(deal, rep)


def test_revising_a_sent_proposal_makes_a_new_draft_and_keeps_the_old_one(deal, rep):
    first = _draft(deal, rep, [_line("A", "2", "10", "5")], tax_rate=D("20"), terms="Net 30")
    services.proposal_send(proposal=first, by=rep)
    second = services.proposal_revise(proposal=first, by=rep)
    first.refresh_from_db()
    assert (first.status, second.status, second.version) == (Status.SENT, Status.DRAFT, 2)
    assert [(x.description, x.total) for x in second.lines.all()] == [("A", D("19.00"))]
    assert (second.total, second.terms) == (first.total, "Net 30")
    with pytest.raises(TransitionError, match="Version 2 is newer"):
        services.proposal_revise(proposal=first, by=rep)
    services.proposal_send(proposal=second, by=rep)
    first.refresh_from_db()
    assert first.status == Status.SUPERSEDED
    with pytest.raises(TransitionError, match="only a sent proposal can be accepted"):
        services.proposal_accept(proposal=first, by=rep)


def test_accepting_then_declining_rules(deal, rep):
    draft = _draft(deal, rep)
    with pytest.raises(TransitionError, match="only a sent proposal can be accepted"):
        services.proposal_accept(proposal=draft, by=rep)
    with pytest.raises(TransitionError, match="only a sent proposal can be declined"):
        services.proposal_decline(proposal=draft, by=rep)
    services.proposal_send(proposal=draft, by=rep)
    accepted = services.proposal_accept(proposal=draft, by=rep)
    assert (accepted.status, accepted.answered_at is not None) == (Status.ACCEPTED, True)
    with pytest.raises(TransitionError, match="accepted: close the deal won"):
        _draft(deal, rep)
    with pytest.raises(TransitionError, match="only a sent"):
        services.proposal_revise(proposal=accepted, by=rep)


def test_a_declined_proposal_can_be_revised(deal, rep):
    proposal = services.proposal_send(proposal=_draft(deal, rep), by=rep)
    services.proposal_decline(proposal=proposal, by=rep)
    assert services.proposal_revise(proposal=proposal, by=rep).version == 2


def test_a_sent_proposal_past_its_date_is_expired_and_cannot_be_accepted(deal, rep):
    proposal = ProposalFactory(
        opportunity=deal,
        status=Status.SENT,
        valid_until=timezone.localdate() - dt.timedelta(days=1),
    )
    assert proposal.state == Status.EXPIRED
    assert Proposal.objects.with_state().get().state == Status.EXPIRED
    assert list(Proposal.objects.in_state(Status.EXPIRED)) == [proposal]
    assert not Proposal.objects.in_state(Status.SENT).exists()
    with pytest.raises(TransitionError, match="expired on"):
        services.proposal_accept(proposal=proposal, by=rep)
    before = timezone.localdate()
    revision = services.proposal_revise(proposal=proposal, by=rep)
    # Thirty days from the day it was revised (a run across midnight sees two days).
    days = dt.timedelta(days=30)
    assert revision.valid_until in {before + days, timezone.localdate() + days}


def test_sending_with_a_past_date_is_refused(deal, rep):
    proposal = _draft(deal, rep, valid_until=timezone.localdate() - dt.timedelta(days=1))
    with pytest.raises(TransitionError, match="valid-until date has passed"):
        services.proposal_send(proposal=proposal, by=rep)


def test_a_proposal_valid_until_today_is_still_sent_not_expired(deal, rep):
    proposal = services.proposal_send(
        proposal=_draft(deal, rep, valid_until=timezone.localdate()), by=rep
    )
    assert proposal.state == Status.SENT
