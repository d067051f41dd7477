import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from leads import services
from leads.models import Lead
from tests.factories import CampaignFactory, LeadFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("who", "status"),
    [("manager", 200), ("marketer", 200), ("rep", 200), ("outsider", 403)],
)
def test_dashboard_access(client, request, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("reports:dashboard")).status_code == status


def test_dashboard_counts_this_month_from_the_database(client, manager, rep):
    campaign = CampaignFactory()
    LeadFactory.create_batch(3, campaign=campaign)
    LeadFactory.create_batch(2, campaign=campaign, stage=Lead.Stage.MQL)
    old = LeadFactory(campaign=campaign, stage=Lead.Stage.MQL)
    last_year = timezone.now() - dt.timedelta(days=400)
    Lead.objects.filter(pk=old.pk).update(created_at=last_year, mql_at=last_year)
    won = OpportunityFactory(owner=rep, amount="7000.00")
    services.opportunity_close_won(opportunity=won, by=rep)
    OpportunityFactory(owner=rep, stage="demo", amount="1500.00")
    client.force_login(manager)
    context = client.get(reverse("reports:dashboard")).context
    assert context["headlines"] == {
        "created": 5,
        "mqls": 2,
        "won_count": 1,
        "won_revenue": 7000,
    }
    assert dict(context["leads_by_stage"])["MQL"] == 3
    demo = next(row for row in context["pipeline"] if row["stage"] == "Demo")
    assert (demo["count"], demo["amount"]) == (1, 1500)
    assert context["sla"].version == 1


def test_dashboard_query_count_is_flat(client, manager, django_assert_max_num_queries):
    campaign = CampaignFactory()
    LeadFactory.create_batch(80, campaign=campaign, stage=Lead.Stage.MQL)
    OpportunityFactory.create_batch(30)
    client.force_login(manager)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("reports:dashboard")).status_code == 200


def test_the_dashboard_links_to_the_report_pages(client, manager):
    client.force_login(manager)
    html = client.get(reverse("reports:dashboard")).content.decode()
    assert f'href="{reverse("reports:sla")}"' in html
    assert f'href="{reverse("reports:funnel")}"' in html
