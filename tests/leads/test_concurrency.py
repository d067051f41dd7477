"""Two people acting on one lead at the same moment: the row lock lets exactly one through."""

import threading
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from crm.errors import ConflictError, TransitionError
from leads import deal_importer, importer, services
from leads.models import Account, FormSubmission, Lead, LeadTransition, Opportunity, Proposal
from tests.conftest import requires_postgres
from tests.factories import (
    CampaignFactory,
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


def _leads_csv(numbers, *, company="Acme"):
    lines = ["Email,First name,Last name,Company"]
    lines += [f"person{n}@example.com,Person,{n},{company}" for n in numbers]
    return "\n".join(lines) + "\n"


def _import(text):
    header, _ = importer.read(text)
    return importer.run(text, importer.Options(mapping=importer.guess_mapping(header)))


def test_overlapping_imports_at_once_create_each_lead_once(monkeypatch):
    monkeypatch.setattr(importer, "BATCH", 300)
    # Two files sharing 600 addresses, each five batches long, imported at the same moment,
    # their shared rows first so the two batches collide: every address is one lead, the
    # shared ones created by one import and updated by the other.
    shared = list(range(600))
    first = _leads_csv([*shared, *range(1000, 1900)])
    second = _leads_csv([*shared, *range(2000, 2900)], company="Globex")
    results = _race(lambda: _import(first), lambda: _import(second))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Lead.objects.count() == 2400
    assert sum(r.created for r in results) == 2400
    assert sum(r.updated for r in results) == 600
    assert not any(r.errors for r in results)
    winner = Lead.objects.get(email="person0@example.com").company
    assert (
        Lead.objects.filter(email__in=[f"person{n}@example.com" for n in shared])
        .filter(company=winner)
        .count()
        == 600
    )  # one import's batch wrote them all, the other's then updated them all


def test_a_form_submission_and_an_import_of_one_new_address_make_one_lead(monkeypatch):
    monkeypatch.setattr(importer, "BATCH", 300)
    campaign = CampaignFactory()
    for attempt in range(3):  # the address in the import's first batch; three tries at it
        text = _leads_csv(range(attempt * 1000, attempt * 1000 + 600))
        results = _race(
            lambda text=text: _import(text),
            lambda email=f"person{attempt * 1000}@example.com": services.lead_capture(
                campaign=campaign, email=email, answers={}, tracking={}
            ),
        )
        assert not [r for r in results if isinstance(r, Exception)], results
    assert Lead.objects.count() == 1800
    assert FormSubmission.objects.count() == 3


def test_two_submissions_of_one_new_address_make_one_lead_with_two_touches():
    campaign = CampaignFactory()
    results = _race(
        *[
            lambda: services.lead_capture(
                campaign=campaign, email="new@example.com", answers={}, tracking={}
            )
        ]
        * 2
    )
    assert results[0].pk == results[1].pk
    lead = Lead.objects.get()
    assert lead.submission_count == 2
    assert FormSubmission.objects.filter(lead=lead).count() == 2


def _deals_csv(numbers, *, owner):
    lines = ["opportunity_id,sales_agent,account,deal_stage,engage_date,close_date,close_value"]
    lines += [
        f"D{n},{owner},Account {n % 7},Prospecting,2026-01-10,2026-12-01,{n}" for n in numbers
    ]
    return "\n".join(lines) + "\n"


def _import_deals(text):
    header, _ = importer.read(text)
    options = deal_importer.Options(
        mapping=importer.guess_mapping(header, deal_importer.FIELDS),
        stage_map={"prospecting": "discovery", "engaging": "demo"},
        create_users=True,
        on_duplicate="update",
    )
    return deal_importer.run(text, options)


def test_overlapping_deal_imports_at_once_create_each_deal_account_and_rep_once(monkeypatch):
    # Both files name the same new rep, the same seven accounts and 300 of the same deals.
    monkeypatch.setattr(deal_importer, "BATCH", 200)
    shared = list(range(300))
    first = _deals_csv([*shared, *range(1000, 1500)], owner="Moses Frase")
    second = _deals_csv([*shared, *range(2000, 2500)], owner="moses  frase")
    results = _race(lambda: _import_deals(first), lambda: _import_deals(second))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert [r.errors[:3] for r in results] == [[], []]
    assert Opportunity.objects.count() == 1300
    assert sum(r.created for r in results) == 1300
    assert Account.objects.count() == 7
    assert list(get_user_model().objects.values_list("username", flat=True)) == ["moses.frase"]
