"""Deals: open, edit, move, close, reopen — who may, what is recorded, what the account becomes."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.errors import TransitionError
from leads import services
from leads.models import Opportunity, StageProbability
from tests.factories import AccountFactory, LeadFactory, OpportunityFactory

CLOSE = dt.date(2030, 6, 30)


def _open(by, **kwargs):
    values = {"name": "Rollout", "amount": "1200", "expected_close_date": CLOSE}
    return services.opportunity_create(by=by, **(values | kwargs))


# --- Opening a deal -------------------------------------------------------------------------


def test_a_rep_opens_a_sales_sourced_deal_on_a_new_account(rep):
    opportunity = _open(rep, account_name="Globex")
    assert opportunity.owner == rep
    assert opportunity.account.name == "Globex"
    assert opportunity.lead is None
    assert (opportunity.stage, opportunity.probability) == ("discovery", 10)
    assert opportunity.type == Opportunity.Type.NEW_BUSINESS
    change = opportunity.stage_changes.get()
    assert (change.from_stage, change.to_stage, change.to_amount, change.actor) == (
        "",
        "discovery",
        Decimal("1200.00"),
        rep,
    )


def test_a_deal_with_a_customer_defaults_to_upsell(rep):
    customer = AccountFactory(name="Initech", customer_since=dt.date(2025, 1, 1))
    assert _open(rep, account_name="initech").type == Opportunity.Type.UPSELL
    assert _open(rep, account=customer, type="renewal").type == Opportunity.Type.RENEWAL


def test_winning_a_first_deal_makes_the_next_one_an_upsell(rep):
    first = _open(rep, account_name="Hooli")
    services.opportunity_close_won(opportunity=first, by=rep)
    assert _open(rep, account_name="Hooli").type == Opportunity.Type.UPSELL


def test_only_a_manager_opens_a_deal_for_another_rep(rep, other_rep, manager):
    with pytest.raises(TransitionError, match="Only a manager"):
        _open(rep, account_name="Acme", owner=other_rep)
    assert _open(manager, account_name="Acme", owner=other_rep).owner == other_rep


def test_marketers_do_not_open_deals(marketer):
    with pytest.raises(TransitionError, match="sales reps and managers"):
        _open(marketer, account_name="Acme")
    assert not Opportunity.objects.exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "  "}, "Name the opportunity"),
        ({"account_name": ""}, "Name the account"),
        ({"amount": "-5"}, "zero or more"),
        ({"amount": "lots"}, "not an amount"),
    ],
)
def test_opening_a_deal_refuses_bad_input(rep, changes, message):
    with pytest.raises(TransitionError, match=message):
        _open(rep, **({"account_name": "Acme"} | changes))
    assert not Opportunity.objects.exists()


def test_a_new_deal_takes_the_managers_probability(rep, manager):
    StageProbability.objects.filter(stage="discovery").update(probability=15)
    assert _open(rep, account_name="Acme").probability == 15


# --- Editing --------------------------------------------------------------------------------


def test_an_amount_change_is_recorded_with_who_and_from_what(rep):
    opportunity = OpportunityFactory(owner=rep, amount=Decimal("1000"))
    services.opportunity_update(opportunity=opportunity, by=rep, amount="1500.5", name="Bigger")
    opportunity.refresh_from_db()
    assert (opportunity.amount, opportunity.name) == (Decimal("1500.50"), "Bigger")
    change = opportunity.stage_changes.get()
    assert (change.from_stage, change.to_stage) == ("discovery", "discovery")
    assert (change.from_amount, change.to_amount, change.actor) == (
        Decimal("1000.00"),
        Decimal("1500.50"),
        rep,
    )


def test_an_edit_without_an_amount_change_records_nothing(rep):
    opportunity = OpportunityFactory(owner=rep, amount=Decimal("1000"))
    services.opportunity_update(opportunity=opportunity, by=rep, amount="1000.00", product="X")
    assert not opportunity.stage_changes.exists()


def test_only_a_manager_hands_a_deal_to_another_rep(rep, other_rep, manager):
    opportunity = OpportunityFactory(owner=rep)
    with pytest.raises(TransitionError, match="Only a manager"):
        services.opportunity_update(opportunity=opportunity, by=rep, owner=other_rep)
    services.opportunity_update(opportunity=opportunity, by=manager, owner=other_rep)
    opportunity.refresh_from_db()
    assert opportunity.owner == other_rep


def test_closed_deals_and_other_reps_deals_are_not_edited(rep, other_rep):
    theirs = OpportunityFactory(owner=other_rep)
    with pytest.raises(TransitionError, match="owner or a manager"):
        services.opportunity_update(opportunity=theirs, by=rep, name="Mine")
    mine = OpportunityFactory(owner=rep)
    services.opportunity_close_lost(opportunity=mine, by=rep, reason="timing")
    with pytest.raises(TransitionError, match="lost and cannot be edited"):
        services.opportunity_update(opportunity=mine, by=rep, amount="1")


# --- Moving, probabilities ------------------------------------------------------------------


def test_a_move_applies_the_probability_managers_set(rep):
    StageProbability.objects.filter(stage="negotiation").update(probability=80)
    opportunity = OpportunityFactory(owner=rep)
    services.opportunity_move(opportunity=opportunity, stage="negotiation", by=rep)
    opportunity.refresh_from_db()
    assert opportunity.probability == 80
    assert StageProbability.table()["won"] == 100


def test_each_move_resets_days_in_stage(rep):
    opportunity = OpportunityFactory(
        owner=rep, stage_changed_at=timezone.now() - dt.timedelta(days=9)
    )
    assert opportunity.days_in_stage == 9
    services.opportunity_move(opportunity=opportunity, stage="demo", by=rep)
    opportunity.refresh_from_db()
    assert opportunity.days_in_stage == 0


# --- Closing and reopening --------------------------------------------------------------------


def test_a_deal_cannot_be_won_tomorrow(rep):
    opportunity = OpportunityFactory(owner=rep)
    with pytest.raises(TransitionError, match="still to come"):
        services.opportunity_close_won(
            opportunity=opportunity, by=rep, closed_date=timezone.localdate() + dt.timedelta(1)
        )


@pytest.mark.parametrize("reason", Opportunity.LostReason.values)
def test_every_lost_reason_is_accepted(rep, reason):
    opportunity = OpportunityFactory(owner=rep)
    services.opportunity_close_lost(opportunity=opportunity, by=rep, reason=reason, detail="Why")
    opportunity.refresh_from_db()
    assert (opportunity.stage, opportunity.lost_reason, opportunity.lost_detail) == (
        "lost",
        reason,
        "Why",
    )
    assert opportunity.closed_date == timezone.localdate()


def test_other_as_lost_reason_needs_a_detail(rep):
    opportunity = OpportunityFactory(owner=rep)
    with pytest.raises(TransitionError, match="detail"):
        services.opportunity_close_lost(opportunity=opportunity, by=rep, reason="other")


def test_only_a_manager_reopens_and_must_say_why(rep, manager):
    opportunity = OpportunityFactory(owner=rep)
    services.opportunity_close_lost(opportunity=opportunity, by=rep, reason="price", detail="Dear")
    with pytest.raises(TransitionError, match="Only a manager"):
        services.opportunity_reopen(opportunity=opportunity, by=rep, stage="demo", note="x")
    with pytest.raises(TransitionError, match="why"):
        services.opportunity_reopen(opportunity=opportunity, by=manager, stage="demo", note=" ")
    with pytest.raises(TransitionError, match="open stage"):
        services.opportunity_reopen(opportunity=opportunity, by=manager, stage="won", note="x")
    services.opportunity_reopen(
        opportunity=opportunity, by=manager, stage="negotiation", note="They came back"
    )
    opportunity.refresh_from_db()
    assert (opportunity.stage, opportunity.probability, opportunity.closed_date) == (
        "negotiation",
        75,
        None,
    )
    assert (opportunity.lost_reason, opportunity.lost_detail) == ("", "")
    last = opportunity.stage_changes.last()
    assert (last.from_stage, last.to_stage, last.actor) == ("lost", "negotiation", manager)
    assert last.note == "Reopened: They came back"


def test_an_open_deal_is_not_reopened(manager):
    with pytest.raises(TransitionError, match="still open"):
        services.opportunity_reopen(
            opportunity=OpportunityFactory(), by=manager, stage="demo", note="x"
        )


def test_reopening_the_only_won_deal_takes_the_customer_status_back(rep, manager):
    account = AccountFactory()
    first = OpportunityFactory(owner=rep, account=account)
    second = OpportunityFactory(owner=rep, account=account)
    services.opportunity_close_won(opportunity=first, by=rep, closed_date=dt.date(2026, 2, 1))
    services.opportunity_close_won(opportunity=second, by=rep, closed_date=dt.date(2026, 5, 1))
    services.opportunity_reopen(opportunity=first, by=manager, stage="negotiation", note="Refund")
    account.refresh_from_db()
    assert account.customer_since == dt.date(2026, 5, 1)
    services.opportunity_reopen(opportunity=second, by=manager, stage="negotiation", note="Same")
    account.refresh_from_db()
    assert account.customer_since is None


def test_reopening_a_converted_lead_s_deal_clears_its_closed_time(rep, manager):
    lead = LeadFactory(stage="converted", owner=rep)
    opportunity = OpportunityFactory(owner=rep, lead=lead)
    services.opportunity_close_won(opportunity=opportunity, by=rep)
    lead.refresh_from_db()
    assert lead.closed_at is not None
    services.opportunity_reopen(opportunity=opportunity, by=manager, stage="proposal", note="x")
    lead.refresh_from_db()
    assert lead.closed_at is None


def test_totals_sum_amount_and_weighted_amount_in_the_database(rep):
    OpportunityFactory(owner=rep, amount=Decimal("1000"), probability=25)
    OpportunityFactory(owner=rep, amount=Decimal("333.33"), probability=50)
    totals = Opportunity.objects.totals()
    assert totals["count"] == 2
    assert totals["amount"] == Decimal("1333.33")
    assert totals["weighted"] == Decimal("416.67")  # 250 + 166.665, half up


def test_amounts_are_rounded_half_up_to_the_cent(rep):
    assert _open(rep, account_name="Acme", amount="0.005").amount == Decimal("0.01")
    assert _open(rep, account_name="Acme", amount="2.675").amount == Decimal("2.68")


@pytest.mark.parametrize("to_stage", Opportunity.OPEN_STAGES)
@pytest.mark.parametrize("from_stage", Opportunity.OPEN_STAGES)
def test_every_open_stage_moves_to_every_other_one(rep, from_stage, to_stage):
    deal = OpportunityFactory(owner=rep, stage=from_stage)
    if from_stage == to_stage:
        with pytest.raises(TransitionError, match="already in"):
            services.opportunity_move(opportunity=deal, stage=to_stage, by=rep)
        return
    services.opportunity_move(opportunity=deal, stage=to_stage, by=rep)
    deal.refresh_from_db()
    assert (deal.stage, deal.probability) == (to_stage, StageProbability.for_stage(to_stage))
    change = deal.stage_changes.get()
    assert (change.from_stage, change.to_stage, change.actor) == (from_stage, to_stage, rep)


@pytest.mark.parametrize("closed", ["won", "lost"])
@pytest.mark.parametrize("service", ["move", "won", "lost", "edit"])
def test_nothing_but_reopen_touches_a_closed_deal(rep, manager, closed, service):
    deal = OpportunityFactory(owner=rep)
    if closed == "won":
        services.opportunity_close_won(opportunity=deal, by=rep)
    else:
        services.opportunity_close_lost(opportunity=deal, by=rep, reason="price")
    calls = {
        "move": lambda: services.opportunity_move(opportunity=deal, stage="demo", by=manager),
        "won": lambda: services.opportunity_close_won(opportunity=deal, by=manager),
        "lost": lambda: services.opportunity_close_lost(
            opportunity=deal, by=manager, reason="price"
        ),
        "edit": lambda: services.opportunity_update(opportunity=deal, by=manager, amount="1"),
    }
    with pytest.raises(TransitionError, match=f"{closed} and cannot be"):
        calls[service]()
    deal.refresh_from_db()
    assert deal.stage == closed
