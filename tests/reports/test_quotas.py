"""Quotas: managers set them, attainment is the rep's won revenue in the period ÷ the quota, and
reps read theirs on the inbox."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from leads import services
from reports.models import Quota
from tests.factories import OpportunityFactory, QuotaFactory, RepFactory

LIST = reverse("reports:quota-list")
NEW = reverse("reports:quota-create")
HISTORY = reverse("reports:quota-history")


def _win(rep, amount, day):
    deal = OpportunityFactory(owner=rep, amount=Decimal(amount))
    services.opportunity_close_won(opportunity=deal, by=rep, closed_date=day)
    return deal


def test_attainment_counts_only_the_rep_s_wins_inside_the_period(rep, other_rep):
    month = QuotaFactory(rep=rep, period_start=dt.date(2026, 10, 1), amount=Decimal("8000"))
    quarter = QuotaFactory(
        rep=rep, period="quarter", period_start=dt.date(2026, 10, 1), amount=Decimal("30000")
    )
    _win(rep, "3000", dt.date(2026, 10, 1))  # first day counts
    _win(rep, "1000", dt.date(2026, 10, 31))  # last day counts
    _win(rep, "5000", dt.date(2026, 11, 15))  # the quarter only
    _win(rep, "700", dt.date(2026, 9, 30))  # before both
    _win(other_rep, "9999", dt.date(2026, 10, 10))  # someone else's
    lost = OpportunityFactory(owner=rep, amount=Decimal("4000"))
    services.opportunity_close_lost(opportunity=lost, by=rep, reason="price")
    rows = {q.pk: q for q in Quota.objects.with_attainment()}
    assert (rows[month.pk].won, rows[month.pk].attainment) == (Decimal("4000"), Decimal("50.0"))
    assert (rows[quarter.pk].won, rows[quarter.pk].attainment) == (
        Decimal("9000"),
        Decimal("30.0"),
    )
    assert quarter.period_end == dt.date(2026, 12, 31)


def test_a_quota_without_wins_is_zero_percent(rep):
    quota = QuotaFactory(rep=rep)
    assert Quota.objects.with_attainment().get().attainment == Decimal("0.0")
    assert quota.attainment is None  # not annotated: unknown, not zero


def test_covering_finds_the_month_and_quarter_of_a_day(rep):
    QuotaFactory(rep=rep, period_start=dt.date(2026, 11, 1))
    QuotaFactory(rep=rep, period="quarter", period_start=dt.date(2026, 10, 1))
    QuotaFactory(rep=rep, period_start=dt.date(2026, 12, 1))
    found = Quota.objects.covering(dt.date(2026, 11, 30)).order_by("period")
    assert [q.period for q in found] == ["month", "quarter"]


# --- Pages ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"), [("marketer", 403), ("rep", 403), ("manager", 200), ("outsider", 403)]
)
def test_only_managers_manage_quotas(client, request, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(LIST).status_code == status
    assert client.get(NEW).status_code == status
    assert client.get(HISTORY).status_code == status


def test_anonymous_users_go_to_login(client):
    assert client.get(LIST)["Location"].startswith(reverse("login"))
    assert client.get(HISTORY)["Location"].startswith(reverse("login"))


def test_a_manager_sets_a_quota(client, manager, rep):
    client.force_login(manager)
    response = client.post(
        NEW, {"rep": rep.pk, "period": "quarter", "period_start": "2027-01-01", "amount": "90000"}
    )
    assert response["Location"] == LIST
    quota = Quota.objects.get()
    assert (quota.rep, quota.period_end, quota.amount) == (
        rep,
        dt.date(2027, 3, 31),
        Decimal("90000"),
    )


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"period_start": "2027-01-15"}, "period_start", "first of a month"),
        ({"period": "quarter", "period_start": "2027-02-01"}, "period_start", "1 January, April"),
        ({"amount": "0"}, "amount", "more than zero"),
    ],
)
def test_bad_quotas_are_refused(client, manager, rep, data, field, message):
    client.force_login(manager)
    base = {"rep": rep.pk, "period": "month", "period_start": "2027-01-01", "amount": "100"}
    response = client.post(NEW, base | data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Quota.objects.exists()


def test_a_second_quota_for_the_same_period_is_refused(client, manager, rep):
    QuotaFactory(rep=rep, period_start=dt.date(2027, 1, 1))
    client.force_login(manager)
    response = client.post(
        NEW, {"rep": rep.pk, "period": "month", "period_start": "2027-01-01", "amount": "5"}
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()


def test_the_edit_form_shows_the_quotas_own_period_and_saves_unchanged(client, manager, rep):
    quota = QuotaFactory(rep=rep, period_start=dt.date(2027, 3, 1), amount=Decimal("900"))
    client.force_login(manager)
    edit = reverse("reports:quota-update", args=[quota.pk])
    form = client.get(edit).context["form"]
    values = {name: form[name].value() for name in form.fields}
    assert values["period_start"] == dt.date(2027, 3, 1)  # not this month, a new quota's default
    assert client.post(edit, values).status_code == 302
    quota.refresh_from_db()
    assert (quota.period_start, quota.amount) == (dt.date(2027, 3, 1), Decimal("900"))


def test_editing_and_removing_a_quota(client, manager, rep):
    quota = QuotaFactory(rep=rep, period_start=dt.date(2027, 1, 1))
    client.force_login(manager)
    client.post(
        reverse("reports:quota-update", args=[quota.pk]),
        {"rep": rep.pk, "period": "month", "period_start": "2027-02-01", "amount": "123"},
    )
    quota.refresh_from_db()
    assert (quota.period_end, quota.amount) == (dt.date(2027, 2, 28), Decimal("123"))
    delete = reverse("reports:quota-delete", args=[quota.pk])
    assert "will be removed" in client.get(delete).content.decode()
    client.post(delete)
    assert not Quota.objects.exists()


def test_a_quotas_changes_and_its_removal_are_read_by_managers(client, manager, rep):
    quota = QuotaFactory(rep=rep, period_start=dt.date(2027, 1, 1), amount=Decimal("1000"))
    client.force_login(manager)
    edit = reverse("reports:quota-update", args=[quota.pk])
    client.post(
        edit, {"rep": rep.pk, "period": "month", "period_start": "2027-01-01", "amount": "1500"}
    )
    html = client.get(edit).content.decode()
    assert "Change history" in html
    assert "1000.00 → 1500" in html  # the amount, from what to what
    assert "Mona Ger" in html  # who changed it
    client.post(reverse("reports:quota-delete", args=[quota.pk]))
    response = client.get(HISTORY)
    actions = [entry.get_action_display() for entry in response.context["history"]]
    assert actions == ["delete", "update", "create"]
    html = response.content.decode()
    assert f"{rep}: 1500.00 for January 2027" in html  # the removed quota is still named
    assert '<span class="fw-semibold">amount</span>: 1500.00</div>' in html  # what it was
    assert "→ None" not in html
    assert ">ID<" not in html
    client.force_login(rep)
    assert client.get(HISTORY).status_code == 403


def test_quota_history_query_count_is_flat(client, manager, django_assert_max_num_queries):
    for rep in RepFactory.create_batch(10):
        for month in range(1, 7):
            quota = QuotaFactory(rep=rep, period_start=dt.date(2026, month, 1))
            quota.amount += 1
            quota.save()
    client.force_login(manager)
    with django_assert_max_num_queries(6):
        response = client.get(HISTORY)
    assert len(response.context["history"]) == 50
    assert response.context["paginator"].count == 120


def test_quota_list_query_count_is_flat(client, manager, django_assert_max_num_queries):
    for rep in RepFactory.create_batch(20):
        for month in range(1, 7):
            QuotaFactory(rep=rep, period_start=dt.date(2026, month, 1))
    client.force_login(manager)
    with django_assert_max_num_queries(7):
        response = client.get(LIST)
    assert len(response.context["quota_list"]) == 50


def test_a_rep_sees_their_attainment_on_the_inbox(client, rep, sla):
    today = timezone.localdate()
    QuotaFactory(rep=rep, period_start=today.replace(day=1), amount=Decimal("1000"))
    _win(rep, "250", today)
    client.force_login(rep)
    response = client.get(reverse("leads:inbox"))
    (quota,) = response.context["quotas"]
    assert quota.attainment == Decimal("25.0")
    assert "25.0 %" in response.content.decode()


def test_a_rep_without_a_quota_is_told_so(client, rep, sla):
    client.force_login(rep)
    assert "No quota is set for you" in client.get(reverse("leads:inbox")).content.decode()
