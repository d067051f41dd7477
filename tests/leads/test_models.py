import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from leads.models import Account, Lead, LeadTransition, Opportunity, OpportunityStageChange
from tests.conftest import query_plan
from tests.factories import (
    AccountFactory,
    ActivityFactory,
    LeadFactory,
    OpportunityFactory,
    ProposalFactory,
    ProposalLineFactory,
)

pytestmark = pytest.mark.django_db


def test_lead_email_is_unique_whatever_its_case():
    LeadFactory(email="Ada@Example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        LeadFactory(email="ada@example.COM")


def test_many_leads_may_have_no_email():
    LeadFactory(email="")
    LeadFactory(email="")
    assert Lead.objects.filter(email="").count() == 2


def test_clean_reports_a_duplicate_email_as_a_field_error():
    LeadFactory(email="grace@example.com")
    lead = LeadFactory.build(email="GRACE@example.com", campaign=None)
    with pytest.raises(ValidationError) as error:
        lead.full_clean()
    assert "already has this e-mail" in str(error.value.message_dict["email"])


def test_external_id_is_unique_where_present():
    LeadFactory(external_id="CRM-1")
    LeadFactory(external_id="")
    LeadFactory(external_id="")
    with pytest.raises(IntegrityError), transaction.atomic():
        LeadFactory(external_id="CRM-1")


def test_a_lead_past_new_must_have_become_an_mql():
    with pytest.raises(IntegrityError), transaction.atomic():
        LeadFactory(stage=Lead.Stage.SAL, mql_at=None)


def test_the_stage_must_be_a_known_one():
    with pytest.raises(IntegrityError), transaction.atomic():
        LeadFactory(stage="won")


def test_lead_names_and_links():
    lead = LeadFactory(first_name="Ada", last_name="Lovelace")
    assert str(lead) == "Ada Lovelace"
    assert lead.get_absolute_url() == f"/leads/{lead.pk}/"


def _a_transition():
    lead = LeadFactory(stage=Lead.Stage.MQL)
    return LeadTransition.objects.create(lead=lead, from_stage="new", to_stage="mql")


def test_a_transition_cannot_be_edited():
    transition = _a_transition()
    transition.detail = "rewritten"
    with pytest.raises(TypeError, match="append-only"):
        transition.save()


def test_a_transition_cannot_be_deleted_one_by_one_or_in_bulk():
    transition = _a_transition()
    with pytest.raises(TypeError, match="append-only"):
        transition.delete()
    with pytest.raises(TypeError, match="append-only"):
        LeadTransition.objects.all().delete()
    with pytest.raises(TypeError, match="append-only"):
        LeadTransition.objects.update(detail="x")
    assert LeadTransition.objects.count() == 1


def test_a_lead_with_history_cannot_be_deleted():
    transition = _a_transition()
    with pytest.raises(IntegrityError):
        transition.lead.delete()


def test_a_transition_must_change_the_stage():
    lead = LeadFactory(stage=Lead.Stage.MQL)
    with pytest.raises(IntegrityError), transaction.atomic():
        LeadTransition.objects.create(lead=lead, from_stage="mql", to_stage="mql")


def test_opportunity_stage_changes_are_append_only():
    opportunity = OpportunityFactory()
    change = opportunity.record_change(by=None)
    with pytest.raises(TypeError):
        change.save()
    with pytest.raises(TypeError):
        OpportunityStageChange.objects.all().delete()


def test_an_activity_belongs_to_exactly_one_lead_or_opportunity():
    with pytest.raises(IntegrityError), transaction.atomic():
        ActivityFactory(lead=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        ActivityFactory(opportunity=OpportunityFactory())
    on_deal = ActivityFactory(lead=None, opportunity=OpportunityFactory())
    assert on_deal.subject == on_deal.opportunity


@pytest.mark.parametrize(
    "fields",
    [
        {"amount": Decimal("-1")},
        {"probability": 101},
        {"stage": "won"},  # closed without a closed date
        {"stage": "discovery", "closed_date": dt.date(2026, 1, 1)},
        {"stage": "lost", "closed_date": dt.date(2026, 1, 1)},  # lost without a reason
    ],
)
def test_opportunity_constraints(fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        OpportunityFactory(**fields)


def test_weighted_amount_is_amount_times_probability_in_cents():
    opportunity = OpportunityFactory.build(amount=Decimal("1234.55"), probability=25)
    assert opportunity.weighted_amount == Decimal("308.64")


def test_proposal_totals_round_each_line_then_the_tax_half_up():
    proposal = ProposalFactory(tax_rate=Decimal("20.00"))
    # 3 × 33.33 − 10 % = 89.991 → 89.99
    ProposalLineFactory(
        proposal=proposal,
        quantity=Decimal("3"),
        unit_price=Decimal("33.33"),
        discount_percent=Decimal("10"),
    )
    # 2 × 10.01 − 12.5 % = 17.5175 → 17.52
    ProposalLineFactory(
        proposal=proposal,
        quantity=Decimal("2"),
        unit_price=Decimal("10.01"),
        discount_percent=Decimal("12.5"),
    )
    totals = proposal.compute_totals()
    assert totals["subtotal"] == Decimal("107.51")
    assert totals["tax"] == Decimal("21.50")  # 21.502
    assert totals["total"] == Decimal("129.01")


@pytest.mark.parametrize(
    "fields",
    [
        {"quantity": Decimal("0")},
        {"unit_price": Decimal("-0.01")},
        {"discount_percent": Decimal("100.01")},
        {"discount_percent": Decimal("-1")},
    ],
)
def test_proposal_line_constraints(fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        ProposalLineFactory(**fields)


def test_proposal_versions_are_unique_per_opportunity():
    proposal = ProposalFactory(version=1)
    ProposalFactory(version=2, opportunity=proposal.opportunity)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProposalFactory(version=1, opportunity=proposal.opportunity)


def test_proposal_tax_rate_is_a_percentage():
    with pytest.raises(IntegrityError), transaction.atomic():
        ProposalFactory(tax_rate=Decimal("120"))


# --- Who sees what -----------------------------------------------------------------------------


def test_a_rep_sees_their_own_leads_and_the_open_queue(rep, other_rep, marketer, manager):
    mine = LeadFactory(stage=Lead.Stage.SAL, owner=rep)
    theirs = LeadFactory(stage=Lead.Stage.SAL, owner=other_rep)
    queue = LeadFactory(stage=Lead.Stage.MQL, owner=None)
    nurture = LeadFactory(stage=Lead.Stage.NEW, owner=None)
    assert set(Lead.objects.visible_to(rep)) == {mine, queue}
    assert set(Lead.objects.visible_to(marketer)) == {mine, theirs, queue, nurture}
    assert set(Lead.objects.visible_to(manager)) == {mine, theirs, queue, nurture}


def test_someone_without_a_role_sees_nothing(outsider):
    LeadFactory()
    OpportunityFactory()
    assert not Lead.objects.visible_to(outsider).exists()
    assert not Opportunity.objects.visible_to(outsider).exists()


def test_a_rep_sees_only_their_own_deals(rep, other_rep, marketer):
    mine = OpportunityFactory(owner=rep)
    theirs = OpportunityFactory(owner=other_rep)
    assert list(Opportunity.objects.visible_to(rep)) == [mine]
    assert set(Opportunity.objects.visible_to(marketer)) == {mine, theirs}


def test_the_open_deal_index_covers_exactly_the_open_stages():
    (index,) = [i for i in Opportunity._meta.indexes if i.name == "opportunity_open_close_idx"]
    assert index.condition.children == [("stage__in", list(Opportunity.OPEN_STAGES))]


def test_a_lead_is_found_by_its_address_in_any_case_through_the_unique_index():
    lead = LeadFactory(email="Ada.Lovelace@Engine.example")
    LeadFactory(email="")
    assert Lead.objects.with_email("ada.lovelace@ENGINE.example").get() == lead
    assert not Lead.objects.with_email("").exists()
    plan = query_plan(Lead.objects.with_email("ada@engine.example").order_by())
    assert "lead_email_unique_ci" in plan


def test_an_imports_batch_of_addresses_is_found_in_any_case_through_the_unique_index():
    lead = LeadFactory(email="Ada.Lovelace@Engine.example")
    LeadFactory(email="")
    found = Lead.objects.with_emails(["ADA.lovelace@engine.example", "nobody@x.example"])
    assert list(found) == [lead]
    assert not Lead.objects.with_emails([""]).exists()
    plan = query_plan(Lead.objects.with_emails(["a@x.example", "b@x.example"]).order_by())
    assert "lead_email_unique_ci" in plan


def test_an_account_is_found_by_its_name_in_any_case_through_the_unique_index(rep):
    acme = AccountFactory(name="Acme Rockets")
    assert Account.objects.named("ACME rockets").get() == acme
    assert Account.objects.find_or_create("acme ROCKETS", owner=rep) == acme
    created = Account.objects.find_or_create("Globex", owner=rep, country="Spain")
    assert (created.name, created.country, created.owner) == ("Globex", "Spain", rep)
    # Unordered: on a test-sized table PostgreSQL would rather walk the name-ordered index.
    assert "account_name_unique_ci" in query_plan(Account.objects.named("acme").order_by())
