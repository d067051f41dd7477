import csv
import io

import pytest
from django.urls import reverse

from leads import services
from leads.models import Lead
from leads.models.leads import handoff_event
from tests.factories import ActivityFactory, CampaignFactory, LeadFactory, OpportunityFactory

pytestmark = pytest.mark.django_db
HANDOFFS = reverse("leads:handoff-list")
EXPORT = reverse("leads:handoff-export")
ACTIVITIES = reverse("leads:activity-list")


@pytest.fixture
def history(sla, marketer, rep, other_rep):
    """Two leads through the handoff: one accepted and qualified by `rep`, one rejected by
    `other_rep`."""
    campaign = CampaignFactory(name="Summit", channel="event")
    ada = LeadFactory(first_name="Ada", campaign=campaign, owner=rep)
    bob = LeadFactory(first_name="Bob", campaign=None, owner=other_rep)
    for lead in (ada, bob):
        services.lead_mark_mql(lead=lead, by=marketer)
    services.lead_accept(lead=ada, by=rep)
    services.lead_qualify(lead=ada, by=rep)
    services.lead_reject(lead=bob, by=other_rep, reason="not_icp", detail="Too small.")
    return ada, bob


def events(client, **params):
    response = client.get(HANDOFFS, params)
    return [
        (t.lead__first_name, handoff_event(t.from_stage, t.to_stage))
        for t in response.context["object_list"]
    ]


@pytest.mark.parametrize(
    ("who", "status"), [("marketer", 200), ("manager", 200), ("rep", 200), ("outsider", 403)]
)
def test_history_pages_access(client, request, who, status):
    client.force_login(request.getfixturevalue(who))
    for url in (HANDOFFS, EXPORT, ACTIVITIES):
        assert client.get(url).status_code == status


def test_every_handoff_event_with_who_why_and_how_long(client, marketer, history):
    client.force_login(marketer)
    assert sorted(events(client)) == [
        ("Ada", "Accepted"),
        ("Ada", "Qualified"),
        ("Ada", "Sent to sales"),
        ("Bob", "Rejected"),
        ("Bob", "Sent to sales"),
    ]
    html = client.get(HANDOFFS).content.decode()
    assert "Not our ideal customer" in html
    assert "Too small." in html
    took = {
        handoff_event(t.from_stage, t.to_stage): t.took
        for t in client.get(HANDOFFS).context["object_list"]
    }
    assert took["Accepted"].total_seconds() >= 0


def test_handoff_filters(client, marketer, rep, history):
    ada, _ = history
    client.force_login(marketer)
    assert events(client, outcome="rejected") == [("Bob", "Rejected")]
    assert events(client, reason="not_icp") == [("Bob", "Rejected")]
    assert sorted(events(client, rep=rep.pk)) == [("Ada", "Accepted"), ("Ada", "Qualified")]
    assert len(events(client, campaign=ada.campaign_id)) == 3
    assert len(events(client, channel="event")) == 3
    assert len(events(client, q="bob")) == 2
    assert events(client, date_from="2099-01-01") == []
    assert "No handoffs match these filters" in client.get(HANDOFFS, {"q": "zzz"}).content.decode()


def test_a_rep_sees_only_their_own_handoffs(client, rep, history):
    client.force_login(rep)
    assert {name for name, _ in events(client)} == {"Ada"}


def test_the_handoff_csv_matches_the_filtered_page(client, marketer, history):
    client.force_login(marketer)
    response = client.get(EXPORT, {"outcome": "rejected"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["When", "Event", "Lead"]
    assert [row[1:3] for row in rows[1:]] == [
        ["Rejected", "Bob " + Lead.objects.get(first_name="Bob").last_name]
    ]
    assert rows[1][7] == "Not our ideal customer"


def test_handoff_list_query_count_is_flat(
    client, marketer, rep, sla, django_assert_max_num_queries
):
    for lead in LeadFactory.create_batch(30, owner=rep, campaign=None):
        services.lead_mark_mql(lead=lead, by=marketer)
        services.lead_accept(lead=lead, by=rep)
    client.force_login(marketer)
    with django_assert_max_num_queries(9):
        response = client.get(HANDOFFS, {"ordering": "when"})
    assert len(response.context["object_list"]) == 50


def test_activities_list_filters_and_visibility(client, marketer, rep, other_rep):
    mine = ActivityFactory(
        lead=LeadFactory(stage="sal", owner=rep, campaign=None), author=rep, kind="call"
    )
    theirs = ActivityFactory(
        lead=LeadFactory(stage="sal", owner=other_rep, campaign=None),
        author=other_rep,
        kind="note",
        outcome="",
    )
    on_deal = ActivityFactory(
        lead=None,
        opportunity=OpportunityFactory(owner=rep),
        author=rep,
        kind="meeting",
        outcome="held",
    )
    client.force_login(marketer)

    def listed(**params):
        return {a.pk for a in client.get(ACTIVITIES, params).context["object_list"]}

    assert listed() == {mine.pk, theirs.pk, on_deal.pk}
    assert listed(kind="note") == {theirs.pk}
    assert listed(record="opportunity") == {on_deal.pk}
    assert listed(author=rep.pk) == {mine.pk, on_deal.pk}
    assert listed(outcome="held") == {on_deal.pk}
    client.force_login(rep)
    assert listed() == {mine.pk, on_deal.pk}


def test_activity_list_query_count_is_flat(client, marketer, rep, django_assert_max_num_queries):
    lead = LeadFactory(stage="sal", owner=rep, campaign=None)
    ActivityFactory.create_batch(60, lead=lead, author=rep)
    client.force_login(marketer)
    with django_assert_max_num_queries(9):
        response = client.get(ACTIVITIES)
    assert len(response.context["object_list"]) == 50
