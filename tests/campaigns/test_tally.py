"""Campaign tallies: the database keeps each campaign's lead and MQL counts whatever way a lead
is written (campaigns/migrations/0003 — triggers on SQLite and PostgreSQL)."""

import pytest
from django.db.models import Count, Q

from campaigns.models import Campaign, CampaignTally
from leads import importer
from leads.models import Lead
from tests.factories import CampaignFactory, LeadFactory

pytestmark = pytest.mark.django_db


def tally(campaign):
    row = CampaignTally.objects.filter(campaign=campaign).first()
    return (row.leads, row.mqls) if row else (0, 0)


def counted(campaign):
    """What the tally must say, counted the slow way."""
    figures = Lead.objects.filter(campaign=campaign).aggregate(
        leads=Count("pk"), mqls=Count("pk", filter=Q(reached_mql=True))
    )
    return figures["leads"], figures["mqls"]


def test_saves_updates_and_deletes_keep_the_counts():
    spring, autumn = CampaignFactory(), CampaignFactory()
    assert tally(spring) == (0, 0)
    first = LeadFactory(campaign=spring)
    LeadFactory(campaign=spring, stage=Lead.Stage.MQL)
    LeadFactory(campaign=None)
    assert tally(spring) == (2, 1) == counted(spring)
    first.reached_mql = True
    first.save()
    assert tally(spring) == (2, 2)
    first.save()  # nothing changed: nothing counted
    assert tally(spring) == (2, 2)
    first.campaign = autumn
    first.save()
    assert (tally(spring), tally(autumn)) == ((1, 1), (1, 1))
    Lead.objects.filter(pk=first.pk).update(campaign=None)
    assert tally(autumn) == (0, 0)
    Lead.objects.filter(campaign=spring).delete()
    assert tally(spring) == (0, 0) == counted(spring)


def test_bulk_writes_count_too():
    campaign = CampaignFactory()
    leads = Lead.objects.bulk_create(
        [
            Lead(first_name=f"Bulk {i}", email=f"bulk{i}@example.com", campaign=campaign)
            for i in range(30)
        ]
    )
    assert tally(campaign) == (30, 0)
    Lead.objects.filter(pk__in=[lead.pk for lead in leads[:12]]).update(reached_mql=True)
    assert tally(campaign) == (30, 12) == counted(campaign)
    other = CampaignFactory()
    Lead.objects.filter(pk__in=[lead.pk for lead in leads[:5]]).update(campaign=other)
    assert (tally(campaign), tally(other)) == ((25, 7), (5, 5))


def test_an_import_counts_its_leads_and_promotions(sla):
    campaign = CampaignFactory(channel="webinar")
    text = "Email,First name,Company\n" + "".join(
        f"p{i}@imported.example,Person {i},Co {i}\n" for i in range(40)
    )
    result = importer.run(
        text,
        importer.Options(
            mapping={"email": "Email", "first_name": "First name", "company": "Company"},
            campaign=campaign,
        ),
    )
    assert result.created == 40
    assert tally(campaign) == counted(campaign)
    assert tally(campaign)[0] == 40


def test_the_campaign_list_reads_the_tallies_in_a_flat_number_of_queries(
    client, marketer, django_assert_max_num_queries
):
    campaigns = CampaignFactory.create_batch(30)
    for i, campaign in enumerate(campaigns):
        LeadFactory.create_batch(i % 3, campaign=campaign)
        LeadFactory.create_batch(i % 2, campaign=campaign, stage=Lead.Stage.MQL)
    client.force_login(marketer)
    with django_assert_max_num_queries(8):
        response = client.get("/campaigns/", {"ordering": "-leads"})
    rows = response.context["campaign_list"]
    assert [row.lead_count for row in rows] == sorted(
        (row.lead_count for row in rows), reverse=True
    )
    for row in rows:
        assert (row.lead_count, row.mql_count) == counted(Campaign.objects.get(pk=row.pk))
    totals = response.context["totals"]
    assert (totals["leads"], totals["mqls"]) == (Lead.objects.count(), 15)
