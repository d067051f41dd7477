"""The report pages: who reads them, the CSV agreeing with the page, sorting, filters, empty
states and a query count that does not grow with the rows."""

import csv
import datetime as dt
import io
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from leads.models import Lead, LeadTransition, OpportunityStageChange
from reports.tables import cell_text, csv_cell
from tests.factories import (
    CampaignFactory,
    LeadFactory,
    OpportunityFactory,
    QuotaFactory,
    SpendEntryFactory,
)

pytestmark = pytest.mark.django_db

PAGES = ["campaigns", "response", "rejections", "sales", "pipeline", "revenue"]
LAST_QUARTER = {"period": "last_quarter"}


def quarter_ago(days: int) -> dt.datetime:
    """A moment inside last quarter, `days` after its start."""
    today = timezone.localdate()
    this_quarter = dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    before = this_quarter - dt.timedelta(days=1)
    first = dt.date(before.year, (before.month - 1) // 3 * 3 + 1, 1)
    return timezone.make_aware(dt.datetime.combine(first, dt.time(10))) + dt.timedelta(days=days)


def seed(n: int, reps) -> None:
    """`n` leads of last quarter in two campaigns, each sent to sales and answered (a fifth
    rejected), a deal each for half of them, won or lost, with stage history; spend; quotas."""
    campaigns = [CampaignFactory(channel="webinar"), CampaignFactory(channel="event")]
    for campaign in campaigns:
        SpendEntryFactory(campaign=campaign, date=quarter_ago(3).date())
    for index in range(n):
        rep = reps[index % len(reps)]
        created = quarter_ago(index % 60)
        lead = LeadFactory(
            campaign=campaigns[index % 2], owner=rep, created_at=created, stage="sal"
        )
        mql = LeadTransition.objects.create(
            lead=lead, from_stage="new", to_stage="mql", at=created, due_at=created
        )
        rejected = index % 5 == 0
        LeadTransition.objects.create(
            lead=lead,
            from_stage="mql",
            to_stage="recycled" if rejected else "sal",
            reason="not_icp" if rejected else "",
            actor=rep,
            at=created + dt.timedelta(hours=index % 30),
            pass_started_at=mql.at,
            due_at=created + dt.timedelta(hours=4),
        )
        Lead.objects.filter(pk=lead.pk).update(mql_at=created)
        if index % 2:
            won = index % 4 == 1
            deal = OpportunityFactory(
                lead=lead,
                owner=rep,
                amount=1000 + index,
                stage="won" if won else "proposal",
                closed_date=(created + dt.timedelta(days=20)).date() if won else None,
                probability=100 if won else 50,
            )
            OpportunityStageChange.objects.create(
                opportunity=deal, from_stage="", to_stage="discovery", to_amount=1, at=created
            )
            OpportunityStageChange.objects.create(
                opportunity=deal,
                from_stage="discovery",
                to_stage="proposal",
                to_amount=1,
                at=created + dt.timedelta(days=2),
            )
    for rep in reps:
        QuotaFactory(rep=rep, period_start=quarter_ago(0).date(), amount=5000)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(
    ("who", "status"),
    [("manager", 200), ("marketer", 200), ("rep", 200), ("outsider", 403)],
)
def test_each_report_for_each_role(client, request, page, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse(f"reports:{page}")).status_code == status


@pytest.mark.parametrize("page", [*PAGES, "dashboard"])
def test_reports_need_a_login(client, page):
    url = reverse(f"reports:{page}")
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def csv_blocks(response) -> list[list[list[str]]]:
    """The CSV download as its blocks (split at blank lines), header line dropped."""
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))[1:]
    blocks, block = [], []
    for row in rows:
        if row:
            block.append(row)
        elif block:
            blocks.append(block)
            block = []
    return blocks + ([block] if block else [])


