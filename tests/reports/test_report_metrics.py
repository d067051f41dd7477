"""Each report's metrics against a small September worked out by hand, with rows in August and
October that must not count."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from leads import services
from leads.models import Lead, LeadTransition, OpportunityStageChange
from reports import metrics
from reports.periods import Period
from tests.factories import (
    AccountFactory,
    CampaignFactory,
    LeadFactory,
    OpportunityFactory,
    QuotaFactory,
    SpendEntryFactory,
    move,
)

pytestmark = pytest.mark.django_db

SEPTEMBER = Period(dt.date(2026, 9, 1), dt.date(2026, 9, 30), "September 2026")
NOW = timezone.make_aware(dt.datetime(2026, 11, 23, 12, 0))
HOUR = 3600


def at(month, day, hour=10, minute=0):
    return timezone.make_aware(dt.datetime(2026, month, day, hour, minute))


def scope(**filters):
    return metrics.Scope(period=SEPTEMBER, **filters)


def walk(lead, *stages, by=None):
    """The lead's transitions through `stages`, a day apart from its creation."""
    previous, when = "new", lead.created_at
    for stage in stages:
        when += dt.timedelta(days=1)
        LeadTransition.objects.create(
            lead=lead, from_stage=previous, to_stage=stage, at=when, actor=by
        )
        previous = stage
    Lead.objects.filter(pk=lead.pk).update(stage=previous, mql_at=lead.created_at)


# --- Campaign performance ---------------------------------------------------------------------


@pytest.fixture
def campaigns(rep):
    """W (webinar): 1,000 spent in September (500 in August does not count); leads w1 → won
    4,000 (a new customer), w2 → deal lost, w3 new; w4 was created in August.
    Z (event): no spend; z1 became an MQL.   S (ads): 300 spent, no leads."""
    w = CampaignFactory(name="Webinar", channel="webinar")
    z = CampaignFactory(name="Zero", channel="event")
    s = CampaignFactory(name="Search", channel="paid_search")
    SpendEntryFactory(campaign=w, date=dt.date(2026, 9, 5), amount=Decimal("1000.00"))
    SpendEntryFactory(campaign=w, date=dt.date(2026, 8, 31), amount=Decimal("500.00"))
    SpendEntryFactory(campaign=s, date=dt.date(2026, 9, 30), amount=Decimal("300.00"))
    w1, w2, _w3 = (LeadFactory(campaign=w, created_at=at(9, day), owner=rep) for day in (2, 3, 4))
    w4 = LeadFactory(campaign=w, created_at=at(8, 30), owner=rep)
    z1 = LeadFactory(campaign=z, created_at=at(9, 10), owner=rep)
    for lead in (w1, w2, w4):
        walk(lead, "mql", "sal", "sql", "converted", by=rep)
    walk(z1, "mql")
    OpportunityFactory(lead=w1, stage="won", closed_date=dt.date(2026, 9, 25), amount=4000)
    OpportunityFactory(
        lead=w2, stage="lost", closed_date=dt.date(2026, 9, 26), lost_reason="price", amount=9000
    )
    OpportunityFactory(lead=w4, stage="won", closed_date=dt.date(2026, 9, 20), amount=7000)
    return w, z, s


def test_campaign_performance_per_campaign(campaigns):
    w, z, s = campaigns
    rows, total = metrics.campaign_performance(scope(), "campaign")
    by = {row["key"]: row for row in rows}
    assert set(by) == {w.pk, z.pk, s.pk}
    webinar = by[w.pk]
    assert (webinar["spend"], webinar["leads"], webinar["mqls"], webinar["sqls"]) == (
        1000,
        3,
        2,
        2,
    )
    assert (webinar["opportunities"], webinar["won"], webinar["revenue"]) == (2, 1, 4000)
    assert webinar["cpl"] == Decimal("333.33")
    assert webinar["cpmql"] == Decimal("500.00")
    assert webinar["cac"] == Decimal("1000.00")  # one new customer
    assert webinar["roi"] == Decimal("3")  # (4,000 − 1,000) ÷ 1,000
    zero = by[z.pk]
    assert (zero["spend"], zero["leads"], zero["mqls"], zero["cpl"]) == (0, 1, 1, Decimal("0.00"))
    assert zero["cac"] is None
    assert zero["roi"] is None
    search = by[s.pk]
    assert (search["leads"], search["cpl"], search["roi"]) == (0, None, Decimal("-1"))
    assert (total["spend"], total["leads"], total["mqls"], total["revenue"]) == (1300, 4, 3, 4000)
    assert total["cac"] == Decimal("1300.00")
    assert total["roi"] == Decimal("2.0769")  # (4,000 − 1,300) ÷ 1,300


