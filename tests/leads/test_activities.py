import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from leads.models import Activity, Lead
from tests.factories import ActivityFactory, LeadFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


def log(client, lead, **data):
    payload = {"kind": "call", "outcome": "connected", "body": "Talked budgets.", **data}
    return client.post(reverse("leads:lead-activity", args=[lead.pk]), payload, follow=True)


def test_a_rep_logs_a_call_which_stops_the_response_clock(client, rep):
    lead = LeadFactory(stage=Lead.Stage.MQL, owner=rep, campaign=None)
    client.force_login(rep)
    response = log(client, lead)
    assert "Call logged." in response.content.decode()
    lead.refresh_from_db()
    assert lead.first_response_at == Activity.objects.get().occurred_at
    assert lead.stage == Lead.Stage.MQL  # a touch is not a decision


def test_a_note_does_not_stop_the_clock(client, rep):
    lead = LeadFactory(stage=Lead.Stage.MQL, owner=rep, campaign=None)
    client.force_login(rep)
    log(client, lead, kind="note", outcome="")
    lead.refresh_from_db()
    assert lead.first_response_at is None


def test_a_marketer_s_call_is_not_a_sales_touch(client, marketer):
    lead = LeadFactory(stage=Lead.Stage.MQL, campaign=None)
    client.force_login(marketer)
    log(client, lead)
    lead.refresh_from_db()
    assert Activity.objects.count() == 1
    assert lead.first_response_at is None


def test_the_first_touch_is_kept_when_more_follow(client, rep):
    lead = LeadFactory(stage=Lead.Stage.MQL, owner=rep, campaign=None)
    client.force_login(rep)
    log(client, lead)
    lead.refresh_from_db()
    first = lead.first_response_at
    log(client, lead, kind="email")
    lead.refresh_from_db()
    assert lead.first_response_at == first


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"body": "   "}, "required"),
        ({"kind": "telepathy"}, "valid choice"),
        ({"outcome": "won"}, "valid choice"),
    ],
)
def test_bad_activities_are_refused_with_a_message(client, rep, data, message):
    lead = LeadFactory(stage=Lead.Stage.SAL, owner=rep, campaign=None)
    client.force_login(rep)
    response = log(client, lead, **data)
    assert "Nothing was logged" in response.content.decode()
    assert message in response.content.decode()
    assert not Activity.objects.exists()


def test_another_rep_s_lead_is_a_404(client, rep, other_rep):
    lead = LeadFactory(stage=Lead.Stage.SAL, owner=other_rep, campaign=None)
    client.force_login(rep)
    assert (
        client.post(
            reverse("leads:lead-activity", args=[lead.pk]), {"kind": "note", "body": "x"}
        ).status_code
        == 404
    )


def test_activities_on_a_deal(client, rep, other_rep, marketer):
    deal = OpportunityFactory(owner=rep)
    url = reverse("leads:opportunity-activity", args=[deal.pk])
    client.force_login(rep)
    client.post(url, {"kind": "meeting", "outcome": "held", "body": "Demo done."})
    assert deal.activities.get().body == "Demo done."
    client.force_login(other_rep)
    assert client.post(url, {"kind": "note", "body": "x"}).status_code == 404
    client.force_login(marketer)
    assert client.post(url, {"kind": "note", "body": "x"}).status_code == 403


def test_authors_edit_and_delete_their_own_within_the_window(client, rep):
    activity = ActivityFactory(lead=LeadFactory(stage="sal", owner=rep, campaign=None), author=rep)
    client.force_login(rep)
    edit = reverse("leads:activity-update", args=[activity.pk])
    assert client.get(edit).status_code == 200
    client.post(edit, {"outcome": "no_answer", "body": "Corrected."})
    activity.refresh_from_db()
    assert (activity.body, activity.outcome) == ("Corrected.", "no_answer")
    delete = reverse("leads:activity-delete", args=[activity.pk])
    assert client.get(delete).status_code == 200
    client.post(delete)
    assert not Activity.objects.exists()


def test_nobody_changes_an_activity_after_the_window_or_someone_else_s(client, rep, manager):
    activity = ActivityFactory(lead=LeadFactory(stage="sal", owner=rep, campaign=None), author=rep)
    client.force_login(manager)
    assert client.get(reverse("leads:activity-update", args=[activity.pk])).status_code == 403
    Activity.objects.filter(pk=activity.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=1)
    )
    client.force_login(rep)
    assert client.post(reverse("leads:activity-delete", args=[activity.pk])).status_code == 403
    assert Activity.objects.exists()


def test_activity_text_is_shown_escaped(client, rep):
    lead = LeadFactory(stage="sal", owner=rep, campaign=None)
    ActivityFactory(lead=lead, author=rep, body="<script>alert(1)</script>\nsecond line")
    client.force_login(rep)
    html = client.get(lead.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>second line" in html
