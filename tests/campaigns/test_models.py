import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse

from campaigns.models import Campaign
from tests.factories import CampaignFactory, SpendEntryFactory

pytestmark = pytest.mark.django_db


def test_budget_cannot_be_negative():
    with pytest.raises(IntegrityError), transaction.atomic():
        CampaignFactory(budget=Decimal("-0.01"))


def test_a_campaign_cannot_end_before_it_starts():
    with pytest.raises(IntegrityError), transaction.atomic():
        CampaignFactory(start_date=dt.date(2026, 5, 2), end_date=dt.date(2026, 5, 1))


def test_clean_says_which_date_is_wrong():
    campaign = CampaignFactory.build(start_date=dt.date(2026, 5, 2), end_date=dt.date(2026, 5, 1))
    with pytest.raises(ValidationError) as error:
        campaign.full_clean(exclude=["owner"])
    assert "end date must be on or after" in str(error.value.message_dict["end_date"])


def test_slug_is_unique():
    CampaignFactory(slug="spring")
    with pytest.raises(IntegrityError), transaction.atomic():
        CampaignFactory(slug="spring")


def test_channel_and_status_must_be_known():
    with pytest.raises(IntegrityError), transaction.atomic():
        CampaignFactory(channel="carrier_pigeon")
    with pytest.raises(IntegrityError), transaction.atomic():
        CampaignFactory(status="cancelled")


def test_spend_is_positive():
    with pytest.raises(IntegrityError), transaction.atomic():
        SpendEntryFactory(amount=Decimal("0"))


def test_with_spend_sums_the_entries_and_counts_zero_for_none():
    spent = CampaignFactory()
    SpendEntryFactory(campaign=spent, amount=Decimal("100.10"))
    SpendEntryFactory(campaign=spent, amount=Decimal("0.90"))
    idle = CampaignFactory()
    spend = dict(Campaign.objects.with_spend().values_list("pk", "spend"))
    assert spend == {spent.pk: Decimal("101.00"), idle.pk: Decimal("0")}


def test_campaign_str_and_url():
    campaign = CampaignFactory(name="Spring launch", slug="spring-launch")
    assert str(campaign) == "Spring launch"
    assert campaign.get_absolute_url() == "/campaigns/spring-launch/"


def test_a_campaigns_url_is_what_reverse_gives():
    campaign = CampaignFactory.build(slug="Spring-launch_2")
    expected = reverse("campaigns:campaign-detail", kwargs={"slug": "Spring-launch_2"})
    assert campaign.get_absolute_url() == expected == "/campaigns/Spring-launch_2/"


@pytest.mark.parametrize("slug", ["ünïcode", "a b", ""])
def test_a_slug_the_url_cannot_hold_fails_as_reverse_fails(slug):
    with pytest.raises(NoReverseMatch):
        CampaignFactory.build(slug=slug).get_absolute_url()
