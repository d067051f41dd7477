import pytest

from leads import services
from leads.models import Lead
from tests.factories import (
    AccountFactory,
    ActivityFactory,
    LeadFactory,
    OpportunityFactory,
    ProposalFactory,
    ProposalLineFactory,
)

pytestmark = pytest.mark.django_db


# --- Lead page ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"), [("marketer", 200), ("manager", 200), ("rep", 200), ("outsider", 403)]
)
def test_lead_page_access_for_the_owner_and_every_reader(client, request, rep, who, status):
    lead = LeadFactory(stage=Lead.Stage.SAL, owner=rep)
    client.force_login(request.getfixturevalue(who))
    assert client.get(lead.get_absolute_url()).status_code == status


def test_a_rep_cannot_open_another_rep_s_lead(client, rep, other_rep):
    lead = LeadFactory(stage=Lead.Stage.SAL, owner=other_rep)
    client.force_login(rep)
    assert client.get(lead.get_absolute_url()).status_code == 404


def test_a_rep_can_open_an_unassigned_mql(client, rep):
    lead = LeadFactory(stage=Lead.Stage.MQL, owner=None)
    client.force_login(rep)
    assert client.get(lead.get_absolute_url()).status_code == 200


def test_lead_page_shows_the_history(client, sla, marketer, rep, django_assert_max_num_queries):
    lead = LeadFactory(first_name="Ada", last_name="Lovelace")
    services.lead_mark_mql(lead=lead, by=marketer)
    services.lead_accept(lead=lead, by=rep)
    services.lead_recycle(lead=lead, by=rep, reason="bad_timing", detail="Budget frozen.")
    ActivityFactory.create_batch(20, lead=lead, author=rep)
    client.force_login(marketer)
    with django_assert_max_num_queries(9):
        response = client.get(lead.get_absolute_url())
    html = response.content.decode()
    assert "Ada Lovelace" in html
    assert "Bad timing" in html
    assert "Budget frozen." in html
    kinds = [kind for kind, _, _ in response.context["timeline"]]
    assert (kinds.count("activity"), kinds.count("transition")) == (20, 3)
    assert "Recycled by sales" in html
    assert "Sent back to marketing 1 time" in html


# --- Opportunity and account pages -------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"), [("marketer", 200), ("manager", 200), ("rep", 200), ("outsider", 403)]
)
def test_opportunity_page_access(client, request, rep, who, status):
    opportunity = OpportunityFactory(owner=rep)
    client.force_login(request.getfixturevalue(who))
    assert client.get(opportunity.get_absolute_url()).status_code == status


def test_a_rep_cannot_open_another_rep_s_deal(client, rep, other_rep):
    opportunity = OpportunityFactory(owner=other_rep)
    client.force_login(rep)
    assert client.get(opportunity.get_absolute_url()).status_code == 404


def test_opportunity_page_query_count_is_flat(client, rep, django_assert_max_num_queries):
    opportunity = OpportunityFactory(owner=rep)
    for version in range(1, 6):
        proposal = ProposalFactory(opportunity=opportunity, version=version)
        ProposalLineFactory.create_batch(3, proposal=proposal)
    ActivityFactory.create_batch(10, lead=None, opportunity=opportunity, author=rep)
    for stage in ["demo", "proposal", "negotiation"]:
        services.opportunity_move(opportunity=opportunity, stage=stage, by=rep)
    client.force_login(rep)
    with django_assert_max_num_queries(9):
        response = client.get(opportunity.get_absolute_url())
    assert response.status_code == 200
    assert len(response.context["proposals"]) == 5


@pytest.mark.parametrize(
    ("who", "status"), [("marketer", 200), ("manager", 200), ("rep", 200), ("outsider", 403)]
)
def test_account_page_access(client, request, who, status):
    account = AccountFactory()
    client.force_login(request.getfixturevalue(who))
    assert client.get(account.get_absolute_url()).status_code == status


def test_account_page_sums_won_and_open_deals(client, manager, django_assert_max_num_queries):
    account = AccountFactory()
    OpportunityFactory.create_batch(3, account=account, amount="1000.00")
    won = OpportunityFactory(account=account, amount="5000.00")
    services.opportunity_close_won(opportunity=won, by=manager)
    LeadFactory.create_batch(5, account=account)
    client.force_login(manager)
    with django_assert_max_num_queries(7):
        response = client.get(account.get_absolute_url())
    shown = response.context["account"]
    assert (shown.won_revenue, shown.open_pipeline, shown.deal_count) == (5000, 3000, 4)
    assert "Customer since" in response.content.decode()


def test_a_rep_sees_only_their_own_deals_on_an_account(client, rep, other_rep):
    account = AccountFactory()
    mine = OpportunityFactory(account=account, owner=rep)
    OpportunityFactory(account=account, owner=other_rep)
    client.force_login(rep)
    response = client.get(account.get_absolute_url())
    assert list(response.context["opportunities"]) == [mine]
