"""A list's bare visit (no filter, sorting or page asked for) reads its totals and first page
through compiled queries (CountedByTotalsMixin.bare_visit); any other visit through the ORM.
Both must show the same page."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from leads.models import Lead, Proposal
from tests.factories import (
    AccountFactory,
    CampaignFactory,
    LeadFactory,
    OpportunityFactory,
    ProposalFactory,
    RepFactory,
    SpendEntryFactory,
)

pytestmark = pytest.mark.django_db


def both_ways(client, url):
    bare = client.get(url)
    asked = client.get(url, {"page": 1})  # the same page, by the ORM's way
    assert bare.status_code == asked.status_code == 200
    return bare.context, asked.context


def test_the_bare_campaign_list_shows_what_its_first_page_shows(client, marketer):
    for i in range(27):  # more than a page
        campaign = CampaignFactory(name=f"Campaign {i:02}", budget=Decimal(100 + i))
        SpendEntryFactory(campaign=campaign, amount=Decimal("12.50"))
    LeadFactory.create_batch(2, campaign=campaign)
    LeadFactory(campaign=campaign, stage=Lead.Stage.MQL)
    client.force_login(marketer)
    bare, asked = both_ways(client, reverse("campaigns:campaign-list"))
    assert bare["rows"] == asked["rows"]
    assert len(bare["rows"]) == 25
    assert bare["totals"] == asked["totals"]
    assert bare["totals"]["count"] == 27
    assert bare["totals"]["spend"] == Decimal("337.50")
    assert (bare["totals"]["leads"], bare["totals"]["mqls"]) == (3, 1)
    assert bare["page_obj"].paginator.num_pages == asked["page_obj"].paginator.num_pages == 2


def test_the_bare_campaign_list_of_nothing_has_zero_totals(client, marketer):
    client.force_login(marketer)
    bare, asked = both_ways(client, reverse("campaigns:campaign-list"))
    assert bare["totals"] == asked["totals"]
    assert bare["totals"]["count"] == 0
    assert bare["rows"] == []


@pytest.mark.parametrize("who", ["rep", "manager", "marketer"])
def test_the_bare_account_list_shows_what_its_first_page_shows(client, request, who):
    for i in range(52):  # more than a page
        AccountFactory(name=f"Account {i:02}")
    client.force_login(request.getfixturevalue(who))
    bare, asked = both_ways(client, reverse("leads:account-list"))
    assert bare["rows"] == asked["rows"]
    assert len(bare["rows"]) == 50
    assert bare["totals"] == asked["totals"]
    assert bare["totals"]["count"] == 52


@pytest.mark.parametrize("who", ["rep", "manager"])
def test_the_bare_proposal_list_shows_what_its_first_page_shows(client, request, who, rep):
    today = timezone.localdate()
    for i, owner in enumerate([rep] * 30 + [RepFactory()] * 30):
        deal = OpportunityFactory(owner=owner)
        ProposalFactory(
            opportunity=deal,
            status=[Proposal.Status.DRAFT, Proposal.Status.SENT][i % 2],
            valid_until=today + dt.timedelta(days=(i % 7) - 2),  # some sent ones expired
        )
    client.force_login(request.getfixturevalue(who))
    bare, asked = both_ways(client, reverse("leads:proposal-list"))
    assert bare["rows"] == asked["rows"]
    assert bare["rows"]
    assert bare["totals"] == asked["totals"]
    assert bare["page_obj"].paginator.num_pages == asked["page_obj"].paginator.num_pages


def test_the_bare_proposal_list_of_nothing_has_zero_totals(client, manager):
    client.force_login(manager)
    bare, asked = both_ways(client, reverse("leads:proposal-list"))
    assert bare["totals"] == asked["totals"]
    assert bare["totals"]["count"] == 0
    assert bare["totals"]["total"] == Decimal("0.00")
    assert bare["rows"] == []
