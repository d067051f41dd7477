"""The pipeline board, the deal list, deal create/edit/actions, stage probabilities and accounts,
through the test client: each role allowed or forbidden, bad input, and flat query counts."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from leads import services
from leads.models import Account, Opportunity, StageProbability
from leads.views.deals import CARDS_PER_COLUMN
from tests.factories import AccountFactory, LeadFactory, OpportunityFactory, RepFactory

BOARD = reverse("leads:pipeline")
DEALS = reverse("leads:opportunity-list")
NEW_DEAL = reverse("leads:opportunity-create")
ACCOUNTS = reverse("leads:account-list")
PROBABILITIES = reverse("leads:stage-probabilities")
FUTURE = (timezone.localdate() + dt.timedelta(days=40)).isoformat()


def _action(deal, action):
    return reverse("leads:opportunity-action", args=[deal.pk, action])


def _messages(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- Access --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [("marketer", 200), ("rep", 200), ("manager", 200), ("outsider", 403)],
)
@pytest.mark.parametrize("url", [BOARD, DEALS, ACCOUNTS])
def test_read_pages_by_role(client, request, who, status, url):
    client.force_login(request.getfixturevalue(who))
    assert client.get(url).status_code == status


@pytest.mark.parametrize(
    ("who", "status"),
    [("marketer", 403), ("rep", 200), ("manager", 200), ("outsider", 403)],
)
def test_only_sales_opens_deals(client, request, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(NEW_DEAL).status_code == status


@pytest.mark.parametrize(
    ("who", "status"),
    [("marketer", 403), ("rep", 403), ("manager", 200), ("outsider", 403)],
)
def test_only_managers_edit_stage_probabilities(client, request, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(PROBABILITIES).status_code == status


@pytest.mark.parametrize("url", [BOARD, DEALS, ACCOUNTS, NEW_DEAL, PROBABILITIES])
def test_anonymous_users_go_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- The board ------------------------------------------------------------------------------


def test_board_columns_show_cards_and_totals_for_the_rep_s_own_deals(client, rep, other_rep):
    OpportunityFactory(owner=rep, stage="demo", amount=Decimal("1000"), probability=25, name="A")
    OpportunityFactory(owner=rep, stage="demo", amount=Decimal("3000"), probability=25, name="B")
    OpportunityFactory(owner=rep, stage="negotiation", amount=Decimal("500"), probability=75)
    OpportunityFactory(owner=other_rep, stage="demo", amount=Decimal("9999"), name="Theirs")
    won = OpportunityFactory(owner=rep)
    services.opportunity_close_won(opportunity=won, by=rep)
    client.force_login(rep)
    response = client.get(BOARD)
    columns = {c["stage"]: c for c in response.context["columns"]}
    assert list(columns) == ["discovery", "demo", "proposal", "negotiation"]
    assert [card.name for card in columns["demo"]["cards"]] == ["A", "B"]
    assert (columns["demo"]["count"], columns["demo"]["amount"], columns["demo"]["weighted"]) == (
        2,
        Decimal("4000"),
        Decimal("1000.00"),
    )
    assert columns["negotiation"]["weighted"] == Decimal("375.00")
    assert response.context["board_total"]["count"] == 3
    assert "Theirs" not in response.content.decode()
    assert "No deals in discovery" in response.content.decode()


def test_managers_see_every_deal_and_filter_by_owner(client, manager, rep, other_rep):
    OpportunityFactory(owner=rep, name="Rita's")
    OpportunityFactory(owner=other_rep, name="Otto's")
    client.force_login(manager)
    html = client.get(BOARD).content.decode()
    assert "Rita&#x27;s" in html
    assert "Otto&#x27;s" in html
    html = client.get(BOARD, {"owner": other_rep.pk}).content.decode()
    assert "Otto&#x27;s" in html
    assert "Rita&#x27;s" not in html


def test_board_filters_by_type_account_and_close_range(client, rep):
    account = AccountFactory(name="Umbrella")
    soon = timezone.localdate() + dt.timedelta(days=5)
    OpportunityFactory(
        owner=rep, name="Keep", account=account, type="upsell", expected_close_date=soon
    )
    OpportunityFactory(owner=rep, name="Other type", account=account, expected_close_date=soon)
    OpportunityFactory(
        owner=rep,
        name="Too late",
        account=account,
        type="upsell",
        expected_close_date=soon + dt.timedelta(days=60),
    )
    client.force_login(rep)
    response = client.get(
        BOARD,
        {"type": "upsell", "account": account.pk, "close_before": (soon + dt.timedelta(1))},
    )
    names = [c.name for col in response.context["columns"] for c in col["cards"]]
    assert names == ["Keep"]


def test_a_column_shows_its_first_cards_and_links_to_the_rest(client, rep):
    # The bare board's query is compiled once, its LIMIT with it: the real number of cards.
    total = CARDS_PER_COLUMN + 2
    OpportunityFactory.create_batch(total, owner=rep, stage="discovery")
    client.force_login(rep)
    response = client.get(BOARD)
    discovery = response.context["columns"][0]
    assert (len(discovery["cards"]), discovery["count"]) == (CARDS_PER_COLUMN, total)
    assert f"All {total} in discovery" in response.content.decode()


def test_board_query_count_is_flat_with_hundreds_of_deals(
    client, manager, django_assert_max_num_queries
):
    reps = RepFactory.create_batch(4)
    for i in range(240):
        OpportunityFactory(owner=reps[i % 4], stage=Opportunity.OPEN_STAGES[i % 4])
    client.force_login(manager)
    with django_assert_max_num_queries(5):
        response = client.get(BOARD)
    assert response.context["board_total"]["count"] == 240
    columns = response.context["columns"]
    assert [len(c["cards"]) for c in columns] == [CARDS_PER_COLUMN] * 4  # 60 deals in each
    for column in columns:  # the first to close, in order
        dates = [(d.expected_close_date, d.pk) for d in column["cards"]]
        assert dates == sorted(dates)
        assert all(d.stage == column["stage"] for d in column["cards"])


def test_moving_a_card_posts_a_form_and_comes_back_to_the_board(client, rep):
    deal = OpportunityFactory(owner=rep)
    client.force_login(rep)
    response = client.post(
        _action(deal, "move"), {"stage": "demo", "next": BOARD + "?type=new_business"}
    )
    assert response.status_code == 302
    assert response["Location"] == BOARD + "?type=new_business"
    deal.refresh_from_db()
    assert (deal.stage, deal.probability) == ("demo", 25)
    assert deal.stage_changes.get().actor == rep


def test_a_rep_cannot_move_another_rep_s_card(client, rep, other_rep):
    deal = OpportunityFactory(owner=other_rep)
    client.force_login(rep)
    assert client.post(_action(deal, "move"), {"stage": "demo"}).status_code == 404
    deal.refresh_from_db()
    assert deal.stage == "discovery"


def test_a_marketer_cannot_move_a_card(client, marketer):
    deal = OpportunityFactory()
    client.force_login(marketer)
    assert client.post(_action(deal, "move"), {"stage": "demo"}).status_code == 403


def test_a_move_to_a_closed_stage_from_the_board_is_refused_with_a_message(client, rep):
    deal = OpportunityFactory(owner=rep)
    client.force_login(rep)
    response = client.post(_action(deal, "move"), {"stage": "won", "next": BOARD}, follow=True)
    assert "Choose an open stage" in " ".join(_messages(response))
    deal.refresh_from_db()
    assert deal.stage == "discovery"


# --- The deal list --------------------------------------------------------------------------


def test_deal_list_filters_sorts_and_totals(client, manager, rep):
    OpportunityFactory(owner=rep, name="Small", amount=Decimal("100"), probability=10)
    OpportunityFactory(owner=rep, name="Big", amount=Decimal("900"), probability=50)
    lost = OpportunityFactory(owner=rep, name="Gone", amount=Decimal("5000"))
    services.opportunity_close_lost(opportunity=lost, by=rep, reason="price")
    client.force_login(manager)
    response = client.get(DEALS, {"ordering": "-amount"})  # open deals unless told otherwise
    assert [d.name for d in response.context["opportunity_list"]] == ["Big", "Small"]
    assert response.context["totals"] == {
        "count": 2,
        "amount": Decimal("1000.00"),
        "weighted": Decimal("460.00"),
    }
    response = client.get(DEALS, {"q": "gon", "amount_min": "1000"})
    assert not response.context["opportunity_list"]
    response = client.get(DEALS, {"q": "gon", "amount_min": "1000", "stage": "all"})
    assert [d.name for d in response.context["opportunity_list"]] == ["Gone"]


def test_a_rep_s_deal_list_has_only_their_deals_and_no_owner_filter(client, rep, other_rep):
    OpportunityFactory(owner=rep, name="Mine")
    OpportunityFactory(owner=other_rep, name="Theirs")
    client.force_login(rep)
    response = client.get(DEALS)
    assert [d.name for d in response.context["opportunity_list"]] == ["Mine"]
    assert "owner" not in response.context["filter"].form.fields


def test_deal_list_empty_states(client, rep):
    client.force_login(rep)
    assert "No open deals" in client.get(DEALS).content.decode()
    assert "No deal matches" in client.get(DEALS, {"q": "zzz"}).content.decode()


def test_deal_list_query_count_is_flat(client, manager, django_assert_max_num_queries):
    reps = RepFactory.create_batch(3)
    for i in range(150):
        OpportunityFactory(owner=reps[i % 3])
    client.force_login(manager)
    with django_assert_max_num_queries(7):
        response = client.get(DEALS, {"ordering": "-amount", "page": 2})
    assert len(response.context["opportunity_list"]) == 50
    # The totals' count serves as the pages' count: one aggregate, no COUNT of its own.
    assert response.context["paginator"].count == response.context["totals"]["count"] == 150
    assert response.context["paginator"].num_pages == 3


# --- Create and edit ----------------------------------------------------------------------


def test_a_rep_opens_a_deal_on_a_new_account(client, rep):
    client.force_login(rep)
    response = client.post(
        NEW_DEAL,
        {
            "name": "Pilot",
            "account_name": "Wayne Enterprises",
            "amount": "2500",
            "expected_close_date": FUTURE,
            "type": "",
            "product": "Platform",
        },
    )
    deal = Opportunity.objects.get()
    assert response["Location"] == deal.get_absolute_url()
    assert (deal.owner, deal.account.name, deal.type, deal.product) == (
        rep,
        "Wayne Enterprises",
        "new_business",
        "Platform",
    )


def test_the_new_deal_form_keeps_input_and_says_what_is_wrong(client, rep):
    client.force_login(rep)
    response = client.post(
        NEW_DEAL,
        {"name": "Pilot", "amount": "-1", "expected_close_date": "2001-01-01", "type": ""},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "This field is required." in errors["account_name"]
    assert "The expected close date is in the past." in errors["expected_close_date"]
    assert errors["amount"]
    assert 'value="Pilot"' in response.content.decode()
    assert not Opportunity.objects.exists()


def test_the_new_deal_form_starts_on_the_account_it_came_from(client, rep):
    account = AccountFactory()
    client.force_login(rep)
    response = client.get(NEW_DEAL, {"account": account.pk})
    assert response.context["form"].initial["account_name"] == account.name


def test_a_manager_opens_a_deal_for_a_rep(client, manager, rep):
    account = AccountFactory()
    client.force_login(manager)
    client.post(
        NEW_DEAL,
        {
            "name": "Team deal",
            "account_name": account.name.upper(),
            "amount": "10",
            "expected_close_date": FUTURE,
            "type": "renewal",
            "owner": rep.pk,
        },
    )
    deal = Opportunity.objects.get()
    assert (deal.owner, deal.type, deal.account) == (rep, "renewal", account)


def test_editing_the_amount_records_it(client, rep):
    deal = OpportunityFactory(owner=rep, amount=Decimal("100"))
    client.force_login(rep)
    response = client.post(
        reverse("leads:opportunity-update", args=[deal.pk]),
        {
            "name": deal.name,
            "account_name": deal.account.name,
            "amount": "150",
            "expected_close_date": deal.expected_close_date.isoformat(),
            "type": deal.type,
            "product": "",
        },
    )
    assert response.status_code == 302
    change = deal.stage_changes.get()
    assert (change.from_amount, change.to_amount, change.actor) == (
        Decimal("100.00"),
        Decimal("150.00"),
        rep,
    )


def test_editing_moves_a_deal_to_another_account_by_name(client, rep):
    deal = OpportunityFactory(owner=rep)
    client.force_login(rep)
    client.post(
        reverse("leads:opportunity-update", args=[deal.pk]),
        {
            "name": deal.name,
            "account_name": "Brand New Holdings",
            "amount": deal.amount,
            "expected_close_date": deal.expected_close_date.isoformat(),
            "type": deal.type,
        },
    )
    deal.refresh_from_db()
    assert deal.account.name == "Brand New Holdings"


def test_deal_forms_and_filters_name_accounts_instead_of_listing_them(client, manager):
    AccountFactory.create_batch(30)
    client.force_login(manager)
    for url in (NEW_DEAL, BOARD, DEALS, reverse("leads:proposal-list")):
        assert client.get(url).content.decode().count("<option") < 40, url


def test_a_rep_cannot_edit_another_rep_s_deal_and_a_closed_deal_is_read_only(
    client, rep, other_rep
):
    theirs = OpportunityFactory(owner=other_rep)
    client.force_login(rep)
    assert client.get(reverse("leads:opportunity-update", args=[theirs.pk])).status_code == 404
    mine = OpportunityFactory(owner=rep)
    services.opportunity_close_lost(opportunity=mine, by=rep, reason="timing")
    response = client.get(reverse("leads:opportunity-update", args=[mine.pk]), follow=True)
    assert "a manager reopens it first" in " ".join(_messages(response))


# --- Close won / lost, reopen -------------------------------------------------------------


def test_close_won_makes_the_account_a_customer(client, rep):
    deal = OpportunityFactory(owner=rep)
    client.force_login(rep)
    response = client.post(
        _action(deal, "won"), {"closed_date": timezone.localdate().isoformat()}, follow=True
    )
    assert f"{deal.account} is a customer" in " ".join(_messages(response))
    deal.account.refresh_from_db()
    assert deal.account.customer_since == timezone.localdate()


def test_close_lost_without_a_reason_re_renders_the_form_with_errors(client, rep):
    deal = OpportunityFactory(owner=rep)
    client.force_login(rep)
    response = client.post(_action(deal, "lost"), {"reason": "other", "detail": ""})
    assert response.status_code == 400
    assert response.context["open_action"] == "lost"
    assert "Say why" in response.content.decode()
    deal.refresh_from_db()
    assert deal.stage == "discovery"


def test_winning_in_the_future_is_refused(client, rep):
    deal = OpportunityFactory(owner=rep)
    client.force_login(rep)
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = client.post(_action(deal, "won"), {"closed_date": tomorrow})
    assert response.status_code == 400
    assert "still to come" in response.content.decode()


def test_only_a_manager_sees_and_uses_reopen(client, rep, manager):
    deal = OpportunityFactory(owner=rep)
    services.opportunity_close_lost(opportunity=deal, by=rep, reason="price")
    client.force_login(rep)
    assert "reopen" not in client.get(deal.get_absolute_url()).context["action_forms"]
    response = client.post(_action(deal, "reopen"), {"stage": "demo", "note": "x"}, follow=True)
    assert "Only a manager" in " ".join(_messages(response))
    client.force_login(manager)
    assert "reopen" in client.get(deal.get_absolute_url()).context["action_forms"]
    response = client.post(
        _action(deal, "reopen"), {"stage": "negotiation", "note": "Budget found"}, follow=True
    )
    assert "open again, in Negotiation" in " ".join(_messages(response))


def test_unknown_deal_actions_are_404(client, rep):
    deal = OpportunityFactory(owner=rep)
    client.force_login(rep)
    assert client.post(_action(deal, "explode")).status_code == 404
    assert client.get(_action(deal, "move")).status_code == 405


def test_deal_page_shows_time_in_each_stage_and_the_origin(client, rep):
    lead = LeadFactory(stage="converted", owner=rep, campaign__name="Spring webinar")
    deal = OpportunityFactory(
        owner=rep, lead=lead, stage_changed_at=timezone.now() - dt.timedelta(days=3)
    )
    deal.record_change(by=rep, at=timezone.now() - dt.timedelta(days=3))
    services.opportunity_move(opportunity=deal, stage="demo", by=rep)
    client.force_login(rep)
    response = client.get(deal.get_absolute_url())
    durations = dict(response.context["durations"])
    assert durations["Discovery"].days == 3
    assert durations["Demo"].days == 0
    html = response.content.decode()
    assert "Spring webinar" in html
    assert lead.full_name in html


# --- Stage probabilities --------------------------------------------------------------------


def _probability_post(values):
    rows = list(StageProbability.objects.order_by("pk"))
    data = {"form-TOTAL_FORMS": len(rows), "form-INITIAL_FORMS": len(rows)}
    for i, row in enumerate(rows):
        data[f"form-{i}-id"] = row.pk
        data[f"form-{i}-probability"] = values.get(row.stage, row.probability)
    return data


def test_a_manager_changes_a_stage_probability_and_the_next_move_uses_it(client, manager, rep):
    client.force_login(manager)
    response = client.post(PROBABILITIES, _probability_post({"demo": 30}))
    assert response.status_code == 302
    row = StageProbability.objects.get(stage="demo")
    assert (row.probability, row.updated_by) == (30, manager)
    deal = OpportunityFactory(owner=rep)
    services.opportunity_move(opportunity=deal, stage="demo", by=rep)
    deal.refresh_from_db()
    assert deal.probability == 30


def test_a_probability_over_100_is_refused(client, manager):
    client.force_login(manager)
    response = client.post(PROBABILITIES, _probability_post({"demo": 120}))
    assert response.status_code == 200
    assert "less than or equal to 100" in response.content.decode()
    assert StageProbability.objects.get(stage="demo").probability == 25


def test_a_posted_form_count_past_the_stages_adds_no_row(client, manager):
    client.force_login(manager)
    data = _probability_post({"demo": 30})
    rows = data["form-TOTAL_FORMS"]
    data |= {"form-TOTAL_FORMS": rows + 1, f"form-{rows}-probability": "50"}
    assert client.post(PROBABILITIES, data).status_code == 302
    assert StageProbability.objects.count() == rows
    assert StageProbability.objects.get(stage="demo").probability == 30
    # Told there are no stored rows at all: the page comes back, nothing changes.
    data |= {"form-INITIAL_FORMS": 0, "form-0-id": "=cmd"}
    assert client.post(PROBABILITIES, data).status_code in (200, 302)
    assert StageProbability.objects.count() == rows


@pytest.mark.parametrize("account", ["²", "9" * 30, "-1"])
def test_an_account_parameter_that_is_no_id_is_a_name(client, rep, account):
    client.force_login(rep)
    assert client.get(reverse("leads:opportunity-list"), {"account": account}).status_code == 200
    assert client.get(reverse("leads:pipeline"), {"account": account}).status_code == 200
    page = client.get(reverse("leads:opportunity-create"), {"account": account})
    assert page.status_code == 200
    assert page.context["form"]["account_name"].value() in (None, "")


# --- Accounts -------------------------------------------------------------------------------


def test_account_list_shows_revenue_pipeline_and_filters_customers(client, rep):
    customer = AccountFactory(name="Customer Co", customer_since=dt.date(2026, 1, 5))
    OpportunityFactory(account=customer, owner=rep, amount=Decimal("700"))
    won = OpportunityFactory(account=customer, owner=rep, amount=Decimal("300"))
    services.opportunity_close_won(opportunity=won, by=rep)
    AccountFactory(name="Prospect Ltd")
    client.force_login(rep)
    response = client.get(ACCOUNTS, {"customer": "yes"})
    (row,) = response.context["account_list"]
    assert (row.name, row.won_revenue, row.open_pipeline, row.deal_count) == (
        "Customer Co",
        Decimal("300.00"),
        Decimal("700.00"),
        2,
    )
    response = client.get(ACCOUNTS, {"ordering": "name"})
    assert [a.name for a in response.context["account_list"]] == ["Customer Co", "Prospect Ltd"]
    assert "1 of these 2 accounts is a customer." in response.content.decode()


def test_account_list_query_count_is_flat(client, manager, django_assert_max_num_queries):
    for account in AccountFactory.create_batch(120):
        OpportunityFactory(account=account)
    client.force_login(manager)
    with django_assert_max_num_queries(6):
        response = client.get(ACCOUNTS, {"ordering": "-pipeline"})
    assert len(response.context["account_list"]) == 50
    assert response.context["paginator"].count == response.context["totals"]["count"] == 120


def test_editing_an_account_refuses_a_duplicate_name(client, rep):
    AccountFactory(name="Taken Inc")
    account = AccountFactory(name="Mine Inc")
    client.force_login(rep)
    url = reverse("leads:account-update", args=[account.pk])
    response = client.post(url, {"name": "taken inc", "website": "example.com"})
    assert "Another account already has this name." in response.context["form"].errors["name"]
    response = client.post(url, {"name": "Mine Inc", "website": "example.com", "industry": "Toys"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.industry, account.website) == ("Toys", "https://example.com")


def test_marketers_cannot_edit_accounts(client, marketer):
    account = AccountFactory()
    client.force_login(marketer)
    assert client.get(reverse("leads:account-update", args=[account.pk])).status_code == 403
    assert Account.objects.count() == 1
