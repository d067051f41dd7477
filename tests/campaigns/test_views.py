import pytest
from django.urls import reverse

from leads.models import Lead
from tests.factories import CampaignFactory, LeadFactory, SpendEntryFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("who", "status"), [("marketer", 200), ("manager", 200), ("rep", 403), ("outsider", 403)]
)
def test_campaign_list_access(client, request, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("campaigns:campaign-list")).status_code == status


def test_campaign_list_shows_spend_and_lead_counts(client, marketer):
    campaign = CampaignFactory(name="Summit 2026", owner=marketer)
    SpendEntryFactory(campaign=campaign, amount="1200.00")
    SpendEntryFactory(campaign=campaign, amount="300.00")
    LeadFactory.create_batch(3, campaign=campaign)
    client.force_login(marketer)
    response = client.get(reverse("campaigns:campaign-list"))
    row = next(c for c in response.context["campaign_list"] if c.pk == campaign.pk)
    assert (row.spend, row.lead_count) == (1500, 3)
    assert "Summit 2026" in response.content.decode()


def test_campaign_list_has_an_empty_state(client, marketer):
    client.force_login(marketer)
    assert "No campaigns yet." in client.get(reverse("campaigns:campaign-list")).content.decode()


def test_campaign_list_query_count_is_flat(client, marketer, django_assert_max_num_queries):
    for campaign in CampaignFactory.create_batch(30, owner=marketer):
        SpendEntryFactory.create_batch(2, campaign=campaign)
        LeadFactory.create_batch(2, campaign=campaign)
    client.force_login(marketer)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("campaigns:campaign-list"))
    assert len(response.context["campaign_list"]) == 25
    assert response.context["is_paginated"]


@pytest.mark.parametrize(
    ("who", "status"), [("marketer", 200), ("rep", 200), ("manager", 200), ("outsider", 403)]
)
def test_campaign_detail_access(client, request, who, status):
    campaign = CampaignFactory()
    client.force_login(request.getfixturevalue(who))
    assert client.get(campaign.get_absolute_url()).status_code == status


def test_campaign_detail_counts_leads_by_stage(client, marketer, django_assert_max_num_queries):
    campaign = CampaignFactory()
    LeadFactory.create_batch(4, campaign=campaign, stage=Lead.Stage.MQL)
    LeadFactory.create_batch(2, campaign=campaign)
    SpendEntryFactory.create_batch(30, campaign=campaign)
    client.force_login(marketer)
    with django_assert_max_num_queries(6):
        response = client.get(campaign.get_absolute_url())
    stages = dict(response.context["leads_by_stage"])
    assert (stages["MQL"], stages["New"], response.context["lead_total"]) == (4, 2, 6)


def test_an_unknown_campaign_is_a_404(client, marketer):
    client.force_login(marketer)
    assert client.get("/campaigns/no-such-campaign/").status_code == 404
