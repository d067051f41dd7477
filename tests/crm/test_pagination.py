"""Keyset pagination (crm/pagination.py): every row once, in order, whichever way one walks."""

import datetime as dt
from decimal import Decimal

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from crm.pagination import IdsFirstPaginator, cursor_after, decode, keys_of, paginate
from leads.models import Lead, Opportunity
from tests.factories import CampaignFactory, LeadFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


def walk_forward(queryset, per_page):
    seen, params = [], QueryDict(mutable=True)
    while True:
        page = paginate(queryset, params, per_page)
        seen += [row.pk for row in page.object_list]
        if not page.has_next:
            return seen, page
        params = QueryDict(mutable=True)
        params["after"] = page.next_cursor


def walk_back_from_last(queryset, per_page):
    seen, params = [], QueryDict("page=last", mutable=True)
    while True:
        page = paginate(queryset, params, per_page)
        seen = [row.pk for row in page.object_list] + seen
        if not page.has_previous:
            return seen
        params = QueryDict(mutable=True)
        params["before"] = page.previous_cursor


@pytest.fixture
def leads_with_ties():
    """Thirty leads sharing five creation times and three scores, so the order needs the id."""
    campaign = CampaignFactory()
    base = timezone.now().replace(microsecond=123456)
    leads = []
    for i in range(30):
        lead = LeadFactory(campaign=campaign, score=(i % 3) * 10, company=f"Co {i % 4}")
        leads.append(lead)
        Lead.objects.filter(pk=lead.pk).update(created_at=base - dt.timedelta(seconds=i % 5))
    return leads


@pytest.mark.parametrize(
    "ordering",
    [("-created_at", "-pk"), ("created_at",), ("score",), ("-score",), ("company", "-created_at")],
)
@pytest.mark.parametrize("per_page", [1, 4, 7, 30, 50])
def test_walking_the_pages_gives_every_row_once_in_order(leads_with_ties, ordering, per_page):
    queryset = Lead.objects.order_by(*ordering)
    keys = keys_of(queryset)
    expected = list(queryset.order_by(*[k.ordering() for k in keys]).values_list("pk", flat=True))
    forward, last_page = walk_forward(queryset, per_page)
    assert forward == expected
    assert not last_page.has_next
    assert walk_back_from_last(queryset, per_page) == expected


def test_a_nullable_order_places_nulls_first_on_every_engine():
    today = timezone.localdate()
    deals = [
        OpportunityFactory(stage="discovery")
        if i % 3 == 0
        else OpportunityFactory(stage="won", closed_date=today - dt.timedelta(days=i % 4))
        for i in range(14)
    ]
    for ordering in (("closed_date",), ("-closed_date",)):
        queryset = Opportunity.objects.order_by(*ordering)
        forward, _ = walk_forward(queryset, 3)
        assert sorted(forward) == sorted(d.pk for d in deals)
        assert walk_back_from_last(queryset, 3) == forward
        dates = [Opportunity.objects.get(pk=pk).closed_date for pk in forward]
        nulls = [d is None for d in dates]
        # NULL counts as the smallest value: first going up, last going down.
        expected_nulls = sorted(nulls, reverse=ordering[0] == "closed_date")
        assert nulls == expected_nulls


def test_the_first_page_has_no_way_back_and_a_bad_cursor_means_the_first_page(leads_with_ties):
    queryset = Lead.objects.order_by("-created_at", "-pk")
    first = paginate(queryset, QueryDict(), 10)
    assert not first.has_previous
    assert first.has_next
    for junk in ("not-base64!", "bm90IGpzb24", "WzEsMiwzLDRd", "WyJ4IiwxXQ"):
        page = paginate(queryset, QueryDict(f"after={junk}"), 10)
        assert [r.pk for r in page.object_list] == [r.pk for r in first.object_list], junk
    assert decode("WyJ4IiwxXQ", keys_of(queryset)) is None  # ["x", 1]: not a date


