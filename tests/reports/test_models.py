import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from crm.errors import TransitionError
from reports.models import Quota, ServiceLevelAgreement
from reports.services import sla_revise
from tests.factories import LeadFactory, QuotaFactory, SLAFactory

pytestmark = pytest.mark.django_db


def test_a_fresh_install_has_a_first_sla():
    first = ServiceLevelAgreement.objects.get(version=1)
    assert first.mql_min_score == 50
    assert ServiceLevelAgreement.objects.current() == first


def test_an_sla_version_is_never_edited():
    sla = SLAFactory()
    sla.accept_within_hours = 1
    with pytest.raises(TypeError, match="never edited"):
        sla.save()


def test_in_force_at_picks_the_version_that_applied_then():
    now = timezone.now()
    v2 = SLAFactory(version=2, effective_from=now - dt.timedelta(days=30))
    v3 = SLAFactory(version=3, effective_from=now - dt.timedelta(days=1))
    assert ServiceLevelAgreement.objects.in_force_at(now - dt.timedelta(days=10)) == v2
    assert ServiceLevelAgreement.objects.in_force_at(now) == v3
    assert ServiceLevelAgreement.objects.current() == v3


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"working_days": []}, "working_days"),
        ({"working_days": [0, 7]}, "working_days"),
        ({"working_days": [1, 1]}, "working_days"),
        ({"mql_required_fields": ["favourite_colour"]}, "mql_required_fields"),
        ({"workday_start": dt.time(17), "workday_end": dt.time(9)}, "workday_end"),
        ({"accept_within_hours": 4, "escalate_after_hours": 4}, "escalate_after_hours"),
        ({"mql_targets_by_channel": {"carrier_pigeon": 3}}, "mql_targets_by_channel"),
        ({"mql_targets_by_channel": {"event": 0}}, "mql_targets_by_channel"),
        ({"mql_targets_by_channel": {"event": "many"}}, "mql_targets_by_channel"),
        ({"mql_targets_by_channel": ["event"]}, "mql_targets_by_channel"),
        (
            {"mql_target_per_month": 10, "mql_targets_by_channel": {"event": 6, "email": 5}},
            "mql_targets_by_channel",
        ),
    ],
)
def test_sla_validation_names_the_bad_field(fields, field):
    sla = SLAFactory.build(**fields)
    with pytest.raises(ValidationError) as error:
        sla.full_clean()
    assert field in error.value.message_dict


def test_the_database_refuses_a_working_day_that_ends_before_it_starts():
    with pytest.raises(IntegrityError), transaction.atomic():
        SLAFactory(workday_start=dt.time(17), workday_end=dt.time(9))


def test_check_lead_lists_what_is_missing():
    sla = SLAFactory.build(mql_min_score=50, mql_required_fields=["email", "company", "phone"])
    lead = LeadFactory.build(score=40, company="", phone="", campaign=None)
    check = sla.check_lead(lead)
    assert not check.met
    assert check.missing_fields == ["company", "phone"]
    assert check.problems == "score 40 is below 50; missing Company, Phone"
    lead.score, lead.company, lead.phone = 50, "Acme", "+44 1"
    assert sla.check_lead(lead).met


def test_revising_the_sla_makes_a_new_version_and_carries_the_rest(manager):
    before = ServiceLevelAgreement.objects.current()
    new = sla_revise(by=manager, change_note="Faster response", accept_within_hours=2)
    assert new.version == before.version + 1
    assert new.accept_within_hours == 2
    assert new.mql_min_score == before.mql_min_score
    assert new.created_by == manager
    assert ServiceLevelAgreement.objects.current() == new
    before.refresh_from_db()
    assert before.accept_within_hours == 4  # the old version is untouched


def test_only_managers_revise_the_sla(rep, marketer):
    for user in (rep, marketer):
        with pytest.raises(TransitionError, match="Only a manager"):
            sla_revise(by=user, accept_within_hours=2)
    assert ServiceLevelAgreement.objects.count() == 1


def test_an_invalid_revision_is_refused_and_saves_nothing(manager):
    with pytest.raises(ValidationError):
        sla_revise(by=manager, timezone="Nowhere/Land")
    assert ServiceLevelAgreement.objects.count() == 1


def test_quota_period_end_and_label():
    month = QuotaFactory.build(period="month", period_start=dt.date(2026, 12, 1))
    quarter = QuotaFactory.build(period="quarter", period_start=dt.date(2026, 10, 1))
    assert month.last_day() == dt.date(2026, 12, 31)
    assert month.period_label == "December 2026"
    assert quarter.last_day() == dt.date(2026, 12, 31)
    assert quarter.period_label == "Q4 2026"


@pytest.mark.parametrize(
    ("period", "start", "message"),
    [
        ("month", dt.date(2026, 5, 2), "first of a month"),
        ("quarter", dt.date(2026, 5, 1), "1 January, April, July or October"),
    ],
)
def test_quota_periods_start_on_period_boundaries(period, start, message):
    quota = QuotaFactory.build(period=period, period_start=start)
    with pytest.raises(ValidationError, match=message):
        quota.clean()


def test_one_quota_per_rep_and_period(rep):
    QuotaFactory(rep=rep, period_start=dt.date(2026, 1, 1))
    QuotaFactory(rep=rep, period="quarter", period_start=dt.date(2026, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        QuotaFactory(rep=rep, period_start=dt.date(2026, 1, 1))


def test_quota_amount_is_positive():
    with pytest.raises(IntegrityError), transaction.atomic():
        QuotaFactory(amount=Decimal("0"))
    assert not Quota.objects.exists()
