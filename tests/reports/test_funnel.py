"""The funnel report: a cohort of leads worked out by hand, the period selector, the split, the
CSV agreeing with the page, each role, and a flat query count."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from leads.models import Lead, LeadTransition
from reports import metrics, periods
from tests.factories import CampaignFactory, LeadFactory, OpportunityFactory

FUNNEL = reverse("reports:funnel")
JULY = {"period": "custom", "first": "2026-07-01", "last": "2026-07-31"}


def at(month, day):
    return timezone.make_aware(dt.datetime(2026, month, day, 10))


def walk(lead, *stages):
    """Write the lead's transitions through `stages`, a day apart, from its creation."""
    previous, when = "new", lead.created_at
    for stage in stages:
        when += dt.timedelta(days=1)
        LeadTransition.objects.create(lead=lead, from_stage=previous, to_stage=stage, at=when)
        previous = stage
    Lead.objects.filter(pk=lead.pk).update(stage=previous, mql_at=lead.created_at)


@pytest.fixture
def july(rep):
    """Six July leads and two that must not count:

    a  webinar  MQL → SAL → SQL → converted, deal won
    b  webinar  MQL → SAL → SQL → converted, deal lost
    c  event    MQL → recycled → MQL → SAL (recycled and re-sent: counts once)
    d  event    MQL → SAL → disqualified
    e  event    new
    f  webinar  MQL
    g  created 30 June, reached SQL in July: another cohort
    h  created 1 August
    """
    webinar = CampaignFactory(name="Webinar series", channel="webinar")
    mk = lambda day, **kw: LeadFactory(created_at=at(7, day), owner=rep, **kw)  # noqa: E731
    a = mk(1, campaign=webinar, channel="webinar")
    b = mk(2, campaign=webinar, channel="webinar")
    c, d, _e = (mk(n, channel="event", campaign=None) for n in (3, 4, 5))
    f = mk(6, campaign=webinar, channel="webinar")
    walk(a, "mql", "sal", "sql", "converted")
    walk(b, "mql", "sal", "sql", "converted")
    walk(c, "mql", "recycled", "mql", "sal")
    walk(d, "mql", "sal", "disqualified")
    walk(f, "mql")
    OpportunityFactory(lead=a, stage="won", closed_date=dt.date(2026, 7, 20), probability=100)
    OpportunityFactory(
        lead=b, stage="lost", closed_date=dt.date(2026, 7, 21), lost_reason="price", probability=0
    )
    g = LeadFactory(created_at=timezone.make_aware(dt.datetime(2026, 6, 30, 23, 59)))
    walk(g, "mql", "sal", "sql")
    LeadFactory(created_at=at(8, 1))
    return webinar


def test_the_cohort_counted_by_hand(july):
    july = periods.Period(dt.date(2026, 7, 1), dt.date(2026, 7, 31), "July")
    (row,) = metrics.funnel_counts(metrics.Scope(period=july))
    assert row == {"leads": 6, "mqls": 5, "sals": 4, "sqls": 2, "opportunities": 2, "won": 1}
    steps = {s["key"]: s for s in metrics.funnel_steps(row)}
    assert str(steps["sals"]["from_previous"]) == "0.8000"  # 4 of 5
    assert steps["sqls"]["dropped"] == 2
    assert str(metrics.mql_to_sql(row)) == "0.4000"


def test_the_page_and_its_csv_show_the_same_figures(client, manager, july):
    client.force_login(manager)
    response = client.get(FUNNEL, {**JULY, "split": "channel"})
    assert response.context["total"]["leads"] == 6
    groups = {row["group"]: row for row in response.context["groups"]}
    assert (groups["Webinar"]["leads"], groups["Webinar"]["won"]) == (3, 1)
    assert (groups["Event"]["leads"], groups["Event"]["sals"]) == (3, 2)
    download = client.get(FUNNEL, {**JULY, "split": "channel", "format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["Group", "Leads", "MQL", "SAL", "SQL", "Opportunity", "Won", "MQL→SQL rate"]
    assert rows[1] == ["All leads", "6", "5", "4", "2", "2", "1", "40.0"]
    assert sorted(rows[2:]) == [
        ["Event", "3", "2", "2", "0", "0", "0", "0.0"],
        ["Webinar", "3", "3", "2", "2", "2", "1", "66.7"],
    ]


def test_filters_by_campaign_channel_and_rep(client, manager, july, other_rep):
    client.force_login(manager)
    by_campaign = client.get(FUNNEL, {**JULY, "campaign": july.pk}).context["total"]
    assert by_campaign["leads"] == 3
    assert client.get(FUNNEL, {**JULY, "channel": "event"}).context["total"]["leads"] == 3
    assert client.get(FUNNEL, {**JULY, "rep": other_rep.pk}).context["total"]["leads"] == 0


def test_an_empty_period_says_so(client, marketer, july):
    client.force_login(marketer)
    response = client.get(FUNNEL, {"period": "custom", "first": "2025-01-01", "last": "2025-01-31"})
    assert "No lead was created in this period" in response.content.decode()


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        ("2026-07-31", "2026-07-01", "ends before it starts"),
        ("2020-01-01", "2026-07-01", "two years at most"),
        ("", "2026-07-01", "both dates"),
    ],
)
def test_a_bad_custom_range_is_explained_and_this_month_shown(
    client, manager, first, last, message
):
    client.force_login(manager)
    response = client.get(FUNNEL, {"period": "custom", "first": first, "last": last})
    assert message in response.content.decode()
    assert response.context["period"].first == timezone.localdate().replace(day=1)


def test_presets_cover_months_and_quarters():
    today = dt.date(2026, 2, 14)

    def span(name):
        period = periods.preset(name, today)
        return period.first, period.last

    assert span("this_month") == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert span("last_month") == (dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    assert span("this_quarter") == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    last_q = periods.preset("last_quarter", today)
    assert (last_q.first, last_q.last, last_q.label) == (
        dt.date(2025, 10, 1),
        dt.date(2025, 12, 31),
        "Q4 2025",
    )
    assert last_q.previous().first == dt.date(2025, 7, 1)


@pytest.mark.parametrize(
    ("who", "status"), [("marketer", 200), ("rep", 200), ("manager", 200), ("outsider", 403)]
)
def test_each_role_reads_the_funnel(client, request, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(FUNNEL).status_code == status


def test_anonymous_users_go_to_login(client):
    assert client.get(FUNNEL)["Location"].startswith(reverse("login"))


def test_the_funnel_query_count_is_flat(client, manager, july, django_assert_max_num_queries):
    for day in range(1, 29):
        walk(LeadFactory(created_at=at(7, day), channel="email"), "mql", "sal")
    client.force_login(manager)
    with django_assert_max_num_queries(8):
        response = client.get(FUNNEL, {**JULY, "split": "campaign"})
    assert response.context["total"]["leads"] == 34


def test_two_campaigns_with_one_name_stay_apart_in_the_split(client, manager):
    spring, autumn = CampaignFactory(name="Newsletter"), CampaignFactory(name="Newsletter")
    LeadFactory(created_at=at(7, 2), campaign=spring)
    LeadFactory(created_at=at(7, 3), campaign=autumn)
    LeadFactory(created_at=at(7, 4), campaign=autumn)
    LeadFactory(created_at=at(7, 5), campaign=None)
    client.force_login(manager)
    response = client.get(FUNNEL, {**JULY, "split": "campaign"})
    groups = [(row["group"], row["leads"]) for row in response.context["groups"]]
    assert sorted(groups) == [("Newsletter", 1), ("Newsletter", 2), ("No campaign", 1)]
    assert response.context["total"]["leads"] == 4
