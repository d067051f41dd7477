"""The lead state machine: every legal transition works and leaves a trace; every illegal one is
refused with a message and changes nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.errors import TransitionError
from leads import services
from leads.models import (
    Account,
    Lead,
    LeadTransition,
    MqlReason,
    Opportunity,
    ScoringRule,
)
from reports.models import ServiceLevelAgreement
from tests.factories import (
    AccountFactory,
    CampaignFactory,
    LeadFactory,
    OpportunityFactory,
    SLAFactory,
)

Stage = Lead.Stage

CLOSE_DATE = dt.date(2030, 1, 31)

# service name → (how to call it, who calls it, the stages it starts from, the stage it ends in)
SERVICES = {
    "mark_mql": (
        lambda lead, by: services.lead_mark_mql(lead=lead, by=by),
        "marketer",
        {Stage.NEW},
        Stage.MQL,
    ),
    "resend": (
        lambda lead, by: services.lead_resend(lead=lead, by=by),
        "marketer",
        {Stage.RECYCLED},
        Stage.MQL,
    ),
    "accept": (
        lambda lead, by: services.lead_accept(lead=lead, by=by),
        "rep",
        {Stage.MQL},
        Stage.SAL,
    ),
    "reject": (
        lambda lead, by: services.lead_reject(lead=lead, by=by, reason="no_budget"),
        "rep",
        {Stage.MQL},
        Stage.RECYCLED,
    ),
    "qualify": (
        lambda lead, by: services.lead_qualify(lead=lead, by=by),
        "rep",
        {Stage.SAL},
        Stage.SQL,
    ),
    "disqualify": (
        lambda lead, by: services.lead_disqualify(lead=lead, by=by, reason="no_need"),
        "rep",
        {Stage.SAL, Stage.SQL},
        Stage.DISQUALIFIED,
    ),
    "recycle": (
        lambda lead, by: services.lead_recycle(lead=lead, by=by, reason="bad_timing"),
        "rep",
        {Stage.SAL, Stage.SQL},
        Stage.RECYCLED,
    ),
    "convert": (
        lambda lead, by: services.lead_convert(
            lead=lead,
            by=by,
            opportunity_name="First deal",
            amount="1000",
            expected_close_date=CLOSE_DATE,
        ),
        "rep",
        {Stage.SQL},
        Stage.CONVERTED,
    ),
}

CASES = [
    pytest.param(name, stage, stage in SERVICES[name][2], id=f"{name}-from-{stage}")
    for name in SERVICES
    for stage in Stage.values
]


@pytest.mark.parametrize(("service", "from_stage", "legal"), CASES)
def test_each_service_moves_only_from_its_own_stages(request, sla, service, from_stage, legal):
    call, actor, _, to_stage = SERVICES[service]
    by = request.getfixturevalue(actor)
    owner = request.getfixturevalue("rep") if from_stage in {Stage.SAL, Stage.SQL} else None
    lead = LeadFactory(stage=from_stage, owner=owner)

    if legal:
        call(lead, by)
        lead.refresh_from_db()
        assert lead.stage == to_stage
        transition = lead.transitions.get()
        assert (transition.from_stage, transition.to_stage) == (from_stage, to_stage)
        assert transition.actor == by
        assert lead.stage_changed_at == transition.at
    else:
        with pytest.raises(TransitionError) as refused:
            call(lead, by)
        assert str(refused.value)  # a message a person can read
        lead.refresh_from_db()
        assert lead.stage == from_stage
        assert not LeadTransition.objects.filter(lead=lead).exists()


def test_the_transition_table_matches_the_services():
    for name, (_, _, from_stages, to_stage) in SERVICES.items():
        for stage in from_stages:
            assert to_stage in Lead.TRANSITIONS[stage], name


# --- Marketing sends leads to sales ------------------------------------------------------------


def test_system_promotes_a_lead_that_meets_the_definition_and_records_why(sla):
    rule = ScoringRule.objects.create(
        field="job_title", condition="contains", value="head", points=30
    )
    ScoringRule.objects.create(field="country", condition="equals", value="France", points=5)
    lead = LeadFactory(score=72, company="Acme", email="ada@acme.test", job_title="Head of IT")
    services.lead_mark_mql(lead=lead, by=None)
    lead.refresh_from_db()
    transition = lead.transitions.get()
    assert lead.stage == Stage.MQL
    assert lead.mql_at == transition.at
    assert transition.actor is None
    assert transition.actor_label == "system"
    assert transition.reason == MqlReason.SCORE
    assert transition.sla == sla
    assert transition.due_at == lead.response_due_at  # the pass keeps its own window
    assert transition.qualification == {
        "score": 72,
        "min_score": 50,
        "missing_fields": [],
        "rules": [{"rule": str(rule), "points": 30}],
    }


def test_system_refuses_a_lead_below_the_minimum_score(sla):
    lead = LeadFactory(score=49)
    with pytest.raises(TransitionError, match="score 49 is below 50"):
        services.lead_mark_mql(lead=lead, by=None)


def test_system_refuses_a_lead_missing_a_required_field(sla):
    lead = LeadFactory(score=90, company="")
    with pytest.raises(TransitionError, match="missing Company"):
        services.lead_mark_mql(lead=lead, by=None)


def test_marketer_sending_a_qualifying_lead_records_a_manual_handoff(sla, marketer):
    lead = LeadFactory(score=80)
    services.lead_mark_mql(lead=lead, by=marketer)
    transition = lead.transitions.get()
    assert transition.reason == MqlReason.MANUAL
    assert transition.actor == marketer


def test_marketer_override_needs_a_written_justification(sla, marketer):
    lead = LeadFactory(score=10)
    with pytest.raises(TransitionError, match="write a justification"):
        services.lead_mark_mql(lead=lead, by=marketer, justification="   ")
    services.lead_mark_mql(lead=lead, by=marketer, justification="Met the CEO at the summit.")
    transition = lead.transitions.get()
    assert transition.reason == MqlReason.OVERRIDE
    assert transition.detail == "Met the CEO at the summit."
    assert transition.qualification["score"] == 10


def test_a_rep_cannot_send_a_lead_to_sales(sla, rep):
    lead = LeadFactory()
    with pytest.raises(TransitionError, match="Only marketing or a manager"):
        services.lead_mark_mql(lead=lead, by=rep)


def test_no_sla_in_force_means_no_mql(db, marketer):
    ServiceLevelAgreement.objects.all().delete()
    lead = LeadFactory()
    with pytest.raises(TransitionError, match="No service-level agreement"):
        services.lead_mark_mql(lead=lead, by=marketer)
    lead.refresh_from_db()
    assert lead.stage == Stage.NEW


def test_the_mql_records_the_sla_version_in_force_then(marketer):
    old = SLAFactory(effective_from=timezone.now() - dt.timedelta(days=10))
    SLAFactory(effective_from=timezone.now() + dt.timedelta(days=10))  # not yet in force
    lead = LeadFactory()
    services.lead_mark_mql(lead=lead, by=marketer)
    assert lead.transitions.get().sla == old


def test_resending_a_recycled_lead_starts_a_new_response_clock(sla, marketer, rep):
    lead = LeadFactory(stage=Stage.MQL, owner=rep)
    services.lead_accept(lead=lead, by=rep)
    services.lead_recycle(lead=lead, by=rep, reason="bad_timing")
    services.lead_resend(lead=lead, by=marketer, justification="Back in budget season.")
    lead.refresh_from_db()
    assert lead.stage == Stage.MQL
    assert lead.accepted_at is None
    assert lead.first_response_at is None
    assert lead.recycle_count == 1
    assert [t.to_stage for t in lead.transitions.all()] == [Stage.SAL, Stage.RECYCLED, Stage.MQL]


def test_a_recycled_lead_is_resent_not_marked_again(sla, marketer):
    lead = LeadFactory(stage=Stage.RECYCLED)
    with pytest.raises(TransitionError, match="Re-send it from nurture"):
        services.lead_mark_mql(lead=lead, by=marketer)


def test_the_system_does_not_resend_recycled_leads(sla):
    lead = LeadFactory(stage=Stage.RECYCLED)
    with pytest.raises(TransitionError, match="re-sends a recycled lead"):
        services.lead_resend(lead=lead, by=None)


# --- Sales decides -----------------------------------------------------------------------------


def test_accepting_sets_the_timestamps_and_claims_an_unassigned_lead(rep):
    lead = LeadFactory(stage=Stage.MQL, owner=None)
    services.lead_accept(lead=lead, by=rep)
    lead.refresh_from_db()
    assert lead.owner == rep
    assert lead.accepted_at is not None
    assert lead.first_response_at == lead.accepted_at


def test_a_rep_cannot_accept_a_lead_assigned_to_someone_else(rep, other_rep):
    lead = LeadFactory(stage=Stage.MQL, owner=other_rep)
    with pytest.raises(TransitionError, match=r"Only its owner \(any sales rep while it is"):
        services.lead_accept(lead=lead, by=rep)
    lead.refresh_from_db()
    assert lead.stage == Stage.MQL


def test_a_manager_can_accept_any_rep_s_lead(manager, rep):
    lead = LeadFactory(stage=Stage.MQL, owner=rep)
    services.lead_accept(lead=lead, by=manager)
    lead.refresh_from_db()
    assert lead.stage == Stage.SAL
    assert lead.owner == rep  # the rep keeps the lead


def test_a_marketer_cannot_take_sales_actions(marketer):
    lead = LeadFactory(stage=Stage.MQL)
    with pytest.raises(TransitionError):
        services.lead_accept(lead=lead, by=marketer)
    with pytest.raises(TransitionError):
        services.lead_reject(lead=lead, by=marketer, reason="no_budget")


def test_rejecting_needs_a_reason_from_the_list(rep):
    lead = LeadFactory(stage=Stage.MQL, owner=rep)
    with pytest.raises(TransitionError, match="Choose a reason"):
        services.lead_reject(lead=lead, by=rep, reason="")
    with pytest.raises(TransitionError, match="Choose a reason"):
        services.lead_reject(lead=lead, by=rep, reason="because")


def test_rejecting_for_other_needs_detail(rep):
    lead = LeadFactory(stage=Stage.MQL, owner=rep)
    with pytest.raises(TransitionError, match="Other"):
        services.lead_reject(lead=lead, by=rep, reason="other", detail=" ")
    services.lead_reject(lead=lead, by=rep, reason="other", detail="Wants a free tool.")
    assert lead.transitions.get().detail == "Wants a free tool."


def test_rejecting_returns_the_lead_to_marketing_nurture(rep):
    lead = LeadFactory(stage=Stage.MQL, owner=rep)
    services.lead_reject(lead=lead, by=rep, reason="not_icp", detail="Too small.")
    lead.refresh_from_db()
    assert lead.stage == Stage.RECYCLED
    assert lead.owner is None
    assert lead.recycle_count == 1
    assert lead.stage_reason == "not_icp"
    assert lead.first_response_at is not None
    assert Lead.objects.in_nurture().filter(pk=lead.pk).exists()
    transition = lead.transitions.get()
    assert transition.reason_label == "Not our ideal customer"


def test_qualifying_sets_qualified_at(rep):
    lead = LeadFactory(stage=Stage.SAL, owner=rep)
    services.lead_qualify(lead=lead, by=rep, detail="Budget approved, CFO signs.")
    lead.refresh_from_db()
    assert lead.qualified_at is not None
    assert lead.transitions.get().detail == "Budget approved, CFO signs."


def test_only_the_owner_qualifies(rep, other_rep):
    lead = LeadFactory(stage=Stage.SAL, owner=other_rep)
    with pytest.raises(TransitionError, match="Only its owner"):
        services.lead_qualify(lead=lead, by=rep)


def test_disqualifying_needs_a_reason_and_closes_the_lead(rep):
    lead = LeadFactory(stage=Stage.SQL, owner=rep)
    with pytest.raises(TransitionError, match="Choose a reason"):
        services.lead_disqualify(lead=lead, by=rep, reason="")
    services.lead_disqualify(lead=lead, by=rep, reason="no_authority")
    lead.refresh_from_db()
    assert lead.stage == Stage.DISQUALIFIED
    assert lead.closed_at is not None
    assert lead.stage_reason == "no_authority"


def test_recycling_an_unqualified_sal_needs_a_reason_and_clears_the_owner(rep):
    lead = LeadFactory(stage=Stage.SAL, owner=rep)
    with pytest.raises(TransitionError, match="Choose a reason"):
        services.lead_recycle(lead=lead, by=rep, reason="not_a_reason")
    services.lead_recycle(lead=lead, by=rep, reason="bad_timing", detail="Next year.")
    lead.refresh_from_db()
    assert (lead.stage, lead.owner, lead.recycle_count) == (Stage.RECYCLED, None, 1)


# --- Conversion --------------------------------------------------------------------------------


def test_converting_opens_a_deal_on_a_new_account(rep):
    lead = LeadFactory(stage=Stage.SQL, owner=rep, company="Initech", industry="Software")
    opportunity = services.lead_convert(
        lead=lead,
        by=rep,
        opportunity_name="Initech platform",
        amount="24000.50",
        expected_close_date=CLOSE_DATE,
    )
    lead.refresh_from_db()
    assert lead.stage == Stage.CONVERTED
    assert lead.converted_at is not None
    assert lead.account.name == "Initech"
    assert lead.account.industry == "Software"
    assert opportunity.lead == lead
    assert opportunity.owner == rep
    assert opportunity.amount == Decimal("24000.50")
    assert opportunity.stage == Opportunity.Stage.DISCOVERY
    assert opportunity.probability == 10
    assert opportunity.type == Opportunity.Type.NEW_BUSINESS
    assert opportunity.stage_changes.get().to_stage == Opportunity.Stage.DISCOVERY


def test_converting_links_an_existing_account_whatever_its_case(rep):
    account = AccountFactory(name="Globex Corporation")
    lead = LeadFactory(stage=Stage.SQL, owner=rep, company="GLOBEX corporation")
    opportunity = services.lead_convert(
        lead=lead, by=rep, opportunity_name="Deal", amount=0, expected_close_date=CLOSE_DATE
    )
    assert opportunity.account == account
    assert Account.objects.count() == 1


def test_a_deal_with_an_existing_customer_is_an_upsell(rep):
    account = AccountFactory(name="Hooli", customer_since=dt.date(2025, 1, 1))
    lead = LeadFactory(stage=Stage.SQL, owner=rep)
    opportunity = services.lead_convert(
        lead=lead,
        by=rep,
        account=account,
        opportunity_name="More seats",
        amount=5000,
        expected_close_date=CLOSE_DATE,
    )
    assert opportunity.type == Opportunity.Type.UPSELL


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"opportunity_name": " "}, "Name the opportunity"),
        ({"amount": "-1"}, "zero or more"),
        ({"amount": "lots"}, "not an amount"),
        ({"amount": "NaN"}, "zero or more"),
    ],
)
def test_converting_refuses_bad_input_and_writes_nothing(rep, kwargs, message):
    lead = LeadFactory(stage=Stage.SQL, owner=rep)
    arguments = {
        "opportunity_name": "Deal",
        "amount": "100",
        "expected_close_date": CLOSE_DATE,
        **kwargs,
    }
    with pytest.raises(TransitionError, match=message):
        services.lead_convert(lead=lead, by=rep, **arguments)
    lead.refresh_from_db()
    assert lead.stage == Stage.SQL
    assert not Opportunity.objects.exists()
    assert not Account.objects.exists()


def test_converting_a_lead_without_company_needs_an_account_name(rep):
    lead = LeadFactory(stage=Stage.SQL, owner=rep, company="")
    with pytest.raises(TransitionError, match="Name the account"):
        services.lead_convert(
            lead=lead, by=rep, opportunity_name="D", amount=1, expected_close_date=CLOSE_DATE
        )
    opportunity = services.lead_convert(
        lead=lead,
        by=rep,
        account_name="Freelance Studio",
        opportunity_name="D",
        amount=1,
        expected_close_date=CLOSE_DATE,
    )
    assert opportunity.account.name == "Freelance Studio"


# --- Deals -------------------------------------------------------------------------------------


def test_moving_a_deal_records_the_change_and_sets_the_stage_probability(rep):
    opportunity = OpportunityFactory(owner=rep)
    services.opportunity_move(opportunity=opportunity, stage="demo", by=rep)
    opportunity.refresh_from_db()
    assert (opportunity.stage, opportunity.probability) == ("demo", 25)
    change = opportunity.stage_changes.get()
    assert (change.from_stage, change.to_stage, change.actor) == ("discovery", "demo", rep)


@pytest.mark.parametrize("stage", ["discovery", "won", "lost", "bogus"])
def test_a_deal_moves_only_to_another_open_stage(rep, stage):
    opportunity = OpportunityFactory(owner=rep)
    with pytest.raises(TransitionError):
        services.opportunity_move(opportunity=opportunity, stage=stage, by=rep)
    opportunity.refresh_from_db()
    assert opportunity.stage == "discovery"


def test_a_rep_cannot_move_another_rep_s_deal(rep, other_rep):
    opportunity = OpportunityFactory(owner=other_rep)
    with pytest.raises(TransitionError, match="owner or a manager"):
        services.opportunity_move(opportunity=opportunity, stage="demo", by=rep)


def test_winning_makes_the_account_a_customer_once(rep):
    opportunity = OpportunityFactory(owner=rep)
    services.opportunity_close_won(opportunity=opportunity, by=rep, closed_date=dt.date(2026, 3, 2))
    opportunity.account.refresh_from_db()
    assert opportunity.account.customer_since == dt.date(2026, 3, 2)
    second = OpportunityFactory(owner=rep, account=opportunity.account)
    services.opportunity_close_won(opportunity=second, by=rep, closed_date=dt.date(2026, 9, 9))
    opportunity.account.refresh_from_db()
    assert opportunity.account.customer_since == dt.date(2026, 3, 2)


def test_a_closed_deal_cannot_be_moved_or_closed_again(rep):
    opportunity = OpportunityFactory(owner=rep)
    services.opportunity_close_lost(opportunity=opportunity, by=rep, reason="price")
    opportunity.refresh_from_db()
    assert (opportunity.stage, opportunity.probability, opportunity.lost_reason) == (
        "lost",
        0,
        "price",
    )
    with pytest.raises(TransitionError, match="lost and cannot be moved"):
        services.opportunity_move(opportunity=opportunity, stage="demo", by=rep)
    with pytest.raises(TransitionError, match="cannot be closed"):
        services.opportunity_close_won(opportunity=opportunity, by=rep)


def test_losing_a_deal_needs_a_reason(rep):
    opportunity = OpportunityFactory(owner=rep)
    with pytest.raises(TransitionError, match="why the deal was lost"):
        services.opportunity_close_lost(opportunity=opportunity, by=rep, reason="")
    with pytest.raises(TransitionError, match="Other"):
        services.opportunity_close_lost(opportunity=opportunity, by=rep, reason="other")


def test_closing_the_converted_deal_closes_its_lead(rep):
    lead = LeadFactory(stage=Stage.SQL, owner=rep)
    opportunity = services.lead_convert(
        lead=lead, by=rep, opportunity_name="D", amount=1, expected_close_date=CLOSE_DATE
    )
    services.opportunity_close_won(opportunity=opportunity, by=rep)
    lead.refresh_from_db()
    assert lead.closed_at is not None


@pytest.mark.parametrize("answer", ["accept", "reject"])
def test_sales_answer_carries_the_pass_it_answers(rep, sla, answer):
    lead = LeadFactory(stage=Stage.NEW, score=80, company="Acme", email="a@acme.test", owner=rep)
    services.lead_mark_mql(lead=lead, by=None)
    lead.refresh_from_db()
    if answer == "accept":
        services.lead_accept(lead=lead, by=rep)
    else:
        services.lead_reject(lead=lead, by=rep, reason="not_icp")
    decision = lead.transitions.get(from_stage=Stage.MQL)
    assert (decision.pass_started_at, decision.due_at) == (lead.mql_at, lead.response_due_at)


def _reached(lead):
    lead.refresh_from_db()
    return (lead.reached_mql, lead.reached_sal, lead.reached_sql)


def test_a_lead_remembers_the_furthest_stages_it_reached_through_recycling(sla, marketer, rep):
    lead = LeadFactory(score=72, company="Acme", owner=rep)
    assert _reached(lead) == (False, False, False)
    services.lead_mark_mql(lead=lead, by=None)
    assert _reached(lead) == (True, False, False)
    services.lead_accept(lead=lead, by=rep)
    assert _reached(lead) == (True, True, False)
    services.lead_recycle(lead=lead, by=rep, reason="bad_timing")
    assert _reached(lead) == (True, True, False)  # nurture does not undo what happened
    services.lead_resend(lead=lead, by=marketer, justification="Back in budget season.")
    services.lead_accept(lead=lead, by=rep)
    services.lead_qualify(lead=lead, by=rep)
    assert _reached(lead) == (True, True, True)


def test_promoting_in_bulk_marks_the_leads_as_having_reached_mql(sla):
    promoted = LeadFactory(score=72, company="Acme")
    below = LeadFactory(score=10, company="Acme")
    assert services.leads_promote_qualified() == 1
    assert _reached(promoted) == (True, False, False)
    assert _reached(below) == (False, False, False)


def test_a_transition_written_directly_keeps_the_flag(rep):
    lead = LeadFactory(stage=Stage.SQL, owner=rep, reached_mql=False)
    LeadTransition.objects.create(lead=lead, from_stage=Stage.SAL, to_stage=Stage.SQL, actor=rep)
    assert _reached(lead) == (False, False, True)


def test_a_move_is_credited_to_its_lead_s_source_at_the_time(sla, marketer, rep):
    webinar = CampaignFactory(channel="webinar")
    lead = LeadFactory(score=72, company="Acme", owner=rep, campaign=webinar, channel="webinar")
    services.lead_mark_mql(lead=lead, by=marketer)
    event = CampaignFactory(channel="event")
    Lead.objects.filter(pk=lead.pk).update(campaign=event, channel="event")  # re-attributed
    lead.refresh_from_db()
    services.lead_accept(lead=lead, by=rep)
    first, second = lead.transitions.all()
    assert (first.campaign, first.channel) == (webinar, "webinar")
    assert (second.campaign, second.channel) == (event, "event")
    promoted = LeadFactory(score=72, company="Acme", campaign=webinar, channel="webinar")
    services.leads_promote_qualified()  # bulk writes credit their leads too
    assert promoted.transitions.get().channel == "webinar"


def test_leaving_sal_carries_the_stint_its_acceptance_began(sla, rep):
    lead = LeadFactory(stage=Stage.MQL, owner=rep)
    services.lead_accept(lead=lead, by=rep)
    services.lead_qualify(lead=lead, by=rep)
    accepted, qualified = lead.transitions.all()
    assert accepted.decide_due_at is not None
    assert (qualified.pass_started_at, qualified.decide_due_at) == (
        accepted.pass_started_at,
        accepted.decide_due_at,
    )
    assert qualified.response_seconds is None  # only answers to a pass have a response time


def test_a_bulk_written_move_out_of_sal_carries_its_stint_too(sla, rep):
    lead = LeadFactory(stage=Stage.MQL, owner=rep)
    services.lead_accept(lead=lead, by=rep)
    accepted = lead.transitions.get()
    (converted,) = LeadTransition.objects.bulk_create(
        [LeadTransition(lead=lead, from_stage=Stage.SAL, to_stage=Stage.CONVERTED)]
    )
    assert converted.decide_due_at == accepted.decide_due_at