@pytest.mark.parametrize("page", PAGES)
def test_the_csv_holds_exactly_the_figures_on_the_page(client, manager, rep, other_rep, page):
    seed(24, [rep, other_rep])
    client.force_login(manager)
    url = reverse(f"reports:{page}")
    response = client.get(url, LAST_QUARTER)
    html = unescape(response.content.decode())
    context = response.context
    blocks = csv_blocks(client.get(url, {**LAST_QUARTER, "format": "csv"}))
    headlines, tables = blocks[0], blocks[1:]
    assert [row[0] for row in headlines[1:]] == [f.label for f in context["headlines"]]
    for figure, row in zip(context["headlines"], headlines[1:], strict=True):
        assert row[1] == csv_cell(figure.value, figure.kind)
        assert cell_text(figure.value, figure.kind) in html
    assert len(tables) == len(context["tables"])
    for table, block in zip(context["tables"], tables, strict=True):
        assert block[0] == [table.title]
        shown = [*table.rows, *([table.total] if table.total else [])]
        assert len(block) - 2 == len(shown)  # title and header lines
        for row, line in zip(shown, block[2:], strict=True):
            for column, value in zip(table.columns, line, strict=True):
                assert value == csv_cell(row.get(column.key), column.kind)
                assert cell_text(row.get(column.key), column.kind) in html
    assert any(table.rows for table in context["tables"])  # the seed shows on every page


@pytest.mark.parametrize("page", PAGES)
def test_report_query_count_does_not_grow_with_rows(
    client, manager, rep, other_rep, page, django_assert_max_num_queries
):
    seed(60, [rep, other_rep])
    client.force_login(manager)
    with django_assert_max_num_queries(23):
        response = client.get(reverse(f"reports:{page}"), LAST_QUARTER)
    assert response.status_code == 200
    assert any(table.rows for table in response.context["tables"])


@pytest.mark.parametrize("page", PAGES)
def test_an_empty_period_shows_empty_states(client, manager, page):
    client.force_login(manager)
    response = client.get(
        reverse(f"reports:{page}"),
        {"period": "custom", "first": "2020-01-01", "last": "2020-01-31"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    for table in response.context["tables"]:
        if not table.rows:
            assert table.empty in html


def test_campaigns_sort_by_a_column_and_split_by_channel(client, manager, rep, other_rep):
    seed(12, [rep, other_rep])
    client.force_login(manager)
    url = reverse("reports:campaigns")
    rows = client.get(url, {**LAST_QUARTER, "sort": "-leads"}).context["tables"][0].rows
    assert [row["leads"] for row in rows] == sorted((row["leads"] for row in rows), reverse=True)
    rows = client.get(url, {**LAST_QUARTER, "sort": "cpl"}).context["tables"][0].rows
    defined = [row["cpl"] for row in rows if row["cpl"] is not None]
    assert defined == sorted(defined)
    assert [row["cpl"] for row in rows[len(defined) :]] == [None] * (len(rows) - len(defined))
    channels = client.get(url, {**LAST_QUARTER, "by": "channel"}).context["tables"][0].rows
    assert {row["name"] for row in channels} == {"Webinar", "Event"}


def test_filters_narrow_every_figure(client, manager, rep, other_rep):
    seed(20, [rep, other_rep])
    client.force_login(manager)
    everyone = client.get(reverse("reports:sales"), LAST_QUARTER).context["tables"][0]
    only_rita = client.get(reverse("reports:sales"), {**LAST_QUARTER, "rep": rep.pk})
    rows = only_rita.context["tables"][0].rows
    assert [row["key"] for row in rows] == [rep.pk]
    assert rows[0]["won"] < everyone.total["won"]


def test_a_bad_custom_range_says_why_and_shows_this_month(client, manager):
    client.force_login(manager)
    response = client.get(
        reverse("reports:revenue"),
        {"period": "custom", "first": "2026-05-01", "last": "2026-04-01"},
    )
    assert response.status_code == 200
    assert "The range ends before it starts." in response.content.decode()
    assert response.context["period"].first == timezone.localdate().replace(day=1)


def test_each_chart_is_drawn_with_its_values_as_text(client, manager, rep, other_rep):
    seed(12, [rep, other_rep])
    client.force_login(manager)
    response = client.get(reverse("reports:revenue"), LAST_QUARTER)
    html = response.content.decode()
    chart = response.context["charts"][0]
    assert html.count("<rect") >= len(chart.bars) * len(chart.series)
    for bar in chart.bars:
        for _value, _width, text in bar.values:
            assert f">{text}</text>" in unescape(html)


def test_the_reasons_chart_names_the_kind_of_exit(client, manager, rep, other_rep):
    seed(12, [rep, other_rep])
    client.force_login(manager)
    response = client.get(reverse("reports:rejections"), LAST_QUARTER)
    labels = [bar.label for bar in response.context["charts"][0].bars]
    assert "Not our ideal customer (rejected mql)" in labels
