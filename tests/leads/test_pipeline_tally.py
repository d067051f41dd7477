"""The pipeline tally (leads.models.PipelineTally), kept by triggers on the deal table: after
every way a deal is written, it holds what summing the deals gives."""

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import F
from django.urls import reverse

from crm.db import Row, allocate_pks, bulk_insert
from leads.models import Opportunity, PipelineTally
from tests.factories import AccountFactory, OpportunityFactory, RepFactory

pytestmark = pytest.mark.django_db


def tallied() -> dict:
    return {
        (t.owner_id, t.stage): (t.deals, t.amount_cents, t.weighted_cents_percent)
        for t in PipelineTally.objects.all()
        if t.deals or t.amount_cents or t.weighted_cents_percent
    }


def counted() -> dict:
    sums = Counter()
    for deal in Opportunity.objects.all():
        cents = int(deal.amount * 100)
        key = (deal.owner_id, deal.stage)
        sums[key, "n"] += 1
        sums[key, "c"] += cents
        sums[key, "w"] += cents * deal.probability
    keys = {key for key, _ in sums}
    return {key: (sums[key, "n"], sums[key, "c"], sums[key, "w"]) for key in keys}


@pytest.fixture
def deals():
    ann, bob = RepFactory(), RepFactory()
    made = [
        OpportunityFactory(owner=ann, stage="discovery", amount=Decimal("1000.10"), probability=10),
        OpportunityFactory(owner=ann, stage="demo", amount=Decimal("2500.55"), probability=30),
        OpportunityFactory(owner=bob, stage="demo", amount=Decimal("999.99"), probability=35),
        OpportunityFactory(owner=bob, stage="negotiation", amount=Decimal("0.01"), probability=80),
    ]
    return ann, bob, made


def test_creating_saving_and_deleting_deals_keeps_the_tally(deals):
    ann, bob, made = deals
    assert tallied() == counted()
    assert tallied()[ann.pk, "demo"] == (1, 250055, 250055 * 30)
    deal = made[0]
    deal.stage, deal.amount, deal.probability = "proposal", Decimal("1200.00"), 50
    deal.save()
    assert tallied() == counted()
    deal.owner = bob
    deal.save()
    assert tallied() == counted()
    deal.name = "Renamed"  # a column the tally does not count
    deal.save()
    assert tallied() == counted()
    made[1].delete()
    assert tallied() == counted()
    assert (ann.pk, "demo") not in tallied()


def test_bulk_writes_keep_the_tally(deals):
    ann, bob, _ = deals
    Opportunity.objects.filter(owner=bob).update(
        stage="won", probability=100, closed_date="2026-11-20"
    )
    assert tallied() == counted()
    Opportunity.objects.filter(stage="won").update(amount=Decimal("5.05"))
    assert tallied() == counted()
    with transaction.atomic():
        keys = allocate_pks(Opportunity, 2)
        bulk_insert(
            Opportunity,
            [
                Row(
                    pk=pk,
                    name=f"Bulk {pk}",
                    account=AccountFactory(),
                    owner_id=ann.pk,
                    stage="discovery",
                    probability=10,
                    amount=Decimal("10.50"),
                    expected_close_date=dt.date(2026, 12, 31),
                    version=1,
                )
                for pk in keys
            ],
        )
    assert tallied() == counted()
    Opportunity.objects.filter(owner=ann).delete()
    assert tallied() == counted()


def test_its_totals_are_what_summing_the_deals_gives(deals):
    ann, bob, _ = deals
    open_stages = Opportunity.OPEN_STAGES
    assert PipelineTally.totals(open_stages) == Opportunity.objects.open().totals()
    assert PipelineTally.totals(open_stages, ann.pk) == (
        Opportunity.objects.open().filter(owner=ann).totals()
    )
    assert PipelineTally.totals(["won"]) == {
        "count": 0,
        "amount": Decimal("0.00"),
        "weighted": Decimal("0.00"),
    }
    by_stage = PipelineTally.by_stage(open_stages, bob.pk)
    assert set(by_stage) == {"demo", "negotiation"}
    assert by_stage["demo"] == {
        "count": 1,
        "amount": Decimal("999.99"),
        "weighted": Decimal("350.00"),  # 349.9965, half up to the cent
    }


def test_the_deal_list_reads_the_tally_unless_another_filter_is_set(
    client, manager, deals, django_assert_num_queries
):
    ann, _, _ = deals
    client.force_login(manager)
    url = reverse("leads:opportunity-list")
    for query, expected in [
        ({}, Opportunity.objects.open()),
        ({"owner": ann.pk}, Opportunity.objects.open().filter(owner=ann)),
        ({"stage": "demo"}, Opportunity.objects.filter(stage="demo")),
        ({"stage": "all", "ordering": "-amount"}, Opportunity.objects.all()),
        ({"amount_min": "1000"}, Opportunity.objects.open().filter(amount__gte=1000)),
        ({"q": "zzz-nothing"}, Opportunity.objects.none()),
    ]:
        response = client.get(url, query)
        assert response.context["totals"] == expected.totals(), query
    # Which it read: a tally that says otherwise shows where it is read, and only there.
    PipelineTally.objects.update(deals=F("deals") + 100)  # four rows, all open stages
    assert client.get(url).context["totals"]["count"] == 400 + Opportunity.objects.open().count()
    filtered = client.get(url, {"amount_min": "1000"}).context["totals"]
    assert filtered == Opportunity.objects.open().filter(amount__gte=1000).totals()


def test_the_board_reads_the_tally_unless_another_filter_is_set(client, manager, deals):
    _, bob, _ = deals
    client.force_login(manager)
    url = reverse("leads:pipeline")

    def columns(query=None):
        response = client.get(url, query or {})
        return {
            c["stage"]: (c["count"], c["amount"], c["weighted"])
            for c in response.context["columns"]
        }

    assert columns()["demo"] == (2, Decimal("3500.54"), Decimal("1100.16"))
    assert columns({"owner": bob.pk})["demo"] == (1, Decimal("999.99"), Decimal("350.00"))
    PipelineTally.objects.filter(stage="demo").update(deals=F("deals") + 100)
    assert columns()["demo"][0] == 202  # ann's row and bob's
    assert columns({"type": "new_business"})["demo"][0] in (0, 1, 2)  # counted from the deals
