"""Optimistic locking on deals: every change makes a new version, and a change sent from an
older version than the deal's is refused with a message instead of undoing the other one."""

from decimal import Decimal

import pytest
from django.urls import reverse

from crm.errors import ConflictError
from leads import services
from leads.models import Opportunity
from tests.factories import OpportunityFactory

pytestmark = pytest.mark.django_db


def test_every_change_makes_a_new_version(rep, manager):
    deal = OpportunityFactory(owner=rep, stage="discovery")
    assert deal.version == 1
    services.opportunity_move(opportunity=deal, by=rep, stage="demo", version=1)
    services.opportunity_update(opportunity=deal, by=rep, amount="5000", version=2)
    services.opportunity_close_lost(opportunity=deal, by=rep, reason="price", version=3)
    services.opportunity_reopen(opportunity=deal, by=manager, stage="demo", note="Back", version=4)
    deal.refresh_from_db()
    assert deal.version == 5


@pytest.mark.parametrize(
    "change",
    [
        lambda deal, rep: services.opportunity_move(
            opportunity=deal, by=rep, stage="proposal", version=1
        ),
        lambda deal, rep: services.opportunity_update(
            opportunity=deal, by=rep, amount="1", version=1
        ),
        lambda deal, rep: services.opportunity_close_won(opportunity=deal, by=rep, version=1),
        lambda deal, rep: services.opportunity_close_lost(
            opportunity=deal, by=rep, reason="price", version=1
        ),
    ],
)
def test_a_change_from_an_older_version_is_refused_and_writes_nothing(rep, change):
    deal = OpportunityFactory(owner=rep, stage="demo", amount=Decimal("12000.00"))
    services.opportunity_move(opportunity=deal, by=rep, stage="negotiation")  # version 2
    with pytest.raises(ConflictError, match="changed by someone else after you opened it"):
        change(deal, rep)
    deal.refresh_from_db()
    assert (deal.stage, deal.amount, deal.version) == ("negotiation", Decimal("12000.00"), 2)
    assert deal.stage_changes.count() == 1


def test_an_edit_from_a_stale_page_keeps_the_typed_values_and_says_what_changed(client, rep):
    deal = OpportunityFactory(owner=rep, stage="demo", amount=Decimal("12000.00"), name="Renewal")
    url = reverse("leads:opportunity-update", args=[deal.pk])
    client.force_login(rep)
    form = client.get(url).context["form"]
    assert form["version"].value() == 1
    services.opportunity_move(opportunity=deal, by=rep, stage="negotiation")  # meanwhile
    data = {
        "name": "Renewal 2027",
        "account_name": deal.account.name,
        "amount": "15000",
        "expected_close_date": deal.expected_close_date.isoformat(),
        "type": deal.type,
        "product": "",
        "version": "1",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "changed by someone else after you opened it: it is now in Negotiation" in page
    assert 'value="Renewal 2027"' in page  # nothing typed is lost
    assert 'name="version" value="2"' in page  # sent again, it is made from what they saw
    deal.refresh_from_db()
    assert (deal.name, deal.amount, deal.stage) == ("Renewal", Decimal("12000.00"), "negotiation")
    assert client.post(url, {**data, "version": "2"}).status_code == 302
    deal.refresh_from_db()
    assert (deal.name, deal.amount, deal.stage) == ("Renewal 2027", Decimal("15000"), "negotiation")


def test_a_move_from_a_stale_board_is_refused_with_a_message(client, rep):
    deal = OpportunityFactory(owner=rep, stage="demo")
    client.force_login(rep)
    board = client.get(reverse("leads:pipeline")).content.decode()
    assert 'name="version" value="1"' in board
    services.opportunity_move(opportunity=deal, by=rep, stage="negotiation")  # another tab
    response = client.post(
        reverse("leads:opportunity-action", args=[deal.pk, "move"]),
        {"stage": "proposal", "version": "1", "next": reverse("leads:pipeline")},
        follow=True,
    )
    assert "changed by someone else after you opened it" in response.content.decode()
    assert Opportunity.objects.get(pk=deal.pk).stage == "negotiation"


def test_the_deal_page_forms_carry_its_version(client, rep):
    deal = OpportunityFactory(owner=rep, stage="demo")
    services.opportunity_move(opportunity=deal, by=rep, stage="proposal")
    client.force_login(rep)
    forms = client.get(reverse("leads:opportunity-detail", args=[deal.pk])).context["action_forms"]
    assert {name: form["version"].value() for name, form in forms.items()} == {
        "move": 2,
        "won": 2,
        "lost": 2,
    }


def test_any_save_of_a_stored_deal_makes_a_new_version(rep):
    """Not only the services: an admin edit or an import saves through the model too."""
    deal = OpportunityFactory(owner=rep)
    deal.product = "Analytics"
    deal.save(update_fields=["product"])
    deal.name = "Renewal"
    deal.save()
    deal.refresh_from_db()
    assert (deal.product, deal.name, deal.version) == ("Analytics", "Renewal", 3)