def test_a_cursor_keeps_microseconds_so_no_row_is_skipped(leads_with_ties):
    queryset = Lead.objects.order_by("-created_at", "-pk")
    row = queryset[3]
    cursor = cursor_after(row, ["created_at", "pk"])
    assert decode(cursor, keys_of(queryset))[0] == row.created_at
    assert row.created_at.microsecond == 123456


def test_decimal_keys_round_trip():
    for amount in ("10.00", "10.00", "9.99", "250.50"):
        OpportunityFactory(amount=Decimal(amount))
    queryset = Opportunity.objects.order_by("-amount")
    forward, _ = walk_forward(queryset, 2)
    assert forward == list(
        Opportunity.objects.order_by("-amount", "-pk").values_list("pk", flat=True)
    )


def test_the_lead_list_pages_by_cursor_with_links_that_keep_the_filters(client, manager):
    campaign = CampaignFactory(channel="webinar")
    LeadFactory.create_batch(60, campaign=campaign)
    LeadFactory.create_batch(5, campaign=None, channel="referral")
    client.force_login(manager)
    url = reverse("leads:lead-list")
    first = client.get(url, {"channel": "webinar"})
    page = first.context["page_obj"]
    assert len(page.object_list) == 50
    assert page.has_next
    assert not page.has_previous
    html = first.content.decode()
    assert 'rel="next"' in html
    assert "channel=webinar" in html
    assert "in all" not in html  # no count of the whole list
    second = client.get(url, {"channel": "webinar", "after": page.next_cursor})
    rest = second.context["page_obj"]
    assert len(rest.object_list) == 10
    assert rest.has_previous
    assert not rest.has_next
    ids = {lead.pk for lead in page.object_list} | {lead.pk for lead in rest.object_list}
    assert ids == set(Lead.objects.filter(channel="webinar").values_list("pk", flat=True))
    back = client.get(url, {"channel": "webinar", "before": rest.previous_cursor})
    assert [x.pk for x in back.context["lead_list"]] == [x.pk for x in page.object_list]
    # The last page is the last full page: the oldest fifty, in the list's order.
    last = client.get(url, {"channel": "webinar", "page": "last"})
    everything = [x.pk for x in page.object_list] + [x.pk for x in rest.object_list]
    assert [x.pk for x in last.context["lead_list"]] == everything[-50:]
    assert last.context["page_obj"].has_previous
    assert not last.context["page_obj"].has_next


def test_a_deep_page_costs_the_queries_of_the_first(
    client, manager, django_assert_num_queries, leads_with_ties
):
    client.force_login(manager)
    url = reverse("leads:lead-list")
    with django_assert_num_queries(5) as first:
        response = client.get(url)
    deep = cursor_after(Lead.objects.order_by("-created_at", "-pk")[20], ["created_at", "pk"])
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(url, {"after": deep})
    sql = " ".join(q["sql"] for q in first.captured_queries).upper()
    assert "OFFSET" not in sql
    assert "COUNT(" not in sql
    assert response.status_code == 200


def test_ids_first_pages_keep_the_list_order_whatever_order_the_rows_come_in(
    django_assert_num_queries,
):
    for amount in (300, 100, 500, 200, 400):
        OpportunityFactory(amount=Decimal(amount))
    deals = Opportunity.objects.order_by("-amount")
    read = []

    def rows(ids):
        read.append(sorted(ids))
        return (
            Opportunity.objects.filter(pk__in=ids)
            .order_by("pk")
            .values_list("pk", "amount", named=True)
        )

    paginator = IdsFirstPaginator(deals, 2, rows=rows)
    with django_assert_num_queries(3):  # the count, the page's ids, its rows
        page = paginator.page(2)
    assert [row.amount for row in page] == [Decimal(300), Decimal(200)]
    assert read == [sorted(deals.values_list("pk", flat=True)[2:4])]
    assert [deal.amount for deal in IdsFirstPaginator(deals, 2).page(3)] == [Decimal(100)]
