import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

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


def test_dashboard_compares_each_headline_with_the_period_before(client, manager, rep):
    """Last month against the month before: leads created, deals won."""
    today = timezone.localdate()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=15)
    month_before = (last_month.replace(day=1) - dt.timedelta(days=1)).replace(day=15)
    noon = dt.time(12)
    for day, n in [(last_month, 3), (month_before, 2)]:
        when = timezone.make_aware(dt.datetime.combine(day, noon))
        for lead in LeadFactory.create_batch(n):
            Lead.objects.filter(pk=lead.pk).update(created_at=when)
    OpportunityFactory(owner=rep, stage="won", closed_date=last_month, amount="7000.00")
    OpportunityFactory(owner=rep, stage="demo", amount="1500.00")
    client.force_login(manager)
    context = client.get(reverse("reports:dashboard"), {"period": "last_month"}).context
    rows = {row["key"]: row for row in context["headlines"]}
    assert (rows["leads"]["value"], rows["leads"]["previous"]) == (3, 2)
    assert rows["leads"]["change"] == Decimal("0.5")
    assert rows["leads"]["better"] is True
    assert (rows["revenue"]["value"], rows["revenue"]["previous"]) == (7000, 0)
    assert rows["revenue"]["change"] is None  # nothing to compare with
    assert rows["leads"]["url"] == reverse("reports:funnel")
    demo = next(row for row in context["pipeline"] if row["stage"] == "Demo")
    assert (demo["count"], demo["amount"]) == (1, 1500)
    assert context["sla"].version == 1


def test_dashboard_csv_has_both_periods(client, manager):
    LeadFactory.create_batch(2)
    client.force_login(manager)
    response = client.get(reverse("reports:dashboard"), {"format": "csv"})
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Figure,")
    assert lines[1].startswith("New leads,2,0,")


def test_dashboard_query_count_is_flat(client, manager, django_assert_max_num_queries):
    campaign = CampaignFactory()
    LeadFactory.create_batch(80, campaign=campaign, stage=Lead.Stage.MQL)
    OpportunityFactory.create_batch(30)
    client.force_login(manager)
    with django_assert_max_num_queries(29):
        assert client.get(reverse("reports:dashboard")).status_code == 200


def test_the_dashboard_links_to_the_report_pages(client, manager):
    client.force_login(manager)
    html = client.get(reverse("reports:dashboard")).content.decode()
    assert f'href="{reverse("reports:sla")}"' in html
    assert f'href="{reverse("reports:funnel")}"' in html
