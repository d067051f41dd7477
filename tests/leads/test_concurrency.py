"""Two people acting on one lead at the same moment: the row lock lets exactly one through."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from crm.errors import ConflictError, TransitionError
from leads import services
from leads.models import Lead, LeadTransition, Proposal
from tests.conftest import requires_postgres
from tests.factories import (
    LeadFactory,
    OpportunityFactory,
    ProposalFactory,
    ProposalLineFactory,
)

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def _race(*calls):
    """Run the calls in threads released together; return what each returned or raised."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as e:  # the outcome is what the test checks
            results[i] = e
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_two_reps_accepting_the_same_unassigned_mql_one_wins(rep, other_rep):
    lead = LeadFactory(stage=Lead.Stage.MQL, owner=None)
    results = _race(
        lambda: services.lead_accept(lead=lead, by=rep),
        lambda: services.lead_accept(lead=lead, by=other_rep),
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1
    assert isinstance(errors[0], TransitionError)
    assert "is SAL and cannot be accepted" in str(errors[0])
    lead.refresh_from_db()
    assert lead.owner in (rep, other_rep)
    assert LeadTransition.objects.filter(lead=lead).count() == 1


def test_accept_and_reject_at_once_leave_one_decision(rep, manager):
    lead = LeadFactory(stage=Lead.Stage.MQL, owner=rep)
    results = _race(
        lambda: services.lead_accept(lead=lead, by=rep),
        lambda: services.lead_reject(lead=lead, by=manager, reason="bad_data"),
    )
    assert sum(isinstance(r, TransitionError) for r in results) == 1
    lead.refresh_from_db()
    assert lead.transitions.count() == 1
    assert lead.stage == lead.transitions.get().to_stage


def test_two_reps_claiming_the_same_queued_mql_one_gets_it(rep, other_rep):
    lead = LeadFactory(stage=Lead.Stage.MQL, owner=None)
    results = _race(
        lambda: services.lead_claim(lead=lead, by=rep),
        lambda: services.lead_claim(lead=lead, by=other_rep),
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1
    assert "is already assigned to" in str(errors[0])
    lead.refresh_from_db()
    assert lead.owner in (rep, other_rep)


# --- Deals and proposals --------------------------------------------------------------------


def test_won_and_lost_at_once_close_a_deal_once(rep, manager):
    deal = OpportunityFactory(owner=rep)
    results = _race(
        lambda: services.opportunity_close_won(opportunity=deal, by=rep),
        lambda: services.opportunity_close_lost(opportunity=deal, by=manager, reason="price"),
    )
    assert sum(isinstance(r, TransitionError) for r in results) == 1
    deal.refresh_from_db()
    assert deal.stage_changes.count() == 1
    assert deal.stage == deal.stage_changes.get().to_stage


def test_two_revisions_at_once_make_one_new_version(rep, manager):
    deal = OpportunityFactory(owner=rep)
    sent = ProposalFactory(opportunity=deal)
    ProposalLineFactory(proposal=sent)
    services.proposal_send(proposal=sent, by=rep)
    results = _race(
        lambda: services.proposal_revise(proposal=sent, by=rep),
        lambda: services.proposal_revise(proposal=sent, by=manager),
    )
    assert sum(isinstance(r, TransitionError) for r in results) == 1
    assert sorted(Proposal.objects.values_list("version", flat=True)) == [1, 2]


def test_two_people_saving_the_same_deal_from_the_same_version_one_is_refused(rep, manager):
    """Both opened the deal at version 1; one moves it, the other edits its amount. The second
    to commit is refused, so neither change silently undoes the other."""
    deal = OpportunityFactory(owner=rep, stage="demo", amount=Decimal("12000.00"))
    results = _race(
        lambda: services.opportunity_move(opportunity=deal, by=rep, stage="proposal", version=1),
        lambda: services.opportunity_update(
            opportunity=deal, by=manager, amount="99000", version=1
        ),
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1
    assert isinstance(errors[0], ConflictError)
    deal.refresh_from_db()
    assert deal.version == 2
    # Exactly one of the two changes, whole.
    assert (deal.stage, deal.amount) in (("proposal", Decimal("12000.00")), ("demo", 99000))