def test_campaign_performance_per_channel_and_filtered(campaigns):
    rows, total = metrics.campaign_performance(scope(), "channel")
    by = {row["key"]: row for row in rows}
    assert (by["webinar"]["leads"], by["event"]["leads"], by["paid_search"]["spend"]) == (3, 1, 300)
    assert total["spend"] == 1300
    rows, total = metrics.campaign_performance(scope(channel="event"), "campaign")
    assert [(row["leads"], row["spend"]) for row in rows] == [(1, 0)]


def test_an_empty_period_has_no_rows_and_undefined_ratios(campaigns):
    empty = metrics.Scope(period=Period(dt.date(2025, 1, 1), dt.date(2025, 1, 31), "January"))
    rows, total = metrics.campaign_performance(empty, "campaign")
    assert rows == []
    assert (total["leads"], total["cpl"], total["roi"], total["cac"]) == (0, None, None, None)


# --- Lead response ----------------------------------------------------------------------------


@pytest.fixture
def responses(rep, other_rep):
    """Four MQL passes in September and one in August that must not count:

    r1 (Rita)  MQL 7 Sep 10:00, due 14:00, a call at 10:30, accepted 13:00 by Rita  30 min, in time
    r2         MQL 8 Sep 10:00, due 14:00, rejected 9 Sep 10:00 by Otto          24 h, late
    r3 (Rita)  MQL 9 Sep 10:00, due 14:00, still waiting                           late
    r2 again   MQL 20 Sep 10:00 (from recycled), due 14:00, accepted 12:00 by Otto  2 h, in time
    r4         MQL 31 Aug 23:00, accepted 1 Sep 09:00                              August's
    """
    r1 = LeadFactory(stage="sal", owner=rep)
    r2 = LeadFactory(stage="sal", owner=other_rep)
    r3 = LeadFactory(stage="mql", owner=rep, mql_at=at(9, 9), response_due_at=at(9, 9, 14))
    r4 = LeadFactory(stage="sal", owner=rep)
    move(r1, "new", "mql", at(9, 7), due=at(9, 7, 14))
    move(r1, "mql", "sal", at(9, 7, 13), by=rep, took=HOUR // 2)
    move(r2, "new", "mql", at(9, 8), due=at(9, 8, 14))
    move(r2, "mql", "recycled", at(9, 9), by=other_rep, reason="not_icp")
    move(r3, "new", "mql", at(9, 9), due=at(9, 9, 14))
    move(r2, "recycled", "mql", at(9, 20), due=at(9, 20, 14))
    move(r2, "mql", "sal", at(9, 20, 12), by=other_rep)
    move(r4, "new", "mql", at(8, 31, 23), due=at(9, 1, 13))
    move(r4, "mql", "sal", at(9, 1, 9), by=rep)


def test_response_overall(responses):
    overall = metrics.response_by(scope(), NOW, None)[None]
    assert (overall["passes"], overall["answered"], overall["in_time"]) == (4, 3, 2)
    assert (overall["late"], overall["waiting"], overall["share"]) == (2, 0, Decimal("0.5"))
    # Nearest rank of 30 min, 2 h, 24 h: the 2nd for the median, the 3rd for the 90th.
    assert (overall["median"], overall["p90"]) == (2 * HOUR, 24 * HOUR)


def test_response_by_rep_and_week(responses, rep, other_rep):
    reps = metrics.response_by(scope(), NOW, "rep")
    assert (reps[rep.pk]["passes"], reps[rep.pk]["in_time"], reps[rep.pk]["late"]) == (2, 1, 1)
    assert reps[rep.pk]["median"] == HOUR // 2
    assert (reps[other_rep.pk]["answered"], reps[other_rep.pk]["share"]) == (2, Decimal("0.5"))
    assert (reps[other_rep.pk]["median"], reps[other_rep.pk]["p90"]) == (2 * HOUR, 24 * HOUR)
    weeks = metrics.response_by(scope(), NOW, "week")
    by_day = weeks
    assert set(by_day) == {dt.date(2026, 9, 7), dt.date(2026, 9, 14)}  # the Mondays
    assert (by_day[dt.date(2026, 9, 7)]["passes"], by_day[dt.date(2026, 9, 7)]["late"]) == (3, 2)
    assert by_day[dt.date(2026, 9, 14)]["in_time"] == 1  # Sunday the 20th


def test_response_histogram_and_rep_filter(responses, other_rep):
    report = metrics.response_report(scope(), NOW)
    bands = {row["band"]: row["answers"] for row in report["histogram"]}
    assert bands == {
        "Under 1 hour": 1,
        "1–4 hours": 1,
        "4–8 hours": 0,
        "8–24 hours": 0,
        "1–3 days": 1,  # exactly 24 h starts the next band
        "3–7 days": 0,
        "A week or more": 0,
    }
    only_otto = metrics.response_by(scope(rep=other_rep), NOW, None)[None]
    assert (only_otto["passes"], only_otto["answered"]) == (2, 2)


def test_the_response_report_totals_agree_with_the_overall_figures(responses):
    report = metrics.response_report(scope(), NOW)
    assert report["overall"] == metrics.response_by(scope(), NOW, None)[None]
    assert sum(row["answers"] for row in report["histogram"]) == 3


@pytest.mark.parametrize(
    "seconds", [0, 59, 60, 3599, 3600, 3899, 4 * HOUR, 24 * HOUR - 1, 24 * HOUR, 200 * HOUR]
)
def test_each_response_step_starts_at_or_before_its_seconds(seconds):
    step = seconds // 60 if seconds < HOUR else None
    if step is None:
        step = 60 + (seconds - HOUR) // 300 if seconds < 24 * HOUR else 400 + seconds // HOUR
    assert metrics.step_start(step) <= seconds < metrics.step_start(step + 1)


def test_the_response_time_counts_from_a_call_logged_before_the_answer(rep, sla):
    lead = LeadFactory(stage="mql", owner=rep, mql_at=timezone.now() - dt.timedelta(hours=3))
    services.activity_log(by=rep, kind="call", body="Left a voicemail.", lead=lead)
    lead.refresh_from_db()
    services.lead_accept(lead=lead, by=rep)
    answer = LeadTransition.objects.get(lead=lead, from_stage="mql")
    expected = (lead.first_response_at - lead.mql_at).total_seconds()
    assert answer.response_seconds == round(expected)
    assert 3 * HOUR - 5 <= answer.response_seconds <= 3 * HOUR + 5


# --- Rejections and recycling -----------------------------------------------------------------


def test_rejections_reasons_sources_and_the_leads_that_came_back(responses, rep, campaigns):
    w, _z, _s = campaigns
    q1 = LeadFactory(campaign=w, stage="recycled")
    q2 = LeadFactory(campaign=w, stage="disqualified")
    q3 = LeadFactory(campaign=w, stage="recycled")
    move(q1, "sal", "recycled", at(9, 15), by=rep, reason="bad_timing")
    move(q2, "sql", "disqualified", at(9, 16), by=rep, reason="no_budget")
    move(q3, "sal", "recycled", at(8, 16), by=rep, reason="bad_timing")  # August
    reasons = [(r["reason"], r["kind"], r["count"]) for r in metrics.rejection_reasons(scope())]
    assert sorted(reasons) == [
        ("Bad timing", "Recycled", 1),
        ("No budget", "Disqualified", 1),
        ("Not our ideal customer", "Rejected MQL", 1),
    ]
    by = metrics.rejections_by(scope())
    rows, total = by["campaign"], by["total"]
    assert (total["rejected"], total["recycled"], total["disqualified"], total["total"]) == (
        1,
        1,
        1,
        3,
    )
    # r2 was rejected and sent again on 20 Sep; q1 has not come back.
    assert (total["came_back"], total["came_back_share"]) == (1, Decimal("0.5"))
    webinar = next(row for row in rows if row["key"] == w.pk)
    assert (webinar["recycled"], webinar["disqualified"], webinar["came_back"]) == (1, 1, 0)
    channels = {row["key"]: row["total"] for row in by["channel"]}
    assert sum(channels.values()) == 3
    assert channels[w.channel] >= 2  # q1 and q2 came through the webinar
    assert metrics.resent(scope()) == {"resent": 1, "leads": 1}


# --- Sales performance ------------------------------------------------------------------------


@pytest.fixture
def deals(rep, other_rep):
    """Rita: a deal opened 6 Sep won 25 Sep (4,000), one opened 6 Sep lost 26 Sep; quota 8,000
    for September.  Otto: a deal opened 1 Jul won 10 Sep (2,000) from a customer since
    January, one opened 1 Aug still open; a Q3 quota, which is not inside September.
    A deal won in August counts nowhere."""
    new, old = AccountFactory(name="New Co"), AccountFactory(name="Old Co")
    old.customer_since = dt.date(2026, 1, 10)
    old.save()
    won = OpportunityFactory(
        owner=rep, account=new, stage="won", closed_date=dt.date(2026, 9, 25), amount=4000
    )
    lost = OpportunityFactory(
        owner=rep, stage="lost", closed_date=dt.date(2026, 9, 26), lost_reason="price"
    )
    upsell = OpportunityFactory(
        owner=other_rep, account=old, stage="won", closed_date=dt.date(2026, 9, 10), amount=2000
    )
    open_deal = OpportunityFactory(owner=other_rep, stage="demo", amount=1000, probability=25)
    august = OpportunityFactory(
        owner=rep, account=old, stage="won", closed_date=dt.date(2026, 8, 3), amount=1000
    )
    for deal, opened in [
        (won, at(9, 6)),
        (lost, at(9, 6)),
        (upsell, at(7, 1)),
        (open_deal, at(8, 1)),
        (august, at(7, 1)),
    ]:
        type(deal).objects.filter(pk=deal.pk).update(created_at=opened)
    new.customer_since = dt.date(2026, 9, 25)
    new.save()
    QuotaFactory(rep=rep, period="month", period_start=dt.date(2026, 9, 1), amount=8000)
    QuotaFactory(rep=other_rep, period="quarter", period_start=dt.date(2026, 7, 1), amount=9000)
    return new, old


def test_sales_performance_per_rep(deals, responses, rep, other_rep):
    rows, total = metrics.sales_performance(scope())
    rita, otto = (next(row for row in rows if row["key"] == r.pk) for r in (rep, other_rep))
    assert (rita["assigned"], rita["accepted_share"]) == (2, Decimal("1"))
    assert (otto["assigned"], otto["accepted_share"]) == (2, Decimal("0.5"))
    assert (rita["opportunities"], rita["won"], rita["lost"], rita["win_rate"]) == (
        2,
        1,
        1,
        Decimal("0.5"),
    )
    assert (rita["revenue"], rita["avg_deal"], rita["avg_cycle"]) == (4000, 4000, Decimal("19"))
    assert (rita["quota"], rita["attainment"]) == (8000, Decimal("0.5"))
    assert (otto["opportunities"], otto["revenue"], otto["median_cycle"]) == (0, 2000, 71)
    assert otto.get("quota") is None
    assert otto["attainment"] is None
    assert (total["won"], total["lost"], total["revenue"]) == (2, 1, 6000)
    assert total["win_rate"] == Decimal("0.6667")
    assert (total["avg_deal"], total["avg_cycle"], total["median_cycle"]) == (3000, 45, 19)
    assert total["accepted_share"] == Decimal("0.6667")  # 2 of the 3 answers


def test_sales_performance_counts_sqls_by_who_qualified(campaigns, rep):
    rows, _ = metrics.sales_performance(scope())
    rita = next(row for row in rows if row["key"] == rep.pk)
    assert rita["sqls"] == 3  # w1 and w2, and w4 (an August lead qualified on 2 September)


# --- Revenue ----------------------------------------------------------------------------------


def test_revenue_new_and_existing_customers_and_retention(deals):
    assert len(deals) == 2  # New Co (first win in September) and Old Co (customer since January)
    AccountFactory(name="Quiet Co", customer_since=dt.date(2026, 3, 1))
    months, total = metrics.revenue_by_month(scope())
    assert [(m["month"], m["deals"], m["revenue"]) for m in months] == [("Sep 2026", 2, 6000)]
    assert (total["new"], total["existing"], total["existing_share"]) == (
        4000,
        2000,
        Decimal("0.3333"),
    )
    # Old Co and Quiet Co were customers before September; Old Co bought again.
    assert metrics.retention(scope()) == {"customers": 2, "again": 1, "share": Decimal("0.5")}
    top = [(row["account__name"], row["revenue"]) for row in metrics.top_accounts(scope())]
    assert top == [("New Co", 4000), ("Old Co", 2000)]


# --- Pipeline and forecast --------------------------------------------------------------------


def test_pipeline_by_stage_and_its_flow(rep):
    """X: discovery 1 Sep → demo 5 Sep → proposal 12 Sep (open, 3,000 at 50 %).
    Y: discovery 3 Sep → lost 8 Sep. Z: in discovery since 1 Aug, 1,000 at 10 %."""
    x = OpportunityFactory(owner=rep, stage="proposal", probability=50, amount=3000)
    y = OpportunityFactory(
        owner=rep, stage="lost", closed_date=dt.date(2026, 9, 8), lost_reason="price"
    )
    z = OpportunityFactory(owner=rep, stage="discovery", probability=10, amount=1000)

    def change(deal, from_stage, to_stage, when):
        OpportunityStageChange.objects.create(
            opportunity=deal, from_stage=from_stage, to_stage=to_stage, to_amount=1, at=when
        )

    change(x, "", "discovery", at(9, 1))
    change(x, "discovery", "demo", at(9, 5))
    change(x, "demo", "demo", at(9, 6))  # an amount change: no stage entered
    change(x, "demo", "proposal", at(9, 12))
    change(y, "", "discovery", at(9, 3))
    change(y, "discovery", "lost", at(9, 8))
    change(z, "", "discovery", at(8, 1))
    rows, total = metrics.pipeline_by_stage(scope())
    by = {row["key"]: row for row in rows}
    assert (by["discovery"]["count"], by["discovery"]["weighted"]) == (1, 100)
    assert (by["proposal"]["count"], by["proposal"]["weighted"]) == (1, 1500)
    assert (by["discovery"]["entered"], by["discovery"]["moved_on"]) == (2, 1)
    assert by["discovery"]["conversion"] == Decimal("0.5")
    assert (by["demo"]["entered"], by["demo"]["conversion"]) == (1, Decimal("1"))
    assert (by["proposal"]["entered"], by["proposal"]["moved_on"]) == (1, 0)
    assert by["discovery"]["avg_days"] == Decimal("4.5")  # X 4 days, Y 5 days
    assert by["demo"]["avg_days"] == Decimal("7")
    assert (total["count"], total["amount"], total["weighted"]) == (2, 4000, 1600)


def test_forecast_by_expected_close_month(rep):
    today = dt.date(2026, 11, 23)
    for close, amount, probability in [
        (dt.date(2026, 10, 30), 1000, 50),  # overdue
        (dt.date(2026, 11, 30), 2000, 25),
        (dt.date(2026, 12, 1), 4000, 75),
        (dt.date(2026, 12, 31), 1000, 10),
    ]:
        OpportunityFactory(
            owner=rep, expected_close_date=close, amount=amount, probability=probability
        )
    OpportunityFactory(owner=rep, stage="won", closed_date=dt.date(2026, 11, 2), amount=99)
    rows, total = metrics.forecast_by_month(scope(), today)
    assert [(r["month"], r["count"], r["amount"], r["weighted"]) for r in rows] == [
        ("Overdue", 1, 1000, 500),
        ("Nov 2026", 1, 2000, 500),
        ("Dec 2026", 2, 5000, 3100),
    ]
    assert (total["count"], total["weighted"]) == (4, 4100)


# --- Shared helpers ---------------------------------------------------------------------------


def test_response_percentiles_use_the_nearest_rank_to_the_histogram_step(rep):
    lead = LeadFactory()

    def answer(took):
        move(lead, "new", "mql", at(9, 1), due=at(9, 1, 14))
        move(lead, "mql", "sal", at(9, 1, 11), took=took)

    for minutes in range(1, 11):  # 1 … 10 minutes: one step each
        answer(minutes * 60)
    answers = metrics.answers(*SEPTEMBER.bounds)
    median, p90 = metrics.response_percentiles(answers, (50, 90))
    assert (median[None], p90[None]) == (5 * 60, 9 * 60)  # ranks ceil(5) and ceil(9), not 10
    reps = metrics.response_percentiles(answers, (50,), "actor_id")
    assert reps == [{None: 5 * 60}]
    assert metrics.response_percentiles(answers.none(), (50,)) == [{None: None}]


def test_a_response_percentile_is_exact_to_its_step(rep):
    lead = LeadFactory()
    for took in (3 * HOUR + 60, 3 * HOUR + 240, 30 * HOUR + 10):
        move(lead, "new", "mql", at(9, 2), due=at(9, 2, 14))
        move(lead, "mql", "sal", at(9, 2, 11), took=took)
    answers = metrics.answers(*SEPTEMBER.bounds)
    (median,) = metrics.response_percentiles(answers, (50,))
    assert median[None] == 3 * HOUR + 240  # the 2nd of 3, in the same 5-minute step as the 1st
    (p90,) = metrics.response_percentiles(answers, (90,))
    assert p90[None] == 30 * HOUR + 10


def test_weeks_are_counted_from_the_monday_of_the_first_day():
    _, mondays = metrics.week_index("at", SEPTEMBER)
    assert mondays[0] == dt.date(2026, 8, 31)  # 1 September 2026 is a Tuesday
    assert mondays[-1] == dt.date(2026, 9, 28)
    assert len(mondays) == 5


def test_change_is_points_for_ratios_and_relative_otherwise():
    assert metrics.change(Decimal("0.30"), Decimal("0.25"), "ratio") == Decimal("0.05")
    assert metrics.change(150, 100, "count") == Decimal("0.5")
    assert metrics.change(5, 0, "count") is None
    assert metrics.change(None, 3, "money") is None


def test_the_services_write_each_sla_due_time_the_reports_judge(rep, marketer, sla):
    """Sending to sales sets the first-contact due time, accepting the qualify-or-recycle
    one, both in the SLA's working hours."""
    from reports import workhours

    lead = LeadFactory(owner=rep, score=90)
    services.lead_send_to_sales(lead=lead, by=marketer)
    sent = LeadTransition.objects.get(lead=lead, to_stage="mql")
    assert sent.contact_due_at == workhours.due_at(sla, sent.at, sla.first_contact_within_hours)
    services.lead_accept(lead=lead, by=rep)
    accepted = LeadTransition.objects.get(lead=lead, to_stage="sal")
    # Ten working days of eight hours each.
    assert accepted.decide_due_at == workhours.due_at(sla, accepted.at, 10 * 8)
    assert workhours.Schedule.of(sla).between(accepted.at, accepted.decide_due_at) == (
        dt.timedelta(hours=80)
    )
