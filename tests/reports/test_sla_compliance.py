"""SLA compliance worked out by hand on a small October, and the SLA page and its versions."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from reports import compliance
from reports.models import ServiceLevelAgreement
from tests.factories import ActivityFactory, LeadFactory, SLAFactory, move

OCTOBER = dt.date(2026, 10, 1)
NOW = timezone.make_aware(dt.datetime(2026, 11, 23, 12, 0))


def at(month, day, hour, minute=0):
    return timezone.make_aware(dt.datetime(2026, month, day, hour, minute))


@pytest.fixture
def october(rep, other_rep):
    """Four MQL passes in October, one the month before and one after:

    A (Rita's)  MQL 5 Oct 10:00, due 14:00, accepted 11:00 by Rita    in time, 1 h
    B (Rita's)  MQL 6 Oct 10:00, due 14:00, rejected 7 Oct 09:00     late, 23 h
    C (Otto's)  MQL 10 Oct 10:00, due 14:00, still waiting            late (past due)
    B again     MQL 20 Oct 10:00, due 14:00, accepted 12:00 by Otto   in time, 2 h
    D           MQL 30 Sep 23:00, accepted 1 Oct 09:30                September's pass
    E           MQL 2 Nov 10:00                                       November's pass
    """
    sla = SLAFactory(effective_from=at(9, 1, 0), mql_target_per_month=10)
    SLAFactory(effective_from=at(11, 1, 0), mql_target_per_month=50)  # a later version
    a = LeadFactory(stage="sal", owner=rep, channel="webinar")
    b = LeadFactory(stage="sal", owner=rep, channel="webinar")
    c = LeadFactory(
        stage="mql",
        owner=other_rep,
        channel="event",
        mql_at=at(10, 10, 10),
        response_due_at=at(10, 10, 14),
    )
    d = LeadFactory(stage="sal", owner=rep, channel="event")
    e = LeadFactory(
        stage="mql", owner=rep, channel="event", mql_at=at(11, 2, 10), response_due_at=at(11, 2, 14)
    )
    move(a, "new", "mql", at(10, 5, 10), due=at(10, 5, 14), sla=sla)
    move(a, "mql", "sal", at(10, 5, 11), by=rep)
    move(b, "new", "mql", at(10, 6, 10), due=at(10, 6, 14), sla=sla)
    move(b, "mql", "recycled", at(10, 7, 9), by=rep, reason="not_icp")
    move(c, "new", "mql", at(10, 10, 10), due=at(10, 10, 14), sla=sla)
    move(b, "recycled", "mql", at(10, 20, 10), due=at(10, 20, 14), sla=sla)
    move(b, "mql", "sal", at(10, 20, 12), by=other_rep)
    move(d, "new", "mql", at(9, 30, 23), due=at(10, 1, 13), sla=sla)
    move(d, "mql", "sal", at(10, 1, 9, 30), by=rep)
    move(e, "new", "mql", at(11, 2, 10), due=at(11, 2, 14), sla=sla)
    return sla


def test_sales_side_of_a_hand_built_october(october, rep, other_rep):
    report = compliance.sla_compliance(OCTOBER, NOW)
    assert report.sla == october  # the version in force at the end of October
    assert (report.passes, report.in_time, report.late, report.waiting) == (4, 2, 2, 0)
    assert report.in_time_share == Decimal("0.5")
    assert report.median_response == dt.timedelta(hours=2)  # of 1 h, 2 h, 23 h
    assert report.p90_response == dt.timedelta(hours=23)
    rows = {row.name: (row.passes, row.in_time, row.late, row.waiting) for row in report.reps}
    assert rows == {"Rita Rep": (2, 1, 1, 0), "Otto Rep": (2, 1, 1, 0)}
    assert report.overdue_now == 0  # not the current month


def test_marketing_side_of_a_hand_built_october(october):
    report = compliance.sla_compliance(OCTOBER, NOW)
    assert (report.delivered, report.target, report.expected_by_now) == (3, 10, Decimal("10"))
    assert [(row.label, row.delivered, row.target) for row in report.by_channel] == [
        ("Webinar", 2, None),
        ("Event", 1, None),
    ]
    # Answers to October's passes: A and B again accepted, B rejected (D's pass is September's).
    assert (report.accepted, report.rejected) == (2, 1)
    assert report.acceptance_rate == Decimal("0.6667")
    assert report.rejection_reasons == [("Not our ideal customer", 1)]
    statuses = {c.label: c.status for c in report.commitments}
    assert statuses == {
        "MQLs delivered": "missed",
        "Accept or reject in time": "missed",
        "First contact in time": "n/a",  # these passes carry no contact or decision due time
        "Qualify or recycle in time": "n/a",
    }


def test_channel_targets_are_paced_and_the_furthest_behind_sets_the_light(october):
    # October's version wants 2 from webinars, 3 from events and 1 from e-mail of its 10.
    targets = {"webinar": 2, "event": 3, "email": 1}
    ServiceLevelAgreement.objects.filter(pk=october.pk).update(mql_targets_by_channel=targets)
    report = compliance.sla_compliance(OCTOBER, NOW)
    rows = [(r.label, r.delivered, r.target, r.expected, r.status) for r in report.by_channel]
    assert rows == [
        ("Webinar", 2, 2, Decimal("2"), "kept"),
        ("Event", 1, 3, Decimal("3"), "missed"),  # 1 ÷ 3 = 33 %
        ("E-mail", 0, 1, Decimal("1"), "missed"),  # targeted, nothing delivered: still listed
    ]
    channels = next(c for c in report.commitments if c.label == "MQLs per channel")
    assert channels.promise == "Webinar 2, Event 3, E-mail 1"
    assert (channels.actual, channels.status) == ("1 of 3 channels on pace", "missed")


def test_channel_targets_are_paced_by_the_days_gone_in_the_current_month(october):
    ServiceLevelAgreement.objects.filter(pk=october.pk).update(
        mql_targets_by_channel={"webinar": 31}
    )
    ten_days_in = at(10, 10, 12)
    report = compliance.sla_compliance(OCTOBER, ten_days_in)
    webinar = next(row for row in report.by_channel if row.label == "Webinar")
    assert (webinar.delivered, webinar.expected) == (2, Decimal("10.0"))  # 31 × 10 ÷ 31


def test_first_contact_and_qualify_or_recycle_promises(october, rep, other_rep):
    """F  MQL 5 Oct 10:00, contact due 18:00, a call 10:30; accepted 11:00, qualify due
          15 Oct 11:00, qualified 10 Oct                                  both in time
    G  MQL 6 Oct 10:00, rejected the next day                             no contact owed
    H  MQL 10 Oct 10:00, contact due 18:00, still waiting, no touch       contact late
    K  MQL 20 Oct 10:00, contact due 18:00, an e-mail 21 Oct 09:00; accepted 12:00, qualify
          due 30 Oct 12:00, still accepted on 1 Nov                        both late
    L  MQL 31 Oct 16:00, contact due 2 Nov 12:00, judged on 1 Nov         contact open"""
    f, g, k = (LeadFactory(stage="sal", owner=rep) for _ in range(3))
    h = LeadFactory(stage="mql", owner=rep, mql_at=at(10, 10, 10), response_due_at=at(10, 10, 14))
    late = LeadFactory(stage="mql", owner=rep, mql_at=at(10, 31, 16), response_due_at=at(11, 2, 9))
    for lead, day, hour, contact_due in [
        (f, 5, 10, at(10, 5, 18)),
        (g, 6, 10, at(10, 6, 18)),
        (h, 10, 10, at(10, 10, 18)),
        (k, 20, 10, at(10, 20, 18)),
        (late, 31, 16, at(11, 2, 12)),
    ]:
        move(lead, "new", "mql", at(10, day, hour), due=at(10, day, hour), contact_due=contact_due)
    ActivityFactory(lead=f, author=rep, kind="call", occurred_at=at(10, 5, 10, 30))
    ActivityFactory(lead=k, author=rep, kind="email", occurred_at=at(10, 21, 9))
    ActivityFactory(lead=h, author=rep, kind="note", occurred_at=at(10, 10, 11))  # not a touch
    move(f, "mql", "sal", at(10, 5, 11), by=rep, decide_due=at(10, 15, 11))
    move(f, "sal", "sql", at(10, 10, 9), by=rep)
    move(g, "mql", "recycled", at(10, 7, 9), by=rep, reason="not_icp")
    move(k, "mql", "sal", at(10, 20, 12), by=other_rep, decide_due=at(10, 30, 12))
    report = compliance.sla_compliance(OCTOBER, at(11, 1, 9))
    contact = report.contact
    assert (contact["passes"], contact["in_time"], contact["late"], contact["open"]) == (
        4,
        1,
        2,
        1,
    )
    assert contact["share"] == Decimal("0.3333")
    decide = report.decide
    assert (decide["accepted"], decide["in_time"], decide["late"], decide["open"]) == (2, 1, 1, 0)
    statuses = {c.label: (c.status, c.actual) for c in report.commitments}
    assert statuses["First contact in time"] == ("missed", "1 of 3 in time")
    assert statuses["Qualify or recycle in time"] == ("missed", "1 of 2 in time")


def test_a_pass_still_inside_its_window_is_neither_in_time_nor_late(october, rep):
    lead = LeadFactory(stage="mql", owner=rep, mql_at=at(10, 31, 16), response_due_at=at(11, 2, 12))
    move(lead, "new", "mql", at(10, 31, 16), due=at(11, 2, 12), sla=october)
    report = compliance.sla_compliance(OCTOBER, at(11, 1, 9))
    assert (report.passes, report.in_time, report.late, report.waiting) == (5, 2, 2, 1)


def test_the_current_month_paces_the_target_and_counts_what_is_overdue(sla, rep):
    now = at(11, 15, 12)
    lead = LeadFactory(stage="mql", owner=rep, mql_at=at(11, 15, 8), response_due_at=at(11, 15, 9))
    move(lead, "new", "mql", at(11, 15, 8), due=at(11, 15, 9), sla=sla)
    report = compliance.sla_compliance(dt.date(2026, 11, 1), now)
    assert report.is_current
    assert report.expected_by_now == Decimal("50.0")  # 100 a month, 15 of 30 days
    assert (report.delivered, report.overdue_now, report.late) == (1, 1, 1)


def test_an_empty_month_has_no_figures_to_judge(sla):
    report = compliance.sla_compliance(dt.date(2026, 6, 1), NOW)
    assert (report.passes, report.delivered, report.median_response) == (0, 0, None)
    assert report.in_time_share is None
    assert {c.status for c in report.commitments} == {"missed", "n/a"}


def test_compliance_queries_do_not_grow_with_mql_passes(
    october, rep, django_assert_max_num_queries
):
    for i in range(60):
        lead = LeadFactory(stage="sal", owner=rep)
        move(lead, "new", "mql", at(10, 12, 9, i % 60), due=at(10, 12, 13), sla=october)
        move(lead, "mql", "sal", at(10, 12, 11), by=rep)
    with django_assert_max_num_queries(12):
        report = compliance.sla_compliance(OCTOBER, NOW)
    assert report.passes == 64


# --- The page ---------------------------------------------------------------------------------

SLA_PAGE = reverse("reports:sla")
NEW_VERSION = reverse("reports:sla-update")


@pytest.mark.parametrize(
    ("who", "status"), [("marketer", 200), ("rep", 200), ("manager", 200), ("outsider", 403)]
)
def test_everyone_reads_the_sla_page(client, request, sla, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(SLA_PAGE).status_code == status


@pytest.mark.parametrize(
    ("who", "status"), [("marketer", 403), ("rep", 403), ("manager", 200), ("outsider", 403)]
)
def test_only_managers_change_the_sla(client, request, sla, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(NEW_VERSION).status_code == status


def test_anonymous_users_go_to_login(client):
    for url in (SLA_PAGE, NEW_VERSION):
        assert client.get(url)["Location"].startswith(reverse("login"))


def test_the_page_states_both_sides_glossary_and_a_chosen_month(client, rep, october):
    client.force_login(rep)
    response = client.get(SLA_PAGE, {"month": "2026-10"})
    html = response.content.decode()
    assert response.context["month"] == OCTOBER
    assert "deliver <strong>50 MQLs a month</strong>" in html  # the version in force now
    assert "within <strong>4 working hours</strong>" in html
    assert "Conversion rate" in html
    assert response.context["report"].target == 10  # October is judged by October's terms
    response = client.get(SLA_PAGE, {"month": "1999-01"})  # not offered: the current month
    assert response.context["month"] == timezone.localdate().replace(day=1)


def _terms(sla, **changes):
    data = {
        "mql_target_per_month": sla.mql_target_per_month,
        "mql_min_score": sla.mql_min_score,
        "mql_required_fields": sla.mql_required_fields,
        "accept_within_hours": sla.accept_within_hours,
        "first_contact_within_hours": sla.first_contact_within_hours,
        "qualify_within_days": sla.qualify_within_days,
        "escalate_after_hours": "",
        "workday_start": "09:00",
        "workday_end": "17:00",
        "working_days": sla.working_days,
        "timezone": sla.timezone,
        "assignment": sla.assignment,
        "change_note": "Faster answers",
    }
    return data | changes


def test_a_manager_writes_a_new_version_and_the_old_one_stays(client, manager, sla):
    client.force_login(manager)
    response = client.post(NEW_VERSION, _terms(sla, accept_within_hours=2))
    assert response["Location"] == SLA_PAGE
    new = ServiceLevelAgreement.objects.current()
    assert (new.version, new.accept_within_hours, new.created_by) == (sla.version + 1, 2, manager)
    sla.refresh_from_db()
    assert sla.accept_within_hours == 4
    page = client.get(SLA_PAGE)
    version, changes = page.context["versions"][0]
    assert version == new
    assert ("accept or reject an MQL within (working hours)", "4", "2") in changes


def test_a_manager_sets_channel_targets_and_the_page_states_them(client, manager, sla):
    client.force_login(manager)
    response = client.post(NEW_VERSION, _terms(sla, target_event=30, target_webinar=20))
    assert response["Location"] == SLA_PAGE
    new = ServiceLevelAgreement.objects.current()
    assert new.mql_targets_by_channel == {"event": 30, "webinar": 20}
    page = client.get(SLA_PAGE)
    assert (
        "<strong>20</strong> from Webinar, <strong>30</strong> from Event" in page.content.decode()
    )
    _version, changes = page.context["versions"][0]
    assert ("MQLs per channel per month", "none", "Event 30, Webinar 20") in changes
    form = client.get(NEW_VERSION).context["form"]  # the next version starts from these
    assert (form["target_event"].initial, form["target_webinar"].initial) == (30, 20)


def test_channel_targets_beyond_the_total_are_refused_and_nothing_is_saved(client, manager, sla):
    client.force_login(manager)
    data = _terms(sla, mql_target_per_month=40, target_event=30, target_webinar=20)
    response = client.post(NEW_VERSION, data)
    assert response.status_code == 200
    assert "add up to 50, more than the 40 MQLs" in " ".join(
        response.context["form"].non_field_errors()
    )
    assert response.context["form"]["target_event"].value() == "30"  # what was typed stays
    assert ServiceLevelAgreement.objects.current() == sla


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"target_event": 0}, "target_event"),
        ({"change_note": " "}, "change_note"),
        ({"working_days": []}, "working_days"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"workday_end": "08:00"}, "workday_end"),
        ({"accept_within_hours": 0}, "accept_within_hours"),
        ({"escalate_after_hours": 3}, "escalate_after_hours"),
    ],
)
def test_a_bad_version_is_refused_with_the_field_named(client, manager, sla, changes, field):
    client.force_login(manager)
    response = client.post(NEW_VERSION, _terms(sla, **changes))
    assert response.status_code == 200
    assert response.context["form"].errors.get(field), response.context["form"].errors
    assert ServiceLevelAgreement.objects.current() == sla


def test_the_sla_page_query_count_is_flat(client, manager, october, django_assert_max_num_queries):
    client.force_login(manager)
    with django_assert_max_num_queries(16):
        response = client.get(SLA_PAGE, {"month": "2026-10"})
    assert response.status_code == 200
